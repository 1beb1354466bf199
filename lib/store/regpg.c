/* The registry in PostgreSQL: the rows read as the registry's JSON (so
 * the index, the checks and every caller are the file's), and an edit
 * written back as the row changes it makes, in one transaction that
 * holds the rows it read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "store/pg.h"
#include "store/registry.h"
#include "store/regpg.h"

#define LOCK_TIMEOUT "30s"

struct pp_regpg {
	PGconn *c;
	int mode;
	int broken;           /* a save failed: nothing more is written */
	json_object *before;  /* the registry as read, to diff against */
};

/* The rows as one registry document. A node's unknown fields live in
 * extra (those of its cloud object under "_cloud"); the columns that
 * are null are left out, as the file leaves them out, but a null the
 * platform wrote into a field of its own stays (the unknown fields
 * are kept as they are). */
static const char read_sql[] =
	"SELECT jsonb_build_object('version', 1, 'nodes', coalesce(("
	" SELECT jsonb_agg(x.o ORDER BY x.seq) FROM (SELECT n.seq,"
	"  (n.extra - '_cloud') || jsonb_strip_nulls(jsonb_build_object("
	"   'id', n.id, 'kind', n.kind, 'status', n.status, 'role', n.role,"
	"   'total_ram_mb', n.total_ram_mb,"
	"   'reserved_ram_mb', n.reserved_ram_mb, 'ip', host(n.ip),"
	"   'location', n.location)) || jsonb_build_object("
	"   'labels', n.labels,"
	"   'containers', coalesce((SELECT jsonb_agg(c.extra ||"
	"    jsonb_strip_nulls(jsonb_build_object('id', c.id,"
	"    'ram_mb', c.ram_mb, 'state', c.state, 'players', c.players))"
	"    ORDER BY c.seq)"
	"    FROM ppscale_containers c WHERE c.node_id = n.id),"
	"    '[]'::jsonb))"
	"  || CASE WHEN n.kind = 'cloud' AND (n.provider IS NOT NULL"
	"    OR n.server_id IS NOT NULL OR n.server_name IS NOT NULL"
	"    OR n.server_type IS NOT NULL OR n.created_at IS NOT NULL"
	"    OR n.extra ? '_cloud') THEN jsonb_build_object('cloud',"
	"    jsonb_strip_nulls(jsonb_build_object("
	"    'provider', n.provider, 'server_id', n.server_id,"
	"    'server_type', n.server_type, 'server_name', n.server_name,"
	"    'hourly_cost_eur', n.hourly_cost_eur,"
	"    'created_at', to_char(n.created_at AT TIME ZONE 'UTC',"
	"     'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')))"
	"    || coalesce(n.extra -> '_cloud', '{}'::jsonb))"
	"   ELSE '{}'::jsonb END AS o"
	" FROM ppscale_nodes n) x), '[]'::jsonb))::text";

/* A node's columns from its JSON ($1); the same list for INSERT and
 * UPDATE. */
#define NODE_COLS "kind, status, role, total_ram_mb, reserved_ram_mb, " \
	"ip, location, labels, provider, server_id, server_name, " \
	"server_type, hourly_cost_eur, created_at, extra, updated_at"
#define CLOUD_KEYS "ARRAY['provider', 'server_id', 'server_name', " \
	"'server_type', 'hourly_cost_eur', 'created_at']"
#define NODE_VALS "j->>'kind', j->>'status', " \
	"coalesce(j->>'role', 'worker'), (j->>'total_ram_mb')::bigint, " \
	"coalesce((j->>'reserved_ram_mb')::bigint, 0), (j->>'ip')::inet, " \
	"j->>'location', CASE WHEN jsonb_typeof(j->'labels') = 'object' " \
	"THEN j->'labels' ELSE '{}'::jsonb END, " \
	"j->'cloud'->>'provider', j->'cloud'->>'server_id', " \
	"j->'cloud'->>'server_name', j->'cloud'->>'server_type', " \
	"(j->'cloud'->>'hourly_cost_eur')::numeric, " \
	"(j->'cloud'->>'created_at')::timestamptz, " \
	"(j - ARRAY['id', 'kind', 'status', 'role', 'total_ram_mb', " \
	"'reserved_ram_mb', 'ip', 'location', 'labels', 'cloud', " \
	"'containers']) || CASE WHEN jsonb_typeof(j->'cloud') = 'object' " \
	"AND ((j->'cloud') - " CLOUD_KEYS ") <> '{}'::jsonb THEN " \
	"jsonb_build_object('_cloud', (j->'cloud') - " CLOUD_KEYS ") " \
	"ELSE '{}'::jsonb END, now()"

static const char insert_node_sql[] =
	"WITH s AS (SELECT $1::jsonb AS j) INSERT INTO ppscale_nodes "
	"(id, " NODE_COLS ") SELECT j->>'id', " NODE_VALS " FROM s";
static const char update_node_sql[] =
	"WITH s AS (SELECT $1::jsonb AS j) UPDATE ppscale_nodes SET "
	"(" NODE_COLS ") = (SELECT " NODE_VALS " FROM s) "
	"WHERE id = (SELECT j->>'id' FROM s)";
static const char upsert_container_sql[] =
	"WITH s AS (SELECT $1::jsonb AS j) INSERT INTO ppscale_containers "
	"(id, node_id, ram_mb, state, players, extra) SELECT j->>'id', $2, "
	"(j->>'ram_mb')::bigint, j->>'state', "
	"coalesce((j->>'players')::integer, 0), "
	"j - ARRAY['id', 'ram_mb', 'state', 'players'] FROM s "
	"ON CONFLICT (id) DO UPDATE SET node_id = EXCLUDED.node_id, "
	"ram_mb = EXCLUDED.ram_mb, state = EXCLUDED.state, "
	"players = EXCLUDED.players, extra = EXCLUDED.extra";
static const char delete_container_sql[] =
	"DELETE FROM ppscale_containers WHERE id = $1 AND node_id = $2";
static const char delete_node_sql[] =
	"DELETE FROM ppscale_nodes WHERE id = $1";

/* -1 for a bad answer, -2 for the server (gone, or a lock not had) */
static int
db_fault(PGconn *c)
{
	return PQstatus(c) == CONNECTION_OK ? -1 : -2;
}

/* ppscale's writer lock, then every row FOR UPDATE, in a transaction
 * that lasts until the save's commit or the close */
static int
lock_rows(PGconn *c, char *err, size_t errlen)
{
	char key[32];
	const char *p[1] = {key};
	PGresult *res;

	snprintf(key, sizeof key, "%lld",
		pp_pg_lock_key("ppscale", "registry"));
	if (pp_pg_run(c, "cannot begin a transaction", "BEGIN", 0, NULL,
	    err, errlen) < 0)
		return -2;
	/* the locks are the session's: a server's or role's
	 * idle_in_transaction_session_timeout would end it, and let the
	 * platform in, while pp-provision holds a node across a delete */
	if (pp_pg_run(c, "cannot set the lock timeout",
	    "SELECT set_config('lock_timeout', '" LOCK_TIMEOUT "', true), "
	    "set_config('idle_in_transaction_session_timeout', '0', true)",
	    0, NULL, err, errlen) < 0)
		return -2;
	res = pp_pg_exec(c, "cannot lock the registry (another ppscale "
		"holds it)", "SELECT pg_advisory_xact_lock($1::bigint)", 1, p,
		err, errlen);
	if (!res)
		return -2;
	PQclear(res);
	res = pp_pg_exec(c, "cannot lock the registry's rows",
		"SELECT count(*) FROM (SELECT 1 FROM ppscale_nodes FOR UPDATE) "
		"n, (SELECT count(*) FROM (SELECT 1 FROM ppscale_containers "
		"FOR UPDATE) c0) c", 0, NULL, err, errlen);
	if (!res)
		return -2;
	PQclear(res);
	return 0;
}

/* The rows as registry text (malloc'd), or NULL */
static char *
read_rows(PGconn *c, size_t *len, char *err, size_t errlen)
{
	PGresult *res = pp_pg_exec(c, "cannot read the registry", read_sql,
		0, NULL, err, errlen);
	char *text;

	if (!res)
		return NULL;
	*len = (size_t)PQgetlength(res, 0, 0);
	text = pp_xmalloc(*len + 1);
	memcpy(text, PQgetvalue(res, 0, 0), *len + 1);
	PQclear(res);
	return text;
}

/* Indexes text into r (which holds nothing) and keeps it as "before" */
static int
take(struct pp_registry *r, struct pp_regpg *pg, const char *url,
	const char *text, size_t len, char *err, size_t errlen)
{
	char *shown = pp_pg_shown(url);
	int rc;

	r->path = pp_xstrdup(url);
	rc = pp_registry_parse(r, text, len, shown, err, errlen);
	free(shown);
	json_object_put(pg->before);
	pg->before = pp_json_parse(text, len, NULL, 0);
	return rc < 0 ? -1 : 0;
}

int
pp_regpg_open(struct pp_registry *r, const char *url, int mode, char *err,
	size_t errlen)
{
	struct pp_regpg *pg = pp_xcalloc(1, sizeof *pg);
	char *text = NULL;
	size_t len = 0;
	int code, rc;

	free(r->path);
	r->path = NULL;
	pg->mode = mode;
	pg->c = pp_pg_connect(url, err, errlen, &code);
	if (!pg->c) {
		free(pg);
		r->path = pp_xstrdup(url);
		return code == 1 ? -2 : -1;
	}
	rc = mode == PP_LOCK_EX ? lock_rows(pg->c, err, errlen) : 0;
	if (rc == 0) {
		text = read_rows(pg->c, &len, err, errlen);
		rc = text ? 0 : db_fault(pg->c);
	}
	if (rc == 0)
		rc = take(r, pg, url, text, len, err, errlen);
	free(text);
	if (!r->path)
		r->path = pp_xstrdup(url);
	r->pg = pg;
	return rc;
}

/* node ids to their objects, and game-server ids to their nodes */
static void
index_doc(json_object *doc, json_object *nodes, json_object *where)
{
	json_object *list = pp_jget(doc, "nodes");
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *node = json_object_array_get_idx(list, i);
		json_object *cs = pp_jget(node, "containers");
		const char *id = pp_jstr(node, "id", NULL);
		size_t nc = cs ? json_object_array_length(cs) : 0;

		if (!id)
			continue;
		json_object_object_add(nodes, id, json_object_get(node));
		for (size_t k = 0; k < nc; k++) {
			json_object *c = json_object_array_get_idx(cs, k);
			const char *cid = pp_jstr(c, "id", NULL);

			if (cid)
				json_object_object_add(where, cid,
					json_object_new_string(id));
		}
	}
}

/* the container cid of node id in a document's node map, or NULL */
static json_object *
container(json_object *nodes, const char *id, const char *cid)
{
	json_object *cs = pp_jget(pp_jget(nodes, id), "containers");
	size_t nc = cs ? json_object_array_length(cs) : 0;

	for (size_t k = 0; k < nc; k++) {
		json_object *c = json_object_array_get_idx(cs, k);

		if (!strcmp(pp_jstr(c, "id", ""), cid))
			return c;
	}
	return NULL;
}

/* a node's own fields equal, its game servers aside */
static int
same_node(json_object *a, json_object *b)
{
	json_object_object_foreach(a, k, va) {
		json_object *vb;

		if (!strcmp(k, "containers"))
			continue;
		if (!json_object_object_get_ex(b, k, &vb) ||
		    !json_object_equal(va, vb))
			return 0;
	}
	json_object_object_foreach(b, kb, vb2) {
		(void)vb2;
		if (strcmp(kb, "containers") && !pp_jget(a, kb))
			return 0;
	}
	return 1;
}

static const char *
text_of(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

/* The row changes from before to after, in an order the foreign key
 * takes: nodes added and changed, game servers placed and moved, game
 * servers gone, nodes gone (which fails while a game server is still
 * recorded on one). */
static int
write_diff(PGconn *c, json_object *before, json_object *after, char *err,
	size_t errlen)
{
	json_object *bn = json_object_new_object();
	json_object *an = json_object_new_object();
	json_object *bw = json_object_new_object();
	json_object *aw = json_object_new_object();
	int rc = 0;

	index_doc(before, bn, bw);
	index_doc(after, an, aw);
	json_object_object_foreach(an, id, node) {
		json_object *old = pp_jget(bn, id);
		const char *p[1] = {text_of(node)};

		if (rc == 0 && !old)
			rc = pp_pg_run(c, "cannot add node", insert_node_sql,
				1, p, err, errlen);
		else if (rc == 0 && !same_node(old, node))
			rc = pp_pg_run(c, "cannot update node",
				update_node_sql, 1, p, err, errlen);
	}
	json_object_object_foreach(aw, cid, at) {
		const char *nid = json_object_get_string(at);
		json_object *now = container(an, nid, cid);
		json_object *was = pp_jget(bw, cid);
		const char *p[2] = {text_of(now), nid};

		if (rc == 0 && (!was ||
		    strcmp(json_object_get_string(was), nid) ||
		    !json_object_equal(container(bn, nid, cid), now)))
			rc = pp_pg_run(c, "cannot record game server",
				upsert_container_sql, 2, p, err, errlen);
	}
	json_object_object_foreach(bw, bcid, bat) {
		const char *p[2] = {bcid, json_object_get_string(bat)};

		if (rc == 0 && !pp_jget(aw, bcid))
			rc = pp_pg_run(c, "cannot remove game server",
				delete_container_sql, 2, p, err, errlen);
	}
	json_object_object_foreach(bn, bid, bnode) {
		const char *p[1] = {bid};

		(void)bnode;
		if (rc == 0 && !pp_jget(an, bid))
			rc = pp_pg_run(c, "cannot remove node",
				delete_node_sql, 1, p, err, errlen);
	}
	json_object_put(bn);
	json_object_put(an);
	json_object_put(bw);
	json_object_put(aw);
	return rc;
}

int
pp_regpg_save(struct pp_registry *r)
{
	struct pp_regpg *pg = r->pg;
	char err[1024], *out = NULL, *text = NULL, *url;
	json_object *after;
	size_t len = 0;
	int rc;

	if (pg->broken || pg->mode != PP_LOCK_EX ||
	    PQtransactionStatus(pg->c) != PQTRANS_INTRANS) {
		errno = EBADF;
		return -1;
	}
	if (pp_registry_apply(r, &out, &len) < 0) {
		free(out);
		errno = EINVAL;
		return -1;
	}
	after = pp_json_parse(out, len, NULL, 0);
	free(out);
	rc = after ? write_diff(pg->c, pg->before, after, err, sizeof err) :
		-1;
	json_object_put(after);
	if (rc == 0)
		rc = pp_pg_run(pg->c, "cannot commit", "COMMIT", 0, NULL, err,
			sizeof err);
	if (rc < 0) {
		PQclear(PQexec(pg->c, "ROLLBACK"));
		pg->broken = 1;
		pp_warn("registry '%s': %s", r->path, err);
		errno = EIO;
		return -1;
	}
	/* committed: hold the rows again and read what they are now,
	 * the platform's changes since included */
	rc = lock_rows(pg->c, err, sizeof err);
	if (rc == 0)
		text = read_rows(pg->c, &len, err, sizeof err);
	url = pp_xstrdup(r->path);
	r->pg = NULL;
	pp_registry_close(r);
	memset(r, 0, sizeof *r);
	r->lock.fd = -1;
	if (text)
		rc = take(r, pg, url, text, len, err, sizeof err);
	else
		rc = -1;
	r->pg = pg;
	if (!r->path)
		r->path = pp_xstrdup(url);
	free(url);
	free(text);
	if (rc < 0) {
		/* the edit is in; only the re-reading failed */
		pg->broken = 1;
		pp_warn("registry '%s': saved, then %s", r->path, err);
	}
	return 0;
}

void
pp_regpg_close(struct pp_registry *r)
{
	struct pp_regpg *pg = r->pg;

	if (!pg)
		return;
	if (PQtransactionStatus(pg->c) != PQTRANS_IDLE)
		PQclear(PQexec(pg->c, "ROLLBACK"));
	PQfinish(pg->c);
	json_object_put(pg->before);
	free(pg);
	r->pg = NULL;
}
