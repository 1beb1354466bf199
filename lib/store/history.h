/* history.c: the history store of fleet samples and its windows */
#ifndef PP_HISTORY_H
#define PP_HISTORY_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "base/util.h"

/* One sample per minute at most: a later sample in the same minute
 * replaces the earlier one, so the store stays bounded however often
 * the tools run (15 days = 21,600 lines at most). */
struct pp_sample {
	time_t t;
	long long allocated_mb;
	long long total_mb;
	long long pending_mb;
};

struct pp_history {
	size_t n, cap;
	struct pp_sample *s; /* sorted by time */
	unsigned long gen;   /* bumped by every change but appending a
			      * sample of a new minute: what a memo of
			      * sums over it (pp_forecast_memo,
			      * pp_window_memo) holds is void then */
};

struct pp_window {
	double avg_mb;       /* mean of the samples in the window */
	long long peak_mb;   /* largest allocated */
	size_t samples;
};

/* Parses the store's text; -1 with a message (line number) if corrupt. */
int pp_history_parse(struct pp_history *h, const char *text, size_t len,
	char *err, size_t errlen);
/* Loads path; a missing file is an empty history. -1 if corrupt or
 * unreadable (message in err). */
int pp_history_load(struct pp_history *h, const char *path, char *err,
	size_t errlen);
int pp_history_save(const struct pp_history *h, const char *path);
void pp_history_add(struct pp_history *h, const struct pp_sample *s);
/* Drops samples older than now - retention. */
void pp_history_prune(struct pp_history *h, time_t now, long retention);
void pp_history_window(const struct pp_history *h, time_t now, long secs,
	struct pp_window *w);
/* Index of the first sample at or after t (h->n when none). */
size_t pp_history_first_at(const struct pp_history *h, time_t t);

/* The same window kept between calls on a history that only grows
 * (pp-sim's): a call ten minutes later adds the new samples and drops
 * the old ones instead of walking the day again. The same figures to
 * the bit (the sum is of whole MB, exact in any order). Zero it
 * before the first call. */
struct pp_window_memo {
	int valid;
	unsigned long gen;
	long secs;
	time_t now, last_t;  /* the window (now - secs, now]; its newest
			      * sample */
	long long sum, peak;
	size_t samples;
};
void pp_history_window_memo(const struct pp_history *h, time_t now,
	long secs, struct pp_window *w, struct pp_window_memo *m);
void pp_history_free(struct pp_history *h);
/* The document's history section. */
json_object *pp_history_json(const struct pp_history *h, time_t now);

/* Takes the store's lock (exclusive, waiting up to 30 s), creating the
 * state directory. 0, or with a message -1 (the directory cannot be
 * made, the lock was held all the wait) or -2 (the lock file cannot be
 * opened). */
int pp_history_lock(struct pp_lock *lock, const char *path, char *err,
	size_t errlen);

/* Under the store's lock: load (setting a corrupt store aside with a
 * warning), add the sample, prune, save. With record == 0 nothing is
 * written and the sample is only added in memory. The caller owns *h.
 * Returns 0, or with a message -1 when the store cannot be written or
 * locked, -2 when its lock file cannot be opened. */
int pp_history_record(struct pp_history *h, const char *path,
	const struct pp_sample *s, long retention, int record, char *err,
	size_t errlen);

#endif
