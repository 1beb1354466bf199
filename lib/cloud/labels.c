/* Labels and label selectors with Hetzner's syntax and semantics, so the
 * local provider answers a selector exactly as the API would. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/labels.h"
#include "base/util.h"

const char *
pp_strmap_get(const struct pp_strmap *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->keys[i], key))
			return m->vals[i];
	return NULL;
}

void
pp_strmap_set(struct pp_strmap *m, const char *key, const char *val)
{
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->keys[i], key)) {
			free(m->vals[i]);
			m->vals[i] = pp_xstrdup(val);
			return;
		}
	}
	m->keys = pp_xreallocarray(m->keys, m->n + 1, sizeof *m->keys);
	m->vals = pp_xreallocarray(m->vals, m->n + 1, sizeof *m->vals);
	m->keys[m->n] = pp_xstrdup(key);
	m->vals[m->n++] = pp_xstrdup(val);
}

void
pp_strmap_copy(struct pp_strmap *dst, const struct pp_strmap *src)
{
	for (size_t i = 0; i < src->n; i++)
		pp_strmap_set(dst, src->keys[i], src->vals[i]);
}

void
pp_strmap_clear(struct pp_strmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

void
pp_selector_free(struct pp_selector *sel)
{
	for (size_t i = 0; i < sel->n; i++) {
		for (size_t j = 0; j < sel->t[i].nvals; j++)
			free(sel->t[i].vals[j]);
		free(sel->t[i].vals);
		free(sel->t[i].key);
	}
	free(sel->t);
	memset(sel, 0, sizeof *sel);
}

static char *
trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return pp_xasprintf("%.*s", (int)n, s);
}

static void
add_val(struct pp_selector_term *t, char *v)
{
	t->vals = pp_xreallocarray(t->vals, t->nvals + 1, sizeof *t->vals);
	t->vals[t->nvals++] = v;
}

/* One term, already trimmed; fills t or returns -1 with a message. */
static int
parse_term(const char *s, struct pp_selector_term *t, char *err,
	size_t errlen)
{
	const char *p;
	size_t klen;

	if (!*s) {
		snprintf(err, errlen, "empty term");
		return -1;
	}
	if (*s == '!' && !strchr(s, '=')) {
		t->op = PP_SEL_NOT_EXISTS;
		t->key = trimmed(s + 1, strlen(s + 1));
		goto check;
	}
	p = strpbrk(s, "!= \t(");
	if (!p) {
		t->op = PP_SEL_EXISTS;
		t->key = pp_xstrdup(s);
		goto check;
	}
	klen = (size_t)(p - s);
	if (*p == '=' || *p == '!') {
		if (*p == '!' && p[1] != '=') {
			snprintf(err, errlen, "bad operator in '%s'", s);
			return -1;
		}
		t->op = *p == '!' ? PP_SEL_NE : PP_SEL_EQ;
		t->key = trimmed(s, klen);
		p += *p == '!' ? 2 : (p[1] == '=' ? 2 : 1);
		add_val(t, trimmed(p, strlen(p)));
		goto check;
	}
	/* "k in (...)" or "k notin (...)" */
	t->key = trimmed(s, klen);
	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "in", 2) && (p[2] == ' ' || p[2] == '(')) {
		t->op = PP_SEL_IN;
		p += 2;
	} else if (!strncmp(p, "notin", 5) && (p[5] == ' ' || p[5] == '(')) {
		t->op = PP_SEL_NOTIN;
		p += 5;
	} else {
		snprintf(err, errlen, "bad operator in '%s'", s);
		return -1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '(' || s[strlen(s) - 1] != ')') {
		snprintf(err, errlen, "expected '(values)' in '%s'", s);
		return -1;
	}
	p++;
	for (;;) {
		const char *e = strpbrk(p, ",)");

		add_val(t, trimmed(p, (size_t)(e - p)));
		if (*e == ')')
			break;
		p = e + 1;
	}
check:
	if (!pp_label_key_valid(t->key)) {
		snprintf(err, errlen, "invalid label key '%s'", t->key);
		return -1;
	}
	for (size_t i = 0; i < t->nvals; i++) {
		if (!pp_label_value_valid(t->vals[i])) {
			snprintf(err, errlen, "invalid label value '%s'",
				t->vals[i]);
			return -1;
		}
	}
	return 0;
}

int
pp_selector_parse(const char *s, struct pp_selector *sel, char *err,
	size_t errlen)
{
	const char *start = s;
	int depth = 0;
	char msg[256];

	memset(sel, 0, sizeof *sel);
	if (!*s)
		return 0;
	for (const char *p = s;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			break;
		if (*p && (*p != ',' || depth))
			continue;
		{
			char *term = trimmed(start, (size_t)(p - start));
			struct pp_selector_term t = {0};

			sel->t = pp_xreallocarray(sel->t, sel->n + 1,
				sizeof *sel->t);
			if (parse_term(term, &t, msg, sizeof msg) < 0) {
				sel->t[sel->n++] = t;
				snprintf(err, errlen, "invalid label selector "
					"'%s': %s", s, msg);
				free(term);
				pp_selector_free(sel);
				return -1;
			}
			sel->t[sel->n++] = t;
			free(term);
		}
		if (!*p)
			return 0;
		start = p + 1;
	}
	snprintf(err, errlen, "invalid label selector '%s': unbalanced "
		"parentheses", s);
	pp_selector_free(sel);
	return -1;
}

static int
in_vals(const struct pp_selector_term *t, const char *v)
{
	for (size_t i = 0; i < t->nvals; i++)
		if (!strcmp(t->vals[i], v))
			return 1;
	return 0;
}

int
pp_selector_match(const struct pp_selector *sel,
	const struct pp_strmap *labels)
{
	for (size_t i = 0; i < sel->n; i++) {
		const struct pp_selector_term *t = &sel->t[i];
		const char *v = pp_strmap_get(labels, t->key);
		int ok = 0;

		switch (t->op) {
		case PP_SEL_EQ:
			ok = v && !strcmp(v, t->vals[0]);
			break;
		case PP_SEL_NE:
			ok = !v || strcmp(v, t->vals[0]);
			break;
		case PP_SEL_EXISTS:
			ok = v != NULL;
			break;
		case PP_SEL_NOT_EXISTS:
			ok = v == NULL;
			break;
		case PP_SEL_IN:
			ok = v && in_vals(t, v);
			break;
		case PP_SEL_NOTIN:
			ok = !v || !in_vals(t, v);
			break;
		}
		if (!ok)
			return 0;
	}
	return 1;
}
