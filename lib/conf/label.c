/* Label keys and values with Hetzner's syntax: here, below lib/cloud, so
 * that the config check can hold a config to them too. */
#include <ctype.h>
#include <string.h>

#include "conf/label.h"

static int
name_valid(const char *s, size_t n)
{
	if (n < 1 || n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

/* A DNS subdomain: dot-separated lower-case labels. */
static int
prefix_valid(const char *s, size_t n)
{
	size_t start = 0;

	if (n < 1 || n > 253)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!islower((unsigned char)s[i]) &&
			    !isdigit((unsigned char)s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		if (i == start || i - start > 63 || s[start] == '-' ||
		    s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

int
pp_label_key_valid(const char *k)
{
	const char *slash = strchr(k, '/');

	if (!slash)
		return name_valid(k, strlen(k));
	return prefix_valid(k, (size_t)(slash - k)) &&
		name_valid(slash + 1, strlen(slash + 1));
}

int
pp_label_value_valid(const char *v)
{
	return !*v || name_valid(v, strlen(v));
}

int
pp_label_key_reserved(const char *k)
{
	return !strncmp(k, PP_LABEL_RESERVED, strlen(PP_LABEL_RESERVED));
}
