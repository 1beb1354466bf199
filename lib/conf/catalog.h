/* catalog.c: the server-type catalog (the document's server_types) */
#ifndef PP_CATALOG_H
#define PP_CATALOG_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

struct pp_config;

struct pp_price {
	char *location;
	double hourly_eur;   /* net */
	double monthly_eur;  /* net; the cap of hourly billing */
	int available;       /* the API's locations[].available */
	/* deprecated there (locations[].deprecation, or the type's
	 * top-level deprecation: the earlier of both): orderable until
	 * this time, not after; 0 when not deprecated there */
	time_t unavailable_after;
};

struct pp_server_type {
	char *name;
	long cores;
	double memory_gb;
	char *architecture;
	/* never ordered: the config's "deprecated: true", or the API's
	 * legacy boolean with no deprecation to say until when (a
	 * deprecation with a date is each location's unavailable_after) */
	int deprecated;
	size_t nprices;
	struct pp_price *prices;
};

struct pp_catalog {
	char *source;        /* "config", "local", "hetzner", "cache" */
	time_t fetched_at;
	size_t n;
	struct pp_server_type *t;
};

/* The catalog the config lists (cloud.catalog). */
void pp_catalog_from_config(const struct pp_config *c, struct pp_catalog *cat);
/* Reads the document's server_types section; -1 with a message. */
int pp_catalog_from_json(json_object *o, struct pp_catalog *cat, char *err,
	size_t errlen);
/*  {"source", "fetched_at", "types": [{"name", "cores", "memory_gb",
 *   "architecture", "deprecated", "locations": [{"name", "hourly_eur",
 *   "monthly_eur", "available"[, "unavailable_after"]}]}]} */
json_object *pp_catalog_json(const struct pp_catalog *cat);
void pp_catalog_free(struct pp_catalog *cat);

const struct pp_server_type *pp_catalog_find(const struct pp_catalog *cat,
	const char *name);
/* The type's price entry for a location, NULL when it has none. */
const struct pp_price *pp_type_price(const struct pp_server_type *t,
	const char *location);
/* Whether a type can be ordered there at now: available, and not past
 * its deprecation's unavailable_after there. */
int pp_price_orderable(const struct pp_price *p, time_t now);
/* Usable RAM in MB of a new node of this type (memory - reserved). */
long long pp_type_usable_mb(const struct pp_server_type *t,
	long long reserved_mb);

/* Bounds on what a catalog from outside may say: more is an error (a
 * 64 TB server type or a price of a million EUR an hour is a broken
 * answer, not an offer). */
#define PP_MEMORY_GB_MAX 65536
#define PP_PRICE_MAX_EUR 1000000
/* A price within 0..PP_PRICE_MAX_EUR (NaN is not). */
int pp_price_ok(double eur);

#endif
