/* Small json-c helpers: parsing outside input under bounds, field
 * access that tolerates absent keys, serialising, raw text objects. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/printbuf.h>

#include "base/json.h"
#include "base/util.h"

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

const char *
pp_json_string(json_object *o, int pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= pretty ? JSON_C_TO_STRING_PRETTY |
		JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	return json_object_to_json_string_ext(o, flags);
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

int
pp_jint_value(json_object *v, long long min, long long max, long long *out)
{
	int64_t i;

	if (!v)
		return PP_JINT_ABSENT;
	if (!json_object_is_type(v, json_type_int))
		return PP_JINT_TYPE;
	i = json_object_get_int64(v);
	if (i == INT64_MIN || i == INT64_MAX)
		return PP_JINT_HUGE;
	*out = i;
	return i < min || i > max ? PP_JINT_RANGE : PP_JINT_OK;
}

int
pp_jint_get(json_object *o, const char *key, long long min, long long max,
	long long *out)
{
	return pp_jint_value(pp_jget(o, key), min, max, out);
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
