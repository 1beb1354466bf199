/* http.c: libcurl wrapper: timeouts, size caps, retries with backoff and
 * jitter, rate-limit headers, request counting and recording */
#ifndef PP_HTTP_H
#define PP_HTTP_H

#include <stddef.h>
#include <time.h>

/* GETs url (http, https or file) with connect and total timeouts in
 * seconds, refusing answers above max bytes or with a status >= 300
 * (a redirect is not followed; the message names where it led,
 * redacted, and for a JSON error body its errorType and error, on one
 * line, cut short, left out if they would show a secret of url).
 * Returns the body (NUL-terminated, caller frees) or NULL with a
 * message in err and, when transient is not NULL, in *transient
 * whether the same request may work later: 1 for no answer (a
 * connection refused or reset, a timeout, a name that did not
 * resolve, a TLS handshake cut short) and for a 408, 429 or 5xx; 0
 * for a malformed URL or one of a protocol not taken, a file:// that
 * cannot be read, a certificate that does not verify or TLS set up
 * wrong (a CA file that cannot be read), a 3xx, another 4xx, or an
 * answer above max. */
char *pp_http_get(const char *url, size_t max, double connect_timeout,
	double timeout, size_t *len, char *err, size_t errlen,
	int *transient);

/* Largest API answer accepted. */
#define PP_HTTP_MAX (16u * 1024 * 1024)

/* One answer (or the failure to get one). */
struct pp_http_resp {
	long status;          /* HTTP status; 0 when there was no answer */
	char *body;           /* NUL-terminated; owned, pp_http_resp_free */
	size_t len;
	int curl_code;        /* CURLcode; 0 when the transfer worked */
	char error[256];      /* why there was no usable answer */
	int gave_up;          /* a wait would have passed the deadline */
	int resolved;         /* an ambiguity check found it took effect,
	                       * or a locked check that it is under way */
	int interrupted;      /* a retry was left out: pp_interrupted() */
};
void pp_http_resp_free(struct pp_http_resp *r);

/* A client of one JSON API. Fill the settings, then call
 * pp_http_client_init; pp_http_client_free releases it. */
struct pp_http_client {
	/* settings */
	char *base;           /* endpoint without trailing '/', owned */
	char *auth_header;    /* "Authorization: Bearer ...", owned, secret:
	                       * never logged, recorded or put in errors */
	double connect_timeout, timeout;  /* seconds per attempt */
	long retries;         /* extra attempts after the first */
	double retry_base;    /* first backoff delay; doubles each time */
	double retry_max;     /* cap of one backoff delay */
	long rate_reserve;    /* pace requests below this many left */
	double deadline;      /* pp_monotonic() time no wait may pass;
	                       * 0 = none */
	/* Sleeps; NULL = pp_sleep. Tests may count instead of sleeping. */
	void (*sleep)(double seconds, void *arg);
	void *sleep_arg;
	/* Called for every request sent (status 0 when no answer): the
	 * method, the path relative to base (with query) and the body. */
	void (*on_request)(void *arg, const char *method, const char *path,
		const char *body, long status);
	void *on_request_arg;
	/* Asked after a 423 locked, before it is retried: 1 ends the call
	 * with resolved set (what the request asks for is being done
	 * already by another: a DELETE of a server someone else is
	 * deleting), 0 (or -1: it cannot tell) retries as ever. NULL:
	 * never asked. A caller sets it for one call and clears it. */
	int (*locked)(void *arg);
	void *locked_arg;

	/* what happened */
	long requests;        /* requests sent */
	double waited;        /* seconds slept in backoff and rate waits */
	long rl_limit, rl_remaining;   /* -1 until an answer had them */
	time_t rl_reset;
	/* The last answer's Date header less this host's clock when it
	 * came, in seconds (whole seconds: the header has no more);
	 * has_date is 0 until an answer had one. */
	long long clock_skew;
	int has_date;

	/* private */
	void *curl;
	unsigned rng;
};
void pp_http_client_init(struct pp_http_client *c);
void pp_http_client_free(struct pp_http_client *c);

/* Why a failed attempt may be repeated. */
enum pp_http_retry {
	PP_RETRY_NO,          /* a definite answer: do not repeat */
	PP_RETRY_SAFE,        /* refused without effect (429, 409 conflict,
	                       * 423, connection refused, a failed TLS
	                       * handshake) */
	PP_RETRY_AMBIGUOUS    /* may have taken effect (502/503/504, a
	                       * dropped connection, an HTTP/2 stream or
	                       * connection error, a timeout) */
};
/* Classifies an attempt; code is the API's error code, or NULL. */
int pp_http_retry_class(const struct pp_http_resp *r, const char *code);

/* Sends method path (relative to base) with an optional JSON body.
 * Before each attempt it reads the rate-limit budget: when fewer than
 * rate_reserve requests are left it waits until one more has refilled
 * (pp_http_refill_seconds; required when none is left, and then, if it
 * would pass the deadline, gave_up is set and nothing is sent).
 * RateLimit-Reset, when the budget is full again, is never waited for.
 * A 429 is retried after about a second, doubling, until the deadline;
 * a 423 locked (an action holds the resource) with backoff until the
 * deadline, unless c->locked finds the request's work under way.
 * Other failed attempts are repeated with exponential backoff and
 * jitter while retries last: every
 * retryable failure when idempotent, otherwise only PP_RETRY_SAFE
 * ones, and an ambiguous one only after check(check_arg) returned 0
 * ("it did not happen"); a check returning 1 ends the call with
 * resolved set, -1 gives up. No wait passes the deadline (gave_up),
 * no attempt starts at or past it (gave_up, status 0, curl_code 0),
 * and an attempt's timeouts are cut to the time left. After a signal
 * (pp_interrupted) no retry is made: interrupted is set and *r holds
 * the last attempt.
 * A request that is not idempotent is sent on a fresh connection,
 * closed after it, so that libcurl never re-sends it by itself.
 * Returns 0 for a 2xx answer or resolved set, else -1; *r holds the
 * last attempt. */
int pp_http_call(struct pp_http_client *c, const char *method,
	const char *path, const char *body, int idempotent,
	int (*check)(void *arg), void *check_arg, struct pp_http_resp *r);

/* Sleeps through c->sleep and counts it in c->waited. */
void pp_http_wait(struct pp_http_client *c, double seconds);

/* Seconds until the budget holds one more request (RateLimit-Limit an
 * hour, evenly: 1 s for Hetzner's 3600). */
double pp_http_refill_seconds(const struct pp_http_client *c);
/* Seconds from now to t on the wall clock, never negative. */
double pp_http_until(time_t t);

/* Percent-encodes s for a query string (caller frees). */
char *pp_url_escape(const char *s);

/* GETs an http(s) URL (a registry or history given as a URL) under
 * the default timeouts; NULL on failure with a message in err and
 * *transient set as by pp_http_get. */
char *pp_fetch_url(const char *url, size_t max, size_t *len, char *err,
	size_t errlen, int *transient);

#endif
