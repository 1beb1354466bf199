/* The pipe document: read, validate, write; small json-c helpers. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/printbuf.h>

#include "cli.h"
#include "doc.h"
#include "jscan.h"
#include "util.h"

/* What the tree of a JSON text will cost, from its structural
 * characters outside strings (measured on json-c 0.16: an object with
 * its hash table ~800 bytes, an array ~160, a value or member ~100). */
struct tree_cost {
	int in_str, esc;
	unsigned long long bytes;
};

static int
tree_cost_add(struct tree_cost *c, const char *p, size_t n, char *err,
	size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (c->in_str) {
			if (c->esc)
				c->esc = 0;
			else if (ch == '\\')
				c->esc = 1;
			else if (ch == '"')
				c->in_str = 0;
			continue;
		}
		switch (ch) {
		case '"': c->in_str = 1; break;
		case '{': c->bytes += 800; break;
		case '[': c->bytes += 160; break;
		case ',': case ':': c->bytes += 100; break;
		}
	}
	if (c->bytes > PP_JSON_TREE_MAX) {
		snprintf(err, errlen, "JSON too big to hold: its tree would "
			"take more than %llu MB", PP_JSON_TREE_MAX >> 20);
		errno = E2BIG;
		return -1;
	}
	return 0;
}

json_object *
pp_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct tree_cost cost = {0, 0, 0};
	enum json_tokener_error jerr;
	json_object *o;
	size_t off;

	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "input too large");
		return NULL;
	}
	if (tree_cost_add(&cost, text, len, err, errlen) < 0)
		return NULL;
	tok = json_tokener_new_ex(PP_JSON_DEPTH);
	if (!tok)
		pp_die(PP_EXIT_FAIL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		snprintf(err, errlen, "truncated JSON (input ends early)");
		json_object_put(o);
		o = NULL;
	} else if (jerr != json_tokener_success) {
		size_t line = 1;

		for (size_t i = 0; i < off && i < len; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "invalid JSON at line %zu: %s", line,
			json_tokener_error_desc(jerr));
		json_object_put(o);
		o = NULL;
	} else {
		/* only whitespace may follow the value */
		for (size_t i = off; i < len; i++) {
			if (!strchr(" \t\r\n", text[i])) {
				snprintf(err, errlen,
					"trailing data after the JSON value");
				json_object_put(o);
				o = NULL;
				break;
			}
		}
	}
	json_tokener_free(tok);
	return o;
}

json_object *
pp_json_parse_stream(FILE *f, size_t max, int *empty, char *err,
	size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(PP_JSON_DEPTH);
	enum json_tokener_error jerr = json_tokener_continue;
	struct tree_cost cost = {0, 0, 0};
	json_object *o = NULL;
	char chunk[65536];
	size_t total = 0, line = 1, n = 0, off = 0;
	int seen = 0, done = 0;

	if (!tok)
		pp_die(PP_EXIT_FAIL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (empty)
		*empty = 0;
	err[0] = '\0';
	while (!done && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		total += n;
		if (total > max) {
			snprintf(err, errlen, "input larger than %zu bytes",
				max);
			errno = EFBIG;
			goto fail;
		}
		for (size_t i = 0; i < n && !seen; i++)
			seen = !strchr(" \t\r\n", chunk[i]);
		if (!seen) {
			for (size_t i = 0; i < n; i++)
				line += chunk[i] == '\n';
			continue;
		}
		/* counted before it is fed: the tree never outgrows it */
		if (tree_cost_add(&cost, chunk, n, err, errlen) < 0)
			goto fail;
		o = json_tokener_parse_ex(tok, chunk, (int)n);
		jerr = json_tokener_get_error(tok);
		off = json_tokener_get_parse_end(tok);
		if (jerr == json_tokener_continue) {
			for (size_t i = 0; i < n; i++)
				line += chunk[i] == '\n';
			continue;
		}
		done = 1;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		goto fail;
	}
	if (!seen) {
		if (empty)
			*empty = 1;
		snprintf(err, errlen, "empty input");
		goto fail;
	}
	if (jerr == json_tokener_continue) {
		snprintf(err, errlen, "truncated JSON (input ends early)");
		goto fail;
	}
	for (size_t i = 0; i < off && i < n; i++)
		line += chunk[i] == '\n';
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON at line %zu: %s", line,
			json_tokener_error_desc(jerr));
		goto fail;
	}
	/* only whitespace may follow the value, in this chunk and after */
	for (;;) {
		for (size_t i = off; i < n; i++) {
			if (!strchr(" \t\r\n", chunk[i])) {
				snprintf(err, errlen, "trailing data after "
					"the JSON value");
				goto fail;
			}
		}
		off = 0;
		n = fread(chunk, 1, sizeof chunk, f);
		if (n == 0)
			break;
		total += n;
		if (total > max) {
			snprintf(err, errlen, "input larger than %zu bytes",
				max);
			errno = EFBIG;
			goto fail;
		}
	}
	json_tokener_free(tok);
	return o;
fail:
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}

/* The checks every document passes, whichever way it was read. */
static json_object *
doc_check(json_object *doc, int empty, const char *err)
{
	char msg[160] = "";
	json_object *v;

	if (!doc) {
		if (empty)
			pp_die(PP_EXIT_USAGE, "no document on stdin (empty "
				"input)");
		if (errno == EFBIG)
			pp_die(PP_EXIT_USAGE, "document on stdin is larger "
				"than %u MB", PP_DOC_MAX / (1024 * 1024));
		pp_die(PP_EXIT_USAGE, "bad document on stdin: %s", err);
	}
	v = pp_jget(doc, "version");
	if (!json_object_is_type(doc, json_type_object))
		snprintf(msg, sizeof msg, "bad document on stdin: not a JSON "
			"object");
	else if (!v || !json_object_is_type(v, json_type_int))
		snprintf(msg, sizeof msg, "bad document on stdin: 'version' "
			"is missing or not an integer");
	else if (json_object_get_int64(v) > PP_DOC_VERSION)
		snprintf(msg, sizeof msg, "document version %lld is newer "
			"than this tool understands (%d); upgrade ppscale",
			(long long)json_object_get_int64(v), PP_DOC_VERSION);
	else if (json_object_get_int64(v) < 1)
		snprintf(msg, sizeof msg, "bad document on stdin: version "
			"%lld", (long long)json_object_get_int64(v));
	if (msg[0]) {
		json_object_put(doc);
		pp_die(PP_EXIT_USAGE, "%s", msg);
	}
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

json_object *
pp_doc_parse_lean(const char *text, size_t len)
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
	raw = pp_xmalloc(cut + 1);
	pp_jscan_minify(nodes, cut, raw);
	json_object_object_add(doc, "nodes", pp_jnew_raw(raw));
	return doc;
}

json_object *
pp_doc_read_lean(void)
{
	char err[256], *text;
	json_object *doc;
	size_t len = 0;
	int empty = 1;

	/* pretty output is for people: the nodes are parsed to be written
	 * pretty as well */
	if (pp_doc_pretty())
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
	doc = empty ? NULL : pp_doc_parse_lean(text, len);
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

const char *
pp_json_string(json_object *o, int pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= pretty ? JSON_C_TO_STRING_PRETTY |
		JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	return json_object_to_json_string_ext(o, flags);
}

int
pp_doc_pretty(void)
{
	return pp_opt.pretty || isatty(1);
}

static int
raw_serialize(json_object *o, struct printbuf *pb, int level, int flags)
{
	const char *text = json_object_get_userdata(o);

	(void)level;
	(void)flags;
	return printbuf_memappend(pb, text, (int)strlen(text));
}

static void
raw_free(json_object *o, void *userdata)
{
	(void)o;
	free(userdata);
}

json_object *
pp_jnew_raw(char *text)
{
	json_object *o = json_object_new_object();

	json_object_set_serializer(o, raw_serialize, text, raw_free);
	return o;
}

const char *
pp_jraw_text(json_object *o)
{
	/* only pp_jnew_raw gives an object user data */
	if (!json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) != 0)
		return NULL;
	return json_object_get_userdata(o);
}

int
pp_doc_write(json_object *doc)
{
	int pretty = pp_doc_pretty();
	const char *s = pp_json_string(doc, pretty);

	if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF)
		return -1;
	return 0;
}

int
pp_finish_stdout(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout) || fclose(stdout) == EOF) {
		pp_warn("cannot write to stdout:");
		return status ? status : PP_EXIT_FAIL;
	}
	return status;
}

json_object *
pp_jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

json_object *
pp_jpath(json_object *o, const char *path)
{
	char key[128];
	const char *p = path;

	while (o && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		o = pp_jget(o, key);
		p += n + (dot != NULL);
	}
	return o;
}

const char *
pp_jstr(json_object *o, const char *key, const char *def)
{
	json_object *v = pp_jget(o, key);

	if (!v || !json_object_is_type(v, json_type_string))
		return def;
	return json_object_get_string(v);
}

long long
pp_jint(json_object *o, const char *key, long long def)
{
	json_object *v = pp_jget(o, key);

	if (!v || !(json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

double
pp_jdouble(json_object *o, const char *key, double def)
{
	json_object *v = pp_jget(o, key);

	if (!v || !(json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_double(v);
}

int
pp_jbool(json_object *o, const char *key, int def)
{
	json_object *v = pp_jget(o, key);

	if (!v || !json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v);
}

json_object *
pp_jnew_double(double v, int digits)
{
	char buf[64];
	double scale = pow(10, digits);
	double r = round(v * scale) / scale;

	if (!isfinite(r))
		r = 0;
	snprintf(buf, sizeof buf, "%.*f", digits, r);
	/* trim trailing zeros but keep one decimal so it stays a float */
	if (strchr(buf, '.')) {
		char *e = buf + strlen(buf) - 1;

		while (*e == '0' && e[-1] != '.')
			*e-- = '\0';
	}
	return json_object_new_double_s(r, buf);
}

json_object *
pp_jnew_time(time_t t)
{
	char buf[PP_TIME_LEN];

	return json_object_new_string(pp_format_time(t, buf, sizeof buf));
}
