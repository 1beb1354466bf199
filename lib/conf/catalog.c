/* The server-type catalog: from the config, from the document, to JSON.
 * Orderability is per location (Hetzner's locations[].available), never
 * inferred from the presence of a price. */
#include <stdlib.h>
#include <string.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "base/json.h"
#include "base/util.h"

void
pp_catalog_free(struct pp_catalog *cat)
{
	for (size_t i = 0; i < cat->n; i++) {
		struct pp_server_type *t = &cat->t[i];

		for (size_t j = 0; j < t->nprices; j++)
			free(t->prices[j].location);
		free(t->prices);
		free(t->name);
		free(t->architecture);
	}
	free(cat->t);
	free(cat->source);
	memset(cat, 0, sizeof *cat);
}

void
pp_catalog_from_config(const struct pp_config *c, struct pp_catalog *cat)
{
	memset(cat, 0, sizeof *cat);
	cat->source = pp_xstrdup("config");
	cat->fetched_at = pp_now();
	cat->n = c->cloud.ncatalog;
	cat->t = pp_xcalloc(cat->n, sizeof *cat->t);
	for (size_t i = 0; i < cat->n; i++) {
		const struct pp_type_conf *tc = &c->cloud.catalog[i];
		struct pp_server_type *t = &cat->t[i];

		t->name = pp_xstrdup(tc->name);
		t->cores = tc->cores;
		t->memory_gb = tc->memory_gb;
		t->architecture = pp_xstrdup(tc->architecture);
		t->deprecated = tc->deprecated;
		t->nprices = tc->locations.n;
		t->prices = pp_xcalloc(t->nprices, sizeof *t->prices);
		for (size_t j = 0; j < t->nprices; j++) {
			t->prices[j].location = pp_xstrdup(
				tc->locations.v[j]);
			t->prices[j].hourly_eur = tc->hourly_eur;
			t->prices[j].monthly_eur = tc->monthly_eur;
			t->prices[j].available = 1;
		}
	}
}

int
pp_catalog_from_json(json_object *o, struct pp_catalog *cat, char *err,
	size_t errlen)
{
	json_object *types = pp_jget(o, "types");
	const char *fetched = pp_jstr(o, "fetched_at", NULL);
	size_t n;

	memset(cat, 0, sizeof *cat);
	if (!types || !json_object_is_type(types, json_type_array)) {
		snprintf(err, errlen, "server_types: 'types' is missing or "
			"not a list");
		return -1;
	}
	cat->source = pp_xstrdup(pp_jstr(o, "source", "document"));
	if (fetched)
		pp_parse_time(fetched, &cat->fetched_at);
	n = json_object_array_length(types);
	cat->t = pp_xcalloc(n, sizeof *cat->t);
	for (size_t i = 0; i < n; i++) {
		json_object *to = json_object_array_get_idx(types, i);
		json_object *locs = pp_jget(to, "locations");
		struct pp_server_type *t = &cat->t[cat->n];
		const char *name = pp_jstr(to, "name", NULL);
		size_t nl;

		if (!name || pp_jdouble(to, "memory_gb", -1) <= 0 ||
		    pp_jdouble(to, "memory_gb", -1) > PP_MEMORY_GB_MAX) {
			snprintf(err, errlen, "server_types: entry %zu needs "
				"'name' and a positive 'memory_gb' (at most "
				"%d)", i, PP_MEMORY_GB_MAX);
			pp_catalog_free(cat);
			return -1;
		}
		cat->n++;
		t->name = pp_xstrdup(name);
		t->cores = (long)pp_jint(to, "cores", 0);
		t->memory_gb = pp_jdouble(to, "memory_gb", 0);
		t->architecture = pp_xstrdup(pp_jstr(to, "architecture",
			"x86"));
		t->deprecated = pp_jbool(to, "deprecated", 0);
		nl = locs && json_object_is_type(locs, json_type_array) ?
			json_object_array_length(locs) : 0;
		t->prices = pp_xcalloc(nl, sizeof *t->prices);
		for (size_t j = 0; j < nl; j++) {
			json_object *lo = json_object_array_get_idx(locs, j);
			const char *ln = pp_jstr(lo, "name", NULL);
			struct pp_price *p;

			if (!ln)
				continue;
			p = &t->prices[t->nprices++];
			p->location = pp_xstrdup(ln);
			p->hourly_eur = pp_jdouble(lo, "hourly_eur", 0);
			p->monthly_eur = pp_jdouble(lo, "monthly_eur", 0);
			p->available = pp_jbool(lo, "available", 0);
			if (pp_jget(lo, "unavailable_after") &&
			    pp_parse_time(pp_jstr(lo, "unavailable_after", ""),
			    &p->unavailable_after) < 0) {
				snprintf(err, errlen, "server_types: type '%s' "
					"location '%s': 'unavailable_after' is "
					"not an RFC 3339 time", t->name, ln);
				pp_catalog_free(cat);
				return -1;
			}
			if (!pp_price_ok(p->hourly_eur) ||
			    !pp_price_ok(p->monthly_eur)) {
				snprintf(err, errlen, "server_types: type '%s' "
					"location '%s': prices must lie in 0 "
					"to %d EUR", t->name, ln,
					PP_PRICE_MAX_EUR);
				pp_catalog_free(cat);
				return -1;
			}
		}
	}
	return 0;
}

json_object *
pp_catalog_json(const struct pp_catalog *cat)
{
	json_object *o = json_object_new_object();
	json_object *types = json_object_new_array_ext((int)cat->n);

	json_object_object_add(o, "source", json_object_new_string(
		cat->source ? cat->source : "config"));
	json_object_object_add(o, "fetched_at", pp_jnew_time(cat->fetched_at));
	for (size_t i = 0; i < cat->n; i++) {
		const struct pp_server_type *t = &cat->t[i];
		json_object *to = json_object_new_object();
		json_object *locs = json_object_new_array();

		json_object_object_add(to, "name",
			json_object_new_string(t->name));
		json_object_object_add(to, "cores",
			json_object_new_int64(t->cores));
		json_object_object_add(to, "memory_gb",
			pp_jnew_double(t->memory_gb, 3));
		json_object_object_add(to, "architecture",
			json_object_new_string(t->architecture));
		json_object_object_add(to, "deprecated",
			json_object_new_boolean(t->deprecated));
		for (size_t j = 0; j < t->nprices; j++) {
			const struct pp_price *p = &t->prices[j];
			json_object *lo = json_object_new_object();

			json_object_object_add(lo, "name",
				json_object_new_string(p->location));
			json_object_object_add(lo, "hourly_eur",
				pp_jnew_double(p->hourly_eur, 5));
			json_object_object_add(lo, "monthly_eur",
				pp_jnew_double(p->monthly_eur, 2));
			json_object_object_add(lo, "available",
				json_object_new_boolean(p->available));
			if (p->unavailable_after)
				json_object_object_add(lo, "unavailable_after",
					pp_jnew_time(p->unavailable_after));
			json_object_array_add(locs, lo);
		}
		json_object_object_add(to, "locations", locs);
		json_object_array_add(types, to);
	}
	json_object_object_add(o, "types", types);
	return o;
}

const struct pp_server_type *
pp_catalog_find(const struct pp_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->n; i++)
		if (!strcmp(cat->t[i].name, name))
			return &cat->t[i];
	return NULL;
}

const struct pp_price *
pp_type_price(const struct pp_server_type *t, const char *location)
{
	for (size_t i = 0; i < t->nprices; i++)
		if (!strcmp(t->prices[i].location, location))
			return &t->prices[i];
	return NULL;
}

int
pp_price_orderable(const struct pp_price *p, time_t now)
{
	return p && p->available && (!p->unavailable_after ||
		now <= p->unavailable_after);
}

long long
pp_type_usable_mb(const struct pp_server_type *t, long long reserved_mb)
{
	long long mb = pp_dclamp(t->memory_gb * 1024 + 0.5, 0,
		PP_RAM_MAX_MB);

	return mb > reserved_mb ? mb - reserved_mb : 0;
}

int
pp_price_ok(double eur)
{
	return eur >= 0 && eur <= PP_PRICE_MAX_EUR;
}
