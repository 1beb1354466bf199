/* Reading the YAML document into the config's fields, key by key of
 * the schema. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "conf/config_int.h"
#include "base/util.h"

/* The readers below are dense: the shared helpers by short names. */
#define fail(...) pp_conf_fail(__VA_ARGS__)
#define scalar(n) pp_conf_scalar(n)
#define is_null(n) pp_conf_is_null(n)
#define type_name(t) pp_conf_type_name(t)
#define parse_long(s, v) pp_conf_parse_long(s, v)
#define parse_double(s, v) pp_conf_parse_double(s, v)
#define parse_bool(s, v) pp_conf_parse_bool(s, v)
#define parse_days(s, v) pp_conf_parse_days(s, v)
#define parse_hours(s, a, b) pp_conf_parse_hours(s, a, b)
#define strlist_add(l, s) pp_conf_strlist_add(l, s)
#define strlist_free(l) pp_conf_strlist_free(l)
#define strmap_free(m) pp_conf_strmap_free(m)
#define catalog_free(c) pp_conf_catalog_free(c)
#define free_field(c, k) pp_conf_free_field(c, k)

/* "unknown key 'a.b'", and the key meant when it is near one: a
 * sibling a typo away, or else the one key of that name elsewhere
 * (`max_cloud_nodes` at the top level is `limits.max_cloud_nodes`).
 * fixed: the keys the place allows when the schema does not list
 * them (a schedule row, a catalog entry); NULL: the schema's. */
static int
unknown_key(struct pp_conf_ctx *x, const yaml_node_t *kn, const char *path,
	const char *const *fixed, size_t nfixed)
{
	const struct pp_conf_schema *sc = x->c->schema;
	const char *dot = strrchr(path, '.');
	const char *word = dot ? dot + 1 : path;
	size_t plen = dot ? (size_t)(dot - path) : 0;
	const char *near, *elsewhere = NULL;
	int many = 0;

	if (fixed) {
		near = pp_nearest(word, fixed, nfixed);
	} else {
		const char **cands = pp_xcalloc(sc->n ? sc->n : 1,
			sizeof *cands);
		size_t n = 0;

		for (size_t i = 0; i < sc->n; i++) {
			const char *p = sc->v[i].path;
			const char *last = strrchr(p, '.');
			size_t pl = last ? (size_t)(last - p) : 0;

			last = last ? last + 1 : p;
			if (pl == plen && !strncmp(p, path, plen)) {
				cands[n++] = last;
			} else if (!strcmp(last, word)) {
				many += elsewhere != NULL;
				elsewhere = p;
			}
		}
		near = pp_nearest(word, cands, n);
		free(cands);
	}
	if (near)
		return fail(x, kn, "unknown key '%s' (did you mean "
			"'%.*s%s%s'?)", path, (int)plen, path, dot ? "." : "",
			near);
	if (elsewhere && !many)
		return fail(x, kn, "unknown key '%s' (did you mean '%s'?)",
			path, elsewhere);
	return fail(x, kn, "unknown key '%s'", path);
}

int
pp_conf_fail(struct pp_conf_ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n)
		snprintf(x->err, x->errlen, "config '%s' line %zu: %s",
			x->name, n->start_mark.line + 1, msg);
	else
		snprintf(x->err, x->errlen, "config '%s': %s", x->name, msg);
	return -1;
}

const char *
pp_conf_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int
is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

int
pp_conf_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || !is_plain(n))
		return 0;
	s = scalar(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

static int
want_scalar(struct pp_conf_ctx *x, const yaml_node_t *n, const char *path,
	const char *what)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, "'%s' must be %s", path, what);
	return 0;
}

static int
load_strlist(struct pp_conf_ctx *x, const yaml_node_t *n, const char *path,
	struct pp_strlist *l)
{
	strlist_free(l);
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, "'%s' must be a list of strings", path);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);

		if (!e || e->type != YAML_SCALAR_NODE)
			return fail(x, e ? e : n, "'%s' must be a list of "
				"strings", path);
		strlist_add(l, scalar(e));
	}
	return 0;
}

static int
load_schedule(struct pp_conf_ctx *x, const yaml_node_t *n, const char *path,
	struct pp_schedule *s)
{
	free(s->rule);
	s->rule = NULL;
	s->n = 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, "'%s' must be %s", path,
			type_name(PP_T_SCHEDULE));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		struct pp_spare_rule r = {0, 0, 24, -1};

		if (!e || e->type != YAML_MAPPING_NODE)
			return fail(x, e ? e : n, "'%s' rows must be mappings "
				"with days, hours and spares", path);
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
		     p < e->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(x->doc,
				p->key);
			yaml_node_t *vn = yaml_document_get_node(x->doc,
				p->value);
			const char *kk = scalar(kn);

			if (vn->type == YAML_SEQUENCE_NODE &&
			    !strcmp(kk, "days")) {
				for (yaml_node_item_t *d =
				     vn->data.sequence.items.start;
				     d < vn->data.sequence.items.top; d++) {
					yaml_node_t *dn =
						yaml_document_get_node(x->doc,
							*d);

					if (dn->type != YAML_SCALAR_NODE ||
					    parse_days(scalar(dn), &r.days))
						return fail(x, dn, "'%s.days': "
							"bad weekday", path);
				}
				continue;
			}
			if (vn->type != YAML_SCALAR_NODE)
				return fail(x, vn, "'%s.%s' must be a scalar",
					path, kk);
			if (!strcmp(kk, "days")) {
				if (parse_days(scalar(vn), &r.days))
					return fail(x, vn, "'%s.days': bad "
						"weekday '%s' (mon..sun, "
						"ranges like mon-thu)", path,
						scalar(vn));
			} else if (!strcmp(kk, "hours")) {
				if (parse_hours(scalar(vn), &r.from_hour,
				    &r.to_hour))
					return fail(x, vn, "'%s.hours': "
						"expected FROM-TO within "
						"0-24, not '%s'", path,
						scalar(vn));
			} else if (!strcmp(kk, "spares")) {
				if (parse_long(scalar(vn), &r.spares) ||
				    r.spares < 0)
					return fail(x, vn, "'%s.spares' must "
						"be a non-negative integer",
						path);
			} else {
				static const char *const row[] = {"days",
					"hours", "spares"};
				char full[256];

				snprintf(full, sizeof full, "%s.%s", path, kk);
				return unknown_key(x, kn, full, row,
					sizeof row / sizeof row[0]);
			}
		}
		if (!r.days)
			r.days = 0x7f;
		if (r.spares < 0)
			return fail(x, e, "'%s' row without 'spares'", path);
		s->rule = pp_xreallocarray(s->rule, s->n + 1, sizeof r);
		s->rule[s->n++] = r;
	}
	return 0;
}

static int
load_catalog(struct pp_conf_ctx *x, const yaml_node_t *n, const char *path)
{
	struct pp_config *c = x->c;

	catalog_free(c);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, "'%s' must be %s", path,
			type_name(PP_T_CATALOG));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		struct pp_type_conf t = {0};
		int bad = 0;

		if (!e || e->type != YAML_MAPPING_NODE)
			return fail(x, e ? e : n, "'%s' entries must be "
				"mappings", path);
		c->cloud.catalog = pp_xreallocarray(c->cloud.catalog,
			c->cloud.ncatalog + 1, sizeof t);
		t.hourly_eur = -1;
		t.memory_gb = -1;
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
		     p < e->data.mapping.pairs.top && !bad; p++) {
			yaml_node_t *kn = yaml_document_get_node(x->doc,
				p->key);
			yaml_node_t *vn = yaml_document_get_node(x->doc,
				p->value);
			const char *kk = scalar(kn);
			const char *v = vn->type == YAML_SCALAR_NODE ?
				scalar(vn) : NULL;

			if (!strcmp(kk, "locations")) {
				bad = load_strlist(x, vn, "cloud.catalog."
					"locations", &t.locations);
			} else if (!v) {
				bad = fail(x, vn, "'%s.%s' must be a scalar",
					path, kk);
			} else if (!strcmp(kk, "name")) {
				free(t.name);
				t.name = pp_xstrdup(v);
			} else if (!strcmp(kk, "architecture")) {
				free(t.architecture);
				t.architecture = pp_xstrdup(v);
			} else if (!strcmp(kk, "cores")) {
				if (parse_long(v, &t.cores) || t.cores < 1)
					bad = fail(x, vn, "'%s.cores' must be "
						"a positive integer", path);
			} else if (!strcmp(kk, "memory_gb")) {
				if (parse_double(v, &t.memory_gb) ||
				    t.memory_gb <= 0 ||
				    t.memory_gb > PP_MEMORY_GB_MAX)
					bad = fail(x, vn, "'%s.memory_gb' must "
						"be a positive number (at most "
						"%d)", path, PP_MEMORY_GB_MAX);
			} else if (!strcmp(kk, "hourly_eur")) {
				if (parse_double(v, &t.hourly_eur) ||
				    !pp_price_ok(t.hourly_eur))
					bad = fail(x, vn, "'%s.hourly_eur' "
						"must be a number >= 0", path);
			} else if (!strcmp(kk, "monthly_eur")) {
				if (parse_double(v, &t.monthly_eur) ||
				    !pp_price_ok(t.monthly_eur))
					bad = fail(x, vn, "'%s.monthly_eur' "
						"must be a number >= 0", path);
			} else if (!strcmp(kk, "deprecated")) {
				if (parse_bool(v, &t.deprecated))
					bad = fail(x, vn, "'%s.deprecated' "
						"must be true or false", path);
			} else {
				static const char *const entry[] = {"name",
					"architecture", "cores", "memory_gb",
					"hourly_eur", "monthly_eur",
					"deprecated", "locations"};
				char full[256];

				snprintf(full, sizeof full, "%s.%s", path, kk);
				bad = unknown_key(x, kn, full, entry,
					sizeof entry / sizeof entry[0]);
			}
		}
		if (!bad && (!t.name || t.memory_gb < 0 || t.hourly_eur < 0))
			bad = fail(x, e, "'%s' entry needs name, memory_gb and "
				"hourly_eur", path);
		if (!t.architecture)
			t.architecture = pp_xstrdup("x86");
		if (!t.monthly_eur && t.hourly_eur > 0)
			t.monthly_eur = t.hourly_eur * 730;
		c->cloud.catalog[c->cloud.ncatalog++] = t;
		if (bad)
			return -1;
	}
	return 0;
}

static int
load_value(struct pp_conf_ctx *x, const struct pp_conf_slot *k,
	const yaml_node_t *n)
{
	void *f = pp_conf_field(x->c, k);

	switch (k->type) {
	case PP_T_STRLIST:
		return load_strlist(x, n, k->path, f);
	case PP_T_DURLIST: {
		struct pp_strlist tmp = {0};
		struct pp_longlist *ll = f;

		if (load_strlist(x, n, k->path, &tmp) < 0) {
			strlist_free(&tmp);
			return -1;
		}
		free_field(x->c, k);
		ll->v = pp_xcalloc(tmp.n, sizeof *ll->v);
		for (size_t i = 0; i < tmp.n; i++) {
			ll->v[i] = pp_parse_duration(tmp.v[i]);
			if (ll->v[i] <= 0) {
				strlist_free(&tmp);
				return fail(x, n, "'%s' must be %s", k->path,
					type_name(k->type));
			}
			ll->n++;
		}
		strlist_free(&tmp);
		return 0;
	}
	case PP_T_STRMAP: {
		struct pp_strmap *m = f;

		strmap_free(m);
		if (is_null(n))
			return 0;
		if (n->type != YAML_MAPPING_NODE)
			return fail(x, n, "'%s' must be %s", k->path,
				type_name(k->type));
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(x->doc,
				p->key);
			yaml_node_t *vn = yaml_document_get_node(x->doc,
				p->value);

			if (kn->type != YAML_SCALAR_NODE ||
			    vn->type != YAML_SCALAR_NODE)
				return fail(x, vn, "'%s' must be %s", k->path,
					type_name(k->type));
			m->keys = pp_xreallocarray(m->keys, m->n + 1,
				sizeof *m->keys);
			m->vals = pp_xreallocarray(m->vals, m->n + 1,
				sizeof *m->vals);
			m->keys[m->n] = pp_xstrdup(scalar(kn));
			m->vals[m->n++] = pp_xstrdup(scalar(vn));
		}
		return 0;
	}
	case PP_T_SCHEDULE:
		return load_schedule(x, n, k->path, f);
	case PP_T_CATALOG:
		return load_catalog(x, n, k->path);
	case PP_T_STR:
		if (is_null(n)) {
			free_field(x->c, k);
			return 0;
		}
		/* fall through */
	default:
		if (want_scalar(x, n, k->path, type_name(k->type)) < 0)
			return -1;
		if (k->type != PP_T_STR && !is_plain(n))
			return fail(x, n, "'%s' must be %s, not a quoted "
				"string", k->path, type_name(k->type));
		if (pp_conf_set_scalar(f, k->type, scalar(n)) < 0)
			return fail(x, n, "'%s' must be %s, not '%s'",
				k->path, type_name(k->type), scalar(n));
		return 0;
	}
}

int
pp_conf_walk(struct pp_conf_ctx *x, const yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(x->doc, p->value);
		char path[256];
		const struct pp_conf_slot *k;
		size_t i;

		if (!kn || kn->type != YAML_SCALAR_NODE)
			return fail(x, kn, "keys must be plain strings");
		snprintf(path, sizeof path, "%s%s%s", prefix,
			*prefix ? "." : "", scalar(kn));
		k = pp_conf_find(x->c->schema, path);
		if (!k)
			return unknown_key(x, kn, path, NULL, 0);
		i = (size_t)(k - x->c->schema->v);
		if (x->set[i])
			return fail(x, kn, "duplicate key '%s'", path);
		x->set[i] = 1;
		x->at[i] = vn;
		if (k->type == PP_T_SECTION) {
			if (is_null(vn))
				continue;
			if (vn->type != YAML_MAPPING_NODE)
				return fail(x, vn, "'%s' must be a mapping",
					path);
			if (pp_conf_walk(x, vn, path) < 0)
				return -1;
			continue;
		}
		if (load_value(x, k, vn) < 0)
			return -1;
	}
	return 0;
}
