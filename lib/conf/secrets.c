/* Whether a command-line argument holds a secret this process knows:
 * the Hetzner token, the join token, a database password. The config
 * check holds every *_command key to it (config_check.c); a command's
 * arguments are open to every user of the host (ps, /proc/PID/cmdline)
 * and named in our own notes. */
#include <ctype.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "conf/secrets.h"
#include "base/util.h"

/* The secrets a command line could hold, known to this process: the
 * Hetzner token ($HCLOUD_TOKEN, cloud.token_file), the join token
 * (cloud_init.join_token_file), the database password ($PGPASSWORD,
 * the password file libpq reads). A file this user cannot read is
 * skipped: its secret is not ours to compare. */
struct pp_secrets {
	size_t n;
	char **v;
	const char **what;	/* static strings */
};

static void
secret_add(struct pp_secrets *s, const char *v, size_t len, const char *what)
{
	if (!len)
		return;
	s->v = pp_xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->what = pp_xreallocarray(s->what, s->n + 1, sizeof *s->what);
	s->v[s->n] = pp_xmalloc(len + 1);
	memcpy(s->v[s->n], v, len);
	s->v[s->n][len] = '\0';
	s->what[s->n++] = what;
}

/* A regular file's first bytes (never a FIFO, which would hold up
 * every tool's start), NULL when it cannot be read. */
static char *
read_small(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;
	int fd;

	*len = 0;
	if (!path || !*path)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	buf = pp_xmalloc(max + 1);
	while (*len < max) {
		r = read(fd, buf + *len, max - *len);
		if (r <= 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	buf[*len] = '\0';
	return buf;
}

static void
wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	explicit_bzero(s, len);
	free(s);
}

/* A token file's token, as its reader takes it: the first line, its
 * trailing blanks dropped. */
static void
add_token_file(struct pp_secrets *s, const char *path, const char *what)
{
	size_t len, n;
	char *t = read_small(path, 4096, &len);

	if (!t)
		return;
	n = strcspn(t, "\r\n");
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	secret_add(s, t, n, what);
	wipe_free(t, len);
}

/* Where a registry or control.database string connects, as libpq's
 * password-file lookup sees it: each of host, port, database and user
 * from the string, else libpq's environment variable, else its
 * default (no host or a socket directory is "localhost", port 5432,
 * the database named as the user, the user this process runs as). */
struct pgwho {
	char *host, *port, *db, *user, *passfile;
};

static const char *
conn_opt(const PQconninfoOption *opts, const char *key)
{
	for (const PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, key) && o->val && *o->val)
			return o->val;
	return NULL;
}

static char *
opt_env(const PQconninfoOption *opts, const char *key, const char *env,
	const char *def)
{
	const char *v = conn_opt(opts, key), *e = getenv(env);

	return v ? pp_xstrdup(v) : e && *e ? pp_xstrdup(e) :
		def ? pp_xstrdup(def) : NULL;
}

static int
pgwho_of(const char *conn, struct pgwho *w)
{
	/* libpq takes the scheme in lower case only */
	char *lower = pp_url_lower(conn);
	PQconninfoOption *opts = PQconninfoParse(lower, NULL);
	struct passwd *pw;
	const char *home;

	free(lower);
	memset(w, 0, sizeof *w);
	if (!opts)
		return -1;
	pw = getpwuid(geteuid());
	w->host = opt_env(opts, "host", "PGHOST", NULL);
	if (!w->host)
		w->host = opt_env(opts, "hostaddr", "PGHOSTADDR", NULL);
	w->port = opt_env(opts, "port", "PGPORT", "5432");
	w->user = opt_env(opts, "user", "PGUSER", pw ? pw->pw_name : "");
	w->db = opt_env(opts, "dbname", "PGDATABASE", w->user);
	w->passfile = opt_env(opts, "passfile", "PGPASSFILE", NULL);
	home = getenv("HOME");
	if (!w->passfile && home && *home)
		w->passfile = pp_xasprintf("%s/.pgpass", home);
	else if (!w->passfile && pw && pw->pw_dir && *pw->pw_dir)
		w->passfile = pp_xasprintf("%s/.pgpass", pw->pw_dir);
	PQconninfoFree(opts);
	return 0;
}

static void
pgwho_free(struct pgwho *w)
{
	free(w->host);
	free(w->port);
	free(w->db);
	free(w->user);
	free(w->passfile);
}

/* One field of a password-file line against v, as libpq compares it:
 * '*' matches anything, '\' escapes ':' and '\'. The rest of the line
 * after the field's ':', or NULL. */
static const char *
pass_field(const char *p, const char *v)
{
	if (p[0] == '*' && p[1] == ':')
		return p + 2;
	while (*p && *p != ':') {
		if (*p == '\\' && p[1])
			p++;
		if (*p != *v)
			return NULL;
		p++;
		v++;
	}
	return *p == ':' && !*v ? p + 1 : NULL;
}

/* The n-th element of a comma-separated list (libpq's host and port
 * lists), or the only one when the list has one; NULL past the end. */
static char *
list_item(const char *l, size_t n)
{
	const char *p = l;
	size_t k;
	char *r;

	if (!strchr(l, ','))
		return pp_xstrdup(l);
	for (size_t i = 0; i < n; i++) {
		p = strchr(p, ',');
		if (!p)
			return NULL;
		p++;
	}
	k = strcspn(p, ",");
	r = pp_xmalloc(k + 1);
	memcpy(r, p, k);
	r[k] = '\0';
	return r;
}

/* The password of the first line of the password file's text t that
 * matches host, port, db and user, as libpq takes it (up to an
 * unescaped ':'). */
static void
add_pass_line(struct pp_secrets *s, const char *t, const char *host,
	const char *port, const struct pgwho *w)
{
	/* the text up to a NUL, if the file has one */
	size_t clen = strlen(t);
	char *copy = pp_xstrdup(t), *line, *next;

	for (line = copy; line && *line; line = next) {
		const char *p;
		char *pw;
		size_t n = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (*line == '#' || !(p = pass_field(line, host)) ||
		    !(p = pass_field(p, port)) || !(p = pass_field(p, w->db)) ||
		    !(p = pass_field(p, w->user)))
			continue;
		pw = pp_xmalloc(strlen(p) + 1);
		for (; *p && *p != ':'; p++) {
			if (*p == '\\' && p[1])
				p++;
			pw[n++] = *p;
		}
		secret_add(s, pw, n, "a database password (password file)");
		explicit_bzero(pw, n);
		free(pw);
		break;
	}
	explicit_bzero(copy, clen);
	free(copy);
}

/* The password libpq takes from w's password file for w's connection,
 * for each host of a host list. No host is "localhost"; a socket
 * directory is "localhost" when it is libpq's default one and itself
 * otherwise, and as that default differs between builds, both are
 * taken. libpq ignores a file others may read or write, and so does
 * this. */
static void
add_passfile(struct pp_secrets *s, const struct pgwho *w)
{
	struct stat st;
	size_t len, nhost;
	char *t;

	if (!w->passfile || stat(w->passfile, &st) < 0 ||
	    !S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)))
		return;
	t = read_small(w->passfile, 65536, &len);
	if (!t)
		return;
	nhost = 1;
	for (const char *h = w->host ? w->host : ""; (h = strchr(h, ','));
	    h++)
		nhost++;
	for (size_t hi = 0; hi < nhost; hi++) {
		char *host = w->host ? list_item(w->host, hi) : NULL;
		char *port = list_item(w->port, hi);

		if (port && (!host || !*host || host[0] == '/'))
			add_pass_line(s, t, "localhost", port, w);
		if (port && host && *host)
			add_pass_line(s, t, host, port, w);
		free(host);
		free(port);
	}
	wipe_free(t, len);
}

/* The passwords libpq would read from a password file for our
 * postgresql registry and control database. */
static void
add_db_passfiles(struct pp_secrets *s, const struct pp_config *c)
{
	const char *conns[] = {c->registry, c->control.database};

	for (size_t i = 0; i < sizeof conns / sizeof *conns; i++) {
		struct pgwho w;

		if (!conns[i] || (!pp_url_is(conns[i], "postgresql") &&
		    !pp_url_is(conns[i], "postgres") &&
		    !pp_is_pg_conninfo(conns[i])))
			continue;
		if (pgwho_of(conns[i], &w) == 0)
			add_passfile(s, &w);
		pgwho_free(&w);
	}
}

struct pp_secrets *
pp_secrets_load(const struct pp_config *c)
{
	struct pp_secrets *s = pp_xcalloc(1, sizeof *s);
	const char *e;

	e = getenv("HCLOUD_TOKEN");
	if (e)
		secret_add(s, e, strlen(e),
			"the Hetzner API token ($HCLOUD_TOKEN)");
	add_token_file(s, c->cloud.token_file,
		"the Hetzner API token (cloud.token_file)");
	add_token_file(s, c->cloud_init.join_token_file,
		"the join token (cloud_init.join_token_file)");
	e = getenv("PGPASSWORD");
	if (e)
		secret_add(s, e, strlen(e),
			"the database password ($PGPASSWORD)");
	add_db_passfiles(s, c);
	return s;
}

/* The first postgresql:// or postgres:// URL in a, its scheme in any
 * case, or NULL. */
static const char *
find_pg_url(const char *a)
{
	for (const char *p = a; *p; p++)
		if (!strncasecmp(p, "postgresql://", 13) ||
		    !strncasecmp(p, "postgres://", 11))
			return p;
	return NULL;
}

/* A password in a postgresql:// URL or a libpq connection string, or
 * a libpq password= or sslpassword= setting anywhere (a word of the
 * argument starting with it), whoever's database it names. */
static int
has_db_password(const char *a)
{
	const char *url = find_pg_url(a);
	PQconninfoOption *opts;
	char *lower;
	int bad = 0;

	for (const char *p = a; *p; p++) {
		const char *q;

		if (p != a && !isspace((unsigned char)p[-1]))
			continue;
		if (!strncmp(p, "password", 8))
			q = p + 8;
		else if (!strncmp(p, "sslpassword", 11))
			q = p + 11;
		else
			continue;
		/* libpq takes blanks around the '=' */
		q += strspn(q, " \t");
		if (*q++ != '=')
			continue;
		q += strspn(q, " \t");
		if (*q && strncmp(q, "''", 2))
			return 1;
	}
	if (!url && !pp_is_pg_conninfo(a))
		return 0;
	/* libpq takes the scheme in lower case only */
	lower = pp_url_lower(url ? url : a);
	opts = PQconninfoParse(lower, NULL);
	free(lower);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if ((!strcmp(o->keyword, "password") ||
		    !strcmp(o->keyword, "sslpassword")) && o->val && *o->val)
			bad = 1;
	PQconninfoFree(opts);
	return bad;
}

/* A secret counts as a whole element; from SECRET_WORD bytes also as
 * a word inside one (no letter or digit either side: "--token=...",
 * "Bearer ..."), and from SECRET_INSIDE bytes anywhere. A shorter
 * one inside a word is more likely a coincidence than a leak (a
 * password "postgres" and a path /usr/lib/postgresql). */
#define SECRET_WORD 8
#define SECRET_INSIDE 16

static int
holds_secret(const char *a, const char *sec)
{
	size_t n = strlen(sec);

	if (!strcmp(a, sec))
		return 1;
	if (n < SECRET_WORD)
		return 0;
	for (const char *p = a; (p = strstr(p, sec)); p++)
		if (n >= SECRET_INSIDE || ((p == a ||
		    !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n])))
			return 1;
	return 0;
}

const char *
pp_secrets_find(const struct pp_secrets *s, const char *a)
{
	for (size_t j = 0; j < s->n; j++)
		if (holds_secret(a, s->v[j]))
			return s->what[j];
	if (has_db_password(a))
		return "a database password";
	return NULL;
}

void
pp_secrets_free(struct pp_secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		explicit_bzero(s->v[i], strlen(s->v[i]));
		free(s->v[i]);
	}
	free(s->v);
	free(s->what);
	free(s);
}
