/* The cloud provider interface: choosing the provider, the operations
 * through it, dry-run recording, and what both providers share. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/cloud.h"
#include "base/json.h"
#include "cloud/labels.h"
#include "base/util.h"

void
pp_cloud_error_set(struct pp_cloud_error *e, const char *code,
	int http_status, int retryable, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->code, sizeof e->code, "%s", code);
	e->http_status = http_status;
	e->retryable = retryable;
	e->unknown = 0;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

struct pp_cloud *
pp_cloud_open(const struct pp_config *cfg, const char *state_dir,
	struct pp_cloud_error *err)
{
	struct pp_cloud *c = pp_xcalloc(1, sizeof *c);
	const char *p = cfg->cloud.provider ? cfg->cloud.provider : "local";
	int rc;

	memset(err, 0, sizeof *err);
	c->cfg = cfg;
	c->state_dir = pp_state_dir(cfg, state_dir);
	c->op_timeout = (double)cfg->cloud.deadline;
	if (!strcmp(p, "hetzner")) {
		rc = pp_cloud_hetzner_open(c, err);
	} else if (!strcmp(p, "local")) {
		rc = pp_cloud_local_open(c, err);
	} else {
		pp_cloud_error_set(err, "config", 0, 0, "unknown cloud "
			"provider '%s' (cloud.provider: hetzner or local)", p);
		rc = -1;
	}
	if (rc < 0) {
		free(c->state_dir);
		free(c);
		return NULL;
	}
	return c;
}

void
pp_cloud_close(struct pp_cloud *c)
{
	if (!c)
		return;
	if (c->ops && c->ops->close)
		c->ops->close(c);
	for (size_t i = 0; i < c->nrequests; i++) {
		free(c->requests[i].method);
		free(c->requests[i].path);
		free(c->requests[i].body);
	}
	free(c->requests);
	free(c->state_dir);
	free(c);
}

void
pp_cloud_set_dry_run(struct pp_cloud *c, int on)
{
	c->dry_run = on;
}

void
pp_cloud_set_deadline(struct pp_cloud *c, double deadline)
{
	c->deadline = deadline;
}

void
pp_cloud_record(struct pp_cloud *c, const char *method, const char *path,
	const char *body, int sent, long status)
{
	struct pp_cloud_request *r;

	c->requests = pp_xreallocarray(c->requests, c->nrequests + 1,
		sizeof *c->requests);
	r = &c->requests[c->nrequests++];
	r->method = pp_xstrdup(method);
	r->path = pp_xstrdup(path);
	r->body = body ? pp_xstrdup(body) : NULL;
	r->sent = sent;
	r->status = status;
}

json_object *
pp_cloud_requests_json(const struct pp_cloud *c)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < c->nrequests; i++) {
		const struct pp_cloud_request *r = &c->requests[i];
		json_object *o = json_object_new_object();
		json_object *b = r->body ? json_tokener_parse(r->body) : NULL;

		json_object_object_add(o, "method",
			json_object_new_string(r->method));
		json_object_object_add(o, "path",
			json_object_new_string(r->path));
		json_object_object_add(o, "body", b);
		json_object_object_add(o, "sent",
			json_object_new_boolean(r->sent));
		json_object_object_add(o, "status",
			json_object_new_int64(r->status));
		json_object_array_add(a, o);
	}
	return a;
}

char *
pp_cloud_selector(const struct pp_config *cfg)
{
	/* a pool-less install's servers carry no pool label: "!pool"
	 * (absent) keeps every pool's servers out of its listing */
	if (cfg->cloud.pool)
		return pp_xasprintf("%s=%s,pool=%s", cfg->cloud.label_key,
			cfg->cloud.label_value, cfg->cloud.pool);
	return pp_xasprintf("%s=%s,!pool", cfg->cloud.label_key,
		cfg->cloud.label_value);
}

int
pp_cloud_is_ours(const struct pp_config *cfg, const struct pp_server *s,
	const char *name, char *why, size_t len)
{
	const char *v = pp_strmap_get(&s->labels, cfg->cloud.label_key);
	const char *pool = pp_strmap_get(&s->labels, "pool");
	const char *pfx = cfg->cloud.name_prefix ? cfg->cloud.name_prefix :
		"";

	if (!v || strcmp(v, cfg->cloud.label_value)) {
		snprintf(why, len, "server %s ('%s') does not carry our label "
			"%s=%s", s->id, s->name ? s->name : "?",
			cfg->cloud.label_key, cfg->cloud.label_value);
		return 0;
	}
	if (cfg->cloud.pool && (!pool || strcmp(pool, cfg->cloud.pool))) {
		snprintf(why, len, "server %s ('%s') belongs to pool '%s', "
			"not '%s'", s->id, s->name ? s->name : "?",
			pool ? pool : "(none)", cfg->cloud.pool);
		return 0;
	}
	if (!cfg->cloud.pool && pool) {
		snprintf(why, len, "server %s ('%s') belongs to pool '%s', "
			"and cloud.pool is unset (no pool)", s->id,
			s->name ? s->name : "?", pool);
		return 0;
	}
	if (name && (!s->name || strcmp(s->name, name))) {
		snprintf(why, len, "server %s is named '%s', not '%s'", s->id,
			s->name ? s->name : "?", name);
		return 0;
	}
	/* a registered node's server is ours by the record; any other
	 * is ours only by its name too: a server someone else labelled
	 * like ours is not ppscale's to adopt or delete */
	if (!name && (!s->name || strncmp(s->name, pfx, strlen(pfx)) ||
	    strlen(s->name) <= strlen(pfx))) {
		snprintf(why, len, "server %s is named '%s', which does not "
			"start with cloud.name_prefix '%s'", s->id,
			s->name ? s->name : "?", pfx);
		return 0;
	}
	return 1;
}

void
pp_cloud_labels(const struct pp_config *cfg, const char *role,
	struct pp_strmap *out)
{
	pp_strmap_copy(out, &cfg->cloud.labels);
	pp_strmap_set(out, cfg->cloud.label_key, cfg->cloud.label_value);
	if (cfg->cloud.pool)
		pp_strmap_set(out, "pool", cfg->cloud.pool);
	if (role)
		pp_strmap_set(out, "role", role);
}

/* Hetzner wants numeric ids as numbers; names stay strings. */
static json_object *
id_value(const char *s)
{
	char *end;
	long long v;

	/* digits only: " 12", "+12" or "-12" stay names, as does a
	 * number past int64 */
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return json_object_new_string(s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*end && v > 0 && errno != ERANGE)
		return json_object_new_int64(v);
	return json_object_new_string(s);
}

json_object *
pp_server_spec_json(const struct pp_server_spec *spec)
{
	json_object *o = json_object_new_object();
	json_object *labels = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(spec->name));
	json_object_object_add(o, "server_type",
		json_object_new_string(spec->type));
	json_object_object_add(o, "image",
		json_object_new_string(spec->image));
	if (spec->location)
		json_object_object_add(o, "location",
			json_object_new_string(spec->location));
	json_object_object_add(o, "start_after_create",
		json_object_new_boolean(1));
	for (size_t i = 0; spec->labels && i < spec->labels->n; i++)
		json_object_object_add(labels, spec->labels->keys[i],
			json_object_new_string(spec->labels->vals[i]));
	json_object_object_add(o, "labels", labels);
	if (spec->user_data)
		json_object_object_add(o, "user_data",
			json_object_new_string(spec->user_data));
	if (spec->ssh_keys && spec->ssh_keys->n) {
		json_object *a = json_object_new_array();

		/* "IDs (integer) or names (string)": an id sent as a
		 * string would be looked up as a name */
		for (size_t i = 0; i < spec->ssh_keys->n; i++)
			json_object_array_add(a,
				id_value(spec->ssh_keys->v[i]));
		json_object_object_add(o, "ssh_keys", a);
	}
	if (spec->networks && spec->networks->n) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < spec->networks->n; i++)
			json_object_array_add(a,
				id_value(spec->networks->v[i]));
		json_object_object_add(o, "networks", a);
	}
	if (spec->firewalls && spec->firewalls->n) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < spec->firewalls->n; i++) {
			json_object *f = json_object_new_object();

			json_object_object_add(f, "firewall",
				id_value(spec->firewalls->v[i]));
			json_object_array_add(a, f);
		}
		json_object_object_add(o, "firewalls", a);
	}
	if (spec->placement_group)
		json_object_object_add(o, "placement_group",
			id_value(spec->placement_group));
	return o;
}

static void
begin(struct pp_cloud *c, struct pp_cloud_error *err, double *saved)
{
	memset(err, 0, sizeof *err);
	*saved = c->deadline;
	if (!c->deadline && c->op_timeout > 0)
		c->deadline = pp_monotonic() + c->op_timeout;
}

static int
end(struct pp_cloud *c, double saved, int rc)
{
	c->deadline = saved;
	return rc;
}

/* A server's "created" on this host's clock (see clock_skew). */
static void
host_clock(const struct pp_cloud *c, struct pp_server *s)
{
	if (s->created && c->clock_skew)
		s->created -= (time_t)c->clock_skew;
}

/* end() for an operation that hands out one server */
static int
end_server(struct pp_cloud *c, double saved, int rc, struct pp_server *s)
{
	host_clock(c, s);
	return end(c, saved, rc);
}

/* A create's on_created sees the new server on this host's clock too
 * (it records the server when the intent is gone), while the provider
 * still holds its own copy. */
struct created_hook {
	void (*fn)(void *arg, const struct pp_server *s);
	void *arg;
	struct pp_cloud *c;
};

static void
created_on_host_clock(void *arg, const struct pp_server *s)
{
	struct created_hook *k = arg;
	struct pp_server t = *s;

	host_clock(k->c, &t);
	k->fn(k->arg, &t);
}

static void
hook_created(struct pp_cloud *c, struct created_hook *k)
{
	*k = (struct created_hook){c->on_created, c->on_created_arg, c};
	if (k->fn) {
		c->on_created = created_on_host_clock;
		c->on_created_arg = k;
	}
}

static void
unhook_created(struct pp_cloud *c, const struct created_hook *k)
{
	c->on_created = k->fn;
	c->on_created_arg = k->arg;
}

int
pp_cloud_create(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_error *err)
{
	struct created_hook k;
	double saved;
	int rc;

	memset(out, 0, sizeof *out);
	if (c->dry_run) {
		json_object *b = pp_server_spec_json(spec);

		memset(err, 0, sizeof *err);
		pp_cloud_record(c, "POST", "/servers", pp_json_string(b, 0),
			0, 0);
		json_object_put(b);
		out->id = pp_xasprintf("dry-run-%ld", ++c->dry_ids);
		out->name = pp_xstrdup(spec->name);
		out->status = pp_xstrdup("initializing");
		out->type = pp_xstrdup(spec->type);
		out->location = pp_xstrdup(spec->location ?
			spec->location : "");
		if (spec->labels)
			pp_strmap_copy(&out->labels, spec->labels);
		out->created = pp_now();
		return 0;
	}
	begin(c, err, &saved);
	hook_created(c, &k);
	rc = c->ops->create(c, spec, out, err);
	unhook_created(c, &k);
	return end_server(c, saved, rc, out);
}

void
pp_cloud_pending_free(struct pp_cloud_pending *p)
{
	free(p->server_id);
	free(p->actions);
	free(p->astate);
	memset(p, 0, sizeof *p);
}

int
pp_cloud_create_start(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_pending *pend,
	struct pp_cloud_error *err)
{
	struct created_hook k;
	double saved;
	int rc;

	memset(pend, 0, sizeof *pend);
	if (c->dry_run || !c->ops->create_start) {
		rc = pp_cloud_create(c, spec, out, err);
		if (rc == 0) {
			pend->server_id = pp_xstrdup(out->id);
			pend->state = 1;
		}
		return rc;
	}
	memset(out, 0, sizeof *out);
	begin(c, err, &saved);
	hook_created(c, &k);
	rc = c->ops->create_start(c, spec, out, pend, err);
	unhook_created(c, &k);
	if (rc == 0 && !pend->server_id)
		pend->server_id = pp_xstrdup(out->id);
	return end_server(c, saved, rc, out);
}

void
pp_cloud_wait_actions(struct pp_cloud *c, struct pp_cloud_pending *v,
	size_t n)
{
	double saved = c->deadline;
	size_t left = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].state == 0 && !v[i].nactions)
			v[i].state = 1;
		left += v[i].state == 0;
	}
	if (!left || !c->ops->wait_actions)
		return;
	/* cloud.action_timeout bounds the wait, cloud.deadline each
	 * request inside it (the provider sets it per poll) */
	c->deadline = 0;
	c->ops->wait_actions(c, v, n, (double)c->cfg->cloud.action_timeout);
	c->deadline = saved;
}

int
pp_cloud_delete(struct pp_cloud *c, const char *id,
	struct pp_cloud_error *err)
{
	double saved;

	if (c->dry_run) {
		char *path = pp_xasprintf("/servers/%s", id);

		memset(err, 0, sizeof *err);
		pp_cloud_record(c, "DELETE", path, NULL, 0, 0);
		free(path);
		return 0;
	}
	begin(c, err, &saved);
	return end(c, saved, c->ops->destroy(c, id, err));
}

int
pp_cloud_image(struct pp_cloud *c, struct pp_image_check *out,
	struct pp_cloud_error *err)
{
	double saved;

	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	if (!c->ops->image)
		return 0;
	begin(c, err, &saved);
	return end(c, saved, c->ops->image(c, out, err));
}

int
pp_cloud_busy(struct pp_cloud *c, const char *id, struct pp_cloud_error *err)
{
	double saved;

	if (!c->ops->busy) {
		memset(err, 0, sizeof *err);
		pp_cloud_error_set(err, "unsupported", 0, 0, "provider '%s' "
			"cannot tell whether an action runs on a server",
			c->ops->name);
		return -1;
	}
	begin(c, err, &saved);
	return end(c, saved, c->ops->busy(c, id, err));
}

int
pp_cloud_power_on(struct pp_cloud *c, const char *id,
	struct pp_cloud_error *err)
{
	double saved;

	if (!c->ops->power_on) {
		memset(err, 0, sizeof *err);
		pp_cloud_error_set(err, "unsupported", 0, 0, "provider '%s' "
			"cannot power a server on", c->ops->name);
		return -1;
	}
	if (c->dry_run) {
		char *path = pp_xasprintf("/servers/%s/actions/poweron", id);

		memset(err, 0, sizeof *err);
		pp_cloud_record(c, "POST", path, NULL, 0, 0);
		free(path);
		return 0;
	}
	begin(c, err, &saved);
	return end(c, saved, c->ops->power_on(c, id, err));
}

long
pp_cloud_starts(struct pp_cloud *c, const char *id,
	struct pp_cloud_error *err)
{
	double saved;
	long n;

	if (!c->ops->starts) {
		memset(err, 0, sizeof *err);
		pp_cloud_error_set(err, "unsupported", 0, 0, "provider '%s' "
			"cannot list a server's actions", c->ops->name);
		return -1;
	}
	begin(c, err, &saved);
	n = c->ops->starts(c, id, err);
	end(c, saved, n < 0 ? -1 : 0);
	return n < 0 ? -1 : n;
}

int
pp_cloud_list(struct pp_cloud *c, const char *selector,
	struct pp_server_list *out, struct pp_cloud_error *err)
{
	double saved;
	int rc;

	memset(out, 0, sizeof *out);
	begin(c, err, &saved);
	rc = c->ops->list(c, selector ? selector : "", out, err);
	for (size_t i = 0; rc == 0 && i < out->n; i++)
		host_clock(c, &out->v[i]);
	return end(c, saved, rc);
}

int
pp_cloud_get(struct pp_cloud *c, const char *id, struct pp_server *out,
	struct pp_cloud_error *err)
{
	double saved;

	memset(out, 0, sizeof *out);
	begin(c, err, &saved);
	return end_server(c, saved, c->ops->get(c, id, out, err), out);
}

int
pp_cloud_find_name(struct pp_cloud *c, const char *name,
	struct pp_server *out, struct pp_cloud_error *err)
{
	struct pp_server_list l = {0};
	double saved;
	int rc, found = 0;

	memset(out, 0, sizeof *out);
	begin(c, err, &saved);
	rc = c->ops->find_name ? c->ops->find_name(c, name, &l, err) :
		c->ops->list(c, "", &l, err);
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		if (!found && l.v[i].name && !strcmp(l.v[i].name, name)) {
			*out = l.v[i];
			memset(&l.v[i], 0, sizeof l.v[i]);
			host_clock(c, out);
			found = 1;
		}
	pp_server_list_free(&l);
	rc = end(c, saved, rc);
	return rc < 0 ? -1 : found;
}

int
pp_cloud_server_types(struct pp_cloud *c, struct pp_catalog *out,
	struct pp_cloud_error *err)
{
	double saved;

	memset(out, 0, sizeof *out);
	begin(c, err, &saved);
	return end(c, saved, c->ops->server_types(c, out, err));
}

int
pp_cloud_wait_ready(struct pp_cloud *c, const char *id, double timeout,
	struct pp_server *out, struct pp_cloud_error *err)
{
	double saved;

	memset(out, 0, sizeof *out);
	if (c->dry_run && !strncmp(id, "dry-run-", 8)) {
		memset(err, 0, sizeof *err);
		out->id = pp_xstrdup(id);
		out->status = pp_xstrdup("running");
		return 0;
	}
	/* the wait has its own timeout; the deadline bounds only the
	 * requests inside it, unless the caller set one */
	saved = c->deadline;
	memset(err, 0, sizeof *err);
	if (!c->deadline)
		c->deadline = pp_monotonic() + timeout + c->op_timeout;
	return end_server(c, saved, c->ops->wait_ready(c, id, timeout, out,
		err), out);
}

int
pp_cloud_status(struct pp_cloud *c, const char *id, char *buf, size_t len,
	struct pp_cloud_error *err)
{
	struct pp_server s;

	if (pp_cloud_get(c, id, &s, err) < 0)
		return -1;
	snprintf(buf, len, "%s", s.status ? s.status : "unknown");
	pp_server_free(&s);
	return 0;
}

int
pp_cloud_hourly_cost(struct pp_cloud *c, const char *type,
	const char *location, double *eur, struct pp_cloud_error *err)
{
	struct pp_catalog cat;
	const struct pp_server_type *t;
	const struct pp_price *p = NULL;

	if (pp_cloud_server_types(c, &cat, err) < 0)
		return -1;
	t = pp_catalog_find(&cat, type);
	if (t)
		p = pp_type_price(t, location);
	if (!p) {
		pp_cloud_error_set(err, "not_found", 0, 0, "server type '%s' "
			"has no price in '%s'", type, location);
		pp_catalog_free(&cat);
		return -1;
	}
	*eur = p->hourly_eur;
	pp_catalog_free(&cat);
	return 0;
}

static json_object *
str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *
pp_server_json(const struct pp_server *s)
{
	json_object *o = json_object_new_object();
	json_object *l = json_object_new_object();

	json_object_object_add(o, "id", str_or_null(s->id));
	json_object_object_add(o, "name", str_or_null(s->name));
	json_object_object_add(o, "status", str_or_null(s->status));
	json_object_object_add(o, "server_type", str_or_null(s->type));
	json_object_object_add(o, "location", str_or_null(s->location));
	json_object_object_add(o, "ipv4", str_or_null(s->ipv4));
	json_object_object_add(o, "private_ip", str_or_null(s->private_ip));
	for (size_t i = 0; i < s->labels.n; i++)
		json_object_object_add(l, s->labels.keys[i],
			json_object_new_string(s->labels.vals[i]));
	json_object_object_add(o, "labels", l);
	json_object_object_add(o, "created",
		s->created ? pp_jnew_time(s->created) : NULL);
	return o;
}

json_object *
pp_cloud_error_json(const struct pp_cloud_error *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(e->code));
	json_object_object_add(o, "http_status",
		json_object_new_int(e->http_status));
	json_object_object_add(o, "message",
		json_object_new_string(e->message));
	json_object_object_add(o, "retryable",
		json_object_new_boolean(e->retryable));
	return o;
}

void
pp_server_free(struct pp_server *s)
{
	free(s->id);
	free(s->name);
	free(s->status);
	free(s->type);
	free(s->location);
	free(s->ipv4);
	free(s->private_ip);
	pp_strmap_clear(&s->labels);
	memset(s, 0, sizeof *s);
}

void
pp_server_list_free(struct pp_server_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		pp_server_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}
