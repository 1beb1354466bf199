/* A strict JSON validator: the subset of json-c's strict mode that the
 * lean document reader (doc.c) can take without building a tree. */
#include <string.h>

#include "base/jscan.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

const char *
pp_jscan_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* p at the opening quote */
static const char *
string(const struct pp_jscan *s, const char *p)
{
	const char *e = s->end;

	for (p++; p < e; p++) {
		unsigned char c;

		p = pp_jscan_special(p, e);
		if (p >= e)
			break;
		c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		/* json-c takes some control characters; we leave them to
		 * json-c */
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (s->no_escapes || ++p >= e)
			return NULL;
		switch (*p) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			break;
		case 'u':
			if (e - p < 5)
				return NULL;
			for (int i = 1; i <= 4; i++)
				if (!is_hex(p[i]))
					return NULL;
			p += 4;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static const char *
digits(const char *p, const char *e)
{
	if (p >= e || !is_digit(*p))
		return NULL;
	while (p < e && is_digit(*p))
		p++;
	return p;
}

/* RFC 8259's number: json-c also takes "1." and others; not we */
static const char *
number(const char *p, const char *e)
{
	if (*p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else
		p = digits(p, e);
	if (p && p < e && *p == '.')
		p = digits(p + 1, e);
	if (p && p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		p = digits(p, e);
	}
	return p;
}

static const char *
literal(const char *p, const char *e, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(e - p) < n || memcmp(p, word, n))
		return NULL;
	return p + n;
}

static const char *
object(struct pp_jscan *s, const char *p, int depth)
{
	const char *e = s->end;

	s->cost += 800;
	p = pp_jscan_ws(p + 1, e);
	if (p < e && *p == '}')
		return p + 1;
	for (;;) {
		if (p >= e || *p != '"')
			return NULL;
		p = string(s, p);
		if (!p)
			return NULL;
		p = pp_jscan_ws(p, e);
		if (p >= e || *p != ':')
			return NULL;
		s->cost += 100;
		p = pp_jscan_value(s, pp_jscan_ws(p + 1, e), depth);
		if (!p)
			return NULL;
		p = pp_jscan_ws(p, e);
		if (p < e && *p == '}')
			return p + 1;
		if (p >= e || *p != ',')
			return NULL;
		s->cost += 100;
		p = pp_jscan_ws(p + 1, e);
	}
}

static const char *
array(struct pp_jscan *s, const char *p, int depth)
{
	const char *e = s->end;

	s->cost += 160;
	p = pp_jscan_ws(p + 1, e);
	if (p < e && *p == ']')
		return p + 1;
	for (;;) {
		p = pp_jscan_value(s, p, depth);
		if (!p)
			return NULL;
		p = pp_jscan_ws(p, e);
		if (p < e && *p == ']')
			return p + 1;
		if (p >= e || *p != ',')
			return NULL;
		s->cost += 100;
		p = pp_jscan_ws(p + 1, e);
	}
}

const char *
pp_jscan_value(struct pp_jscan *s, const char *p, int depth)
{
	const char *e = s->end;

	if (p >= e)
		return NULL;
	switch (*p) {
	case '{':
		return depth >= s->maxdepth ? NULL : object(s, p, depth + 1);
	case '[':
		return depth >= s->maxdepth ? NULL : array(s, p, depth + 1);
	case '"':
		return string(s, p);
	case 't':
		return literal(p, e, "true");
	case 'f':
		return literal(p, e, "false");
	case 'n':
		return literal(p, e, "null");
	default:
		return *p == '-' || is_digit(*p) ? number(p, e) : NULL;
	}
}

size_t
pp_jscan_minify(const char *p, size_t n, char *out)
{
	size_t o = 0;
	int in_str = 0, esc = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (is_ws(c)) {
			continue;
		} else if (c == '"') {
			in_str = 1;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}
