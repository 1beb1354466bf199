/* The Hetzner provider's creates: POST /servers sent at most once per
 * attempt, the name looked up after any outcome nobody could read, and
 * the actions of the creates (create_server, then its next_actions such
 * as start_server) waited for, one create's or many together with one
 * GET /actions?id=... per poll. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/cloud.h"
#include "base/json.h"
#include "base/http.h"
#include "cloud/labels.h"
#include "cloud/hetzner_int.h"
#include "base/util.h"

/* Polls an action until it ends, within cloud.action_timeout. With
 * per_request, the operation's deadline (cloud.deadline) bounds each
 * poll, not the wait: a create action may take minutes. Otherwise (a
 * delete holding the registry lock) the caller's deadline bounds it
 * too, and a wait the deadline ends (before a poll, or a poll cut
 * short by it) returns 1 with err set: the action is still running,
 * neither done nor failed. */
int
pp_hz_wait_action(struct hz *h, json_object *action, const char *what,
	int per_request, struct pp_cloud_error *err)
{
	double saved = h->c->deadline;
	long long id = 0;
	const char *st = pp_jstr(action, "status", "running");
	double t0 = pp_monotonic(), end = t0 + h->action_timeout;
	double poll = h->poll_interval;
	json_object *o = NULL;
	int rc = -1;

	if (pp_hz_id(action, "an action", &id, err) < 0 &&
	    !strcmp(st, "running")) {
		/* taken, but nothing tells how it ends */
		char msg[sizeof err->message];

		memcpy(msg, err->message, sizeof msg);
		pp_cloud_error_set(err, "action_unknown", 200, 1, "%s: %.400s",
			what, msg);
		return -1;
	}
	while (!strcmp(st, "running")) {
		int late = !per_request && h->c->deadline > 0 &&
			pp_monotonic() + poll > h->c->deadline;
		char *path;

		if (pp_monotonic() + poll > end || late) {
			pp_cloud_error_set(err, "timeout", 0, 1, "%s: action "
				"%lld still running after %.1f s (%s)", what,
				id, pp_monotonic() - t0, pp_monotonic() + poll >
				end ? "cloud.action_timeout" :
				"the operation's deadline");
			json_object_put(o);
			return late && pp_monotonic() + poll <= end ? 1 : -1;
		}
		pp_http_wait(&h->http, poll);
		poll = pp_hz_next_poll(poll, h->poll_interval);
		pp_hz_sync_counters(h);
		path = pp_xasprintf("/actions/%lld", id);
		json_object_put(o);
		if (per_request && h->c->op_timeout > 0)
			h->c->deadline = pp_monotonic() + h->c->op_timeout;
		rc = pp_hz_api(h, "GET", path, NULL, 1, NULL, NULL, &o, NULL, err);
		h->c->deadline = saved;
		free(path);
		if (rc < 0) {
			/* the action's outcome is unknown, not failed: a
			 * server must not be deleted for a 500 on a poll */
			char msg[sizeof err->message];

			if (!per_request && h->c->deadline > 0 &&
			    !strcmp(err->code, "timeout") &&
			    pp_monotonic() + 0.01 >= h->c->deadline) {
				memcpy(msg, err->message, sizeof msg);
				pp_cloud_error_set(err, "timeout", 0, 1, "%s: "
					"action %lld still running at the "
					"operation's deadline: %.400s", what,
					id, msg);
				return 1;
			}
			memcpy(msg, err->message, sizeof msg);
			pp_cloud_error_set(err, "action_unknown",
				err->http_status, 1, "%s: cannot read action "
				"%lld: %.400s", what, id, msg);
			return -1;
		}
		action = pp_jget(o, "action");
		st = pp_jstr(action, "status", "running");
	}
	if (!strcmp(st, "success")) {
		rc = 0;
	} else {
		json_object *e = pp_jget(action, "error");

		pp_cloud_error_set(err, pp_jstr(e, "code", "action_failed"),
			0, 0, "%s: action %lld ended in '%s': %s", what, id, st,
			pp_jstr(e, "message", "no message"));
		rc = -1;
	}
	json_object_put(o);
	return rc;
}

struct lookup {
	struct hz *h;
	const struct pp_server_spec *spec;
	struct pp_server found;
	int have;
	struct pp_cloud_error err;
};

/* After an ambiguous failure of POST /servers: did it create the
 * server? Names are unique, so the name tells; the labels tell that it
 * is ours and not someone else's server of that name. */
static int
lookup_created(void *arg)
{
	struct lookup *l = arg;
	struct pp_server_list list = {0};
	char *esc = pp_url_escape(l->spec->name);
	char *path = pp_xasprintf("/servers?name=%s", esc);
	int rc;

	l->h->ambiguous = 1;
	free(esc);
	rc = pp_hz_get_pages(l->h, path, "servers", pp_hz_add_server, &list, &l->err);
	free(path);
	if (rc < 0) {
		/* each() may have failed after some were listed */
		pp_server_list_free(&list);
		return -1;
	}
	if (!list.n) {
		pp_server_list_free(&list);
		return 0;
	}
	for (size_t i = 0; l->spec->labels && i < l->spec->labels->n; i++) {
		const char *v = pp_strmap_get(&list.v[0].labels,
			l->spec->labels->keys[i]);

		if (!v || strcmp(v, l->spec->labels->vals[i])) {
			pp_cloud_error_set(&l->err, "uniqueness_error", 409, 0,
				"a server named '%s' exists (id %s) but does "
				"not carry our labels", l->spec->name,
				list.v[0].id);
			pp_server_list_free(&list);
			return -1;
		}
	}
	l->found = list.v[0];
	l->have = 1;
	list.n = 0;
	pp_server_list_free(&list);
	return 1;
}

/* A failed create whose outcome was not read: no answer, a timeout, a
 * 5xx (a proxy may answer that after the API made it), a 2xx whose
 * body could not be read (the API made it), or a uniqueness_error (the
 * name is one we chose at random: most likely an earlier attempt of
 * ours took it). */
static int
outcome_unread(const struct pp_cloud_error *err)
{
	return !strcmp(err->code, "transport") ||
		!strcmp(err->code, "timeout") ||
		!strcmp(err->code, "uniqueness_error") ||
		(err->http_status >= 200 && err->http_status < 300) ||
		err->http_status >= 500;
}

/* The server a create's 2xx answer names, or NULL when it names none
 * (no id): the API made one all the same. */
static json_object *
answered_server(json_object *o)
{
	json_object *s = pp_jget(o, "server");

	long long id;

	return s && json_object_is_type(s, json_type_object) &&
		pp_jint_get(s, "id", 1, INT64_MAX, &id) == PP_JINT_OK ? s :
		NULL;
}

/* The create's actions from its answer: create_server, then the
 * next_actions (start_server). One already ended counts as done; one
 * already failed fails the create. */
static void
take_actions(json_object *o, struct pp_cloud_pending *p)
{
	json_object *next = pp_jget(o, "next_actions");
	size_t nnext = next && json_object_is_type(next, json_type_array) ?
		json_object_array_length(next) : 0;
	json_object **all = pp_xcalloc(nnext + 1, sizeof *all);
	size_t n = 0;

	if (pp_jget(o, "action"))
		all[n++] = pp_jget(o, "action");
	for (size_t i = 0; i < nnext; i++)
		all[n++] = json_object_array_get_idx(next, i);
	p->actions = pp_xcalloc(n ? n : 1, sizeof *p->actions);
	p->astate = pp_xcalloc(n ? n : 1, sizeof *p->astate);
	for (size_t i = 0; i < n; i++) {
		const char *st = pp_jstr(all[i], "status", "running");
		json_object *e = pp_jget(all[i], "error");

		struct pp_cloud_error bad;
		long long id = 0;

		if (pp_hz_id(all[i], "an action", &id, &bad) < 0 &&
		    !strcmp(st, "running") && p->state == 0) {
			/* one that cannot be polled: the server stays for
			 * a later look, as when its actions are lost */
			p->state = -2;
			pp_cloud_error_set(&p->err, "action_unknown", 201, 1,
				"create server %s: POST /servers: %.400s",
				p->server_id, bad.message);
		}
		p->actions[p->nactions] = id;
		p->astate[p->nactions] = strcmp(st, "running") != 0;
		p->nactions++;
		if (strcmp(st, "running") && strcmp(st, "success") &&
		    p->state == 0) {
			p->state = -1;
			pp_cloud_error_set(&p->err, pp_jstr(e, "code",
				"action_failed"), 0, 0, "create server %s: "
				"action %lld ended in '%s': %s", p->server_id ?
				p->server_id : "?", id, st, pp_jstr(e, "message", "no message"));
		}
	}
	free(all);
}

int
pp_hz_create_start(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_pending *pend,
	struct pp_cloud_error *err)
{
	struct hz *h = c->priv;
	struct lookup l;
	json_object *b = pp_server_spec_json(spec);
	json_object *o = NULL;
	char *body = pp_xstrdup(pp_json_string(b, 0));
	int resolved = 0, rc;

	json_object_put(b);
	memset(&l, 0, sizeof l);
	memset(pend, 0, sizeof *pend);
	l.h = h;
	l.spec = spec;
	h->ambiguous = 0;
	rc = pp_hz_api(h, "POST", "/servers", body, 0, lookup_created, &l, &o,
		&resolved, err);
	free(body);
	if (rc < 0 && l.err.code[0]) {
		/* the look-up itself failed: say that, it is the news */
		*err = l.err;
		err->unknown = 1;
		return -1;
	}
	if (rc < 0 && !l.have && outcome_unread(err)) {
		/* the last attempt's answer was lost (no retry looked), or a
		 * uniqueness_error that an earlier attempt of ours may have
		 * caused: the name tells */
		struct pp_cloud_error first = *err;

		rc = lookup_created(&l);
		if (rc == 1) {
			resolved = 1;
		} else if (l.err.code[0]) {
			*err = l.err;
			err->unknown = strcmp(err->code, "uniqueness_error") != 0;
			return -1;
		} else {
			*err = first;
			/* a 2xx said it was made: not listed yet is no "no" */
			err->unknown = first.http_status >= 200 &&
				first.http_status < 300;
			return -1;
		}
	} else if (rc < 0) {
		return -1;
	} else if (!resolved && !answered_server(o)) {
		/* a 2xx that names no server: it was made, the name tells */
		json_object_put(o);
		o = NULL;
		rc = lookup_created(&l);
		if (rc == 1) {
			resolved = 1;
		} else {
			if (l.err.code[0])
				*err = l.err;
			else
				pp_cloud_error_set(err, "bad_answer", 201, 1,
					"POST /servers: the answer names no "
					"server, and none named '%s' is listed "
					"yet", spec->name);
			err->unknown = 1;
			return -1;
		}
	}
	if (resolved) {
		/* its actions are unknown: the boot wait decides */
		pp_warn("server '%s' (id %s) was created by a request whose "
			"answer was lost; using it", spec->name, l.found.id);
		*out = l.found;
		pend->server_id = pp_xstrdup(out->id);
		if (c->on_created)
			c->on_created(c->on_created_arg, out);
		return 0;
	}
	if (pp_hz_parse_server(pp_jget(o, "server"), out, err) < 0) {
		/* answered_server took its id */
		json_object_put(o);
		return -1;
	}
	pend->server_id = pp_xstrdup(out->id);
	take_actions(o, pend);
	json_object_put(o);
	if (c->on_created)
		c->on_created(c->on_created_arg, out);
	return 0;
}

static struct pp_cloud_pending *
owner(struct pp_cloud_pending *v, size_t n, long long id, size_t *j)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; v[i].state == 0 && k < v[i].nactions; k++)
			if (v[i].actions[k] == id) {
				*j = k;
				return &v[i];
			}
	return NULL;
}

struct polled {
	struct pp_cloud_pending *v;
	size_t n;
	size_t *at;           /* [n]: where v[i]'s actions start in seen */
	unsigned char *seen;  /* every action of v: in this answer */
	size_t nseen;
};

static int
on_action(json_object *a, void *arg, struct pp_cloud_error *err)
{
	struct polled *q = arg;
	const char *st = pp_jstr(a, "status", "running");
	json_object *e = pp_jget(a, "error");
	size_t j = 0;
	long long id;
	struct pp_cloud_pending *p;

	if (pp_hz_id(a, "an action", &id, err) < 0)
		return -1;
	p = owner(q->v, q->n, id, &j);
	if (!p)
		return 0;
	q->seen[q->at[p - q->v] + j] = 1;
	if (!strcmp(st, "running"))
		return 0;
	p->astate[j] = 1;
	if (strcmp(st, "success")) {
		p->state = -1;
		pp_cloud_error_set(&p->err, pp_jstr(e, "code",
			"action_failed"), 0, 0, "create server %s: action "
			"%lld (%s) ended in '%s': %s", p->server_id,
			id, pp_jstr(a, "command", "?"), st,
			pp_jstr(e, "message", "no message"));
	}
	return 0;
}

/* A server whose create failed still bills: remove it. */
static void
remove_failed(struct pp_cloud *c, struct pp_cloud_pending *p)
{
	struct pp_cloud_error derr;
	size_t len = strlen(p->err.message);
	double saved = c->deadline;

	c->deadline = c->op_timeout > 0 ? pp_monotonic() + c->op_timeout : 0;
	if (c->ops->destroy(c, p->server_id, &derr) == 0 ||
	    !strcmp(derr.code, "not_found")) {
		p->deleted = 1;
		snprintf(p->err.message + len, sizeof p->err.message - len,
			"; the server was deleted again");
	} else {
		p->deleted = -1;
		snprintf(p->err.message + len, sizeof p->err.message - len,
			"; deleting it failed too: %s", derr.message);
	}
	c->deadline = saved;
}

void
pp_hz_wait_actions(struct pp_cloud *c, struct pp_cloud_pending *v, size_t n,
	double timeout)
{
	struct hz *h = c->priv;
	double t0 = pp_monotonic(), poll = h->poll_interval;
	struct polled q = {v, n, pp_xcalloc(n + 1, sizeof *q.at), NULL, 0};

	for (size_t i = 0; i < n; i++) {
		q.at[i] = q.nseen;
		q.nseen += v[i].nactions;
	}
	q.seen = pp_xcalloc(q.nseen + 1, 1);
	for (;;) {
		struct pp_buf path = {0};
		struct pp_cloud_error err;
		size_t ids = 0;
		int rc;

		for (size_t i = 0; i < n; i++) {
			int all = 1;

			for (size_t k = 0; v[i].state == 0 &&
			    k < v[i].nactions; k++)
				all &= v[i].astate[k];
			if (v[i].state == 0 && all) {
				v[i].state = 1;
				v[i].waited = pp_monotonic() - t0;
			}
			if (v[i].state == -1 && !v[i].deleted) {
				v[i].waited = pp_monotonic() - t0;
				remove_failed(c, &v[i]);
			}
		}
		pp_buf_add(&path, "/actions", 8);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; v[i].state == 0 &&
			    k < v[i].nactions; k++)
				if (!v[i].astate[k])
					pp_buf_printf(&path, "%cid=%lld", ids++ ?
						'&' : '?', v[i].actions[k]);
		if (!ids) {
			pp_buf_free(&path);
			free(q.seen);
			free(q.at);
			return;
		}
		if (pp_monotonic() + poll > t0 + timeout ||
		    pp_interrupted()) {
			/* created all the same: their nodes stay
			 * provisioning and a later look decides */
			for (size_t i = 0; i < n; i++) {
				if (v[i].state)
					continue;
				v[i].state = -2;
				v[i].waited = pp_monotonic() - t0;
				pp_cloud_error_set(&v[i].err, "timeout", 0, 1,
					"create server %s: its actions are still "
					"running after %.1f s (%s)",
					v[i].server_id, v[i].waited,
					pp_interrupted() ? "interrupted" :
					"cloud.action_timeout");
			}
			pp_buf_free(&path);
			free(q.seen);
			free(q.at);
			return;
		}
		pp_http_wait(&h->http, poll);
		poll = pp_hz_next_poll(poll, h->poll_interval);
		pp_hz_sync_counters(h);
		/* cloud.deadline bounds each poll, not the wait */
		c->deadline = c->op_timeout > 0 ? pp_monotonic() +
			c->op_timeout : 0;
		memset(q.seen, 0, q.nseen);
		rc = pp_hz_get_pages(h, path.s, "actions", on_action, &q, &err);
		c->deadline = 0;
		pp_buf_free(&path);
		if (rc < 0) {
			/* the outcome is unknown, not failed: a server must
			 * not be deleted for a 500 on a poll */
			for (size_t i = 0; i < n; i++) {
				if (v[i].state)
					continue;
				v[i].state = -2;
				v[i].waited = pp_monotonic() - t0;
				pp_cloud_error_set(&v[i].err, "action_unknown",
					err.http_status, 1, "create server %s: "
					"cannot read its actions: %.400s",
					v[i].server_id, err.message);
			}
			free(q.seen);
			free(q.at);
			return;
		}
		/* an action the answer lacks would be polled for until
		 * the timeout (hcloud-go fails at once): its outcome is
		 * unknown, and the server stays for a later look */
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; v[i].state == 0 &&
			    k < v[i].nactions; k++)
				if (!v[i].astate[k] &&
				    !q.seen[q.at[i] + k]) {
					v[i].state = -2;
					v[i].waited = pp_monotonic() - t0;
					pp_cloud_error_set(&v[i].err,
						"action_unknown", 0, 1,
						"create server %s: action %lld "
						"is missing from the API's "
						"answer to GET /actions",
						v[i].server_id,
						v[i].actions[k]);
				}
	}
}

/* One create and its wait: a server whose create failed is deleted
 * again; one whose actions still run at cloud.action_timeout is left
 * (code "timeout", out filled). */
int
pp_hz_create(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_error *err)
{
	struct pp_cloud_pending p;
	double saved = c->deadline;

	if (pp_hz_create_start(c, spec, out, &p, err) < 0) {
		pp_cloud_pending_free(&p);
		return -1;
	}
	c->deadline = 0;
	pp_hz_wait_actions(c, &p, 1, ((struct hz *)c->priv)->action_timeout);
	c->deadline = saved;
	if (p.state == 0 || p.state == 1) {
		pp_cloud_pending_free(&p);
		return 0;
	}
	*err = p.err;
	pp_cloud_pending_free(&p);
	return -1;
}
