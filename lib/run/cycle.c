/* pp-cycle: the pipeline under the pool's cycle lock. With two control
 * hosts the lock is PostgreSQL's (pg_try_advisory_lock on a session
 * held until the command ends), so cron can start the cycle on both:
 * one acts, the other skips with 75. pp-cycle stays alive as long as
 * the command does: its session is the lock. While it waits it watches
 * that session: when the server ends it (restart, pg_terminate_backend,
 * a dead network noticed by TCP keepalives) the lock is gone and another
 * host may start a cycle, so the command is stopped at its next safe
 * point (SIGTERM) and pp-cycle fails loudly. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "conf/config.h"
#include "store/pg.h"
#include "run/cycle.h"

static volatile sig_atomic_t child_pid;

/* a stop signal goes on to the command, which stops at a safe point;
 * pp-cycle holds the lock until then */
static void
forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* SIGCHLD only interrupts the poll below */
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

/* runs the command; with a session (the database's lock) it watches it */
static int
run_child(char *const *argv, PGconn *lock_session, const char *pool)
{
	struct sigaction sa, old[4];
	static const int sigs[4] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
	int status = 0, lost = 0;
	pid_t pid, w;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		pp_warn("cannot start '%s':", argv[0]);
		return PP_EXIT_FAIL;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		pp_warn("cannot run '%s':", argv[0]);
		_exit(127);
	}
	child_pid = pid;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++) {
		sa.sa_handler = sigs[i] == SIGCHLD ? on_child : forward;
		sigaction(sigs[i], &sa, &old[i]);
	}
	for (;;) {
		if (!lock_session || lost)
			w = waitpid(pid, &status, 0);
		else
			w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w != 0 || lost || !lock_session)
			continue;
		if (!session_alive(lock_session)) {
			lost = 1;
			pp_error("lost the database session that holds the "
				"cycle lock of pool '%s': another host may "
				"start a cycle now; stopping '%s' at its next "
				"safe point", pool, argv[0]);
			kill(pid, SIGTERM);
		}
	}
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	child_pid = 0;
	if (w < 0)
		return PP_EXIT_FAIL;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	if (lost && WEXITSTATUS(status) == 0)
		return PP_EXIT_FAIL;
	return WEXITSTATUS(status);
}

static int
db_cycle(const struct pp_config *cfg, char *const *argv)
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
	code = run_child(argv, c, pool);
	/* the session's end releases the lock, also when it was lost */
	PQfinish(c);
	return code;
}

static int
file_cycle(const struct pp_config *cfg, const char *state_dir,
	char *const *argv)
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
	code = run_child(argv, NULL, NULL);
	pp_unlock(&l);
	return code;
}

int
pp_cycle_run(const struct pp_config *cfg, const char *state_dir,
	char *const *argv)
{
	if (cfg->control.database && *cfg->control.database)
		return db_cycle(cfg, argv);
	return file_cycle(cfg, state_dir, argv);
}
