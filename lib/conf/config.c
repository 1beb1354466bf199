/* The YAML configuration: one schema of keys with types, defaults,
 * ranges and profile values, made of the config's own rows
 * (config_keys.c) and the sections of the table it is loaded with (the
 * policies' rows, declared next to each policy). Loading, checking,
 * printing and the key list all walk the schema. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "conf/config_int.h"
#include "base/util.h"

/* The profiles: "default" takes each section's profile_default values,
 * "seed" keeps the rows' defaults (DESIGN section 4). */
static const char *const profiles[] = {"default", "seed"};

static void
add_slot(struct pp_conf_schema *s, const char *path, enum pp_ctype type,
	const struct pp_conf_key *k, const char *help, int sec)
{
	struct pp_conf_slot *sl;

	s->v = pp_xreallocarray(s->v, s->n + 1, sizeof *s->v);
	sl = &s->v[s->n++];
	if ((size_t)snprintf(sl->path, sizeof sl->path, "%s", path) >=
	    sizeof sl->path)
		pp_die(PP_EXIT_FAIL, "internal: config key '%s' too long",
			path);
	sl->type = type;
	sl->k = k;
	sl->help = help;
	sl->sec = sec;
}

struct pp_conf_schema *
pp_conf_schema_new(const struct pp_conf_section *const *secs, size_t n)
{
	struct pp_conf_schema *s = pp_xcalloc(1, sizeof *s);
	char path[128];

	s->nsecs = n;
	s->secs = pp_xcalloc(n ? n : 1, sizeof *s->secs);
	for (size_t i = 0; i < n; i++)
		s->secs[i] = secs[i];
	for (const struct pp_conf_key *k = pp_config_keys; k->path; k++) {
		if (k->type != PP_T_POLICIES) {
			add_slot(s, k->path, k->type, k, k->help, -1);
			continue;
		}
		add_slot(s, k->path, PP_T_SECTION, NULL, k->help, -1);
		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof path, "%s.%s", k->path,
				secs[i]->name);
			add_slot(s, path, PP_T_SECTION, NULL, secs[i]->help,
				(int)i);
			for (const struct pp_conf_key *pk = secs[i]->keys;
			     pk->path; pk++) {
				snprintf(path, sizeof path, "%s.%s.%s",
					k->path, secs[i]->name, pk->path);
				add_slot(s, path, pk->type, pk, pk->help,
					(int)i);
			}
		}
	}
	return s;
}

void
pp_conf_schema_free(struct pp_conf_schema *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->secs);
	free(s);
}

const struct pp_conf_slot *
pp_conf_find(const struct pp_conf_schema *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].path, path) == 0)
			return &s->v[i];
	return NULL;
}

void *
pp_conf_field(struct pp_config *c, const struct pp_conf_slot *s)
{
	return (s->sec < 0 ? (char *)c : (char *)c->section[s->sec]) +
		s->k->off;
}

const char *
pp_conf_profile_default(const struct pp_conf_schema *s,
	const struct pp_conf_slot *sl)
{
	const struct pp_conf_value *o;

	if (sl->sec < 0 || !sl->k)
		return NULL;
	o = s->secs[sl->sec]->profile_default;
	for (; o && o->path; o++)
		if (!strcmp(o->path, sl->k->path))
			return o->value;
	return NULL;
}

const void *
pp_config_section(const struct pp_config *c, const struct pp_conf_section *s)
{
	for (size_t i = 0; i < c->nsections; i++)
		if (c->sections[i] == s)
			return c->section[i];
	return NULL;
}

static int
apply_profile(struct pp_conf_ctx *x, const char *name, const yaml_node_t *n)
{
	const struct pp_conf_schema *s = x->c->schema;

	if (!strcmp(name, profiles[0])) {
		for (size_t i = 0; i < s->n; i++) {
			const char *v = pp_conf_profile_default(s, &s->v[i]);

			if (v)
				pp_conf_set_text(x->c, &s->v[i], v);
		}
		return 0;
	}
	if (!strcmp(name, profiles[1]))
		return 0;
	return pp_conf_fail(x, n, "'profile' must be %s or %s, not '%s'",
		profiles[0], profiles[1], name);
}

/* What libyaml could not parse, and where. */
static int
yaml_fail(struct pp_conf_ctx *x, const yaml_parser_t *parser)
{
	snprintf(x->err, x->errlen, "config '%s' line %zu: %s%s%s", x->name,
		parser->problem_mark.line + 1,
		parser->problem ? parser->problem : "YAML error",
		parser->context ? " " : "", parser->context ?
		parser->context : "");
	return -1;
}

/* A second document in the file would be ignored: refuse it. */
static int
one_document(struct pp_conf_ctx *x, yaml_parser_t *parser)
{
	yaml_document_t more;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(parser, &more))
		return yaml_fail(x, parser);
	root = yaml_document_get_root_node(&more);
	if (root) {
		snprintf(x->err, x->errlen, "config '%s' line %zu: a second "
			"YAML document: the config is one document", x->name,
			more.start_mark.line + 1);
		rc = -1;
	}
	yaml_document_delete(&more);
	return rc;
}

struct pp_config *
pp_config_parse(const char *yaml, size_t len, const char *name,
	const struct pp_conf_section *const *secs, size_t nsecs, char *err,
	size_t errlen)
{
	struct pp_config *c = pp_xcalloc(1, sizeof *c);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct pp_conf_ctx x = {name, err, errlen, &doc, c, NULL, NULL};
	const struct pp_conf_schema *s;
	int rc = -1;

	c->schema = pp_conf_schema_new(secs, nsecs);
	s = c->schema;
	c->nsections = nsecs;
	c->sections = s->secs;
	c->section = pp_xcalloc(nsecs ? nsecs : 1, sizeof *c->section);
	for (size_t i = 0; i < nsecs; i++)
		c->section[i] = pp_xcalloc(1, secs[i]->size);
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].type != PP_T_SECTION)
			pp_conf_set_text(c, &s->v[i], s->v[i].k->def);
	if (!yaml) {
		apply_profile(&x, "default", NULL);
		return c;
	}
	x.set = pp_xcalloc(s->n, 1);
	x.at = pp_xcalloc(s->n, sizeof *x.at);
	if (!yaml_parser_initialize(&parser))
		pp_die(PP_EXIT_FAIL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
		len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_fail(&x, &parser);
		yaml_parser_delete(&parser);
		goto out;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || pp_conf_is_null(root)) {
		/* an empty file: the default profile, like no file */
		rc = apply_profile(&x, "default", NULL);
		if (rc == 0)
			rc = one_document(&x, &parser);
	} else if (root->type != YAML_MAPPING_NODE) {
		pp_conf_fail(&x, root, "the top level must be a mapping "
			"of keys");
	} else {
		/* the profile applies before the file's own values */
		const char *prof = "default";
		const yaml_node_t *pn = NULL;

		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
			yaml_node_t *vn = yaml_document_get_node(&doc,
				p->value);

			if (kn->type == YAML_SCALAR_NODE &&
			    !strcmp(pp_conf_scalar(kn), "profile") &&
			    vn->type == YAML_SCALAR_NODE) {
				prof = pp_conf_scalar(vn);
				pn = vn;
			}
		}
		if (apply_profile(&x, prof, pn) == 0 &&
		    pp_conf_walk(&x, root, "") == 0 &&
		    pp_conf_check(&x) == 0 &&
		    one_document(&x, &parser) == 0) {
			pp_conf_verdicts(&x);
			rc = 0;
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
out:
	free(x.set);
	free(x.at);
	if (rc < 0) {
		pp_config_free(c);
		return NULL;
	}
	return c;
}

struct pp_config *
pp_config_load(const char *path, const struct pp_conf_section *const *secs,
	size_t n, char *err, size_t errlen)
{
	struct pp_config *c;
	size_t len;
	char *text;

	if (!path)
		return pp_config_parse(NULL, 0, "built-in", secs, n, err,
			errlen);
	text = pp_read_file(path, 4u << 20, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read config '%s': %s", path,
			strerror(errno));
		return NULL;
	}
	c = pp_config_parse(text, len, path, secs, n, err, errlen);
	free(text);
	if (c)
		c->path = pp_xstrdup(path);
	return c;
}

void
pp_config_free(struct pp_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->schema->n; i++)
		if (c->schema->v[i].type != PP_T_SECTION)
			pp_conf_free_field(c, &c->schema->v[i]);
	for (size_t i = 0; i < c->nsections; i++)
		free(c->section[i]);
	free(c->section);
	pp_conf_schema_free(c->schema);
	free(c->path);
	free(c->verdict);
	free(c);
}

char *
pp_state_dir(const struct pp_config *c, const char *flag)
{
	const char *env = getenv("PP_STATE_DIR");

	if (flag && *flag)
		return pp_xstrdup(flag);
	if (c && c->state_dir && *c->state_dir)
		return pp_xstrdup(c->state_dir);
	if (env && *env)
		return pp_xstrdup(env);
	return pp_xstrdup(PP_STATE_DIR_DEFAULT);
}

char *
pp_state_path(const struct pp_config *c, const char *flag, const char *name)
{
	char *dir = pp_state_dir(c, flag);
	char *p = pp_xasprintf("%s/%s", dir, name);

	free(dir);
	return p;
}

char *
pp_registry_path(const struct pp_config *c, const char *state_flag,
	const char *flag)
{
	if (flag && *flag)
		return pp_xstrdup(flag);
	if (c && c->registry && *c->registry)
		return pp_xstrdup(c->registry);
	return pp_state_path(c, state_flag, "registry.json");
}

int
pp_registry_scheme_check(const char *path, char *err, size_t errlen)
{
	static const char *const known[] = {"file", "http", "https",
		"postgresql", "postgres"};
	size_t n = pp_url_scheme_len(path);

	if (!n)
		return 0;
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strlen(known[i]) == n && !strncasecmp(path, known[i], n))
			return 0;
	snprintf(err, errlen, "unknown URL scheme '%.*s' (the registry is "
		PP_REGISTRY_TAKES ")", (int)(n > 32 ? 32 : n), path);
	return -1;
}

const struct pp_type_conf *
pp_config_type(const struct pp_config *c, const char *name)
{
	for (size_t i = 0; i < c->cloud.ncatalog; i++)
		if (!strcmp(c->cloud.catalog[i].name, name))
			return &c->cloud.catalog[i];
	return NULL;
}
