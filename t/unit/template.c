/* template: renders a template file with values from the command line,
 * for tests of lib/base/template.c (and a seed for fuzzing it).
 *
 *   template FILE [NAME=VALUE | NAME+=ITEM | NAME[] | NAME!]...
 *
 * NAME=VALUE sets a value, NAME+=ITEM appends to a list, NAME[] declares
 * an empty list, NAME! declares a name without a value. Prints the
 * result; exits 2 with the error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

int
main(int argc, char **argv)
{
	struct pp_tvars *v;
	char err[512], *tmpl, *out;
	size_t len, olen;

	pp_setprogname(argv[0]);
	if (argc < 2)
		pp_die(PP_EXIT_USAGE, "usage: template FILE [NAME=VALUE | "
			"NAME+=ITEM | NAME[] | NAME!]...");
	tmpl = pp_read_file(argv[1], 1u << 20, &len);
	if (!tmpl)
		pp_die(PP_EXIT_USAGE, "cannot read '%s':", argv[1]);
	v = pp_tvars_new();
	for (int i = 2; i < argc; i++) {
		char *a = pp_xstrdup(argv[i]);
		char *eq = strchr(a, '=');
		size_t n = strlen(a);

		if (eq && eq > a && eq[-1] == '+') {
			eq[-1] = '\0';
			pp_tvars_add(v, a, eq + 1);
		} else if (eq) {
			*eq = '\0';
			pp_tvars_set(v, a, eq + 1);
		} else if (n > 2 && !strcmp(a + n - 2, "[]")) {
			a[n - 2] = '\0';
			pp_tvars_list(v, a);
		} else if (n > 1 && a[n - 1] == '!') {
			a[n - 1] = '\0';
			pp_tvars_set(v, a, NULL);
		} else {
			pp_die(PP_EXIT_USAGE, "bad argument '%s'", a);
		}
		free(a);
	}
	out = pp_template_render(tmpl, len, argv[1], v, &olen, err,
		sizeof err);
	pp_tvars_free(v);
	free(tmpl);
	if (!out)
		pp_die(PP_EXIT_USAGE, "%s", err);
	fwrite(out, 1, olen, stdout);
	pp_template_free(out);
	return pp_finish_stdout(PP_EXIT_OK);
}
