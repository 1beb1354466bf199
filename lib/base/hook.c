/* The one process runner: operator commands (the move hook, the join
 * token command) run without a shell, with a timeout that reaches every
 * process the command started, and without our secrets in their
 * environment. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hook.h"
#include "base/util.h"

extern char **environ;

/* Environment variables a hook never sees. The Hetzner token lets
 * whoever holds it create and delete servers on our bill; a move hook
 * has no business with it. */
static const char *const secrets[] = {"HCLOUD_TOKEN"};

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

/* Built before fork so that the child only has to assign it. */
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

/* In the child: only async-signal-safe calls until exec. */
static _Noreturn void
child(char *const argv[], char **env, int errfd, int outfd)
{
	struct sigaction sa;
	sigset_t none;
	int e, fd;

	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* ignored signals stay ignored across exec: give the hook the
	 * defaults a command expects */
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(outfd >= 0 ? outfd : 2, 1);
	if (outfd > 1)
		close(outfd);
	environ = env;
	execvp(argv[0], argv);
	e = errno;
	if (write(errfd, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* Waits for pid until deadline (monotonic; 0: none). Returns 1 when it
 * ended (*wstatus set), 0 on timeout, -2 when we were interrupted. */
static int
wait_until(pid_t pid, double deadline, int *wstatus, int watch_signals)
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
	if (wait_until(pid, pp_monotonic() + KILL_GRACE, wstatus, 0) != 1) {
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

int
pp_hook_capture(char *const argv[], double timeout, char *out, size_t max,
	size_t *outlen, struct pp_hook_status *hs, char *err, size_t errlen)
{
	char **env;
	int pfd[2], ofd[2] = {-1, -1}, e = 0, wstatus = 0, rc = 1, ended = 0;
	double deadline = timeout > 0 ? pp_monotonic() + timeout : 0;
	ssize_t n;
	pid_t pid;

	memset(hs, 0, sizeof *hs);
	if (outlen)
		*outlen = 0;
	if (!argv || !argv[0] || !*argv[0]) {
		hs->kind = PP_HOOK_CANNOT_RUN;
		snprintf(err, errlen, "no command");
		return -1;
	}
	if (pipe(pfd) < 0 || (out && pipe(ofd) < 0)) {
		hs->kind = PP_HOOK_CANNOT_RUN;
		snprintf(err, errlen, "cannot create pipe: %s",
			strerror(errno));
		return -1;
	}
	/* closed by a successful exec: the parent reads EOF */
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	if (out)
		fcntl(ofd[0], F_SETFD, FD_CLOEXEC);
	env = clean_environ();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		hs->kind = PP_HOOK_CANNOT_RUN;
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		if (out) {
			close(ofd[0]);
			close(ofd[1]);
		}
		free(env);
		return -1;
	}
	if (pid == 0)
		child(argv, env, pfd[1], ofd[1]);
	free(env);
	/* both sides set the group, so a kill never misses it */
	setpgid(pid, pid);
	close(pfd[1]);
	if (out)
		close(ofd[1]);
	do
		n = read(pfd[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof e) {
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		if (out)
			close(ofd[0]);
		hs->kind = PP_HOOK_CANNOT_RUN;
		hs->code = e;
		snprintf(err, errlen, "cannot run '%s': %s", argv[0],
			strerror(e));
		return -1;
	}
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
		rc = wait_until(pid, deadline, &wstatus, 1);
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
pp_hook_run(char *const argv[], double timeout, char *err, size_t errlen)
{
	struct pp_hook_status hs;

	return pp_hook_capture(argv, timeout, NULL, 0, NULL, &hs, err,
		errlen);
}
