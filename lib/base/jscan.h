/* jscan.c: a strict JSON validator and the lean reading of the pipe
 * document, for the tools that must not build a tree of every node.
 *
 * json-c stays the one JSON parser that decides what is valid: this
 * scanner only ever accepts a subset of what json-c accepts (RFC 8259,
 * no control characters in strings, bounded depth) and answers "not
 * here" for anything else, and the caller then parses with json-c and
 * reports json-c's error. Checked against json-c by t/fuzz/doc.c. */
#ifndef PP_JSCAN_H
#define PP_JSCAN_H

#include <stddef.h>

struct pp_jscan {
	const char *end;          /* one past the last byte of the text */
	unsigned long long cost;  /* json-c tree estimate, as in doc.c */
	int no_escapes;           /* refuse a backslash in a string */
	int maxdepth;             /* refuse deeper nesting */
};

/* Deepest nesting the scanner takes (json-c takes PP_JSON_DEPTH). */
#define PP_JSCAN_DEPTH 16

/* The first byte at or after p, before e, that matters inside a
 * string (a quote, a backslash, a byte under 0x20), looked for 16 bytes
 * at a step (SSE2) while 16 remain; where fewer remain it returns the
 * byte it reached, which the caller then reads one by one. */
#ifdef __SSE2__
#include <emmintrin.h>

static inline const char *
pp_jscan_special(const char *p, const char *e)
{
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1f);

	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* max(v, 0x1f) == 0x1f: v is 0x1f or less, unsigned */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
			_mm_cmpeq_epi8(v, bs)),
			_mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
		int bits = _mm_movemask_epi8(m);

		if (bits)
			return p + __builtin_ctz((unsigned)bits);
		p += 16;
	}
	return p;
}
#else
static inline const char *
pp_jscan_special(const char *p, const char *e)
{
	(void)e;
	return p;
}
#endif

/* Skips JSON whitespace. */
const char *pp_jscan_ws(const char *p, const char *end);
/* Validates the value starting at p (no whitespace before it), adding
 * its estimated tree cost to s->cost. Returns the byte after it, or NULL
 * when it is not valid or not in the subset. depth: nesting of p's
 * container (0 at the top). */
const char *pp_jscan_value(struct pp_jscan *s, const char *p, int depth);
/* Copies n bytes of valid JSON to out without whitespace outside
 * strings; returns the length written (out holds n + 1 bytes, and is
 * terminated). */
size_t pp_jscan_minify(const char *p, size_t n, char *out);

#endif
