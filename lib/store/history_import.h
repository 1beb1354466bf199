/* history_import.c: samples of allocated RAM from outside (a CSV file or
 * a Prometheus query_range answer) merged into the history store, so the
 * forecast need not wait a week of the fleet's own samples */
#ifndef PP_HISTORY_IMPORT_H
#define PP_HISTORY_IMPORT_H

#include <stddef.h>
#include <time.h>

#include "store/history.h"

/* What an import did. */
struct pp_import_stats {
	size_t read;         /* samples in the source */
	size_t imported;     /* added to the store */
	size_t own;          /* skipped: the store has a sample in that minute */
	size_t future;       /* skipped: after now */
	size_t old;          /* skipped: older than the retention */
	time_t first, last;  /* of the imported ones (0 when none) */
	long long min_mb, max_mb; /* of the imported ones */
	long max_spacing;    /* widest step (s) from or to an imported
	                      * sample in the store afterwards; 0 none */
	time_t widest_at;    /* where that step ends */
	long typical_spacing; /* the median of those steps: the source's
	                      * step, where max_spacing may be one hole */
	long long overlap_mb, own_overlap_mb; /* medians of the source's
	                      * and the store's values in the minutes
	                      * both have (own of them) */
	size_t samples;      /* in the store afterwards */
	const char *format;  /* "csv" or "prometheus" */
};

/* What a source said about itself. */
struct pp_import_source {
	const char *format;  /* "csv" or "prometheus" */
	int incomplete;      /* refused: a partial answer (VictoriaMetrics'
	                      * isPartial) or Prometheus warnings, which
	                      * may pass by the next run */
	char *infos;         /* Prometheus infos, "; "-joined, or NULL
	                      * (caller frees) */
	size_t gaps;         /* values NaN, +Inf or -Inf, skipped */
};

/* Parses a source's text into h (sorted, one sample per minute, the
 * last of a minute kept). Two formats, told apart by the first
 * character that is not blank:
 *   CSV   lines "TIME,ALLOCATED_RAM_MB"; TIME in unix seconds or RFC
 *         3339; an optional header line "time,allocated_ram_mb", blank
 *         lines and lines starting with # skipped.
 *   JSON  a Prometheus /api/v1/query_range answer with exactly one
 *         series whose values are MB; one that is partial or has
 *         warnings is refused with src->incomplete set.
 * Returns 0, or -1 with a message naming the line or the field; in
 * both cases src is filled (free src->infos). */
int pp_history_import_parse(struct pp_history *h, const char *text,
	size_t len, struct pp_import_source *src, char *err, size_t errlen);

/* Reads a source: "-" (stdin), an http(s):// or file:// URL, or a path.
 * Returns the text (caller frees) or NULL with a message and, in
 * *transient, whether a URL failed for a reason that may pass
 * (pp_http_get). */
char *pp_history_import_read(const char *source, size_t *len, char *err,
	size_t errlen, int *transient);

/* The source and the store's own samples must agree within this
 * factor in the minutes both have, when there are this many. */
#define PP_IMPORT_MAX_RATIO 1.5
#define PP_IMPORT_MIN_OVERLAP 5

/* Merges imp into the store at path under its lock (with two control
 * hosts, into the pool's rows of the database instead): the store's own
 * samples win in a minute both have; samples after now or older than
 * now - retention are skipped. With write == 0 nothing is written (a dry
 * run reports the same figures). Returns 0, or with a message -1, or -2
 * when the store's lock file cannot be opened or the source disagrees
 * with the store (medians more than PP_IMPORT_MAX_RATIO apart in at
 * least PP_IMPORT_MIN_OVERLAP minutes both have; nothing written). */
int pp_history_import(const char *path, const struct pp_history *imp,
	time_t now, long retention, int write, struct pp_import_stats *st,
	char *err, size_t errlen);

#endif
