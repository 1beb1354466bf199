/* Importing history: a CSV of "time,allocated_ram_mb" or a Prometheus
 * query_range answer, merged into the history store under its lock.
 * The store's own samples always win; nothing after now and nothing
 * older than the retention is taken, so an import can be repeated. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/http.h"
#include "base/json.h"
#include "store/history_import.h"
#include "store/pg.h"
#include "store/state.h"

#define MAX_BYTES (256u << 20)
/* as the store: a time before the year 10000, RAM under 2^40 MB */
#define TIME_MAX 253402300799LL
#define MB_MAX (1LL << 40)

static int
cmp_sample(const void *a, const void *b)
{
	const struct pp_sample *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/* Sorts and keeps the last sample of each minute, as the store does. */
static void
settle(struct pp_history *h)
{
	size_t w = 0;

	/* samples of one minute collapse to one, as in the store; which
	 * of two in a minute wins after an unstable sort does not matter
	 * for a source that is in time order (the later one wins there) */
	qsort(h->s, h->n, sizeof *h->s, cmp_sample);
	for (size_t i = 0; i < h->n; i++) {
		if (w && h->s[w - 1].t / 60 == h->s[i].t / 60)
			h->s[w - 1] = h->s[i];
		else
			h->s[w++] = h->s[i];
	}
	h->n = w;
}

static void
add(struct pp_history *h, time_t t, long long mb)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->s = pp_xreallocarray(h->s, h->cap, sizeof *h->s);
	}
	h->s[h->n++] = (struct pp_sample){t, mb, 0, 0};
}

static int
parse_when(const char *s, time_t *t)
{
	char *end;
	long long v;

	if (*s >= '0' && *s <= '9' && !strpbrk(s, "-:T")) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end || v > TIME_MAX)
			return -1;
		*t = (time_t)v;
		return 0;
	}
	return pp_parse_time(s, t);
}

/* A RAM figure in MB: a decimal number (Prometheus gives "1234.5"),
 * rounded to the nearest MB, not negative, under MB_MAX. */
static int
parse_mb(const char *s, long long *mb)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0 ||
	    v >= (double)MB_MAX)
		return -1;
	*mb = llround(v);
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
parse_csv(struct pp_history *h, const char *text, size_t len, char *err,
	size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t line = 0;
	int header_seen = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char buf[256], *f, *comma;
		time_t t;
		long long mb;

		line++;
		if (n >= sizeof buf) {
			snprintf(err, errlen, "line %zu: longer than %zu "
				"characters", line, sizeof buf - 1);
			return -1;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		p = nl ? nl + 1 : end;
		f = trim(buf);
		if (!*f || *f == '#')
			continue;
		comma = strchr(f, ',');
		if (!comma || strchr(comma + 1, ',')) {
			snprintf(err, errlen, "line %zu: expected "
				"'TIME,ALLOCATED_RAM_MB'", line);
			return -1;
		}
		*comma = '\0';
		/* a header: the first line, its fields words, not figures */
		if (!header_seen && h->n == 0 && isalpha((unsigned char)*f)) {
			header_seen = 1;
			continue;
		}
		if (parse_when(trim(f), &t) < 0) {
			snprintf(err, errlen, "line %zu: time '%s' is neither "
				"unix seconds nor RFC 3339", line, trim(f));
			return -1;
		}
		if (parse_mb(trim(comma + 1), &mb) < 0) {
			snprintf(err, errlen, "line %zu: allocated RAM '%s' "
				"is not a number of MB in range", line,
				trim(comma + 1));
			return -1;
		}
		add(h, t, mb);
	}
	return 0;
}

/* Adds s to b on one line (control characters as blanks), cut at max
 * bytes: an answer's words go to stderr, and a log line stays one. */
static void
add_oneline(struct pp_buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n && i < max; i++) {
		char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' :
			s[i];

		pp_buf_add(b, &c, 1);
	}
	if (n > max)
		pp_buf_addstr(b, "...");
}

/* Whether a Prometheus warning is an info: 2.46 to 2.53 (and Thanos)
 * put "PromQL info: ..." annotations into warnings; later releases
 * answer them as infos (prometheus/prometheus#14327). */
static int
is_info(const char *w)
{
	return !strncmp(w, "PromQL info:", 12);
}

/* The strings of the array at o's key, "; "-joined into b (the first
 * few, each cut short); how many there are. infos: only the PromQL
 * infos among them (1), all but those (0), all (-1). */
static size_t
join_strings(struct pp_buf *b, json_object *o, const char *key, int infos)
{
	json_object *a = pp_jget(o, key);
	size_t n, shown = 0, all = 0;

	if (!a || !json_object_is_type(a, json_type_array))
		return 0;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		const char *w = json_object_get_string(v);

		if (infos >= 0 && json_object_is_type(v, json_type_string) &&
		    is_info(w) != infos)
			continue;
		all++;
		if (shown >= 3 || !json_object_is_type(v, json_type_string))
			continue;
		if (b->len)
			pp_buf_addstr(b, "; ");
		shown++;
		add_oneline(b, w, 200);
	}
	if (all > shown)
		pp_buf_printf(b, "%s(%zu in all)", shown ? " " : "", all);
	return all;
}

/* {"status":"success","data":{"resultType":"matrix","result":[{"metric":
 * {...},"values":[[1700000000,"123"],...]}]}} */
static int
parse_prometheus(struct pp_history *h, const char *text, size_t len,
	struct pp_import_source *src, char *err, size_t errlen)
{
	char jerr[256];
	json_object *o = pp_json_parse(text, len, jerr, sizeof jerr);
	json_object *data, *result, *values;
	const char *status, *type;
	struct pp_buf words = {0};
	size_t n;
	int rc = -1;

	if (!o) {
		snprintf(err, errlen, "not JSON: %s", jerr);
		return -1;
	}
	status = pp_jstr(o, "status", NULL);
	if (!status || strcmp(status, "success")) {
		snprintf(err, errlen, "Prometheus answered status '%s': %s",
			status ? status : "?",
			pp_jstr(o, "error", "(no error given)"));
		goto out;
	}
	/* VictoriaMetrics answers what it has when a storage node is
	 * down, with "isPartial": true: too low a demand, and a missed
	 * scale-up. Thanos, Cortex and Mimir report the same as warnings,
	 * and Prometheus a failed remote read: refused alike (the
	 * operator can look, and drop them with jq to import anyway) */
	if (pp_jbool(o, "isPartial", 0)) {
		src->incomplete = 1;
		snprintf(err, errlen, "the answer is partial (isPartial: "
			"true; a storage node did not answer): try again");
		goto out;
	}
	if (join_strings(&words, o, "warnings", 0)) {
		src->incomplete = 1;
		snprintf(err, errlen, "the answer has warnings, so it may be "
			"partial: %s", words.s);
		goto out;
	}
	join_strings(&words, o, "infos", -1);
	join_strings(&words, o, "warnings", 1);
	if (words.len)
		src->infos = pp_xstrdup(words.s);
	data = pp_jget(o, "data");
	type = pp_jstr(data, "resultType", "?");
	if (strcmp(type, "matrix")) {
		snprintf(err, errlen, "data.resultType is '%s', not 'matrix' "
			"(use /api/v1/query_range)", type);
		goto out;
	}
	result = pp_jget(data, "result");
	n = result && json_object_is_type(result, json_type_array) ?
		json_object_array_length(result) : 0;
	/* each control host exports the fleet-wide gauge: two hosts give
	 * two equal series, and a sum() of them doubles the demand */
	if (n == 0) {
		snprintf(err, errlen, "no series: the query matched nothing");
		goto out;
	}
	if (n != 1) {
		snprintf(err, errlen, "the query gave %zu series; it must give "
			"exactly one: for pp_fleet_ram_bytes, which every "
			"control host exports for the whole fleet, take "
			"max(...) across the hosts, not sum(...)", n);
		goto out;
	}
	values = pp_jget(json_object_array_get_idx(result, 0), "values");
	if (!values || !json_object_is_type(values, json_type_array)) {
		snprintf(err, errlen, "data.result[0].values is not an array");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(values); i++) {
		json_object *v = json_object_array_get_idx(values, i);
		json_object *jt = NULL, *jv = NULL;
		const char *vs;
		char *end;
		double t, d;
		long long mb;

		/* json-c aborts on an array look-up in what is no array */
		if (json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) == 2) {
			jt = json_object_array_get_idx(v, 0);
			jv = json_object_array_get_idx(v, 1);
		}
		if (!jt || !jv ||
		    !(json_object_is_type(jt, json_type_int) ||
		    json_object_is_type(jt, json_type_double)) ||
		    !json_object_is_type(jv, json_type_string)) {
			snprintf(err, errlen, "data.result[0].values[%zu]: "
				"expected [TIME, \"VALUE\"]", i);
			goto out;
		}
		t = json_object_get_double(jt);
		if (!(t >= 0 && t <= (double)TIME_MAX)) {
			snprintf(err, errlen, "data.result[0].values[%zu]: "
				"time out of range", i);
			goto out;
		}
		/* a gap in the series (NaN; +Inf or -Inf from a division
		 * by a zero total): nothing to learn from that minute */
		vs = json_object_get_string(jv);
		d = strtod(vs, &end);
		if (end != vs && !*end && !isfinite(d)) {
			src->gaps++;
			continue;
		}
		if (parse_mb(json_object_get_string(jv), &mb) < 0) {
			snprintf(err, errlen, "data.result[0].values[%zu]: "
				"'%s' is not a number of MB in range", i,
				json_object_get_string(jv));
			goto out;
		}
		add(h, (time_t)t, mb);
	}
	rc = 0;
out:
	pp_buf_free(&words);
	json_object_put(o);
	return rc;
}

int
pp_history_import_parse(struct pp_history *h, const char *text, size_t len,
	struct pp_import_source *src, char *err, size_t errlen)
{
	size_t i = 0;
	int rc;

	memset(h, 0, sizeof *h);
	memset(src, 0, sizeof *src);
	/* a spreadsheet's "CSV UTF-8" starts with a byte order mark */
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		text += 3;
		len -= 3;
	}
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i < len && text[i] == '{') {
		src->format = "prometheus";
		rc = parse_prometheus(h, text, len, src, err, errlen);
	} else {
		src->format = "csv";
		rc = parse_csv(h, text, len, err, errlen);
	}
	if (rc < 0) {
		pp_history_free(h);
		return -1;
	}
	if (!h->n) {
		if (src->gaps)
			snprintf(err, errlen, "no samples in it, only %zu "
				"gaps (NaN, +Inf or -Inf)", src->gaps);
		else
			snprintf(err, errlen, "no samples in it");
		return -1;
	}
	settle(h);
	return 0;
}

/* A file:// URL's path with its %XX escapes decoded in place (as curl
 * reads the registry's file:// URLs: "my%20dir" is "my dir"); -1 for an
 * escape that is not two hex digits, or a NUL. */
static int
unescape_path(char *p)
{
	char *o = p;

	for (; *p; p++) {
		int v;

		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		if (!isxdigit((unsigned char)p[1]) ||
		    !isxdigit((unsigned char)p[2]))
			return -1;
		v = (int)strtol((char[]){p[1], p[2], 0}, NULL, 16);
		if (!v)
			return -1;
		*o++ = (char)v;
		p += 2;
	}
	*o = 0;
	return 0;
}

char *
pp_history_import_read(const char *source, size_t *len, char *err,
	size_t errlen, int *transient)
{
	char *text, *path = NULL;

	*transient = 0;
	if (pp_url_is(source, "http") || pp_url_is(source, "https"))
		return pp_fetch_url(source, MAX_BYTES, len, err, errlen,
			transient);
	if (pp_url_is(source, "file") || pp_file_url_short(source)) {
		/* RFC 8089: file:///path, file://localhost/path, or the
		 * short form file:/path (appendix E.2); a file on another
		 * host is no file of this one */
		const char *p = source + 5;

		if (!strncmp(p, "//", 2)) {
			p += 2;
			if (!strncasecmp(p, "localhost/", 10))
				p += 9;
		}
		if (*p != '/') {
			snprintf(err, errlen, "cannot read '%s': a file:// URL "
				"names a file of this host (file:///path, "
				"file:/path or file://localhost/path)", source);
			return NULL;
		}
		path = pp_xstrdup(p);
		if (unescape_path(path) < 0) {
			snprintf(err, errlen, "cannot read '%s': a %%-escape "
				"that is not two hex digits, or %%00", source);
			free(path);
			return NULL;
		}
		source = path;
	}
	text = strcmp(source, "-") ? pp_read_file(source, MAX_BYTES, len) :
		pp_read_stream(stdin, MAX_BYTES, len);
	if (!text) {
		int e = errno;
		/* a URL's "?password=..." is read as part of the path, yet
		 * is shown as the URL's query is */
		char *shown = path ? pp_redact(path) : pp_xstrdup(source);

		snprintf(err, errlen, "cannot read '%s': %s", shown,
			e == EFBIG ? "file too large" : strerror(e));
		free(shown);
	}
	free(path);
	return text;
}

static int
cmp_ll(const void *a, const void *b)
{
	const long long *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static long long
median(long long *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_ll);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The widest step between two neighbours in the store after the
 * import of which one at least is imported, where it ends (*at), and
 * the median of those steps (*typical): own holds the store's times,
 * sorted. */
static long
widest_step(const struct pp_history *imp, const size_t *take, size_t n,
	const long long *own, size_t no, time_t *at, long *typical)
{
	long long prev = 0, cur, *steps = pp_xcalloc(n + no + 1,
		sizeof *steps);
	long widest = 0;
	size_t ns = 0;
	int have = 0, prev_imp = 0, cur_imp;

	*at = 0;
	for (size_t i = 0, j = 0; i < n || j < no;) {
		if (i < n && (j == no || imp->s[take[i]].t < own[j])) {
			cur = imp->s[take[i++]].t;
			cur_imp = 1;
		} else {
			cur = own[j++];
			cur_imp = 0;
		}
		if (have && (prev_imp || cur_imp)) {
			steps[ns++] = cur - prev;
			if (cur - prev > widest) {
				widest = (long)(cur - prev);
				*at = (time_t)cur;
			}
		}
		prev = cur;
		prev_imp = cur_imp;
		have = 1;
	}
	*typical = ns ? (long)median(steps, ns) : 0;
	free(steps);
	return widest;
}

/* Which of imp to take, against the store's sorted times (own, in
 * seconds; a minute the store has is not taken) and their RAM (own_mb):
 * counts in st, the chosen ones' indexes in take (of imp->n). */
static size_t
choose(const struct pp_history *imp, const long long *own,
	const long long *own_mb, size_t no, time_t now, long retention,
	struct pp_import_stats *st, size_t *take)
{
	long long *both[2];
	size_t n = 0;

	both[0] = pp_xreallocarray(NULL, imp->n + 1, sizeof **both);
	both[1] = pp_xreallocarray(NULL, imp->n + 1, sizeof **both);

	for (size_t i = 0, j = 0; i < imp->n; i++) {
		const struct pp_sample *s = &imp->s[i];

		if (s->t > now) {
			st->future++;
			continue;
		}
		if (s->t <= now - retention) {
			st->old++;
			continue;
		}
		while (j < no && own[j] / 60 < s->t / 60)
			j++;
		if (j < no && own[j] / 60 == s->t / 60) {
			both[0][st->own] = s->allocated_mb;
			both[1][st->own] = own_mb[j];
			st->own++;
			continue;
		}
		if (!st->imported) {
			st->first = s->t;
			st->min_mb = st->max_mb = s->allocated_mb;
		}
		if (s->allocated_mb < st->min_mb)
			st->min_mb = s->allocated_mb;
		if (s->allocated_mb > st->max_mb)
			st->max_mb = s->allocated_mb;
		st->last = s->t;
		st->imported++;
		take[n++] = i;
	}
	st->max_spacing = widest_step(imp, take, n, own, no, &st->widest_at,
		&st->typical_spacing);
	if (st->own) {
		st->overlap_mb = median(both[0], st->own);
		st->own_overlap_mb = median(both[1], st->own);
	}
	free(both[0]);
	free(both[1]);
	return n;
}

/* Whether the source and the store disagree in the minutes both have
 * (a sum over two control hosts, GiB for MB): a message in err. */
static int
disagrees(const struct pp_import_stats *st, char *err, size_t errlen)
{
	double a = (double)st->overlap_mb, b = (double)st->own_overlap_mb;
	double hi = a > b ? a : b, lo = a > b ? b : a;

	if (st->own < PP_IMPORT_MIN_OVERLAP || lo <= 0 ||
	    hi <= PP_IMPORT_MAX_RATIO * lo)
		return 0;
	snprintf(err, errlen, "in the %zu minutes the store has too, the "
		"source's allocated RAM (median %lld MB) is %.1f times %s "
		"the store's own (median %lld MB): a sum over control hosts, "
		"another unit than MB, or times shifted by a time zone? "
		"nothing imported", st->own,
		st->overlap_mb, hi / lo, a > b ? "more than" : "less than",
		st->own_overlap_mb);
	return 1;
}

/* Two control hosts: the store is the pool's rows of ppscale_history.
 * One transaction reads the minutes it has and inserts the rest. */
static int
import_db(const struct pp_history *imp, time_t now, long retention,
	int write, struct pp_import_stats *st, char *err, size_t errlen)
{
	const char *pool = pp_state_pool();
	const char *p1[1] = {pool};
	struct pp_buf ts = {0}, mb = {0};
	long long *own = NULL, *own_mb = NULL;
	size_t nm = 0, n, *take = pp_xreallocarray(NULL, imp->n + 1,
		sizeof *take);
	PGresult *res;
	PGconn *c;
	int code, rc = -1;

	c = pp_pg_connect(pp_state_database(), err, errlen, &code);
	if (!c) {
		free(take);
		return -1;
	}
	if (pp_pg_run(c, "history", "BEGIN", 0, NULL, err, errlen) < 0)
		goto out;
	res = pp_pg_exec(c, "cannot read the history", "SELECT "
		"(extract(epoch FROM at)::bigint / 60) AS m, "
		"max(allocated_mb) FROM ppscale_history WHERE pool = $1 "
		"GROUP BY m ORDER BY m", 1, p1, err, errlen);
	if (!res)
		goto out;
	nm = (size_t)PQntuples(res);
	own = pp_xreallocarray(NULL, nm + 1, sizeof *own);
	own_mb = pp_xreallocarray(NULL, nm + 1, sizeof *own_mb);
	/* the minute's start: the rows' seconds are not needed here */
	for (size_t i = 0; i < nm; i++) {
		own[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL,
			10) * 60;
		own_mb[i] = strtoll(PQgetvalue(res, (int)i, 1), NULL, 10);
	}
	PQclear(res);
	n = choose(imp, own, own_mb, nm, now, retention, st, take);
	if (disagrees(st, err, errlen)) {
		rc = -2;
		goto out;
	}
	st->samples = nm + n;
	if (write && n) {
		const char *p3[3] = {pool, NULL, NULL};

		pp_buf_addstr(&ts, "{");
		pp_buf_addstr(&mb, "{");
		for (size_t i = 0; i < n; i++) {
			pp_buf_printf(&ts, "%s%lld", i ? "," : "",
				(long long)imp->s[take[i]].t);
			pp_buf_printf(&mb, "%s%lld", i ? "," : "",
				imp->s[take[i]].allocated_mb);
		}
		pp_buf_addstr(&ts, "}");
		pp_buf_addstr(&mb, "}");
		p3[1] = ts.s;
		p3[2] = mb.s;
		if (pp_pg_run(c, "cannot import the history", "INSERT INTO "
		    "ppscale_history (pool, at, allocated_mb, total_mb, "
		    "pending_mb) SELECT $1, to_timestamp(t), m, 0, 0 FROM "
		    "unnest($2::bigint[], $3::bigint[]) AS u(t, m)", 3, p3,
		    err, errlen) < 0)
			goto out;
	}
	if (pp_pg_run(c, "history", "COMMIT", 0, NULL, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	pp_buf_free(&ts);
	pp_buf_free(&mb);
	free(own);
	free(own_mb);
	free(take);
	PQfinish(c);
	return rc;
}

int
pp_history_import(const char *path, const struct pp_history *imp,
	time_t now, long retention, int write, struct pp_import_stats *st,
	char *err, size_t errlen)
{
	struct pp_history h, merged;
	struct pp_lock lock = {-1};
	char lerr[512];
	long long *own, *own_mb;
	size_t *take, n;
	int rc = -1;

	st->read = imp->n;
	st->imported = st->own = st->future = st->old = 0;
	st->first = st->last = 0;
	st->min_mb = st->max_mb = 0;
	st->overlap_mb = st->own_overlap_mb = 0;
	st->max_spacing = 0;
	if (pp_state_database())
		return import_db(imp, now, retention, write, st, err, errlen);
	if (write && (rc = pp_history_lock(&lock, path, err, errlen)) < 0)
		return rc;
	rc = -1;
	/* unlike a cycle, an import does not set a corrupt store aside:
	 * the operator is here to look at it */
	if (pp_history_load(&h, path, lerr, sizeof lerr) < 0) {
		snprintf(err, errlen, "%s", lerr);
		goto out;
	}
	/* both are sorted with one sample a minute: merge the chosen
	 * ones into the store's */
	own = pp_xreallocarray(NULL, h.n + 1, sizeof *own);
	own_mb = pp_xreallocarray(NULL, h.n + 1, sizeof *own_mb);
	for (size_t j = 0; j < h.n; j++) {
		own[j] = h.s[j].t;
		own_mb[j] = h.s[j].allocated_mb;
	}
	take = pp_xreallocarray(NULL, imp->n + 1, sizeof *take);
	n = choose(imp, own, own_mb, h.n, now, retention, st, take);
	free(own_mb);
	if (disagrees(st, err, errlen)) {
		free(own);
		free(take);
		rc = -2;
		goto out;
	}
	merged.n = 0;
	merged.cap = h.n + n + 1;
	merged.s = pp_xreallocarray(NULL, merged.cap, sizeof *merged.s);
	for (size_t i = 0, j = 0; i < n || j < h.n;) {
		if (i < n && (j == h.n || imp->s[take[i]].t < h.s[j].t))
			merged.s[merged.n++] = imp->s[take[i++]];
		else
			merged.s[merged.n++] = h.s[j++];
	}
	free(own);
	free(take);
	pp_history_free(&h);
	h = merged;
	st->samples = h.n;
	if (write && st->imported && pp_history_save(&h, path) < 0) {
		snprintf(err, errlen, "cannot write history '%s': %s", path,
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	pp_history_free(&h);
	pp_unlock(&lock);
	return rc;
}
