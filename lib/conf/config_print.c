/* The effective config printed back as YAML (`pp-config check`), and
 * the key list ppscale.yaml(5) and the completions are checked against. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config_int.h"
#include "base/util.h"


/* Whether a URL of this scheme is printed whole: a database's names
 * no secret (the config refuses a password in it) and a file's path is
 * a path. */
static int
shown_whole(const char *scheme, size_t n)
{
	static const char *const keep[] = {"postgresql", "postgres", "file",
		NULL};

	for (const char *const *k = keep; *k; k++)
		if (strlen(*k) == n && !strncasecmp(scheme, *k, n))
			return 1;
	return 0;
}

/* Every other URL in s, as the logs show it (pp_url_redact): a Slack or
 * Discord webhook's token is a path segment, not a query key. */
static char *
cut_urls(const char *s)
{
	struct pp_buf b = {0};
	const char *p = s, *sep;

	while ((sep = strstr(p, "://")) != NULL) {
		const char *start = sep, *end = sep + 3;

		while (start > p && (isalnum((unsigned char)start[-1]) ||
		    strchr("+.-", start[-1])))
			start--;
		end += strcspn(end, " \t\"'<>");
		pp_buf_add(&b, p, (size_t)(start - p));
		if (start == sep || shown_whole(start, (size_t)(sep - start))) {
			pp_buf_add(&b, start, (size_t)(end - start));
		} else {
			char *url = pp_xasprintf("%.*s", (int)(end - start),
				start);
			char *cut = pp_url_redact(url);

			pp_buf_addstr(&b, cut);
			free(cut);
			free(url);
		}
		p = end;
	}
	pp_buf_addstr(&b, p);
	return b.s;
}

/* A URL's password, a query's token and a conninfo's password= are
 * secrets (a webhook or a PostgreSQL registry can carry them). */
char *
pp_config_redact(const char *s)
{
	char *cut = cut_urls(s), *out = pp_redact(cut);

	free(cut);
	return out;
}

static void
put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
put_secret_str(FILE *f, const char *s)
{
	char *r = pp_config_redact(s);

	put_str(f, r);
	free(r);
}

static void
put_dur(FILE *f, long v)
{
	char buf[32];

	fputs(pp_format_config_duration(v, buf, sizeof buf), f);
}

static void
put_days(FILE *f, unsigned days)
{
	static const char *names[] = {"sun", "mon", "tue", "wed", "thu",
		"fri", "sat"};
	int first = 1;

	fputc('[', f);
	for (int d = 0; d < 7; d++)
		if (days & (1u << d)) {
			fprintf(f, "%s%s", first ? "" : ", ", names[d]);
			first = 0;
		}
	fputc(']', f);
}

static void
put_value(FILE *f, const struct pp_config *c, const struct pp_conf_slot *k,
	int depth)
{
	const void *v = pp_conf_field((struct pp_config *)c, k);
	const char *pad = "                ";

	switch (k->type) {
	case PP_T_STR:
		if (*(char *const *)v)
			put_secret_str(f, *(char *const *)v);
		else
			fputs("null", f);
		break;
	case PP_T_INT:
		fprintf(f, "%ld", *(const long *)v);
		break;
	case PP_T_DOUBLE:
		fprintf(f, "%.10g", *(const double *)v);
		break;
	case PP_T_BOOL:
		fputs(*(const int *)v ? "true" : "false", f);
		break;
	case PP_T_DUR:
		put_dur(f, *(const long *)v);
		break;
	case PP_T_STRLIST: {
		const struct pp_strlist *l = v;

		fputc('[', f);
		for (size_t i = 0; i < l->n; i++) {
			fputs(i ? ", " : "", f);
			put_secret_str(f, l->v[i]);
		}
		fputc(']', f);
		break;
	}
	case PP_T_STRMAP: {
		const struct pp_strmap *m = v;

		fputc('{', f);
		for (size_t i = 0; i < m->n; i++) {
			fputs(i ? ", " : "", f);
			put_str(f, m->keys[i]);
			fputs(": ", f);
			put_str(f, m->vals[i]);
		}
		fputc('}', f);
		break;
	}
	case PP_T_DURLIST: {
		const struct pp_longlist *l = v;

		fputc('[', f);
		for (size_t i = 0; i < l->n; i++) {
			fputs(i ? ", " : "", f);
			put_dur(f, l->v[i]);
		}
		fputc(']', f);
		break;
	}
	case PP_T_SCHEDULE: {
		const struct pp_schedule *s = v;

		for (size_t i = 0; i < s->n; i++) {
			const struct pp_spare_rule *r = &s->rule[i];

			fprintf(f, "\n%.*s- {days: ", depth * 2, pad);
			put_days(f, r->days);
			fprintf(f, ", hours: %d-%d, spares: %ld}", r->from_hour,
				r->to_hour, r->spares);
		}
		if (!s->n)
			fputs("[]", f);
		break;
	}
	case PP_T_CATALOG:
		for (size_t i = 0; i < c->cloud.ncatalog; i++) {
			const struct pp_type_conf *t = &c->cloud.catalog[i];

			fprintf(f, "\n%.*s- {name: ", depth * 2, pad);
			put_str(f, t->name);
			fprintf(f, ", cores: %ld, memory_gb: %.10g, "
				"hourly_eur: %.10g, monthly_eur: %.10g, "
				"architecture: ", t->cores, t->memory_gb,
				t->hourly_eur, t->monthly_eur);
			put_str(f, t->architecture);
			fprintf(f, ", deprecated: %s, locations: ",
				t->deprecated ? "true" : "false");
			fputc('[', f);
			for (size_t j = 0; j < t->locations.n; j++) {
				fputs(j ? ", " : "", f);
				put_str(f, t->locations.v[j]);
			}
			fputs("]}", f);
		}
		if (!c->cloud.ncatalog)
			fputs("[]", f);
		break;
	default:
		break;
	}
}

/* Empty: the value follows on the same line. */
static int
is_empty_block(const struct pp_config *c, const struct pp_conf_slot *k)
{
	if (k->type == PP_T_CATALOG)
		return !c->cloud.ncatalog;
	return !((const struct pp_schedule *)pp_conf_field(
		(struct pp_config *)c, k))->n;
}

void
pp_config_print(const struct pp_config *c, FILE *f)
{
	const struct pp_conf_schema *s = c->schema;

	for (size_t i = 0; i < s->n; i++) {
		const struct pp_conf_slot *k = &s->v[i];
		const char *name = strrchr(k->path, '.');
		int depth = 0;

		for (const char *p = k->path; *p; p++)
			depth += *p == '.';
		name = name ? name + 1 : k->path;
		fprintf(f, "%.*s%s:", depth * 2, "                ", name);
		if (k->type == PP_T_SECTION) {
			fputc('\n', f);
			continue;
		}
		if (k->type != PP_T_SCHEDULE && k->type != PP_T_CATALOG)
			fputc(' ', f);
		else if (is_empty_block(c, k))
			fputc(' ', f);
		put_value(f, c, k, depth + 1);
		fputc('\n', f);
	}
}


/* Every key, tab separated: path, type, the shipped default (the
 * default profile's value, else the row's) and help, and where the
 * default profile differs, the seed's (the row's) value. */
void
pp_config_dump_keys(const struct pp_conf_section *const *secs, size_t n,
	FILE *f)
{
	struct pp_conf_schema *s = pp_conf_schema_new(secs, n);

	for (size_t i = 0; i < s->n; i++) {
		const struct pp_conf_slot *k = &s->v[i];
		const char *def = k->k ? k->k->def : NULL, *seed = "";
		const char *o = pp_conf_profile_default(s, k);

		/* a built-in schedule or catalog is described in prose */
		if (o && k->type != PP_T_SCHEDULE && k->type != PP_T_CATALOG &&
		    strcmp(o, def ? def : "") != 0) {
			seed = def ? def : "-";
			def = o;
		}
		fprintf(f, "%s\t%s\t%s\t%s\t%s\n", k->path,
			k->type == PP_T_SECTION ? "section" :
			pp_conf_type_name(k->type), def ? def : "-", k->help,
			seed);
	}
	pp_conf_schema_free(s);
}
