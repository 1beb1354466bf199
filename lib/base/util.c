/* Diagnostics, memory, time, files and locks shared by every tool. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "base/util.h"

const char *pp_progname = "pp";
int pp_verbosity;

static int have_now;
static unsigned long nwarnings; /* pp_warnings */
static time_t fixed_now;
static volatile sig_atomic_t got_signal;

void
pp_setprogname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	pp_progname = slash ? slash + 1 : argv0;
}

void
pp_vmsg(int level, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	if (level < 0)
		nwarnings++;    /* an error: printed even under -q */
	if (level > pp_verbosity)
		return;
	fprintf(stderr, "%s: ", pp_progname);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

static int die_status;
static char die_message[512];

void
pp_die(int status, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n = strlen(fmt);

	va_start(ap, fmt);
	vsnprintf(die_message, sizeof die_message, fmt, ap);
	va_end(ap);
	if (n > 0 && fmt[n - 1] == ':') {
		size_t l = strlen(die_message);

		snprintf(die_message + l, sizeof die_message - l, " %s",
			strerror(saved));
	}
	errno = saved;
	va_start(ap, fmt);
	pp_vmsg(-1, fmt, ap);
	va_end(ap);
	die_status = status;
	exit(status);
}

int
pp_die_status(void)
{
	return die_status;
}

const char *
pp_die_message(void)
{
	return die_message;
}

unsigned long
pp_warnings(void)
{
	return nwarnings;
}

void
pp_warn(const char *fmt, ...)
{
	va_list ap;

	nwarnings++;
	va_start(ap, fmt);
	pp_vmsg(0, fmt, ap);
	va_end(ap);
}

void
pp_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pp_vmsg(-1, fmt, ap);
	va_end(ap);
}

void
pp_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pp_vmsg(0, fmt, ap);
	va_end(ap);
}

void
pp_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pp_vmsg(1, fmt, ap);
	va_end(ap);
}

void
pp_trace(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pp_vmsg(2, fmt, ap);
	va_end(ap);
}

void *
pp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		pp_die(PP_EXIT_FAIL, "out of memory");
	return p;
}

void *
pp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		pp_die(PP_EXIT_FAIL, "out of memory");
	return p;
}

void *
pp_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		pp_die(PP_EXIT_FAIL, "out of memory");
	return q;
}

void *
pp_xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		pp_die(PP_EXIT_FAIL, "out of memory");
	return pp_xrealloc(p, n * size);
}

char *
pp_xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		pp_die(PP_EXIT_FAIL, "out of memory");
	return p;
}

char *
pp_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		pp_die(PP_EXIT_FAIL, "cannot format string");
	s = pp_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *
pp_url_redact(const char *url)
{
	const char *p = strstr(url, "://");
	const char *host, *end, *at;
	int more;

	if (!p)
		return pp_xstrdup("(url)");
	host = p + 3;
	end = host + strcspn(host, "/?#");
	/* user:password@ goes; the last '@' before the path ends it */
	at = NULL;
	for (const char *q = host; q < end; q++)
		if (*q == '@')
			at = q;
	if (at)
		host = at + 1;
	more = *end != '\0';
	return pp_xasprintf("%.*s://%.*s%s", (int)(p - url), url,
		(int)(end - host), host, more ? "/..." : "");
}

/* Whether name (n bytes, leading dashes of an option aside) names a
 * secret: any name ending in password or passwd (libpq's password and
 * sslpassword, a --db-password option), or whose last word is token,
 * secret, key, sig or signature (access_token, client_secret, api_key;
 * not sslkey, a file's path). */
static int
secret_name(const char *name, size_t n)
{
	static const char *const end[] = {"password", "passwd", NULL};
	static const char *const word[] = {"token", "secret", "key", "sig",
		"signature", NULL};
	size_t w;

	while (n && *name == '-') {
		name++;
		n--;
	}
	for (const char *const *e = end; *e; e++) {
		size_t el = strlen(*e);

		if (n >= el && !strncasecmp(name + n - el, *e, el))
			return 1;
	}
	for (w = n; w && !strchr("_-.", name[w - 1]); w--)
		;
	for (const char *const *e = word; *e; e++)
		if (strlen(*e) == n - w && !strncasecmp(name + w, *e, n - w))
			return 1;
	return 0;
}

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"0123456789_.-"

/* The end of the value that starts at v: a quoted one (libpq's
 * 'a b', \' inside) up to its closing quote, else the next '&', ';',
 * '#' or blank. */
static const char *
value_end(const char *v)
{
	if (*v != '\'')
		return v + strcspn(v, "&; \t#");
	for (v++; *v && *v != '\''; v++)
		if (*v == '\\' && v[1])
			v++;
	return *v ? v + 1 : v;
}

char *
pp_redact(const char *s)
{
	struct pp_buf b = {0};
	const char *p = s, *copied = s, *path = NULL, *path_end = NULL;

	pp_buf_add(&b, "", 0);
	for (; *p; p++) {
		const char *q, *v, *end;

		if (!strncmp(p, "://", 3)) {
			/* user:password@host: the last '@' before the path
			 * ends it, as libpq reads it ('?' and '#' may stand
			 * in a password there) */
			const char *host = p + 3, *stop, *at = NULL, *colon;

			stop = host + strcspn(host, "/ \t");
			for (q = host; q < stop; q++)
				if (*q == '@')
					at = q;
			colon = at ? memchr(host, ':', (size_t)(at - host)) :
				NULL;
			if (colon && colon + 1 < at &&
			    strncmp(colon + 1, "<redacted>@", 11)) {
				pp_buf_add(&b, copied, (size_t)(colon + 1 -
					copied));
				pp_buf_addstr(&b, "<redacted>");
				copied = at;
				p = at;
			} else {
				p = host;
			}
			/* the path, up to its query: a setting in one of
			 * its segments ends with the segment */
			path = p + strcspn(p, "/ \t?#");
			path_end = path + strcspn(path, "?# \t");
			p--;
			continue;
		}
		/* a name=value setting starts a name, not a path's segment */
		if (!strchr(NAME_CHARS, *p) || (p > s &&
		    (strchr(NAME_CHARS, p[-1]) || p[-1] == '/')))
			continue;
		q = p + strspn(p, NAME_CHARS);
		v = q + strspn(q, " \t");
		if (*v != '=' || !secret_name(p, (size_t)(q - p))) {
			p = q - 1;
			continue;
		}
		v++;
		v += strspn(v, " \t");
		end = value_end(v);
		if (path && *path == '/' && v > path && v < path_end &&
		    v + strcspn(v, "/") < end)
			end = v + strcspn(v, "/");
		if (end == v || !strncmp(v, "<redacted>", 10)) {
			p = (end > v ? end : v) - 1;
			continue;
		}
		pp_buf_add(&b, copied, (size_t)(v - copied));
		pp_buf_addstr(&b, "<redacted>");
		copied = end;
		p = end - 1;
	}
	pp_buf_addstr(&b, copied);
	return b.s;
}

char *
pp_url_shown(const char *s)
{
	if (pp_file_url_short(s))
		return pp_redact(s);
	if (!pp_url_scheme_len(s))
		return pp_xstrdup(s);
	if (pp_url_is(s, "file") || pp_url_is(s, "postgresql") ||
	    pp_url_is(s, "postgres"))
		return pp_redact(s);
	return pp_url_redact(s);
}

void
pp_buf_add(struct pp_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = pp_xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
pp_buf_addstr(struct pp_buf *b, const char *s)
{
	pp_buf_add(b, s, strlen(s));
}

void
pp_buf_printf(struct pp_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		pp_buf_add(b, small, (size_t)n);
		return;
	}
	{
		char *big = pp_xmalloc((size_t)n + 1);

		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		pp_buf_add(b, big, (size_t)n);
		free(big);
	}
}

void
pp_buf_free(struct pp_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void
pp_set_now(time_t t)
{
	have_now = 1;
	fixed_now = t;
}

time_t
pp_now(void)
{
	return have_now ? fixed_now : time(NULL);
}

int
pp_clock_fixed(void)
{
	return have_now;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
static long
days_from_civil(int y, int m, int d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

int
pp_valid_hostname(const char *s)
{
	if (!*s || strlen(s) > 253 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(s))
		return 0;
	while (*s) {
		size_t n = strcspn(s, ".");

		if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
			return 0;
		s += n;
		if (*s == '.' && !*++s)
			return 0;
	}
	return 1;
}

int
pp_parse_time(const char *s, time_t *out)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s;
	long days;

	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	days = days_from_civil(y, mo, d);
	*out = (time_t)(days * 86400L + h * 3600L + mi * 60L + sec) -
		sign * (oh * 3600L + om * 60L);
	return 0;
}

/* The zone's offset from UTC at t, by the C library. */
static long
offset_at(const char *tz, time_t t)
{
	const char *old = getenv("TZ");
	char *saved = NULL;
	struct tm tm;

	if (old && !strcmp(old, tz)) {
		/* the process runs in the zone already (pp-sim sets it
		 * once): no tzset, no zone file read again */
		localtime_r(&t, &tm);
		return tm.tm_gmtoff;
	}
	if (old)
		saved = pp_xstrdup(old);
	setenv("TZ", tz, 1);
	tzset();
	localtime_r(&t, &tm);
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	return tm.tm_gmtoff;
}

/* The days asked for, direct-mapped by UTC day: the forecast asks for
 * now and one day and one week back at each horizon, pp-sim thousands
 * of times a second. A day whose offset is the same at its start, its
 * middle and its end has no change in it (zones change at most once a
 * day), and costs no look-up again; on the two days a year that have
 * one, each time is looked up. Not thread-safe (neither is TZ). */
#define ZONE_SLOTS 64

long
pp_zone_offset(const char *tz, time_t t)
{
	static struct {
		char tz[128];
		time_t day;
		long off;
		int constant;
	} memo[ZONE_SLOTS];
	time_t day = t / 86400 - (t % 86400 < 0);
	size_t k = (size_t)((unsigned long long)day % ZONE_SLOTS);
	long a, b, c;

	if (!tz || !*tz || !strcmp(tz, "UTC"))
		return 0;
	if (memo[k].tz[0] && memo[k].day == day && !strcmp(memo[k].tz, tz))
		return memo[k].constant ? memo[k].off : offset_at(tz, t);
	a = offset_at(tz, day * 86400);
	b = offset_at(tz, day * 86400 + 43200);
	c = offset_at(tz, day * 86400 + 86399);
	if (strlen(tz) < sizeof memo[k].tz) {
		memcpy(memo[k].tz, tz, strlen(tz) + 1);
		memo[k].day = day;
		memo[k].off = a;
		memo[k].constant = a == b && b == c;
	}
	return a == b && b == c ? a : offset_at(tz, t);
}

time_t
pp_local_back(const char *tz, time_t t, long back)
{
	return t - back + pp_zone_offset(tz, t) - pp_zone_offset(tz,
		t - back);
}

char *
pp_format_duration(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%llds", s);
	return buf;
}

char *
pp_format_config_duration(long v, char *buf, size_t len)
{
	if (v && v % 86400 == 0)
		snprintf(buf, len, "%ldd", v / 86400);
	else if (v && v % 3600 == 0)
		snprintf(buf, len, "%ldh", v / 3600);
	else if (v && v % 60 == 0)
		snprintf(buf, len, "%ldm", v / 60);
	else
		snprintf(buf, len, "%lds", v);
	return buf;
}

/* The last time formatted is kept: pp-sim stamps the same minute many
 * times a cycle. Not thread-safe; no tool has threads. */
char *
pp_format_time(time_t t, char *buf, size_t len)
{
	static time_t ct = -1;
	static char cs[PP_TIME_LEN];
	static size_t cn;
	struct tm tm;

	if (t != ct) {
		gmtime_r(&t, &tm);
		cn = strftime(cs, sizeof cs, "%Y-%m-%dT%H:%M:%SZ", &tm);
		ct = cn ? t : -1;
	}
	if (cn && len > cn) {
		memcpy(buf, cs, cn + 1);
		return buf;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

long
pp_parse_duration(const char *s)
{
	char *end;
	long v, mult = 1;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (*end) {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	if (v > LONG_MAX / mult)
		return -1;
	return v * mult;
}

char *
pp_read_stream(FILE *f, size_t max, size_t *len)
{
	struct pp_buf b = {0};
	struct stat st;
	size_t n;

	/* read straight into the buffer, of the file's size when it is a
	 * file (stdin redirected from one): no copy through a chunk and
	 * no doubling on the way; fread of a large size reads past
	 * stdio's own buffer */
	b.cap = 65536;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0 && (unsigned long long)st.st_size < max)
		b.cap = (size_t)st.st_size + 2;
	b.s = pp_xmalloc(b.cap);
	for (;;) {
		if (b.cap - b.len < 2) {
			b.cap *= 2;
			b.s = pp_xrealloc(b.s, b.cap);
		}
		n = fread(b.s + b.len, 1, b.cap - b.len - 1, f);
		if (n == 0)
			break;
		if (b.len + n > max) {
			pp_buf_free(&b);
			errno = EFBIG;
			return NULL;
		}
		b.len += n;
	}
	b.s[b.len] = '\0';
	if (ferror(f)) {
		int e = errno;

		pp_buf_free(&b);
		errno = e ? e : EIO;
		return NULL;
	}
	*len = b.len;
	return b.s;
}

char *
pp_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;
	int e;

	if (!f)
		return NULL;
	s = pp_read_stream(f, max, len);
	e = errno;
	fclose(f);
	errno = e;
	return s;
}

int
pp_secret_open(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
			strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s '%s' is not a regular file", what,
			path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s '%s' has mode %04o: it must not be "
			"readable by group or others (chmod 600)", what, path,
			(unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
}

char *
pp_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return pp_xstrdup(".");
	if (slash == path)
		return pp_xstrdup("/");
	{
		char *d = pp_xmalloc((size_t)(slash - path) + 1);

		memcpy(d, path, (size_t)(slash - path));
		d[slash - path] = '\0';
		return d;
	}
}

char *
pp_resolve_path(const char *path)
{
	char *cur = pp_xstrdup(path);

	/* at most 40 links, as the kernel (ELOOP beyond) */
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		char buf[PATH_MAX];
		ssize_t n;
		char *next, *dir;

		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
			return cur;
		n = readlink(cur, buf, sizeof buf - 1);
		if (n < 0)
			return cur;
		buf[n] = '\0';
		if (buf[0] == '/') {
			next = pp_xstrdup(buf);
		} else {
			dir = pp_dirname(cur);
			next = pp_xasprintf("%s/%s", dir, buf);
			free(dir);
		}
		free(cur);
		cur = next;
	}
	return cur;
}

int
pp_write_atomic(const char *path, const char *data, size_t len, int mode)
{
	struct iovec v = {(void *)(uintptr_t)data, len};

	return pp_write_atomicv(path, &v, 1, mode);
}

/* The pieces written in order, as many at a call as the system takes
 * (POSIX promises 16); a short write goes on from where it stopped. 0
 * or -1 (errno). */
static int
writev_all(int fd, struct iovec *iov, size_t n)
{
	long max = sysconf(_SC_IOV_MAX);

	if (max < 16)
		max = 16;
	while (n) {
		int k = n > (size_t)max ? (int)max : (int)n;
		ssize_t w = writev(fd, iov, k);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0 && iov->iov_len) {
			errno = EIO;   /* no progress: never loop on it */
			return -1;
		}
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n && w) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* A FIFO or a device (--svg /dev/stdout, -o /dev/full) is written
 * into: a temporary renamed over it would replace the node itself, for
 * every user of the machine when it is one of /dev's. */
static int
write_special(const char *path, struct iovec *iov, size_t niov)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), e;

	if (fd < 0)
		return -1;
	if (writev_all(fd, iov, niov) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int
pp_write_atomicv(const char *path, struct iovec *iov, size_t niov,
	int mode)
{
	char *real, *dir, *tmp;
	struct stat st;
	int fd, dfd, e;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode))
		return write_special(path, iov, niov);
	real = pp_resolve_path(path);
	dir = pp_dirname(real);
	tmp = pp_xasprintf("%s.tmp.XXXXXX", real);
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	/* A file rewritten keeps its mode and owner (the platform may
	 * share the registry through its group); a file meant to be
	 * private (no group or other bits asked) never gets wider, and
	 * stays ours: given to the owner of the file it replaces (root
	 * writing the user data over a file another user made) it would
	 * be theirs to read. An owner we may not give (not root) stays
	 * ours; the group is kept where we are a member of it. */
	if (stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
		mode_t keep = st.st_mode & 07777;
		int shared = (mode & 077) != 0;

		mode = shared ? (int)keep : (int)(keep & (mode_t)mode);
		if (shared &&
		    (st.st_uid != geteuid() || st.st_gid != getegid()) &&
		    fchown(fd, st.st_uid, st.st_gid) < 0 &&
		    fchown(fd, (uid_t)-1, st.st_gid) < 0)
			pp_debug("cannot keep the owner of '%s':", real);
	}
	if (fchmod(fd, (mode_t)mode) < 0)
		goto fail_fd;
	if (writev_all(fd, iov, niov) < 0)
		goto fail_fd;
	if (fsync(fd) < 0)
		goto fail_fd;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_unlink;
	}
	/* over the target, not over a symlink to it: a link that
	 * points at the platform's file keeps pointing at it */
	if (rename(tmp, real) < 0)
		goto fail_unlink;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(real);
	free(dir);
	free(tmp);
	return 0;
fail_fd:
	e = errno;
	close(fd);
	errno = e;
fail_unlink:
	e = errno;
	unlink(tmp);
	errno = e;
fail:
	e = errno;
	free(real);
	free(dir);
	free(tmp);
	errno = e;
	return -1;
}

int
pp_mkdirs(const char *path, int mode)
{
	char *p = pp_xstrdup(path);
	int e;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST)
		goto fail;
	free(p);
	return 0;
fail:
	e = errno;
	free(p);
	errno = e;
	return -1;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* Blocks in flock(2) so the kernel queues us behind the holder (polling
 * with LOCK_NB starves a reader while a writer relocks in a loop); a
 * one-shot timer interrupts the wait at the timeout. */
static int
flock_timed(int fd, int op, double timeout)
{
	struct sigaction sa, old;
	struct itimerval it, off;
	int rc, e;

	if (flock(fd, op | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK || timeout <= 0) {
		if (errno == EWOULDBLOCK)
			errno = ETIMEDOUT;
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	memset(&it, 0, sizeof it);
	memset(&off, 0, sizeof off);
	it.it_value.tv_sec = (time_t)timeout;
	it.it_value.tv_usec = (suseconds_t)((timeout -
		(double)(time_t)timeout) * 1e6);
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1000;
	setitimer(ITIMER_REAL, &it, NULL);
	rc = flock(fd, op);
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (rc < 0 && e == EINTR)
		e = pp_interrupted() ? EINTR : ETIMEDOUT;
	errno = e;
	return rc;
}

const char *
pp_lock_strerror(int e)
{
	if (e == ETIMEDOUT)
		return "still held by another process when the wait ran out";
	return strerror(e);
}

char *
pp_lock_name(const char *path)
{
	char *real = pp_resolve_path(path);
	char *lp = pp_xasprintf("%s.lock", real);

	free(real);
	return lp;
}

/* Temporaries of path ("<path>.tmp.XXXXXX") that a killed writer left
 * behind. Called under path's exclusive lock, so no writer of path is
 * running; the age is a second guard (file times are the system's
 * clock, not --now). */
#define STALE_TEMP_AGE 600

static void
clean_stale_temps(const char *path)
{
	char *dir = pp_dirname(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *prefix = pp_xasprintf("%s.tmp.", base);
	size_t plen = strlen(prefix);
	time_t now = time(NULL);
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (strncmp(e->d_name, prefix, plen) != 0 ||
		    strlen(e->d_name) != plen + 6)
			continue;
		p = pp_xasprintf("%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime < now - STALE_TEMP_AGE) {
			if (unlink(p) == 0)
				pp_note("removed '%s', left by a writer that "
					"was killed", p);
			else
				pp_warn("cannot remove stale '%s':", p);
		}
		free(p);
	}
	if (d)
		closedir(d);
	free(prefix);
	free(dir);
}

/* Anyone who can write the directory of ppscale's files can replace
 * them (the registry, the state) and so steer the fleet: say so, once
 * per directory a run. */
static void
warn_open_dir(const char *path)
{
	static char *warned;
	char *dir = pp_dirname(path);
	struct stat st;

	if ((!warned || strcmp(warned, dir) != 0) && stat(dir, &st) == 0 &&
	    (st.st_mode & S_IWOTH)) {
		pp_warn("directory '%s' is writable by everyone (mode %04o): "
			"any local user can replace ppscale's files in it",
			dir, (unsigned)(st.st_mode & 07777));
		free(warned);
		warned = dir;
		return;
	}
	free(dir);
}

int
pp_lock(struct pp_lock *l, const char *path, int mode, double timeout)
{
	char *lp = pp_lock_name(path);
	int op = mode == PP_LOCK_EX ? LOCK_EX : LOCK_SH;
	int e;

	l->fd = -1;
	/* A reader never creates the lock file: where none exists no
	 * writer has ever locked the data, and writers replace it by
	 * rename, so there is nothing to wait for (and a read-only or
	 * source tree stays untouched). Any other failure to open it is
	 * an error: reading or writing without the lock is how updates
	 * get lost. */
	if (mode == PP_LOCK_SH) {
		l->fd = open(lp, O_RDONLY | O_CLOEXEC);
		e = errno;
		if (l->fd < 0 && e == ENOENT) {
			free(lp);
			return 0;
		}
	} else {
		l->fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		e = errno;
		/* flock(2) needs no write access: a lock file another
		 * user created 0644 still serves when opened to read */
		if (l->fd < 0 && (e == EACCES || e == EROFS || e == EPERM))
			l->fd = open(lp, O_RDONLY | O_CLOEXEC);
	}
	free(lp);
	if (l->fd < 0) {
		errno = e;
		return -1;
	}
	if (flock_timed(l->fd, op, timeout) == 0) {
		if (mode == PP_LOCK_EX) {
			/* temporaries are made beside a symlink's target */
			char *real = pp_resolve_path(path);

			warn_open_dir(real);
			clean_stale_temps(real);
			free(real);
		}
		return 0;
	}
	e = errno;
	close(l->fd);
	l->fd = -1;
	errno = e;
	return -1;
}

void
pp_unlock(struct pp_lock *l)
{
	if (l->fd >= 0) {
		flock(l->fd, LOCK_UN);
		close(l->fd);
	}
	l->fd = -1;
}

double
pp_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
pp_sleep(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !got_signal)
		;
}

static void
on_signal(int sig)
{
	got_signal = sig;
}

void
pp_catch_signals(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* a hangup (the ssh session of a run by hand dropped, pp-cycle
	 * passing it on) stops at a safe point too, unless it was ignored
	 * when we started: nohup asked us to outlive it */
	if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
pp_interrupted(void)
{
	return got_signal;
}

long long
pp_dclamp(double v, long long lo, long long hi)
{
	if (!(v > (double)lo))
		return lo;
	if (v >= (double)hi)
		return hi;
	return (long long)v;
}

void
pp_no_core_dumps(void)
{
	struct rlimit r = {0, 0};

	/* a core holds the environment and every token read */
	if (setrlimit(RLIMIT_CORE, &r) < 0)
		pp_debug("cannot turn off core dumps:");
#ifdef __linux__
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		pp_debug("cannot mark the process not dumpable:");
#endif
}

/* Optimal string alignment distance, bounded: anything over max reads
 * as max + 1 (keys are short, so the table fits on the stack). */
static size_t
edit_distance(const char *a, const char *b, size_t max)
{
	enum { W = 64 };
	size_t la = strlen(a), lb = strlen(b);
	size_t d[W + 1][W + 1];

	if (la > W || lb > W || (la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb] > max ? max + 1 : d[la][lb];
}

const char *
pp_nearest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word);
	size_t max = len <= 4 ? 1 : len <= 8 ? 2 : 3, best = max + 1;
	const char *found = NULL;
	int tie = 0;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i], max);

		if (d < best) {
			best = d;
			found = cands[i];
			tie = 0;
		} else if (d == best && found && strcmp(found, cands[i])) {
			tie = 1;
		}
	}
	if (best <= max)
		return tie ? NULL : found;
	/* or the word with a unit or a qualifier after it: memory for
	 * memory_gb, when only one candidate reads so */
	found = NULL;
	for (size_t i = 0; i < n; i++)
		if (!strncmp(cands[i], word, len) && cands[i][len] == '_') {
			if (found && strcmp(found, cands[i]))
				return NULL;
			found = cands[i];
		}
	return found;
}

size_t
pp_url_scheme_len(const char *s)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t n;

	if (!s || !*s || !strchr(alpha, *s))
		return 0;
	n = 1 + strspn(s + 1, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	return strncmp(s + n, "://", 3) ? 0 : n;
}

int
pp_url_is(const char *s, const char *scheme)
{
	size_t n = strlen(scheme);

	return s && pp_url_scheme_len(s) == n && !strncasecmp(s, scheme, n);
}

int
pp_file_url_short(const char *s)
{
	return s && !strncasecmp(s, "file:/", 6) && s[6] != '/';
}

char *
pp_url_lower(const char *s)
{
	char *c = pp_xstrdup(s);
	size_t n = pp_url_scheme_len(c);

	for (size_t i = 0; i < n; i++)
		c[i] = (char)tolower((unsigned char)c[i]);
	return c;
}

int
pp_is_pg_conninfo(const char *s)
{
	static const char *const kw[] = {"host", "hostaddr", "port",
		"dbname", "user", "password", "passfile", "service",
		"sslmode", "sslpassword", "connect_timeout", "options",
		"application_name", "target_session_attrs", NULL};
	size_t n;

	if (!s)
		return 0;
	s += strspn(s, " \t");
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
	if (!n || s[n + strspn(s + n, " \t")] != '=')
		return 0;
	for (size_t i = 0; kw[i]; i++)
		if (strlen(kw[i]) == n && !strncmp(s, kw[i], n))
			return 1;
	return 0;
}
