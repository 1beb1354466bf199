/* The registry's edits, node by node: a node edited gets its text
 * rewritten (its object parsed from its own text only), the others
 * keep theirs byte for byte (the splice), and the new text is indexed
 * from the old index plus the nodes that changed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/json.h"
#include "base/jscan.h"
#include "store/registry.h"
#include "store/registry_int.h"

json_object *
pp_rg_node_obj(struct pp_node *n)
{
	char err[256];

	if (!n->obj && n->text)
		n->obj = pp_json_parse(n->text, n->text_len, err, sizeof err);
	return n->obj;
}

/* Where a rendering goes: a buffer (b), or pieces to write (iov),
 * which point into the old text and the edited nodes' objects. */
struct sink {
	struct pp_buf *b;
	struct iovec *iov;
	size_t n, cap;
	size_t len;
	const char *t, *te;   /* the old text */
};

static void
put(struct sink *k, const char *p, size_t n)
{
	struct iovec *l;

	if (!n)
		return;
	k->len += n;
	if (k->b) {
		pp_buf_add(k->b, p, n);
		return;
	}
	l = k->n ? &k->iov[k->n - 1] : NULL;
	if (l && (const char *)l->iov_base + l->iov_len == p) {
		l->iov_len += n;
		return;
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->iov = pp_xrealloc(k->iov, k->cap * sizeof *k->iov);
	}
	k->iov[k->n].iov_base = (void *)(uintptr_t)p;
	k->iov[k->n++].iov_len = n;
}

/* A comma: the old text's own where the last piece ends at one (kept
 * nodes then stay one piece with what is around them). */
static void
put_comma(struct sink *k)
{
	const struct iovec *l = k->n ? &k->iov[k->n - 1] : NULL;
	const char *q = l ? (const char *)l->iov_base + l->iov_len : NULL;

	if (!k->b && q && q >= k->t && q < k->te && *q == ',')
		put(k, q, 1);
	else
		put(k, ",", 1);
}

/* The text a node is written as: its own unless its object differs.
 * Returns 1 when it is its own. */
static int
add_node(struct sink *k, const struct pp_node *n)
{
	const char *s;
	char *min;
	size_t len;
	int same;

	if (!n->obj) {
		put(k, n->text, n->text_len);
		return 1;
	}
	s = pp_json_string(n->obj, 0);
	min = pp_xmalloc(n->text_len + 1);
	len = pp_jscan_minify(n->text, n->text_len, min);
	same = len == strlen(s) && !memcmp(min, s, len);
	if (same)
		put(k, n->text, n->text_len);
	else
		put(k, s, strlen(s));
	free(min);
	return same;
}

/* Where pp_rg_render() put a node: offset and length in the new text, and
 * whether that is the node's own text. */
struct span {
	size_t off, len;
	int same;
};

/* The text of r, from its text and its edits, into k; sp: one span
 * per node and added node. */
static void
render_text(struct pp_registry *r, struct sink *k, struct span *sp)
{
	size_t pos = r->nodes_open + 1, emitted = 0, nadd;
	const char *t = r->text;

	k->t = t;
	k->te = t + r->len;
	put(k, t, pos);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *n = &r->nodes[i];
		const char *g = t + pos, *ge = n->text;
		const char *comma = memchr(g, ',', (size_t)(ge - g));
		int same;

		/* each kept node keeps the layout before it */
		if (comma)
			g = comma + 1;
		pos = (size_t)(n->text - t) + n->text_len;
		if (n->removed)
			continue;
		if (emitted++)
			put_comma(k);
		put(k, g, (size_t)(ge - g));
		if (sp)
			sp[i].off = k->len;
		same = add_node(k, n);
		if (sp) {
			sp[i].len = k->len - sp[i].off;
			sp[i].same = same;
		}
	}
	nadd = r->added ? json_object_array_length(r->added) : 0;
	for (size_t i = 0; i < nadd; i++) {
		const char *s = pp_json_string(
			json_object_array_get_idx(r->added, i), 0);

		if (emitted++)
			put_comma(k);
		if (sp)
			sp[r->nnodes + i].off = k->len;
		put(k, s, strlen(s));
		if (sp) {
			sp[r->nnodes + i].len = k->len - sp[r->nnodes + i].off;
			sp[r->nnodes + i].same = 0;
		}
	}
	put(k, t + pos, r->len - pos);
}

/* sp: one span per node and added node, or NULL */
static char *
pp_rg_render(struct pp_registry *r, size_t *len, struct span *sp)
{
	struct pp_buf b = {0};
	struct sink k = {.b = &b};

	if (!r->text) {
		/* compact: a pretty rewrite would double the file */
		char *s = pp_xasprintf("%s\n", pp_json_string(r->root, 0));

		*len = strlen(s);
		return s;
	}
	/* about the old text's size: no doubling and copying on the way */
	b.cap = r->len + 65536;
	b.s = pp_xmalloc(b.cap);
	render_text(r, &k, sp);
	*len = b.len;
	return b.s;
}

char *
pp_registry_render(struct pp_registry *r, size_t *len)
{
	return pp_rg_render(r, len, NULL);
}

/* After a splice: the index of the new text from the old index, the
 * nodes written as their own text moved over, the others (edited,
 * added) checked by the scanner and indexed alone. Returns 0, or -1
 * when the caller must index the whole text (anything unusual). */
int
pp_rg_reindex_spliced(struct pp_registry *r, char *text, size_t len,
	size_t maplen, const struct span *sp)
{
	struct rd rd = {.r = r, .text = 1, .e = text + len};
	size_t nadd = r->added ? json_object_array_length(r->added) : 0;
	size_t total = r->nnodes + nadd, k = 0;
	struct pp_node *nodes = pp_xcalloc(total + 1, sizeof *nodes);
	char err[512];
	int rc = 0;

	for (size_t i = 0; i < total && rc == 0; i++) {
		const struct pp_node *n = i < r->nnodes ? &r->nodes[i] : NULL;
		struct pp_jscan s = {text + sp[i].off + sp[i].len, 0, 0,
			PP_JSCAN_DEPTH};
		struct jv o;

		if (n && n->removed)
			continue;
		/* a node with an object was indexed from it, even when its
		 * text came out the same: its strings go with the object,
		 * so it is indexed again from the text */
		if (n && sp[i].same && !n->obj) {
			nodes[k] = *n;
			nodes[k].obj = NULL;
			nodes[k++].text = text + sp[i].off;
			continue;
		}
		if (pp_jscan_value(&s, text + sp[i].off, 2) != s.end ||
		    text[sp[i].off] != '{') {
			rc = -1;
			break;
		}
		memset(&o, 0, sizeof o);
		o.t = JV_OBJ;
		o.p = text + sp[i].off;
		rc = pp_rg_index_node(&rd, &nodes[k], &o, k, "-", err, sizeof err);
		k++;
	}
	free(rd.tmp);
	free(rd.cel);
	free(rd.csl);
	if (rc == 0 && pp_rg_dup_id(nodes, k))
		rc = -1;
	/* the nodes indexed here own their containers; moved ones share */
	for (size_t i = 0, j = 0; i < total && j < k; i++) {
		const struct pp_node *n = i < r->nnodes ? &r->nodes[i] : NULL;

		if (n && n->removed)
			continue;
		if (rc < 0 && !(n && sp[i].same && !n->obj))
			free(nodes[j].containers);
		j++;
	}
	if (rc < 0) {
		free(nodes);
		return -1;
	}
	for (size_t i = 0; i < r->nnodes; i++) {
		if (r->nodes[i].removed || !sp[i].same || r->nodes[i].obj)
			free(r->nodes[i].containers);
		json_object_put(r->nodes[i].obj);
	}
	free(r->nodes);
	r->nodes = nodes;
	r->nnodes = k;
	pp_rg_free_text(r);
	r->text = text;
	r->len = len;
	r->maplen = maplen;
	json_object_put(r->added);
	r->added = NULL;
	return 0;
}

/* When the spliced index cannot follow an edit: the new text (taken
 * over) indexed whole, by the scanner or, where it does not take it,
 * by json-c. 0, or -1 after a warning. */
static int
reindex_whole(struct pp_registry *r, char *text, size_t len, size_t maplen)
{
	char err[512];
	int rc;

	if (maplen) {
		/* json-c's reading may take the text over: a copy */
		char *c = pp_rg_copy_text(text, len);

		munmap(text, maplen);
		text = c;
	}
	pp_rg_free_index(r);
	pp_rg_free_text(r);
	r->text = text;
	r->len = len;
	json_object_put(r->added);
	r->added = NULL;
	rc = pp_rg_index_text(r, err, sizeof err);
	if (rc == NOT_TAKEN) {
		/* an edit the scanner does not take: json-c reads it */
		r->text = NULL;
		rc = pp_rg_load(r, text, len, 1, err, sizeof err);
	}
	if (rc < 0)
		pp_warn("%s", err);
	return rc < 0 ? -1 : 0;
}

int
pp_registry_apply(struct pp_registry *r, char **out, size_t *outlen)
{
	size_t nadd = r->added ? json_object_array_length(r->added) : 0;
	struct span *sp = pp_xcalloc(r->nnodes + nadd + 1, sizeof *sp);
	char err[512], *text;
	size_t len;
	int rc = 0;

	/* the text becomes other than the file's: not cached as it */
	pp_rg_close_fd(r);
	text = pp_rg_render(r, &len, r->text ? sp : NULL);
	if (out) {
		*out = pp_xmalloc(len + 1);
		memcpy(*out, text, len + 1);
		*outlen = len;
	}
	if (!r->text) {
		free(text);
		free(sp);
		return pp_registry_index(r, err, sizeof err);
	}
	if (pp_rg_reindex_spliced(r, text, len, 0, sp) < 0)
		rc = reindex_whole(r, text, len, 0);
	free(sp);
	return rc < 0 ? -1 : 0;
}

int
pp_rg_save_text(struct pp_registry *r, int reindex)
{
	size_t nadd = r->added ? json_object_array_length(r->added) : 0;
	struct span *sp;
	struct sink k = {0};
	size_t len, maplen = 0;
	char *text = NULL, err[512];
	int rc;

	if (pp_rg_added_ok(r, err, sizeof err) < 0) {
		pp_warn("%s", err);
		errno = EINVAL;
		return -1;
	}
	sp = pp_xcalloc(r->nnodes + nadd + 1, sizeof *sp);

	/* written from the old text's pieces and the edited nodes': no
	 * copy of the whole text is made to write it */
	render_text(r, &k, sp);
	len = k.len;
	if (pp_write_atomicv(r->path, k.iov, k.n, 0644) < 0) {
		int e = errno;

		free(k.iov);
		free(sp);
		errno = e;
		return -1;
	}
	free(k.iov);
	pp_rg_hold_written(r);
	if (!reindex) {
		free(sp);
		return 0;
	}
	/* the new text is the file written, mapped (else read back) */
	if (r->has_fd && (size_t)r->st.st_size == len &&
	    (text = pp_rg_map_text(r->fd, len)))
		maplen = len;
	else {
		struct pp_buf b = {0};
		struct sink c = {.b = &b};

		b.cap = len + 1;
		b.s = pp_xmalloc(b.cap);
		memset(sp, 0, (r->nnodes + nadd + 1) * sizeof *sp);
		render_text(r, &c, sp);
		text = b.s;
		len = b.len;
	}
	rc = pp_rg_reindex_spliced(r, text, len, maplen, sp);
	free(sp);
	if (rc < 0 && reindex_whole(r, text, len, maplen) < 0) {
		errno = EINVAL;
		return -1;
	}
	/* the file written is checked: the next open need not */
	pp_rg_stamp(r);
	return 0;
}
