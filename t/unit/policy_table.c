/* The policies' keys come from the engine's table: for every policy in
 * it, every key of its section is listed, loads into the policy's
 * settings, refuses a value of the wrong type and, for a number, one
 * below its range. And a section the table does not know (a toy
 * policy's) gets its keys, defaults, profile value, range check and
 * printing from its rows alone. Usage: policy_table [names]; prints
 * "ok"/"FAIL" lines (names: the table's policies, one a line) and
 * exits 1 on a miss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"
#include "engine/settings.h"

static int failed;

static void
check(int ok, const char *fmt, const char *a, const char *b)
{
	printf("%s ", ok ? "ok" : "FAIL");
	printf(fmt, a, b);
	putchar('\n');
	failed |= !ok;
}

static struct pp_config *
load(const char *yaml, const struct pp_conf_section *const *secs,
	size_t n, char *err, size_t errlen)
{
	*err = '\0';
	return pp_config_parse(yaml, strlen(yaml), "t", secs, n, err, errlen);
}

/* The config as the tools load it. */
static struct pp_config *
load_tools(const char *yaml, char *err, size_t errlen)
{
	*err = '\0';
	return pp_engine_config_parse(yaml, strlen(yaml), "t", err, errlen);
}

static int
is_number(enum pp_ctype t)
{
	return t == PP_T_INT || t == PP_T_DOUBLE || t == PP_T_DUR;
}

/* A value of the row's type that the checks take, as YAML. */
static const char *
good_value(const struct pp_conf_key *k)
{
	switch (k->type) {
	case PP_T_BOOL:
		return "true";
	case PP_T_STR:
		return k->choices ? k->choices[0] : "x";
	case PP_T_SCHEDULE:
		return "[{days: mon, hours: 0-24, spares: 1}]";
	case PP_T_STRLIST:
		return "[a]";
	default:
		return k->def;
	}
}

static void
table_keys(const struct pp_policy *const *pols, size_t npols)
{
	char yaml[512], err[512], path[128];
	char *keys = NULL;
	size_t keyslen = 0;
	FILE *f = open_memstream(&keys, &keyslen);

	pp_engine_config_keys(f);
	fclose(f);
	for (size_t i = 0; i < npols; i++) {
		const struct pp_conf_section *s = pols[i]->conf;

		check(s && !strcmp(s->name, pols[i]->name),
			"policy %s has its section%s", pols[i]->name, "");
		for (const struct pp_conf_key *k = s->keys; k->path; k++) {
			struct pp_config *c;

			snprintf(path, sizeof path, "\npolicies.%s.%s\t",
				s->name, k->path);
			check(strstr(keys, path) != NULL,
				"the key list has %s%s", path + 1, "");
			snprintf(yaml, sizeof yaml, "profile: seed\npolicies:\n"
				"  %s:\n    %s: %s\n", s->name, k->path,
				good_value(k));
			c = load_tools(yaml, err, sizeof err);
			check(c != NULL, "policies.%s.%s loads", s->name,
				k->path);
			if (c && is_number(k->type)) {
				const char *v = (const char *)
					pp_policy_settings(c, pols[i]) + k->off;
				double got = k->type == PP_T_DOUBLE ?
					*(const double *)v : (double)
					*(const long *)v;
				double want = k->type == PP_T_DUR ?
					(double)pp_parse_duration(k->def) :
					strtod(k->def, NULL);

				check(got == want, "policies.%s.%s lands in "
					"the policy's settings", s->name,
					k->path);
			}
			pp_config_free(c);
			snprintf(yaml, sizeof yaml, "policies:\n  %s:\n"
				"    %s: [1, 2]\n", s->name, k->path);
			c = load_tools(yaml, err, sizeof err);
			snprintf(path, sizeof path, "'policies.%s.%s'",
				s->name, k->path);
			check(!c && strstr(err, path), "%s refuses a list "
				"(%s)", path, err);
			pp_config_free(c);
			if (!is_number(k->type))
				continue;
			snprintf(yaml, sizeof yaml, "policies:\n  %s:\n"
				"    %s: -1\n", s->name, k->path);
			c = load_tools(yaml, err, sizeof err);
			check(!c && strstr(err, path) && strstr(err, "must be"),
				"%s is range-checked (%s)", path, err);
			pp_config_free(c);
		}
	}
	free(keys);
}

/* A policy the engine does not have: its rows are all it takes. */
struct toy_conf {
	struct pp_policy_conf on;
	double level;
	long wait;
};

#define K(f, ...) PP_KEY(struct toy_conf, f, #f, __VA_ARGS__)
static const struct pp_conf_key toy_keys[] = {
	PP_POLICY_KEYS(struct toy_conf, "false", "3"),
	K(level, PP_T_DOUBLE, "50", "toy level", .range = PP_PERCENT),
	K(wait, PP_T_DUR, "5m", "toy wait"),
	{.path = NULL},
};
#undef K
static const struct pp_conf_value toy_profile[] = {
	{"enabled", "true"},
	{NULL, NULL},
};
static const struct pp_conf_section toy = {
	"toy", "a toy policy", sizeof(struct toy_conf), toy_keys,
	toy_profile,
};

static void
toy_section(void)
{
	const struct pp_conf_section *secs[] = {&toy};
	char err[512], *out = NULL;
	size_t outlen = 0;
	struct pp_config *c;
	const struct toy_conf *t;
	FILE *f;

	c = pp_config_parse(NULL, 0, "t", secs, 1, err, sizeof err);
	t = pp_config_section(c, &toy);
	check(t && t->on.enabled && t->on.priority == 3 && t->level == 50 &&
		t->wait == 300, "a new section takes its defaults and the "
		"default profile's value%s%s", "", "");
	f = open_memstream(&out, &outlen);
	pp_config_print(c, f);
	fclose(f);
	check(strstr(out, "\n  toy:\n    enabled: true\n    priority: 3\n"
		"    level: 50\n    wait: 5m\n") != NULL,
		"pp-config prints a new section%s%s", "", "");
	free(out);
	pp_config_free(c);

	c = load("profile: seed\npolicies: {toy: {level: 42}}\n", secs, 1,
		err, sizeof err);
	t = c ? pp_config_section(c, &toy) : NULL;
	check(t && !t->on.enabled && t->level == 42,
		"a new section's key loads, the seed keeps its rows%s%s", "",
		"");
	pp_config_free(c);

	c = load("policies: {toy: {level: 101}}\n", secs, 1, err, sizeof err);
	check(!c && strstr(err, "'policies.toy.level' must be at least 0 "
		"and at most 100, not '101'"), "a new section's range is "
		"checked (%s)%s", err, "");
	pp_config_free(c);

	f = open_memstream(&out, &outlen);
	pp_config_dump_keys(secs, 1, f);
	fclose(f);
	check(strstr(out, "\npolicies.toy\tsection\t-\ta toy policy\t\n") &&
		strstr(out, "\npolicies.toy.enabled\ttrue or false\ttrue\t"
		"on or off\tfalse\n"), "the key list has a new section and "
		"its profile value%s%s", "", "");
	free(out);

	/* without the section, its keys are unknown */
	c = load("policies: {toy: {level: 1}}\n", NULL, 0, err, sizeof err);
	check(!c && strstr(err, "unknown key 'policies.toy'"),
		"a section not in the table has no keys (%s)%s", err, "");
	pp_config_free(c);
}

int
main(int argc, char **argv)
{
	const struct pp_policy *pols[32];
	size_t n = pp_engine_policies(NULL, pols, 32);

	if (argc > 1 && !strcmp(argv[1], "names")) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", pols[i]->name);
		return 0;
	}
	table_keys(pols, n);
	toy_section();
	return failed;
}
