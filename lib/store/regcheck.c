/* Checks on the registry's ids and addresses. The registry is written
 * by another party (the platform), and what it holds ends up as
 * arguments of the move hook and in file names: an ip "-oProxyCommand=…"
 * or an id "../x" must be refused when read, not quoted later. */
#include <arpa/inet.h>
#include <string.h>

#include "store/regcheck.h"

int
pp_regcheck_id(const char *s)
{
	if (!s || !*s || *s == '-' || !strcmp(s, ".") || !strcmp(s, ".."))
		return -1;
	for (const char *p = s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-')
			continue;
		return -1;
	}
	return 0;
}

int
pp_regcheck_ip(const char *s)
{
	unsigned char buf[16];

	if (!s)
		return -1;
	if (inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1)
		return 0;
	return -1;
}
