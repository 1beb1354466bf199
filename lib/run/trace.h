/* trace.c: demand traces (CSV "time,value"), read as a stream */
#ifndef PP_TRACE_H
#define PP_TRACE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* A trace is read row by row, never slurped, so a file of any size
 * costs a line of memory; it can be rewound for another pass. */
#define PP_TRACE_LINE_MAX 4096
struct pp_trace {
	char *name;     /* as given, for messages */
	FILE *f;
	size_t line;    /* of the row last read */
	time_t last_t;
	int have_last;
	char *buf;
	size_t cap;
};

/* Opens path ("-": standard input, spooled to a temporary file so it
 * can be rewound) and checks the header. -1 with a message naming the
 * file and line when it cannot. */
int pp_trace_open(struct pp_trace *tr, const char *path, char *err,
	size_t errlen);
/* The next row: 1, 0 at the end, -1 with "trace 'F' line N: ..." on a
 * bad row (times out of order, negative or non-numeric values). */
int pp_trace_next(struct pp_trace *tr, time_t *t, double *v, char *err,
	size_t errlen);
/* Back to the first row. -1 with errno set. */
int pp_trace_rewind(struct pp_trace *tr);
void pp_trace_close(struct pp_trace *tr);

#endif
