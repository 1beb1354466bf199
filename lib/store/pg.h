/* pg.c: connections to PostgreSQL (the registry and the shared state
 * of two control hosts): URLs, passwords, errors and the schema */
#ifndef PP_PG_H
#define PP_PG_H

#include <stddef.h>
#include <libpq-fe.h>

/* The schema version share/sql/registry.sql makes, and the oldest this
 * build reads and writes: version 3 only adds CHECK constraints that
 * hold rows to the ranges the readers check anyway, so a version 2
 * database keeps working until its owner applies the file (an upgrade
 * of ppscale must not stop the pipeline for a migration it does not
 * need). */
#define PP_PG_SCHEMA_VERSION 3
#define PP_PG_SCHEMA_OLDEST 2

/* Whether s is a PostgreSQL URL (postgresql:// or postgres://). */
int pp_pg_is_url(const char *s);

/* Checks a URL before any connection: a password in it (user:pw@ or
 * password=) is refused, as it would sit in the config, in ps output
 * and in messages; it belongs in a password file (passfile= in the
 * URL, PGPASSFILE, or ~/.pgpass). 0, or -1 with a message in err. */
int pp_pg_check_url(const char *url, char *err, size_t errlen);

/* The URL as it may be shown: no user info, no query. Caller frees. */
char *pp_pg_shown(const char *url);

/* Connects (connect_timeout 10 s unless the URL sets one) and checks
 * the schema version. Returns the connection, or NULL with a message
 * in err and *code 1 (the server cannot be reached or refuses us:
 * exit 1) or 2 (a bad URL or schema: exit 2). */
PGconn *pp_pg_connect(const char *url, char *err, size_t errlen, int *code);

/* Runs one statement with text parameters. Returns the result when it
 * succeeded (PGRES_COMMAND_OK or PGRES_TUPLES_OK; the caller clears
 * it), else NULL with "what: the server's message" in err. */
PGresult *pp_pg_exec(PGconn *c, const char *what, const char *sql,
	int nparams, const char *const *params, char *err, size_t errlen);
/* The same for a statement whose result is not needed: 0 or -1. */
int pp_pg_run(PGconn *c, const char *what, const char *sql, int nparams,
	const char *const *params, char *err, size_t errlen);

/* A 64-bit advisory lock key for a name (FNV-1a), the same on every
 * host. */
long long pp_pg_lock_key(const char *space, const char *name);

#endif
