/* The local provider: a JSON file in the state directory stands for the
 * cloud, so the demo, the simulation and the tests that are not about
 * HTTP run without a network. A server is "initializing" until
 * cloud.local.boot_seconds have passed on the --now clock, then
 * "running". Errors carry the codes and statuses Hetzner would use. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/cloud.h"
#include "cloud/cloud_lscan.h"
#include "base/json.h"
#include "cloud/labels.h"
#include "base/util.h"

#define LOCAL_MAX (64u * 1024 * 1024)

struct lc {
	char *path;
	long boot_seconds;
	long server_limit;
	double poll_interval;
	struct pp_lock lock;
	/* the text last read by the scanner and its servers: list, the
	 * delete guard's get and the delete read the same bytes */
	char *ctext;
	size_t clen;
	struct lc_text ct;
};

/* The file's text under a lock of mode (held on success). NULL with
 * *absent set: no file (an empty cloud), the lock held for a writer;
 * NULL and *absent clear: an error, no lock held. A reader of a file
 * that is not there makes nothing (no directory, no lock file): a
 * dry run changes nothing on disk, and a writer creates the file by
 * rename, so there is no half-written file to wait for. */
static char *
load_text(struct pp_cloud *c, int mode, size_t *len, int *absent,
	struct pp_cloud_error *err)
{
	struct lc *l = c->priv;
	char *text, *dir;

	*absent = 0;
	if (mode != PP_LOCK_EX && access(l->path, F_OK) < 0 &&
	    errno == ENOENT) {
		*absent = 1;
		return NULL;
	}
	dir = pp_dirname(l->path);
	if (pp_mkdirs(dir, 0755) < 0) {
		pp_cloud_error_set(err, "transport", 0, 0, "cannot create "
			"'%s': %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	free(dir);
	if (pp_lock(&l->lock, l->path, mode, 10) < 0) {
		pp_cloud_error_set(err, "locked", 423, 1, "cannot lock local "
			"cloud '%s': %s", l->path, pp_lock_strerror(errno));
		return NULL;
	}
	text = pp_read_file(l->path, LOCAL_MAX, len);
	if (!text && errno == ENOENT) {
		*absent = 1;
		return NULL;
	}
	if (!text) {
		pp_cloud_error_set(err, "transport", 0, 0, "cannot read local "
			"cloud '%s': %s", l->path, strerror(errno));
		pp_unlock(&l->lock);
		return NULL;
	}
	return text;
}

/* The tree of text (taken over), or of an empty cloud when text is
 * NULL; the lock is let go on error. */
static json_object *
parse(struct pp_cloud *c, char *text, size_t len,
	struct pp_cloud_error *err)
{
	struct lc *l = c->priv;
	json_object *o;
	char msg[256];

	if (!text) {
		o = json_object_new_object();
		json_object_object_add(o, "version", json_object_new_int(1));
		json_object_object_add(o, "next_id", json_object_new_int(1));
		json_object_object_add(o, "servers",
			json_object_new_array());
		return o;
	}
	o = pp_json_parse(text, len, msg, sizeof msg);
	free(text);
	if (!o || !json_object_is_type(pp_jget(o, "servers"),
	    json_type_array)) {
		pp_cloud_error_set(err, "bad_answer", 0, 0, "local cloud '%s' "
			"is not valid: %s", l->path, o ? "no 'servers' list" :
			msg);
		json_object_put(o);
		pp_unlock(&l->lock);
		return NULL;
	}
	return o;
}

/* Loads the file (absent: an empty cloud) under a lock of mode. */
static json_object *
load(struct pp_cloud *c, int mode, struct pp_cloud_error *err)
{
	size_t len = 0;
	int absent;
	char *text = load_text(c, mode, &len, &absent, err);

	if (!text && !absent)
		return NULL;
	return parse(c, text, len, err);
}

static int
save(struct pp_cloud *c, json_object *o, struct pp_cloud_error *err)
{
	struct lc *l = c->priv;
	const char *s = pp_json_string(o, 1);

	if (pp_write_atomic(l->path, s, strlen(s), 0600) < 0) {
		pp_cloud_error_set(err, "transport", 0, 0, "cannot write local "
			"cloud '%s': %s", l->path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
done(struct pp_cloud *c, json_object *o)
{
	struct lc *l = c->priv;

	json_object_put(o);
	pp_unlock(&l->lock);
}

static time_t
ready_at(json_object *s)
{
	time_t t = 0;

	pp_parse_time(pp_jstr(s, "ready_at", ""), &t);
	return t;
}

static void
to_server(json_object *o, struct pp_server *s)
{
	json_object *labels = pp_jget(o, "labels");
	const char *ip = pp_jstr(o, "ipv4", NULL);
	const char *pip = pp_jstr(o, "private_ip", NULL);

	memset(s, 0, sizeof *s);
	s->id = pp_xstrdup(pp_jstr(o, "id", ""));
	s->name = pp_xstrdup(pp_jstr(o, "name", ""));
	s->status = pp_xstrdup(pp_now() >= ready_at(o) ? "running" :
		"initializing");
	s->type = pp_xstrdup(pp_jstr(o, "server_type", ""));
	s->location = pp_xstrdup(pp_jstr(o, "location", ""));
	s->ipv4 = ip ? pp_xstrdup(ip) : NULL;
	s->private_ip = pip ? pp_xstrdup(pip) : NULL;
	pp_parse_time(pp_jstr(o, "created", ""), &s->created);
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
			pp_strmap_set(&s->labels, k, json_object_get_string(v));
	}
}

static json_object *
find(json_object *root, const char *key, const char *val, size_t *idx)
{
	json_object *a = pp_jget(root, "servers");

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *s = json_object_array_get_idx(a, i);

		if (!strcmp(pp_jstr(s, key, ""), val)) {
			if (idx)
				*idx = i;
			return s;
		}
	}
	return NULL;
}

/* ---- The lean reading (cloud_lscan.c): no tree of 10,000 servers
 * to list, find or delete one; json-c when the scanner declines. */

static void
lean_server(const struct lc_srv *v, struct pp_server *s)
{
	char *t = pp_lc_field(v, LCF_READY, "");
	time_t ready = 0;

	memset(s, 0, sizeof *s);
	pp_parse_time(t, &ready);
	free(t);
	s->id = pp_lc_field(v, LCF_ID, "");
	s->name = pp_lc_field(v, LCF_NAME, "");
	s->status = pp_xstrdup(pp_now() >= ready ? "running" :
		"initializing");
	s->type = pp_lc_field(v, LCF_TYPE, "");
	s->location = pp_lc_field(v, LCF_LOCATION, "");
	s->ipv4 = pp_lc_field(v, LCF_IPV4, NULL);
	s->private_ip = pp_lc_field(v, LCF_PIP, NULL);
	t = pp_lc_field(v, LCF_CREATED, "");
	pp_parse_time(t, &s->created);
	free(t);
	pp_lc_labels(v, &s->labels);
}

/* The first server whose id is id, or t->n. */
static size_t
lean_find(const struct lc_text *t, const char *id)
{
	size_t i = 0;

	while (i < t->n && !pp_lc_field_is(&t->v[i], LCF_ID, id))
		i++;
	return i;
}

static void
drop_cached(struct lc *l)
{
	pp_lc_text_free(&l->ct);
	free(l->ctext);
	l->ctext = NULL;
	l->clen = 0;
}

/* The servers of *text (len bytes, read under the lock): those of the
 * last text read when it holds the same bytes, else the scanner's.
 * 0 with *t set and *text taken over, or -1 when the scanner does not
 * take it (*text is still the caller's, for json-c). */
static int
lean_scan(struct pp_cloud *c, char **text, size_t len, struct lc_text **t)
{
	struct lc *l = c->priv;

	if (!*text)
		return -1;
	if (!l->ctext || l->clen != len || memcmp(l->ctext, *text, len)) {
		drop_cached(l);
		if (pp_lc_scan(*text, len, &l->ct) < 0)
			return -1;
		l->ctext = *text;
		l->clen = len;
	} else {
		free(*text);
	}
	*text = NULL;
	*t = &l->ct;
	return 0;
}

/* The lean reading's end: the lock let go. */
static void
lean_done(struct pp_cloud *c)
{
	struct lc *l = c->priv;

	pp_unlock(&l->lock);
}

/* A missing file is an empty cloud to list (a first run has none yet)
 * but no answer about a server by id: the registry names that server,
 * so the file was there, and a mistyped cloud.local.file or a file
 * removed by hand must not make every node's server "gone" (forgotten
 * by pp-provision, or its delete taken for done). Then this is the
 * error, and the lock (a writer's) is let go. */
static int
no_file(struct pp_cloud *c, struct pp_cloud_error *err)
{
	struct lc *l = c->priv;

	pp_unlock(&l->lock);
	/* the caller names the server */
	pp_cloud_error_set(err, "transport", 0, 0, "local cloud '%s' does "
		"not exist (check cloud.local.file)", l->path);
	return -1;
}

static int
lc_get(struct pp_cloud *c, const char *id, struct pp_server *out,
	struct pp_cloud_error *err)
{
	struct lc_text *t;
	json_object *root, *s;
	size_t len = 0, i;
	int absent;
	char *text = load_text(c, PP_LOCK_SH, &len, &absent, err);

	if (!text)
		return absent ? no_file(c, err) : -1;
	if (lean_scan(c, &text, len, &t) == 0) {
		int found;

		i = lean_find(t, id);
		found = i < t->n;
		if (found)
			lean_server(&t->v[i], out);
		else
			pp_cloud_error_set(err, "not_found", 404, 0, "server "
				"with ID '%s' not found", id);
		lean_done(c);
		return found ? 0 : -1;
	}
	root = parse(c, text, len, err);
	if (!root)
		return -1;
	s = find(root, "id", id, NULL);
	if (s)
		to_server(s, out);
	else
		pp_cloud_error_set(err, "not_found", 404, 0, "server with ID "
			"'%s' not found", id);
	done(c, root);
	return s ? 0 : -1;
}

static int
lc_list(struct pp_cloud *c, const char *selector, struct pp_server_list *out,
	struct pp_cloud_error *err)
{
	struct pp_selector sel;
	struct lc_text *t;
	json_object *root, *a;
	char msg[256], *text;
	size_t len = 0;
	int absent;

	if (pp_selector_parse(selector, &sel, msg, sizeof msg) < 0) {
		pp_cloud_error_set(err, "invalid_input", 400, 0, "%s", msg);
		return -1;
	}
	text = load_text(c, PP_LOCK_SH, &len, &absent, err);
	if (lean_scan(c, &text, len, &t) == 0) {
		for (size_t i = 0; i < t->n; i++) {
			struct pp_server s;

			lean_server(&t->v[i], &s);
			if (!pp_selector_match(&sel, &s.labels)) {
				pp_server_free(&s);
				continue;
			}
			out->v = pp_xreallocarray(out->v, out->n + 1,
				sizeof *out->v);
			out->v[out->n++] = s;
		}
		pp_selector_free(&sel);
		lean_done(c);
		return 0;
	}
	root = text || absent ? parse(c, text, len, err) : NULL;
	if (!root) {
		pp_selector_free(&sel);
		return -1;
	}
	a = pp_jget(root, "servers");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct pp_server s;

		to_server(json_object_array_get_idx(a, i), &s);
		if (!pp_selector_match(&sel, &s.labels)) {
			pp_server_free(&s);
			continue;
		}
		out->v = pp_xreallocarray(out->v, out->n + 1, sizeof *out->v);
		out->v[out->n++] = s;
	}
	pp_selector_free(&sel);
	done(c, root);
	return 0;
}

static int
lc_server_types(struct pp_cloud *c, struct pp_catalog *out,
	struct pp_cloud_error *err)
{
	(void)err;
	pp_catalog_from_config(c->cfg, out);
	free(out->source);
	out->source = pp_xstrdup("local");
	return 0;
}

/* The checks Hetzner makes, with its codes. */
static int
check_spec(struct pp_cloud *c, json_object *root,
	const struct pp_server_spec *spec, struct pp_cloud_error *err)
{
	struct lc *l = c->priv;
	const struct pp_type_conf *t = pp_config_type(c->cfg, spec->type);
	int offered = 0;

	if (!spec->name || !*spec->name || strlen(spec->name) > 63 ||
	    strspn(spec->name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(spec->name)) {
		pp_cloud_error_set(err, "invalid_input", 422, 0, "invalid "
			"server name '%s'", spec->name ? spec->name : "");
		return -1;
	}
	for (size_t i = 0; spec->labels && i < spec->labels->n; i++) {
		if (!pp_label_key_valid(spec->labels->keys[i]) ||
		    pp_label_key_reserved(spec->labels->keys[i]) ||
		    !pp_label_value_valid(spec->labels->vals[i])) {
			pp_cloud_error_set(err, "invalid_input", 422, 0,
				"invalid label '%s=%s'", spec->labels->keys[i],
				spec->labels->vals[i]);
			return -1;
		}
	}
	if (!t) {
		pp_cloud_error_set(err, "invalid_input", 422, 0, "server type "
			"%s not found", spec->type);
		return -1;
	}
	for (size_t i = 0; i < t->locations.n; i++)
		if (spec->location && !strcmp(t->locations.v[i],
		    spec->location))
			offered = 1;
	if (!offered || t->deprecated) {
		pp_cloud_error_set(err, "resource_unavailable", 412, 0,
			"server type %s is unavailable in %s", spec->type,
			spec->location ? spec->location : "any location");
		return -1;
	}
	if (find(root, "name", spec->name, NULL)) {
		pp_cloud_error_set(err, "uniqueness_error", 409, 0, "server "
			"name '%s' is already used", spec->name);
		return -1;
	}
	if (l->server_limit > 0 && (long)json_object_array_length(
	    pp_jget(root, "servers")) >= l->server_limit) {
		pp_cloud_error_set(err, "resource_limit_exceeded", 403, 0,
			"server limit exceeded (%ld servers)",
			l->server_limit);
		return -1;
	}
	return 0;
}

static int
lc_create(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_error *err)
{
	struct lc *l = c->priv;
	json_object *root = load(c, PP_LOCK_EX, err);
	json_object *s, *labels;
	long long id;
	char created[PP_TIME_LEN], ready[PP_TIME_LEN];
	char *ids, *ip;
	time_t now = pp_now();

	if (!root)
		return -1;
	if (check_spec(c, root, spec, err) < 0) {
		done(c, root);
		return -1;
	}
	if (pp_jint_get(root, "next_id", 1, INT64_MAX - 1, &id) !=
	    PP_JINT_OK) {
		/* a wrong one, or none, would give a new server the id
		 * of another (the file is always written with one) */
		pp_cloud_error_set(err, "bad_answer", 0, 0, "local cloud '%s' "
			"is not valid: next_id is not an integer of 1 or more",
			l->path);
		done(c, root);
		return -1;
	}
	json_object_object_add(root, "next_id",
		json_object_new_int64(id + 1));
	ids = pp_xasprintf("%lld", id);
	ip = pp_xasprintf("198.51.100.%lld", id % 254 + 1);
	s = json_object_new_object();
	json_object_object_add(s, "id", json_object_new_string(ids));
	json_object_object_add(s, "name", json_object_new_string(spec->name));
	json_object_object_add(s, "server_type",
		json_object_new_string(spec->type));
	json_object_object_add(s, "location",
		json_object_new_string(spec->location));
	json_object_object_add(s, "image", json_object_new_string(
		spec->image ? spec->image : ""));
	json_object_object_add(s, "ipv4", json_object_new_string(ip));
	if (spec->networks && spec->networks->n) {
		char *pip = pp_xasprintf("10.0.%lld.%lld", id / 250 % 250,
			id % 250 + 2);

		json_object_object_add(s, "private_ip",
			json_object_new_string(pip));
		free(pip);
	}
	labels = json_object_new_object();
	for (size_t i = 0; spec->labels && i < spec->labels->n; i++)
		json_object_object_add(labels, spec->labels->keys[i],
			json_object_new_string(spec->labels->vals[i]));
	json_object_object_add(s, "labels", labels);
	json_object_object_add(s, "created", json_object_new_string(
		pp_format_time(now, created, sizeof created)));
	json_object_object_add(s, "ready_at", json_object_new_string(
		pp_format_time(now + l->boot_seconds, ready, sizeof ready)));
	json_object_array_add(pp_jget(root, "servers"), s);
	free(ids);
	free(ip);
	if (save(c, root, err) < 0) {
		done(c, root);
		return -1;
	}
	to_server(s, out);
	done(c, root);
	return 0;
}

static int
lc_destroy(struct pp_cloud *c, const char *id, struct pp_cloud_error *err)
{
	struct lc *l = c->priv;
	struct lc_text *t;
	json_object *root;
	size_t idx, len = 0;
	int rc, absent;
	char *text = load_text(c, PP_LOCK_EX, &len, &absent, err);

	if (!text)
		return absent ? no_file(c, err) : -1;
	if (lean_scan(c, &text, len, &t) == 0) {
		/* the server's text cut out, the rest as it was */
		idx = lean_find(t, id);
		rc = -1;
		if (idx == t->n) {
			pp_cloud_error_set(err, "not_found", 404, 0, "server "
				"with ID '%s' not found", id);
		} else {
			size_t n;
			char *s = pp_lc_without(t, l->ctext, l->clen, idx,
				&n);

			rc = pp_write_atomic(l->path, s, n, 0600);
			if (rc < 0)
				pp_cloud_error_set(err, "transport", 0, 0,
					"cannot write local cloud '%s': %s",
					l->path, strerror(errno));
			free(s);
			drop_cached(l);
		}
		lean_done(c);
		return rc;
	}
	root = parse(c, text, len, err);
	if (!root)
		return -1;
	if (!find(root, "id", id, &idx)) {
		pp_cloud_error_set(err, "not_found", 404, 0, "server with ID "
			"'%s' not found", id);
		done(c, root);
		return -1;
	}
	json_object_array_del_idx(pp_jget(root, "servers"), idx, 1);
	rc = save(c, root, err);
	done(c, root);
	return rc;
}

/* With --now the clock stands still, so waiting cannot help: answer at
 * once. On the real clock, sleep until the boot is over. */
static int
lc_wait_ready(struct pp_cloud *c, const char *id, double timeout,
	struct pp_server *out, struct pp_cloud_error *err)
{
	struct lc *l = c->priv;
	double end = pp_monotonic() + timeout;

	for (;;) {
		char t[PP_TIME_LEN];

		if (lc_get(c, id, out, err) < 0)
			return -1;
		if (!strcmp(out->status, "running"))
			return 0;
		if (pp_clock_fixed() || pp_monotonic() + l->poll_interval > end) {
			json_object *root = load(c, PP_LOCK_SH, err);
			json_object *s = root ? find(root, "id", id, NULL) :
				NULL;

			pp_format_time(s ? ready_at(s) : 0, t, sizeof t);
			pp_cloud_error_set(err, "timeout", 0, 1, "server %s is "
				"still initializing (running at %s on the %s "
				"clock)", id, t, pp_clock_fixed() ? "--now" :
				"system");
			if (root)
				done(c, root);
			return -1;
		}
		pp_server_free(out);
		pp_sleep(l->poll_interval);
		c->waited += l->poll_interval;
	}
}

static void
lc_close(struct pp_cloud *c)
{
	struct lc *l = c->priv;

	drop_cached(l);
	free(l->path);
	free(l);
}

static const struct pp_cloud_ops local_ops = {
	"local", lc_create, lc_destroy, lc_list, lc_get, lc_server_types,
	lc_wait_ready, lc_close, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

int
pp_cloud_local_open(struct pp_cloud *c, struct pp_cloud_error *err)
{
	struct lc *l = pp_xcalloc(1, sizeof *l);

	(void)err;
	l->path = c->cfg->cloud.local.file ?
		pp_xstrdup(c->cfg->cloud.local.file) :
		pp_xasprintf("%s/cloud.json", c->state_dir);
	l->boot_seconds = c->cfg->cloud.local.boot_seconds;
	l->server_limit = c->cfg->cloud.local.server_limit;
	l->poll_interval = c->cfg->cloud.poll_interval;
	l->lock.fd = -1;
	c->ops = &local_ops;
	c->priv = l;
	return 0;
}
