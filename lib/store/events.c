/* The event bus. Each event is one JSON object: appended as one line to
 * the events file with one write(2) (so concurrent tools never
 * interleave inside a line), then POSTed to the webhook if one is
 * configured. The webhook is best effort by design: a receiver that is
 * down, slow or failing costs at most a few seconds per run, is logged,
 * and never changes what the pipeline does or its exit status. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "conf/config.h"
#include "base/json.h"
#include "store/events.h"
#include "store/pg.h"
#include "store/state.h"
#include "base/util.h"

static char *events_path;
static const struct pp_config *events_cfg;
/* After an event had to be dropped, the webhook counts as down for the
 * rest of this run: later events go to the file only, so a hanging
 * receiver cannot stall a tool that emits many events. */
static int webhook_down;
static long webhook_skipped;

static void
at_exit(void)
{
	if (webhook_skipped > 0)
		pp_warn("%ld later event(s) not sent to the webhook (it was "
			"down); they are in the events file", webhook_skipped);
	free(events_path);
	events_path = NULL;
}

char *
pp_events_path(const struct pp_config *cfg, const char *state_flag)
{
	if (cfg && cfg->events.file && *cfg->events.file)
		return pp_xstrdup(cfg->events.file);
	return pp_state_path(cfg, state_flag, "events.jsonl");
}

void
pp_events_init(const struct pp_config *cfg, const char *path)
{
	static int registered;

	if (!registered) {
		atexit(at_exit);
		registered = 1;
	}
	free(events_path);
	events_path = path ? pp_xstrdup(path) : NULL;
	events_cfg = cfg;
	webhook_down = 0;
	webhook_skipped = 0;
}

/* What pp_events_since keeps: the newest max events at or after since
 * that keep accepts, and how many more there were. */
struct since_q {
	time_t since;
	int (*keep)(json_object *event);
	size_t max;
	long *more;
	json_object *a;
};

static void
since_take(struct since_q *q, const char *line, size_t len)
{
	char jerr[64];
	json_object *e = pp_json_parse(line, len, jerr, sizeof jerr);
	time_t t;

	if (!e || !json_object_is_type(e, json_type_object) ||
	    pp_parse_time(pp_jstr(e, "time", ""), &t) < 0 ||
	    t < q->since || (q->keep && !q->keep(e))) {
		json_object_put(e);
		return;
	}
	json_object_array_add(q->a, e);
	if (json_object_array_length(q->a) > q->max) {
		json_object_array_del_idx(q->a, 0, 1);
		(*q->more)++;
	}
}

json_object *
pp_events_since(const char *path, time_t since,
	int (*keep)(json_object *event), size_t max, long tail, long *more,
	char *err, size_t errlen)
{
	struct since_q q = {since, keep, max, more, NULL};
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long size;
	int cut = 0;

	*more = 0;
	if (!f) {
		if (errno == ENOENT)
			return json_object_new_array();
		snprintf(err, errlen, "cannot read events file '%s': %s",
			path, strerror(errno));
		return NULL;
	}
	q.a = json_object_new_array();
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > tail) {
		/* the tail starts in a line unless a newline ends the byte
		 * before it */
		if (fseek(f, size - tail - 1, SEEK_SET) == 0)
			cut = fgetc(f) != '\n';
		else
			rewind(f);
	} else {
		rewind(f);
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (cut) {
			/* the line the tail starts in */
			cut = 0;
			continue;
		}
		since_take(&q, line, (size_t)len);
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read events file '%s': %s",
			path, strerror(errno));
		json_object_put(q.a);
		q.a = NULL;
	}
	free(line);
	fclose(f);
	return q.a;
}

json_object *
pp_events_since_db(time_t since, int (*keep)(json_object *event),
	size_t max, long rows, long *more, char *err, size_t errlen)
{
	struct since_q q = {since, keep, max, more, NULL};
	char nrows[24];
	const char *p[2] = {pp_state_pool(), nrows};
	PGconn *c;
	PGresult *r;
	int code;

	*more = 0;
	snprintf(nrows, sizeof nrows, "%ld", rows);
	c = pp_pg_connect(pp_state_database(), err, errlen, &code);
	if (!c)
		return NULL;
	/* the pool's newest rows, oldest first */
	r = pp_pg_exec(c, "cannot read the events", "SELECT event::text FROM "
		"(SELECT seq, event FROM ppscale_events WHERE pool = $1 "
		"ORDER BY seq DESC LIMIT $2::bigint) e ORDER BY seq", 2, p,
		err, errlen);
	if (r) {
		q.a = json_object_new_array();
		for (int i = 0; i < PQntuples(r); i++)
			since_take(&q, PQgetvalue(r, i, 0),
				(size_t)PQgetlength(r, i, 0));
		PQclear(r);
	}
	PQfinish(c);
	return q.a;
}

static void
curl_init_once(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		atexit(curl_global_cleanup);
		done = 1;
	}
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* One attempt. Returns 0 when delivered, 1 when worth retrying, -1 when
 * not (a 4xx other than 408/429: the receiver refuses this event). */
static int
post_once(const char *url, const char *body, double timeout, char *why,
	size_t whylen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	CURLcode rc;
	long status = 0;
	long ms = (long)(timeout * 1000);

	if (!c) {
		snprintf(why, whylen, "curl init failed");
		return 1;
	}
	if (ms < 1)
		ms = 1;
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ppscale/" PP_VERSION);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 1;
	}
	if (status >= 200 && status < 300)
		return 0;
	snprintf(why, whylen, "HTTP status %ld", status);
	if (status >= 400 && status < 500 && status != 408 && status != 429)
		return -1;
	return 1;
}

static void
webhook_send(const char *type, const char *body)
{
	const char *url = events_cfg->events.webhook_url;
	long retries = events_cfg->events.webhook_retries;
	double timeout = events_cfg->events.webhook_timeout;
	double delay = 0.2;
	char why[256] = "";
	char *shown;
	long attempt, tries = 0;
	int rc = 1;

	if (webhook_down) {
		webhook_skipped++;
		return;
	}
	curl_init_once();
	if (retries < 0)
		retries = 0;
	if (timeout <= 0)
		timeout = 2;
	for (attempt = 0; attempt <= retries; attempt++) {
		if (attempt > 0) {
			pp_sleep(delay);
			if (delay < 1)
				delay *= 2;
		}
		rc = post_once(url, body, timeout, why, sizeof why);
		tries++;
		if (rc <= 0 || pp_interrupted())
			break;
	}
	if (rc == 0)
		return;
	shown = pp_url_redact(url);
	pp_warn("webhook '%s': dropping event '%s' after %ld attempt(s): %s",
		shown, type, tries, why);
	free(shown);
	webhook_down = 1;
}

static void
append_line(const char *line)
{
	char *buf = pp_xasprintf("%s\n", line);
	size_t len = strlen(buf);
	int fd = open(events_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		0640);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		pp_warn("cannot append to events file '%s':", events_path);
	if (fd >= 0)
		close(fd);
	free(buf);
}

/* Two control hosts: every event is also a row of ppscale_events, the
 * log both hosts share (the file stays each host's own copy). One
 * connection per process; a database that fails is said once and the
 * events go on to the file. */
static PGconn *ev_db;
static int ev_db_down;

static void
close_ev_db(void)
{
	PQfinish(ev_db);
	ev_db = NULL;
}

static void
db_append(const char *line)
{
	const char *p[2] = {pp_state_pool(), line};
	char err[768];
	int code;

	if (ev_db_down)
		return;
	if (!ev_db) {
		ev_db = pp_pg_connect(pp_state_database(), err, sizeof err,
			&code);
		if (!ev_db) {
			pp_warn("%s; events go to the file only", err);
			ev_db_down = 1;
			return;
		}
		atexit(close_ev_db);
	}
	if (pp_pg_run(ev_db, "cannot record the event", "INSERT INTO "
	    "ppscale_events (pool, event) VALUES ($1, $2::jsonb)", 2, p, err,
	    sizeof err) < 0) {
		pp_warn("%s; events go to the file only", err);
		ev_db_down = 1;
	}
}

void
pp_event(const char *type, json_object *fields)
{
	static const char *const common[] = {"node", "action", "result",
		"reason"};
	json_object *ev = json_object_new_object();
	const char *line;

	json_object_object_add(ev, "time", pp_jnew_time(pp_now()));
	json_object_object_add(ev, "type", json_object_new_string(type));
	json_object_object_add(ev, "tool", json_object_new_string(
		pp_progname));
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		json_object_object_add(ev, common[i], NULL);
	if (fields && json_object_is_type(fields, json_type_object)) {
		json_object_object_foreach(fields, k, v) {
			/* the schema's own fields are not the caller's */
			if (!strcmp(k, "time") || !strcmp(k, "type") ||
			    !strcmp(k, "tool"))
				continue;
			json_object_object_add(ev, k, json_object_get(v));
		}
	}
	json_object_put(fields);
	line = pp_json_string(ev, 0);
	if (events_path)
		append_line(line);
	if (pp_state_database())
		db_append(line);
	if (events_cfg && events_cfg->events.webhook_url &&
	    *events_cfg->events.webhook_url)
		webhook_send(type, line);
	json_object_put(ev);
}

static void
add_opt(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

void
pp_event_node(const char *type, const char *node, const char *action,
	const char *result, const char *reason, json_object *extra)
{
	json_object *f = json_object_new_object();

	add_opt(f, "node", node);
	add_opt(f, "action", action);
	add_opt(f, "result", result);
	add_opt(f, "reason", reason);
	if (extra && json_object_is_type(extra, json_type_object)) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(f, k, json_object_get(v));
	}
	json_object_put(extra);
	pp_event(type, f);
}
