/* The document's nodes as the engine sees them.
 *
 * Two readers, one meaning: every field goes through node_field(), and
 * the text reader (the lean document's nodes, valid compact JSON without
 * escapes: see jscan.h) hands back to json-c whatever it would read
 * differently (a number of more than 18 digits or out of range). A key
 * given twice counts with its last value, as json-c keeps it, because
 * node_field() sets a field wholly from one value. t/fuzz/doc.c holds
 * the two readers to the same answers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "base/json.h"
#include "engine/enode.h"
#include "store/registry.h"
#include "base/util.h"

enum { V_NULL, V_INT, V_DOUBLE, V_STRING, V_TRUE, V_OTHER };

struct val {
	int type;
	long long i;                /* numbers, as json-c's get_int64 */
	double d;                   /* numbers */
	const char *s;              /* V_STRING */
};

/* The figures, in the order a bad one is named. */
enum { F_TOTAL, F_RESERVED, F_USABLE, F_ALLOCATED, F_LARGEST,
	F_LARGEST_ALLOC, F_CONTAINERS, F_HOURLY, NFIGS };
static const char *const figs[NFIGS] = {"total_ram_mb",
	"reserved_ram_mb", "usable_ram_mb", "allocated_ram_mb",
	"largest_container_mb", "largest_allocated_mb", "containers",
	"hourly_cost_eur"};

/* figures checked when the node ends */
struct acc {
	long long total, reserved;
	/* largest_allocated_mb (a stopped game server holds no RAM and
	 * restarts where its data is: no new node must hold it); a
	 * document without it gives largest_container_mb */
	long long largest, largest_alloc;
	int have_usable, have_alloc, status;
	unsigned bad;               /* figs[i] is not a number: bit i */
};

static void
node_start(struct pp_enode *e, struct acc *a)
{
	memset(e, 0, sizeof *e);
	e->kind = PP_KIND_DEDICATED;
	e->role = PP_ROLE_WORKER;
	a->total = a->reserved = 0;
	a->have_usable = 0;
	a->largest = a->largest_alloc = 0;
	a->have_alloc = 0;
	a->status = -1;
	a->bad = 0;
}

static long long
num(const struct val *v)
{
	return v->type == V_INT || v->type == V_DOUBLE ? v->i : 0;
}

/* A figure: a number, or null for none. Anything else is a bad
 * document, not 0: a string usable_ram_mb read as 0 made a full fleet
 * and a scale-up. A key given twice counts as its last value, as
 * json-c reads it, so both readers judge the same text alike. */
static long long
fig(struct acc *a, unsigned i, const struct val *v)
{
	if (v->type != V_NULL && v->type != V_INT && v->type != V_DOUBLE)
		a->bad |= 1u << i;
	else
		a->bad &= ~(1u << i);
	return num(v);
}

/* The first figure, in figs' order, that is not a number, or NULL. */
static const char *
bad_fig(const struct acc *a)
{
	for (unsigned i = 0; i < NFIGS; i++)
		if (a->bad & 1u << i)
			return figs[i];
	return NULL;
}

static const char *
str(const struct val *v)
{
	return v->type == V_STRING ? v->s : NULL;
}

/* Sets one field from one value; null is as if the key were absent.
 * (container_ram_mb is the readers' own.) */
static void
node_field(struct pp_enode *e, struct acc *a, const char *k,
	const struct val *v)
{
	const char *s = str(v);
	time_t t;

	switch (k[0]) {
	case 'i':
		if (!strcmp(k, "id"))
			e->id = s;
		break;
	case 'k':
		if (!strcmp(k, "kind"))
			e->kind = s && !strcmp(s, "cloud") ? PP_KIND_CLOUD :
				PP_KIND_DEDICATED;
		break;
	case 's':
		if (!strcmp(k, "status"))
			a->status = pp_status_parse(s);
		else if (!strcmp(k, "server_type"))
			e->server_type = s;
		else if (!strcmp(k, "server_id")) {
			e->server_id = s;
			e->no_server = !s || !*s;
		}
		else if (!strcmp(k, "stranded"))
			e->stranded = v->type == V_TRUE;
		break;
	case 'r':
		if (!strcmp(k, "role"))
			e->role = s && !strcmp(s, "spare") ? PP_ROLE_SPARE :
				PP_ROLE_WORKER;
		else if (!strcmp(k, "reserved_ram_mb"))
			a->reserved = fig(a, F_RESERVED, v);
		break;
	case 'u':
		if (!strcmp(k, "usable_ram_mb")) {
			e->usable_mb = fig(a, F_USABLE, v);
			a->have_usable = v->type != V_NULL;
		}
		break;
	case 't':
		if (!strcmp(k, "total_ram_mb"))
			a->total = fig(a, F_TOTAL, v);
		break;
	case 'a':
		if (!strcmp(k, "allocated_ram_mb"))
			e->allocated_mb = fig(a, F_ALLOCATED, v);
		break;
	case 'l':
		if (!strcmp(k, "largest_container_mb")) {
			a->largest = fig(a, F_LARGEST, v);
		} else if (!strcmp(k, "largest_allocated_mb")) {
			a->largest_alloc = fig(a, F_LARGEST_ALLOC, v);
			a->have_alloc = v->type != V_NULL;
		}
		else if (!strcmp(k, "location"))
			e->location = s;
		break;
	case 'h':
		if (!strcmp(k, "hourly_cost_eur")) {
			fig(a, F_HOURLY, v);
			e->hourly_eur = v->type == V_INT ||
				v->type == V_DOUBLE ? v->d : 0;
		}
		break;
	case 'p':
		if (!strcmp(k, "provider"))
			e->provider = s;
		break;
	case 'd':
		if (!strcmp(k, "draining_by")) {
			e->draining_by = s;
			e->maintenance = s && !strcmp(s, "maintenance");
			e->expiring = s && !strcmp(s, PP_DRAIN_BY_EXPIRE);
		}
		else if (!strcmp(k, "delete_protected"))
			e->delete_protected = v->type == V_TRUE;
		else if (!strcmp(k, "draining_since"))
			e->draining_since = s && pp_parse_time(s, &t) == 0 ?
				t : 0;
		break;
	case 'c':
		if (!strcmp(k, "containers"))
			e->containers = (long)fig(a, F_CONTAINERS, v);
		else if (!strcmp(k, "created_at"))
			e->created_at = s && pp_parse_time(s, &t) == 0 ? t : 0;
		break;
	}
}

static int
ram_ok(long long mb)
{
	return mb >= 0 && mb <= PP_RAM_MAX_MB;
}

static int
node_end(struct pp_enode *e, const struct acc *a)
{
	e->status = a->status;
	if (!e->id || a->status < 0)
		return -1;
	if (a->bad)
		return -3;
	/* figures a document may not claim: sums must not overflow */
	if (!ram_ok(a->total) || !ram_ok(a->reserved))
		return -2;
	if (!a->have_usable)
		e->usable_mb = a->total - a->reserved;
	e->largest_mb = a->have_alloc ? a->largest_alloc : a->largest;
	if (!ram_ok(a->largest))
		return -2;
	if (!ram_ok(e->usable_mb) || !ram_ok(e->allocated_mb) ||
	    !ram_ok(e->largest_mb) || e->containers < 0 ||
	    !pp_price_ok(e->hourly_eur))
		return -2;
	for (size_t j = 0; j < e->ncontainer_mb; j++)
		if (!ram_ok(e->container_mb[j]))
			return -2;
	return 0;
}

/* ---- from json-c objects ------------------------------------------ */

static void
val_of(json_object *o, struct val *v)
{
	memset(v, 0, sizeof *v);
	switch (o ? json_object_get_type(o) : json_type_null) {
	case json_type_null:
		v->type = V_NULL;
		break;
	case json_type_int:
	case json_type_double:
		v->type = json_object_is_type(o, json_type_int) ? V_INT :
			V_DOUBLE;
		v->i = json_object_get_int64(o);
		v->d = json_object_get_double(o);
		break;
	case json_type_string:
		v->type = V_STRING;
		v->s = json_object_get_string(o);
		break;
	case json_type_boolean:
		v->type = json_object_get_boolean(o) ? V_TRUE : V_OTHER;
		break;
	default:
		v->type = V_OTHER;
	}
}

static int
from_tree(struct pp_enodes *set, json_object *nodes, size_t *bad)
{
	size_t n = json_object_array_length(nodes), nram = 0, used = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *a = pp_jget(json_object_array_get_idx(nodes, i),
			"container_ram_mb");

		if (a && json_object_is_type(a, json_type_array))
			nram += json_object_array_length(a);
	}
	set->v = pp_xcalloc(n ? n : 1, sizeof *set->v);
	set->ram = pp_xcalloc(nram ? nram : 1, sizeof *set->ram);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(nodes, i);
		struct pp_enode *e = &set->v[i];
		struct acc a;
		struct val v;
		int rc;

		node_start(e, &a);
		*bad = i;
		if (!json_object_is_type(o, json_type_object))
			return -1;
		json_object_object_foreach(o, k, jv) {
			if (strcmp(k, "container_ram_mb")) {
				val_of(jv, &v);
				node_field(e, &a, k, &v);
				continue;
			}
			if (!json_object_is_type(jv, json_type_array))
				continue;
			e->container_mb = set->ram + used;
			e->ncontainer_mb = json_object_array_length(jv);
			for (size_t j = 0; j < e->ncontainer_mb; j++) {
				val_of(json_object_array_get_idx(jv, j), &v);
				set->ram[used++] = num(&v);
			}
		}
		rc = node_end(e, &a);
		if (rc == -3)
			set->not_number = bad_fig(&a);
		if (rc < 0)
			return rc;
		set->n = i + 1;
	}
	return 0;
}

/* ---- from the compact text of a lean document ----------------------- */

enum { HAND_BACK = 1 };

/* past the object or array at p */
static const char *
skip(const char *p)
{
	int depth = 0;

	do {
		if (*p == '"') {
			p = strchr(p + 1, '"') + 1;
			continue;
		}
		if (*p == '[' || *p == '{')
			depth++;
		else if (*p == ']' || *p == '}')
			depth--;
		p++;
	} while (depth > 0);
	return p;
}

/* A number as json-c reads it, or HAND_BACK for one it reads in a way
 * not worth copying (more than 18 digits, beyond int64, infinite). */
static int
text_num(const char **pp, struct val *v)
{
	const char *p = *pp, *q = p + (*p == '-');
	long long i = 0;
	int real = 0;

	while (*q >= '0' && *q <= '9')
		q++;
	if (*q == '.' || *q == 'e' || *q == 'E') {
		char *end;

		real = 1;
		v->d = strtod(p, &end);
		q = end;
		if (!isfinite(v->d) || fabs(v->d) >= 9e18)
			return HAND_BACK;
		v->i = (long long)v->d;
	} else {
		if (q - p - (*p == '-') > 18)
			return HAND_BACK;
		for (const char *d = p + (*p == '-'); d < q; d++)
			i = i * 10 + (*d - '0');
		v->i = *p == '-' ? -i : i;
		v->d = (double)v->i;
	}
	v->type = real ? V_DOUBLE : V_INT;
	*pp = q;
	return 0;
}

/* One value at *pp: strings are copied (terminated) to *arena. */
static int
text_val(const char **pp, char **arena, struct val *v)
{
	const char *p = *pp, *q;

	memset(v, 0, sizeof *v);
	switch (*p) {
	case '"':
		q = strchr(p + 1, '"');
		memcpy(*arena, p + 1, (size_t)(q - p - 1));
		(*arena)[q - p - 1] = '\0';
		v->type = V_STRING;
		v->s = *arena;
		*arena += q - p;
		*pp = q + 1;
		return 0;
	case 'n':
		v->type = V_NULL;
		*pp = p + 4;
		return 0;
	case 't':
	case 'f':
		v->type = *p == 't' ? V_TRUE : V_OTHER;
		*pp = p + (*p == 't' ? 4 : 5);
		return 0;
	case '[':
	case '{':
		v->type = V_OTHER;
		*pp = skip(p);
		return 0;
	default:
		return text_num(pp, v);
	}
}

struct grow {
	struct pp_enode *v;
	size_t n, cap;
	size_t *ram_at;             /* each node's list, as an offset */
	long long *ram;
	size_t nram, ramcap;
	const char *not_number;
};

static void
add_ram(struct grow *g, long long mb)
{
	if (g->nram == g->ramcap) {
		g->ramcap = g->ramcap ? 2 * g->ramcap : 1024;
		g->ram = pp_xreallocarray(g->ram, g->ramcap, sizeof *g->ram);
	}
	g->ram[g->nram++] = mb;
}

/* container_ram_mb's value at *pp */
static int
text_ram(const char **pp, struct grow *g, struct pp_enode *e, char **arena)
{
	const char *p = *pp;
	struct val v;

	e->container_mb = NULL;
	e->ncontainer_mb = 0;
	g->ram_at[g->n] = g->nram;
	if (*p != '[')
		return text_val(pp, arena, &v);
	p++;
	while (*p != ']') {
		if (text_val(&p, arena, &v))
			return HAND_BACK;
		add_ram(g, num(&v));
		e->ncontainer_mb++;
		if (*p == ',')
			p++;
	}
	*pp = p + 1;
	return 0;
}

static int
text_node(const char **pp, struct grow *g, char **arena)
{
	struct pp_enode *e = &g->v[g->n];
	const char *p = *pp;
	struct acc a;

	node_start(e, &a);
	if (*p != '{') {
		*pp = p;
		return -1;
	}
	for (p++; *p != '}';) {
		const char *k = p + 1, *q = strchr(k, '"');
		char key[32];
		struct val v;

		/* a longer key is none the engine reads */
		if ((size_t)(q - k) < sizeof key) {
			memcpy(key, k, (size_t)(q - k));
			key[q - k] = '\0';
		} else {
			key[0] = '\0';
		}
		p = q + 2;
		if (!strcmp(key, "container_ram_mb")) {
			if (text_ram(&p, g, e, arena))
				return HAND_BACK;
		} else {
			if (text_val(&p, arena, &v))
				return HAND_BACK;
			node_field(e, &a, key, &v);
		}
		if (*p == ',')
			p++;
	}
	*pp = p + 1;
	/* the list's place, until the next node's lists move it */
	if (e->ncontainer_mb)
		e->container_mb = g->ram + g->ram_at[g->n];
	g->not_number = bad_fig(&a);
	return node_end(e, &a);
}

static int
from_text(struct pp_enodes *set, const char *text, size_t *bad)
{
	struct grow g = {0};
	const char *p = text + 1;
	char *arena;
	int rc = 0;

	set->strings = pp_xmalloc(strlen(text) + 1);
	arena = set->strings;
	while (*p != ']') {
		if (g.n == g.cap) {
			g.cap = g.cap ? 2 * g.cap : 256;
			g.v = pp_xreallocarray(g.v, g.cap, sizeof *g.v);
			g.ram_at = pp_xreallocarray(g.ram_at, g.cap,
				sizeof *g.ram_at);
		}
		g.ram_at[g.n] = 0;
		*bad = g.n;
		rc = text_node(&p, &g, &arena);
		if (rc)
			break;
		g.n++;
		if (*p == ',')
			p++;
	}
	/* the lists' places, now that they have stopped moving */
	for (size_t i = 0; i < g.n; i++)
		if (g.v[i].ncontainer_mb)
			g.v[i].container_mb = g.ram + g.ram_at[i];
	set->v = g.v ? g.v : pp_xcalloc(1, sizeof *set->v);
	set->n = g.n;
	set->ram = g.ram;
	if (rc == -3)
		set->not_number = g.not_number;
	free(g.ram_at);
	return rc;
}

int
pp_enodes_read(struct pp_enodes *set, json_object *nodes, size_t *bad)
{
	const char *text = pp_jraw_text(nodes);
	char err[256];
	int rc;

	memset(set, 0, sizeof *set);
	*bad = 0;
	if (!text)
		return from_tree(set, nodes, bad);
	rc = from_text(set, text, bad);
	if (rc != HAND_BACK)
		return rc;
	pp_enodes_free(set);
	set->tree = pp_json_parse(text, strlen(text), err, sizeof err);
	if (!set->tree)
		pp_die(PP_EXIT_FAIL, "cannot read the nodes again: %s", err);
	return from_tree(set, set->tree, bad);
}

void
pp_enodes_free(struct pp_enodes *set)
{
	free(set->v);
	free(set->ram);
	free(set->strings);
	json_object_put(set->tree);
	memset(set, 0, sizeof *set);
}
