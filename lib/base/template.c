/* A small template renderer for user data: values are quoted by default,
 * every placeholder is checked before anything is rendered, and buffers
 * that held values are wiped, since one of them is a join token. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/template.h"
#include "base/util.h"

#define MAX_DEPTH 16
#define MAX_NAME 64

struct tvar {
	char *name;
	int is_list;
	char *value;   /* NULL: declared without a value */
	char **items;
	size_t n;
};

struct pp_tvars {
	struct tvar *v;
	size_t n;
};

enum ntype { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_END };
enum filter { F_YAML, F_RAW, F_SH };

struct node {
	enum ntype type;
	const char *s;          /* N_TEXT */
	size_t n;
	const struct tvar *var; /* NULL: "." */
	enum filter filter;
	size_t end;             /* sections: index of their N_END */
};

/* A buffer that wipes what it leaves behind when it grows. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void
wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *ns;

		while (b->len + n + 1 > cap)
			cap *= 2;
		ns = pp_xmalloc(cap);
		if (b->len)
			memcpy(ns, b->s, b->len);
		wipe(b->s, b->cap);
		free(b->s);
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

struct pp_tvars *
pp_tvars_new(void)
{
	return pp_xcalloc(1, sizeof(struct pp_tvars));
}

static void
wipe_free(char *s)
{
	if (!s)
		return;
	wipe(s, strlen(s));
	free(s);
}

void
pp_tvars_free(struct pp_tvars *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		wipe_free(v->v[i].value);
		for (size_t j = 0; j < v->v[i].n; j++)
			wipe_free(v->v[i].items[j]);
		free(v->v[i].items);
	}
	free(v->v);
	free(v);
}

static struct tvar *
find(const struct pp_tvars *v, const char *name, size_t n)
{
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i].name) == n &&
		    memcmp(v->v[i].name, name, n) == 0)
			return &v->v[i];
	return NULL;
}

/* The variable name, emptied of any earlier value or items. */
static struct tvar *
declare(struct pp_tvars *v, const char *name, int is_list)
{
	struct tvar *t = find(v, name, strlen(name));

	if (!t) {
		v->v = pp_xreallocarray(v->v, v->n + 1, sizeof *v->v);
		t = &v->v[v->n++];
		memset(t, 0, sizeof *t);
		t->name = pp_xstrdup(name);
	}
	wipe_free(t->value);
	t->value = NULL;
	for (size_t j = 0; j < t->n; j++)
		wipe_free(t->items[j]);
	free(t->items);
	t->items = NULL;
	t->n = 0;
	t->is_list = is_list;
	return t;
}

void
pp_tvars_set(struct pp_tvars *v, const char *name, const char *value)
{
	struct tvar *t = declare(v, name, 0);

	t->value = value ? pp_xstrdup(value) : NULL;
}

void
pp_tvars_list(struct pp_tvars *v, const char *name)
{
	declare(v, name, 1);
}

void
pp_tvars_add(struct pp_tvars *v, const char *name, const char *item)
{
	struct tvar *t = find(v, name, strlen(name));

	if (!t || !t->is_list)
		t = declare(v, name, 1);
	t->items = pp_xreallocarray(t->items, t->n + 1, sizeof *t->items);
	t->items[t->n++] = pp_xstrdup(item);
}

struct parse {
	const char *label;
	char *err;
	size_t errlen;
	struct node *nodes;
	size_t n;
};

static int
fail(struct parse *p, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct parse *p, size_t line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line)
		snprintf(p->err, p->errlen, "template '%s' line %zu: %s",
			p->label, line, msg);
	else
		snprintf(p->err, p->errlen, "template '%s': %s", p->label,
			msg);
	return -1;
}

static void
push(struct parse *p, struct node nd)
{
	p->nodes = pp_xreallocarray(p->nodes, p->n + 1, sizeof *p->nodes);
	p->nodes[p->n++] = nd;
}

static void
push_text(struct parse *p, const char *s, size_t n)
{
	if (n)
		push(p, (struct node){.type = N_TEXT, .s = s, .n = n});
}

static int
is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int
namech(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_';
}

/* memmem is a GNU extension; this finds a two-byte mark. */
static const char *
find2(const char *s, const char *end, const char *mark)
{
	for (; s + 1 < end; s++)
		if (s[0] == mark[0] && s[1] == mark[1])
			return s;
	return NULL;
}

static size_t
lineno(const char *start, const char *at)
{
	size_t line = 1;

	for (const char *s = start; s < at; s++)
		if (*s == '\n')
			line++;
	return line;
}

/* Checks that no value holds a control character. */
static int
check_values(struct parse *p, const struct pp_tvars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct tvar *t = &v->v[i];

		for (size_t j = 0; j <= t->n; j++) {
			const char *s = j < t->n ? t->items[j] :
				t->is_list ? NULL : t->value;

			if (!s)
				continue;
			for (; *s; s++) {
				unsigned char c = (unsigned char)*s;

				if (c >= 0x20 && c != 0x7f)
					continue;
				if (t->is_list)
					return fail(p, 0, "item %zu of '%s' "
						"holds a %s", j + 1, t->name,
						c == '\n' ? "newline" :
						"control character");
				return fail(p, 0, "the value of '%s' holds a "
					"%s", t->name, c == '\n' ?
					"newline" : "control character");
			}
		}
	}
	return 0;
}

/* Parses one tag at s (just after "{{") up to "}}". */
static int
parse_tag(struct parse *p, const struct pp_tvars *v, const char *s,
	const char *e, size_t line, struct node *nd, char *sigil)
{
	const char *name, *fname;
	size_t nlen, flen;

	while (s < e && *s == ' ')
		s++;
	*sigil = 0;
	if (s < e && (*s == '#' || *s == '^' || *s == '/')) {
		*sigil = *s++;
		while (s < e && *s == ' ')
			s++;
	}
	name = s;
	if (s < e && *s == '.')
		s++;
	else
		while (s < e && namech(*s))
			s++;
	nlen = (size_t)(s - name);
	while (s < e && *s == ' ')
		s++;
	fname = NULL;
	flen = 0;
	if (s < e && *s == '|') {
		s++;
		while (s < e && *s == ' ')
			s++;
		fname = s;
		while (s < e && namech(*s))
			s++;
		flen = (size_t)(s - fname);
		while (s < e && *s == ' ')
			s++;
	}
	if (nlen == 0 || nlen >= MAX_NAME || s != e || (fname && !flen) ||
	    (fname && *sigil))
		return fail(p, line, "malformed placeholder '{{%.*s}}'",
			(int)(e - name < 60 ? e - name : 60), name);
	memset(nd, 0, sizeof *nd);
	nd->type = *sigil == '#' ? N_SECTION : *sigil == '^' ? N_INVERTED :
		*sigil == '/' ? N_END : N_VAR;
	nd->filter = F_YAML;
	if (fname) {
		if (flen == 3 && !memcmp(fname, "raw", 3))
			nd->filter = F_RAW;
		else if (flen == 2 && !memcmp(fname, "sh", 2))
			nd->filter = F_SH;
		else
			return fail(p, line, "unknown filter '%.*s' (raw or "
				"sh)", (int)flen, fname);
	}
	if (nlen == 1 && *name == '.') {
		if (*sigil)
			return fail(p, line, "'.' cannot open or close a "
				"section");
		nd->var = NULL;
		return 0;
	}
	nd->var = find(v, name, nlen);
	if (!nd->var)
		return fail(p, line, "unknown placeholder '%.*s'", (int)nlen,
			name);
	if (nd->type == N_VAR && nd->var->is_list)
		return fail(p, line, "'%.*s' is a list: use {{#%.*s}}", (int)nlen,
			name, (int)nlen, name);
	if (!nd->var->is_list && !nd->var->value)
		return fail(p, line, "no value for '%.*s'", (int)nlen, name);
	return 0;
}

static int
parse(struct parse *p, const char *t, size_t len, const struct pp_tvars *v)
{
	const char *end = t + len, *pos = t, *s = t;
	size_t stack[MAX_DEPTH], lines[MAX_DEPTH], depth = 0;

	while (s < end) {
		const char *open = find2(s, end, "{{");
		const char *close, *ls, *le;
		size_t line;
		struct node nd;
		char sigil = 0;
		int standalone;

		if (!open)
			break;
		line = lineno(t, open);
		close = find2(open + 2, end, "}}");
		if (!close)
			return fail(p, line, "'{{' without '}}'");
		if (open[2] == '!') {
			nd.type = N_TEXT; /* a comment: nothing to push */
			sigil = '!';
		} else if (parse_tag(p, v, open + 2, close, line, &nd,
		    &sigil) < 0) {
			return -1;
		}
		/* a section or comment tag alone on its line takes it */
		for (ls = open; ls > t && ls[-1] != '\n'; ls--)
			;
		le = memchr(close + 2, '\n', (size_t)(end - close - 2));
		if (!le)
			le = end;
		standalone = sigil && ls >= pos &&
			is_blank(ls, (size_t)(open - ls)) &&
			is_blank(close + 2, (size_t)(le - close - 2));
		if (standalone) {
			push_text(p, pos, (size_t)(ls - pos));
			pos = le < end ? le + 1 : end;
		} else {
			push_text(p, pos, (size_t)(open - pos));
			pos = close + 2;
		}
		s = pos;
		if (sigil == '!')
			continue;
		if (nd.type == N_SECTION || nd.type == N_INVERTED) {
			if (depth == MAX_DEPTH)
				return fail(p, line, "sections nested deeper "
					"than %d", MAX_DEPTH);
			lines[depth] = line;
			stack[depth++] = p->n;
		} else if (nd.type == N_END) {
			const struct node *o;

			if (!depth)
				return fail(p, line, "'{{/%s}}' closes no "
					"section", nd.var->name);
			o = &p->nodes[stack[depth - 1]];
			if (o->var != nd.var)
				return fail(p, line, "'{{/%s}}' closes "
					"'{{%c%s}}' of line %zu",
					nd.var->name,
					o->type == N_SECTION ? '#' : '^',
					o->var->name, lines[depth - 1]);
			p->nodes[stack[--depth]].end = p->n;
		} else if (!nd.var) {
			/* "." is the item of the nearest {{#section}}; an
			 * inverted one renders only when there is none */
			size_t k = depth;

			while (k > 0 && p->nodes[stack[k - 1]].type !=
			    N_SECTION)
				k--;
			if (!k)
				return fail(p, line, "'{{.}}' outside a "
					"section");
		}
		push(p, nd);
	}
	push_text(p, pos, (size_t)(end - pos));
	if (depth)
		return fail(p, lines[depth - 1], "'{{%c%s}}' is not closed",
			p->nodes[stack[depth - 1]].type == N_SECTION ? '#' :
			'^', p->nodes[stack[depth - 1]].var->name);
	return 0;
}

static void
put_value(struct sbuf *b, const char *s, enum filter f)
{
	switch (f) {
	case F_RAW:
		sbuf_str(b, s);
		break;
	case F_SH:
		sbuf_add(b, "'", 1);
		for (; *s; s++) {
			if (*s == '\'')
				sbuf_add(b, "'\\''", 4);
			else
				sbuf_add(b, s, 1);
		}
		sbuf_add(b, "'", 1);
		break;
	case F_YAML:
		/* control characters were refused; only " and \ remain */
		sbuf_add(b, "\"", 1);
		for (; *s; s++) {
			if (*s == '"' || *s == '\\')
				sbuf_add(b, "\\", 1);
			sbuf_add(b, s, 1);
		}
		sbuf_add(b, "\"", 1);
		break;
	}
}

static void
render(const struct node *nodes, size_t from, size_t to, const char *dot,
	struct sbuf *b)
{
	for (size_t i = from; i < to; i++) {
		const struct node *nd = &nodes[i];
		const struct tvar *t = nd->var;
		int empty;

		switch (nd->type) {
		case N_TEXT:
			sbuf_add(b, nd->s, nd->n);
			break;
		case N_VAR:
			put_value(b, t ? t->value : dot, nd->filter);
			break;
		case N_SECTION:
		case N_INVERTED:
			empty = t->is_list ? t->n == 0 : !*t->value;
			if (nd->type == N_INVERTED) {
				if (empty)
					render(nodes, i + 1, nd->end, dot, b);
			} else if (t->is_list) {
				for (size_t j = 0; j < t->n; j++)
					render(nodes, i + 1, nd->end,
						t->items[j], b);
			} else if (!empty) {
				render(nodes, i + 1, nd->end, t->value, b);
			}
			i = nd->end;
			break;
		case N_END:
			break;
		}
	}
}

char *
pp_template_render(const char *tmpl, size_t len, const char *label,
	const struct pp_tvars *v, size_t *outlen, char *err, size_t errlen)
{
	struct parse p = {label, err, errlen, NULL, 0};
	struct sbuf b = {0};

	if (memchr(tmpl, '\0', len)) {
		fail(&p, lineno(tmpl, memchr(tmpl, '\0', len)),
			"holds a NUL byte");
		return NULL;
	}
	if (check_values(&p, v) < 0 || parse(&p, tmpl, len, v) < 0) {
		free(p.nodes);
		return NULL;
	}
	render(p.nodes, 0, p.n, NULL, &b);
	free(p.nodes);
	if (!b.s)
		sbuf_add(&b, "", 0);
	if (outlen)
		*outlen = b.len;
	return b.s;
}

void
pp_template_free(char *s)
{
	wipe_free(s);
}
