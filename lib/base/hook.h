/* hook.c: running an operator-configured command safely */
#ifndef PP_HOOK_H
#define PP_HOOK_H

#include <stddef.h>

struct pp_strlist;

/* One placeholder: "{name}" in a template element becomes value. */
struct pp_hook_var {
	const char *name;
	const char *value;
};

/* Expands the placeholders inside each element of tmpl, element by
 * element (never joined into a shell string). Unknown placeholders are
 * left as they are. Returns a NULL-terminated argv the caller frees
 * with pp_hook_argv_free; NULL when tmpl is empty. */
char **pp_hook_argv(const struct pp_strlist *tmpl,
	const struct pp_hook_var *vars, size_t nvars);
void pp_hook_argv_free(char **argv);
/* argv as one line for logs, elements quoted where needed; caller
 * frees. */
char *pp_hook_describe(char *const argv[]);

/* Runs argv[0] (looked up in PATH, no shell) with stdin from /dev/null
 * and its stdout and stderr on our stderr (our stdout carries the
 * document), in its own process group, with the environment minus the
 * secrets (HCLOUD_TOKEN). After timeout seconds (<= 0: no limit), or
 * when we are told to stop (SIGTERM/SIGINT), the whole process group
 * gets SIGTERM and, 2 s later, SIGKILL.
 * Returns 0 when it exited with status 0; otherwise -1 with the reason
 * in err ("exit status 3", "killed by signal 9", "timed out after 5 s",
 * "cannot run 'x': No such file or directory"). */
int pp_hook_run(char *const argv[], double timeout, char *err,
	size_t errlen);

#endif
