/* The Hetzner Cloud provider: API v1 over libcurl (http.c) and json-c.
 * What it guards against is DESIGN sections 7 and 8: pagination, action
 * polling, the shared rate-limit budget, retries only where a request
 * is safe to repeat, location moved out of datacenter, orderability
 * from locations[].available, and a token that never leaks. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <curl/curl.h>

#include "conf/catalog.h"
#include "cloud/cloud.h"
#include "base/json.h"
#include "base/http.h"
#include "cloud/labels.h"
#include "cloud/hetzner_int.h"
#include "base/util.h"

#define TOKEN_MAX 4096
#define MAX_PAGES 1000
/* times a list whose total changed between its pages is read again */
#define MAX_RESTARTS 3
static void
on_request(void *arg, const char *method, const char *path,
	const char *body, long status)
{
	pp_cloud_record(arg, method, path, body, 1, status);
}

/* Plain http only to this machine (the tests' fake); TLS elsewhere.
 * The URL is taken apart by libcurl's own parser, the one that will
 * connect: a prefix test let "http://127.0.0.1:1@evil/" through, which
 * is plain http to evil with the token. No user info at all. */
static int
endpoint_ok(const char *url)
{
	static const char *local[] = {"127.0.0.1", "localhost", "[::1]"};
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	int ok = 0;

	if (!u)
		pp_die(PP_EXIT_FAIL, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER) {
		/* RFC 3986 3.1, 3.2.2: scheme and host in any case */
		if (!strcasecmp(scheme, "https"))
			ok = 1;
		for (size_t i = 0; !ok && !strcasecmp(scheme, "http") &&
		    i < sizeof local / sizeof local[0]; i++)
			ok = !strcasecmp(host, local[i]);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}

/* The endpoint as a message names it: a user name and password in it,
 * refused, would go on to stderr, the events file and the webhook. */
static char *
without_userinfo(const char *url)
{
	const char *p = strstr(url, "://");
	const char *host = p ? p + 3 : url;
	const char *end = host + strcspn(host, "/?#"), *at = NULL;

	for (const char *q = host; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return pp_xstrdup(url);
	return pp_xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

static int
token_ok(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return 0;
	return 1;
}

/* The token of cloud.token_file, trailing blanks cut (the caller wipes
 * and frees it), or NULL with a message naming the file in err. */
static char *
read_token_file(const char *path, char *err, size_t errlen)
{
	char *tok;
	size_t len;
	FILE *f;
	int fd;

	fd = pp_secret_open(path, "token file", err, errlen);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read token file '%s': %s", path,
			strerror(errno));
		close(fd);
		return NULL;
	}
	tok = pp_read_stream(f, TOKEN_MAX, &len);
	if (!tok) {
		snprintf(err, errlen, "cannot read token file '%s': %s", path,
			strerror(errno));
		fclose(f);
		return NULL;
	}
	fclose(f);
	while (len && strchr(" \t\r\n", tok[len - 1]))
		tok[--len] = '\0';
	return tok;
}

/* Whatever this environment holds: cron and the unit start the tools
 * without HCLOUD_TOKEN (the shipped ones set none), and then they read
 * the file, so a check that skipped it when its own shell had the
 * variable passed while every cycle failed. Yet a unit that gives
 * HCLOUD_TOKEN through EnvironmentFile= (as pp-config(1) suggests) works
 * with a stale file configured: with the variable set here, a bad file
 * is a warning (1), not a refusal (-1). */
int
pp_cloud_token_check(const struct pp_config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->cloud.token_file;
	const char *env = getenv("HCLOUD_TOKEN");
	char *tok;
	size_t n;
	int ok;

	if (strcmp(cfg->cloud.provider, "hetzner") || !path)
		return 0;
	tok = read_token_file(path, err, errlen);
	ok = tok && token_ok(tok);
	if (tok) {
		memset(tok, 0, strlen(tok));
		free(tok);
		if (!ok)
			snprintf(err, errlen, "token file '%s' holds no token: "
				"it is empty or holds blanks or control "
				"characters", path);
	}
	if (ok)
		return 0;
	if (!env || !*env)
		return -1;
	n = strlen(err);
	if (n < errlen)
		snprintf(err + n, errlen - n, " (HCLOUD_TOKEN is set here, "
			"and the tools given it work, but a tool run without "
			"it reads the file and fails, as under the shipped "
			"cron file and unit)");
	return 1;
}

static char *
read_token(const struct pp_config *cfg, struct pp_cloud_error *err)
{
	const char *env = getenv("HCLOUD_TOKEN");
	const char *path = cfg->cloud.token_file;
	char msg[768];
	char *tok;

	if (env && *env)
		return pp_xstrdup(env);
	if (!path) {
		pp_cloud_error_set(err, "config", 0, 0, "no Hetzner API "
			"token: set HCLOUD_TOKEN or cloud.token_file");
		return NULL;
	}
	tok = read_token_file(path, msg, sizeof msg);
	if (!tok)
		pp_cloud_error_set(err, "config", 0, 0, "%s", msg);
	return tok;
}

void
pp_hz_sync_counters(struct hz *h)
{
	long long d = h->http.clock_skew;

	h->c->http_requests = h->http.requests;
	h->c->waited = h->http.waited;
	if (!h->http.has_date)
		return;
	h->c->clock_skew = llabs(d) >= PP_CLOCK_TOLERANCE ? d : 0;
	if (h->c->clock_skew && !h->skew_warned) {
		/* ahead, this host counts a new server's boot as too long
		 * (expired, bought again); behind, a dead one as booting */
		h->skew_warned = 1;
		pp_warn("this host's clock is %lld s %s the Hetzner API's "
			"(its Date header): servers' ages are counted on this "
			"host's clock; set its time (NTP)", llabs(d),
			d < 0 ? "ahead of" : "behind");
	}
}

/* Whether an API error refuses the location itself: an invalid_input
 * saying "unsupported location" (a type Hetzner has stopped selling
 * there, ordered from a catalog cached before: trellis-cli issue 622
 * shows "unsupported location for server type (invalid_input)"). Not
 * any invalid_input about the field location: a location that does
 * not exist ("location 'x' not found", terraform-provider-hcloud
 * issue 493) is a mistake no other location answers. */
static int
location_input(const char *code, const char *msg)
{
	return code && !strcmp(code, "invalid_input") && msg &&
		strstr(msg, "unsupported location");
}

/* Turns a failed call into *err. */
static void
fail(struct hz *h, const char *method, const char *path,
	const struct pp_http_resp *r, struct pp_cloud_error *err)
{
	json_object *o = r->body && r->len ?
		json_tokener_parse(r->body) : NULL;
	json_object *e = pp_jget(o, "error");
	const char *code = pp_jstr(e, "code", NULL);
	const char *msg = pp_jstr(e, "message", NULL);
	const char *why = r->interrupted ? " (interrupted: not retried)" :
		r->gave_up ? " (gave up: waiting longer would pass the "
		"deadline)" : "";
	const char *q = strchr(path, '?');
	int plen = q ? (int)(q - path) : (int)strlen(path);
	int retry;

	(void)h;
	if (r->gave_up && r->status == 429 && !r->curl_code && !code) {
		pp_cloud_error_set(err, "rate_limit_exceeded", 429, 1,
			"%s %.*s: %s", method, plen, path, r->error);
	} else if (!r->status && !r->curl_code) {
		pp_cloud_error_set(err, "timeout", 0, 1, "%s %.*s: %s",
			method, plen, path, r->error);
	} else if (r->curl_code) {
		pp_cloud_error_set(err, r->curl_code ==
			CURLE_OPERATION_TIMEDOUT ? "timeout" : "transport", 0,
			pp_http_retry_class(r, NULL) != PP_RETRY_NO,
			"%s %.*s: no answer from the API: %s%s", method, plen,
			path, r->error, why);
	} else {
		if (!code)
			code = r->status == 429 ? "rate_limit_exceeded" :
				"http_error";
		retry = pp_http_retry_class(r, code) != PP_RETRY_NO;
		/* no retry nor wait lifts it: say who can */
		if (!strcmp(code, "resource_locked"))
			why = "; Hetzner has locked this resource: contact "
				"Hetzner support";
		/* ours for a refusal of the type in this location that
		 * another location may take; the API's code stays in the
		 * message */
		pp_cloud_error_set(err, location_input(code, msg) ?
			"unsupported_location" : code, (int)r->status, retry,
			"%s %.*s: %s (%s, HTTP %ld)%s", method, plen, path,
			msg ? msg : "no error message", code, r->status, why);
	}
	json_object_put(o);
}

int
pp_hz_api(struct hz *h, const char *method, const char *path, const char *body,
	int idempotent, int (*check)(void *), void *arg, json_object **out,
	int *resolved, struct pp_cloud_error *err)
{
	struct pp_http_resp r;
	char msg[128];
	int rc;

	*out = NULL;
	if (resolved)
		*resolved = 0;
	h->http.deadline = h->c->deadline;
	rc = pp_http_call(&h->http, method, path, body, idempotent, check,
		arg, &r);
	pp_hz_sync_counters(h);
	if (rc < 0) {
		fail(h, method, path, &r, err);
		pp_http_resp_free(&r);
		return -1;
	}
	if (r.resolved) {
		*resolved = 1;
		pp_http_resp_free(&r);
		return 0;
	}
	if (r.len) {
		*out = pp_json_parse(r.body, r.len, msg, sizeof msg);
		if (!*out) {
			pp_cloud_error_set(err, "bad_answer", (int)r.status, 0,
				"%s %s: the API answered malformed JSON: %s",
				method, path, msg);
			pp_http_resp_free(&r);
			return -1;
		}
	}
	pp_http_resp_free(&r);
	return 0;
}

static char *
jdup(json_object *o, const char *key)
{
	const char *s = pp_jstr(o, key, NULL);

	return s ? pp_xstrdup(s) : NULL;
}

void
pp_hz_where(struct pp_cloud_error *err, const char *method, const char *path)
{
	char msg[sizeof err->message];

	memcpy(msg, err->message, sizeof msg);
	snprintf(err->message, sizeof err->message, "%s %.200s: %.280s",
		method, path, msg);
}

int
pp_hz_id(json_object *o, const char *what, long long *id,
	struct pp_cloud_error *err)
{
	int rc = pp_jint_get(o, "id", 1, INT64_MAX, id);

	if (rc == PP_JINT_OK)
		return 0;
	pp_cloud_error_set(err, "bad_answer", 200, 0, "the API answered %s "
		"whose id is %s", what, rc == PP_JINT_ABSENT ? "missing" :
		rc == PP_JINT_TYPE ? "not an integer" : rc == PP_JINT_HUGE ?
		"beyond 64 bits" : "below 1");
	return -1;
}

int
pp_hz_parse_server(json_object *o, struct pp_server *s,
	struct pp_cloud_error *err)
{
	long long id;

	json_object *loc = pp_jget(o, "location");
	json_object *labels = pp_jget(o, "labels");
	json_object *priv = pp_jget(o, "private_net");
	const char *created = pp_jstr(o, "created", NULL);

	memset(s, 0, sizeof *s);
	if (pp_hz_id(o, "a server", &id, err) < 0)
		return -1;
	s->id = pp_xasprintf("%lld", id);
	s->name = jdup(o, "name");
	s->status = jdup(o, "status");
	s->type = jdup(pp_jget(o, "server_type"), "name");
	s->type_memory_gb = pp_jdouble(pp_jget(o, "server_type"), "memory",
		0);
	if (!(s->type_memory_gb > 0 && s->type_memory_gb <= PP_MEMORY_GB_MAX))
		s->type_memory_gb = 0;
	/* top-level location since 2025; datacenter.location before */
	if (!pp_jstr(loc, "name", NULL))
		loc = pp_jpath(o, "datacenter.location");
	s->location = jdup(loc, "name");
	s->ipv4 = jdup(pp_jpath(o, "public_net.ipv4"), "ip");
	if (priv && json_object_is_type(priv, json_type_array) &&
	    json_object_array_length(priv) > 0)
		s->private_ip = jdup(json_object_array_get_idx(priv, 0), "ip");
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v) {
			if (json_object_is_type(v, json_type_string))
				pp_strmap_set(&s->labels, k,
					json_object_get_string(v));
		}
	}
	if (created)
		pp_parse_time(created, &s->created);
	s->delete_protected = pp_jbool(pp_jget(o, "protection"), "delete", 0);
	return 0;
}

static int
valid_id(const char *id, struct pp_cloud_error *err)
{
	if (*id && strspn(id, "0123456789") == strlen(id))
		return 1;
	pp_cloud_error_set(err, "not_found", 0, 0, "server id '%s' is not "
		"a Hetzner server id", id);
	return 0;
}

static int
hz_get(struct pp_cloud *c, const char *id, struct pp_server *out,
	struct pp_cloud_error *err)
{
	struct hz *h = c->priv;
	json_object *o;
	char *path;
	int rc;

	if (!valid_id(id, err))
		return -1;
	path = pp_xasprintf("/servers/%s", id);
	rc = pp_hz_api(h, "GET", path, NULL, 1, NULL, NULL, &o, NULL, err);
	if (rc == 0 && pp_hz_parse_server(pp_jget(o, "server"), out, err) < 0) {
		pp_hz_where(err, "GET", path);
		rc = -1;
	}
	free(path);
	json_object_put(o);
	return rc;
}

/* One listing, every page, into all. Pages are offsets (page,
 * per_page: the API has no cursor), so an item removed from a page
 * already read shifts the first item of the next page out of both,
 * and id order only keeps new items from doing the same. So the total
 * page 1 gave must hold to the last page: 1 when it changed (the
 * listing is to be read again), 0 when done, -1 with err. A null
 * total (the API may send one) cannot be checked. */
static int
get_all(struct hz *h, const char *path, const char *key, json_object *all,
	long long *total, long long *now, struct pp_cloud_error *err)
{
	long page = 1;

	*total = *now = -1;
	for (int n = 0; n < MAX_PAGES; n++) {
		char *p = pp_xasprintf("%s%cper_page=50&page=%ld&sort=id:asc",
			path, strchr(path, '?') ? '&' : '?', page);
		json_object *o, *items, *next, *t;
		long long count, to = 0;
		int rc = pp_hz_api(h, "GET", p, NULL, 1, NULL, NULL, &o, NULL, err);

		free(p);
		if (rc < 0)
			return -1;
		items = pp_jget(o, key);
		if (!items || !json_object_is_type(items, json_type_array)) {
			pp_cloud_error_set(err, "bad_answer", 200, 0, "GET %s: "
				"the answer has no '%s' list", path, key);
			json_object_put(o);
			return -1;
		}
		t = pp_jpath(o, "meta.pagination.total_entries");
		next = pp_jpath(o, "meta.pagination.next_page");
		rc = pp_jint_value(t, 0, INT64_MAX, &count);
		if (rc < 0 || pp_jint_value(next, 1, INT64_MAX, &to) < 0) {
			pp_cloud_error_set(err, "bad_answer", 200, 0, "GET %s: "
				"the API answered a malformed meta.pagination."
				"%s (not an integer of 0 or more, or beyond 64 "
				"bits)", path, rc < 0 ? "total_entries" :
				"next_page");
			json_object_put(o);
			return -1;
		}
		if (rc == PP_JINT_OK) {
			*now = count;
			if (page == 1)
				*total = *now;
			else if (*total >= 0 && *now != *total) {
				json_object_put(o);
				return 1;
			}
		}
		/* null on the last page (API reference: "can be null if
		 * the current page is the last one"); a page at or before
		 * this one is no next page, and taking it for the end
		 * would drop every later page silently */
		if (next && to <= page) {
			pp_cloud_error_set(err, "bad_answer", 200, 0, "GET %s: "
				"the API answered meta.pagination.next_page %lld "
				"on page %ld: not after it", path, to, page);
			json_object_put(o);
			return -1;
		}
		for (size_t i = 0; i < json_object_array_length(items); i++)
			json_object_array_add(all, json_object_get(
				json_object_array_get_idx(items, i)));
		json_object_put(o);
		if (!next)
			return 0;
		page = (long)to;
	}
	pp_cloud_error_set(err, "bad_answer", 200, 0, "GET %s: more than %d "
		"pages", path, MAX_PAGES);
	return -1;
}

/* GETs every page of a collection; calls each() on every item, once
 * the pages are known to make one listing (get_all). */
int
pp_hz_get_pages(struct hz *h, const char *path, const char *key,
	int (*each)(json_object *, void *, struct pp_cloud_error *), void *arg,
	struct pp_cloud_error *err)
{
	long long total, now;

	for (int n = 0; n <= MAX_RESTARTS; n++) {
		json_object *all = json_object_new_array();
		int rc;

		if (!all)
			pp_die(PP_EXIT_FAIL, "out of memory");
		rc = get_all(h, path, key, all, &total, &now, err);
		for (size_t i = 0; rc == 0 && i < json_object_array_length(all);
		    i++) {
			if (each(json_object_array_get_idx(all, i), arg,
			    err) < 0) {
				pp_hz_where(err, "GET", path);
				rc = -1;
			}
		}
		json_object_put(all);
		if (rc <= 0)
			return rc;
		pp_debug("GET %s: %lld entries on page 1, %lld on a later "
			"page: reading the list again", path, total, now);
	}
	pp_cloud_error_set(err, "bad_answer", 200, 1, "GET %s: the list "
		"changed while its pages were read, %d times (%lld entries on "
		"page 1, %lld on a later page): try again", path,
		MAX_RESTARTS + 1, total, now);
	return -1;
}

int
pp_hz_add_server(json_object *o, void *arg, struct pp_cloud_error *err)
{
	struct pp_server_list *l = arg;

	l->v = pp_xreallocarray(l->v, l->n + 1, sizeof *l->v);
	if (pp_hz_parse_server(o, &l->v[l->n], err) < 0)
		return -1;
	l->n++;
	return 0;
}

/* GET /servers?name=: names are unique in a project, so the answer is
 * one page of at most one server, which no paging can shift out. */
static int
hz_find_name(struct pp_cloud *c, const char *name, struct pp_server_list *out,
	struct pp_cloud_error *err)
{
	char *esc = pp_url_escape(name);
	char *path = pp_xasprintf("/servers?name=%s", esc);
	int rc;

	free(esc);
	rc = pp_hz_get_pages(c->priv, path, "servers", pp_hz_add_server, out,
		err);
	free(path);
	if (rc < 0)
		pp_server_list_free(out);
	return rc;
}

static int
hz_list(struct pp_cloud *c, const char *selector, struct pp_server_list *out,
	struct pp_cloud_error *err)
{
	struct hz *h = c->priv;
	struct pp_selector sel;
	char msg[256];
	char *path, *esc;
	int rc;

	/* a bad selector is our bug or the user's: say so without
	 * spending a request of the shared budget */
	if (pp_selector_parse(selector, &sel, msg, sizeof msg) < 0) {
		pp_cloud_error_set(err, "invalid_input", 0, 0, "%s", msg);
		return -1;
	}
	pp_selector_free(&sel);
	esc = pp_url_escape(selector);
	path = *selector ? pp_xasprintf("/servers?label_selector=%s", esc) :
		pp_xstrdup("/servers");
	rc = pp_hz_get_pages(h, path, "servers", pp_hz_add_server, out, err);
	free(path);
	free(esc);
	if (rc < 0)
		pp_server_list_free(out);
	return rc;
}

/* What a DELETE answered 423 locked finds when it looks at its server */
struct going {
	struct pp_cloud *c;
	const char *id;
	int gone;             /* 404: deleted already */
	int deleting;         /* status deleting: another's delete runs */
};

/* http's locked check for a DELETE: the action that holds the server
 * may be a delete, someone else's begun since the guard looked (the
 * API keeps the server listed, "deleting", until it ends): then the
 * server is going and the retries of our DELETE would only end at the
 * deadline, failing the run. Any other action (a start_server) ends,
 * and the DELETE is retried as before. */
static int
delete_under_way(void *arg)
{
	struct going *g = arg;
	struct pp_cloud_error err;
	struct pp_server s;

	if (hz_get(g->c, g->id, &s, &err) < 0) {
		g->gone = !strcmp(err.code, "not_found");
		return g->gone;
	}
	g->deleting = s.status && !strcmp(s.status, "deleting");
	pp_server_free(&s);
	return g->deleting;
}

static int
hz_destroy(struct pp_cloud *c, const char *id, struct pp_cloud_error *err)
{
	struct hz *h = c->priv;
	struct going g = {c, id, 0, 0};
	json_object *o;
	char *path, *what;
	int rc, resolved;

	if (!valid_id(id, err))
		return -1;
	path = pp_xasprintf("/servers/%s", id);
	h->http.locked = delete_under_way;
	h->http.locked_arg = &g;
	rc = pp_hz_api(h, "DELETE", path, NULL, 1, NULL, NULL, &o, &resolved,
		err);
	h->http.locked = NULL;
	h->http.locked_arg = NULL;
	free(path);
	if (rc < 0)
		return -1;
	if (resolved && g.gone) {
		pp_cloud_error_set(err, "not_found", 404, 0, "server %s is "
			"gone: deleted by another since it was looked at", id);
		return -1;
	}
	if (resolved) {
		pp_note("server %s is being deleted already (a delete begun "
			"by another since it was looked at): counted as "
			"deleted", id);
		return 0;
	}
	what = pp_xasprintf("delete server %s", id);
	rc = pp_jget(o, "action") ?
		pp_hz_wait_action(h, pp_jget(o, "action"), what, 0, err) : 0;
	if (rc > 0 || (rc < 0 && !strcmp(err->code, "action_unknown"))) {
		/* the API took the DELETE and the server is deleting: the
		 * deadline (a registry lock held) ended only our wait, or a
		 * poll of its action went unanswered (a 502, a 429 at the
		 * deadline); a failed delete action leaves an orphan that a
		 * later run deletes, never a node on a server that is
		 * going */
		pp_warn("%s; the delete was accepted: counted as deleted",
			err->message);
		memset(err, 0, sizeof *err);
		rc = 0;
	}
	free(what);
	json_object_put(o);
	return rc;
}

static int
count_one(json_object *o, void *arg, struct pp_cloud_error *err)
{
	(void)o;
	(void)err;
	(*(size_t *)arg)++;
	return 0;
}

/* GET /servers/{id}/actions?status=running: whether anything runs on
 * the server (a create's actions, a power-on, someone else's). */
static int
hz_busy(struct pp_cloud *c, const char *id, struct pp_cloud_error *err)
{
	char *path;
	size_t n = 0;
	int rc;

	if (!valid_id(id, err))
		return -1;
	path = pp_xasprintf("/servers/%s/actions?status=running", id);
	rc = pp_hz_get_pages(c->priv, path, "actions", count_one, &n, err);
	free(path);
	return rc < 0 ? -1 : n > 0;
}

/* POST /servers/{id}/actions/poweron, its action left to run: the
 * caller looks at the server again. Sent once: an answer lost on the
 * way is the next look's to tell. A failure is err->unknown when the
 * API may have taken it all the same (no answer, a timeout, a 2xx that
 * could not be read, a 5xx a proxy may give after the API took it); a
 * 4xx (locked, forbidden, rate limit) says it took none. */
static int
hz_power_on(struct pp_cloud *c, const char *id, struct pp_cloud_error *err)
{
	json_object *o = NULL;
	char *path;
	int rc;

	if (!valid_id(id, err))
		return -1;
	path = pp_xasprintf("/servers/%s/actions/poweron", id);
	rc = pp_hz_api(c->priv, "POST", path, NULL, 0, NULL, NULL, &o, NULL,
		err);
	free(path);
	json_object_put(o);
	if (rc < 0)
		err->unknown = !strcmp(err->code, "transport") ||
			!strcmp(err->code, "timeout") ||
			(err->http_status >= 200 && err->http_status < 300) ||
			err->http_status >= 500;
	return rc < 0 ? -1 : 0;
}

static int
count_start(json_object *o, void *arg, struct pp_cloud_error *err)
{
	const char *cmd = pp_jstr(o, "command", NULL);

	(void)err;
	if (cmd && !strcmp(cmd, "start_server"))
		(*(long *)arg)++;
	return 0;
}

/* GET /servers/{id}/actions, every page, counting the start_server
 * actions (a create's next action, a power-on's). The listing has no
 * command filter (API reference: sort, status, page, per_page;
 * hcloud-go's ActionListOpts: id, status, sort), so every action of
 * the server is read: a few for a new one. */
static long
hz_starts(struct pp_cloud *c, const char *id, struct pp_cloud_error *err)
{
	char *path;
	long n = 0;
	int rc;

	if (!valid_id(id, err))
		return -1;
	path = pp_xasprintf("/servers/%s/actions", id);
	rc = pp_hz_get_pages(c->priv, path, "actions", count_start, &n, err);
	free(path);
	return rc < 0 ? -1 : n;
}

static int
hz_wait_ready(struct pp_cloud *c, const char *id, double timeout,
	struct pp_server *out, struct pp_cloud_error *err)
{
	struct hz *h = c->priv;
	double end = pp_monotonic() + timeout, poll = h->poll_interval;

	for (;;) {
		if (hz_get(c, id, out, err) < 0)
			return -1;
		if (out->status && !strcmp(out->status, "running"))
			return 0;
		if (pp_monotonic() + poll > end ||
		    (c->deadline > 0 && pp_monotonic() + poll > c->deadline)) {
			pp_cloud_error_set(err, "timeout", 0, 1, "server %s "
				"not running after %.0f s (status '%s')", id,
				timeout, out->status ? out->status : "?");
			return -1;
		}
		pp_server_free(out);
		pp_http_wait(&h->http, poll);
		poll = pp_hz_next_poll(poll, h->poll_interval);
		pp_hz_sync_counters(h);
	}
}

static double
money(json_object *price, const char *key)
{
	const char *s = pp_jstr(pp_jget(price, key), "net", NULL);

	return s ? strtod(s, NULL) : 0;
}

static int
add_type(json_object *o, void *arg, struct pp_cloud_error *err)
{
	struct pp_catalog *cat = arg;
	json_object *prices = pp_jget(o, "prices");
	json_object *locs = pp_jget(o, "locations");
	json_object *dep = pp_jget(o, "deprecation");
	struct pp_server_type *t;
	time_t type_end = 0;
	size_t np;

	(void)err;

	if (!pp_jstr(o, "name", NULL))
		return 0;
	if (!(pp_jdouble(o, "memory", 0) > 0 &&
	    pp_jdouble(o, "memory", 0) <= PP_MEMORY_GB_MAX)) {
		pp_warn("server type '%s': memory %.20s GB is out of range: "
			"skipped", pp_jstr(o, "name", ""),
			json_object_get_string(pp_jget(o, "memory")));
		return 0;
	}
	cat->t = pp_xreallocarray(cat->t, cat->n + 1, sizeof *cat->t);
	t = &cat->t[cat->n++];
	memset(t, 0, sizeof *t);
	t->name = jdup(o, "name");
	t->cores = (long)pp_jint(o, "cores", 0);
	t->memory_gb = pp_jdouble(o, "memory", 0);
	t->architecture = pp_xstrdup(pp_jstr(o, "architecture", "x86"));
	/* a top-level deprecation is the type's in every location: "no
	 * longer available for order as of" its unavailable_after (the
	 * API's word, hcloud-go's deprecationutil), orderable until then
	 * as a per-location one; the legacy boolean goes with it. Only
	 * the boolean alone, with no deprecation to say until when, still
	 * marks the type deprecated (never ordered), the cautious reading */
	if (dep && !json_object_is_type(dep, json_type_null)) {
		/* without a readable end: over already, as below */
		if (pp_parse_time(pp_jstr(dep, "unavailable_after", ""),
		    &type_end) < 0 || !type_end)
			type_end = 1;
	} else {
		t->deprecated = pp_jbool(o, "deprecated", 0);
	}
	np = prices && json_object_is_type(prices, json_type_array) ?
		json_object_array_length(prices) : 0;
	t->prices = pp_xcalloc(np, sizeof *t->prices);
	for (size_t i = 0; i < np; i++) {
		json_object *p = json_object_array_get_idx(prices, i);
		const char *ln = pp_jstr(p, "location", NULL);
		struct pp_price *pr;

		if (!ln)
			continue;
		pr = &t->prices[t->nprices++];
		pr->location = pp_xstrdup(ln);
		pr->hourly_eur = money(p, "price_hourly");
		pr->monthly_eur = money(p, "price_monthly");
		/* an absurd price is no price: not orderable there */
		if (!pp_price_ok(pr->hourly_eur) ||
		    !pp_price_ok(pr->monthly_eur)) {
			free(pr->location);
			t->nprices--;
			continue;
		}
		/* a price is not an offer: only locations[].available is.
		 * Deprecations are announced per location since 2025-09
		 * (and still at the top level when a whole type goes, as
		 * CX Gen 2 and CPX Gen 1 in 2025-10): a type deprecated
		 * there can still be ordered there until its
		 * unavailable_after (the API's own word), which the
		 * catalog keeps for the reader's clock to judge */
		pr->available = 0;
		for (size_t j = 0; locs && json_object_is_type(locs,
		    json_type_array) && j < json_object_array_length(locs);
		    j++) {
			json_object *l = json_object_array_get_idx(locs, j);
			json_object *ld = pp_jget(l, "deprecation");

			if (strcmp(pp_jstr(l, "name", ""), ln))
				continue;
			pr->available = pp_jbool(l, "available", 0);
			if (ld && !json_object_is_type(ld, json_type_null)) {
				/* a deprecation without a readable end:
				 * over already, as the cautious reading */
				if (pp_parse_time(pp_jstr(ld,
				    "unavailable_after", ""),
				    &pr->unavailable_after) < 0 ||
				    !pr->unavailable_after)
					pr->unavailable_after = 1;
			}
		}
		/* the type's end applies here too: the earlier of both */
		if (type_end && (!pr->unavailable_after ||
		    type_end < pr->unavailable_after))
			pr->unavailable_after = type_end;
	}
	/* deprecated in every location it has, or at the top level, is no
	 * more than that: each location orders it until its
	 * unavailable_after (Hetzner announces a type's end months ahead,
	 * in all its locations at once: marking it deprecated here cut it
	 * everywhere on the day of the announcement) */
	return 0;
}

/* Keeps the types of the image's and agent's architecture: an arm type
 * (cax*) cannot boot an x86 image, and pp-decide picks from this. */
static void
arch_only(struct pp_catalog *cat, const char *arch)
{
	size_t k = 0;

	if (!arch || !*arch)
		return;
	for (size_t i = 0; i < cat->n; i++) {
		struct pp_server_type *t = &cat->t[i];

		if (t->architecture && strcmp(t->architecture, arch)) {
			pp_debug("server type '%s' is %s, not %s: not ordered",
				t->name, t->architecture, arch);
			for (size_t j = 0; j < t->nprices; j++)
				free(t->prices[j].location);
			free(t->prices);
			free(t->name);
			free(t->architecture);
			continue;
		}
		cat->t[k++] = *t;
	}
	cat->n = k;
}

/* The prices of a primary IPv4 by location (GET /pricing), or NULL. */
static json_object *
ipv4_prices(json_object *pricing)
{
	json_object *ips = pp_jget(pp_jget(pricing, "pricing"), "primary_ips");

	for (size_t i = 0; ips && json_object_is_type(ips, json_type_array) &&
	     i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i);
		json_object *p = pp_jget(ip, "prices");

		if (!strcmp(pp_jstr(ip, "type", ""), "ipv4") && p &&
		    json_object_is_type(p, json_type_array))
			return p;
	}
	return NULL;
}

/* A primary IPv4 is billed apart from its server (since 2022), and every
 * server we create gets one (the API's default public_net): what a node
 * costs is its type's price plus the IPv4's in that location. Without
 * the price (the request failed, the answer lacks it) the catalog keeps
 * the servers' prices and says so. */
static int
add_ipv4_prices(json_object *pricing, struct pp_catalog *cat)
{
	json_object *v4 = ipv4_prices(pricing);
	size_t nv4;

	if (!v4)
		return -1;
	nv4 = json_object_array_length(v4);
	for (size_t i = 0; i < cat->n; i++)
		for (size_t j = 0; j < cat->t[i].nprices; j++) {
			struct pp_price *pr = &cat->t[i].prices[j];

			for (size_t k = 0; k < nv4; k++) {
				json_object *p = json_object_array_get_idx(v4,
					k);
				double hr = money(p, "price_hourly");
				double mo = money(p, "price_monthly");

				if (strcmp(pp_jstr(p, "location", ""),
				    pr->location) || !pp_price_ok(hr) ||
				    !pp_price_ok(mo))
					continue;
				pr->hourly_eur += hr;
				pr->monthly_eur += mo;
				break;
			}
		}
	return 0;
}

static void
add_ipv4(struct hz *h, struct pp_catalog *cat)
{
	struct pp_cloud_error err;
	json_object *o = NULL;

	if (pp_hz_api(h, "GET", "/pricing", NULL, 1, NULL, NULL, &o, NULL,
	    &err) < 0) {
		pp_warn("cannot get the price of a primary IPv4: %s; node "
			"costs leave it out", err.message);
		return;
	}
	if (add_ipv4_prices(o, cat) < 0)
		pp_warn("the API's pricing has no primary IPv4 price; node "
			"costs leave it out");
	json_object_put(o);
}

static int
hz_server_types(struct pp_cloud *c, struct pp_catalog *out,
	struct pp_cloud_error *err)
{
	struct hz *h = c->priv;

	out->source = pp_xstrdup("hetzner");
	out->fetched_at = pp_now();
	if (pp_hz_get_pages(h, "/server_types", "server_types", add_type, out,
	    err) < 0) {
		pp_catalog_free(out);
		return -1;
	}
	arch_only(out, c->cfg->cloud.architecture);
	add_ipv4(h, out);
	return 0;
}

/* cloud.image as the API has it: an id (GET /images/{id}) or a name
 * (GET /images?name=&architecture=: one name has an image per
 * architecture). The list leaves deprecated images out unless asked
 * with include_deprecated=true, so without it a deprecated image would
 * be taken for a missing one (hcloud-go PR #199, terraform-provider-
 * hcloud issue #685). Its "deprecated" is a time (null when it is not;
 * hcloud-go's Image.IsDeprecated): a deprecated image still makes
 * servers until Hetzner removes it, and then it is not found and every
 * create is refused. Its "status" is "available", or "creating" or
 * "unavailable" (API reference; hcloud-go's ImageStatus*): a server is
 * made only from an available image. An id names one image of one
 * architecture, which a server type of the other cannot take. */
static int
hz_image(struct pp_cloud *c, struct pp_image_check *out,
	struct pp_cloud_error *err)
{
	const char *key = c->cfg->cloud.image;
	const char *arch = c->cfg->cloud.architecture;
	json_object *o = NULL, *img, *dep;
	const char *status, *iarch;
	char *path, *ek, *ea;
	int rc;

	memset(out, 0, sizeof *out);
	if (!key || !*key)
		return 0;
	if (!arch || !*arch)
		arch = "x86";
	out->by_id = strspn(key, "0123456789") == strlen(key);
	ek = pp_url_escape(key);
	ea = pp_url_escape(arch);
	path = out->by_id ? pp_xasprintf("/images/%s", ek) :
		pp_xasprintf("/images?name=%s&architecture=%s"
		    "&include_deprecated=true", ek, ea);
	free(ek);
	free(ea);
	rc = pp_hz_api(c->priv, "GET", path, NULL, 1, NULL, NULL, &o, NULL,
		err);
	free(path);
	if (rc < 0 && !strcmp(err->code, "not_found")) {
		memset(err, 0, sizeof *err);
		out->state = PP_IMAGE_MISSING;
		return 0;
	}
	if (rc < 0)
		return -1;
	img = pp_jget(o, "image");
	if (!img) {
		json_object *l = pp_jget(o, "images");

		img = l && json_object_is_type(l, json_type_array) &&
			json_object_array_length(l) > 0 ?
			json_object_array_get_idx(l, 0) : NULL;
	}
	dep = pp_jget(img, "deprecated");
	/* an image without a status is taken as the API had them before
	 * it had one: available */
	status = pp_jstr(img, "status", "available");
	iarch = pp_jstr(img, "architecture", arch);
	if (!img) {
		out->state = PP_IMAGE_MISSING;
	} else if (strcmp(status, "available")) {
		out->state = PP_IMAGE_NOT_AVAILABLE;
		snprintf(out->status, sizeof out->status, "%s", status);
	} else if (out->by_id && strcmp(iarch, arch)) {
		out->state = PP_IMAGE_OTHER_ARCH;
		snprintf(out->architecture, sizeof out->architecture, "%s",
			iarch);
	} else if (dep && !json_object_is_type(dep, json_type_null)) {
		out->state = PP_IMAGE_DEPRECATED;
		/* a time that cannot be read: deprecated all the same */
		if (pp_parse_time(json_object_get_string(dep),
		    &out->deprecated) < 0)
			out->deprecated = 0;
	} else {
		out->state = PP_IMAGE_OK;
	}
	json_object_put(o);
	return 0;
}

/* The rate-limit budget as last seen, kept in STATE_DIR/ratelimit.json
 * so that consecutive tools and cycles share it: the project's 3600
 * requests an hour are one budget, and a tool that starts knowing it
 * is low paces itself from its first request. */
static char *
budget_path(struct pp_cloud *c)
{
	return pp_state_path(c->cfg, c->state_dir, "ratelimit.json");
}

static void
budget_load(struct pp_cloud *c, struct hz *h)
{
	char *path = budget_path(c);
	char msg[128];
	size_t len;
	char *text = pp_read_file(path, 4096, &len);
	json_object *o = text ? pp_json_parse(text, len, msg, sizeof msg) :
		NULL;
	long long lim = pp_jint(o, "limit", -1);
	long long rem = pp_jint(o, "remaining", -1);
	double at = pp_jdouble(o, "at", 0), now = (double)time(NULL);

	if (o && lim > 0 && rem >= 0 && at > 0 && at <= now) {
		/* what refilled since, evenly over the hour */
		rem += (long long)((now - at) * (double)lim / 3600.0);
		h->http.rl_limit = (long)lim;
		h->http.rl_remaining = (long)(rem < lim ? rem : lim);
	}
	json_object_put(o);
	free(text);
	free(path);
}

static void
budget_save(struct pp_cloud *c, struct hz *h)
{
	char *path, *dir;
	char buf[160];
	int n;

	/* a dry run changes no file */
	if (c->dry_run || h->http.rl_limit <= 0 ||
	    h->http.rl_remaining < 0 || !h->http.requests)
		return;
	path = budget_path(c);
	dir = pp_dirname(path);
	n = snprintf(buf, sizeof buf, "{\"limit\": %ld, \"remaining\": %ld, "
		"\"at\": %lld}\n", h->http.rl_limit, h->http.rl_remaining,
		(long long)time(NULL));
	if (pp_mkdirs(dir, 0755) < 0 ||
	    pp_write_atomic(path, buf, (size_t)n, 0644) < 0)
		pp_debug("cannot keep the rate-limit budget in '%s'", path);
	free(dir);
	free(path);
}

static void
hz_close(struct pp_cloud *c)
{
	struct hz *h = c->priv;

	budget_save(c, h);
	pp_http_client_free(&h->http);
	free(h);
}

static const struct pp_cloud_ops hetzner_ops = {
	"hetzner", pp_hz_create, hz_destroy, hz_list, hz_get, hz_server_types,
	hz_wait_ready, hz_close, pp_hz_create_start, pp_hz_wait_actions,
	hz_find_name, hz_busy, hz_power_on, hz_starts, hz_image
};

int
pp_cloud_hetzner_open(struct pp_cloud *c, struct pp_cloud_error *err)
{
	const struct pp_config *cfg = c->cfg;
	const char *env = getenv("HCLOUD_ENDPOINT");
	const char *ep = env && *env ? env : cfg->cloud.endpoint;
	struct hz *h;
	char *tok;
	size_t n;

	if (!ep || !endpoint_ok(ep)) {
		char *shown = without_userinfo(ep ? ep : "");

		pp_cloud_error_set(err, "config", 0, 0, "refusing API endpoint "
			"'%s': it must be https:// (plain http only for "
			"127.0.0.1 or localhost), with no user name or "
			"password in it", shown);
		free(shown);
		return -1;
	}
	tok = read_token(cfg, err);
	if (!tok)
		return -1;
	if (!token_ok(tok)) {
		pp_cloud_error_set(err, "config", 0, 0, "the Hetzner API token "
			"is empty or holds blanks or control characters");
		memset(tok, 0, strlen(tok));
		free(tok);
		return -1;
	}
	h = pp_xcalloc(1, sizeof *h);
	h->c = c;
	h->http.base = pp_xstrdup(ep);
	n = strlen(h->http.base);
	while (n && h->http.base[n - 1] == '/')
		h->http.base[--n] = '\0';
	h->http.auth_header = pp_xasprintf("Authorization: Bearer %s", tok);
	memset(tok, 0, strlen(tok));
	free(tok);
	h->http.connect_timeout = (double)cfg->cloud.connect_timeout;
	h->http.timeout = (double)cfg->cloud.request_timeout;
	h->http.retries = cfg->cloud.retries;
	h->http.retry_base = cfg->cloud.retry_base;
	h->http.retry_max = cfg->cloud.retry_max;
	h->http.rate_reserve = cfg->cloud.rate_reserve;
	h->http.on_request = on_request;
	h->http.on_request_arg = c;
	pp_http_client_init(&h->http);
	budget_load(c, h);
	h->poll_interval = cfg->cloud.poll_interval;
	h->action_timeout = (double)cfg->cloud.action_timeout;
	c->ops = &hetzner_ops;
	c->priv = h;
	return 0;
}

/* The answer parsing above without a connection, for the fuzzer and the
 * tests: an answer of status `status` read the way the client reads it.
 * A 2xx answer: its "servers" list or "server" into *servers, its
 * "server_types" into *types (a "pricing" beside them adds its primary
 * IPv4 prices, as the catalog fetch does), its "action" status into
 * *err when the action failed. Any other status: the error it turns
 * into, in *err.
 * Returns 0, or -1 with *err set. */
int
pp_hetzner_parse_answer(long status, const char *text, size_t len,
	struct pp_server_list *servers, struct pp_catalog *types,
	struct pp_cloud_error *err)
{
	struct pp_http_resp r = {0};
	json_object *o, *items, *action;
	char msg[128];

	memset(err, 0, sizeof *err);
	if (status < 200 || status > 299) {
		r.status = status;
		r.body = pp_xmalloc(len + 1);
		memcpy(r.body, text, len);
		r.body[len] = '\0';
		r.len = len;
		fail(NULL, "GET", "/servers?page=1", &r, err);
		pp_http_resp_free(&r);
		return -1;
	}
	o = pp_json_parse(text, len, msg, sizeof msg);
	if (!o) {
		pp_cloud_error_set(err, "bad_answer", (int)status, 0, "GET "
			"/servers: the API answered malformed JSON: %s", msg);
		return -1;
	}
	items = pp_jget(o, "servers");
	if (items && json_object_is_type(items, json_type_array))
		for (size_t i = 0; i < json_object_array_length(items); i++)
			if (pp_hz_add_server(json_object_array_get_idx(items,
			    i), servers, err) < 0)
				goto bad;
	if (pp_jget(o, "server") &&
	    pp_hz_add_server(pp_jget(o, "server"), servers, err) < 0)
		goto bad;
	items = pp_jget(o, "server_types");
	if (items && json_object_is_type(items, json_type_array))
		for (size_t i = 0; i < json_object_array_length(items); i++)
			(void)add_type(json_object_array_get_idx(items, i),
				types, err);
	/* an answer of GET /pricing beside them: the IPv4 goes on top */
	if (pp_jget(o, "pricing"))
		(void)add_ipv4_prices(o, types);
	action = pp_jget(o, "action");
	if (action && strcmp(pp_jstr(action, "status", "running"),
	    "success") && strcmp(pp_jstr(action, "status", "running"),
	    "running")) {
		json_object *e = pp_jget(action, "error");

		pp_cloud_error_set(err, pp_jstr(e, "code", "action_failed"),
			0, 0, "action %lld ended in '%s': %s",
			pp_jint(action, "id", 0),
			pp_jstr(action, "status", "?"),
			pp_jstr(e, "message", "no message"));
		json_object_put(o);
		return -1;
	}
	json_object_put(o);
	return 0;
bad:
	pp_hz_where(err, "GET", "/servers");
	json_object_put(o);
	return -1;
}
