/* The registry opened for a few edits (PP_REG_LAZY, issue 17): when
 * the file is the very one a ppscale writer last checked whole (the
 * stamp in its lock file, registry_file.c), it is not checked and
 * indexed again: its nodes are found by id in the text, and a node is
 * indexed when it is first looked up. pp-provision marks a node ready
 * or forgets it in a 10,000-node registry without reading the other
 * 9,999. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/registry.h"
#include "store/registry_int.h"

/* Bytes that end a number, true, false or null. */
static const unsigned char scalar_end[256] = {
	[','] = 1, [']'] = 1, ['}'] = 1, [' '] = 1, ['\n'] = 1, ['\t'] = 1,
	['\r'] = 1
};

/* Bytes that matter inside a string, and outside one. */
static const unsigned char in_str[256] = { ['"'] = 1, ['\\'] = 2 };
static const unsigned char out_str[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3
};

/* p at a string's opening quote: the byte after its closing one, or
 * NULL at e. *esc is set when it holds a backslash. */
static const char *
bstr(const char *p, const char *e, int *esc)
{
	for (p++; p < e; p++) {
		unsigned char c = in_str[(unsigned char)*p];

		if (c == 1)
			return p + 1;
		if (c == 2) {
			*esc = 1;
			p++;
		}
	}
	return NULL;
}

/* The end of the value at p, never past e: the text was checked when
 * it was stamped, but a stamp is a file too, so this reading stays
 * within the bytes whatever they are. NULL: not what it should be. */
static const char *
bskip(const char *p, const char *e)
{
	int depth = 0, esc = 0;

	if (p >= e)
		return NULL;
	if (*p == '"')
		return bstr(p, e, &esc);
	if (*p != '{' && *p != '[') {
		while (p < e && !scalar_end[(unsigned char)*p])
			p++;
		return p;
	}
	while (p < e) {
		switch (out_str[(unsigned char)*p]) {
		case 0:
			p++;
			break;
		case 1:
			p = bstr(p, e, &esc);
			if (!p)
				return NULL;
			break;
		case 2:
			if (++depth > PP_JSCAN_DEPTH)
				return NULL;
			p++;
			break;
		default:
			p++;
			if (--depth == 0)
				return p;
		}
	}
	return NULL;
}

/* One node object at p: its end, and its id (the last "id", as json-c
 * keeps the last) kept in r's strings. NULL when the whole index must
 * read it (no id string, an escape in it). */
static const char *
node_span(struct pp_registry *r, const char *p, const char *e,
	const char **id)
{
	const char *ids = NULL;
	size_t idn = 0;

	p = ws(p + 1, e);
	if (p < e && *p == '}')
		return NULL;
	for (;;) {
		const char *k = p, *v;
		int esc = 0, is_id;

		if (p >= e || *p != '"' || !(p = bstr(p, e, &esc)) || esc)
			return NULL;
		is_id = p - k == 4 && !memcmp(k, "\"id\"", 4);
		p = ws(p, e);
		if (p >= e || *p != ':')
			return NULL;
		v = ws(p + 1, e);
		p = bskip(v, e);
		if (!p)
			return NULL;
		if (is_id) {
			ids = NULL;
			if (*v == '"' && !memchr(v + 1, '\\',
			    (size_t)(p - v - 2))) {
				ids = v + 1;
				idn = (size_t)(p - v - 2);
			}
		}
		p = ws(p, e);
		if (p < e && *p == '}')
			break;
		if (p >= e || *p != ',')
			return NULL;
		p = ws(p + 1, e);
	}
	if (!ids || !idn)
		return NULL;
	*id = pp_rg_str_keep(r, ids, idn);
	return p + 1;
}

int
pp_rg_load_lazy(struct pp_registry *r)
{
	const char *e = r->text + r->len, *p = ws(r->text, e);
	const char *nodes = NULL;
	size_t cap = 0;

	if (p >= e || *p != '{')
		return NOT_TAKEN;
	/* the top level: where the (last) "nodes" list is */
	p = ws(p + 1, e);
	while (p < e && *p != '}') {
		const char *k = p, *v;
		int esc = 0, is_nodes;

		if (*p != '"' || !(p = bstr(p, e, &esc)) || esc)
			return NOT_TAKEN;
		is_nodes = p - k == 7 && !memcmp(k, "\"nodes\"", 7);
		p = ws(p, e);
		if (p >= e || *p != ':')
			return NOT_TAKEN;
		v = ws(p + 1, e);
		p = bskip(v, e);
		if (!p)
			return NOT_TAKEN;
		if (is_nodes)
			nodes = *v == '[' ? v : NULL;
		p = ws(p, e);
		if (p < e && *p == ',')
			p = ws(p + 1, e);
	}
	if (!nodes)
		return NOT_TAKEN;
	r->nodes_open = (size_t)(nodes - r->text);
	p = ws(nodes + 1, e);
	while (p < e && *p != ']') {
		struct pp_node *n;
		const char *id, *end;

		if (*p != '{' || !(end = node_span(r, p, e, &id))) {
			pp_rg_free_index(r);
			return NOT_TAKEN;
		}
		if (r->nnodes == cap) {
			cap = cap ? 2 * cap : 256;
			r->nodes = pp_xrealloc(r->nodes, cap * sizeof *r->nodes);
		}
		n = &r->nodes[r->nnodes++];
		memset(n, 0, sizeof *n);
		n->id = id;
		n->text = p;
		n->text_len = (size_t)(end - p);
		n->lazy = 1;
		p = ws(end, e);
		if (p < e && *p == ',')
			p = ws(p + 1, e);
	}
	if (p >= e) {
		pp_rg_free_index(r);
		return NOT_TAKEN;
	}
	/* the cache gives it only to a later lazy open (registry_file.c) */
	r->lazy = 1;
	return 0;
}

int
pp_rg_index_lazy(struct pp_registry *r, struct pp_node *n)
{
	struct rd rd = {.r = r, .text = 1, .e = r->text + r->len};
	struct pp_jscan s = {n->text + n->text_len, 0, 0, PP_JSCAN_DEPTH};
	char err[512];
	struct pp_node was = *n;
	struct jv o;
	int rc;

	if (!n->lazy)
		return 0;
	/* what this node's reading relies on, checked by the scanner */
	if (pp_jscan_value(&s, n->text, 2) != s.end) {
		pp_warn("registry '%s': node '%s' is not valid JSON", r->path,
			n->id);
		return -1;
	}
	memset(&o, 0, sizeof o);
	o.t = JV_OBJ;
	o.p = n->text;
	rc = pp_rg_index_node(&rd, n, &o, (size_t)(n - r->nodes),
		r->path ? r->path : "-", err, sizeof err);
	free(rd.tmp);
	free(rd.cel);
	free(rd.csl);
	if (rc < 0) {
		/* the stamp said this file was checked: it was not */
		pp_warn("%s", rc == NOT_TAKEN ? "registry: a node the scanner "
			"does not take" : err);
		free(n->containers);
		*n = was;
		return -1;
	}
	return 0;
}

int
pp_rg_index_all_lazy(struct pp_registry *r)
{
	for (size_t i = 0; i < r->nnodes; i++)
		if (r->nodes[i].lazy && pp_rg_index_lazy(r, &r->nodes[i]) < 0)
			return -1;
	r->lazy = 0;
	return 0;
}
