/* pp_http_retry_class for answers the fake cannot give (HTTP/2 stream
 * errors, a failed TLS handshake) and those it can: each argument is
 * "curl:N" (a CURLcode, no answer) or "http:STATUS[:code]" (an answer
 * with the API's error code); prints no, safe or ambiguous, one line
 * each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"
#include "base/http.h"

int
main(int argc, char **argv)
{
	static const char *names[] = {"no", "safe", "ambiguous"};

	for (int i = 1; i < argc; i++) {
		struct pp_http_resp r;
		const char *a = argv[i], *code = NULL;
		char *end;
		int cls;

		memset(&r, 0, sizeof r);
		if (!strncmp(a, "curl:", 5)) {
			r.curl_code = (int)strtol(a + 5, &end, 10);
		} else if (!strncmp(a, "http:", 5)) {
			r.status = strtol(a + 5, &end, 10);
			if (*end == ':')
				code = end + 1;
		} else {
			fprintf(stderr, "retryclass: bad argument '%s'\n", a);
			return 2;
		}
		cls = pp_http_retry_class(&r, code);
		if (cls < 0 || cls > 2)
			return 3;
		printf("%s %s\n", a, names[cls]);
	}
	return 0;
}
