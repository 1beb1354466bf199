/* util.c: diagnostics, memory, time, files and locks */
#ifndef PP_UTIL_H
#define PP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <sys/uio.h>

/* Exit statuses, the same for every tool. */
enum { PP_EXIT_OK = 0, PP_EXIT_FAIL = 1, PP_EXIT_USAGE = 2 };

extern const char *pp_progname;
/* -1 quiet (errors only), 0 normal, 1 verbose, 2 debug */
extern int pp_verbosity;

void pp_setprogname(const char *argv0);
/* A trailing ':' in fmt appends strerror(errno). */
_Noreturn void pp_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The status pp_die exited with, 0 before it was called (for atexit
 * handlers). */
int pp_die_status(void);
/* Its message, without the program name ("" before). */
const char *pp_die_message(void);
/* Something the operator should see, though the tool goes on; counted
 * even under -q (pp_warnings), so that metrics can show it. */
void pp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failure that does not end the tool but costs players or money:
 * printed even under -q, so cron mails it. */
void pp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress and what was done: not a warning, not counted. */
void pp_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many warnings (pp_warn) and errors (pp_error, pp_die, pp_vmsg
 * at level -1) this process gave, whether -q printed them or not. */
unsigned long pp_warnings(void);
/* -v: more detail */
void pp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* -vv: detail by the line per item (pp-sim's refused game servers) */
void pp_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pp_vmsg(int level, const char *fmt, va_list ap);

void *pp_xmalloc(size_t n);
void *pp_xcalloc(size_t n, size_t size);
void *pp_xrealloc(void *p, size_t n);
void *pp_xreallocarray(void *p, size_t n, size_t size);
char *pp_xstrdup(const char *s);
char *pp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A URL fit for a log line or pp-config's output: scheme://host[:port]/...
 * without user info, path or query, which may carry credentials (a Slack
 * or Discord webhook's token is in its path). Caller frees. */
char *pp_url_redact(const char *url);
/* s with the secrets that may stand in it replaced by "<redacted>": the
 * password of any URL's user:password@, and the value of every setting
 * named like a secret (password=, libpq's sslpassword=, any *password=,
 * token=, access_token=, secret=, key=, sig=, ...) wherever the name
 * starts: after a blank, '?', '&', ';', ',' or '=', or as a --option=;
 * with blanks around '=' or quoted as libpq takes it. A name that
 * starts a path's segment ("/srv/password=x/registry.json") is a path,
 * not a setting, and stays. Caller frees. */
char *pp_redact(const char *s);
/* A registry, history source or fetched URL as messages name it: an
 * http(s) URL (or any other scheme's) as pp_url_redact cuts it, a
 * file:// (or file:/path) or postgresql:// URL whole but pp_redact'ed
 * (its user's password, a query's secret), a path whole. Caller
 * frees. */
char *pp_url_shown(const char *s);

/* A growable string. */
struct pp_buf {
	char *s;
	size_t len, cap;
};
void pp_buf_add(struct pp_buf *b, const char *s, size_t n);
void pp_buf_addstr(struct pp_buf *b, const char *s);
void pp_buf_printf(struct pp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pp_buf_free(struct pp_buf *b);

/* The clock: --now when given, else the system clock. */
void pp_set_now(time_t t);
time_t pp_now(void);
/* Whether the clock stands still (pp_set_now was called): waiting for
 * it to move cannot help. */
int pp_clock_fixed(void);
/* RFC 3339 ("2026-11-27T06:00:00Z", "...+01:00", fractions ignored).
 * Returns 0 on success, -1 on a malformed string. */
int pp_parse_time(const char *s, time_t *out);
/* A host name or FQDN (RFC 1123): dot-separated labels of 1 to 63
 * letters, digits and '-', none starting or ending with '-'; at most
 * 253 in all. */
int pp_valid_hostname(const char *s);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
char *pp_format_time(time_t t, char *buf, size_t len);
#define PP_TIME_LEN 32
/* The last second a time stamp of the files can hold:
 * 9999-12-31T23:59:59Z. */
#define PP_TIME_MAX 253402300799LL
/* Seconds east of UTC in zone tz (an IANA name; NULL, "" or "UTC":
 * 0) at t. */
long pp_zone_offset(const char *tz, time_t t);
/* The same local time (in zone tz) back seconds, a whole number of
 * days, before t: across a daylight-saving change a day or a week back
 * is an hour more or less in UTC, and the players keep local time. */
time_t pp_local_back(const char *tz, time_t t, long back);
/* "90", "90s", "5m", "2h", "1d" -> seconds; -1 when malformed. */
long pp_parse_duration(const char *s);
/* "1h05m", "4m30s", "45s" (a negative length reads as 0s). */
char *pp_format_duration(long long s, char *buf, size_t len);
/* A duration as the config writes it: "1d", "2h", "30m", "90s" (the
 * largest unit that divides it), which pp_parse_duration reads back. */
char *pp_format_config_duration(long s, char *buf, size_t len);

/* The one of the n candidates nearest to word by edit distance
 * (insert, delete, replace, or swap two neighbours: one step each), if
 * it is near enough to be a typo of it: at most 1 step for a word of up
 * to 4 characters, 2 up to 8, 3 beyond; or else the one candidate that
 * is the word and a suffix after '_' (memory, memory_gb). NULL when none
 * is, or when two are equally near. */
const char *pp_nearest(const char *word, const char *const *cands, size_t n);

/* Reads a whole file, refusing more than max bytes (errno EFBIG).
 * Returns NULL with errno set on failure; *len gets the size. */
char *pp_read_file(const char *path, size_t max, size_t *len);
/* Opens a file holding a secret (a token file) for reading, with the
 * checks every reader of one makes: a regular file (a FIFO would hold
 * the tool up), not open to group or others. what names it in err
 * ("token file"). Returns the descriptor, or -1 with err, which holds
 * the path and never the content. */
int pp_secret_open(const char *path, const char *what, char *err,
	size_t errlen);
char *pp_read_stream(FILE *f, size_t max, size_t *len);
/* Writes data to path by temp file in the same directory, fsync and
 * rename, then fsyncs the directory. A symlink is written through: the
 * temp file goes beside its target and is renamed over the target. An
 * existing file keeps its mode and (where permitted) owner and group,
 * narrowed to mode when mode has no group or other bits; mode applies
 * to a new file. A FIFO or a device is written into, not replaced
 * (not atomically, then). Returns 0, or -1 with errno set. */
int pp_write_atomic(const char *path, const char *data, size_t len,
	int mode);
/* The same of niov pieces written in order (iov is changed). */
int pp_write_atomicv(const char *path, struct iovec *iov, size_t niov,
	int mode);
/* mkdir -p; returns 0 or -1 with errno set. */
int pp_mkdirs(const char *path, int mode);
/* dirname without modifying the argument; caller frees */
char *pp_dirname(const char *path);

/* The file path stands for: symlinks followed to their final target
 * (which need not exist); path itself when it is no symlink. Caller
 * frees. */
char *pp_resolve_path(const char *path);

/* Advisory locks on "<target>.lock" beside the file path resolves to
 * (the data file itself is replaced by rename, so it cannot carry the
 * lock; a symlink and its target share one lock). */
enum { PP_LOCK_SH = 1, PP_LOCK_EX = 2 };
struct pp_lock {
	int fd;
};
/* The lock file's name for path; caller frees. */
char *pp_lock_name(const char *path);
/* Waits up to timeout seconds (0: do not wait). Returns 0, or -1 with
 * errno set: ETIMEDOUT on timeout (EINTR on a signal), else the reason
 * the lock file could not be opened. A reader (PP_LOCK_SH) succeeds
 * without a lock where no lock file exists: no writer has locked the
 * data. An exclusive lock also removes the path's temporaries older
 * than 10 minutes (left by a killed writer) and warns when its
 * directory is world-writable. */
int pp_lock(struct pp_lock *l, const char *path, int mode, double timeout);
void pp_unlock(struct pp_lock *l);
/* What pp_lock's errno e means, for a message: a timeout is another
 * process holding the lock, not strerror's "Connection timed out". */
const char *pp_lock_strerror(int e);

double pp_monotonic(void);
void pp_sleep(double seconds);

/* v as an integer, clamped to [lo, hi] (NaN gives lo): a figure
 * derived from outside input never converts out of range (undefined
 * behaviour in C). */
long long pp_dclamp(double v, long long lo, long long hi);
/* Largest RAM figure (MB) accepted from outside, 1 PB: sums over any
 * registry or document that fits in memory stay far from overflow. */
#define PP_RAM_MAX_MB (1LL << 30)

/* Terminate on SIGTERM, SIGINT or SIGHUP (unless SIGHUP was ignored
 * on entry: nohup) only at safe points: the handler sets a flag that
 * long loops check with pp_interrupted(). */
void pp_catch_signals(void);
/* No core dumps: every tool may hold a token (HCLOUD_TOKEN is in the
 * environment of a whole cron pipeline). */
void pp_no_core_dumps(void);
int pp_interrupted(void);

/* The length of the scheme when s starts with SCHEME:// (RFC 3986: a
 * letter, then letters, digits, '+', '-' or '.'), else 0: "./a:b.json"
 * and "/srv/reg:1.json" are no URLs. */
size_t pp_url_scheme_len(const char *s);
/* Whether s starts with scheme "://", the scheme in any case (RFC 3986
 * section 3.1: "HTTP://" is "http://"). */
int pp_url_is(const char *s, const char *scheme);
/* Whether s is RFC 8089's short form of a local file URL, file:/path
 * (one slash, the scheme in any case), which pp_url_is does not take
 * for a URL: it has no "://". */
int pp_file_url_short(const char *s);
/* A copy of s with its scheme in lower case (s as it is when it has
 * none), for a library that takes only that (libpq's "postgresql://").
 * Caller frees. */
char *pp_url_lower(const char *s);

/* Whether s is a libpq key=value string ("host=db dbname=fleet ..."):
 * not taken where a postgresql:// URL is, and never echoed, since it
 * may hold password=. */
int pp_is_pg_conninfo(const char *s);

#endif
