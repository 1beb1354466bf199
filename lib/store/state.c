/* The state file: a JSON object, locked and replaced atomically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "store/pg.h"
#include "store/state.h"

#define MAX_BYTES (16u << 20)

static char *db_url, *db_pool;

void
pp_state_use_database(const char *url, const char *pool)
{
	free(db_url);
	free(db_pool);
	db_url = url && *url ? pp_xstrdup(url) : NULL;
	db_pool = pp_xstrdup(pool && *pool ? pool : "default");
}

const char *
pp_state_database(void)
{
	return db_url;
}

const char *
pp_state_pool(void)
{
	return db_pool ? db_pool : "default";
}

/* The pool's row: read in one statement, or (PP_LOCK_EX) made when
 * missing and held FOR UPDATE in a transaction until the save or the
 * close. */
static int
open_db(struct pp_state *s, int mode, char *err, size_t errlen)
{
	const char *p[1] = {db_pool};
	char *shown = pp_pg_shown(db_url);
	PGconn *c;
	PGresult *res;
	int code;

	free(s->path);
	s->path = pp_xasprintf("%s (pool %s)", shown, db_pool);
	free(shown);
	c = pp_pg_connect(db_url, err, errlen, &code);
	if (!c)
		return code == 1 ? -2 : -3;
	s->pg = c;
	if (mode == PP_LOCK_EX && (pp_pg_run(c, "cannot begin a "
	    "transaction", "BEGIN", 0, NULL, err, errlen) < 0 ||
	    pp_pg_run(c, "cannot set the lock timeout", "SET LOCAL "
	    "lock_timeout = '30s'", 0, NULL, err, errlen) < 0 ||
	    pp_pg_run(c, "cannot make the state's row", "INSERT INTO "
	    "ppscale_state (pool) VALUES ($1) ON CONFLICT (pool) DO "
	    "NOTHING", 1, p, err, errlen) < 0))
		return -2;
	res = pp_pg_exec(c, "cannot read the state", mode == PP_LOCK_EX ?
		"SELECT body::text FROM ppscale_state WHERE pool = $1 FOR "
		"UPDATE" : "SELECT body::text FROM ppscale_state WHERE pool = "
		"$1", 1, p, err, errlen);
	if (!res)
		return -2;
	if (PQntuples(res) == 1) {
		const char *t = PQgetvalue(res, 0, 0);

		s->root = pp_state_parse(t, strlen(t), s->path, err, errlen);
	} else {
		s->root = json_object_new_object();
	}
	PQclear(res);
	if (!s->root)
		return -1;
	if (!pp_jget(s->root, "version"))
		json_object_object_add(s->root, "version",
			json_object_new_int(PP_STATE_VERSION));
	if (mode != PP_LOCK_EX) {
		PQfinish(c);
		s->pg = NULL;
	}
	return 0;
}

static int
save_db(struct pp_state *s)
{
	const char *p[2] = {db_pool, pp_json_string(s->root, 0)};
	char err[768];
	PGconn *c = s->pg;

	if (PQtransactionStatus(c) != PQTRANS_INTRANS) {
		errno = EBADF;
		return -1;
	}
	if (pp_pg_run(c, "cannot write the state", "UPDATE ppscale_state "
	    "SET body = $2::jsonb, updated_at = now() WHERE pool = $1", 2, p,
	    err, sizeof err) < 0 ||
	    pp_pg_run(c, "cannot commit the state", "COMMIT", 0, NULL, err,
	    sizeof err) < 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		pp_warn("state '%s': %s", s->path, err);
		errno = EIO;
		return -1;
	}
	/* held again, for a later save of the same open */
	if (pp_pg_run(c, "cannot lock the state again", "BEGIN", 0, NULL,
	    err, sizeof err) < 0 || pp_pg_run(c, "cannot lock the state "
	    "again", "SELECT 1 FROM ppscale_state WHERE pool = $1 FOR UPDATE",
	    1, p, err, sizeof err) < 0)
		pp_warn("state '%s': %s", s->path, err);
	return 0;
}

static void
close_db(struct pp_state *s)
{
	if (!s->pg)
		return;
	if (PQtransactionStatus(s->pg) != PQTRANS_IDLE)
		PQclear(PQexec(s->pg, "ROLLBACK"));
	PQfinish(s->pg);
	s->pg = NULL;
}

json_object *
pp_state_parse(const char *text, size_t len, const char *name, char *err,
	size_t errlen)
{
	char jerr[256];
	json_object *o = pp_json_parse(text, len, jerr, sizeof jerr);
	json_object *v;

	if (!o) {
		snprintf(err, errlen, "state file '%s' is corrupt: %s (pp-decide "
			"--reset-state starts it afresh)", name, jerr);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "state file '%s' is corrupt: not a "
			"JSON object (pp-decide --reset-state starts it "
			"afresh)", name);
		json_object_put(o);
		return NULL;
	}
	v = pp_jget(o, "version");
	if (v && (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) > PP_STATE_VERSION)) {
		snprintf(err, errlen, "state file '%s' has unsupported "
			"version '%s'", name, json_object_get_string(v));
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A failed open owns nothing: the caller need not close it. */
static int
failed(struct pp_state *s, int rc)
{
	close_db(s);
	json_object_put(s->root);
	s->root = NULL;
	pp_unlock(&s->lock);
	free(s->path);
	s->path = NULL;
	return rc;
}

int
pp_state_open(struct pp_state *s, const char *path, int mode, char *err,
	size_t errlen)
{
	size_t len;
	char *text;

	memset(s, 0, sizeof *s);
	s->lock.fd = -1;
	s->path = pp_xstrdup(path);
	if (db_url) {
		int rc = open_db(s, mode, err, errlen);

		return rc < 0 ? failed(s, rc) : 0;
	}
	if (mode == PP_LOCK_EX) {
		char *dir = pp_dirname(path);

		if (pp_mkdirs(dir, 0755) < 0) {
			snprintf(err, errlen, "cannot create state directory "
				"'%s': %s", dir, strerror(errno));
			free(dir);
			return failed(s, -2);
		}
		free(dir);
	}
	/* Never read or write without the lock: a lock file that
	 * cannot be opened (another user's, 0600; a read-only file
	 * system) is an error that names it, like the registry's. Only
	 * a state file that does not exist, nor its directory, falls
	 * through, for reading to find it missing. */
	if ((mode == PP_LOCK_EX || access(path, F_OK) == 0) &&
	    pp_lock(&s->lock, path, mode ? mode : PP_LOCK_SH, 30) < 0) {
		int e = errno;
		int late = e == ETIMEDOUT || e == EINTR;

		if (late || e != ENOENT || access(path, F_OK) == 0) {
			char *lp = pp_lock_name(path);

			snprintf(err, errlen, "cannot lock state file '%s': "
				"lock file '%s': %s", path, lp,
				pp_lock_strerror(e));
			free(lp);
			return failed(s, late ? -2 : -3);
		}
	}
	text = pp_read_file(path, MAX_BYTES, &len);
	if (!text) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "cannot read state file '%s': "
				"%s", path, strerror(errno));
			return failed(s, -1);
		}
		s->root = json_object_new_object();
		json_object_object_add(s->root, "version",
			json_object_new_int(PP_STATE_VERSION));
	} else {
		s->root = pp_state_parse(text, len, path, err, errlen);
		free(text);
		if (!s->root)
			return failed(s, -1);
	}
	if (!mode)
		pp_unlock(&s->lock);
	return 0;
}

int
pp_state_snapshot(const char *path, json_object **root, char *err,
	size_t errlen)
{
	struct pp_state st;
	size_t len;
	char *text;

	*root = NULL;
	if (db_url) {
		/* a plain read: a row held FOR UPDATE does not block it */
		if (pp_state_open(&st, path, 0, err, errlen) < 0)
			return -1;
		*root = json_object_get(st.root);
		pp_state_close(&st);
		return 0;
	}
	text = pp_read_file(path, MAX_BYTES, &len);
	if (!text) {
		if (errno == ENOENT) {
			*root = json_object_new_object();
			return 0;
		}
		snprintf(err, errlen, "cannot read state file '%s': %s", path,
			strerror(errno));
		return -1;
	}
	*root = pp_state_parse(text, len, path, err, errlen);
	free(text);
	return *root ? 0 : -1;
}

int
pp_state_peek(const char *path, char *err, size_t errlen)
{
	json_object *o;

	if (db_url)
		return 0;
	if (pp_state_snapshot(path, &o, err, errlen) < 0)
		return -1;
	json_object_put(o);
	return 0;
}

int
pp_state_save(struct pp_state *s)
{
	const char *text;

	if (s->pg)
		return save_db(s);
	text = pp_json_string(s->root, 1);
	return pp_write_atomic(s->path, text, strlen(text), 0644);
}

void
pp_state_close(struct pp_state *s)
{
	close_db(s);
	json_object_put(s->root);
	s->root = NULL;
	pp_unlock(&s->lock);
	free(s->path);
	s->path = NULL;
}

json_object *
pp_state_section(struct pp_state *s, const char *name)
{
	json_object *o = pp_jget(s->root, name);

	if (!o || !json_object_is_type(o, json_type_object)) {
		o = json_object_new_object();
		json_object_object_add(s->root, name, o);
	}
	return o;
}
