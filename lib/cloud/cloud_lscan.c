/* The local cloud's file read without a tree (issue 17): the strict
 * scanner (base/jscan.c) validates the text, then each server's fields
 * are read straight from it. json-c stays the judge of everything the
 * scanner does not take (an escape, a field or label of another type
 * than the usual, deep nesting, invalid JSON): then the caller parses
 * the text with json-c as before, with json-c's messages. */
#include <stdlib.h>
#include <string.h>

#include "base/jscan.h"
#include "base/util.h"
#include "cloud/cloud_lscan.h"
#include "cloud/labels.h"

static const char *const field_names[LCF_N] = {
	"id", "name", "server_type", "location", "ipv4", "private_ip",
	"created", "ready_at", "labels"
};

/* The text is valid and has no escapes: a string ends at the next
 * quote. p at the opening quote; returns the byte after the closing
 * one. */
static const char *
str_end(const char *p)
{
	return strchr(p + 1, '"') + 1;
}

/* The end of the value at p in text the scanner validated (without
 * escapes): no second validation, and still never past e. */
static const char *
vskip(const char *p, const char *e)
{
	int depth = 0;

	if (*p == '"')
		return str_end(p);
	if (*p != '{' && *p != '[') {
		while (p < e && !strchr(",]} \n\t\r", *p))
			p++;
		return p;
	}
	while (p < e) {
		if (*p == '"') {
			p = str_end(p);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

static char *
dupn(const char *s, size_t n)
{
	char *d = pp_xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int
field_of(const char *k, size_t n)
{
	for (int i = 0; i < LCF_N; i++)
		if (strlen(field_names[i]) == n && !memcmp(field_names[i], k, n))
			return i;
	return -1;
}

/* Whether the labels object at p (valid text) holds strings only, as
 * the tree's reading takes them. */
static int
labels_ok(struct pp_jscan *s, const char *p)
{
	const char *e = s->end;

	p = pp_jscan_ws(p + 1, e);
	if (*p == '}')
		return 1;
	for (;;) {
		p = pp_jscan_ws(str_end(p), e);
		p = pp_jscan_ws(p + 1, e);       /* after ':' */
		if (*p != '"')
			return 0;
		p = pp_jscan_ws(str_end(p), e);
		if (*p == '}')
			return 1;
		p = pp_jscan_ws(p + 1, e);       /* after ',' */
	}
}

/* One server object at p (valid text); returns the byte after it, or
 * NULL when the tree must judge. */
static const char *
server(struct pp_jscan *s, const char *p, struct lc_srv *v)
{
	const char *e = s->end;

	memset(v, 0, sizeof *v);
	v->b = p;
	if (*p != '{')
		return NULL;
	p = pp_jscan_ws(p + 1, e);
	if (*p == '}') {
		v->e = p + 1;
		return v->e;
	}
	for (;;) {
		const char *k = p + 1, *ke = str_end(p) - 1, *val, *ve;
		int f = field_of(k, (size_t)(ke - k));

		p = pp_jscan_ws(ke + 1, e);
		val = pp_jscan_ws(p + 1, e);
		ve = vskip(val, e);
		if (!ve)
			return NULL;
		if (f == LCF_LABELS) {
			/* the last one counts, as json-c keeps the last */
			v->f[f] = NULL;
			if (*val == '{') {
				if (!labels_ok(s, val))
					return NULL;
				v->f[f] = val;
				v->fn[f] = (size_t)(ve - val);
			}
		} else if (f >= 0) {
			v->f[f] = NULL;
			if (*val == '"') {
				v->f[f] = val + 1;
				v->fn[f] = (size_t)(ve - val - 2);
			}
		}
		p = pp_jscan_ws(ve, e);
		if (*p == '}') {
			v->e = p + 1;
			return v->e;
		}
		p = pp_jscan_ws(p + 1, e);
	}
}

int
pp_lc_scan(const char *text, size_t len, struct lc_text *t)
{
	struct pp_jscan s = { text + len, 0, 1, PP_JSCAN_DEPTH };
	const char *e = text + len, *p, *q, *arr = NULL;
	size_t cap = 0;

	memset(t, 0, sizeof *t);
	/* the text is terminated (pp_read_file): strchr stops in it */
	if (memchr(text, '\0', len))
		return -1;
	p = pp_jscan_ws(text, e);
	q = pp_jscan_value(&s, p, 0);
	if (!q || pp_jscan_ws(q, e) != e || *p != '{')
		return -1;
	/* the top level: the last "servers" counts */
	p = pp_jscan_ws(p + 1, e);
	while (*p != '}') {
		const char *k = p + 1, *ke = str_end(p) - 1, *val;

		p = pp_jscan_ws(ke + 1, e);
		val = pp_jscan_ws(p + 1, e);
		p = vskip(val, e);
		if (!p)
			return -1;
		if (ke - k == 7 && !memcmp(k, "servers", 7))
			arr = *val == '[' ? val : NULL;
		p = pp_jscan_ws(p, e);
		if (*p == ',')
			p = pp_jscan_ws(p + 1, e);
	}
	if (!arr)
		return -1;
	t->arr = arr;
	p = pp_jscan_ws(arr + 1, e);
	while (*p != ']') {
		if (t->n == cap) {
			cap = cap ? cap * 2 : 64;
			t->v = pp_xreallocarray(t->v, cap, sizeof *t->v);
		}
		p = server(&s, p, &t->v[t->n]);
		if (!p) {
			pp_lc_text_free(t);
			return -1;
		}
		t->n++;
		p = pp_jscan_ws(p, e);
		if (*p == ',')
			p = pp_jscan_ws(p + 1, e);
	}
	return 0;
}

void
pp_lc_text_free(struct lc_text *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

char *
pp_lc_field(const struct lc_srv *v, int f, const char *def)
{
	if (!v->f[f])
		return def ? pp_xstrdup(def) : NULL;
	return dupn(v->f[f], v->fn[f]);
}

int
pp_lc_field_is(const struct lc_srv *v, int f, const char *val)
{
	const char *s = v->f[f] ? v->f[f] : "";
	size_t n = v->f[f] ? v->fn[f] : 0;

	return strlen(val) == n && !memcmp(s, val, n);
}

void
pp_lc_labels(const struct lc_srv *v, struct pp_strmap *m)
{
	const char *p = v->f[LCF_LABELS], *e;

	if (!p)
		return;
	e = p + v->fn[LCF_LABELS];
	p = pp_jscan_ws(p + 1, e);
	while (*p != '}') {
		const char *k = p + 1, *ke = str_end(p) - 1, *val, *vale;
		char *ks, *vs;

		p = pp_jscan_ws(ke + 1, e);
		val = pp_jscan_ws(p + 1, e);
		vale = str_end(val) - 1;
		ks = dupn(k, (size_t)(ke - k));
		vs = dupn(val + 1, (size_t)(vale - val - 1));
		pp_strmap_set(m, ks, vs);
		free(ks);
		free(vs);
		p = pp_jscan_ws(vale + 1, e);
		if (*p == ',')
			p = pp_jscan_ws(p + 1, e);
	}
}

char *
pp_lc_without(const struct lc_text *t, const char *text, size_t len,
	size_t i, size_t *outlen)
{
	const char *cut, *cut_end;
	char *out;

	/* with the comma before it, or after it for the first */
	if (i > 0) {
		cut = t->v[i - 1].e;
		cut_end = t->v[i].e;
	} else if (t->n > 1) {
		cut = t->v[0].b;
		cut_end = t->v[1].b;
	} else {
		cut = t->v[0].b;
		cut_end = t->v[0].e;
	}
	*outlen = len - (size_t)(cut_end - cut);
	out = pp_xmalloc(*outlen + 1);
	memcpy(out, text, (size_t)(cut - text));
	memcpy(out + (cut - text), cut_end, (size_t)(text + len - cut_end));
	out[*outlen] = '\0';
	return out;
}
