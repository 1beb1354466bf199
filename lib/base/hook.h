/* hook.c: the one process runner, for every operator-configured
 * command (drain.move_command, cloud_init.join_token_command) */
#ifndef PP_HOOK_H
#define PP_HOOK_H

#include <stddef.h>

/* One placeholder: "{name}" in a template element becomes value. */
struct pp_hook_var {
	const char *name;
	const char *value;
};

/* Expands the placeholders inside each of the n elements of tmpl,
 * element by element (never joined into a shell string). Unknown placeholders are
 * left as they are. Returns a NULL-terminated argv the caller frees
 * with pp_hook_argv_free; NULL when tmpl is empty. */
char **pp_hook_argv(char *const tmpl[], size_t n,
	const struct pp_hook_var *vars, size_t nvars);
void pp_hook_argv_free(char **argv);
/* argv as one line for logs, elements quoted where needed; caller
 * frees. */
char *pp_hook_describe(char *const argv[]);

/* Runs argv[0] (looked up in PATH, no shell) with stdin from /dev/null
 * and its stdout and stderr on our stderr (our stdout carries the
 * document), in its own process group, with the default dispositions of
 * SIGPIPE, SIGTERM and SIGINT and no signal blocked (SIGHUP as exec
 * leaves it: default, or ignored under nohup), with the
 * environment minus the secrets (HCLOUD_TOKEN). After timeout seconds
 * (<= 0: no limit), or
 * when we are told to stop (pp_interrupted()), the whole process group
 * gets SIGTERM and, 2 s later, SIGKILL.
 * Returns 0 when it exited with status 0; otherwise -1 with the reason
 * in err ("exit status 3", "killed by signal 9", "timed out after 5 s",
 * "cannot run 'x': No such file or directory"). */
int pp_hook_run(char *const argv[], double timeout, char *err,
	size_t errlen);
/* How a command ended, for callers that word their own messages. */
enum pp_hook_kind {
	PP_HOOK_OK, PP_HOOK_CANNOT_RUN, PP_HOOK_EXITED, PP_HOOK_SIGNALED,
	PP_HOOK_TIMED_OUT, PP_HOOK_TOO_LONG, PP_HOOK_INTERRUPTED
};
struct pp_hook_status {
	int kind;               /* enum pp_hook_kind */
	int code;               /* exit status, signal or errno */
};

/* The same, and while the command runs, once pp_monotonic() reaches at,
 * calls fn(arg) (once; not at all when the command ends first, nor
 * when fn is NULL). The timeout runs on meanwhile. pp-drain records the
 * moves already carried out this way while a slow hook runs.
 * The command inherits the nkeep descriptors keep (-1 entries are
 * skipped) as its descriptors 3, 4, ...: a flock(2) lock held on one
 * is then held for as long as the command, or anything it started that
 * keeps the descriptor, lives, even when we die first (pp-drain's node
 * and target locks outlive a SIGKILLed pp-drain while its hook runs).
 * hs, when not NULL, says how it ended: pp-drain tells a hook that
 * says it did not move (an exit status) from one whose outcome is
 * unknown (timed out, killed). */
int pp_hook_run_at(char *const argv[], double timeout, const int *keep,
	size_t nkeep, double at, void (*fn)(void *), void *arg,
	struct pp_hook_status *hs, char *err, size_t errlen);

/* The same, but when out is not NULL the command's stdout is captured
 * into out (at most max bytes, not terminated; *outlen its length):
 * it is read to its end, then the command has until the timeout to
 * exit. More than max bytes kills it (PP_HOOK_TOO_LONG). */
int pp_hook_capture(char *const argv[], double timeout, char *out,
	size_t max, size_t *outlen, struct pp_hook_status *hs, char *err,
	size_t errlen);

#endif
