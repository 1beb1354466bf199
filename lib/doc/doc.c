/* The pipe document: read, validate, write. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jscan.h"
#include "base/util.h"
#include "doc/doc.h"

/* When the figures were gathered, or -1 when the document does not
 * say in a form we read. */
static time_t
doc_time(json_object *doc)
{
	time_t gen;

	if (pp_parse_time(pp_jstr(doc, "generated_at", NULL), &gen) < 0)
		return -1;
	return gen;
}

/* A document made at another time than the tool's clock: a snapshot
 * saved and replayed by hand, or a --now far from it. Its figures may
 * no longer hold, and windows, cooldowns and boot deadlines are judged
 * by the clock: a node booting in the document is a failed boot six
 * days later. Said on stderr, not refused: a dry run on an old
 * snapshot is a fair question. Past PP_DOC_MAX_AGE_S the tools that
 * act also say what they will not do (pp_doc_too_old). */
static void
doc_age(json_object *doc)
{
	time_t gen = doc_time(doc), now = pp_now();
	char g[PP_TIME_LEN], n[PP_TIME_LEN], d[32];

	pp_format_time(gen, g, sizeof g);
	pp_format_time(now, n, sizeof n);
	if (now - gen > PP_DOC_STALE_S)
		pp_warn("the document was generated at %s, %s before this "
			"tool's clock (%s): its figures may no longer hold "
			"(pipe a fresh pp-fleetstats, or give --now %s to "
			"judge it at its own time)", g,
			pp_format_duration(now - gen, d, sizeof d), n, g);
	else if (gen - now > PP_DOC_AHEAD_S)
		pp_warn("the document was generated at %s, %s after this "
			"tool's clock (%s): a clock set back, or --now "
			"before the document's time?", g,
			pp_format_duration(gen - now, d, sizeof d), n);
}

int
pp_doc_too_old(json_object *doc, char *why, size_t len)
{
	time_t gen = doc_time(doc), now = pp_now();
	char g[PP_TIME_LEN], d[32], m[32];

	if (gen < 0 || now - gen <= PP_DOC_MAX_AGE_S)
		return 0;
	pp_format_time(gen, g, sizeof g);
	snprintf(why, len, "the document (generated_at %s) is %s old, more "
		"than %s: no decision is made or carried out on one this old "
		"(pipe a fresh pp-fleetstats; to replay it by hand, give --now "
		"%s)", g, pp_format_duration(now - gen, d, sizeof d),
		pp_format_duration(PP_DOC_MAX_AGE_S, m, sizeof m), g);
	return 1;
}

/* The checks every document passes, whichever way it was read. */
static json_object *
doc_check(json_object *doc, int empty, const char *err)
{
	char msg[160] = "";
	long long ver = 0;
	int rc;

	if (!doc) {
		if (empty)
			pp_die(PP_EXIT_USAGE, "no document on stdin (empty "
				"input)");
		if (errno == EFBIG)
			pp_die(PP_EXIT_USAGE, "document on stdin is larger "
				"than %u MB", PP_DOC_MAX / (1024 * 1024));
		pp_die(PP_EXIT_USAGE, "bad document on stdin: %s", err);
	}
	rc = pp_jint_get(doc, "version", 1, PP_DOC_VERSION, &ver);
	if (!json_object_is_type(doc, json_type_object))
		snprintf(msg, sizeof msg, "bad document on stdin: not a JSON "
			"object");
	else if (rc == PP_JINT_ABSENT || rc == PP_JINT_TYPE)
		snprintf(msg, sizeof msg, "bad document on stdin: 'version' "
			"is missing or not an integer");
	else if (rc == PP_JINT_HUGE)
		snprintf(msg, sizeof msg, "bad document on stdin: 'version' "
			"is out of range");
	else if (ver > PP_DOC_VERSION)
		snprintf(msg, sizeof msg, "document version %lld is newer "
			"than this tool understands (%d); upgrade ppscale",
			ver, PP_DOC_VERSION);
	else if (ver < 1)
		snprintf(msg, sizeof msg, "bad document on stdin: version "
			"%lld", ver);
	else if (doc_time(doc) < 0)
		snprintf(msg, sizeof msg, "bad document on stdin: "
			"'generated_at' is missing or not a time");
	if (msg[0]) {
		json_object_put(doc);
		pp_die(PP_EXIT_USAGE, "%s", msg);
	}
	doc_age(doc);
	return doc;
}

static void
warn_tty(void)
{
	if (isatty(0))
		pp_warn("reading the document from the terminal "
			"(pipe pp-fleetstats into this tool)");
}

json_object *
pp_doc_read(void)
{
	char err[256];
	json_object *doc;
	int empty;

	warn_tty();
	errno = 0;
	doc = pp_json_parse_stream(stdin, PP_DOC_MAX, &empty, err, sizeof err);
	return doc_check(doc, empty, err);
}

/* No byte at or below a space: no whitespace outside strings either
 * (the scanner refuses control characters in strings). */
static int
is_compact(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;
	size_t i = 0;

	/* 8 bytes at a step (a byte-by-byte count was 7 instructions a
	 * byte of the 5 MB nodes, in each tool): a byte below 0x21 sets
	 * its high bit in (x - 0x21...) & ~x; a borrow may set one above
	 * it too, never where there is none */
	for (; n - i >= 8; i += 8) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		if ((x - ones * 0x21) & ~x & highs)
			return 0;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] <= ' ')
			return 0;
	return 1;
}

/* own: the buffer text is in, which the nodes' text may take over
 * (then *own is NULL): compact nodes are not copied a second time. */
static json_object *
parse_lean(const char *text, size_t len, char **own)
{
	struct pp_jscan s = {text + len, 800, 0, PP_JSCAN_DEPTH};
	const char *e = text + len, *nodes = NULL, *nodes_end = NULL;
	const char *p = pp_jscan_ws(text, e);
	char err[256], *rest, *raw;
	json_object *doc;
	size_t n, cut;

	/* the top level by hand, the rest by the scanner: one pass */
	if (p >= e || *p != '{')
		return NULL;
	p = pp_jscan_ws(p + 1, e);
	while (p < e && *p == '"') {
		const char *key = p + 1, *v;
		size_t klen;

		s.no_escapes = 0;
		p = pp_jscan_value(&s, p, 1);
		/* a key with an escape may spell "nodes": json-c decides */
		if (!p || memchr(key, '\\', (size_t)(p - key)))
			return NULL;
		klen = (size_t)(p - key) - 1;
		p = pp_jscan_ws(p, e);
		if (p >= e || *p != ':')
			return NULL;
		s.cost += 100;
		v = pp_jscan_ws(p + 1, e);
		/* the nodes: a plain list, once, without escapes */
		s.no_escapes = klen == 5 && !memcmp(key, "nodes", 5);
		if (s.no_escapes && (nodes || v >= e || *v != '['))
			return NULL;
		p = pp_jscan_value(&s, v, 1);
		if (!p)
			return NULL;
		if (s.no_escapes) {
			nodes = v;
			nodes_end = p;
		}
		p = pp_jscan_ws(p, e);
		if (p >= e || *p != ',')
			break;
		s.cost += 100;
		p = pp_jscan_ws(p + 1, e);
		if (p >= e || *p != '"')
			return NULL;
	}
	if (p >= e || *p != '}' || pp_jscan_ws(p + 1, e) != e || !nodes ||
	    s.cost > PP_JSON_TREE_MAX)
		return NULL;
	/* json-c parses the rest, with null for the nodes */
	n = (size_t)(nodes - text);
	cut = (size_t)(nodes_end - nodes);
	rest = pp_xmalloc(len - cut + 4);
	memcpy(rest, text, n);
	memcpy(rest + n, "null", 4);
	memcpy(rest + n + 4, nodes_end, len - n - cut);
	doc = pp_json_parse(rest, len - cut + 4, err, sizeof err);
	free(rest);
	if (!doc)
		return NULL;
	if (!is_compact(nodes, cut)) {
		raw = pp_xmalloc(cut + 1);
		pp_jscan_minify(nodes, cut, raw);
	} else if (own && *own == text) {
		raw = *own;
		*own = NULL;
		memmove(raw, nodes, cut);
		raw[cut] = '\0';
		raw = pp_xrealloc(raw, cut + 1);
	} else {
		raw = pp_xmalloc(cut + 1);
		memcpy(raw, nodes, cut);
		raw[cut] = '\0';
	}
	json_object_object_add(doc, "nodes", pp_jnew_raw(raw));
	return doc;
}

json_object *
pp_doc_parse_lean(const char *text, size_t len)
{
	return parse_lean(text, len, NULL);
}

json_object *
pp_doc_read_lean(int pretty)
{
	char err[256], *text;
	json_object *doc;
	size_t len = 0;
	int empty = 1;

	/* pretty output is for people: the nodes are parsed to be written
	 * pretty as well */
	if (pretty)
		return pp_doc_read();
	warn_tty();
	err[0] = '\0';
	errno = 0;
	text = pp_read_stream(stdin, PP_DOC_MAX, &len);
	if (!text && errno == EFBIG)
		return doc_check(NULL, 0, "");
	if (!text)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: read error:");
	for (size_t i = 0; i < len && empty; i++)
		empty = strchr(" \t\r\n", text[i]) != NULL;
	doc = empty ? NULL : parse_lean(text, len, &text);
	if (!doc && !empty)
		doc = pp_json_parse(text, len, err, sizeof err);
	free(text);
	return doc_check(doc, empty, err);
}

json_object *
pp_doc_new(time_t now)
{
	json_object *doc = json_object_new_object();

	json_object_object_add(doc, "version",
		json_object_new_int(PP_DOC_VERSION));
	json_object_object_add(doc, "generated_at", pp_jnew_time(now));
	return doc;
}

size_t
pp_doc_pieces(json_object *doc, struct iovec v[3])
{
	json_object *nodes = NULL, *mark;
	const char *s, *m, *raw;

	/* the nodes' text as it was read, written from where it is: not
	 * copied into json-c's buffer first (5 MB at 10,000 nodes, in
	 * each tool of a cycle). The mark is a byte json-c never writes
	 * unescaped, nor does a raw text (JSON the scanner checked). */
	if (json_object_object_get_ex(doc, "nodes", &nodes) &&
	    (raw = pp_jraw_text(nodes))) {
		mark = pp_jnew_raw(pp_xstrdup("\001"));
		json_object_get(nodes);
		json_object_object_add(doc, "nodes", mark);
		s = pp_json_string(doc, 0);
		m = strchr(s, '\001');
		/* json-c keeps the key where it was; s stays the doc's */
		json_object_object_add(doc, "nodes", nodes);
		if (m) {
			v[0].iov_base = (void *)(uintptr_t)s;
			v[0].iov_len = (size_t)(m - s);
			v[1].iov_base = (void *)(uintptr_t)raw;
			v[1].iov_len = strlen(raw);
			v[2].iov_base = (void *)(uintptr_t)(m + 1);
			v[2].iov_len = strlen(m + 1);
			return 3;
		}
	}
	s = pp_json_string(doc, 0);
	v[0].iov_base = (void *)(uintptr_t)s;
	v[0].iov_len = strlen(s);
	return 1;
}

int
pp_doc_write(json_object *doc, int pretty)
{
	struct iovec v[3];
	size_t n;

	if (pretty) {
		if (fputs(pp_json_string(doc, 1), stdout) == EOF ||
		    fputc('\n', stdout) == EOF)
			return -1;
		return 0;
	}
	n = pp_doc_pieces(doc, v);
	for (size_t i = 0; i < n; i++)
		if (fwrite(v[i].iov_base, 1, v[i].iov_len, stdout) !=
		    v[i].iov_len)
			return -1;
	if (fputc('\n', stdout) == EOF)
		return -1;
	return 0;
}

int
pp_flush_stdout(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		return status ? status : PP_EXIT_FAIL;
	return status;
}

int
pp_finish_stdout(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		goto fail;
	/* a closed stdout (>&-) that nothing was written to has failed no
	 * write: a finished edit is not a failure (gnulib's close_stream) */
	if (fclose(stdout) == EOF && errno != EBADF)
		goto fail;
	return status;
fail:
	pp_warn("cannot write to stdout:");
	return status ? status : PP_EXIT_FAIL;
}
