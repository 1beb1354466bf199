/* The history store: a small text file, one sample per line,
 *     # ppscale history 1
 *     <unix time> <allocated MB> <ready total MB> <pending MB>
 * rewritten whole (temp file and rename) under an exclusive lock. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "store/history.h"
#include "store/pg.h"
#include "store/state.h"

#define HEADER "# ppscale history 1\n"
#define MAX_BYTES (64u << 20)

void
pp_history_free(struct pp_history *h)
{
	free(h->s);
	memset(h, 0, sizeof *h);
}

static int
same_minute(time_t a, time_t b)
{
	return a / 60 == b / 60;
}

static void
push(struct pp_history *h, const struct pp_sample *s)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->s = pp_xreallocarray(h->s, h->cap, sizeof *h->s);
	}
	h->s[h->n++] = *s;
}

void
pp_history_add(struct pp_history *h, const struct pp_sample *s)
{
	size_t lo = 0, hi = h->n;

	/* the common case: a new sample after the last one */
	if (h->n && s->t >= h->s[h->n - 1].t) {
		if (same_minute(s->t, h->s[h->n - 1].t)) {
			h->s[h->n - 1] = *s;
			h->gen++;
		} else {
			push(h, s);
		}
		return;
	}
	h->gen++;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (h->s[mid].t / 60 < s->t / 60)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->n && same_minute(h->s[lo].t, s->t)) {
		h->s[lo] = *s;
		return;
	}
	push(h, s);
	memmove(&h->s[lo + 1], &h->s[lo], (h->n - 1 - lo) * sizeof *h->s);
	h->s[lo] = *s;
}

void
pp_history_prune(struct pp_history *h, time_t now, long retention)
{
	size_t drop = 0;

	while (drop < h->n && h->s[drop].t <= now - retention)
		drop++;
	if (drop) {
		memmove(h->s, h->s + drop, (h->n - drop) * sizeof *h->s);
		h->n -= drop;
		h->gen++;
	}
}

/* Bounds of a sample's fields: a time before the year 10000, RAM
 * under 2^40 MB (a million TB). */
#define TIME_MAX PP_TIME_MAX
#define MB_MAX (1LL << 40)

static int
out_of_range(const char *buf, char *err, size_t errlen, size_t line)
{
	static const char *const what[] = {"time", "allocated MB",
		"total MB", "pending MB"};
	const char *p = buf;

	for (int i = 0; i < 4; i++) {
		long long v, max = i == 0 ? TIME_MAX : MB_MAX;
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno == ERANGE || v > max) {
			snprintf(err, errlen, "line %zu: %s '%.*s' out of "
				"range (at most %lld)", line, what[i],
				(int)(end - p), p, max);
			return -1;
		}
		p = end;
	}
	return 0;
}

int
pp_history_parse(struct pp_history *h, const char *text, size_t len,
	char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t line = 0;

	memset(h, 0, sizeof *h);
	if (len < strlen(HEADER) || strncmp(text, HEADER, strlen(HEADER))) {
		snprintf(err, errlen, "line 1: not a ppscale history file");
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char buf[128];
		struct pp_sample s;
		long long t;
		int used = 0;
		size_t n;

		line++;
		if (!nl) {
			snprintf(err, errlen, "line %zu: truncated (no end of "
				"line)", line);
			pp_history_free(h);
			return -1;
		}
		n = (size_t)(nl - p);
		if (line == 1 || n == 0 || p[0] == '#') {
			p = nl + 1;
			continue;
		}
		if (n >= sizeof buf)
			goto badline;
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (sscanf(buf, "%lld %lld %lld %lld%n", &t, &s.allocated_mb,
		    &s.total_mb, &s.pending_mb, &used) != 4 ||
		    (size_t)used != n || t < 0 || s.allocated_mb < 0 ||
		    s.total_mb < 0 || s.pending_mb < 0)
			goto badline;
		/* sscanf clamps an overflow to LLONG_MAX, which would turn
		 * the forecast off without a word: check each field */
		if (out_of_range(buf, err, errlen, line) < 0) {
			pp_history_free(h);
			return -1;
		}
		s.t = (time_t)t;
		if (h->n && s.t <= h->s[h->n - 1].t) {
			snprintf(err, errlen, "line %zu: samples out of order",
				line);
			pp_history_free(h);
			return -1;
		}
		push(h, &s);
		p = nl + 1;
		continue;
badline:
		snprintf(err, errlen, "line %zu: expected 'TIME ALLOCATED "
			"TOTAL PENDING'", line);
		pp_history_free(h);
		return -1;
	}
	return 0;
}

int
pp_history_load(struct pp_history *h, const char *path, char *err,
	size_t errlen)
{
	char perr[192];
	size_t len;
	char *text = pp_read_file(path, MAX_BYTES, &len);

	memset(h, 0, sizeof *h);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read history '%s': %s", path,
			errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	if (pp_history_parse(h, text, len, perr, sizeof perr) < 0) {
		snprintf(err, errlen, "history '%s' is corrupt: %s", path,
			perr);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

int
pp_history_save(const struct pp_history *h, const char *path)
{
	struct pp_buf b = {0};
	int rc;

	pp_buf_addstr(&b, HEADER);
	for (size_t i = 0; i < h->n; i++)
		pp_buf_printf(&b, "%lld %lld %lld %lld\n",
			(long long)h->s[i].t, h->s[i].allocated_mb,
			h->s[i].total_mb, h->s[i].pending_mb);
	rc = pp_write_atomic(path, b.s, b.len, 0644);
	pp_buf_free(&b);
	return rc;
}

void
pp_history_window(const struct pp_history *h, time_t now, long secs,
	struct pp_window *w)
{
	double sum = 0;

	memset(w, 0, sizeof *w);
	for (size_t i = h->n; i-- > 0;) {
		const struct pp_sample *s = &h->s[i];

		if (s->t > now)
			continue;
		if (s->t <= now - secs)
			break;
		sum += (double)s->allocated_mb;
		if (s->allocated_mb > w->peak_mb)
			w->peak_mb = s->allocated_mb;
		w->samples++;
	}
	if (w->samples)
		w->avg_mb = sum / (double)w->samples;
}

size_t
pp_history_first_at(const struct pp_history *h, time_t t)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->s[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Counts into m the samples after `after` up to now. */
static void
window_take(const struct pp_history *h, time_t after, time_t now,
	struct pp_window_memo *m)
{
	for (size_t i = pp_history_first_at(h, after + 1); i < h->n &&
	    h->s[i].t <= now; i++) {
		m->sum += h->s[i].allocated_mb;
		if (h->s[i].allocated_mb > m->peak)
			m->peak = h->s[i].allocated_mb;
		m->samples++;
		m->last_t = h->s[i].t;
	}
}

/* The window's sum, count and peak from scratch into m. */
static void
window_fill(const struct pp_history *h, time_t now, long secs,
	struct pp_window_memo *m)
{
	m->sum = m->peak = 0;
	m->samples = 0;
	m->last_t = now - secs;
	window_take(h, now - secs, now, m);
}

void
pp_history_window_memo(const struct pp_history *h, time_t now, long secs,
	struct pp_window *w, struct pp_window_memo *m)
{
	int repeak = 0;

	if (!m->valid || m->gen != h->gen || m->secs != secs ||
	    now < m->now || now - m->now >= secs) {
		window_fill(h, now, secs, m);
	} else {
		/* out: the samples counted that the window has passed */
		size_t i = pp_history_first_at(h, m->now - secs + 1);

		for (; i < h->n && h->s[i].t <= now - secs &&
		    h->s[i].t <= m->last_t; i++) {
			m->sum -= h->s[i].allocated_mb;
			m->samples--;
			if (h->s[i].allocated_mb >= m->peak)
				repeak = 1;
		}
		/* in: the samples after the newest counted */
		window_take(h, m->last_t > now - secs ? m->last_t :
			now - secs, now, m);
		if (repeak)
			window_fill(h, now, secs, m);
	}
	m->valid = 1;
	m->gen = h->gen;
	m->secs = secs;
	m->now = now;
	memset(w, 0, sizeof *w);
	w->samples = m->samples;
	w->peak_mb = m->peak;
	/* whole MB under 2^53 in all: the same double as
	 * pp_history_window's sum in its order */
	if (m->samples)
		w->avg_mb = (double)m->sum / (double)m->samples;
}

json_object *
pp_history_json(const struct pp_history *h, time_t now)
{
	json_object *o = json_object_new_object();
	struct pp_window w1, w24;

	pp_history_window(h, now, 3600, &w1);
	pp_history_window(h, now, 86400, &w24);
	json_object_object_add(o, "avg_1h_allocated_mb",
		pp_jnew_double(w1.avg_mb, 1));
	json_object_object_add(o, "samples_1h",
		json_object_new_int64((long long)w1.samples));
	json_object_object_add(o, "avg_24h_allocated_mb",
		pp_jnew_double(w24.avg_mb, 1));
	json_object_object_add(o, "peak_24h_allocated_mb",
		json_object_new_int64(w24.peak_mb));
	json_object_object_add(o, "samples_24h",
		json_object_new_int64((long long)w24.samples));
	json_object_object_add(o, "samples",
		json_object_new_int64((long long)h->n));
	json_object_object_add(o, "oldest", h->n ?
		pp_jnew_time(h->s[0].t) : NULL);
	return o;
}

/* Two control hosts: the samples are the pool's rows of ppscale_history,
 * written (the sample replacing any of the same minute, the old ones
 * pruned) in one transaction, then read back in order. */
static int
record_db(struct pp_history *h, const struct pp_sample *s, long retention,
	int record, char *err, size_t errlen)
{
	char at[32], al[32], tot[32], pend[32], keep[32];
	const char *p[5] = {pp_state_pool(), at, al, tot, pend};
	const char *pk[2] = {pp_state_pool(), keep};
	PGconn *c;
	PGresult *res;
	int code;

	memset(h, 0, sizeof *h);
	c = pp_pg_connect(pp_state_database(), err, errlen, &code);
	if (!c)
		return -1;
	snprintf(at, sizeof at, "%lld", (long long)s->t);
	snprintf(al, sizeof al, "%lld", s->allocated_mb);
	snprintf(tot, sizeof tot, "%lld", s->total_mb);
	snprintf(pend, sizeof pend, "%lld", s->pending_mb);
	snprintf(keep, sizeof keep, "%lld", (long long)(s->t - retention));
	if (record && (pp_pg_run(c, "history", "BEGIN", 0, NULL, err,
	    errlen) < 0 || pp_pg_run(c, "cannot record the sample",
	    "DELETE FROM ppscale_history WHERE pool = $1 AND "
	    "date_trunc('minute', at) = date_trunc('minute', "
	    "to_timestamp($2::bigint))", 2, p, err, errlen) < 0 ||
	    pp_pg_run(c, "cannot record the sample", "INSERT INTO "
	    "ppscale_history (pool, at, allocated_mb, total_mb, pending_mb) "
	    "VALUES ($1, to_timestamp($2::bigint), $3::bigint, $4::bigint, "
	    "$5::bigint)", 5, p, err, errlen) < 0 ||
	    pp_pg_run(c, "cannot prune the history", "DELETE FROM "
	    "ppscale_history WHERE pool = $1 AND at < "
	    "to_timestamp($2::bigint)", 2, pk, err, errlen) < 0 ||
	    pp_pg_run(c, "history", "COMMIT", 0, NULL, err, errlen) < 0)) {
		PQfinish(c);
		return -1;
	}
	res = pp_pg_exec(c, "cannot read the history", "SELECT "
		"extract(epoch FROM at)::bigint, allocated_mb, total_mb, "
		"pending_mb FROM ppscale_history WHERE pool = $1 ORDER BY at",
		1, p, err, errlen);
	if (!res) {
		PQfinish(c);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct pp_sample x = {
			.t = (time_t)strtoll(PQgetvalue(res, i, 0), NULL, 10),
			.allocated_mb = strtoll(PQgetvalue(res, i, 1), NULL,
				10),
			.total_mb = strtoll(PQgetvalue(res, i, 2), NULL, 10),
			.pending_mb = strtoll(PQgetvalue(res, i, 3), NULL, 10),
		};

		pp_history_add(h, &x);
	}
	PQclear(res);
	PQfinish(c);
	pp_history_add(h, s);
	pp_history_prune(h, s->t, retention);
	return 0;
}

int
pp_history_lock(struct pp_lock *lock, const char *path, char *err,
	size_t errlen)
{
	char *dir = pp_dirname(path);

	if (pp_mkdirs(dir, 0755) < 0) {
		snprintf(err, errlen, "cannot create state directory '%s': %s",
			dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	if (pp_lock(lock, path, PP_LOCK_EX, 30) < 0) {
		int e = errno;
		char *lp = pp_lock_name(path);

		snprintf(err, errlen, "cannot lock history '%s': lock file "
			"'%s': %s", path, lp, pp_lock_strerror(e));
		free(lp);
		/* held past the wait: try again; a lock file that cannot
		 * be opened (another user's, a read-only file system) is
		 * the setup's, as for the state file's */
		return e == ETIMEDOUT || e == EINTR ? -1 : -2;
	}
	return 0;
}

int
pp_history_record(struct pp_history *h, const char *path,
	const struct pp_sample *s, long retention, int record, char *err,
	size_t errlen)
{
	struct pp_lock lock = {-1};
	char lerr[512];
	int rc;

	if (pp_state_database())
		return record_db(h, s, retention, record, err, errlen);
	if (record && (rc = pp_history_lock(&lock, path, err, errlen)) < 0)
		return rc;
	if (pp_history_load(h, path, lerr, sizeof lerr) < 0) {
		if (record) {
			char *aside = pp_xasprintf("%s.corrupt.%lld", path,
				(long long)pp_now());

			if (rename(path, aside) < 0) {
				snprintf(err, errlen, "%s; cannot set it aside "
					"as '%s': %s", lerr, aside,
					strerror(errno));
				free(aside);
				pp_unlock(&lock);
				return -1;
			}
			pp_warn("%s; set aside as '%s', starting a new "
				"history", lerr, aside);
			free(aside);
		} else {
			pp_warn("%s; computing without it", lerr);
		}
		memset(h, 0, sizeof *h);
	}
	pp_history_add(h, s);
	pp_history_prune(h, s->t, retention);
	if (record && pp_history_save(h, path) < 0) {
		snprintf(err, errlen, "cannot write history '%s': %s", path,
			strerror(errno));
		pp_unlock(&lock);
		return -1;
	}
	pp_unlock(&lock);
	return 0;
}
