/* The registry file: lock, read (a file or an http(s):// or file://
 * URL), the cache of the last registry read unchanged, save, close. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/jscan.h"
#include "conf/config.h"
#include "store/pg.h"
#include "store/registry.h"
#include "store/regpg.h"
#include "store/registry_int.h"
#include "base/http.h"

#define LOCK_TIMEOUT 30.0

static int
is_url(const char *p)
{
	return pp_url_is(p, "http") || pp_url_is(p, "https") ||
		pp_url_is(p, "file");
}

char *
pp_registry_shown(const char *path)
{
	return pp_url_shown(path);
}

/* The whole file in one buffer of its size (no doubling on the way). */
static char *
read_text(const char *path, size_t *len, char *err, size_t errlen,
	int *fdout, struct stat *stout)
{
	struct stat st;
	size_t cap, n = 0;
	char *s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read registry '%s': %s", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ?
		(size_t)st.st_size + 1 : 65536;
	if (cap > PP_REGISTRY_MAX + 1)
		cap = PP_REGISTRY_MAX + 1;
	s = pp_xmalloc(cap + 1);
	for (;;) {
		ssize_t got;

		if (n == cap) {
			if (cap > PP_REGISTRY_MAX) {
				pp_rg_bad(err, errlen, path, "input larger than "
					"%llu bytes",
					(unsigned long long)PP_REGISTRY_MAX);
				goto fail;
			}
			cap *= 2;
			s = pp_xrealloc(s, cap + 1);
		}
		got = read(fd, s + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "cannot read registry '%s': %s",
				path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > PP_REGISTRY_MAX) {
		pp_rg_bad(err, errlen, path, "input larger than %llu bytes",
			(unsigned long long)PP_REGISTRY_MAX);
		goto fail;
	}
	/* as it was before the read: a change during it shows later */
	*fdout = fd;
	*stout = st;
	s[n] = '\0';
	*len = n;
	return s;
fail:
	close(fd);
	free(s);
	return NULL;
}

/* The last registry read and closed unchanged, with its index: a
 * process that opens the registry again (pp-drain, before each move and
 * to record them) and finds the same bytes takes that index instead of
 * reading the text again. Same bytes, same index: the file is the one
 * the cache holds open (same inode, size, mtime and ctime: writers
 * replace the registry by rename, never in place, ppscale-registry(5),
 * and the inode held open cannot be reused), or its bytes are compared. */
static struct pp_registry cache;

void
pp_rg_free_text(struct pp_registry *r)
{
	if (r->maplen)
		munmap(r->text, r->maplen);
	else
		free(r->text);
	r->text = NULL;
	r->maplen = 0;
}

char *
pp_rg_map_text(int fd, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	void *m;

	/* the bytes after len up to the page's end read as zero: the
	 * text is terminated as the readers expect */
	if (!len || page <= 0 || len % (size_t)page == 0 ||
	    len > PP_REGISTRY_MAX)
		return NULL;
	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

void
pp_rg_close_fd(struct pp_registry *r)
{
	if (r->has_fd)
		close(r->fd);
	r->has_fd = 0;
	r->fd = -1;
}

void
pp_rg_hold_written(struct pp_registry *r)
{
	pp_rg_close_fd(r);
	r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	r->has_fd = r->fd >= 0 && fstat(r->fd, &r->st) == 0;
	if (r->fd >= 0 && !r->has_fd)
		close(r->fd);
}

static int
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether path is the very file the cache holds open, unchanged since
 * its text was read or written (its stat then: cache.st). */
static int
same_file_as_cached(const char *path)
{
	const struct stat *b = &cache.st;
	struct stat a;

	return cache.has_fd && stat(path, &a) == 0 && S_ISREG(a.st_mode) &&
		a.st_dev == b->st_dev && a.st_ino == b->st_ino &&
		a.st_size == b->st_size && (size_t)a.st_size == cache.len &&
		same_time(&a.st_mtim, &b->st_mtim) &&
		same_time(&a.st_ctim, &b->st_ctim);
}


static void
drop_cached(void)
{
	struct pp_registry c = cache;

	memset(&cache, 0, sizeof cache);
	pp_rg_close_fd(&c);
	pp_rg_free_index(&c);
	pp_rg_free_text(&c);
	free(c.path);
}

/* Whether the file holds the cached bytes, compared as it is read
 * (no copy of a big file is made to find it unchanged). */
static int
same_as_cached(const char *path)
{
	char buf[65536];
	struct stat st;
	size_t off = 0;
	int fd, same = 0;

	if (!cache.text || strcmp(cache.path, path))
		return 0;
	if (same_file_as_cached(path))
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == cache.len) {
		for (;;) {
			ssize_t got = read(fd, buf, sizeof buf);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				break;
			if (got == 0) {
				same = off == cache.len;
				break;
			}
			if ((size_t)got > cache.len - off ||
			    memcmp(cache.text + off, buf, (size_t)got))
				break;
			off += (size_t)got;
		}
	}
	close(fd);
	return same;
}

/* Takes the cached index when text (NULL: already compared) holds the
 * cached bytes. */
static int
take_cached(struct pp_registry *r, char *text, size_t len)
{
	if (!cache.text || strcmp(cache.path, r->path) || cache.len != len ||
	    (text && memcmp(cache.text, text, len)))
		return 0;
	free(text);
	r->text = cache.text;
	r->len = cache.len;
	r->maplen = cache.maplen;
	r->nodes_open = cache.nodes_open;
	r->nodes = cache.nodes;
	r->nnodes = cache.nnodes;
	r->strings = cache.strings;
	r->fd = cache.fd;
	r->has_fd = cache.has_fd;
	r->st = cache.st;
	r->lazy = cache.lazy;
	free(cache.path);
	memset(&cache, 0, sizeof cache);
	return 1;
}

/* Whether r's index still describes r's text and nothing else:
 * nothing removed, added or edited. A node with an object is never
 * kept: an edit indexes the node from its object, so the index points
 * into strings that go with the object (ASan: a use after free in the
 * next open's look-up, after pp-provision recorded a node's address). */
static int
unchanged(const struct pp_registry *r)
{
	if (!r->cacheable || !r->text || r->readonly || r->root || r->added)
		return 0;
	for (size_t i = 0; i < r->nnodes; i++)
		if (r->nodes[i].removed || r->nodes[i].obj)
			return 0;
	return 1;
}

static void
stash(struct pp_registry *r)
{
	drop_cached();
	for (size_t i = 0; i < r->nnodes; i++) {
		json_object_put(r->nodes[i].obj);
		r->nodes[i].obj = NULL;
	}
	cache.path = r->path;
	cache.text = r->text;
	cache.len = r->len;
	cache.maplen = r->maplen;
	cache.nodes_open = r->nodes_open;
	cache.nodes = r->nodes;
	cache.nnodes = r->nnodes;
	cache.strings = r->strings;
	cache.fd = r->fd;
	cache.has_fd = r->has_fd;
	cache.st = r->st;
	cache.lazy = r->lazy;
	r->has_fd = 0;
	r->path = NULL;
	r->text = NULL;
	r->maplen = 0;
	r->nodes = NULL;
	r->nnodes = 0;
	r->strings = NULL;
}

/* ---- The stamp of a registry checked whole (PP_REG_LAZY) ----------
 * One line in the registry's lock file, written under the exclusive
 * lock after the whole file was checked (read by the scanner and
 * indexed without an error) or written by a save whose splice was
 * checked: "ppscale-registry-checked VERSION DEV INO SIZE MTIME CTIME".
 * A lock file opened read-only (another user's) takes no stamp, and
 * then every open checks the whole file, as before.
 *
 * After the line, where the text was read by the scanner, the nodes'
 * spans in it: "spans COUNT OFFSET SUM\n" (OFFSET: the list's '['; SUM:
 * 16 hex digits, FNV-1a of the lines that follow), then
 * "OFFSET LENGTH ID\n" a node. A lazy open of that very file takes its
 * nodes from them instead of walking the text for them (spans_load),
 * once the sum holds and they tile the list; a node is read when it is
 * used, and its id must be the span's. */

static size_t
stamp_line(const struct stat *st, char *buf, size_t len)
{
	int n = snprintf(buf, len, "ppscale-registry-checked %s %ju %ju %jd "
		"%jd.%09ld %jd.%09ld\n", PP_VERSION, (uintmax_t)st->st_dev,
		(uintmax_t)st->st_ino, (intmax_t)st->st_size,
		(intmax_t)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
		(intmax_t)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);

	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* Lock-file content beyond this is not read back as spans. */
#define SPANS_MAX ((size_t)1 << 30)

static void
put_num(struct pp_buf *b, size_t v, char end)
{
	char buf[24], *p = buf + sizeof buf;

	*--p = end;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	pp_buf_add(b, p, (size_t)(buf + sizeof buf - p));
}

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* The stamp of the file st for r's text, and its nodes' spans where
 * each node's text lies in r's text and each id can stand in a line:
 * into b (empty when there is no stamp). */
static void
stamp_text(const struct pp_registry *r, const struct stat *st,
	struct pp_buf *b)
{
	char line[256], hex[17];
	size_t n = stamp_line(st, line, sizeof line), was, sum;

	if (!n)
		return;
	pp_buf_add(b, line, n);
	if (!r->text || !r->nnodes || r->nodes_open >= r->len)
		return;
	was = b->len;
	pp_buf_add(b, "spans ", 6);
	put_num(b, r->nnodes, ' ');
	put_num(b, r->nodes_open, ' ');
	sum = b->len;
	pp_buf_add(b, "0000000000000000\n", 17);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *d = &r->nodes[i];
		const unsigned char *c = (const unsigned char *)d->id;

		if (!d->text || d->text < r->text ||
		    d->text_len > r->len - (size_t)(d->text - r->text) ||
		    !c || !*c) {
			b->len = was;
			return;
		}
		for (; *c; c++)
			if (*c <= ' ') {
				b->len = was;
				return;
			}
		put_num(b, (size_t)(d->text - r->text), ' ');
		put_num(b, d->text_len, ' ');
		pp_buf_addstr(b, d->id);
		pp_buf_add(b, "\n", 1);
	}
	snprintf(hex, sizeof hex, "%016" PRIx64, fnv1a(b->s + sum + 17,
		b->len - sum - 17));
	memcpy(b->s + sum, hex, 16);
}

/* The stamp is written only when it differs from the one there: a
 * reader that finds it right (every run of pp-fleetstats, dry runs
 * too) changes nothing on disk, not even the lock file's mtime. */
static void
stamp_write(int fd, const struct pp_buf *b)
{
	struct stat st;
	char *old;
	int same = 0;

	if (!b->len)
		return;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size == b->len) {
		old = pp_xmalloc(b->len);
		same = pread(fd, old, b->len, 0) == (ssize_t)b->len &&
			!memcmp(old, b->s, b->len);
		free(old);
	}
	if (!same && pwrite(fd, b->s, b->len, 0) == (ssize_t)b->len)
		(void)!ftruncate(fd, (off_t)b->len);
}

void
pp_rg_stamp(struct pp_registry *r)
{
	struct pp_buf b = {0};

	if (r->lock.fd < 0 || !r->has_fd || !r->text)
		return;
	stamp_text(r, &r->st, &b);
	stamp_write(r->lock.fd, &b);
	pp_buf_free(&b);
}

/* A decimal number at *p ended by end; -1 when there is none. */
static int
get_num(const char **p, const char *e, size_t *v, char end)
{
	const char *q = *p;
	size_t x = 0;

	if (q >= e || *q < '0' || *q > '9')
		return -1;
	for (; q < e && *q >= '0' && *q <= '9'; q++) {
		if (x > (SIZE_MAX - 9) / 10)
			return -1;
		x = x * 10 + (size_t)(*q - '0');
	}
	if (q >= e || *q != end)
		return -1;
	*v = x;
	*p = q + 1;
	return 0;
}

/* r's lazy index from the spans after the stamp of r's file (r->text
 * its text, the lock held): 0, or -1 (no index) when there are none,
 * or they do not tile the text's list of nodes, '[' to ']' with only
 * whitespace and one comma between two nodes. */
static int
spans_load(struct pp_registry *r)
{
	char want[256], hex[17];
	size_t wn = stamp_line(&r->st, want, sizeof want), count, open;
	const char *t = r->text, *te = r->text + r->len, *q, *p, *e;
	struct stat ls;
	char *buf;
	ssize_t k;

	if (r->lock.fd < 0 || !wn || fstat(r->lock.fd, &ls) < 0 ||
	    ls.st_size <= (off_t)wn || (size_t)ls.st_size > SPANS_MAX)
		return -1;
	buf = pp_xmalloc((size_t)ls.st_size + 1);
	k = pread(r->lock.fd, buf, (size_t)ls.st_size, 0);
	if (k != (ssize_t)ls.st_size || memcmp(buf, want, wn) ||
	    strncmp(buf + wn, "spans ", 6))
		goto fail;
	p = buf + wn + 6;
	e = buf + k;
	if (get_num(&p, e, &count, ' ') < 0 || get_num(&p, e, &open, ' ') < 0 ||
	    e - p < 17 || p[16] != '\n' || open >= r->len ||
	    t[open] != '[' || count > r->len / 2)
		goto fail;
	snprintf(hex, sizeof hex, "%016" PRIx64, fnv1a(p + 17,
		(size_t)(e - p - 17)));
	if (memcmp(p, hex, 16))
		goto fail;
	p += 17;
	pp_rg_free_index(r);
	r->nodes = pp_xcalloc(count ? count : 1, sizeof *r->nodes);
	q = ws(t + open + 1, te);
	for (size_t i = 0; i < count; i++) {
		struct pp_node *n = &r->nodes[i];
		size_t off, len;
		const char *id;

		if (get_num(&p, e, &off, ' ') < 0 ||
		    get_num(&p, e, &len, ' ') < 0)
			goto fail_index;
		for (id = p; p < e && (unsigned char)*p > ' '; p++)
			;
		if (p == id || p >= e || *p != '\n' || off >= r->len ||
		    len < 2 || len > r->len - off || t[off] != '{' ||
		    t[off + len - 1] != '}')
			goto fail_index;
		if (i) {
			if (q >= te || *q != ',')
				goto fail_index;
			q = ws(q + 1, te);
		}
		if (q != t + off)
			goto fail_index;
		n->id = pp_rg_str_keep(r, id, (size_t)(p - id));
		n->text = t + off;
		n->text_len = len;
		n->lazy = 1;
		r->nnodes++;
		p++;
		q = ws(t + off + len, te);
	}
	if (p != e || q >= te || *q != ']')
		goto fail_index;
	free(buf);
	r->nodes_open = open;
	r->lazy = 1;
	return 0;
fail_index:
	pp_rg_free_index(r);
fail:
	free(buf);
	return -1;
}

/* A reader that checked the whole file (pp-fleetstats' index) stamps it
 * too, while it holds the shared lock: no writer can replace the file
 * meanwhile, and readers stamping at once write the same line. The
 * lock file is opened to write only when it exists and is writable
 * (a reader never creates it). */
static void
stamp_read(const struct pp_registry *r, const char *path,
	const struct stat *st)
{
	char *lp = pp_lock_name(path);
	struct pp_buf b = {0};
	int fd = open(lp, O_RDWR | O_CLOEXEC);

	/* (read to compare; one that cannot be read is written) */
	if (fd < 0)
		fd = open(lp, O_WRONLY | O_CLOEXEC);
	free(lp);
	if (fd < 0)
		return;
	stamp_text(r, st, &b);
	stamp_write(fd, &b);
	pp_buf_free(&b);
	close(fd);
}

/* Whether the lock file's stamp is the file read (r->st). */
static int
stamped(const struct pp_registry *r)
{
	char want[256], got[256];
	size_t n = stamp_line(&r->st, want, sizeof want);
	ssize_t k;

	if (r->lock.fd < 0 || !n)
		return 0;
	k = pread(r->lock.fd, got, sizeof got, 0);
	if (k < (ssize_t)n || memcmp(got, want, n))
		return 0;
	/* the line alone, or the spans after it */
	return k == (ssize_t)n || (k - (ssize_t)n >= 6 &&
		!memcmp(got + n, "spans ", 6));
}

/* PP_REG_LAZY's reading of a stamped file, mapped: only the nodes'
 * spans are found, so most pages are only looked at once, and nothing
 * is copied. The mapping stays valid while it is held: writers replace
 * the registry by rename, never truncate it in place (a file truncated
 * under the mapping would end this process with SIGBUS, as an edit
 * would corrupt any reader's text). 0: opened; 1: read it (not
 * stamped, not mappable); 2: read it whole (the lazy reading did not
 * take it). */
static int
open_mapped_lazy(struct pp_registry *r, const char *path)
{
	struct stat st;
	char *m;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long long)st.st_size > PP_REGISTRY_MAX) {
		close(fd);
		return 1;
	}
	r->st = st;
	if (!stamped(r) || !(m = pp_rg_map_text(fd, (size_t)st.st_size))) {
		close(fd);
		return 1;
	}
	r->text = m;
	r->len = r->maplen = (size_t)st.st_size;
	if (spans_load(r) < 0 && pp_rg_load_lazy(r) < 0) {
		pp_rg_free_text(r);
		r->len = 0;
		close(fd);
		return 2;
	}
	r->fd = fd;
	r->has_fd = 1;
	return 0;
}

/* Pages of a mapped registry given back at once (less is not worth a
 * system call). */
#define RELEASE_STEP (1u << 20)

void
pp_rg_release(struct pp_registry *r, const char *p)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t upto;

	if (!r->map || page <= 0)
		return;
	if (!p) {
		/* the strict pass is over: all of it, and the index's
		 * pass starts over from the first page */
		madvise((char *)r->map, r->len / (size_t)page * (size_t)page,
			MADV_DONTNEED);
		r->released = 0;
		return;
	}
	upto = (size_t)(p - r->map) / (size_t)page * (size_t)page;
	if (upto < r->released + RELEASE_STEP && p != r->map + r->len)
		return;
	if (upto > r->released)
		madvise((char *)r->map + r->released, upto - r->released,
			MADV_DONTNEED);
	r->released = upto;
}

/* The index of the file at path, mapped (see PP_REG_INDEX_ONLY); 1
 * when it cannot be mapped (not a regular file, empty, or a size that
 * leaves no terminating byte in its last page): then it is read. */
static int
index_mapped(struct pp_registry *r, const char *path, char *err,
	size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	size_t len;
	void *m;
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long long)st.st_size > PP_REGISTRY_MAX || page <= 0 ||
	    st.st_size % page == 0) {
		close(fd);
		return 1;
	}
	len = (size_t)st.st_size;
	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 1;
	madvise(m, len, MADV_SEQUENTIAL);
	/* the bytes after len up to the page's end read as zero: the
	 * text is terminated as the reader expects */
	r->text = m;
	r->len = len;
	r->map = m;
	r->released = 0;
	rc = pp_rg_load_mapped(r, err, errlen);
	if (rc == 0 && r->lock.fd >= 0)
		stamp_read(r, path, &st);
	r->map = NULL;
	for (size_t i = 0; i < r->nnodes; i++) {
		r->nodes[i].text = NULL;
		r->nodes[i].text_len = 0;
	}
	r->text = NULL;
	r->len = 0;
	r->readonly = 1;
	munmap(m, len);
	return rc;
}

int
pp_registry_open(struct pp_registry *r, const char *path, int mode,
	char *err, size_t errlen)
{
	int index_only = (mode & PP_REG_INDEX_ONLY) != 0;
	int lazy = (mode & PP_REG_LAZY) != 0;
	struct stat st;
	int fd, transient;
	char msg[256];
	size_t len = 0;
	char *text;
	int rc;

	memset(r, 0, sizeof *r);
	mode &= ~(PP_REG_INDEX_ONLY | PP_REG_LAZY);
	r->lock.fd = -1;
	r->path = pp_xstrdup(path);
	if (pp_pg_is_url(path))
		return pp_regpg_open(r, path, mode, err, errlen);
	if (pp_is_pg_conninfo(path)) {
		free(r->path);
		r->path = pp_xstrdup("(a key=value string)");
		snprintf(err, errlen, "the registry is a libpq key=value "
			"string, which is not taken (it is not shown: it may "
			"hold a password): give a postgresql:// URL, its "
			"password in a password file");
		return -1;
	}
	if (pp_registry_scheme_check(path, msg, sizeof msg) < 0) {
		free(r->path);
		r->path = pp_url_redact(path);
		snprintf(err, errlen, "registry '%s': %s", r->path, msg);
		return -1;
	}
	if (is_url(path)) {
		/* the registry's messages name it as the logs show a URL:
		 * user:password@ or a token in it stays out of them */
		free(r->path);
		r->path = pp_registry_shown(path);
		if (mode == PP_LOCK_EX) {
			snprintf(err, errlen, "registry '%s' is a URL and "
				"cannot be written", r->path);
			return -1;
		}
		text = pp_fetch_url(path, PP_REGISTRY_MAX, &len, err, errlen,
			&transient);
		/* no answer, or a server's 5xx, is a failure the next cycle
		 * may not meet (exit 1); a bad URL or a 404 is bad input */
		if (!text)
			return transient ? -2 : -1;
		rc = pp_rg_load(r, pp_rg_copy_text(text, len), len, 0, err, errlen);
		free(text);
		return rc;
	}
	if (mode != PP_LOCK_EX && access(path, R_OK) < 0) {
		snprintf(err, errlen, "cannot read registry '%s': %s",
			path, strerror(errno));
		return -1;
	}
	if (pp_lock(&r->lock, path, mode ? mode : PP_LOCK_SH,
	    LOCK_TIMEOUT) < 0) {
		int e = errno;
		int late = e == ETIMEDOUT || e == EINTR;
		char *lp = pp_lock_name(path);

		/* never read or write unlocked; only a registry that
		 * does not exist (nor its directory) falls through, for
		 * reading to name that */
		if (late || e != ENOENT || access(path, F_OK) == 0) {
			snprintf(err, errlen, "cannot lock registry '%s': "
				"lock file '%s': %s", path, lp,
				pp_lock_strerror(e));
			free(lp);
			return late ? -2 : -1;
		}
		free(lp);
		r->lock.fd = -1;
	}
	if (index_only && !mode) {
		rc = index_mapped(r, path, err, errlen);
		if (rc != 1) {
			pp_unlock(&r->lock);
			return rc;
		}
	}
	r->cacheable = !index_only;
	/* a cached index read lazily serves only a lazy open: others read
	 * r->nodes directly */
	if ((lazy || !cache.lazy) && same_as_cached(path)) {
		if (!mode)
			pp_unlock(&r->lock);
		take_cached(r, NULL, cache.len);
		return 0;
	}
	if (lazy) {
		rc = open_mapped_lazy(r, path);
		if (rc == 0) {
			if (!mode)
				pp_unlock(&r->lock);
			return 0;
		}
		lazy = rc == 1;
	}
	text = read_text(path, &len, err, errlen, &fd, &st);
	if (text) {
		r->fd = fd;
		r->has_fd = 1;
		r->st = st;
		/* the stamp is read under the lock, reader or writer */
		lazy = lazy && stamped(r);
	}
	/* a reader holds the lock only while it reads */
	if (!mode || !text)
		pp_unlock(&r->lock);
	if (!text)
		return -1;
	if (lazy) {
		r->text = text;
		r->len = len;
		if (spans_load(r) == 0 || pp_rg_load_lazy(r) == 0)
			return 0;
		r->text = NULL;
		r->len = 0;
	}
	rc = pp_rg_load(r, text, len, 0, err, errlen);
	if (rc < 0)
		pp_unlock(&r->lock);
	else if (mode == PP_LOCK_EX)
		pp_rg_stamp(r);
	if (rc == 0 && index_only)
		pp_registry_forget_text(r);
	return rc;
}


int
pp_registry_save(struct pp_registry *r)
{
	char err[512], *s;
	size_t len;
	int rc;

	if (r->pg)
		return pp_regpg_save(r);
	if (r->readonly) {
		errno = EBADF;
		return -1;
	}
	if (r->text)
		return pp_rg_save_text(r, 1);
	if (pp_rg_added_ok(r, err, sizeof err) < 0) {
		pp_warn("%s", err);
		errno = EINVAL;
		return -1;
	}
	s = pp_registry_render(r, &len);
	rc = pp_write_atomic(r->path, s, len, 0644);
	free(s);
	if (rc == 0 && pp_registry_index(r, err, sizeof err) < 0) {
		pp_warn("%s", err);
		errno = EINVAL;
		return -1;
	}
	return rc;
}

int
pp_registry_commit(struct pp_registry *r)
{
	int rc, e;

	if (r->text && !r->readonly && !r->pg) {
		/* indexed from the splice: the next open of the same bytes
		 * (pp-drain's next move) takes it from the cache */
		rc = pp_rg_save_text(r, 1);
		e = errno;
	} else {
		rc = pp_registry_save(r);
		e = errno;
	}
	pp_registry_close(r);
	errno = e;
	return rc;
}

void
pp_registry_close(struct pp_registry *r)
{
	pp_regpg_close(r);
	if (unchanged(r))
		stash(r);
	pp_rg_free_index(r);
	json_object_put(r->root);
	r->root = NULL;
	json_object_put(r->added);
	r->added = NULL;
	pp_rg_free_text(r);
	pp_rg_close_fd(r);
	pp_unlock(&r->lock);
	free(r->path);
	r->path = NULL;
}

void
pp_registry_forget_text(struct pp_registry *r)
{
	if (!r->text || r->lock.fd >= 0)
		return;
	for (size_t i = 0; i < r->nnodes; i++) {
		r->nodes[i].text = NULL;
		r->nodes[i].text_len = 0;
	}
	pp_rg_free_text(r);
	r->len = 0;
	r->readonly = 1;
	pp_rg_close_fd(r);
}
