/* pp-provision's boots: nodes still provisioning from earlier runs,
 * and the wait for this run's new servers until they run. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/cloud.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "store/events.h"
#include "store/offsrv.h"
#include "store/orphans.h"
#include "store/registry.h"
#include "store/state.h"
#include "base/util.h"
#include "run/provision_int.h"

/* The boot wait's poll grows from cloud.poll_interval up to this. */
#define BOOT_POLL_MAX 10.0

/* ---- ready ---------------------------------------------------------- */

/* Whether the platform's mark is simulated here: the local provider
 * stands for the platform too, unless cloud.local.agent_joins is off. */
static int
health_check(struct run *x)
{
	return x->cfg->cloud.ready_check &&
		!strcmp(x->cfg->cloud.ready_check, "health");
}

static int
simulated_join(struct run *x)
{
	return !health_check(x) && !strcmp(x->cloud->ops->name, "local") &&
		x->cfg->cloud.local.agent_joins;
}

static void
probe_add(struct run *x, const char *node, const struct pp_server *s)
{
	char *url = pp_cloud_health_url(x->cfg, node, s->ipv4, s->private_ip);

	if (!url)
		return;
	x->probes = pp_xreallocarray(x->probes, x->nprobes + 1,
		sizeof *x->probes);
	x->probe_node = pp_xreallocarray(x->probe_node, x->nprobes + 1,
		sizeof *x->probe_node);
	memset(&x->probes[x->nprobes], 0, sizeof *x->probes);
	x->probes[x->nprobes].url = url;
	x->probe_node[x->nprobes++] = pp_xstrdup(node);
}

/* Asks the probes added since `from` together. */
static void
probe_from(struct run *x, size_t from)
{
	if (x->nprobes == from)
		return;
	if (x->nprobes - from > 1)
		pp_debug("asking %zu agents' health endpoints at once",
			x->nprobes - from);
	pp_cloud_health_all(x->probes + from, x->nprobes - from);
}

/* cloud.ready_check health: whether the node's agent answers at
 * cloud.health_url. A probe's answer is kept for the run (x->probes):
 * a node asked already, alone or with others, is not asked again. */
static int
healthy(struct run *x, const char *node, const struct pp_server *s)
{
	char *url = pp_cloud_health_url(x->cfg, node, s->ipv4, s->private_ip);
	const struct pp_health_probe *got = NULL;

	if (!url)
		return 0;
	for (size_t i = x->nprobes; i-- > 0 && !got;)
		if (!strcmp(x->probe_node[i], node) &&
		    !strcmp(x->probes[i].url, url))
			got = &x->probes[i];
	if (!got) {
		probe_add(x, node, s);
		probe_from(x, x->nprobes - 1);
		got = &x->probes[x->nprobes - 1];
	}
	if (!got->ok)
		pp_note("node '%s': its agent's health endpoint %s does not "
			"answer 2xx yet (%s); it stays provisioning", node, url,
			got->why);
	free(url);
	return got->ok;
}

/* A node's server runs. Ready means the agent joined: the platform
 * marks the node ready in the registry (its agent's /ready call reached
 * the conductor); until then the node stays provisioning, with its
 * addresses. The local provider simulates the mark. why: the reason its
 * node.added event gives. */
void
pp_prov_promote(struct run *x, const char *node, const struct pp_server *s,
	json_object *e, const char *why)
{
	char err[768];
	int rc, ready = simulated_join(x);

	pp_prov_entry_ips(e, s);
	if (x->dry_run) {
		pp_prov_add_str(e, "status", "dry_run");
		return;
	}
	if (health_check(x))
		ready = healthy(x, node, s);
	rc = pp_prov_reg_ready(x, node, s, ready, err, sizeof err);
	if (rc < 0) {
		pp_warn("node '%s' runs but its addresses cannot be recorded: "
			"%s", node, err);
		pp_prov_entry_error(x, e, "registry", err);
		pp_prov_add_str(e, "status", "provisioning");
		return;
	}
	if (!ready) {
		/* rc 1: the platform marked it already (or it is gone) */
		pp_prov_add_str(e, "status", rc ? "joined" : "provisioning");
		if (!rc && !health_check(x))
			pp_note("server %s of node '%s' runs at %s; the node "
				"stays provisioning until its agent joins "
				"(cloud.join_timeout %ld s from its creation)",
				s->id, node, s->ipv4 ? s->ipv4 : "?",
				x->cfg->cloud.join_timeout);
		return;
	}
	pp_prov_add_str(e, "status", "ready");
	if (rc == 0) {
		pp_note("node '%s' (server %s, %s) is ready at %s", node,
			s->id, s->location ? s->location : "?",
			s->ipv4 ? s->ipv4 : "?");
		pp_prov_event(x, PP_EV_NODE_ADDED, node, s->id, s->type,
			s->location, "success", why);
	}
}

/* ---- nodes still provisioning from earlier runs --------------------- */

struct pend {
	char *node, *server_id, *type, *loc;
	char *ip;             /* its address as recorded, or NULL */
	const char *role;
	time_t created;
	int expiring;         /* draining by expire: a delete to finish */
	int looked;           /* its server was looked at this run */
};

/* A server named node that our pool's listing did not show: asked of
 * the provider by name, since a listing of many pages can miss one
 * (cloud_hetzner.c). 1 with it in *found when it is ours, 0 when no
 * server of ours has that name, -1 when that is not known (the node is
 * left to a later run). */
static int
confirm_absent(struct run *x, const char *node, struct pp_server *found)
{
	struct pp_cloud_error err;
	char why[256];
	int rc = pp_cloud_find_name(x->cloud, node, found, &err);

	if (rc < 0) {
		pp_warn("node '%s' was recorded before its create and its "
			"server is not listed; cannot look its name up: %s; a "
			"later run does", node, err.message);
		return -1;
	}
	if (rc == 0)
		return 0;
	if (!pp_cloud_is_ours(x->cfg, found, node, why, sizeof why)) {
		pp_warn("node '%s': a server of that name exists (id %s) but "
			"is not ours: %s", node, found->id ? found->id : "?",
			why);
		pp_server_free(found);
		return 0;
	}
	pp_warn("node '%s': its server %s was not in the listing of our "
		"pool but is found by its name", node, found->id);
	return 1;
}

/* Nodes recorded before their create was sent whose server id never
 * reached the registry (a run killed around the create, or an answer
 * nobody could read): the name tells whether the server exists. One
 * that does gets its id; one that does not is forgotten. */
static void
resolve_intents(struct run *x, struct pend *p, size_t np)
{
	const struct pp_server_list *l = &x->ours;
	char err[768];
	size_t want = 0;

	for (size_t i = 0; i < np; i++)
		want += !p[i].server_id;
	if (!want)
		return;
	if (!x->have_ours) {
		pp_warn("cannot look up %zu node(s) whose create was not "
			"confirmed: %s; a later run does", want, x->ours_err);
		return;
	}
	for (size_t i = 0; i < np; i++) {
		const struct pp_server *s = NULL;
		struct pp_server found;
		json_object *e;
		int rc;

		if (p[i].server_id)
			continue;
		for (size_t j = 0; j < l->n && !s; j++)
			if (l->v[j].name && !strcmp(l->v[j].name, p[i].node))
				s = &l->v[j];
		/* a listing that looks like another project's says nothing
		 * of ours (pp_prov_converge said so) */
		if (!s && x->other_msg[0])
			continue;
		if (!s) {
			rc = confirm_absent(x, p[i].node, &found);
			if (rc < 0)
				continue;
			if (rc > 0)
				s = &found;
		}
		if (s) {
			pp_warn("node '%s' was recorded before its create; "
				"its server %s exists: recording it",
				p[i].node, s->id);
			if (!x->dry_run && pp_prov_reg_set_server(x,
			    p[i].node, s, p[i].role, err, sizeof err) < 0)
				pp_warn("%s", err);
			else
				p[i].server_id = pp_xstrdup(s->id);
			if (s == &found)
				pp_server_free(&found);
			continue;
		}
		e = pp_prov_entry(x, "forget", p[i].node, NULL, p[i].node,
			p[i].type, p[i].loc, p[i].role);
		pp_warn("node '%s' was recorded before its create and no "
			"server of that name exists: removing the node",
			p[i].node);
		if (x->dry_run) {
			pp_prov_add_str(e, "status", "dry_run");
		} else if (pp_prov_reg_remove(x, p[i].node, NULL, err,
		    sizeof err) != 0) {
			pp_prov_entry_error(x, e, "registry", err);
		} else {
			pp_prov_add_str(e, "status", "removed");
			pp_prov_event(x, PP_EV_NODE_REMOVED, p[i].node, NULL,
				p[i].type, p[i].loc, "success", "its create "
				"made no server");
		}
	}
}

/* Whether the address recorded is the running server's. */
static int
same_ip(const char *ip, const struct pp_server *s)
{
	const char *now = s->ipv4 ? s->ipv4 : s->private_ip;

	return ip && now && !strcmp(ip, now);
}

/* Server id in our pool's list, when it was listed. */
static const struct pp_server *
listed(struct run *x, const char *id)
{
	for (size_t i = 0; x->have_ours && i < x->ours.n; i++)
		if (x->ours.v[i].id && !strcmp(x->ours.v[i].id, id))
			return &x->ours.v[i];
	return NULL;
}

static void
pend_add(struct pend **p, size_t *np, const char *node, const char *sid,
	const char *type, const char *loc, time_t created, const char *role,
	const char *ip)
{
	struct pend *q;

	*p = pp_xreallocarray(*p, *np + 1, sizeof **p);
	q = &(*p)[(*np)++];
	q->node = pp_xstrdup(node);
	q->server_id = sid && *sid ? pp_xstrdup(sid) : NULL;
	q->type = type ? pp_xstrdup(type) : NULL;
	q->loc = loc ? pp_xstrdup(loc) : NULL;
	q->created = created;
	q->role = role;
	q->ip = ip && *ip ? pp_xstrdup(ip) : NULL;
	q->expiring = 0;
	q->looked = 0;
}

/* A node an earlier run marked draining by expire, its server's delete
 * not known to be done: this run finishes it. */
static int
expiring(const char *status, const char *by)
{
	return status && !strcmp(status, "draining") && by &&
		!strcmp(by, PP_DRAIN_BY_EXPIRE);
}

/* The provisioning nodes of our provider from the document's node list
 * (pp-fleetstats read the registry for it): a cycle with none reads no
 * registry. Returns 0, or -1 when the document has no node list. */
static int
pending_from_doc(struct run *x, struct pend **p, size_t *np)
{
	const struct pp_prov_dnode *d;
	size_t n;

	if (pp_prov_doc_nodes(x, &d, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		time_t created = 0;

		if (!d[i].id || !d[i].kind || strcmp(d[i].kind, "cloud") ||
		    !d[i].status || (strcmp(d[i].status, "provisioning") &&
		    !expiring(d[i].status, d[i].draining_by)) ||
		    !d[i].has_cloud || (d[i].provider &&
		    strcmp(d[i].provider, x->cloud->ops->name)))
			continue;
		if (d[i].created_at &&
		    pp_parse_time(d[i].created_at, &created) < 0)
			created = 0;
		pend_add(p, np, d[i].id, d[i].server_id, d[i].server_type,
			d[i].location, created, pp_role_name(
			d[i].role && !strcmp(d[i].role, "spare") ?
			PP_ROLE_SPARE : PP_ROLE_WORKER), d[i].ip);
		(*p)[*np - 1].expiring = expiring(d[i].status,
			d[i].draining_by);
	}
	return 0;
}

/* cloud.ready_check health: the agents of every node the loop below
 * would ask (its server listed running: at the address recorded, or
 * at a new one pp_prov_promote records), all at once: twenty silent
 * agents cost one probe's timeout, not twenty. */
static void
probe_pending(struct run *x, struct pend *p, size_t np)
{
	size_t from = x->nprobes;

	if (!health_check(x))
		return;
	for (size_t i = 0; i < np; i++) {
		const struct pp_server *s = p[i].server_id &&
			!p[i].expiring ? listed(x, p[i].server_id) : NULL;

		if (s && s->status && !strcmp(s->status, "running"))
			probe_add(x, p[i].node, s);
	}
	probe_from(x, from);
}

/* The state's off_servers as the last run left it, read once a run
 * and only when a server of an earlier run is off. */
static json_object *
off_prev(struct run *x)
{
	struct pp_state st;
	char err[768];

	if (x->off_read)
		return x->off_prev;
	x->off_read = 1;
	if (pp_state_open(&st, x->spath, 0, err, sizeof err) < 0) {
		pp_warn("%s; servers found off by earlier runs are looked at "
			"afresh", err);
		pp_state_close(&st);
		return NULL;
	}
	x->off_prev = json_object_get(pp_offsrv_of(st.root));
	pp_state_close(&st);
	return x->off_prev;
}

/* Sends a power-on. Its answer lost (no answer, a timeout, a 5xx), the
 * API may or may not have taken it: the server's start actions,
 * counted just before it (*before, *check set), tell at the next look.
 * A count that failed leaves the power-on counted as done, and says
 * so. again: the second power-on after such a check, never checked
 * (nor counted before) itself. */
static int
send_power_on(struct run *x, const char *node, const char *sid, int again,
	int *check, long *before, struct pp_cloud_error *err)
{
	struct pp_cloud_error cerr;
	long n = -1;
	int rc;

	*check = 0;
	memset(&cerr, 0, sizeof cerr);
	if (!again)
		n = pp_cloud_starts(x->cloud, sid, &cerr);
	rc = pp_cloud_power_on(x->cloud, sid, err);
	if (rc < 0 && err->unknown && !again) {
		if (n >= 0) {
			*check = 1;
			*before = n;
		} else {
			pp_warn("node '%s': cannot tell whether the API took "
				"the power-on of server %s (its start actions "
				"could not be counted before it: %s): counted "
				"as done", node, sid, cerr.message);
		}
	}
	return rc;
}

/* The next look at a server whose power-on's answer was lost, still
 * off with nothing running on it: 1 when the API took the power-on (a
 * start action more than before it), 0 when it surely did not (the
 * caller sends it again, once). A count that fails keeps the
 * power-on counted as done, and says so. */
static int
power_on_taken(struct run *x, const char *node, const char *sid, long before)
{
	struct pp_cloud_error err;
	long n = pp_cloud_starts(x->cloud, sid, &err);

	if (n < 0) {
		pp_warn("node '%s': cannot tell whether the API took the "
			"power-on of server %s whose answer was lost: %s; "
			"counted as done", node, sid, err.message);
		return 1;
	}
	if (n > before) {
		pp_note("node '%s': server %s took the power-on whose answer "
			"was lost (a start action since)", node, sid);
		return 1;
	}
	pp_prov_loud("node '%s': server %s never got the power-on whose "
		"answer was lost (no start action since): %s it on again "
		"(once)%s", node, sid, x->dry_run ? "would power" : "powering",
		x->dry_run ? " (dry run)" : "");
	return 0;
}

/* Whether node p, provisioning, has joined before with server sid,
 * as the state remembers (node_servers: as this run leaves it, or,
 * when converge did not look at it, as the state holds it): the same
 * node, not another that names the server (a copied row, which the
 * expire's duplicate check refuses). 1 so, 0 not, -1 unknown (the
 * state cannot be read). */
static int
rejoined(struct run *x, const struct pend *p, const char *sid)
{
	json_object *mem = x->nodesrv_now;
	const char *jn;

	/* converge read it, or did not run (no listing) */
	if (!x->joined_read) {
		struct pp_state st;
		char err[768];

		x->joined_read = 1;
		if (pp_state_open(&st, x->spath, 0, err, sizeof err) == 0) {
			json_object *sec = pp_nodesrv_of(st.root);

			x->joined_mem = sec ? json_object_get(sec) :
				json_object_new_object();
		} else {
			snprintf(x->state_err, sizeof x->state_err, "%s", err);
		}
		pp_state_close(&st);
	}
	/* as this run leaves it, else as the last run left it */
	if (!pp_jget(mem, sid))
		mem = x->joined_mem;
	if (!mem)
		return -1;
	return pp_nodesrv_joined(mem, sid, &jn) && jn && !strcmp(jn,
		p->node);
}

/* Whether node p's server s, age seconds old, is past the time its
 * boot or join had (what an expire below acts on). */
static int
late(struct run *x, const struct pp_server *s, long long age)
{
	if (s->status && !strcmp(s->status, "running"))
		return age > x->cfg->cloud.join_timeout && !simulated_join(x);
	return age > x->cfg->cloud.boot_timeout || (!simulated_join(x) &&
		age > x->cfg->cloud.join_timeout);
}

/* Node p reads provisioning, its server s not joining now, but the
 * state (node_servers) has seen it joined (rj 1): ready, draining or
 * unhealthy; or it is past its boot or join and whether it joined is
 * unknown (rj -1: the state cannot be read). A registry restored from
 * a copy made while it booted shows it so without its game servers,
 * and an expire (past cloud.join_timeout or cloud.boot_timeout, or
 * off) would delete them with it. Not deleted, nor powered on; said
 * every run (it bills, and may hold players) until it is marked ready
 * or goes another way (a person's delete, a scale-down once it is
 * ready). */
static void
rejoined_held(struct run *x, const struct pend *p, const struct pp_server *s,
	int rj)
{
	json_object *e, *o = json_object_new_object();
	char msg[2048], since[64];

	int running = s->status && !strcmp(s->status, "running");
	char on[160] = "";

	if (rj > 0) {
		json_object *mem = pp_jget(x->nodesrv_now, s->id) ?
			x->nodesrv_now : x->joined_mem;

		pp_format_time(pp_nodesrv_joined(mem, s->id, NULL), since,
			sizeof since);
		if (!running)
			snprintf(on, sizeof on, " (power it on by hand if it "
				"is off: 'hcloud server poweron %s')", s->id);
		snprintf(msg, sizeof msg, "node '%s' reads provisioning, but "
			"its server %s (%s) joined as a node before (seen "
			"since %s): the registry may have been restored from "
			"an older copy; not deleting it as a failed boot, as "
			"any game servers on it would go with it: mark it "
			"ready once its agent runs%s ('pp-registry status %s "
			"ready'; an unneeded node is then scaled down as "
			"usual), or if it will not come back delete its "
			"server by hand ('hcloud server delete %s'; the node "
			"is then forgotten)", p->node, s->id, s->status ?
			s->status : "?", since, on, p->node, s->id);
	} else {
		snprintf(msg, sizeof msg, "node '%s' reads provisioning past "
			"its boot or join time, but whether it joined before "
			"is unknown (the state cannot be read: %s): not "
			"deleting its server %s this run", p->node,
			x->state_err[0] ? x->state_err : "?", s->id);
	}
	pp_prov_loud("%s", msg);
	e = pp_prov_entry(x, "expire", p->node, s->id, s->name, s->type,
		s->location, p->role);
	pp_prov_add_str(e, "status", "held");
	pp_prov_add_str(o, "code", rj > 0 ? "was_ready" : "state_unread");
	pp_prov_add_str(o, "message", msg);
	json_object_object_add(e, "error", o);
}

/* A server of an earlier run's node seen off. The rule of a new
 * server's wait (stuck_off, below) over runs: each run looks once,
 * and the looks and the one power-on are kept in the state's
 * off_servers, timed by the run's clock (--now). Off with nothing
 * running on it on OFF_LOOKS looks in a row (at distinct times: a
 * run again in the same second is no new look), it is powered on
 * once; still so on OFF_LOOKS more, it is a failed boot, error code
 * server_off, without waiting for cloud.boot_timeout. */
static void
off_look(struct run *x, const struct pend *p, const struct pp_server *s)
{
	struct pp_offsrv o;
	struct pp_cloud_error err;
	json_object *e;
	char ts[PP_TIME_LEN];
	int have = pp_offsrv_get(off_prev(x), p->server_id, &o);
	int rc;

	/* a run again in the same second is no new look: it asks the
	 * API nothing */
	if (have && o.at >= x->now) {
		pp_offsrv_add(x->off_now, p->server_id, p->node, &o);
		return;
	}
	rc = pp_cloud_busy(x->cloud, p->server_id, &err);
	if (rc != 0) {
		if (rc < 0 && strcmp(err.code, "unsupported"))
			pp_debug("server %s is off; cannot tell whether an "
				"action runs on it: %s", p->server_id,
				err.message);
		else if (rc > 0)
			pp_debug("node '%s' is off with an action running on "
				"its server %s", p->node, p->server_id);
		/* not in a row any more; a power-on stays done */
		if (o.powered_on) {
			o.looks = 0;
			pp_offsrv_add(x->off_now, p->server_id, p->node, &o);
		}
		return;
	}
	if (o.powered_on && o.check) {
		o.check = 0;
		if (!power_on_taken(x, p->node, p->server_id,
		    o.starts_before)) {
			/* the looks that led to it stand: again now */
			o.powered_on = 0;
			o.again = 1;
			o.looks = OFF_LOOKS - 1;
		}
	}
	if (!o.since)
		o.since = x->now;
	o.at = x->now;
	if (++o.looks < OFF_LOOKS) {
		pp_note("node '%s': server %s is off with no action running "
			"on it (look %ld of %d before %s)", p->node,
			p->server_id, o.looks, OFF_LOOKS, o.powered_on ?
			"it counts as a failed boot" : "it is powered on");
		pp_offsrv_add(x->off_now, p->server_id, p->node, &o);
		return;
	}
	if (!o.powered_on) {
		e = pp_prov_entry(x, "power_on", p->node, s->id, s->name,
			s->type, s->location, p->role);
		json_object_object_add(e, "powered_on",
			json_object_new_boolean(1));
		pp_prov_add_str(e, "off_since",
			pp_format_time(o.since, ts, sizeof ts));
		if (o.again)
			json_object_object_add(e, "powered_on_again",
				json_object_new_boolean(1));
		else
			pp_prov_loud("node '%s': server %s, created by an "
				"earlier run, is off and no action runs on "
				"it: %s it on (once)%s", p->node,
				p->server_id, x->dry_run ? "would power" :
				"powering", x->dry_run ? " (dry run)" : "");
		o.looks = 0;
		if (x->dry_run) {
			pp_cloud_power_on(x->cloud, p->server_id, &err);
			pp_prov_add_str(e, "status", "dry_run");
		} else if (send_power_on(x, p->node, p->server_id, o.again,
		    &o.check, &o.starts_before, &err) < 0) {
			/* an answer lost may still have started it: the
			 * next looks tell; one refused (locked, say) did
			 * not, and the looks after the next try again */
			pp_warn("node '%s': cannot power server %s on: %s%s",
				p->node, p->server_id, err.message,
				err.unknown ? "" : " (tried again after "
				"more looks)");
			pp_prov_entry_error(x, e, err.code, err.message);
			pp_prov_add_str(e, "status", "provisioning");
			if (!err.unknown) {
				json_object_object_add(e, "powered_on",
					json_object_new_boolean(0));
				pp_offsrv_add(x->off_now, p->server_id,
					p->node, &o);
				return;
			}
		} else {
			pp_prov_add_str(e, "status", "provisioning");
		}
		o.powered_on = x->now;
		pp_offsrv_add(x->off_now, p->server_id, p->node, &o);
		return;
	}
	e = pp_prov_entry(x, "expire", p->node, s->id, s->name, s->type,
		s->location, p->role);
	json_object_object_add(e, "powered_on", json_object_new_boolean(1));
	pp_prov_add_str(e, "off_since", pp_format_time(o.since, ts,
		sizeof ts));
	pp_prov_expire(x, p->node, s->id, s->type, s->location, e,
		"server_off", "its server stays off with no action running "
		"on it, over runs, after a power-on", 0);
}

/* A server of an earlier run's node neither off nor running (starting
 * after our power-on, say): its looks are no longer in a row, but its
 * power-on stays done, so that it gets no second one when it falls
 * back to off. */
static void
off_between(struct run *x, const struct pend *p)
{
	struct pp_offsrv o;

	if (!pp_offsrv_get(off_prev(x), p->server_id, &o) || !o.powered_on)
		return;
	/* out of off: its power-on (or someone's) was taken */
	o.check = 0;
	o.looks = 0;
	pp_offsrv_add(x->off_now, p->server_id, p->node, &o);
}

void
pp_prov_pending_step(struct run *x, int must)
{
	struct pp_registry r;
	struct pend *p = NULL;
	size_t np = 0;
	char err[768];
	int rc;

	if (pending_from_doc(x, &p, &np) == 0)
		goto found;
	rc = pp_prov_reg_open(x, &r, 0, err, sizeof err);
	if (rc < 0) {
		if (must)
			pp_die(rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s",
				err);
		pp_warn("%s", err);
		return;
	}
	for (size_t i = 0; i < r.nnodes; i++) {
		const struct pp_node *n = &r.nodes[i];
		int ex = expiring(pp_status_name(n->status), n->draining_by);

		if (n->kind != PP_KIND_CLOUD || (n->status !=
		    PP_ST_PROVISIONING && !ex) || !n->has_cloud ||
		    (n->provider && strcmp(n->provider,
		    x->cloud->ops->name)))
			continue;
		pend_add(&p, &np, n->id, n->server_id, n->server_type,
			n->location, n->created_at, pp_role_name(n->role), n->ip);
		p[np - 1].expiring = ex;
	}
	pp_registry_close(&r);
found:
	x->off_now = json_object_new_object();
	resolve_intents(x, p, np);
	probe_pending(x, p, np);
	for (size_t i = 0; i < np && !pp_interrupted(); i++) {
		struct pp_server s;
		const struct pp_server *borrowed;
		struct pp_cloud_error cerr = {0};
		json_object *e;
		int going, rj = 0;
		long long age = p[i].created && p[i].created <= x->now ?
			(long long)(x->now - p[i].created) : 0;

		if (!p[i].server_id)
			continue;
		p[i].looked = 1;
		/* our pool's list, read once this run, spares a request
		 * for a server that runs (one still booting is looked at) */
		borrowed = listed(x, p[i].server_id);
		if (borrowed && (!borrowed->status ||
		    strcmp(borrowed->status, "running")))
			borrowed = NULL;
		going = 0;
		if (borrowed) {
			s = *borrowed;
		} else if (pp_cloud_get(x->cloud, p[i].server_id, &s,
		    &cerr) == 0) {
			/* being deleted (by a person, or a delete whose
			 * wait was cut short): no capacity, never to boot,
			 * and gone soon; an expiring node's delete ends
			 * below */
			going = !p[i].expiring && s.status &&
				!strcmp(s.status, "deleting");
			if (going)
				pp_server_free(&s);
		} else if (strcmp(cerr.code, "not_found")) {
			pp_warn("node '%s': cannot look at server %s: %s",
				p[i].node, p[i].server_id, cerr.message);
			p[i].looked = 0;
			continue;
		} else if (x->other_msg[0]) {
			/* not found in what looks like another project */
			p[i].looked = 0;
			continue;
		} else {
			going = 1;
		}
		if (going) {
			const char *what = strcmp(cerr.code, "not_found") ?
				"being deleted" : "gone";

			e = pp_prov_entry(x, "forget", p[i].node,
				p[i].server_id, p[i].node, p[i].type, p[i].loc,
				p[i].role);
			pp_warn("node '%s' was %s but its server %s is %s: "
				"%s the node", p[i].node, p[i].expiring ?
				"being deleted" : "provisioning",
				p[i].server_id, what, x->dry_run ?
				"would remove (dry run)" : "removing");
			if (x->dry_run) {
				pp_prov_add_str(e, "status", "dry_run");
			} else if (pp_prov_reg_remove(x, p[i].node,
			    p[i].server_id, err, sizeof err) != 0) {
				pp_prov_entry_error(x, e, "registry", err);
			} else {
				pp_prov_add_str(e, "status", "removed");
				pp_prov_event(x, PP_EV_NODE_REMOVED, p[i].node,
					p[i].server_id, p[i].type, p[i].loc,
					"success", strcmp(what, "gone") ?
					"its server is being deleted" :
					"its server is gone");
			}
			continue;
		}
		if (p[i].expiring) {
			e = pp_prov_entry(x, "expire", p[i].node, s.id, s.name,
				s.type, s.location, p[i].role);
			pp_prov_expire(x, p[i].node, s.id, s.type, s.location,
				e, "expire_resumed", "an earlier run began "
				"deleting it (its server did not boot or join in "
				"time)", PP_EXPIRE_RESUMED);
		} else if ((rj = rejoined(x, &p[i], s.id)) != 0 &&
		    !(s.status && !strcmp(s.status, "running") &&
		    (simulated_join(x) || !same_ip(p[i].ip, &s) ||
		    (health_check(x) && healthy(x, p[i].node, &s)))) &&
		    (rj > 0 || late(x, &s, age))) {
			/* one that joins now is promoted below */
			rejoined_held(x, &p[i], &s, rj);
			/* what its looks were, kept for after the hold */
			pp_offsrv_carry(x->off_now, off_prev(x), s.id);
		} else if (s.status && !strcmp(s.status, "running") &&
		    age > x->cfg->cloud.join_timeout &&
		    !simulated_join(x) && !rj) {
			char why[256];

			snprintf(why, sizeof why, "its agent has not joined "
				"%lld s after its creation (the platform has "
				"not marked it ready; cloud.join_timeout %ld s)",
				age, x->cfg->cloud.join_timeout);
			e = pp_prov_entry(x, "expire", p[i].node, s.id, s.name,
				s.type, s.location, p[i].role);
			pp_prov_expire(x, p[i].node, s.id, s.type, s.location,
				e, "join_timeout", why, 0);
		} else if (s.status && !strcmp(s.status, "running") &&
		    (simulated_join(x) || !same_ip(p[i].ip, &s) ||
		    (health_check(x) && healthy(x, p[i].node, &s)))) {
			e = pp_prov_entry(x, "promote", p[i].node, s.id, s.name,
				s.type, s.location, p[i].role);
			json_object_object_add(e, "seconds_to_running",
				json_object_new_int64(age));
			pp_prov_promote(x, p[i].node, &s, e, "its server, "
				"created by an earlier run, is running now");
		} else if (s.status && !strcmp(s.status, "running")) {
			pp_debug("node '%s' runs and waits for its agent to "
				"join (%lld s of cloud.join_timeout %ld s)",
				p[i].node, age, x->cfg->cloud.join_timeout);
		} else if (!rj && (age > x->cfg->cloud.boot_timeout ||
		    (!simulated_join(x) &&
		    age > x->cfg->cloud.join_timeout))) {
			char why[256];
			int boot = age > x->cfg->cloud.boot_timeout;

			snprintf(why, sizeof why, "not running %lld s after "
				"its creation (status '%s'; cloud.%s %ld s)",
				age, s.status ? s.status : "?", boot ?
				"boot_timeout" : "join_timeout", boot ?
				x->cfg->cloud.boot_timeout :
				x->cfg->cloud.join_timeout);
			e = pp_prov_entry(x, "expire", p[i].node, s.id, s.name,
				s.type, s.location, p[i].role);
			pp_prov_expire(x, p[i].node, s.id, s.type, s.location,
				e, boot ? "boot_timeout" : "join_timeout", why,
				0);
		} else if (s.status && !strcmp(s.status, "off")) {
			off_look(x, &p[i], &s);
		} else {
			pp_debug("node '%s' is still booting (%s, %lld s)",
				p[i].node, s.status ? s.status : "?", age);
			off_between(x, &p[i]);
		}
		if (!borrowed)
			pp_server_free(&s);
	}
	/* what this run could not look at keeps its looks */
	for (size_t i = 0; i < np; i++)
		if (p[i].server_id && !p[i].looked)
			pp_offsrv_carry(x->off_now, off_prev(x),
				p[i].server_id);
	for (size_t i = 0; i < np; i++) {
		free(p[i].node);
		free(p[i].server_id);
		free(p[i].type);
		free(p[i].loc);
		free(p[i].ip);
	}
	free(p);
}

/* ---- waiting for new servers ---------------------------------------- */

void
pp_prov_add_waiter(struct run *x, const char *node, const char *server_id,
	double t0, json_object *e)
{
	x->w = pp_xreallocarray(x->w, x->nw + 1, sizeof *x->w);
	x->w[x->nw].node = pp_xstrdup(node);
	x->w[x->nw].server_id = pp_xstrdup(server_id);
	x->w[x->nw].t0 = t0;
	x->w[x->nw].entry = e;
	x->w[x->nw].done = 0;
	x->w[x->nw].off_looks = 0;
	x->w[x->nw].powered = 0;
	x->w[x->nw].check = 0;
	x->w[x->nw].starts_before = 0;
	x->w[x->nw].again = 0;
	x->nw++;
}

/* A new server seen off. Off is no final status after a start the API
 * took, but some servers stay off with every action of their create
 * ended (cluster-api-provider-hetzner, kube-hetzner): waiting for
 * cloud.boot_timeout then bills ten minutes for nothing and holds up
 * every other scale-up. So: off, and nothing running on it (GET
 * /servers/{id}/actions?status=running: its create's actions, a
 * power-on, someone else's) on OFF_LOOKS looks in a row, it is powered
 * on, once; still so after that, it is a failed boot like one past
 * cloud.boot_timeout (pp_prov_expire). A provider that cannot tell
 * what runs on a server (local) leaves it to cloud.boot_timeout.
 * Returns 1 when the waiter is done. */
static int
stuck_off(struct run *x, struct waiter *w)
{
	struct pp_cloud_error err;
	char why[512];
	int rc = pp_cloud_busy(x->cloud, w->server_id, &err);

	if (rc != 0) {
		if (rc < 0 && strcmp(err.code, "unsupported"))
			pp_debug("server %s is off; cannot tell whether an "
				"action runs on it: %s", w->server_id,
				err.message);
		w->off_looks = 0;
		return 0;
	}
	if (w->powered && w->check) {
		w->check = 0;
		if (!power_on_taken(x, w->node, w->server_id,
		    w->starts_before)) {
			w->powered = 0;
			w->again = 1;
			w->off_looks = OFF_LOOKS - 1;
		}
	}
	if (++w->off_looks < OFF_LOOKS)
		return 0;
	w->off_looks = 0;
	if (!w->powered) {
		if (!w->again)
			pp_prov_loud("node '%s': server %s is off, its "
				"create's actions have ended and none runs "
				"on it: powering it on (once)", w->node,
				w->server_id);
		if (send_power_on(x, w->node, w->server_id, w->again,
		    &w->check, &w->starts_before, &err) < 0) {
			/* an answer lost may still have started it: the
			 * next looks tell; one refused (locked, say) did
			 * not, and the looks after the next try again */
			pp_warn("node '%s': cannot power server %s on: %s%s",
				w->node, w->server_id, err.message,
				err.unknown ? "" : " (tried again after "
				"more looks)");
			if (!err.unknown)
				return 0;
		}
		w->powered = 1;
		json_object_object_add(w->entry, "powered_on",
			json_object_new_boolean(1));
		if (w->again)
			json_object_object_add(w->entry, "powered_on_again",
				json_object_new_boolean(1));
		return 0;
	}
	snprintf(why, sizeof why, "its server stays off with no action "
		"running on it, after its create's actions ended and a "
		"power-on");
	pp_prov_expire(x, w->node, w->server_id,
		pp_jstr(w->entry, "server_type", NULL),
		pp_jstr(w->entry, "location", NULL), w->entry, "server_off",
		why, PP_EXPIRE_OURS);
	return 1;
}

/* A server this run powered on and leaves booting: its power-on goes
 * into the state's off_servers, as off_look's do, so that no later run
 * powers it on again; the looks after it are the later runs'. */
static void
keep_power_on(struct run *x, const struct waiter *w)
{
	struct pp_offsrv o;

	if (!w->powered || !x->off_now)
		return;
	memset(&o, 0, sizeof o);
	o.powered_on = x->now;
	o.check = w->check;
	o.starts_before = w->starts_before;
	o.again = w->again;
	pp_offsrv_add(x->off_now, w->server_id, w->node, &o);
}

/* Polls every new server until it runs, up to cloud.boot_timeout from
 * its create; one that does not is deleted. On the local provider with
 * --now the clock stands still: one look, and what is not running yet
 * stays provisioning for a later run. */
void
pp_prov_wait_all(struct run *x)
{
	double timeout = (double)x->cfg->cloud.boot_timeout;
	double poll = x->cfg->cloud.poll_interval > 0 ?
		x->cfg->cloud.poll_interval : 1;
	size_t left = x->nw;

	if (x->dry_run || !left)
		return;
	for (;;) {
		double nowm, next;
		struct pp_server *run = pp_xcalloc(x->nw, sizeof *run);
		size_t from = x->nprobes;

		for (size_t i = 0; i < x->nw; i++) {
			struct waiter *w = &x->w[i];
			struct pp_server s;
			struct pp_cloud_error err;
			int grc;

			if (w->done)
				continue;
			grc = pp_cloud_get(x->cloud, w->server_id, &s, &err);
			if (grc == 0 && s.status &&
			    !strcmp(s.status, "deleting")) {
				/* someone deletes it: as good as gone (the
				 * API keeps it deleting until its action
				 * ends), never to boot */
				pp_server_free(&s);
				pp_cloud_error_set(&err, "deleting", 0, 0,
					"server %s is being deleted",
					w->server_id);
				grc = -1;
			}
			if (grc < 0) {
				if (!strcmp(err.code, "not_found") ||
				    !strcmp(err.code, "deleting")) {
					const char *why = strcmp(err.code,
						"deleting") ? "its server "
						"disappeared while booting" :
						"its server is being deleted "
						"while booting";
					const char *type = pp_jstr(w->entry,
						"server_type", NULL);
					const char *loc = pp_jstr(w->entry,
						"location", NULL);
					char msg[768];

					w->done = 1;
					left--;
					pp_warn("node '%s': %s (server %s): "
						"removing the node", w->node, why,
						w->server_id);
					pp_prov_entry_error(x, w->entry,
						err.code, why);
					/* a node.provisioning said it comes:
					 * say that it does not */
					pp_prov_event(x, PP_EV_SCALING_FAILED,
						w->node, w->server_id, type, loc,
						"failed", why);
					if (pp_prov_reg_remove(x, w->node,
					    w->server_id, msg, sizeof msg)) {
						pp_warn("%s", msg);
						pp_prov_add_str(w->entry,
							"status", "provisioning");
					} else {
						pp_prov_add_str(w->entry,
							"status", "removed");
						pp_prov_event(x,
							PP_EV_NODE_REMOVED, w->node,
							w->server_id, type, loc,
							"success", why);
					}
				} else {
					pp_debug("server %s: %s", w->server_id,
						err.message);
				}
				continue;
			}
			if (s.status && !strcmp(s.status, "off")) {
				pp_server_free(&s);
				if (stuck_off(x, w)) {
					w->done = 1;
					left--;
				}
				continue;
			}
			w->off_looks = 0;
			/* out of off: a power-on was taken */
			w->check = 0;
			if (s.status && !strcmp(s.status, "running")) {
				w->done = 1;
				left--;
				json_object_object_add(w->entry,
					"seconds_to_running",
					pp_jnew_double(pp_monotonic() - w->t0,
					1));
				/* promoted below, their agents asked
				 * together */
				run[i] = s;
				if (health_check(x) && !x->dry_run)
					probe_add(x, w->node, &s);
				continue;
			}
			pp_server_free(&s);
		}
		probe_from(x, from);
		for (size_t i = 0; i < x->nw; i++) {
			if (!run[i].status)
				continue;
			pp_prov_promote(x, x->w[i].node, &run[i],
				x->w[i].entry, x->why);
			pp_server_free(&run[i]);
		}
		free(run);
		if (!left)
			return;
		if (x->frozen || pp_interrupted()) {
			for (size_t i = 0; i < x->nw; i++) {
				if (x->w[i].done)
					continue;
				keep_power_on(x, &x->w[i]);
				pp_prov_add_str(x->w[i].entry, "status",
					"provisioning");
				pp_note("node '%s' is still booting; a later "
					"run marks it ready", x->w[i].node);
			}
			if (x->frozen)
				pp_prov_set_reason(x, "pending", "%zu "
					"server(s) still booting: the --now "
					"clock stands still, a later run marks "
					"them ready", left);
			return;
		}
		nowm = pp_monotonic();
		next = nowm + poll;
		for (size_t i = 0; i < x->nw; i++) {
			struct waiter *w = &x->w[i];
			char why[256];

			if (w->done || nowm - w->t0 < timeout)
				continue;
			w->done = 1;
			left--;
			snprintf(why, sizeof why, "not running %.0f s after "
				"its creation (cloud.boot_timeout)", timeout);
			pp_prov_expire(x, w->node, w->server_id,
				pp_jstr(w->entry, "server_type", NULL),
				pp_jstr(w->entry, "location", NULL), w->entry,
				"boot_timeout", why, PP_EXPIRE_OURS);
		}
		if (!left)
			return;
		for (size_t i = 0; i < x->nw; i++)
			if (!x->w[i].done && x->w[i].t0 + timeout < next)
				next = x->w[i].t0 + timeout;
		pp_sleep(next - pp_monotonic());
		/* one look at every booting server a poll: grow the
		 * interval so a slow boot does not spend the hourly budget */
		poll = poll * 1.5 < BOOT_POLL_MAX ? poll * 1.5 :
			(BOOT_POLL_MAX > poll ? BOOT_POLL_MAX : poll);
	}
}
