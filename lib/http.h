/* http.c: libcurl wrapper: timeouts, size caps */
#ifndef PP_HTTP_H
#define PP_HTTP_H

#include <stddef.h>

/* GETs url (http, https or file) with connect and total timeouts in
 * seconds, refusing answers above max bytes or with a status >= 400.
 * Returns the body (NUL-terminated, caller frees) or NULL with a
 * message in err. */
char *pp_http_get(const char *url, size_t max, double connect_timeout,
	double timeout, size_t *len, char *err, size_t errlen);

#endif
