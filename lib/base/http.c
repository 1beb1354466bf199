/* libcurl wrapper: one place for timeouts, TLS and size caps. */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#include <string.h>
#include <curl/curl.h>

#include "base/http.h"
#include "base/json.h"
#include "base/util.h"

struct sink {
	struct pp_buf buf;
	size_t max;
	int too_big;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->buf.len + size * n > s->max) {
		s->too_big = 1;
		return 0;
	}
	pp_buf_add(&s->buf, p, size * n);
	return size * n;
}

static void
global_init(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		atexit(curl_global_cleanup);
		done = 1;
	}
}

/* Whether a failed GET may work later (pp_http_get). */
static int
get_transient(CURLcode rc, long status, int too_big)
{
	if (too_big)
		return 0;
	switch (rc) {
	case CURLE_OK:
		return status == 408 || status == 429 || status >= 500;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_FILE_COULDNT_READ_FILE:
		return 0;
	/* A certificate that does not verify (untrusted, expired, another
	 * name, a pinned key that differs) or TLS set up wrong here fails
	 * alike every run until someone changes the setup. A handshake
	 * cut short (CURLE_SSL_CONNECT_ERROR: a reset, a server in
	 * trouble) may pass, so it stays transient. */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return 0;
	default:
		return 1;
	}
}

/* Whether the n bytes at p occur in s. */
static int
has_bytes(const char *s, const char *p, size_t n)
{
	for (; *s; s++)
		if (!strncmp(s, p, n))
			return 1;
	return 0;
}

/* s[0..n) with %XX decoded (and, when plus, '+' as a blank, as a form
 * decodes a query), in a new string of *len bytes. */
static char *
url_decode(const char *s, size_t n, int plus, size_t *len)
{
	char *d = pp_xmalloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)
		    s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], '\0'};

			d[k++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			d[k++] = plus && s[i] == '+' ? ' ' : s[i];
		}
	}
	d[k] = '\0';
	*len = k;
	return d;
}

/* Whether msg holds s[0..n) of 4 bytes or more, as written or
 * percent-decoded (a server or proxy that echoes the request decodes
 * it; a query's '+' may come back a blank). */
static int
has_piece(const char *msg, const char *s, size_t n)
{
	int found = n >= 4 && has_bytes(msg, s, n);

	for (int plus = 0; plus < 2 && !found && n >= 4; plus++) {
		size_t dn;
		char *d = url_decode(s, n, plus, &dn);

		found = dn >= 4 && has_bytes(msg, d, dn);
		free(d);
	}
	return found;
}

/* Whether msg holds a piece of url that may be a secret: the password
 * of user:password@ (or the whole user part, a token given as the user
 * name), a segment of the path (a token in it: pp_url_redact hides the
 * path for that), or a value of the query (access_token=...). The
 * query's names are not: an error may name the parameter it refuses. */
static int
leaks_url(const char *msg, const char *url)
{
	const char *p = strstr(url, "://"), *end, *at = NULL, *colon, *s;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (const char *c = p; c < end; c++)
		if (*c == '@')
			at = c;
	if (at) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (!colon)
			colon = p - 1;
		if (at - colon > 1 && has_piece(msg, colon + 1,
		    (size_t)(at - colon - 1)))
			return 1;
	}
	/* the path's segments */
	for (s = end; *s == '/'; ) {
		size_t n = strcspn(s + 1, "/?#");

		if (has_piece(msg, s + 1, n))
			return 1;
		s += 1 + n;
	}
	/* the query's values */
	for (s = *s == '?' ? s : NULL; s && *s && *s != '#'; ) {
		const char *v = s + 1 + strcspn(s + 1, "=&#");

		if (*v != '=') {
			s = *v == '&' ? v : NULL;
			continue;
		}
		v++;
		if (has_piece(msg, v, strcspn(v, "&#")))
			return 1;
		s = v + strcspn(v, "&#");
		if (*s != '&')
			break;
	}
	return 0;
}

/* ": errorType: error" of a JSON error body (Prometheus answers 400
 * bad_data, 422 execution, 503 timeout so), on one line and cut short;
 * nothing when there is none or it would show a secret of the URL. */
static void
error_body(struct pp_buf *out, const char *body, size_t len, const char *url)
{
	char jerr[64];
	json_object *o = len ? pp_json_parse(body, len, jerr, sizeof jerr) :
		NULL;
	const char *type = pp_jstr(o, "errorType", NULL);
	const char *msg = pp_jstr(o, "error", NULL);
	struct pp_buf b = {0};

	if (msg) {
		pp_buf_addstr(&b, ": ");
		if (type)
			pp_buf_printf(&b, "%.40s: ", type);
		for (size_t i = 0; msg[i] && i < 300; i++) {
			char c = (unsigned char)msg[i] < 0x20 ||
				msg[i] == 0x7f ? ' ' : msg[i];

			pp_buf_add(&b, &c, 1);
		}
		if (strlen(msg) > 300)
			pp_buf_addstr(&b, "...");
		if (!leaks_url(b.s, url))
			pp_buf_addstr(out, b.s);
	}
	pp_buf_free(&b);
	json_object_put(o);
}

char *
pp_http_get(const char *url, size_t max, double connect_timeout,
	double timeout, size_t *len, char *err, size_t errlen,
	int *transient)
{
	struct sink s = {{0}, max, 0};
	/* a message names the URL without what may be a secret in it
	 * (user:password@, a token in the path or the query), as
	 * pp-config shows it; a file:// URL's path is a path */
	char *shown = pp_url_shown(url);
	CURL *c;
	CURLcode rc;
	long status = 0;

	global_init();
	c = curl_easy_init();
	if (transient)
		*transient = !c;
	if (!c) {
		snprintf(err, errlen, "cannot fetch '%s': curl init failed",
			shown);
		free(shown);
		return NULL;
	}
	pp_buf_add(&s.buf, "", 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		(long)(connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ppscale/" PP_VERSION);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 300 && status < 400) {
		/* not followed: a redirect may carry the credentials to
		 * another host, and its body is no answer (a login page) */
		char *to = NULL, *to_shown;

		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &to);
		to_shown = to ? pp_url_redact(to) : pp_xstrdup("nowhere");
		snprintf(err, errlen, "cannot fetch '%s': HTTP status %ld, a "
			"redirect to '%s' (not followed: give that URL)",
			shown, status, to_shown);
		free(to_shown);
	}
	curl_easy_cleanup(c);
	if (s.too_big) {
		snprintf(err, errlen, "cannot fetch '%s': answer larger than "
			"%zu bytes", shown, max);
	} else if (rc != CURLE_OK) {
		snprintf(err, errlen, "cannot fetch '%s': %s", shown,
			curl_easy_strerror(rc));
	} else if (status >= 400) {
		struct pp_buf why = {0};

		pp_buf_add(&why, "", 0);
		error_body(&why, s.buf.s, s.buf.len, url);
		snprintf(err, errlen, "cannot fetch '%s': HTTP status %ld%s",
			shown, status, why.s);
		pp_buf_free(&why);
	}
	free(shown);
	if (s.too_big || rc != CURLE_OK || status >= 300) {
		if (transient)
			*transient = get_transient(rc, status, s.too_big);
		pp_buf_free(&s.buf);
		return NULL;
	}
	*len = s.buf.len;
	return s.buf.s;
}

char *
pp_fetch_url(const char *url, size_t max, size_t *len, char *err,
	size_t errlen, int *transient)
{
	return pp_http_get(url, max, 5, 30, len, err, errlen, transient);
}

/* The API client: one curl handle kept for connection reuse, reset
 * before each request so no option leaks from one request to the next. */

void
pp_http_resp_free(struct pp_http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

void
pp_http_client_init(struct pp_http_client *c)
{
	global_init();
	c->curl = curl_easy_init();
	if (!c->curl)
		pp_die(PP_EXIT_FAIL, "cannot initialise libcurl");
	c->rl_limit = c->rl_remaining = -1;
	c->rl_reset = 0;
	c->rng = (unsigned)time(NULL) ^ (unsigned)getpid() ^
		(unsigned)(pp_monotonic() * 1e6);
}

void
pp_http_client_free(struct pp_http_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	free(c->base);
	if (c->auth_header) {
		/* the token should not linger in freed memory */
		memset(c->auth_header, 0, strlen(c->auth_header));
		free(c->auth_header);
	}
	c->base = c->auth_header = NULL;
}

double
pp_http_until(time_t t)
{
	time_t now = time(NULL);

	return t > now ? (double)(t - now) : 0;
}

char *
pp_url_escape(const char *s)
{
	struct pp_buf b = {0};

	pp_buf_add(&b, "", 0);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
			pp_buf_add(&b, (const char *)p, 1);
		else
			pp_buf_printf(&b, "%%%02X", *p);
	}
	return b.s;
}

struct hdrs {
	long limit, remaining;
	long long reset;
	time_t date;          /* the Date header; -1 none */
};

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct hdrs *h = arg;
	size_t len = size * n, k = len;
	char line[256];
	char *colon;

	if (len >= sizeof line)
		return len;
	memcpy(line, p, len);
	while (k && (line[k - 1] == '\n' || line[k - 1] == '\r'))
		k--;
	line[k] = '\0';
	colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	if (!strcasecmp(line, "RateLimit-Limit"))
		h->limit = strtol(colon + 1, NULL, 10);
	else if (!strcasecmp(line, "RateLimit-Remaining"))
		h->remaining = strtol(colon + 1, NULL, 10);
	else if (!strcasecmp(line, "RateLimit-Reset"))
		h->reset = strtoll(colon + 1, NULL, 10);
	else if (!strcasecmp(line, "Date"))
		h->date = curl_getdate(colon + 1, NULL);
	return len;
}

void
pp_http_wait(struct pp_http_client *c, double s)
{
	if (s <= 0)
		return;
	if (c->sleep)
		c->sleep(s, c->sleep_arg);
	else
		pp_sleep(s);
	c->waited += s;
}

static int
past_deadline(const struct pp_http_client *c, double delay)
{
	return c->deadline > 0 && pp_monotonic() + delay > c->deadline;
}

/* A timeout of an attempt, cut to the time left before the deadline:
 * the deadline bounds a request in flight too, not only the waits
 * between requests (a delete holds the registry lock until it ends).
 * 0 or less is no timeout of its own. */
static double
bounded(const struct pp_http_client *c, double timeout)
{
	double left;

	if (c->deadline <= 0)
		return timeout;
	left = c->deadline - pp_monotonic();
	if (left < 0.001)
		left = 0.001;
	return timeout <= 0 || left < timeout ? left : timeout;
}

/* Milliseconds for libcurl, where 0 means "no timeout": never below 1. */
static long
ms(double s)
{
	if (s <= 0)
		return 0;
	/* rounded up: a timeout cut to the deadline ends at or past it */
	return (long)(s * 1000 + 0.999);
}

/* One attempt, no retries. A request that is not idempotent goes on a
 * connection of its own that is closed after it: libcurl re-sends a
 * request by itself when a reused connection turns out dead ("Connection
 * died, retrying a fresh connect"), and a POST /servers that reached
 * the API before the connection died would create a second server. */
static void
attempt(struct pp_http_client *c, const char *method, const char *path,
	const char *body, int idempotent, struct pp_http_resp *r)
{
	struct sink s = {{0}, PP_HTTP_MAX, 0};
	struct hdrs h = {-1, -1, -1, -1};
	struct curl_slist *hl = NULL;
	CURL *cu = c->curl;
	char *url = pp_xasprintf("%s%s", c->base, path);
	CURLcode rc;

	pp_buf_add(&s.buf, "", 0);
	curl_easy_reset(cu);
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS,
		ms(bounded(c, c->connect_timeout)));
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, ms(bounded(c, c->timeout)));
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "ppscale/" PP_VERSION);
	if (!idempotent) {
		curl_easy_setopt(cu, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(cu, CURLOPT_FORBID_REUSE, 1L);
	}
	hl = curl_slist_append(hl, "Accept: application/json");
	if (c->auth_header)
		hl = curl_slist_append(hl, c->auth_header);
	if (body) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
	else if (!strcmp(method, "POST") && !body)
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hl);

	rc = curl_easy_perform(cu);
	c->requests++;
	r->curl_code = (int)rc;
	r->status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &r->status);
	else if (s.too_big)
		snprintf(r->error, sizeof r->error, "answer larger than %u "
			"bytes", PP_HTTP_MAX);
	else
		snprintf(r->error, sizeof r->error, "%s",
			curl_easy_strerror(rc));
	r->body = s.buf.s;
	r->len = s.buf.len;
	if (h.limit >= 0)
		c->rl_limit = h.limit;
	if (h.remaining >= 0)
		c->rl_remaining = h.remaining;
	if (h.reset >= 0)
		c->rl_reset = (time_t)h.reset;
	if (h.date > 0) {
		/* this host's wall clock, not pp_now(): --now replays a
		 * time, the API's clock is the world's */
		c->clock_skew = (long long)h.date - (long long)time(NULL);
		c->has_date = 1;
	}
	if (c->on_request)
		c->on_request(c->on_request_arg, method, path, body,
			r->status);
	curl_slist_free_all(hl);
	free(url);
}

int
pp_http_retry_class(const struct pp_http_resp *r, const char *code)
{
	if (r->curl_code) {
		switch (r->curl_code) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_SSL_CONNECT_ERROR:
			/* no request was sent before the handshake ended */
			return PP_RETRY_SAFE;
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			/* a GOAWAY or RST_STREAM (a load balancer's deploy)
			 * may come after the API acted on the request */
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_GOT_NOTHING:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
		case CURLE_PARTIAL_FILE:
			return PP_RETRY_AMBIGUOUS;
		default:
			return PP_RETRY_NO;
		}
	}
	switch (r->status) {
	case 409:
		/* uniqueness_error is a definite answer */
		return code && !strcmp(code, "conflict") ? PP_RETRY_SAFE :
			PP_RETRY_NO;
	case 423:
		/* locked: an action holds the resource and ends; protected
		 * (delete protection) lasts until someone lifts it, and
		 * resource_locked until Hetzner's support does (hcloud-go's
		 * error.go: "the caller should contact support") */
		return code && (!strcmp(code, "protected") ||
			!strcmp(code, "resource_locked")) ? PP_RETRY_NO :
			PP_RETRY_SAFE;
	case 429:
		return PP_RETRY_SAFE;
	case 502:
	case 503:
	case 504:
		return PP_RETRY_AMBIGUOUS;
	default:
		return PP_RETRY_NO;
	}
}

/* The API's error code in an answer, for classification. */
static void
error_code(const struct pp_http_resp *r, char *code, size_t len)
{
	const char *p = r->body ? strstr(r->body, "\"code\"") : NULL;
	size_t n = 0;

	*code = '\0';
	if (!p)
		return;
	p = strchr(p + 6, '"');
	if (!p)
		return;
	p++;
	while (p[n] && p[n] != '"' && n + 1 < len)
		n++;
	memcpy(code, p, n);
	code[n] = '\0';
}

/* Seconds until one more request is in the budget: Hetzner refills
 * RateLimit-Limit requests an hour evenly (3600: one a second). */
double
pp_http_refill_seconds(const struct pp_http_client *c)
{
	return 3600.0 / (double)(c->rl_limit > 0 ? c->rl_limit : 3600);
}

/* Waits for budget before an attempt. RateLimit-Reset is when the
 * budget is *full* again (up to an hour away): never a time to wait
 * for. One request refills every pp_http_refill_seconds, so with none
 * left that is the wait (required); below the reserve it paces us so
 * the reserve (shared with every other tool of the project) is never
 * spent. Returns -1 when a required wait would pass the deadline. */
static int
rate_wait(struct pp_http_client *c)
{
	double d = pp_http_refill_seconds(c);

	if (c->rl_remaining < 0 || c->rl_remaining >= c->rate_reserve)
		return 0;
	if (c->rl_remaining == 0) {
		if (past_deadline(c, d))
			return -1;
		pp_debug("rate limit: no requests left, waiting %.2f s", d);
		pp_http_wait(c, d);
		c->rl_remaining = 1;
		return 0;
	}
	if (!past_deadline(c, d))
		pp_http_wait(c, d);
	return 0;
}

static double
backoff(struct pp_http_client *c, long n)
{
	double d = c->retry_base;

	for (long i = 0; i < n && d < c->retry_max; i++)
		d *= 2;
	if (d > c->retry_max)
		d = c->retry_max;
	/* equal jitter: half fixed, half random, so two pipelines that
	 * failed together do not retry together */
	return d / 2 + d / 2 * ((double)(rand_r(&c->rng) % 1000) / 1000.0);
}

/* c->locked, unset while it runs: the requests it sends are not the
 * ones it was asked about. */
static int
locked_done(struct pp_http_client *c)
{
	int (*fn)(void *) = c->locked;
	int rc;

	c->locked = NULL;
	rc = fn(c->locked_arg);
	c->locked = fn;
	return rc > 0;
}

int
pp_http_call(struct pp_http_client *c, const char *method,
	const char *path, const char *body, int idempotent,
	int (*check)(void *arg), void *check_arg, struct pp_http_resp *r)
{
	char code[64];
	long n429 = 0, n423 = 0;

	memset(r, 0, sizeof *r);
	for (long n = 0;; n++) {
		int cls;
		double d;

		if (n > 0 && pp_interrupted()) {
			/* r holds the last attempt's answer */
			r->interrupted = 1;
			return -1;
		}
		if (rate_wait(c) < 0) {
			snprintf(r->error, sizeof r->error, "rate limit "
				"reached: no request left in the budget, and "
				"waiting for one would pass the deadline");
			r->status = 429;
			r->gave_up = 1;
			return -1;
		}
		pp_http_resp_free(r);
		if (c->deadline > 0 && pp_monotonic() >= c->deadline) {
			/* nothing sent: status 0 and no curl code */
			snprintf(r->error, sizeof r->error, "not sent: the "
				"deadline had passed");
			r->gave_up = 1;
			return -1;
		}
		attempt(c, method, path, body, idempotent, r);
		if (!r->curl_code && r->status >= 200 && r->status < 300)
			return 0;
		error_code(r, code, sizeof code);
		cls = pp_http_retry_class(r, code);
		/* locked by an action that does what we ask (someone
		 * else's delete of the server we delete): nothing to wait
		 * for, and the retries would only end at the deadline */
		if (r->status == 423 && cls == PP_RETRY_SAFE && c->locked &&
		    locked_done(c)) {
			r->resolved = 1;
			return 0;
		}
		/* a 429 is retried until the deadline, not by count, and so
		 * is a 423 locked: the action holding the server ends
		 * (without a deadline, retries bounds them too) */
		if ((r->status == 429 || r->status == 423) &&
		    c->deadline > 0)
			n--;
		if (cls == PP_RETRY_NO || n >= c->retries)
			return -1;
		if (cls == PP_RETRY_AMBIGUOUS && !idempotent) {
			int rc = check ? check(check_arg) : -1;

			if (rc != 0) {
				r->resolved = rc > 0;
				return rc > 0 ? 0 : -1;
			}
		}
		if (r->status == 429) {
			/* the next request is possible in about a second;
			 * back off from there, growing, never until the
			 * reset */
			d = pp_http_refill_seconds(c);
			for (long i = 0; i < n429 && d < 60; i++)
				d *= 2;
			n429++;
			c->rl_remaining = 0;
		} else if (r->status == 423) {
			d = backoff(c, n423++);
		} else {
			d = backoff(c, n);
		}
		if (past_deadline(c, d)) {
			r->gave_up = 1;
			return -1;
		}
		if (pp_interrupted()) {
			r->interrupted = 1;
			return -1;
		}
		pp_debug("%s %s failed (%s), retrying in %.2f s", method,
			path, r->curl_code ? r->error : code, d);
		pp_http_wait(c, d);
		/* the back-off was the wait: the next answer says again
		 * what is left */
		if (r->status == 429)
			c->rl_remaining = -1;
	}
}
