/* Connections to PostgreSQL: the URL checked for secrets before it is
 * used, libpq's messages on one line, and the schema version. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/datadir.h"
#include "base/util.h"
#include "store/pg.h"

int
pp_pg_is_url(const char *s)
{
	return pp_url_is(s, "postgresql") || pp_url_is(s, "postgres");
}

/* libpq's messages end in a newline and may hold several lines */
static void
one_line(char *dst, size_t len, const char *src)
{
	size_t j = 0;

	for (; src && *src && j + 1 < len; src++) {
		if (*src == '\n' || *src == '\r' || *src == '\t') {
			if (src[1] && j > 0 && dst[j - 1] != ' ')
				dst[j++] = ' ';
		} else {
			dst[j++] = *src;
		}
	}
	while (j > 0 && dst[j - 1] == ' ')
		j--;
	dst[j] = '\0';
}

char *
pp_pg_shown(const char *url)
{
	const char *p = strstr(url, "://");
	const char *host, *end, *at = NULL;

	if (!p)
		return pp_xstrdup("(database)");
	host = p + 3;
	/* the last '@' before the path ends user:password, as libpq
	 * reads it: '?' and '#' may stand in the password */
	end = host + strcspn(host, "/");
	for (const char *q = host; q < end; q++)
		if (*q == '@')
			at = q;
	if (at)
		host = at + 1;
	end = host + strcspn(host, "?#");
	return pp_xasprintf("%.*s://%.*s", (int)(p - url), url,
		(int)(end - host), host);
}

/* Whether a URL libpq cannot parse may hold a password: libpq's
 * message quotes the token it stopped at, or the whole URL. */
static int
may_hold_password(const char *url)
{
	const char *p = strstr(url, "://");
	size_t n;

	if (p) {
		p += 3;
		n = strcspn(p, "@/");
		if (p[n] == '@' && memchr(p, ':', n))
			return 1;
	}
	for (p = url; *p; p++)
		if (*p == '%' || !strncasecmp(p, "password", 8))
			return 1;
	return 0;
}

int
pp_pg_check_url(const char *url, char *err, size_t errlen)
{
	char *msg = NULL, line[512];
	/* libpq takes the scheme in lower case only: another would be
	 * read as a key=value string, and its message quote the URL */
	char *lower = pp_url_lower(url);
	PQconninfoOption *opts = PQconninfoParse(lower, &msg);
	char *shown = pp_pg_shown(url);

	free(lower);
	int rc = 0;

	if (!opts) {
		if (may_hold_password(url))
			snprintf(line, sizeof line, "libpq cannot parse it "
				"(its message is not shown: it may quote a "
				"password)");
		else
			one_line(line, sizeof line, msg ? msg :
				"out of memory");
		snprintf(err, errlen, "bad database URL '%s': %s", shown,
			line);
		PQfreemem(msg);
		free(shown);
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "password")) {
			snprintf(err, errlen, "database URL '%s' holds a "
				"password: put it in a password file "
				"(passfile= in the URL, or PGPASSFILE) instead",
				shown);
			rc = -1;
		} else if (!strcmp(o->keyword, "sslpassword")) {
			/* the URL is shown whole in messages */
			snprintf(err, errlen, "database URL '%s' holds the "
				"client key's password (sslpassword): use a "
				"service file (service= in the URL) instead",
				shown);
			rc = -1;
		}
	}
	PQconninfoFree(opts);
	free(shown);
	return rc;
}

PGresult *
pp_pg_exec(PGconn *c, const char *what, const char *sql, int nparams,
	const char *const *params, char *err, size_t errlen)
{
	PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL,
		NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	char line[512];

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	one_line(line, sizeof line, res && PQresultErrorMessage(res)[0] ?
		PQresultErrorMessage(res) : PQerrorMessage(c));
	snprintf(err, errlen, "%s: %s", what, line);
	PQclear(res);
	return NULL;
}

int
pp_pg_run(PGconn *c, const char *what, const char *sql, int nparams,
	const char *const *params, char *err, size_t errlen)
{
	PGresult *res = pp_pg_exec(c, what, sql, nparams, params, err,
		errlen);

	PQclear(res);
	return res ? 0 : -1;
}

static int
check_schema(PGconn *c, const char *shown, char *err, size_t errlen)
{
	PGresult *res = PQexec(c, "SELECT version FROM ppscale_schema");
	const char *state;
	char line[512];
	long v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		one_line(line, sizeof line, PQresultErrorMessage(res));
		if (state && !strcmp(state, "42P01"))
			snprintf(err, errlen, "database '%s' has no ppscale "
				"schema: apply %s/registry.sql to it (psql "
				"-v ON_ERROR_STOP=1 -f registry.sql)", shown,
				pp_datadir());
		else
			snprintf(err, errlen, "database '%s': cannot read the "
				"schema version: %s", shown, line);
		PQclear(res);
		return -1;
	}
	v = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) :
		0;
	PQclear(res);
	if (v > PP_PG_SCHEMA_VERSION) {
		snprintf(err, errlen, "database '%s' has schema version %ld, "
			"newer than this ppscale knows (%d): upgrade ppscale",
			shown, v, PP_PG_SCHEMA_VERSION);
		return -1;
	}
	if (v < PP_PG_SCHEMA_OLDEST) {
		snprintf(err, errlen, "database '%s' has schema version %ld, "
			"this ppscale needs %d or later: apply %s/registry.sql "
			"again (it migrates in place to %d)", shown, v,
			PP_PG_SCHEMA_OLDEST, pp_datadir(),
			PP_PG_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

PGconn *
pp_pg_connect(const char *url, char *err, size_t errlen, int *code)
{
	/* later entries win: the URL's own settings override. TCP
	 * keepalives notice a dead peer in about 25 s (pp-cycle's lock is
	 * the session: it must learn when the session is gone). */
	const char *const keys[] = {"connect_timeout", "application_name",
		"keepalives", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "dbname", NULL};
	const char *vals[] = {"10", "ppscale", "1", "10", "5", "3", NULL,
		NULL};
	char line[512], *shown, *lower;
	PGconn *c;

	*code = 2;
	if (pp_pg_check_url(url, err, errlen) < 0)
		return NULL;
	shown = pp_pg_shown(url);
	/* as pp_pg_check_url: libpq's scheme is lower case */
	lower = pp_url_lower(url);
	vals[6] = lower;
	c = PQconnectdbParams(keys, vals, 1);
	free(lower);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		one_line(line, sizeof line, c ? PQerrorMessage(c) :
			"out of memory");
		snprintf(err, errlen, "cannot connect to database '%s': %s",
			shown, line);
		PQfinish(c);
		free(shown);
		*code = 1;
		return NULL;
	}
	if (check_schema(c, shown, err, errlen) < 0) {
		/* a lost connection is the server's fault, not the URL's */
		*code = PQstatus(c) == CONNECTION_OK ? 2 : 1;
		PQfinish(c);
		free(shown);
		return NULL;
	}
	free(shown);
	return c;
}

long long
pp_pg_lock_key(const char *space, const char *name)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *s = space; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ 0) * 1099511628211ull;
	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (long long)(h & 0x7fffffffffffffffull);
}
