/* The one process runner: operator commands (the move hook, the join
 * token command) run without a shell, with a timeout that reaches every
 * process the command started, and without our secrets in their
 * environment. */
/* posix_spawn_file_actions_addclosefrom_np is a GNU extension */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hook.h"
#include "base/util.h"

extern char **environ;

/* Environment variables a hook never sees. The Hetzner token lets
 * whoever holds it create and delete servers on our bill; libpq takes
 * PGPASSWORD for the registry and control database, which a hook could
 * then rewrite. A hook has no business with either. (PGPASSFILE is
 * only a path and stays.) */
static const char *const secrets[] = {"HCLOUD_TOKEN", "PGPASSWORD"};

#define KILL_GRACE 2.0

static char *
expand(const char *t, const struct pp_hook_var *vars, size_t nvars)
{
	struct pp_buf b = {0};

	while (*t) {
		size_t i;

		if (*t == '{') {
			for (i = 0; i < nvars; i++) {
				size_t n = strlen(vars[i].name);

				if (!strncmp(t + 1, vars[i].name, n) &&
				    t[n + 1] == '}') {
					pp_buf_addstr(&b, vars[i].value ?
						vars[i].value : "");
					t += n + 2;
					break;
				}
			}
			if (i < nvars)
				continue;
		}
		pp_buf_add(&b, t, 1);
		t++;
	}
	if (!b.s)
		return pp_xstrdup("");
	return b.s;
}

char **
pp_hook_argv(char *const tmpl[], size_t n, const struct pp_hook_var *vars,
	size_t nvars)
{
	char **argv;

	if (!tmpl || n == 0)
		return NULL;
	argv = pp_xcalloc(n + 1, sizeof *argv);
	for (size_t i = 0; i < n; i++)
		argv[i] = expand(tmpl[i], vars, nvars);
	return argv;
}

void
pp_hook_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

char *
pp_hook_describe(char *const argv[])
{
	struct pp_buf b = {0};

	for (size_t i = 0; argv && argv[i]; i++) {
		const char *a = argv[i];

		if (i)
			pp_buf_addstr(&b, " ");
		if (*a && !a[strcspn(a, " \t\n'\"\\$`;&|<>()*?[]{}")])
			pp_buf_addstr(&b, a);
		else
			pp_buf_printf(&b, "'%s'", a);
	}
	return b.s ? b.s : pp_xstrdup("");
}

static int
is_secret(const char *entry)
{
	for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
		size_t n = strlen(secrets[i]);

		if (!strncmp(entry, secrets[i], n) && entry[n] == '=')
			return 1;
	}
	return 0;
}

/* The environment a command gets: ours without the secrets. */
static char **
clean_environ(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = pp_xcalloc(n + 1, sizeof *env);
	for (size_t i = 0; i < n; i++)
		if (!is_secret(environ[i]))
			env[k++] = environ[i];
	return env;
}

/* The file execvp would run for a name without '/': the first
 * executable regular file of that name in PATH (/bin:/usr/bin when
 * unset), or NULL. */
static char *
search_path(const char *file)
{
	const char *p = getenv("PATH");

	for (p = p ? p : "/bin:/usr/bin";;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *path = pp_xasprintf("%.*s%s%s", (int)n, p, n ? "/" : "",
			file);
		struct stat st;

		if (access(path, X_OK) == 0 && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return path;
		free(path);
		if (!colon)
			return NULL;
		p = colon + 1;
	}
}

/* Starts the command in a process group of its own, stdin from
 * /dev/null, stdout to outfd (or our stderr), with the signals a
 * command expects at their defaults (ignored signals stay ignored
 * across exec) and none blocked. posix_spawn, not fork: pp-drain runs
 * its move hook once per game server while it holds a registry of
 * tens of MB, and a fork copied its page tables each time and made
 * every page it wrote afterwards a copy (issue 17). Returns 0, or the
 * errno that kept the command from running. */
static int
spawn(pid_t *pid, char *const argv[], char **env, int outfd,
	const int *keep, size_t nkeep)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def, none;
	int rc, high[8];
	size_t nhigh = 0;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outfd >= 0 ? outfd : 2, 1);
	if (outfd > 1)
		posix_spawn_file_actions_addclose(&fa, outfd);
	/* the descriptors kept go to 3, 4, ... from copies above those
	 * numbers, so that none is overwritten before it is copied; the
	 * copies are close-on-exec, dup2 clears that on the child's */
	for (size_t i = 0; i < nkeep && nhigh < sizeof high / sizeof *high;
	    i++) {
		int h;

		if (keep[i] < 0)
			continue;
		h = fcntl(keep[i], F_DUPFD_CLOEXEC, 3 + (int)nkeep);
		if (h < 0)
			continue;
		posix_spawn_file_actions_adddup2(&fa, h, 3 + (int)nhigh);
		high[nhigh++] = h;
	}
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	/* nothing else of ours: libcurl's sockets are not close-on-exec,
	 * and the join token command ran holding pp-provision's open
	 * connection to the Hetzner API, free to read its answers */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3 + (int)nhigh);
#endif
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
		POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawnp(pid, argv[0], &fa, &at, argv, env);
	if (rc == ENOEXEC) {
		/* execvp's fallback, which posix_spawnp lacks: a file
		 * without "#!" runs under /bin/sh */
		char *path = strchr(argv[0], '/') ? pp_xstrdup(argv[0]) :
			search_path(argv[0]);
		size_t n = 0;
		char **sh;

		while (argv[n])
			n++;
		sh = pp_xcalloc(n + 2, sizeof *sh);
		sh[0] = "/bin/sh";
		sh[1] = path ? path : argv[0];
		for (size_t i = 1; i < n; i++)
			sh[i + 1] = argv[i];
		rc = posix_spawn(pid, "/bin/sh", &fa, &at, sh, env);
		free(sh);
		free(path);
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	for (size_t i = 0; i < nhigh; i++)
		close(high[i]);
	return rc;
}

/* A call to make once while a command runs, from the time at on
 * (monotonic): done with fn set to NULL. */
struct call_at {
	double at;
	void (*fn)(void *);
	void *arg;
};

/* Waits for pid until deadline (monotonic; 0: none), making the call
 * in ca (when not NULL) once its time has come and pid still runs.
 * Returns 1 when it ended (*wstatus set), 0 on timeout, -2 when we
 * were interrupted. */
static int
wait_until(pid_t pid, double deadline, int *wstatus, int watch_signals,
	struct call_at *ca)
{
	double nap = 0.002;

	for (;;) {
		pid_t r = waitpid(pid, wstatus, WNOHANG);

		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1;	/* nothing left to wait for */
		if (watch_signals && pp_interrupted())
			return -2;
		if (ca && ca->fn && pp_monotonic() >= ca->at) {
			void (*fn)(void *) = ca->fn;

			ca->fn = NULL;
			fn(ca->arg);
			continue;	/* it may have taken a while */
		}
		if (deadline > 0 && pp_monotonic() >= deadline)
			return 0;
		pp_sleep(nap);
		if (nap < 0.05)
			nap *= 2;
	}
}

static void
kill_group(pid_t pid, int *wstatus)
{
	kill(-pid, SIGTERM);
	if (wait_until(pid, pp_monotonic() + KILL_GRACE, wstatus, 0,
	    NULL) != 1) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
			;
	}
	/* the leader is gone; stragglers in its group go too */
	kill(-pid, SIGKILL);
}

/* Reads what is there on fd into out (up to max bytes); 1 at EOF, 2
 * when more than max came, 0 otherwise. */
static int
drain_out(int fd, double nap, char *out, size_t max, size_t *len)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n;

	if (poll(&p, 1, (int)(nap * 1000)) <= 0)
		return 0;
	n = read(fd, out + *len, max - *len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	*len += (size_t)n;
	if (*len == max) {
		/* one byte more tells "exactly max" from "too long" */
		char c;

		if (read(fd, &c, 1) == 1)
			return 2;
	}
	return 0;
}

static int
run(char *const argv[], double timeout, char *out, size_t max,
	size_t *outlen, struct pp_hook_status *hs, struct call_at *ca,
	const int *keep, size_t nkeep, char *err, size_t errlen)
{
	char **env;
	int ofd[2] = {-1, -1}, e = 0, wstatus = 0, rc = 1, ended = 0;
	double deadline = timeout > 0 ? pp_monotonic() + timeout : 0;
	pid_t pid;

	memset(hs, 0, sizeof *hs);
	if (outlen)
		*outlen = 0;
	if (!argv || !argv[0] || !*argv[0]) {
		hs->kind = PP_HOOK_CANNOT_RUN;
		snprintf(err, errlen, "no command");
		return -1;
	}
	if (out && pipe(ofd) < 0) {
		hs->kind = PP_HOOK_CANNOT_RUN;
		snprintf(err, errlen, "cannot create pipe: %s",
			strerror(errno));
		return -1;
	}
	if (out)
		fcntl(ofd[0], F_SETFD, FD_CLOEXEC);
	env = clean_environ();
	fflush(NULL);
	e = spawn(&pid, argv, env, ofd[1], keep, nkeep);
	free(env);
	if (out)
		close(ofd[1]);
	if (e) {
		if (out)
			close(ofd[0]);
		hs->kind = PP_HOOK_CANNOT_RUN;
		hs->code = e;
		snprintf(err, errlen, "cannot run '%s': %s", argv[0],
			strerror(e));
		return -1;
	}
	/* as the child did: a kill never misses the group */
	setpgid(pid, pid);
	if (out) {
		/* the output first, to its end; then the exit */
		size_t len = 0;
		int r = 0;

		while (r == 0) {
			if (pp_interrupted()) {
				rc = -2;
				break;
			}
			if (deadline > 0 && pp_monotonic() >= deadline) {
				rc = 0;
				break;
			}
			r = drain_out(ofd[0], 0.05, out, max, &len);
		}
		close(ofd[0]);
		*outlen = len;
		if (r == 2) {
			kill_group(pid, &wstatus);
			hs->kind = PP_HOOK_TOO_LONG;
			snprintf(err, errlen, "printed more than %zu bytes "
				"(killed)", max);
			return -1;
		}
	}
	if (rc == 1)
		rc = wait_until(pid, deadline, &wstatus, 1, ca);
	ended = rc == 1;
	if (!ended) {
		kill_group(pid, &wstatus);
		if (rc == 0) {
			hs->kind = PP_HOOK_TIMED_OUT;
			snprintf(err, errlen, "timed out after %g s (killed)",
				timeout);
		} else {
			hs->kind = PP_HOOK_INTERRUPTED;
			snprintf(err, errlen, "interrupted (killed)");
		}
		return -1;
	}
	if (WIFEXITED(wstatus)) {
		hs->code = WEXITSTATUS(wstatus);
		if (hs->code == 0) {
			hs->kind = PP_HOOK_OK;
			return 0;
		}
		hs->kind = PP_HOOK_EXITED;
		snprintf(err, errlen, "exit status %d", hs->code);
	} else if (WIFSIGNALED(wstatus)) {
		hs->kind = PP_HOOK_SIGNALED;
		hs->code = WTERMSIG(wstatus);
		snprintf(err, errlen, "killed by signal %d", hs->code);
	} else {
		hs->kind = PP_HOOK_EXITED;
		snprintf(err, errlen, "ended abnormally");
	}
	return -1;
}

int
pp_hook_capture(char *const argv[], double timeout, char *out, size_t max,
	size_t *outlen, struct pp_hook_status *hs, char *err, size_t errlen)
{
	return run(argv, timeout, out, max, outlen, hs, NULL, NULL, 0, err,
		errlen);
}

int
pp_hook_run(char *const argv[], double timeout, char *err, size_t errlen)
{
	struct pp_hook_status hs;

	return run(argv, timeout, NULL, 0, NULL, &hs, NULL, NULL, 0, err,
		errlen);
}

int
pp_hook_run_at(char *const argv[], double timeout, const int *keep,
	size_t nkeep, double at, void (*fn)(void *), void *arg,
	struct pp_hook_status *hs, char *err, size_t errlen)
{
	struct pp_hook_status own;
	struct call_at ca = {at, fn, arg};

	return run(argv, timeout, NULL, 0, NULL, hs ? hs : &own, &ca, keep,
		nkeep, err, errlen);
}
