/* The main() of the replayers t/unit/fuzz_NAME.c: each includes one
 * harness and this, and runs the harness once per file named on the
 * command line, so the seed corpus and every finding's input replay in
 * `make check` (and under ASan/UBSan with SANITIZE=1, under valgrind
 * with `make valgrind`) without clang or libFuzzer. Prints one line
 * per file; a crash or sanitizer report ends the run. */
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		size_t len;
		char *data = pp_read_file(argv[i], 1u << 24, &len);

		if (!data) {
			fprintf(stderr, "cannot read '%s'\n", argv[i]);
			return 2;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		free(data);
		printf("ok %s\n", argv[i]);
	}
	return 0;
}
