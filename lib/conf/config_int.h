/* config_int.h: what the parts of the config loader share; nothing
 * outside lib/conf/config*.c includes it.
 *
 *   config.c        the schema (every key, flattened), loading, profiles
 *   config_keys.c   the config's own keys
 *   config_value.c  the value types: parse, set from text, free
 *   config_yaml.c   reading the YAML document into the fields
 *   config_check.c  the checks once the file is loaded (table driven)
 *   config_print.c  the effective config as YAML, the key list */
#ifndef PP_CONFIG_INT_H
#define PP_CONFIG_INT_H

#include <stddef.h>
#include <yaml.h>

#include "conf/config.h"
#include "conf/keys.h"

/* One key of the schema: the config's own keys in table order and, in
 * place of its "policies" row, a heading per section with its keys. */
struct pp_conf_slot {
	char path[128];
	enum pp_ctype type;
	const struct pp_conf_key *k;  /* NULL: a heading */
	const char *help;
	int sec;                      /* -1: a field of struct pp_config,
				       * else of c->section[sec] */
};

struct pp_conf_schema {
	size_t n;
	struct pp_conf_slot *v;
	size_t nsecs;
	const struct pp_conf_section **secs;
};

/* config_keys.c: ends with a NULL path */
extern const struct pp_conf_key pp_config_keys[];

/* config.c */
struct pp_conf_schema *pp_conf_schema_new(
	const struct pp_conf_section *const *secs, size_t n);
void pp_conf_schema_free(struct pp_conf_schema *s);
const struct pp_conf_slot *pp_conf_find(const struct pp_conf_schema *s,
	const char *path);
void *pp_conf_field(struct pp_config *c, const struct pp_conf_slot *s);
/* The "default" profile's value of a key, NULL where it keeps the
 * table's. */
const char *pp_conf_profile_default(const struct pp_conf_schema *s,
	const struct pp_conf_slot *sl);

/* config_value.c */
const char *pp_conf_type_name(enum pp_ctype t);
int pp_conf_parse_long(const char *s, long *out);
int pp_conf_parse_double(const char *s, double *out);
int pp_conf_parse_bool(const char *s, int *out);
int pp_conf_parse_days(const char *s, unsigned *mask);
int pp_conf_parse_hours(const char *s, int *from, int *to);
void pp_conf_strlist_add(struct pp_strlist *l, const char *s);
void pp_conf_strlist_free(struct pp_strlist *l);
void pp_conf_strmap_free(struct pp_strmap *m);
void pp_conf_catalog_free(struct pp_config *c);
/* The memory (GB) of a type in the built-in catalog, -1 if not in it. */
double pp_conf_builtin_gb(const char *name);
void pp_conf_free_field(struct pp_config *c, const struct pp_conf_slot *s);
/* A scalar-typed field from text; -1 when the text does not fit. */
int pp_conf_set_scalar(void *f, enum pp_ctype t, const char *s);
/* A default or profile value written as text. */
void pp_conf_set_text(struct pp_config *c, const struct pp_conf_slot *s,
	const char *text);

/* Loading one file. */
struct pp_conf_ctx {
	const char *name;
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	struct pp_config *c;
	unsigned char *set;       /* keys given in the file */
	const yaml_node_t **at;   /* and their values, for line numbers */
};

/* config_yaml.c */
int pp_conf_fail(struct pp_conf_ctx *x, const yaml_node_t *n,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *pp_conf_scalar(const yaml_node_t *n);
int pp_conf_is_null(const yaml_node_t *n);
/* Reads a mapping's keys below prefix into the fields. */
int pp_conf_walk(struct pp_conf_ctx *x, const yaml_node_t *map,
	const char *prefix);

/* config_check.c */
int pp_conf_check(struct pp_conf_ctx *x);
/* After pp_conf_check: the problems only `pp-config check` refuses,
 * into x->c->verdict. */
void pp_conf_verdicts(struct pp_conf_ctx *x);

#endif
