/* Demand traces: CSV with the header "time,value", time in RFC 3339,
 * value a non-negative number; rows in time order. Read with getline,
 * so memory does not grow with the file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/trace.h"
#include "base/util.h"

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* One line into tr->buf, at most PP_TRACE_LINE_MAX bytes: a file
 * without newlines (a sparse file, a binary) must not become one
 * unbounded buffer. 1 a line, 0 the end, -1 a line too long (errno
 * EOVERFLOW) or a read error (ferror). */
static int
readline(struct pp_trace *tr)
{
	size_t n = 0;
	int c;

	if (!tr->buf) {
		tr->cap = PP_TRACE_LINE_MAX + 1;
		tr->buf = pp_xmalloc(tr->cap);
	}
	while ((c = getc_unlocked(tr->f)) != EOF) {
		if (n == PP_TRACE_LINE_MAX) {
			tr->line++;
			errno = EOVERFLOW;
			return -1;
		}
		tr->buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	tr->buf[n] = '\0';
	if (n == 0)
		return ferror(tr->f) ? -1 : 0;
	tr->line++;
	chomp(tr->buf);
	return 1;
}

static void
read_error(struct pp_trace *tr, char *err, size_t errlen)
{
	if (errno == EOVERFLOW && !ferror(tr->f))
		snprintf(err, errlen, "trace '%s' line %zu: longer than %d "
			"bytes", tr->name, tr->line, PP_TRACE_LINE_MAX);
	else
		snprintf(err, errlen, "cannot read trace '%s': %s", tr->name,
			strerror(errno));
}

static int
header(struct pp_trace *tr, char *err, size_t errlen)
{
	const char *h;
	int rc;

	tr->line = 0;
	tr->have_last = 0;
	rc = readline(tr);
	if (rc < 0) {
		read_error(tr, err, errlen);
		return -1;
	}
	if (rc == 0) {
		snprintf(err, errlen, "trace '%s' line 1: empty file "
			"(expected the header 'time,value')", tr->name);
		return -1;
	}
	h = tr->buf;
	if (!strncmp(h, "\xef\xbb\xbf", 3))
		h += 3;
	if (strcmp(h, "time,value") != 0) {
		snprintf(err, errlen, "trace '%s' line 1: expected the header "
			"'time,value'", tr->name);
		return -1;
	}
	return 0;
}

int
pp_trace_open(struct pp_trace *tr, const char *path, char *err,
	size_t errlen)
{
	memset(tr, 0, sizeof *tr);
	tr->name = pp_xstrdup(path);
	if (!strcmp(path, "-")) {
		char chunk[65536];
		size_t n;

		tr->f = tmpfile();
		if (!tr->f) {
			snprintf(err, errlen, "cannot spool standard input: "
				"%s", strerror(errno));
			pp_trace_close(tr);
			return -1;
		}
		while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
			if (fwrite(chunk, 1, n, tr->f) != n)
				break;
		if (ferror(stdin) || ferror(tr->f) || fflush(tr->f)) {
			snprintf(err, errlen, "cannot spool standard input: "
				"%s", strerror(errno));
			pp_trace_close(tr);
			return -1;
		}
		rewind(tr->f);
	} else {
		tr->f = fopen(path, "r");
		if (!tr->f) {
			snprintf(err, errlen, "cannot open trace '%s': %s",
				path, strerror(errno));
			pp_trace_close(tr);
			return -1;
		}
	}
	if (header(tr, err, errlen) < 0) {
		pp_trace_close(tr);
		return -1;
	}
	return 0;
}

int
pp_trace_next(struct pp_trace *tr, time_t *t, double *v, char *err,
	size_t errlen)
{
	char *comma, *end;

	for (;;) {
		int rc = readline(tr);

		if (rc < 0) {
			read_error(tr, err, errlen);
			return -1;
		}
		if (rc == 0)
			return 0;
		if (tr->buf[0] && tr->buf[0] != '#')
			break;
	}
	comma = strchr(tr->buf, ',');
	if (!comma || strchr(comma + 1, ',')) {
		snprintf(err, errlen, "trace '%s' line %zu: expected "
			"'time,value'", tr->name, tr->line);
		return -1;
	}
	*comma = '\0';
	if (pp_parse_time(tr->buf, t) < 0) {
		snprintf(err, errlen, "trace '%s' line %zu: '%.40s' is not an "
			"RFC 3339 time", tr->name, tr->line, tr->buf);
		return -1;
	}
	errno = 0;
	*v = strtod(comma + 1, &end);
	if (errno || end == comma + 1 || *end || !isfinite(*v)) {
		snprintf(err, errlen, "trace '%s' line %zu: value '%.40s' is "
			"not a number", tr->name, tr->line, comma + 1);
		return -1;
	}
	if (*v < 0) {
		snprintf(err, errlen, "trace '%s' line %zu: value '%.40s' is "
			"negative", tr->name, tr->line, comma + 1);
		return -1;
	}
	if (tr->have_last && *t < tr->last_t) {
		char a[PP_TIME_LEN], b[PP_TIME_LEN];

		snprintf(err, errlen, "trace '%s' line %zu: time %s is before "
			"the previous row's %s (rows must be in time order)",
			tr->name, tr->line, pp_format_time(*t, a, sizeof a),
			pp_format_time(tr->last_t, b, sizeof b));
		return -1;
	}
	tr->last_t = *t;
	tr->have_last = 1;
	return 1;
}

int
pp_trace_rewind(struct pp_trace *tr)
{
	char err[256];

	if (fseek(tr->f, 0, SEEK_SET) < 0)
		return -1;
	return header(tr, err, sizeof err);
}

void
pp_trace_close(struct pp_trace *tr)
{
	if (tr->f)
		fclose(tr->f);
	free(tr->buf);
	free(tr->name);
	memset(tr, 0, sizeof *tr);
}
