/* The node registry: lock, load, check, index, edit, save.
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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/http.h"
#include "base/jscan.h"
#include "store/pg.h"
#include "store/registry.h"
#include "store/regpg.h"
#include "store/regcheck.h"

#define LOCK_TIMEOUT 30.0

static const char *kinds[] = {"dedicated", "cloud"};
static const char *statuses[] = {"provisioning", "ready", "draining",
	"unhealthy"};
static const char *roles[] = {"worker", "spare"};
static const char *cstates[] = {"starting", "running", "stopping",
	"stopped"};

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


/* The index's strings in text mode: blocks that never move. */
struct pp_strings {
	struct pp_strings *next;
	size_t used, cap;
	char data[];
};

static const char *
str_keep(struct pp_registry *r, const char *s, size_t n)
{
	struct pp_strings *b = r->strings;
	char *out;

	if (!b || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;

		b = pp_xmalloc(sizeof *b + cap);
		b->next = r->strings;
		b->used = 0;
		b->cap = cap;
		r->strings = b;
	}
	out = b->data + b->used;
	memcpy(out, s, n);
	out[n] = '\0';
	b->used += n + 1;
	return out;
}

static void
free_index(struct pp_registry *r)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		free(r->nodes[i].containers);
		if (!r->root)
			json_object_put(r->nodes[i].obj);
	}
	free(r->nodes);
	r->nodes = NULL;
	r->nnodes = 0;
	while (r->strings) {
		struct pp_strings *b = r->strings;

		r->strings = b->next;
		free(b);
	}
}

static int
bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "registry '%s': %s", name, msg);
	return -1;
}

/* Returned by the text reading for "json-c decides". */
#define NOT_TAKEN (-3)

/* The fields the index reads, in every object of the registry. */
enum {
	K_VERSION, K_NODES, K_ID, K_KIND, K_STATUS, K_ROLE, K_TOTAL,
	K_RESERVED, K_IP, K_LOCATION, K_CLOUD, K_CONTAINERS, K_PROVIDER,
	K_SERVER_ID, K_SERVER_TYPE, K_SERVER_NAME, K_HOURLY, K_CREATED,
	K_RAM, K_STATE, K_PLAYERS, K_COUNT
};
static const char *const keys[K_COUNT] = {
	"version", "nodes", "id", "kind", "status", "role", "total_ram_mb",
	"reserved_ram_mb", "ip", "location", "cloud", "containers",
	"provider", "server_id", "server_type", "server_name",
	"hourly_cost_eur", "created_at", "ram_mb", "state", "players"
};

/* Where each field's value starts in one object's text (the last one
 * when a key repeats, as json-c keeps the last). */
struct slots {
	const char *v[K_COUNT], *ve[K_COUNT];
};

enum { JV_NONE, JV_STR, JV_INT, JV_DBL, JV_BOOL, JV_OBJ, JV_ARR };

/* One value, read from the tree or from the text. JV_NONE is absent
 * or null (pp_jget's view). */
struct jv {
	int t;
	const char *s;    /* JV_STR: the bytes; terminated when kept */
	size_t len;
	int kept;
	long long i;      /* JV_INT, and JV_DBL as json-c converts it */
	double d;         /* JV_DBL, and JV_INT as json-c converts it */
	json_object *o;   /* tree */
	const char *p, *end; /* text: the value's bytes */
	struct slots *sl; /* text objects, once opened */
};

struct rd {
	struct pp_registry *r;
	int text;          /* reading the text, not a tree */
	const char *e;     /* end of the text */
	struct pp_container *tmp;
	size_t tmpcap;
	/* a node's containers, opened with the node (one pass over them) */
	const char *cel_for;
	struct jv *cel;
	struct slots *csl;
	size_t ncel, celcap;
};

static const char *
ws(const char *p, const char *e)
{
	return pp_jscan_ws(p, e);
}

/* The end of a string whose opening quote is at p (valid text). */
static const char *
str_end(const char *p)
{
	for (p++; *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p + 1;
}

/* Bytes that matter to skip(): 1 quote, 2 opening, 3 closing. */
static const unsigned char skipcls[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3
};

/* The end of the value at p, in text the scanner has validated. */
static const char *
skip(const char *p, const char *e)
{
	int depth = 0;

	if (*p != '{' && *p != '[') {
		if (*p == '"')
			return str_end(p);
		while (p < e && *p != ',' && *p != ']' && *p != '}' &&
		    *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
			p++;
		return p;
	}
	for (;;) {
		unsigned char c = skipcls[(unsigned char)*p];

		if (c == 0) {
			p++;
		} else if (c == 1) {
			p = str_end(p);
		} else if (c == 2) {
			depth++;
			p++;
		} else {
			p++;
			if (--depth == 0)
				return p;
		}
	}
}

static const unsigned char keylen[K_COUNT] = {
	7, 5, 2, 4, 6, 4, 12, 15, 2, 8, 5, 10, 8, 9, 11, 11, 15, 10, 6, 5, 7
};

static int
key_slot(const char *k, size_t n)
{
	for (int i = 0; i < K_COUNT; i++)
		if (keylen[i] == n && k[0] == keys[i][0] &&
		    !memcmp(keys[i], k, n))
			return i;
	return -1;
}

static int
is_double(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p == '.' || *p == 'e' || *p == 'E')
			return 1;
	return 0;
}

/* Reads the value at p of the text (p NULL: absent) that ends at end
 * (NULL: not known yet). */
static int
jv_text(struct rd *rd, const char *p, const char *end, struct jv *v)
{
	memset(v, 0, sizeof *v);
	if (!p)
		return 0;
	v->p = p;
	v->end = end ? end : skip(p, rd->e);
	switch (*p) {
	case 'n':
		return 0;
	case 't': case 'f':
		v->t = JV_BOOL;
		return 0;
	case '{':
		v->t = JV_OBJ;
		return 0;
	case '[':
		v->t = JV_ARR;
		return 0;
	case '"':
		v->t = JV_STR;
		v->s = p + 1;
		v->len = (size_t)(v->end - p) - 2;
		if (memchr(v->s, '\\', v->len)) {
			/* json-c decodes escapes */
			char err[128];
			json_object *o = pp_json_parse(p, (size_t)(v->end - p),
				err, sizeof err);

			if (!o || !json_object_is_type(o, json_type_string)) {
				json_object_put(o);
				return NOT_TAKEN;
			}
			v->len = strlen(json_object_get_string(o));
			v->s = str_keep(rd->r, json_object_get_string(o),
				v->len);
			v->kept = 1;
			json_object_put(o);
		}
		return 0;
	}
	/* a number: json-c's types, refused where json-c reads its own way */
	if (is_double(p, v->end)) {
		char *end;

		errno = 0;
		v->d = strtod(p, &end);
		if (errno || end != v->end)
			return NOT_TAKEN;
		v->t = JV_DBL;
		if (v->d >= (double)INT64_MAX)
			v->i = INT64_MAX;
		else if (v->d <= (double)INT64_MIN)
			v->i = INT64_MIN;
		else
			v->i = (long long)v->d;
	} else {
		const char *q = p + (*p == '-');
		long long x = 0;

		if (v->end - q > 18)
			return NOT_TAKEN;
		for (; q < v->end; q++)
			x = x * 10 + (*q - '0');
		v->t = JV_INT;
		v->i = *p == '-' ? -x : x;
		v->d = (double)v->i;
	}
	return 0;
}

static void
jv_tree(json_object *o, struct jv *v)
{
	memset(v, 0, sizeof *v);
	v->o = o;
	switch (o ? json_object_get_type(o) : json_type_null) {
	case json_type_null:
		break;
	case json_type_boolean:
		v->t = JV_BOOL;
		break;
	case json_type_object:
		v->t = JV_OBJ;
		break;
	case json_type_array:
		v->t = JV_ARR;
		break;
	case json_type_string:
		v->t = JV_STR;
		v->s = json_object_get_string(o);
		v->len = strlen(v->s);
		v->kept = 1;
		break;
	case json_type_int:
		v->t = JV_INT;
		v->i = json_object_get_int64(o);
		v->d = json_object_get_double(o);
		break;
	case json_type_double:
		v->t = JV_DBL;
		v->i = json_object_get_int64(o);
		v->d = json_object_get_double(o);
		break;
	}
}

static int open_obj(struct rd *rd, struct jv *v, struct slots *sl,
	int node);

/* Opens each container of the list at p as it is passed over. */
static const char *
open_containers(struct rd *rd, const char *p)
{
	const char *e = rd->e;

	rd->cel_for = NULL;
	rd->ncel = 0;
	for (p = ws(p + 1, e); *p != ']'; rd->ncel++) {
		struct jv *c;

		if (rd->ncel == rd->celcap) {
			rd->celcap = rd->celcap ? 2 * rd->celcap : 64;
			rd->cel = pp_xrealloc(rd->cel, rd->celcap *
				sizeof *rd->cel);
			rd->csl = pp_xrealloc(rd->csl, rd->celcap *
				sizeof *rd->csl);
		}
		c = &rd->cel[rd->ncel];
		if (*p == '{') {
			memset(c, 0, sizeof *c);
			c->t = JV_OBJ;
			c->p = p;
			if (open_obj(rd, c, &rd->csl[rd->ncel], 0) < 0)
				return NULL;
		} else if (jv_text(rd, p, NULL, c) < 0) {
			return NULL;
		}
		p = ws(c->end, e);
		if (*p == ',')
			p = ws(p + 1, e);
	}
	for (size_t i = 0; i < rd->ncel; i++)
		if (rd->cel[i].t == JV_OBJ)
			rd->cel[i].sl = &rd->csl[i];
	return p + 1;
}

/* Makes an object's fields reachable by get(). A node's containers
 * are opened on the way (open_containers). */
static int
open_obj(struct rd *rd, struct jv *v, struct slots *sl, int node)
{
	const char *p, *e = rd->e;

	if (!rd->text || v->sl)
		return 0;
	memset(sl, 0, sizeof *sl);
	v->sl = sl;
	p = ws(v->p + 1, e);
	while (*p != '}') {
		const char *k = p + 1, *ke = str_end(p) - 1, *ve;
		int key;

		/* an escaped key may spell a field: json-c decides */
		if (memchr(k, '\\', (size_t)(ke - k)))
			return NOT_TAKEN;
		key = key_slot(k, (size_t)(ke - k));
		p = ws(ws(ke + 1, e) + 1, e);
		if (node && key == K_CONTAINERS && *p == '[') {
			ve = open_containers(rd, p);
			if (!ve)
				return NOT_TAKEN;
			rd->cel_for = p;
		} else {
			ve = skip(p, e);
		}
		if (key >= 0) {
			sl->v[key] = p;
			sl->ve[key] = ve;
		}
		p = ws(ve, e);
		if (*p == ',')
			p = ws(p + 1, e);
	}
	v->end = p + 1;
	return 0;
}

static int
get(struct rd *rd, const struct jv *o, int key, struct jv *v)
{
	if (rd->text)
		return jv_text(rd, o->sl->v[key], o->sl->ve[key], v);
	jv_tree(pp_jget(o->o, keys[key]), v);
	return 0;
}

/* A string value as a C string that lives as long as the index. */
static const char *
keep(struct rd *rd, struct jv *v)
{
	if (v->t != JV_STR)
		return NULL;
	if (!v->kept) {
		v->s = str_keep(rd->r, v->s, v->len);
		v->kept = 1;
	}
	return v->s;
}

struct it {
	const struct jv *a;
	size_t i, n;
	const char *p;
};

static void
it_init(struct rd *rd, const struct jv *a, struct it *it)
{
	memset(it, 0, sizeof *it);
	it->a = a;
	if (rd->text)
		it->p = ws(a->p + 1, rd->e);
	else
		it->n = json_object_array_length(a->o);
}

/* 1 with the next element in v, 0 at the end, or NOT_TAKEN. An object
 * is opened into sl (its end is known only then). */
static int
it_next(struct rd *rd, struct it *it, struct jv *v, struct slots *sl,
	int node)
{
	if (!rd->text) {
		if (it->i >= it->n)
			return 0;
		jv_tree(json_object_array_get_idx(it->a->o, it->i++), v);
		return 1;
	}
	if (*it->p == ']')
		return 0;
	if (*it->p == '{') {
		memset(v, 0, sizeof *v);
		v->t = JV_OBJ;
		v->p = it->p;
		if (open_obj(rd, v, sl, node) < 0)
			return NOT_TAKEN;
	} else if (jv_text(rd, it->p, NULL, v) < 0) {
		return NOT_TAKEN;
	}
	it->p = ws(v->end, rd->e);
	if (*it->p == ',')
		it->p = ws(it->p + 1, rd->e);
	return 1;
}

static int
lookup_jv(const struct jv *v, const char **names, int n)
{
	if (v->t != JV_STR)
		return -1;
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == v->len && !memcmp(v->s, names[i],
		    v->len))
			return i;
	return -1;
}

/* A RAM field: a non-negative integer number of MB. */
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

static int
cmp_id(const void *a, const void *b)
{
	const struct pp_node *x = *(struct pp_node *const *)a;
	const struct pp_node *y = *(struct pp_node *const *)b;

	return strcmp(x->id, y->id);
}

#define GET(o, k, v) do { \
	if (get(rd, (o), (k), (v)) < 0) \
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
		return bad(err, errlen, name, "node '%s': container %zu is "
			"not an object", n->id, i);
	if (open_obj(rd, o, &sl, 0) < 0)
		return NOT_TAKEN;
	c->obj = rd->text ? NULL : o->o;
	GET(o, K_ID, &v);
	c->id = keep(rd, &v);
	if (!c->id || !*c->id)
		return bad(err, errlen, name, "node '%s': container %zu: "
			"field 'id' is missing", n->id, i);
	if (pp_regcheck_id(c->id) < 0)
		return bad(err, errlen, name, "node '%s': container %zu: "
			"field 'id' is not a safe id (letters, digits, '.', "
			"'_', '-'; not starting with '-')", n->id, i);
	GET(o, K_RAM, &v);
	rc = ram_field(&v, &c->ram_mb, 1);
	if (rc == -1)
		return bad(err, errlen, name, "node '%s': container '%s': "
			"field 'ram_mb' is missing", n->id, c->id);
	if (rc == -2)
		return bad(err, errlen, name, "node '%s': container '%s': "
			"field 'ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)",
			n->id, c->id);
	GET(o, K_STATE, &v);
	c->state = v.t == JV_STR ? lookup_jv(&v, cstates, 4) : PP_CS_RUNNING;
	if (c->state < 0)
		return bad(err, errlen, name, "node '%s': container '%s': "
			"field 'state' has unknown value '%s'", n->id, c->id,
			keep(rd, &v));
	GET(o, K_PLAYERS, &v);
	c->players = v.t == JV_INT || v.t == JV_DBL ? v.i : 0;
	if (c->players < 0)
		c->players = 0;
	if (c->players > PP_PLAYERS_MAX)
		c->players = PP_PLAYERS_MAX;
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
	n->players += ct->players;
	n->stopped += ct->state == PP_CS_STOPPED;
	return 0;
}

/* "is missing" or "has unknown value 'x'" */
static int
bad_enum(struct rd *rd, char *err, size_t errlen, const char *name,
	const char *id, const char *field, struct jv *v)
{
	const char *s = keep(rd, v);

	return bad(err, errlen, name, "node '%s': field '%s' %s%s%s", id,
		field, s ? "has unknown value '" : "is missing", s ? s : "",
		s ? "'" : "");
}

static int
index_node(struct rd *rd, struct pp_node *n, struct jv *o, size_t i,
	const char *name, char *err, size_t errlen)
{
	struct slots sl, csl, ccsl;
	struct jv v, cl, cs, c;
	struct it it;
	size_t nc = 0;
	int rc;

	memset(n, 0, sizeof *n);
	if (o->t != JV_OBJ)
		return bad(err, errlen, name, "node %zu is not an object", i);
	if (open_obj(rd, o, &sl, 1) < 0)
		return NOT_TAKEN;
	if (rd->text) {
		n->text = o->p;
		n->text_len = (size_t)(o->end - o->p);
	} else {
		n->obj = o->o;
	}
	GET(o, K_ID, &v);
	n->id = keep(rd, &v);
	if (!n->id || !*n->id)
		return bad(err, errlen, name, "node %zu: field 'id' is "
			"missing", i);
	if (pp_regcheck_id(n->id) < 0)
		return bad(err, errlen, name, "node %zu: field 'id' is not "
			"a safe id (letters, digits, '.', '_', '-'; not "
			"starting with '-')", i);
	GET(o, K_KIND, &v);
	n->kind = lookup_jv(&v, kinds, 2);
	if (n->kind < 0)
		return bad_enum(rd, err, errlen, name, n->id, "kind", &v);
	GET(o, K_STATUS, &v);
	n->status = lookup_jv(&v, statuses, 4);
	if (n->status < 0)
		return bad_enum(rd, err, errlen, name, n->id, "status", &v);
	GET(o, K_ROLE, &v);
	n->role = v.t == JV_STR ? lookup_jv(&v, roles, 2) : PP_ROLE_WORKER;
	if (n->role < 0)
		return bad(err, errlen, name, "node '%s': field 'role' has "
			"unknown value '%s'", n->id, keep(rd, &v));
	GET(o, K_TOTAL, &v);
	rc = ram_field(&v, &n->total_ram_mb, 1);
	if (rc == -1)
		return bad(err, errlen, name, "node '%s': field "
			"'total_ram_mb' is missing", n->id);
	if (rc == -2)
		return bad(err, errlen, name, "node '%s': field "
			"'total_ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)", n->id);
	GET(o, K_RESERVED, &v);
	rc = ram_field(&v, &n->reserved_ram_mb, 0);
	if (rc == -2)
		return bad(err, errlen, name, "node '%s': field "
			"'reserved_ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)",
			n->id);
	if (n->reserved_ram_mb > n->total_ram_mb)
		return bad(err, errlen, name, "node '%s': field "
			"'reserved_ram_mb' (%lld) is above total_ram_mb (%lld)",
			n->id, n->reserved_ram_mb, n->total_ram_mb);
	n->usable_ram_mb = n->total_ram_mb - n->reserved_ram_mb;
	GET(o, K_IP, &v);
	n->ip = keep(rd, &v);
	if (v.t != JV_NONE && (v.t != JV_STR || pp_regcheck_ip(n->ip) < 0))
		return bad(err, errlen, name, "node '%s': field 'ip' is not "
			"an IPv4 or IPv6 address", n->id);
	GET(o, K_LOCATION, &v);
	n->location = keep(rd, &v);
	GET(o, K_CLOUD, &cl);
	if (cl.t == JV_OBJ) {
		const char *s;

		if (open_obj(rd, &cl, &csl, 0) < 0)
			return NOT_TAKEN;
		n->has_cloud = 1;
		GET(&cl, K_PROVIDER, &v);
		n->provider = keep(rd, &v);
		GET(&cl, K_SERVER_ID, &v);
		n->server_id = keep(rd, &v);
		GET(&cl, K_SERVER_TYPE, &v);
		n->server_type = keep(rd, &v);
		GET(&cl, K_SERVER_NAME, &v);
		n->server_name = keep(rd, &v);
		GET(&cl, K_HOURLY, &v);
		n->hourly_cost_eur = v.t == JV_INT || v.t == JV_DBL ? v.d : 0;
		GET(&cl, K_CREATED, &v);
		s = keep(rd, &v);
		if (s && pp_parse_time(s, &n->created_at) < 0)
			return bad(err, errlen, name, "node '%s': field "
				"'cloud.created_at' is not an RFC 3339 time "
				"('%s')", n->id, s);
	} else if (cl.t != JV_NONE) {
		return bad(err, errlen, name, "node '%s': field 'cloud' must "
			"be an object or null", n->id);
	}
	GET(o, K_CONTAINERS, &cs);
	if (cs.t != JV_NONE && cs.t != JV_ARR)
		return bad(err, errlen, name, "node '%s': field 'containers' "
			"must be a list", n->id);
	if (cs.t == JV_ARR && rd->text && cs.p == rd->cel_for) {
		for (size_t k = 0; k < rd->ncel; k++) {
			rc = add_container(rd, n, &rd->cel[k], &nc, name, err,
				errlen);
			if (rc < 0)
				return rc;
		}
	} else if (cs.t == JV_ARR) {
		it_init(rd, &cs, &it);
		while ((rc = it_next(rd, &it, &c, &ccsl, 0)) > 0) {
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

/* Indexes the registry read either way: 0, -1 with the message in
 * err, or NOT_TAKEN (text reading only). */
static int
index_all(struct rd *rd, struct jv *root, char *err, size_t errlen)
{
	struct pp_registry *r = rd->r;
	const char *name = r->path ? r->path : "-";
	struct pp_node **byid;
	struct slots sl, nsl;
	struct jv v, nodes, o;
	struct it it;
	size_t cap = 0;
	int rc;

	free_index(r);
	if (root->t != JV_OBJ) {
		if (rd->text)
			return NOT_TAKEN;
		return bad(err, errlen, name, "not a JSON object");
	}
	if (open_obj(rd, root, &sl, 0) < 0)
		return NOT_TAKEN;
	GET(root, K_VERSION, &v);
	if (v.t != JV_NONE && (v.t != JV_INT || v.i > PP_REGISTRY_VERSION)) {
		/* the message shows the value as json-c prints it */
		if (rd->text)
			return NOT_TAKEN;
		return bad(err, errlen, name, "unsupported version '%s'",
			json_object_get_string(v.o));
	}
	GET(root, K_NODES, &nodes);
	if (nodes.t != JV_ARR)
		return bad(err, errlen, name, "field 'nodes' is missing or "
			"not a list");
	if (rd->text)
		r->nodes_open = (size_t)(nodes.p - r->text);
	else
		cap = json_object_array_length(nodes.o);
	r->nodes = pp_xcalloc(cap ? cap : 1, sizeof *r->nodes);
	it_init(rd, &nodes, &it);
	while ((rc = it_next(rd, &it, &o, &nsl, 1)) > 0) {
		if (r->nnodes == cap) {
			cap = cap ? 2 * cap : 256;
			r->nodes = pp_xrealloc(r->nodes, cap * sizeof *r->nodes);
		}
		r->nnodes++;
		rc = index_node(rd, &r->nodes[r->nnodes - 1], &o,
			r->nnodes - 1, name, err, errlen);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		free_index(r);
		return rc;
	}
	/* duplicate ids */
	byid = pp_xcalloc(r->nnodes ? r->nnodes : 1, sizeof *byid);
	for (size_t i = 0; i < r->nnodes; i++)
		byid[i] = &r->nodes[i];
	qsort(byid, r->nnodes, sizeof *byid, cmp_id);
	for (size_t i = 1; i < r->nnodes; i++) {
		if (!strcmp(byid[i]->id, byid[i - 1]->id)) {
			bad(err, errlen, name, "node '%s': field 'id' is "
				"duplicated", byid[i]->id);
			free(byid);
			free_index(r);
			return -1;
		}
	}
	free(byid);
	return 0;
}

static int
index_text(struct pp_registry *r, char *err, size_t errlen)
{
	struct rd rd = {.r = r, .text = 1, .e = r->text + r->len};
	struct pp_jscan s = {r->text + r->len, 0, 0, PP_JSCAN_DEPTH};
	const char *e = rd.e, *p = ws(r->text, e);
	struct slots sl;
	struct jv root;
	int rc;

	/* One strict pass first, so that what follows reads valid text
	 * only; the top level by hand, which also finds its fields. */
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
				return NOT_TAKEN;
			p = pp_jscan_value(&s, p, 1);
			if (!p || memchr(k, '\\', (size_t)(p - k)))
				return NOT_TAKEN;
			key = key_slot(k + 1, (size_t)(p - k) - 2);
			p = ws(p, e);
			if (p >= e || *p != ':')
				return NOT_TAKEN;
			v = ws(p + 1, e);
			p = pp_jscan_value(&s, v, 1);
			if (!p)
				return NOT_TAKEN;
			if (key >= 0) {
				sl.v[key] = v;
				sl.ve[key] = p;
			}
			p = ws(p, e);
			if (p < e && *p == '}') {
				p++;
				break;
			}
			if (p >= e || *p != ',')
				return NOT_TAKEN;
			p = ws(p + 1, e);
		}
	if (ws(p, e) != e)
		return NOT_TAKEN;
	root.end = p;
	rc = index_all(&rd, &root, err, errlen);
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
		rc = index_text(r, err, errlen);
		if (rc != NOT_TAKEN)
			return rc;
		snprintf(err, errlen, "registry '%s': cannot read it again "
			"after an edit", r->path ? r->path : "-");
		return -1;
	}
	jv_tree(r->root, &root);
	rc = index_all(&rd, &root, err, errlen);
	free(rd.tmp);
	return rc;
}

static int
all_ws(const char *s, size_t n)
{
	return pp_jscan_ws(s, s + n) == s + n;
}

/* Takes text (malloc'd, terminated, owned by r from here). */
static int
load(struct pp_registry *r, char *text, size_t len, int tree_only,
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
		return bad(err, errlen, name, "empty input");
	}
	if (!tree_only) {
		rc = index_text(r, err, errlen);
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
		return bad(err, errlen, name, "%s", jerr);
	return pp_registry_index(r, err, errlen);
}

static char *
copy_text(const char *text, size_t len)
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
	return load(r, copy_text(text, len), len, 0, err, errlen);
}

int
pp_registry_parse_text(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen)
{
	if (!r->path)
		r->path = pp_xstrdup(name);
	return load(r, copy_text(text, len), len, -1, err, errlen);
}

int
pp_registry_parse_tree(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen)
{
	if (!r->path)
		r->path = pp_xstrdup(name);
	return load(r, copy_text(text, len), len, 1, err, errlen);
}

static int
is_url(const char *p)
{
	return !strncmp(p, "http://", 7) || !strncmp(p, "https://", 8) ||
		!strncmp(p, "file://", 7);
}

/* The whole file in one buffer of its size (no doubling on the way). */
static char *
read_text(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t cap, n = 0;
	char *s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read registry '%s': %s", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ?
		(size_t)st.st_size + 1 : 65536;
	if (cap > PP_REGISTRY_MAX + 1)
		cap = PP_REGISTRY_MAX + 1;
	s = pp_xmalloc(cap + 1);
	for (;;) {
		ssize_t got;

		if (n == cap) {
			if (cap > PP_REGISTRY_MAX) {
				bad(err, errlen, path, "input larger than "
					"%llu bytes",
					(unsigned long long)PP_REGISTRY_MAX);
				goto fail;
			}
			cap *= 2;
			s = pp_xrealloc(s, cap + 1);
		}
		got = read(fd, s + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "cannot read registry '%s': %s",
				path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > PP_REGISTRY_MAX) {
		bad(err, errlen, path, "input larger than %llu bytes",
			(unsigned long long)PP_REGISTRY_MAX);
		goto fail;
	}
	close(fd);
	s[n] = '\0';
	*len = n;
	return s;
fail:
	close(fd);
	free(s);
	return NULL;
}

/* The last registry read and closed unchanged, with its index: a
 * process that opens the registry again (pp-drain, once before a move
 * and once to record it) and finds the same bytes takes that index
 * instead of reading the text again. Same bytes, same index: nothing
 * but the file's content decides. */
static struct pp_registry cache;

static int add_node(struct pp_buf *b, const struct pp_node *n);

static void
drop_cached(void)
{
	struct pp_registry c = cache;

	memset(&cache, 0, sizeof cache);
	free_index(&c);
	free(c.text);
	free(c.path);
}

/* Whether the file holds the cached bytes, compared as it is read
 * (no copy of a big file is made to find it unchanged). */
static int
same_as_cached(const char *path)
{
	char buf[65536];
	struct stat st;
	size_t off = 0;
	int fd, same = 0;

	if (!cache.text || strcmp(cache.path, path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == cache.len) {
		for (;;) {
			ssize_t got = read(fd, buf, sizeof buf);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				break;
			if (got == 0) {
				same = off == cache.len;
				break;
			}
			if ((size_t)got > cache.len - off ||
			    memcmp(cache.text + off, buf, (size_t)got))
				break;
			off += (size_t)got;
		}
	}
	close(fd);
	return same;
}

/* Takes the cached index when text (NULL: already compared) holds the
 * cached bytes. */
static int
take_cached(struct pp_registry *r, char *text, size_t len)
{
	if (!cache.text || strcmp(cache.path, r->path) || cache.len != len ||
	    (text && memcmp(cache.text, text, len)))
		return 0;
	free(text);
	r->text = cache.text;
	r->len = cache.len;
	r->nodes_open = cache.nodes_open;
	r->nodes = cache.nodes;
	r->nnodes = cache.nnodes;
	r->strings = cache.strings;
	free(cache.path);
	memset(&cache, 0, sizeof cache);
	return 1;
}

/* Whether r's index still describes r's text: nothing removed, added
 * or edited (an object looked at is compared with its text). */
static int
unchanged(const struct pp_registry *r)
{
	int same = 1;

	if (!r->cacheable || !r->text || r->readonly || r->root || r->added)
		return 0;
	for (size_t i = 0; i < r->nnodes && same; i++) {
		const struct pp_node *n = &r->nodes[i];

		if (n->removed)
			return 0;
		if (n->obj) {
			struct pp_buf b = {0};

			add_node(&b, n);
			same = b.len == n->text_len &&
				!memcmp(b.s, n->text, b.len);
			pp_buf_free(&b);
		}
	}
	return same;
}

static void
stash(struct pp_registry *r)
{
	drop_cached();
	for (size_t i = 0; i < r->nnodes; i++) {
		json_object_put(r->nodes[i].obj);
		r->nodes[i].obj = NULL;
	}
	cache.path = r->path;
	cache.text = r->text;
	cache.len = r->len;
	cache.nodes_open = r->nodes_open;
	cache.nodes = r->nodes;
	cache.nnodes = r->nnodes;
	cache.strings = r->strings;
	r->path = NULL;
	r->text = NULL;
	r->nodes = NULL;
	r->nnodes = 0;
	r->strings = NULL;
}

int
pp_registry_open(struct pp_registry *r, const char *path, int mode,
	char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	int rc;

	memset(r, 0, sizeof *r);
	r->lock.fd = -1;
	r->path = pp_xstrdup(path);
	if (pp_pg_is_url(path))
		return pp_regpg_open(r, path, mode, err, errlen);
	if (is_url(path)) {
		if (mode == PP_LOCK_EX) {
			snprintf(err, errlen, "registry '%s' is a URL and "
				"cannot be written", path);
			return -1;
		}
		text = pp_fetch_url(path, PP_REGISTRY_MAX, &len, err, errlen);
		if (!text)
			return -1;
		rc = load(r, copy_text(text, len), len, 0, err, errlen);
		free(text);
		return rc;
	}
	if (mode != PP_LOCK_EX && access(path, R_OK) < 0) {
		snprintf(err, errlen, "cannot read registry '%s': %s",
			path, strerror(errno));
		return -1;
	}
	if (pp_lock(&r->lock, path, mode ? mode : PP_LOCK_SH,
	    LOCK_TIMEOUT) < 0) {
		int e = errno;
		int late = e == ETIMEDOUT || e == EINTR;
		char *lp = pp_lock_name(path);

		/* never read or write unlocked; only a registry that
		 * does not exist (nor its directory) falls through, for
		 * reading to name that */
		if (late || e != ENOENT || access(path, F_OK) == 0) {
			snprintf(err, errlen, "cannot lock registry '%s': "
				"lock file '%s': %s", path, lp, strerror(e));
			free(lp);
			return late ? -2 : -1;
		}
		free(lp);
		r->lock.fd = -1;
	}
	r->cacheable = 1;
	if (same_as_cached(path)) {
		if (!mode)
			pp_unlock(&r->lock);
		take_cached(r, NULL, cache.len);
		return 0;
	}
	text = read_text(path, &len, err, errlen);
	/* a reader holds the lock only while it reads */
	if (!mode || !text)
		pp_unlock(&r->lock);
	if (!text)
		return -1;
	rc = load(r, text, len, 0, err, errlen);
	if (rc < 0)
		pp_unlock(&r->lock);
	return rc;
}

/* The node's object for an edit, parsed from its text on first use. */
static json_object *
node_obj(struct pp_node *n)
{
	char err[256];

	if (!n->obj && n->text)
		n->obj = pp_json_parse(n->text, n->text_len, err, sizeof err);
	return n->obj;
}

/* The text a node is written as: its own unless its object differs.
 * Returns 1 when it is its own. */
static int
add_node(struct pp_buf *b, const struct pp_node *n)
{
	const char *s;
	char *min;
	size_t len;
	int same;

	if (!n->obj) {
		pp_buf_add(b, n->text, n->text_len);
		return 1;
	}
	s = pp_json_string(n->obj, 0);
	min = pp_xmalloc(n->text_len + 1);
	len = pp_jscan_minify(n->text, n->text_len, min);
	same = len == strlen(s) && !memcmp(min, s, len);
	if (same)
		pp_buf_add(b, n->text, n->text_len);
	else
		pp_buf_addstr(b, s);
	free(min);
	return same;
}

/* Where render() put a node: offset and length in the new text, and
 * whether that is the node's own text. */
struct span {
	size_t off, len;
	int same;
};

/* sp: one span per node and added node, or NULL */
static char *
render(struct pp_registry *r, size_t *len, struct span *sp)
{
	struct pp_buf b = {0};
	size_t pos = r->nodes_open + 1, emitted = 0, nadd;
	const char *t = r->text;

	if (!t) {
		/* compact: a pretty rewrite would double the file */
		char *s = pp_xasprintf("%s\n", pp_json_string(r->root, 0));

		*len = strlen(s);
		return s;
	}
	pp_buf_add(&b, t, pos);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *n = &r->nodes[i];
		const char *g = t + pos, *ge = n->text;
		const char *comma = memchr(g, ',', (size_t)(ge - g));
		int same;

		/* each kept node keeps the layout before it */
		if (comma)
			g = comma + 1;
		pos = (size_t)(n->text - t) + n->text_len;
		if (n->removed)
			continue;
		if (emitted++)
			pp_buf_add(&b, ",", 1);
		pp_buf_add(&b, g, (size_t)(ge - g));
		if (sp)
			sp[i].off = b.len;
		same = add_node(&b, n);
		if (sp) {
			sp[i].len = b.len - sp[i].off;
			sp[i].same = same;
		}
	}
	nadd = r->added ? json_object_array_length(r->added) : 0;
	for (size_t i = 0; i < nadd; i++) {
		if (emitted++)
			pp_buf_add(&b, ",", 1);
		if (sp)
			sp[r->nnodes + i].off = b.len;
		pp_buf_addstr(&b, pp_json_string(
			json_object_array_get_idx(r->added, i), 0));
		if (sp) {
			sp[r->nnodes + i].len = b.len - sp[r->nnodes + i].off;
			sp[r->nnodes + i].same = 0;
		}
	}
	pp_buf_add(&b, t + pos, r->len - pos);
	*len = b.len;
	return b.s;
}

char *
pp_registry_render(struct pp_registry *r, size_t *len)
{
	return render(r, len, NULL);
}

/* After a splice: the index of the new text from the old index, the
 * nodes written as their own text moved over, the others (edited,
 * added) checked by the scanner and indexed alone. Returns 0, or -1
 * when the caller must index the whole text (anything unusual). */
static int
reindex_spliced(struct pp_registry *r, char *text, size_t len,
	const struct span *sp)
{
	struct rd rd = {.r = r, .text = 1, .e = text + len};
	size_t nadd = r->added ? json_object_array_length(r->added) : 0;
	size_t total = r->nnodes + nadd, k = 0;
	struct pp_node *nodes = pp_xcalloc(total + 1, sizeof *nodes);
	struct pp_node **byid;
	char err[512];
	int rc = 0;

	for (size_t i = 0; i < total && rc == 0; i++) {
		const struct pp_node *n = i < r->nnodes ? &r->nodes[i] : NULL;
		struct pp_jscan s = {text + sp[i].off + sp[i].len, 0, 0,
			PP_JSCAN_DEPTH};
		struct jv o;

		if (n && n->removed)
			continue;
		if (n && sp[i].same) {
			nodes[k] = *n;
			nodes[k].obj = NULL;
			nodes[k++].text = text + sp[i].off;
			continue;
		}
		if (pp_jscan_value(&s, text + sp[i].off, 2) != s.end ||
		    text[sp[i].off] != '{') {
			rc = -1;
			break;
		}
		memset(&o, 0, sizeof o);
		o.t = JV_OBJ;
		o.p = text + sp[i].off;
		rc = index_node(&rd, &nodes[k], &o, k, "-", err, sizeof err);
		k++;
	}
	free(rd.tmp);
	free(rd.cel);
	free(rd.csl);
	byid = pp_xcalloc(k + 1, sizeof *byid);
	for (size_t i = 0; i < k; i++)
		byid[i] = &nodes[i];
	qsort(byid, k, sizeof *byid, cmp_id);
	for (size_t i = 1; rc == 0 && i < k; i++)
		if (!strcmp(byid[i]->id, byid[i - 1]->id))
			rc = -1;
	free(byid);
	/* the nodes indexed here own their containers; moved ones share */
	for (size_t i = 0, j = 0; i < total && j < k; i++) {
		const struct pp_node *n = i < r->nnodes ? &r->nodes[i] : NULL;

		if (n && n->removed)
			continue;
		if (rc < 0 && !(n && sp[i].same))
			free(nodes[j].containers);
		j++;
	}
	if (rc < 0) {
		free(nodes);
		return -1;
	}
	for (size_t i = 0; i < r->nnodes; i++) {
		if (r->nodes[i].removed || !sp[i].same)
			free(r->nodes[i].containers);
		json_object_put(r->nodes[i].obj);
	}
	free(r->nodes);
	r->nodes = nodes;
	r->nnodes = k;
	free(r->text);
	r->text = text;
	r->len = len;
	json_object_put(r->added);
	r->added = NULL;
	return 0;
}

int
pp_registry_apply(struct pp_registry *r, char **out, size_t *outlen)
{
	size_t nadd = r->added ? json_object_array_length(r->added) : 0;
	struct span *sp = pp_xcalloc(r->nnodes + nadd + 1, sizeof *sp);
	char err[512], *text;
	size_t len;
	int rc = 0;

	text = render(r, &len, r->text ? sp : NULL);
	if (out) {
		*out = pp_xmalloc(len + 1);
		memcpy(*out, text, len + 1);
		*outlen = len;
	}
	if (!r->text) {
		free(text);
		free(sp);
		return pp_registry_index(r, err, sizeof err);
	}
	if (reindex_spliced(r, text, len, sp) < 0) {
		free_index(r);
		free(r->text);
		r->text = text;
		r->len = len;
		json_object_put(r->added);
		r->added = NULL;
		rc = index_text(r, err, sizeof err);
		if (rc == NOT_TAKEN) {
			/* an edit the scanner does not take: json-c reads it */
			r->text = NULL;
			rc = load(r, text, len, 1, err, sizeof err);
		}
		if (rc < 0)
			pp_warn("%s", err);
	}
	free(sp);
	return rc < 0 ? -1 : 0;
}

static int
save_text(struct pp_registry *r, int reindex)
{
	size_t nadd = r->added ? json_object_array_length(r->added) : 0;
	struct span *sp = pp_xcalloc(r->nnodes + nadd + 1, sizeof *sp);
	size_t len;
	char *text = render(r, &len, sp);
	char err[512];
	int rc;

	if (pp_write_atomic(r->path, text, len, 0644) < 0) {
		int e = errno;

		free(text);
		free(sp);
		errno = e;
		return -1;
	}
	if (!reindex) {
		free(text);
		free(sp);
		return 0;
	}
	rc = reindex_spliced(r, text, len, sp);
	free(sp);
	if (rc == 0)
		return 0;
	free_index(r);
	free(r->text);
	r->text = text;
	r->len = len;
	json_object_put(r->added);
	r->added = NULL;
	rc = index_text(r, err, sizeof err);
	if (rc == NOT_TAKEN) {
		/* an edit the scanner does not take: json-c reads it */
		r->text = NULL;
		rc = load(r, text, len, 1, err, sizeof err);
	}
	if (rc < 0) {
		pp_warn("%s", err);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
pp_registry_save(struct pp_registry *r)
{
	char err[512], *s;
	size_t len;
	int rc;

	if (r->pg)
		return pp_regpg_save(r);
	if (r->readonly) {
		errno = EBADF;
		return -1;
	}
	if (r->text)
		return save_text(r, 1);
	s = pp_registry_render(r, &len);
	rc = pp_write_atomic(r->path, s, len, 0644);
	free(s);
	if (rc == 0 && pp_registry_index(r, err, sizeof err) < 0) {
		pp_warn("%s", err);
		errno = EINVAL;
		return -1;
	}
	return rc;
}

int
pp_registry_commit(struct pp_registry *r)
{
	int rc, e;

	if (r->text && !r->readonly && !r->pg) {
		/* indexed from the splice: the next open of the same bytes
		 * (pp-drain's next move) takes it from the cache */
		rc = save_text(r, 1);
		e = errno;
	} else {
		rc = pp_registry_save(r);
		e = errno;
	}
	pp_registry_close(r);
	errno = e;
	return rc;
}

void
pp_registry_close(struct pp_registry *r)
{
	pp_regpg_close(r);
	if (unchanged(r))
		stash(r);
	free_index(r);
	json_object_put(r->root);
	r->root = NULL;
	json_object_put(r->added);
	r->added = NULL;
	free(r->text);
	r->text = NULL;
	pp_unlock(&r->lock);
	free(r->path);
	r->path = NULL;
}

void
pp_registry_forget_text(struct pp_registry *r)
{
	if (!r->text || r->lock.fd >= 0)
		return;
	for (size_t i = 0; i < r->nnodes; i++) {
		r->nodes[i].text = NULL;
		r->nodes[i].text_len = 0;
	}
	free(r->text);
	r->text = NULL;
	r->len = 0;
	r->readonly = 1;
}

struct pp_node *
pp_registry_find(struct pp_registry *r, const char *id)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		struct pp_node *n = &r->nodes[i];

		if (!n->removed && !strcmp(n->id, id)) {
			node_obj(n);
			return n;
		}
	}
	return NULL;
}

void
pp_node_set_status(struct pp_node *n, int status)
{
	json_object_object_add(node_obj(n), "status",
		json_object_new_string(statuses[status]));
	n->status = status;
}

json_object *
pp_registry_nodes(struct pp_registry *r)
{
	if (!r->text)
		return pp_jget(r->root, "nodes");
	if (!r->added)
		r->added = json_object_new_array();
	return r->added;
}

int
pp_registry_remove(struct pp_registry *r, const char *id)
{
	json_object *nodes;
	size_t n;

	if (r->text) {
		for (size_t i = 0; i < r->nnodes; i++) {
			if (!r->nodes[i].removed &&
			    !strcmp(r->nodes[i].id, id)) {
				r->nodes[i].removed = 1;
				return 0;
			}
		}
		nodes = r->added;
	} else {
		nodes = pp_registry_nodes(r);
	}
	n = nodes ? json_object_array_length(nodes) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(nodes, i);

		if (!strcmp(pp_jstr(o, "id", ""), id)) {
			json_object_array_del_idx(nodes, i, 1);
			return 0;
		}
	}
	return -1;
}
