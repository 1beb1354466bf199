/* json.c: small json-c helpers */
#ifndef PP_JSON_H
#define PP_JSON_H

#include <stdio.h>
#include <time.h>
#include <json-c/json.h>

/* Deepest nesting accepted from outside input. */
#define PP_JSON_DEPTH 32
/* Largest JSON tree built from outside input, estimated from the text
 * before it is parsed (json-c spends about 800 bytes on an empty
 * object: a 64 MB text of "{}," would need 16 GB). A 100,000-node
 * registry estimates at about 1 GB. */
#define PP_JSON_TREE_MAX (1536ull * 1024 * 1024)

/* Parses text as JSON; on failure returns NULL and writes a message
 * ("line 3: unexpected character") into err. */
json_object *pp_json_parse(const char *text, size_t len, char *err,
	size_t errlen);

/* The same, reading f in chunks so the text is never held whole (a big
 * registry costs its tree, not its tree plus its text). More than max
 * bytes: NULL with errno EFBIG and a message. Empty input: NULL with
 * *empty set (when empty is not NULL). */
json_object *pp_json_parse_stream(FILE *f, size_t max, int *empty, char *err,
	size_t errlen);

/* Serialises with the project's float format (no 0.30000000000000004). */
const char *pp_json_string(json_object *o, int pretty);

/* Field access that tolerates absent keys and wrong types. */
json_object *pp_jget(json_object *o, const char *key);
/* Nested access with a dotted path: "fleet.total_ram_mb". */
json_object *pp_jpath(json_object *o, const char *path);
const char *pp_jstr(json_object *o, const char *key, const char *def);
long long pp_jint(json_object *o, const char *key, long long def);
double pp_jdouble(json_object *o, const char *key, double def);
/* An integer of outside input, checked: PP_JINT_OK with *out set
 * (null counts as absent: PP_JINT_ABSENT, *out untouched), else
 * PP_JINT_TYPE (not an integer: a string, 2.5, 1e3), PP_JINT_HUGE
 * (beyond 64 bits) or PP_JINT_RANGE (outside min..max, *out set).
 * json-c keeps an integer beyond 64 bits as INT64_MIN or UINT64_MAX,
 * with no error and no trace of the text: the ends of int64 count as
 * beyond, as no figure of ppscale's lies there. */
enum { PP_JINT_OK = 0, PP_JINT_ABSENT = 1, PP_JINT_TYPE = -1,
	PP_JINT_HUGE = -2, PP_JINT_RANGE = -3 };
int pp_jint_value(json_object *v, long long min, long long max,
	long long *out);
int pp_jint_get(json_object *o, const char *key, long long min,
	long long max, long long *out);
int pp_jbool(json_object *o, const char *key, int def);
/* A double rounded to `digits` decimals, printed without noise. */
json_object *pp_jnew_double(double v, int digits);
json_object *pp_jnew_time(time_t t);
/* An object that serialises as the given JSON text (already valid JSON;
 * takes ownership of text). Lets a big section be written piece by piece
 * instead of held as a tree. Serialises compactly even when pretty. */
json_object *pp_jnew_raw(char *text);
/* The text of an object made by pp_jnew_raw, else NULL. */
const char *pp_jraw_text(json_object *o);

#endif
