/* doccat: reads the pipe document the way every tool does and writes it
 * back; exercises lib/doc/doc.c from the tests. */
#include "pp.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: doccat [-p]\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {PP_COMMON_LONGOPTS,
		{0, 0, 0, 0}};
	json_object *doc;
	int c, status = 0;

	pp_setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, PP_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1)
		if (!pp_common_opt(c, optarg, usage))
			pp_usage_error(usage);
	doc = pp_doc_read();
	if (pp_doc_write(doc, pp_pretty()) < 0)
		status = 1;
	json_object_put(doc);
	return pp_finish_stdout(status);
}
