/* The config's value types: text to field, and freeing a field. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config_int.h"
#include "base/util.h"

int
pp_conf_parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

int
pp_conf_parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end)
		return -1;
	return *out != *out ? -1 : 0; /* NaN */
}

int
pp_conf_parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
		*out = 0;
		return 0;
	}
	return -1;
}

void
pp_conf_strlist_free(struct pp_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
pp_conf_strlist_add(struct pp_strlist *l, const char *s)
{
	l->v = pp_xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = pp_xstrdup(s);
}

void
pp_conf_strmap_free(struct pp_strmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	m->keys = m->vals = NULL;
	m->n = 0;
}

void
pp_conf_catalog_free(struct pp_config *c)
{
	for (size_t i = 0; i < c->cloud.ncatalog; i++) {
		free(c->cloud.catalog[i].name);
		free(c->cloud.catalog[i].architecture);
		pp_conf_strlist_free(&c->cloud.catalog[i].locations);
	}
	free(c->cloud.catalog);
	c->cloud.catalog = NULL;
	c->cloud.ncatalog = 0;
}

/* Weekday names to a bit mask; accepts "fri", "friday", "mon-thu". */
static int
day_index(const char *s, size_t n)
{
	static const char *names[] = {"sun", "mon", "tue", "wed", "thu",
		"fri", "sat"};
	static const char *full[] = {"sunday", "monday", "tuesday",
		"wednesday", "thursday", "friday", "saturday"};

	for (int i = 0; i < 7; i++) {
		if ((n == 3 && strncasecmp(s, names[i], 3) == 0) ||
		    (n == strlen(full[i]) && strncasecmp(s, full[i], n) == 0))
			return i;
	}
	return -1;
}

int
pp_conf_parse_days(const char *s, unsigned *mask)
{
	while (*s) {
		size_t n = strcspn(s, ",- ");
		int a = day_index(s, n), b;

		if (a < 0)
			return -1;
		s += n;
		if (*s == '-') {
			s++;
			n = strcspn(s, ", ");
			b = day_index(s, n);
			if (b < 0)
				return -1;
			s += n;
			for (int d = a;; d = (d + 1) % 7) {
				*mask |= 1u << d;
				if (d == b)
					break;
			}
		} else {
			*mask |= 1u << a;
		}
		while (*s == ',' || *s == ' ')
			s++;
	}
	return 0;
}

int
pp_conf_parse_hours(const char *s, int *from, int *to)
{
	long a, b;
	char *end;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || *end != '-')
		return -1;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end || a < 0 || a > 23 || b < 1 ||
	    b > 24 || a >= b)
		return -1;
	*from = (int)a;
	*to = (int)b;
	return 0;
}

/* The seed's schedule: 3 spares on Friday and Saturday, 1 otherwise. */
static void
default_schedule(struct pp_schedule *s)
{
	s->rule = pp_xcalloc(2, sizeof *s->rule);
	s->rule[0] = (struct pp_spare_rule){(1u << 5) | (1u << 6), 0, 24, 3};
	s->rule[1] = (struct pp_spare_rule){0x7f, 0, 24, 1};
	s->n = 2;
}

/* Hetzner's current cost-optimised and shared-vCPU types; EUR net. */
#define NBUILTIN (sizeof builtin_types / sizeof builtin_types[0])
static const struct {
	const char *name, *arch;
	long cores;
	double gb, hourly, monthly;
	int deprecated;
} builtin_types[] = {
	{"cx23", "x86", 2, 4, 0.0056, 3.49, 0},
	{"cx33", "x86", 4, 8, 0.0088, 5.49, 0},
	{"cx43", "x86", 8, 16, 0.0152, 9.49, 0},
	{"cx53", "x86", 16, 32, 0.0280, 17.49, 0},
	{"cpx22", "x86", 2, 4, 0.0096, 5.99, 0},
	{"cpx32", "x86", 4, 8, 0.0168, 10.49, 0},
	{"cpx42", "x86", 8, 16, 0.0312, 19.49, 0},
	{"cpx52", "x86", 12, 24, 0.0440, 27.49, 0},
	{"cax11", "arm", 2, 4, 0.0061, 3.79, 0},
	{"cx22", "x86", 2, 4, 0.0060, 3.79, 1},
};

double
pp_conf_builtin_gb(const char *name)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (!strcmp(builtin_types[i].name, name))
			return builtin_types[i].gb;
	return -1;
}

static void
default_catalog(struct pp_config *c)
{
	size_t n = NBUILTIN;

	c->cloud.catalog = pp_xcalloc(n, sizeof *c->cloud.catalog);
	c->cloud.ncatalog = n;
	for (size_t i = 0; i < n; i++) {
		struct pp_type_conf *tc = &c->cloud.catalog[i];

		tc->name = pp_xstrdup(builtin_types[i].name);
		tc->architecture = pp_xstrdup(builtin_types[i].arch);
		tc->cores = builtin_types[i].cores;
		tc->memory_gb = builtin_types[i].gb;
		tc->hourly_eur = builtin_types[i].hourly;
		tc->monthly_eur = builtin_types[i].monthly;
		tc->deprecated = builtin_types[i].deprecated;
		pp_conf_strlist_add(&tc->locations, "nbg1");
		pp_conf_strlist_add(&tc->locations, "fsn1");
		pp_conf_strlist_add(&tc->locations, "hel1");
	}
}

void
pp_conf_free_field(struct pp_config *c, const struct pp_conf_slot *k)
{
	void *f = pp_conf_field(c, k);

	switch (k->type) {
	case PP_T_STR:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case PP_T_STRLIST:
		pp_conf_strlist_free(f);
		break;
	case PP_T_STRMAP:
		pp_conf_strmap_free(f);
		break;
	case PP_T_DURLIST:
		free(((struct pp_longlist *)f)->v);
		((struct pp_longlist *)f)->v = NULL;
		((struct pp_longlist *)f)->n = 0;
		break;
	case PP_T_SCHEDULE:
		free(((struct pp_schedule *)f)->rule);
		((struct pp_schedule *)f)->rule = NULL;
		((struct pp_schedule *)f)->n = 0;
		break;
	case PP_T_CATALOG:
		pp_conf_catalog_free(c);
		break;
	default:
		break;
	}
}

const char *
pp_conf_type_name(enum pp_ctype t)
{
	switch (t) {
	case PP_T_STR: return "a string";
	case PP_T_INT: return "an integer";
	case PP_T_DOUBLE: return "a number";
	case PP_T_BOOL: return "true or false";
	case PP_T_DUR: return "a duration (90, 90s, 5m, 2h, 1d)";
	case PP_T_STRLIST: return "a list of strings";
	case PP_T_STRMAP: return "a mapping of strings";
	case PP_T_DURLIST: return "a list of durations";
	case PP_T_SCHEDULE: return "a list of schedule rows";
	case PP_T_CATALOG: return "a list of server types";
	default: return "a mapping";
	}
}

/* Sets a scalar-typed field from text; -1 when the text does not fit. */
int
pp_conf_set_scalar(void *f, enum pp_ctype t, const char *s)
{
	long l;
	double d;
	int b;

	switch (t) {
	case PP_T_STR:
		free(*(char **)f);
		*(char **)f = pp_xstrdup(s);
		return 0;
	case PP_T_INT:
		if (pp_conf_parse_long(s, &l) < 0)
			return -1;
		*(long *)f = l;
		return 0;
	case PP_T_DOUBLE:
		if (pp_conf_parse_double(s, &d) < 0)
			return -1;
		*(double *)f = d;
		return 0;
	case PP_T_BOOL:
		if (pp_conf_parse_bool(s, &b) < 0)
			return -1;
		*(int *)f = b;
		return 0;
	case PP_T_DUR:
		l = pp_parse_duration(s);
		if (l < 0)
			return -1;
		*(long *)f = l;
		return 0;
	default:
		return -1;
	}
}

/* Applies a default or profile value written as text. Lists are
 * comma-separated; "builtin" selects the built-in schedule/catalog. */
void
pp_conf_set_text(struct pp_config *c, const struct pp_conf_slot *k,
	const char *s)
{
	void *f = pp_conf_field(c, k);

	pp_conf_free_field(c, k);
	if (!s)
		return;
	switch (k->type) {
	case PP_T_STRLIST:
	case PP_T_DURLIST: {
		char *copy = pp_xstrdup(s), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			if (k->type == PP_T_STRLIST) {
				pp_conf_strlist_add(f, t);
			} else {
				struct pp_longlist *ll = f;

				ll->v = pp_xreallocarray(ll->v, ll->n + 1,
					sizeof *ll->v);
				ll->v[ll->n++] = pp_parse_duration(t);
			}
		}
		free(copy);
		break;
	}
	case PP_T_STRMAP:
		break;
	case PP_T_SCHEDULE:
		default_schedule(f);
		/* a number: that many spares at all hours */
		if (strcmp(s, "builtin") != 0) {
			struct pp_schedule *sc = f;

			sc->n = 1;
			sc->rule[0] = (struct pp_spare_rule){0x7f, 0, 24,
				strtol(s, NULL, 10)};
		}
		break;
	case PP_T_CATALOG:
		default_catalog(c);
		break;
	default:
		if (pp_conf_set_scalar(f, k->type, s) < 0)
			pp_die(PP_EXIT_FAIL, "internal: bad default for '%s'",
				k->path);
	}
}

int
pp_type_choice_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "cheapest_per_gb"))
		return PP_TC_CHEAPEST_PER_GB;
	if (!strcmp(s, "smallest_fit"))
		return PP_TC_SMALLEST_FIT;
	if (!strcmp(s, "cheapest"))
		return PP_TC_CHEAPEST;
	return -1;
}
