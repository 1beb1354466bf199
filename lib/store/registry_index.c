/* The node registry: check and index (see also registry_scan.c,
 * registry_file.c, registry_edit.c).
 *
 * The file's text is the truth: the strict scanner (base/jscan.c)
 * reads it into the index in one pass without a JSON tree, and an edit
 * rewrites the text of the nodes it touches only, so unknown fields and
 * the file's layout survive and a big fleet costs its text, not a tree
 * 20 times its size. json-c stays the judge: a text the scanner does
 * not take (invalid JSON, an escaped key, deep nesting, a number
 * outside 18 digits) is parsed by json-c into a tree as before, a
 * string with an escape is decoded by json-c, and one index function
 * reads both, so they agree on every field and message
 * (t/fuzz/registry.c holds them to it). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/jscan.h"
#include "conf/catalog.h"
#include "store/registry.h"
#include "store/registry_int.h"
#include "store/regcheck.h"

static const char *kinds[] = {"dedicated", "cloud"};
static const char *statuses[] = {"provisioning", "ready", "draining",
	"unhealthy"};
static const char *roles[] = {"worker", "spare"};
static const char *cstates[] = {"starting", "running", "stopping",
	"stopped"};

/* "a, b, c or d": what an enum field may hold, for its error */
static const char *
one_of(const char **names, int n, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i == 0 ?
			"" : i == n - 1 ? " or " : ", ", names[i]);
	return buf;
}

static int
lookup(const char *s, const char **names, int n)
{
	for (int i = 0; i < n; i++)
		if (s && !strcmp(s, names[i]))
			return i;
	return -1;
}

const char *pp_kind_name(int k) { return kinds[k]; }
const char *pp_status_name(int s) { return statuses[s]; }
const char *pp_role_name(int r) { return roles[r]; }
const char *pp_cstate_name(int s) { return cstates[s]; }

int
pp_status_parse(const char *s)
{
	return lookup(s, statuses, 4);
}

long long
pp_container_ram(const struct pp_container *c)
{
	return c->state == PP_CS_STOPPED ? 0 : c->ram_mb;
}

static int
ram_field(const struct jv *v, long long *out, int required)
{
	if (v->t == JV_NONE) {
		*out = 0;
		return required ? -1 : 0;
	}
	if (v->t != JV_INT)
		return -2;
	*out = v->i;
	return *out < 0 || *out > PP_RAM_MAX_MB ? -2 : 0;
}

/* The first id (in order) that an earlier one equals, or NULL; ids[i]
 * or, with ids NULL, nodes[i].id. A hash set (FNV-1a, open
 * addressing): linear in n, where a sort was n log n comparisons of
 * ids scattered in memory. */
static const char *
dup_of(const char *const *ids, const struct pp_node *nodes, size_t n)
{
	size_t cap = 16, mask;
	const char **set, *dup = NULL;

	while (cap < 2 * n)
		cap <<= 1;
	mask = cap - 1;
	set = pp_xcalloc(cap, sizeof *set);
	for (size_t i = 0; i < n && !dup; i++) {
		const char *id = ids ? ids[i] : nodes[i].id;
		uint64_t h = 1469598103934665603ULL;
		size_t j;

		for (const unsigned char *p = (const unsigned char *)id; *p;
		    p++)
			h = (h ^ *p) * 1099511628211ULL;
		for (j = (size_t)h & mask; set[j]; j = (j + 1) & mask)
			if (!strcmp(set[j], id)) {
				dup = id;
				break;
			}
		set[j] = id;
	}
	free(set);
	return dup;
}

const char *
pp_rg_dup_id(const struct pp_node *nodes, size_t n)
{
	return dup_of(NULL, nodes, n);
}

int
pp_rg_added_ok(const struct pp_registry *r, char *err, size_t errlen)
{
	size_t nadd = r->added ? json_object_array_length(r->added) : 0;
	const char **ids, *dup;
	size_t n = 0;

	if (!nadd)
		return 0;
	ids = pp_xcalloc(r->nnodes + nadd, sizeof *ids);
	for (size_t i = 0; i < r->nnodes; i++)
		if (!r->nodes[i].removed)
			ids[n++] = r->nodes[i].id;
	for (size_t i = 0; i < nadd; i++) {
		json_object *id = NULL;

		if (!json_object_object_get_ex(json_object_array_get_idx(
		    r->added, i), "id", &id) || !json_object_is_type(id,
		    json_type_string) || !*json_object_get_string(id)) {
			snprintf(err, errlen, "registry '%s': a node added has "
				"no id: not written", r->path ? r->path : "-");
			free(ids);
			return -1;
		}
		ids[n++] = json_object_get_string(id);
	}
	dup = dup_of(ids, NULL, n);
	if (dup)
		snprintf(err, errlen, "registry '%s': a node added as '%s' "
			"is there already: not written", r->path ? r->path :
			"-", dup);
	free(ids);
	return dup ? -1 : 0;
}

#define GET(o, k, v) do { \
	if (pp_rg_get(rd, (o), (k), (v)) < 0) \
		return NOT_TAKEN; \
} while (0)

static int
index_container(struct rd *rd, struct pp_node *n, struct pp_container *c,
	struct jv *o, size_t i, const char *name, char *err, size_t errlen)
{
	struct slots sl;
	struct jv v;
	int rc;

	if (o->t != JV_OBJ)
		return pp_rg_bad(err, errlen, name, "node '%s': container %zu is "
			"not an object", n->id, i);
	if (pp_rg_open_obj(rd, o, &sl, 0) < 0)
		return NOT_TAKEN;
	GET(o, K_ID, &v);
	c->id = pp_rg_keep(rd, &v);
	if (!c->id || !*c->id)
		return pp_rg_bad(err, errlen, name, "node '%s': container %zu: "
			"field 'id' is missing", n->id, i);
	if (pp_regcheck_id(c->id) < 0)
		return pp_rg_bad(err, errlen, name, "node '%s': container %zu: "
			"field 'id' is not a safe id (letters, digits, '.', "
			"'_', '-'; not starting with '-')", n->id, i);
	GET(o, K_RAM, &v);
	rc = ram_field(&v, &c->ram_mb, 1);
	if (rc == -1)
		return pp_rg_bad(err, errlen, name, "node '%s': container '%s': "
			"field 'ram_mb' is missing", n->id, c->id);
	if (rc == -2)
		return pp_rg_bad(err, errlen, name, "node '%s': container '%s': "
			"field 'ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)",
			n->id, c->id);
	GET(o, K_STATE, &v);
	c->state = v.t == JV_STR ? pp_rg_lookup_jv(&v, cstates, 4) : PP_CS_RUNNING;
	if (c->state < 0) {
		char vals[128];

		return pp_rg_bad(err, errlen, name, "node '%s': container '%s': "
			"field 'state' has unknown value '%s' (%s)", n->id,
			c->id, pp_rg_keep(rd, &v), one_of(cstates, 4, vals,
			sizeof vals));
	}
	/* a count: -1 or "3" read as 0 would let a drain move a game
	 * server with players on it at once (no grace) */
	GET(o, K_PLAYERS, &v);
	if (v.t != JV_NONE && (v.t != JV_INT || v.i < 0 ||
	    v.i > PP_PLAYERS_MAX))
		return pp_rg_bad(err, errlen, name, "node '%s': container "
			"'%s': field 'players' must be a non-negative "
			"integer (at most %d)", n->id, c->id, PP_PLAYERS_MAX);
	c->players = v.t == JV_INT ? v.i : 0;
	return 0;
}

/* Indexes container *nc of n and adds it up. */
static int
add_container(struct rd *rd, struct pp_node *n, struct jv *c, size_t *nc,
	const char *name, char *err, size_t errlen)
{
	struct pp_container *ct;
	int rc;

	if (*nc == rd->tmpcap) {
		rd->tmpcap = rd->tmpcap ? 2 * rd->tmpcap : 64;
		rd->tmp = pp_xrealloc(rd->tmp, rd->tmpcap * sizeof *rd->tmp);
	}
	ct = &rd->tmp[*nc];
	memset(ct, 0, sizeof *ct);
	rc = index_container(rd, n, ct, c, *nc, name, err, errlen);
	if (rc < 0)
		return rc;
	(*nc)++;
	n->allocated_ram_mb += pp_container_ram(ct);
	if (ct->ram_mb > n->largest_container_mb)
		n->largest_container_mb = ct->ram_mb;
	if (pp_container_ram(ct) > n->largest_allocated_mb)
		n->largest_allocated_mb = pp_container_ram(ct);
	n->players += ct->players;
	n->stopped += ct->state == PP_CS_STOPPED;
	return 0;
}

/* "is missing" or "has unknown value 'x' (a, b or c)" */
static int
bad_enum(struct rd *rd, char *err, size_t errlen, const char *name,
	const char *id, const char *field, struct jv *v, const char **names,
	int n)
{
	const char *s = pp_rg_keep(rd, v);
	char vals[128];

	return pp_rg_bad(err, errlen, name, "node '%s': field '%s' %s%s%s "
		"(%s)", id, field, s ? "has unknown value '" : "is missing",
		s ? s : "", s ? "'" : "", one_of(names, n, vals, sizeof vals));
}

int
pp_rg_index_node(struct rd *rd, struct pp_node *n, struct jv *o, size_t i,
	const char *name, char *err, size_t errlen)
{
	struct slots sl, csl, ccsl;
	struct jv v, cl, cs, c;
	struct it it;
	const char *s;
	size_t nc = 0;
	int rc;

	memset(n, 0, sizeof *n);
	if (o->t != JV_OBJ)
		return pp_rg_bad(err, errlen, name, "node %zu is not an object", i);
	if (pp_rg_open_obj(rd, o, &sl, 1) < 0)
		return NOT_TAKEN;
	if (rd->text) {
		n->text = o->p;
		n->text_len = (size_t)(o->end - o->p);
	} else {
		n->obj = o->o;
	}
	GET(o, K_ID, &v);
	n->id = pp_rg_keep(rd, &v);
	if (!n->id || !*n->id)
		return pp_rg_bad(err, errlen, name, "node %zu: field 'id' is "
			"missing", i);
	if (pp_regcheck_id(n->id) < 0)
		return pp_rg_bad(err, errlen, name, "node %zu: field 'id' is not "
			"a safe id (letters, digits, '.', '_', '-'; not "
			"starting with '-')", i);
	GET(o, K_KIND, &v);
	n->kind = pp_rg_lookup_jv(&v, kinds, 2);
	if (n->kind < 0)
		return bad_enum(rd, err, errlen, name, n->id, "kind", &v,
			kinds, 2);
	GET(o, K_STATUS, &v);
	n->status = pp_rg_lookup_jv(&v, statuses, 4);
	if (n->status < 0)
		return bad_enum(rd, err, errlen, name, n->id, "status", &v,
			statuses, 4);
	GET(o, K_ROLE, &v);
	n->role = v.t == JV_STR ? pp_rg_lookup_jv(&v, roles, 2) : PP_ROLE_WORKER;
	if (n->role < 0)
		return bad_enum(rd, err, errlen, name, n->id, "role", &v,
			roles, 2);
	GET(o, K_TOTAL, &v);
	rc = ram_field(&v, &n->total_ram_mb, 1);
	if (rc == -1)
		return pp_rg_bad(err, errlen, name, "node '%s': field "
			"'total_ram_mb' is missing", n->id);
	if (rc == -2)
		return pp_rg_bad(err, errlen, name, "node '%s': field "
			"'total_ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)", n->id);
	GET(o, K_RESERVED, &v);
	rc = ram_field(&v, &n->reserved_ram_mb, 0);
	if (rc == -2)
		return pp_rg_bad(err, errlen, name, "node '%s': field "
			"'reserved_ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)",
			n->id);
	if (n->reserved_ram_mb > n->total_ram_mb)
		return pp_rg_bad(err, errlen, name, "node '%s': field "
			"'reserved_ram_mb' (%lld) is above total_ram_mb (%lld)",
			n->id, n->reserved_ram_mb, n->total_ram_mb);
	n->usable_ram_mb = n->total_ram_mb - n->reserved_ram_mb;
	GET(o, K_IP, &v);
	n->ip = pp_rg_keep(rd, &v);
	if (v.t != JV_NONE && (v.t != JV_STR || pp_regcheck_ip(n->ip) < 0))
		return pp_rg_bad(err, errlen, name, "node '%s': field 'ip' is not "
			"an IPv4 or IPv6 address", n->id);
	GET(o, K_LOCATION, &v);
	n->location = pp_rg_keep(rd, &v);
	GET(o, K_CLOUD, &cl);
	if (cl.t == JV_OBJ) {
		if (pp_rg_open_obj(rd, &cl, &csl, 0) < 0)
			return NOT_TAKEN;
		n->has_cloud = 1;
		GET(&cl, K_PROVIDER, &v);
		n->provider = pp_rg_keep(rd, &v);
		GET(&cl, K_SERVER_ID, &v);
		n->server_id = pp_rg_keep(rd, &v);
		GET(&cl, K_SERVER_TYPE, &v);
		n->server_type = pp_rg_keep(rd, &v);
		GET(&cl, K_SERVER_NAME, &v);
		n->server_name = pp_rg_keep(rd, &v);
		/* a negative cost would lift the spend limit */
		GET(&cl, K_HOURLY, &v);
		if (v.t != JV_NONE && ((v.t != JV_INT && v.t != JV_DBL) ||
		    !pp_price_ok(v.d)))
			return pp_rg_bad(err, errlen, name, "node '%s': field "
				"'cloud.hourly_cost_eur' must be a number of "
				"EUR from 0 to %d", n->id, PP_PRICE_MAX_EUR);
		n->hourly_cost_eur = v.t == JV_NONE ? 0 : v.d;
		GET(&cl, K_DELETE_PROTECTED, &v);
		if (v.t != JV_NONE && v.t != JV_BOOL)
			return pp_rg_bad(err, errlen, name, "node '%s': field "
				"'cloud.delete_protected' must be true or "
				"false", n->id);
		n->delete_protected = v.t == JV_BOOL && (v.o ?
			json_object_get_boolean(v.o) : *v.p == 't');
		GET(&cl, K_CREATED, &v);
		s = pp_rg_keep(rd, &v);
		if (s && pp_parse_time(s, &n->created_at) < 0)
			return pp_rg_bad(err, errlen, name, "node '%s': field "
				"'cloud.created_at' is not an RFC 3339 time "
				"('%s')", n->id, s);
	} else if (cl.t != JV_NONE) {
		return pp_rg_bad(err, errlen, name, "node '%s': field 'cloud' must "
			"be an object or null", n->id);
	}
	GET(o, K_DRAINING_SINCE, &v);
	s = pp_rg_keep(rd, &v);
	/* pp-drain's record; a value it cannot read counts as unknown */
	if (s && pp_parse_time(s, &n->draining_since) < 0)
		n->draining_since = 0;
	GET(o, K_DRAINING_BY, &v);
	n->draining_by = pp_rg_keep(rd, &v);
	GET(o, K_CONTAINERS, &cs);
	if (cs.t != JV_NONE && cs.t != JV_ARR)
		return pp_rg_bad(err, errlen, name, "node '%s': field 'containers' "
			"must be a list", n->id);
	if (cs.t == JV_ARR && rd->text && cs.p == rd->cel_for) {
		for (size_t k = 0; k < rd->ncel; k++) {
			rc = add_container(rd, n, &rd->cel[k], &nc, name, err,
				errlen);
			if (rc < 0)
				return rc;
		}
	} else if (cs.t == JV_ARR) {
		pp_rg_it_init(rd, &cs, &it);
		while ((rc = pp_rg_it_next(rd, &it, &c, &ccsl, 0)) > 0) {
			rc = add_container(rd, n, &c, &nc, name, err, errlen);
			if (rc < 0)
				return rc;
		}
		if (rc < 0)
			return rc;
	}
	n->ncontainers = nc;
	n->containers = pp_xcalloc(nc, sizeof *n->containers);
	if (nc)
		memcpy(n->containers, rd->tmp, nc * sizeof *n->containers);
	return 0;
}

/* One node more in r->nodes, indexed from o. */
static int
index_one(struct rd *rd, struct jv *o, size_t *cap, const char *name,
	char *err, size_t errlen)
{
	struct pp_registry *r = rd->r;

	if (r->nnodes == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		r->nodes = pp_xrealloc(r->nodes, *cap * sizeof *r->nodes);
	}
	r->nnodes++;
	return pp_rg_index_node(rd, &r->nodes[r->nnodes - 1], o,
		r->nnodes - 1, name, err, errlen);
}

/* The fused pass's reading of the nodes' list at p (its '['), text not
 * checked yet: each node is checked and indexed while it is in the
 * cache. Returns the end of the list, or NULL where the scanner or the
 * reader does not take the text (*rc NOT_TAKEN). A node the index
 * refuses (*rc -1, the message in err) does not stop the checking:
 * the rest must be valid JSON for that message to stand, as it would
 * after a pass that checked the whole text first. */
static const char *
index_nodes_chk(struct rd *rd, const char *p, const char *name, int *rc,
	char *err, size_t errlen)
{
	struct pp_registry *r = rd->r;
	const char *e = rd->e;
	size_t cap = 0;

	*rc = 0;
	pp_rg_free_index(r);
	r->nodes_open = (size_t)(p - r->text);
	r->nodes = pp_xcalloc(1, sizeof *r->nodes);
	p = ws(p + 1, e);
	if (p < e && *p == ']')
		return p + 1;
	for (;;) {
		struct slots nsl;
		struct jv o;

		memset(&o, 0, sizeof o);
		if (*rc < 0) {
			/* refused: only checked from here */
			p = pp_jscan_value(rd->chk, p, 2);
			if (!p)
				goto not_taken;
		} else {
			if (p < e && *p == '{') {
				o.t = JV_OBJ;
				o.p = p;
				if (pp_rg_open_obj_chk(rd, &o, &nsl, 1, 2) < 0)
					goto not_taken;
			} else if (!pp_jscan_value(rd->chk, p, 2) ||
			    pp_rg_jv_text(rd, p, NULL, &o) < 0) {
				goto not_taken;
			}
			*rc = index_one(rd, &o, &cap, name, err, errlen);
			if (*rc == NOT_TAKEN)
				return NULL;
			p = o.end;
			pp_rg_release(r, p);
		}
		p = ws(p, e);
		if (p < e && *p == ']')
			return p + 1;
		if (p >= e || *p != ',')
			goto not_taken;
		p = ws(p + 1, e);
	}
not_taken:
	*rc = NOT_TAKEN;
	return NULL;
}

/* Indexes the registry read either way: 0, -1 with the message in
 * err, or NOT_TAKEN (text reading only). fused: the text's nodes are
 * indexed already (index_nodes_chk), nodes_rc what that gave. */
static int
index_all_as(struct rd *rd, struct jv *root, int fused, int nodes_rc,
	char *err, size_t errlen)
{
	struct pp_registry *r = rd->r;
	const char *name = r->path ? r->path : "-";
	const char *dup;
	struct slots sl, nsl;
	struct jv v, nodes, o;
	struct it it;
	size_t cap = 0;
	int rc;

	if (!fused)
		pp_rg_free_index(r);
	if (root->t != JV_OBJ) {
		if (rd->text)
			return NOT_TAKEN;
		return pp_rg_bad(err, errlen, name, "not a JSON object");
	}
	if (pp_rg_open_obj(rd, root, &sl, 0) < 0)
		return NOT_TAKEN;
	GET(root, K_VERSION, &v);
	if (v.t != JV_NONE && (v.t != JV_INT || v.i < 1 ||
	    v.i > PP_REGISTRY_VERSION)) {
		long long x;

		/* the message shows the value as json-c prints it */
		if (rd->text) {
			pp_rg_free_index(r);
			return NOT_TAKEN;
		}
		/* json-c prints a clamped value, not the text */
		if (pp_jint_value(v.o, 1, PP_REGISTRY_VERSION, &x) ==
		    PP_JINT_HUGE)
			return pp_rg_bad(err, errlen, name, "field 'version' "
				"is out of range (this tool reads version "
				"%d)", PP_REGISTRY_VERSION);
		return pp_rg_bad(err, errlen, name, "unsupported version '%s'",
			json_object_get_string(v.o));
	}
	if (fused) {
		rc = nodes_rc;
		goto indexed;
	}
	GET(root, K_NODES, &nodes);
	if (nodes.t != JV_ARR)
		return pp_rg_bad(err, errlen, name, "field 'nodes' is missing or "
			"not a list");
	if (rd->text)
		r->nodes_open = (size_t)(nodes.p - r->text);
	else
		cap = json_object_array_length(nodes.o);
	r->nodes = pp_xcalloc(cap ? cap : 1, sizeof *r->nodes);
	pp_rg_it_init(rd, &nodes, &it);
	while ((rc = pp_rg_it_next(rd, &it, &o, &nsl, 1)) > 0) {
		rc = index_one(rd, &o, &cap, name, err, errlen);
		if (rc < 0)
			break;
		if (rd->text)
			pp_rg_release(r, o.end);
	}
indexed:
	if (rc < 0) {
		pp_rg_free_index(r);
		return rc;
	}
	dup = pp_rg_dup_id(r->nodes, r->nnodes);
	if (dup) {
		pp_rg_bad(err, errlen, name, "node '%s': field 'id' is "
			"duplicated", dup);
		pp_rg_free_index(r);
		return -1;
	}
	return 0;
}

int
pp_rg_index_text(struct pp_registry *r, char *err, size_t errlen)
{
	struct rd rd = {.r = r, .text = 1, .e = r->text + r->len};
	struct pp_jscan s = {r->text + r->len, 0, 0, PP_JSCAN_DEPTH};
	const char *e = rd.e, *p = ws(r->text, e);
	const char *name = r->path ? r->path : "-";
	struct slots sl;
	struct jv root;
	int rc = NOT_TAKEN, fused = 0, nodes_rc = 0;

	/* The text is checked by the strict scanner before anything reads
	 * it as valid; the top level by hand, which also finds its fields.
	 * The nodes' list is checked and indexed in one pass, node by node
	 * (index_nodes_chk); any other value is checked whole. */
	rd.chk = &s;
	if (p >= e || *p != '{')
		return NOT_TAKEN;
	memset(&root, 0, sizeof root);
	memset(&sl, 0, sizeof sl);
	root.t = JV_OBJ;
	root.p = p;
	root.sl = &sl;
	p = ws(p + 1, e);
	if (p < e && *p == '}')
		p++;
	else
		for (;;) {
			const char *k = p, *v;
			int key;

			if (p >= e || *p != '"')
				goto out;
			p = pp_jscan_value(&s, p, 1);
			if (!p || memchr(k, '\\', (size_t)(p - k)))
				goto out;
			key = pp_rg_key_slot(k + 1, (size_t)(p - k) - 2);
			p = ws(p, e);
			if (p >= e || *p != ':')
				goto out;
			v = ws(p + 1, e);
			if (key == K_NODES && (fused || (v < e && *v == '['))) {
				/* a second list: json-c takes the last */
				if (fused)
					goto out;
				fused = 1;
				p = index_nodes_chk(&rd, v, name, &nodes_rc,
					err, errlen);
			} else {
				p = pp_jscan_value(&s, v, 1);
			}
			if (!p)
				goto out;
			if (key >= 0) {
				sl.mask |= 1ul << key;
				sl.v[key] = v;
				sl.ve[key] = p;
			}
			p = ws(p, e);
			if (p < e && *p == '}') {
				p++;
				break;
			}
			if (p >= e || *p != ',')
				goto out;
			p = ws(p + 1, e);
		}
	if (ws(p, e) != e)
		goto out;
	root.end = p;
	if (!fused)
		pp_rg_release(r, NULL);
	rc = index_all_as(&rd, &root, fused, nodes_rc, err, errlen);
out:
	if (rc == NOT_TAKEN && fused)
		pp_rg_free_index(r);
	free(rd.tmp);
	free(rd.cel);
	free(rd.csl);
	return rc;
}

int
pp_registry_index(struct pp_registry *r, char *err, size_t errlen)
{
	struct rd rd = {.r = r};
	struct jv root;
	int rc;

	if (r->text) {
		rc = pp_rg_index_text(r, err, errlen);
		if (rc != NOT_TAKEN)
			return rc;
		snprintf(err, errlen, "registry '%s': cannot read it again "
			"after an edit", r->path ? r->path : "-");
		return -1;
	}
	pp_rg_jv_tree(r->root, &root);
	rc = index_all_as(&rd, &root, 0, 0, err, errlen);
	free(rd.tmp);
	return rc;
}

static int
all_ws(const char *s, size_t n)
{
	return pp_jscan_ws(s, s + n) == s + n;
}

/* Takes text (malloc'd, terminated, owned by r from here). */
int
pp_rg_load(struct pp_registry *r, char *text, size_t len, int tree_only,
	char *err, size_t errlen)
{
	const char *name = r->path ? r->path : "-";
	char jerr[256];
	int rc;

	r->text = text;
	r->len = len;
	if (all_ws(text, len)) {
		r->text = NULL;
		free(text);
		return pp_rg_bad(err, errlen, name, "empty input");
	}
	if (tree_only <= 0) {
		rc = pp_rg_index_text(r, err, errlen);
		if (rc != NOT_TAKEN || tree_only < 0) {
			if (rc == NOT_TAKEN)
				snprintf(err, errlen, "not taken");
			return rc;
		}
	}
	/* json-c decides */
	r->text = NULL;
	r->root = pp_json_parse(text, len, jerr, sizeof jerr);
	free(text);
	if (!r->root)
		return pp_rg_bad(err, errlen, name, "%s", jerr);
	return pp_registry_index(r, err, errlen);
}

int
pp_rg_load_mapped(struct pp_registry *r, char *err, size_t errlen)
{
	const char *text = r->text;
	int rc;

	if (all_ws(text, r->len))
		return pp_rg_bad(err, errlen, r->path ? r->path : "-",
			"empty input");
	rc = pp_rg_index_text(r, err, errlen);
	if (rc != NOT_TAKEN)
		return rc;
	/* json-c decides, on a copy of its own */
	r->text = NULL;
	return pp_rg_load(r, pp_rg_copy_text(text, r->len), r->len, 1, err,
		errlen);
}

char *
pp_rg_copy_text(const char *text, size_t len)
{
	char *s = pp_xmalloc(len + 1);

	memcpy(s, text, len);
	s[len] = '\0';
	return s;
}

int
pp_registry_parse(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen)
{
	if (!r->path)
		r->path = pp_xstrdup(name);
	return pp_rg_load(r, pp_rg_copy_text(text, len), len, 0, err, errlen);
}

int
pp_registry_parse_text(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen)
{
	if (!r->path)
		r->path = pp_xstrdup(name);
	return pp_rg_load(r, pp_rg_copy_text(text, len), len, -1, err, errlen);
}

int
pp_registry_parse_tree(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen)
{
	if (!r->path)
		r->path = pp_xstrdup(name);
	return pp_rg_load(r, pp_rg_copy_text(text, len), len, 1, err, errlen);
}
