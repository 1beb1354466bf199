/* The registry's reader: one value at a time, from the text the strict
 * scanner (base/jscan.c) has validated or from json-c's tree, so that
 * one index function (registry_index.c) reads both the same way. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/jscan.h"
#include "store/registry.h"
#include "store/registry_int.h"

const char *
pp_rg_str_keep(struct pp_registry *r, const char *s, size_t n)
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

void
pp_rg_free_index(struct pp_registry *r)
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

int
pp_rg_bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "registry '%s': %s", name, msg);
	return -1;
}

const char *const pp_rg_keys[K_COUNT] = {
	"version", "nodes", "id", "kind", "status", "role", "total_ram_mb",
	"reserved_ram_mb", "ip", "location", "cloud", "containers",
	"provider", "server_id", "server_type", "server_name",
	"hourly_cost_eur", "created_at", "ram_mb", "state", "players",
	"draining_since", "draining_by", "delete_protected"
};

/* The end of a string whose opening quote is at p (valid text, which
 * ends at e): 16 bytes at a step to the next quote or backslash. */
static const char *
str_end(const char *p, const char *e)
{
	for (p++;; p++) {
		p = pp_jscan_special(p, e);
		if (*p == '"')
			return p + 1;
		if (*p == '\\')
			p++;
	}
}

/* The same for a key: *esc set when it holds a backslash (one pass,
 * not a memchr of every key after it). */
static const char *
key_end(const char *p, const char *e, int *esc)
{
	for (p++;; p++) {
		p = pp_jscan_special(p, e);
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			*esc = 1;
			p++;
		}
	}
}

/* Bytes that end a number, true, false or null. */
static const unsigned char numend[256] = {
	[','] = 1, [']'] = 1, ['}'] = 1, [' '] = 1, ['\n'] = 1, ['\t'] = 1,
	['\r'] = 1
};

/* The end of the value at p, in text the scanner has validated. */
static const char *
skip(const char *p, const char *e)
{
	if (*p == '"')
		return str_end(p, e);
	if (*p != '{' && *p != '[') {
		while (p < e && !numend[(unsigned char)*p])
			p++;
		return p;
	}
	/* 64 bytes at a step where no backslash is among them */
	return pp_rg_block_end(p, e, 0, 1);
}

/* The field a key names, or -1: by length, then by bytes (this runs
 * for every key of the registry). */
int
pp_rg_key_slot(const char *k, size_t n)
{
#define IS(s, slot) if (!memcmp(k, s, sizeof s - 1)) return slot
	switch (n) {
	case 2:
		IS("id", K_ID);
		IS("ip", K_IP);
		break;
	case 4:
		IS("kind", K_KIND);
		IS("role", K_ROLE);
		break;
	case 5:
		IS("state", K_STATE);
		IS("nodes", K_NODES);
		IS("cloud", K_CLOUD);
		break;
	case 6:
		IS("ram_mb", K_RAM);
		IS("status", K_STATUS);
		break;
	case 7:
		IS("players", K_PLAYERS);
		IS("version", K_VERSION);
		break;
	case 8:
		IS("location", K_LOCATION);
		IS("provider", K_PROVIDER);
		break;
	case 9:
		IS("server_id", K_SERVER_ID);
		break;
	case 10:
		IS("containers", K_CONTAINERS);
		IS("created_at", K_CREATED);
		break;
	case 11:
		IS("server_type", K_SERVER_TYPE);
		IS("server_name", K_SERVER_NAME);
		IS("draining_by", K_DRAINING_BY);
		break;
	case 12:
		IS("total_ram_mb", K_TOTAL);
		break;
	case 14:
		IS("draining_since", K_DRAINING_SINCE);
		break;
	case 15:
		IS("reserved_ram_mb", K_RESERVED);
		IS("hourly_cost_eur", K_HOURLY);
		break;
	case 16:
		IS("delete_protected", K_DELETE_PROTECTED);
		break;
	}
	return -1;
#undef IS
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
int
pp_rg_jv_text(struct rd *rd, const char *p, const char *end, struct jv *v)
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
			v->s = pp_rg_str_keep(rd->r, json_object_get_string(o),
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

void
pp_rg_jv_tree(json_object *o, struct jv *v)
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

static void
grow_cels(struct rd *rd)
{
	rd->celcap = rd->celcap ? 2 * rd->celcap : 64;
	rd->cel = pp_xrealloc(rd->cel, rd->celcap * sizeof *rd->cel);
	rd->csl = pp_xrealloc(rd->csl, rd->celcap * sizeof *rd->csl);
}

/* The next container's place in rd->cel (the lists grown as needed):
 * once for each game server of the registry, so inline. */
static inline struct jv *
next_cel(struct rd *rd)
{
	if (rd->ncel == rd->celcap)
		grow_cels(rd);
	return &rd->cel[rd->ncel];
}

/* The containers opened: each object's fields where the last growth of
 * the lists left them; the end of the list (its ']' at p). */
static const char *
cels_done(struct rd *rd, const char *p)
{
	for (size_t i = 0; i < rd->ncel; i++)
		if (rd->cel[i].t == JV_OBJ)
			rd->cel[i].sl = &rd->csl[i];
	return p + 1;
}

/* Opens each container of the list at p as it is passed over. */
static const char *
open_containers(struct rd *rd, const char *p)
{
	const char *e = rd->e;

	rd->cel_for = NULL;
	rd->ncel = 0;
	for (p = ws(p + 1, e); *p != ']'; rd->ncel++) {
		struct jv *c;

		c = next_cel(rd);
		if (*p == '{') {
			memset(c, 0, sizeof *c);
			c->t = JV_OBJ;
			c->p = p;
			if (pp_rg_open_obj(rd, c, &rd->csl[rd->ncel], 0) < 0)
				return NULL;
		} else if (pp_rg_jv_text(rd, p, NULL, c) < 0) {
			return NULL;
		}
		p = ws(c->end, e);
		if (*p == ',')
			p = ws(p + 1, e);
	}
	return cels_done(rd, p);
}

/* Makes an object's fields reachable by pp_rg_get(). A node's containers
 * are opened on the way (open_containers). */
int
pp_rg_open_obj(struct rd *rd, struct jv *v, struct slots *sl, int node)
{
	const char *p, *e = rd->e;

	if (!rd->text || v->sl)
		return 0;
	sl->mask = 0;   /* the slots found are set below */
	v->sl = sl;
	p = ws(v->p + 1, e);
	while (*p != '}') {
		int esc = 0, key;
		const char *k = p + 1, *ke = key_end(p, e, &esc) - 1, *ve;

		/* an escaped key may spell a field: json-c decides */
		if (esc)
			return NOT_TAKEN;
		key = pp_rg_key_slot(k, (size_t)(ke - k));
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
			sl->mask |= 1ul << key;
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

/* The same two on text not yet checked: each value is checked by the
 * strict scanner (rd->chk) as pp_jscan_value() at depth d would check
 * the whole, while the fields are found, so a node's text is read once
 * while it is in the cache (issue 17). NULL / NOT_TAKEN where the
 * scanner refuses the text, or the reader does not take it. */
static const char *
open_containers_chk(struct rd *rd, const char *p, int d)
{
	struct pp_jscan *s = rd->chk;
	const char *e = rd->e;

	if (d >= s->maxdepth)
		return NULL;
	rd->cel_for = NULL;
	rd->ncel = 0;
	p = ws(p + 1, e);
	if (p < e && *p == ']')
		return p + 1;
	for (;;) {
		struct jv *c;

		c = next_cel(rd);
		if (p < e && *p == '{') {
			memset(c, 0, sizeof *c);
			c->t = JV_OBJ;
			c->p = p;
			if (pp_rg_open_obj_chk(rd, c, &rd->csl[rd->ncel], 0,
			    d + 1) < 0)
				return NULL;
		} else if (!pp_jscan_value(s, p, d + 1) ||
		    pp_rg_jv_text(rd, p, NULL, c) < 0) {
			return NULL;
		}
		rd->ncel++;
		p = ws(c->end, e);
		if (p < e && *p == ']')
			break;
		if (p >= e || *p != ',')
			return NULL;
		p = ws(p + 1, e);
	}
	return cels_done(rd, p);
}

int
pp_rg_open_obj_chk(struct rd *rd, struct jv *v, struct slots *sl, int node,
	int d)
{
	struct pp_jscan *s = rd->chk;
	const char *p, *e = rd->e;

	if (d >= s->maxdepth)
		return NOT_TAKEN;
	sl->mask = 0;
	v->sl = sl;
	p = ws(v->p + 1, e);
	if (p < e && *p == '}') {
		v->end = p + 1;
		return 0;
	}
	for (;;) {
		const char *k = p + 1, *ke, *ve;
		int key;

		if (p >= e || *p != '"')
			return NOT_TAKEN;
		ke = pp_jscan_value(s, p, d + 1);
		/* an escaped key may spell a field: json-c decides */
		if (!ke || memchr(k, '\\', (size_t)(ke - 1 - k)))
			return NOT_TAKEN;
		key = pp_rg_key_slot(k, (size_t)(ke - 1 - k));
		p = ws(ke, e);
		if (p >= e || *p != ':')
			return NOT_TAKEN;
		p = ws(p + 1, e);
		if (node && key == K_CONTAINERS && p < e && *p == '[') {
			ve = open_containers_chk(rd, p, d + 1);
			if (!ve)
				return NOT_TAKEN;
			rd->cel_for = p;
		} else {
			ve = pp_jscan_value(s, p, d + 1);
			if (!ve)
				return NOT_TAKEN;
		}
		if (key >= 0) {
			sl->mask |= 1ul << key;
			sl->v[key] = p;
			sl->ve[key] = ve;
		}
		p = ws(ve, e);
		if (p < e && *p == '}') {
			v->end = p + 1;
			return 0;
		}
		if (p >= e || *p != ',')
			return NOT_TAKEN;
		p = ws(p + 1, e);
	}
}

int
pp_rg_get(struct rd *rd, const struct jv *o, int key, struct jv *v)
{
	if (rd->text)
		return pp_rg_jv_text(rd, o->sl->mask >> key & 1 ?
			o->sl->v[key] : NULL, o->sl->ve[key], v);
	pp_rg_jv_tree(pp_jget(o->o, pp_rg_keys[key]), v);
	return 0;
}

/* A string value as a C string that lives as long as the index. */
const char *
pp_rg_keep(struct rd *rd, struct jv *v)
{
	if (v->t != JV_STR)
		return NULL;
	if (!v->kept) {
		v->s = pp_rg_str_keep(rd->r, v->s, v->len);
		v->kept = 1;
	}
	return v->s;
}

void
pp_rg_it_init(struct rd *rd, const struct jv *a, struct it *it)
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
int
pp_rg_it_next(struct rd *rd, struct it *it, struct jv *v, struct slots *sl,
	int node)
{
	if (!rd->text) {
		if (it->i >= it->n)
			return 0;
		pp_rg_jv_tree(json_object_array_get_idx(it->a->o, it->i++), v);
		return 1;
	}
	if (*it->p == ']')
		return 0;
	if (*it->p == '{') {
		memset(v, 0, sizeof *v);
		v->t = JV_OBJ;
		v->p = it->p;
		if (pp_rg_open_obj(rd, v, sl, node) < 0)
			return NOT_TAKEN;
	} else if (pp_rg_jv_text(rd, it->p, NULL, v) < 0) {
		return NOT_TAKEN;
	}
	it->p = ws(v->end, rd->e);
	if (*it->p == ',')
		it->p = ws(it->p + 1, rd->e);
	return 1;
}

int
pp_rg_lookup_jv(const struct jv *v, const char **names, int n)
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
