/* pp_format_time keeps the last time it formatted: each argument (Unix
 * seconds) is formatted into a full buffer and printed, so a stale or
 * half-kept answer shows. A "short:" prefix formats into a buffer one
 * byte too short and prints "-" when the call left it empty, as
 * strftime does. "zone:TZ:T" prints pp_zone_offset(TZ, T) in seconds,
 * which keeps its own memory of days between calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char buf[PP_TIME_LEN], small[20];
		const char *a = argv[i];

		if (!strncmp(a, "zone:", 5) && strrchr(a, ':') > a + 5) {
			const char *c = strrchr(a, ':');
			char tz[128];

			snprintf(tz, sizeof tz, "%.*s", (int)(c - a - 5), a + 5);
			printf("%ld\n", pp_zone_offset(tz,
				(time_t)strtoll(c + 1, NULL, 10)));
			continue;
		}
		if (!strncmp(a, "short:", 6)) {
			memset(small, 0, sizeof small);
			pp_format_time((time_t)strtoll(a + 6, NULL, 10), small,
				sizeof small);
			printf("%s\n", small[0] ? small : "-");
			continue;
		}
		printf("%s\n", pp_format_time((time_t)strtoll(a, NULL, 10),
			buf, sizeof buf));
	}
	return 0;
}
