/* keys.h: how a configuration key is declared. The config's own keys
 * (lib/conf/config_keys.c) and every policy's keys (declared next to the
 * policy, lib/engine/policy_*.c) are rows of this one type; loading,
 * the range checks, the profiles, `pp-config check` and the key list of
 * ppscale.yaml(5) all walk the rows. */
#ifndef PP_CONF_KEYS_H
#define PP_CONF_KEYS_H

#include <float.h>
#include <stddef.h>

enum pp_ctype {
	PP_T_SECTION,   /* a heading: a mapping of further keys */
	PP_T_STR, PP_T_INT, PP_T_DOUBLE, PP_T_BOOL,
	PP_T_DUR,       /* long seconds, written 90, 90s, 5m, 2h, 1d */
	PP_T_STRLIST,   /* struct pp_strlist */
	PP_T_STRMAP,    /* struct pp_strmap */
	PP_T_DURLIST,   /* struct pp_longlist */
	PP_T_SCHEDULE,  /* struct pp_schedule */
	PP_T_CATALOG,   /* the config's cloud.catalog only */
	PP_T_POLICIES   /* the config's "policies": one heading per section
			 * of the table the config is loaded with */
};

/* A number lies in [lo, hi], lo exclusive with lo_open. A number
 * without a range must not be negative. */
struct pp_range {
	double lo, hi;
	int lo_open;
};
#define PP_UNBOUNDED DBL_MAX
#define PP_RANGE(lo, hi, open) (&(const struct pp_range){lo, hi, open})
#define PP_POSITIVE PP_RANGE(0, PP_UNBOUNDED, 1)
#define PP_PERCENT PP_RANGE(0, 100, 0)
#define PP_PERCENT_ABOVE_0 PP_RANGE(0, 100, 1)
/* the values a string may take */
#define PP_CHOICES(...) ((const char *const[]){__VA_ARGS__, NULL})

struct pp_conf_key {
	const char *path;   /* below its section ("up_threshold"); the
			     * config's own keys: the whole path */
	enum pp_ctype type;
	size_t off;         /* of the field in the section's struct */
	const char *def;    /* as YAML would write it (lists comma
			     * separated; "builtin" for a schedule or the
			     * catalog); NULL: unset */
	const char *help;
	const struct pp_range *range;  /* numbers; NULL: 0 or more */
	const char *const *choices;    /* strings: NULL-terminated */
	const char *at_most;           /* a key of the same section this
					* one must not exceed ... */
	int strict;                    /* ... or, set, must stay below */
};

/* A row: K(struct, field, path, type, default, help), then any of
 * .range, .choices, .at_most, .strict. */
#define PP_KEY(st, f, p, t, d, h, ...) \
	{.path = (p), .type = (t), .off = offsetof(st, f), .def = (d), \
	 .help = (h), __VA_ARGS__}

/* A profile's value for a key, as YAML would write it. */
struct pp_conf_value {
	const char *path, *value;
};

/* A section of keys under "policies.NAME", with a struct of `size`
 * bytes the config allocates, fills and frees (pp_config_section). */
struct pp_conf_section {
	const char *name;
	const char *help;
	size_t size;
	const struct pp_conf_key *keys;  /* ends with a NULL path */
	/* the "default" profile's values (the "seed" profile is the rows'
	 * defaults); ends with a NULL path; may be NULL */
	const struct pp_conf_value *profile_default;
};

#endif
