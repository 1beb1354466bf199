/* pp-cycle: the pipeline under the pool's cycle lock. With two control
 * hosts the lock is PostgreSQL's (pg_try_advisory_lock on a session
 * held until the command ends), so cron can start the cycle on both:
 * one acts, the other skips with 75. pp-cycle stays alive as long as
 * the command does: its session is the lock. While it waits it watches
 * that session: when the server ends it (restart, pg_terminate_backend,
 * a dead network noticed by TCP keepalives) the lock is gone and another
 * host may start a cycle, so the command is stopped at its next safe
 * point (SIGTERM) and pp-cycle fails loudly. The command runs in a
 * process group of its own, and pp-cycle lets go of the lock only once
 * every process of that group has ended: a stop that reached only bash
 * would leave the tools of its pipeline acting under nobody's lock. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "conf/config.h"
#include "store/pg.h"
#include "run/cycle.h"

static volatile sig_atomic_t child_pid, stop_sent;

/* a stop signal goes on to the command's whole process group (the
 * tools of a bash pipeline, not only bash), which stops at a safe
 * point; pp-cycle holds the lock until then */
static void
forward(int sig)
{
	int e = errno;

	if (child_pid > 0) {
		kill(-(pid_t)child_pid, sig);
		stop_sent = 1;
	}
	errno = e;
}

/* SIGCHLD only interrupts the poll and the naps below */
static void
on_child(int sig)
{
	(void)sig;
}

/* 1 while the lock's session is alive, 0 once the server has ended it:
 * waits up to a second for the server to say something, which on an
 * idle session it only does to end it */
static int
session_alive(PGconn *c)
{
	struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
	int n;

	if (pfd.fd < 0)
		return 0;
	n = poll(&pfd, 1, 1000);
	if (n <= 0)
		return 1; /* quiet, or a signal: still ours */
	if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
		return 0;
	return 1;
}

/* Reaps what has ended of our children (the tools of a pipeline whose
 * shell is gone come to us: we are their subreaper) and says whether
 * anything of the command is left: its process group, or a child of
 * ours outside it (one that left the group, timeout(1) or setsid, and
 * came to us when its parent ended). */
static int
group_alive(pid_t pgid)
{
	pid_t r;

	while ((r = waitpid(-1, NULL, WNOHANG)) > 0)
		;
	return r == 0 || kill(-pgid, 0) == 0 || errno != ESRCH;
}

/* Sends sig to our children outside the command's process group,
 * which a signal to the group does not reach (Linux lists a process's
 * children in /proc; without that list, only the group is told). One
 * that leads a process group of its own is told with its group, as
 * the process runner stops a hook: a hook's processes come to us only
 * when their parent has ended, and a pp-drain killed before it had
 * stopped its move hook left a tree of them that, told one generation
 * a second, outlived our wait after SIGKILL (and the lock). */
static void
signal_strays(pid_t pgid, int sig)
{
	char path[64], buf[4096], *p, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/self/task/%ld/children",
		(long)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf;; p = end) {
		long c = strtol(p, &end, 10);
		pid_t g;

		if (end == p)
			break;
		g = c > 0 ? getpgid((pid_t)c) : -1;
		if (g <= 0 || g == pgid)
			continue;
		kill(g == (pid_t)c ? -g : (pid_t)c, sig);
	}
}

static void
nap(double *seconds)
{
	pp_sleep(*seconds);
	if (*seconds < 0.05)
		*seconds *= 2;
}

/* Runs the command in a process group of its own, so that a stop
 * reaches every process of it (the tools of a bash pipeline, not only
 * bash); with a session (the database's lock) it watches it. Returns
 * once the whole group has ended, so that the lock outlives every tool
 * of the cycle: what the command leaves running is told to stop, and
 * what has not stopped kill_after seconds after SIGTERM is killed. */
static int
run_child(char *const *argv, PGconn *lock_session, const char *pool,
	long kill_after)
{
	struct sigaction sa, old[4];
	static const int sigs[4] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
	sigset_t block, oldmask;
	int status = 0, lost = 0, done = 0;
	double stop_at = 0, killed_at = 0, strays_at = 0, pause = 0.002;
	pid_t pid, w = 0;

	/* the shell of a pipeline dies of our SIGTERM before its tools
	 * stop: they come to us, not to init, which may never reap them */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		pp_debug("cannot become the subreaper of the command: %s",
			strerror(errno));
	/* no stop may come between fork and the handlers knowing the
	 * group: blocked until then */
	sigemptyset(&block);
	for (int i = 0; i < 4; i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++) {
		sa.sa_handler = sigs[i] == SIGCHLD ? on_child : forward;
		sigaction(sigs[i], &sa, &old[i]);
		/* a hangup ignored on entry (nohup) stays ignored, and the
		 * command inherits that through exec */
		if (sigs[i] == SIGHUP && old[i].sa_handler == SIG_IGN)
			sigaction(SIGHUP, &old[i], NULL);
	}
	stop_sent = 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* exec sets our handlers back to the default, as before */
		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		execvp(argv[0], argv);
		pp_warn("cannot run '%s':", argv[0]);
		_exit(127);
	}
	if (pid < 0) {
		pp_warn("cannot start '%s':", argv[0]);
		status = PP_EXIT_FAIL;
		goto out;
	}
	/* also here: whichever of the two runs first, the group exists
	 * before a signal is sent to it (EACCES: it has run exec, after
	 * its own setpgid) */
	if (setpgid(pid, pid) < 0 && errno != EACCES)
		pp_debug("setpgid %ld: %s", (long)pid, strerror(errno));
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	for (;;) {
		double now;

		if (!done) {
			/* blocks when nothing is to be watched: a signal
			 * interrupts it */
			w = waitpid(pid, &status, stop_sent || (lock_session &&
			    !lost) ? WNOHANG : 0);
			if (w == pid || (w < 0 && errno != EINTR))
				done = 1;
		}
		if (done && !group_alive(pid))
			break;
		if (done && !stop_sent) {
			pp_warn("'%s' ended but left processes running: "
				"stopping them (SIGTERM)", argv[0]);
			kill(-pid, SIGTERM);
			stop_sent = 1;
		}
		now = pp_monotonic();
		if (stop_sent && stop_at == 0)
			stop_at = now;
		if (stop_at > 0 && killed_at == 0 &&
		    now >= stop_at + (double)kill_after) {
			pp_error("processes of '%s' did not stop within %ld s "
				"of SIGTERM: killing them (SIGKILL)", argv[0],
				kill_after);
			kill(-pid, SIGKILL);
			killed_at = now;
		}
		/* what left the group hears it too, each second until it
		 * has ended: the group's signal does not reach it */
		if (stop_sent && now >= strays_at + 1) {
			signal_strays(pid, killed_at > 0 ? SIGKILL : SIGTERM);
			strays_at = now;
		}
		if (killed_at > 0 && now >= killed_at + 10) {
			pp_error("processes of '%s' still run after SIGKILL",
				argv[0]);
			break;
		}
		if (!done && lock_session && !lost &&
		    !session_alive(lock_session)) {
			lost = 1;
			pp_error("lost the database session that holds the "
				"cycle lock of pool '%s': another host may "
				"start a cycle now; stopping '%s' at its next "
				"safe point", pool, argv[0]);
			kill(-pid, SIGTERM);
			stop_sent = 1;
		} else if (stop_sent || done) {
			nap(&pause);
		}
	}
	/* a lost lock is the failure, whatever the command's status:
	 * after our own SIGTERM that says only how it stopped (143 for
	 * the shell of a pipeline) */
	if (!done || w < 0 || lost)
		status = PP_EXIT_FAIL;
	else if (WIFSIGNALED(status))
		status = 128 + WTERMSIG(status);
	else
		status = WEXITSTATUS(status);
out:
	sigprocmask(SIG_BLOCK, &block, NULL);
	child_pid = 0;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return status;
}

static int
db_cycle(const struct pp_config *cfg, char *const *argv, long kill_after)
{
	const char *pool = cfg->cloud.pool ? cfg->cloud.pool : "default";
	char err[1024], key[32], *shown;
	const char *p[1] = {key};
	PGresult *res;
	PGconn *c;
	int code, got;

	if (!cfg->registry || !pp_pg_is_url(cfg->registry))
		pp_warn("control.database is set but the registry is not in "
			"PostgreSQL: the other control host does not see this "
			"host's registry");
	c = pp_pg_connect(cfg->control.database, err, sizeof err, &code);
	if (!c) {
		pp_warn("%s; the cycle did not run", err);
		return code;
	}
	/* the session is the lock and idle for the whole cycle: a
	 * server's or role's idle_session_timeout (PostgreSQL 14) would
	 * end it in the middle of every long cycle */
	if (pp_pg_run(c, "cannot turn off idle_session_timeout",
	    "SELECT set_config(name, '0', false) FROM pg_settings "
	    "WHERE name = 'idle_session_timeout'", 0, NULL, err,
	    sizeof err) < 0) {
		pp_warn("%s; the cycle did not run", err);
		PQfinish(c);
		return PP_EXIT_FAIL;
	}
	snprintf(key, sizeof key, "%lld", pp_pg_lock_key("ppscale-cycle",
		pool));
	res = pp_pg_exec(c, "cannot ask for the cycle lock",
		"SELECT pg_try_advisory_lock($1::bigint)", 1, p, err,
		sizeof err);
	if (!res) {
		pp_warn("%s; the cycle did not run", err);
		PQfinish(c);
		return PP_EXIT_FAIL;
	}
	got = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	shown = pp_pg_shown(cfg->control.database);
	if (!got) {
		pp_note("the cycle of pool '%s' runs on another host "
			"(database '%s'): skipped", pool, shown);
		free(shown);
		PQfinish(c);
		return PP_EXIT_BUSY;
	}
	pp_debug("holding the cycle lock of pool '%s' in '%s'", pool, shown);
	free(shown);
	code = run_child(argv, c, pool, kill_after);
	/* the session's end releases the lock, also when it was lost */
	PQfinish(c);
	return code;
}

static int
file_cycle(const struct pp_config *cfg, const char *state_dir,
	char *const *argv, long kill_after)
{
	char *path = pp_state_path(cfg, state_dir, "pipeline");
	char *dir = pp_dirname(path);
	struct pp_lock l;
	int code;

	if (pp_mkdirs(dir, 0755) < 0) {
		pp_warn("cannot create state directory '%s':", dir);
		free(dir);
		free(path);
		return PP_EXIT_FAIL;
	}
	free(dir);
	if (pp_lock(&l, path, PP_LOCK_EX, 0) < 0) {
		int e = errno;
		char *lp = pp_lock_name(path);

		if (e == ETIMEDOUT || e == EWOULDBLOCK || e == EINTR) {
			pp_note("a cycle runs already (lock file '%s'): "
				"skipped", lp);
			code = PP_EXIT_BUSY;
		} else {
			pp_warn("cannot lock '%s': %s; the cycle did not run",
				lp, strerror(e));
			code = PP_EXIT_USAGE;
		}
		free(lp);
		free(path);
		return code;
	}
	free(path);
	code = run_child(argv, NULL, NULL, kill_after);
	pp_unlock(&l);
	return code;
}

int
pp_cycle_run(const struct pp_config *cfg, const char *state_dir,
	char *const *argv, long kill_after)
{
	if (cfg->control.database && *cfg->control.database)
		return db_cycle(cfg, argv, kill_after);
	return file_cycle(cfg, state_dir, argv, kill_after);
}
