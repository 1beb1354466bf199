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

/* Bytes that matter inside a string. */
static const unsigned char in_str[256] = { ['"'] = 1, ['\\'] = 2 };

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

#ifdef __SSE2__
#include <emmintrin.h>
#include <stdint.h>

/* The 64 bytes at q as four bit masks (bit i: byte q[i]): quotes,
 * backslashes, { and [, } and ]. */
static void
masks64(const char *q, uint64_t *qm, uint64_t *bm, uint64_t *om,
	uint64_t *cm)
{
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i low = _mm_set1_epi8(0x20);
	/* { and [ differ only in 0x20, as do } and ] */
	const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');

	*qm = *bm = *om = *cm = 0;
	for (int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
			(q + 16 * k));
		__m128i f = _mm_or_si128(v, low);

		*qm |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, quote)) << (16 * k);
		*bm |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, bs)) << (16 * k);
		*om |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(f, open)) << (16 * k);
		*cm |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(f, close)) << (16 * k);
	}
}

/* bit i: the xor of bits 0..i (inside a string: an odd count of
 * quotes up to here) */
static uint64_t
prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* masks64 with two 32-byte loads, for CPUs with AVX2 (runtime check) */
__attribute__((target("avx2"))) static inline void
masks64_avx2(const char *q, uint64_t *qm, uint64_t *bm, uint64_t *om,
	uint64_t *cm)
{
	const __m256i quote = _mm256_set1_epi8('"');
	const __m256i bs = _mm256_set1_epi8('\\');
	const __m256i low = _mm256_set1_epi8(0x20);
	const __m256i open = _mm256_set1_epi8('{');
	const __m256i close = _mm256_set1_epi8('}');

	*qm = *bm = *om = *cm = 0;
	for (int k = 0; k < 2; k++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)
			(q + 32 * k));
		__m256i f = _mm256_or_si256(v, low);

		*qm |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(v, quote)) << (32 * k);
		*bm |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(v, bs)) << (32 * k);
		*om |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(f, open)) << (32 * k);
		*cm |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(f, close)) << (32 * k);
	}
}
#endif
#endif

/* The end of the object or array at p, never past e, byte by byte
 * (simd 0) or 64 bytes at a step where no backslash is among them (the
 * masks with AVX2 when wide); NULL past e or deeper than
 * PP_JSCAN_DEPTH (p at depth base). */
__attribute__((always_inline)) static inline const char *
block_end(const char *p, const char *e, int base, int simd, int wide)
{
	int depth = 0, instr = 0, esc = 0, max = PP_JSCAN_DEPTH - base;

	(void)simd;
	(void)wide;
	while (p < e) {
		const char *lim = e;

#ifdef __SSE2__
		if (simd && esc && e - p >= 64) {
			/* the escaped byte, then 64 at a step again */
			lim = p + 1;
		} else if (simd && e - p >= 64) {
			uint64_t qm, bm, om, cm, in, st;

#ifdef HAVE_AVX2_PATH
			if (wide)
				masks64_avx2(p, &qm, &bm, &om, &cm);
			else
#endif
				masks64(p, &qm, &bm, &om, &cm);
			if (!bm) {
				in = prefix_xor(qm) ^ (instr ? ~(uint64_t)0 : 0);
				st = (om | cm) & ~in;
				instr = (int)(in >> 63);
				for (; st; st &= st - 1) {
					int i = __builtin_ctzll(st);

					if (om >> i & 1) {
						if (++depth > max)
							return NULL;
					} else if (--depth == 0)
						return p + i + 1;
				}
				p += 64;
				continue;
			}
			/* a backslash: these bytes one by one */
			lim = p + 64;
		}
#endif
		while (p < lim) {
			char c = *p++;

			if (instr) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					instr = 0;
			} else if (c == '"') {
				instr = 1;
			} else if (c == '{' || c == '[') {
				if (++depth > max)
					return NULL;
			} else if (c == '}' || c == ']') {
				if (--depth == 0)
					return p;
			}
		}
	}
	return NULL;
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"))) static const char *
block_end_avx2(const char *p, const char *e, int base)
{
	return block_end(p, e, base, 1, 1);
}
#endif

const char *
pp_rg_block_end(const char *p, const char *e, int base, int simd)
{
#ifdef HAVE_AVX2_PATH
	static int avx2 = -1;

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	if (simd && avx2)
		return block_end_avx2(p, e, base);
#endif
	return block_end(p, e, base, simd, 0);
}

/* The end of the value at p, never past e: the text was checked when
 * it was stamped, but a stamp is a file too, so this reading stays
 * within the bytes whatever they are. NULL: not what it should be. */
static const char *
bskip(const char *p, const char *e, int base)
{
	int esc = 0;

	if (p >= e)
		return NULL;
	if (*p == '"')
		return bstr(p, e, &esc);
	if (*p != '{' && *p != '[') {
		while (p < e && !scalar_end[(unsigned char)*p])
			p++;
		return p;
	}
	return pp_rg_block_end(p, e, base, 1);
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
		p = bskip(v, e, 2);
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

/* The nodes of the list at p ('['): their ids and spans in r's index.
 * The end of the list, or NULL (the index freed) when the whole index
 * must read it. */
static const char *
lazy_nodes(struct pp_registry *r, const char *p, const char *e)
{
	size_t cap = 0;

	p = ws(p + 1, e);
	while (p < e && *p != ']') {
		struct pp_node *n;
		const char *id, *end;

		if (*p != '{' || !(end = node_span(r, p, e, &id))) {
			pp_rg_free_index(r);
			return NULL;
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
		return NULL;
	}
	return p + 1;
}

/* One pass over the text: the top level's values skipped, but for
 * "nodes", whose list is indexed on the way (the last one, as json-c
 * keeps the last of a repeated key). */
int
pp_rg_load_lazy(struct pp_registry *r)
{
	const char *e = r->text + r->len, *p = ws(r->text, e);
	int found = 0;

	if (p >= e || *p != '{')
		return NOT_TAKEN;
	p = ws(p + 1, e);
	while (p < e && *p != '}') {
		const char *k = p, *v;
		int esc = 0, is_nodes;

		if (*p != '"' || !(p = bstr(p, e, &esc)) || esc)
			goto not_taken;
		is_nodes = p - k == 7 && !memcmp(k, "\"nodes\"", 7);
		p = ws(p, e);
		if (p >= e || *p != ':')
			goto not_taken;
		v = ws(p + 1, e);
		if (is_nodes) {
			/* a later "nodes" replaces what an earlier one was */
			pp_rg_free_index(r);
			found = v < e && *v == '[';
		}
		if (is_nodes && found) {
			r->nodes_open = (size_t)(v - r->text);
			p = lazy_nodes(r, v, e);
		} else {
			p = bskip(v, e, 0);
		}
		if (!p)
			goto not_taken;
		p = ws(p, e);
		if (p < e && *p == ',')
			p = ws(p + 1, e);
	}
	if (!found)
		goto not_taken;
	/* the cache gives it only to a later lazy open (registry_file.c) */
	r->lazy = 1;
	return 0;
not_taken:
	pp_rg_free_index(r);
	return NOT_TAKEN;
}

int
pp_rg_index_lazy(struct pp_registry *r, struct pp_node *n)
{
	/* the node's own text is all its reading looks at (it may lie
	 * outside r->text: a map of the file this run wrote) */
	struct rd rd = {.r = r, .text = 1, .e = n->text + n->text_len};
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
	if (rc == 0 && strcmp(n->id, was.id)) {
		/* the stamp's spans (registry_file.c) put another node here */
		snprintf(err, sizeof err, "registry '%s': node '%s' is not "
			"where the lock file's spans put node '%s'",
			r->path ? r->path : "-", n->id, was.id);
		rc = -1;
	}
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
