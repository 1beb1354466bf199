/* pp-provision's scale-up: adopting our unregistered servers, then
 * creating and registering the rest of the count. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/catalog.h"
#include "run/cli.h"
#include "cloud/cloud.h"
#include "cloud/cloudinit.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "store/events.h"
#include "cloud/labels.h"
#include "cloud/reconcile.h"
#include "store/registry.h"
#include "base/util.h"
#include "run/provision.h"
#include "run/provision_int.h"

/* ---- adopting orphans ------------------------------------------------ */

static int
booting_or_running(const char *st)
{
	static const char *ok[] = {"initializing", "starting", "running"};

	for (size_t i = 0; st && i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(st, ok[i]))
			return 1;
	return 0;
}

/* Registers our servers that the registry lacks. Returns how many of
 * them are capacity (booting or running), or -1 when the cloud cannot
 * be listed (then nothing may be created: we would not know what
 * exists). */
long
pp_prov_adopt(struct run *x, const char *role)
{
	const struct pp_server_list *ls = &x->ours;
	struct pp_registry r;
	char msg[768];
	long usable = 0;
	int rc;

	if (!x->have_ours) {
		pp_prov_set_reason(x, "failed", "cannot list our servers "
			"before creating: %s", x->ours_err);
		x->errors++;
		return -1;
	}
	rc = pp_prov_reg_open(x, &r, 0, msg, sizeof msg);
	if (rc < 0)
		pp_die(rc == -2 ? PP_EXIT_FAIL : PP_EXIT_USAGE, "%s", msg);
	for (size_t i = 0; i < ls->n; i++) {
		const struct pp_server *s = &ls->v[i];
		const char *lrole = pp_strmap_get(&s->labels, "role");
		int known = 0, rc;
		json_object *e;
		const char *st;

		for (size_t j = 0; j < r.nnodes && !known; j++)
			known = (r.nodes[j].server_id &&
				!strcmp(r.nodes[j].server_id, s->id)) ||
				(s->name && !strcmp(r.nodes[j].id, s->name));
		/* one not ours (pp_prov_converge said so) is never
		 * adopted */
		if (known || (s->status && !strcmp(s->status, "deleting")) ||
		    !pp_cloud_is_ours(x->cfg, s, NULL, msg, sizeof msg))
			continue;
		/* too many at once (pp_prov_converge held them): a
		 * registry that lost its nodes; adopted, the servers
		 * would be deleted past cloud.join_timeout */
		if (x->orphans_held || pp_jget(x->former, s->id))
			continue;
		if (!lrole || (strcmp(lrole, "worker") &&
		    strcmp(lrole, "spare")))
			lrole = role;
		/* like any new node: provisioning until the platform
		 * marks it ready (its agent joined), cloud.join_timeout
		 * counted from the server's creation */
		st = "provisioning";
		e = pp_prov_entry(x, "adopt", s->name, s->id, s->name, s->type,
			s->location, lrole);
		pp_prov_entry_ips(e, s);
		pp_prov_loud("adopting server '%s' (id %s, %s): it carries "
			"our labels but is not in the registry", s->name, s->id,
			s->status ? s->status : "?");
		if (booting_or_running(s->status))
			usable++;
		if (x->dry_run) {
			pp_prov_add_str(e, "status", "dry_run");
			continue;
		}
		rc = pp_prov_reg_add(x, pp_prov_node_json(x, s, lrole, st), msg,
			sizeof msg);
		if (rc < 0) {
			pp_prov_entry_error(x, e, "registry", msg);
			continue;
		}
		pp_prov_add_str(e, "status", st);
		pp_prov_nodesrv_note(x, s->id, s->name);
		x->adopted++;
		pp_prov_event(x, PP_EV_NODE_PROVISIONING, s->name, s->id,
			s->type, s->location, "success", "adopted an "
			"unregistered server of ours");
		if (s->status && !strcmp(s->status, "running"))
			pp_prov_promote(x, s->name, s, e, "adopted");
		else if (booting_or_running(s->status))
			pp_prov_add_waiter(x, s->name, s->id, pp_monotonic(),
				e);
	}
	pp_registry_close(&r);
	return usable;
}

/* ---- creating ----------------------------------------------------- */

static void
random_name(const struct pp_config *cfg, char *buf, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[SUFFIX_LEN];
	char sfx[SUFFIX_LEN + 1];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, rnd, sizeof rnd) : -1;

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof rnd) {
		/* no urandom: still unlikely to collide, and a collision
		 * is a uniqueness_error that gets a new name */
		srand((unsigned)(pp_monotonic() * 1e6) ^ (unsigned)getpid());
		for (size_t i = 0; i < sizeof rnd; i++)
			rnd[i] = (unsigned char)rand();
	}
	for (size_t i = 0; i < SUFFIX_LEN; i++)
		sfx[i] = set[rnd[i] % (sizeof set - 1)];
	sfx[SUFFIX_LEN] = '\0';
	snprintf(buf, len, "%s%s", cfg->cloud.name_prefix ?
		cfg->cloud.name_prefix : "", sfx);
}

/* Where to try: the decision's location, then the configured ones;
 * each only when it has not refused this type lately and (configured
 * ones, when the catalog knows the type) sells it there. */
static struct pp_strlist
locations(struct run *x, const char *type, const char *first)
{
	struct pp_strlist l = {0};
	const struct pp_server_type *t = x->have_cat ?
		pp_catalog_find(&x->cat, type) : NULL;
	const struct pp_price *fp = t && first ? pp_type_price(t, first) :
		NULL;

	l.v = pp_xcalloc(x->cfg->cloud.locations.n + 1, sizeof *l.v);
	/* the decision's location first, unless it refused lately or the
	 * type's deprecation there has ended since: the decision may
	 * predate either */
	if (first && *first && !pp_prov_refused(x, type, first) &&
	    !pp_prov_refused(x, NULL, first) && !(fp &&
	    fp->unavailable_after && x->now > fp->unavailable_after))
		l.v[l.n++] = pp_xstrdup(first);
	for (size_t i = 0; i < x->cfg->cloud.locations.n; i++) {
		const char *loc = x->cfg->cloud.locations.v[i];
		const struct pp_price *p = t ? pp_type_price(t, loc) : NULL;

		if ((first && !strcmp(loc, first)) || pp_prov_refused(x, type,
		    loc) || pp_prov_refused(x, NULL, loc) || (t &&
		    !pp_price_orderable(p, x->now)))
			continue;
		l.v[l.n++] = pp_xstrdup(loc);
	}
	return l;
}

static void
free_strlist(struct pp_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* A failed create that still left a server (the create action timed
 * out, or the provider could not delete a server whose create failed):
 * its node gets the server id; a server whose create is still running
 * is waited for, any other is deleted. 1: registered and worth waiting
 * for; 0: no server left; -1: a server left that stays registered so
 * it is never an orphan. */
static int
leftover(struct run *x, struct pp_server *s, const char *name,
	const char *role, const struct pp_cloud_error *cerr, json_object *e)
{
	struct pp_server g;
	struct pp_cloud_error err;
	char msg[768];

	if (!s->id || x->dry_run)
		return 0;
	if (pp_cloud_get(x->cloud, s->id, &g, &err) < 0 &&
	    !strcmp(err.code, "not_found"))
		return 0;
	pp_server_free(&g);
	if (pp_prov_reg_set_server(x, name, s, role, msg, sizeof msg) < 0)
		pp_warn("%s; server %s carries our labels: the next "
			"pp-provision adopts it", msg, s->id);
	if (!strcmp(cerr->code, "timeout") ||
	    !strcmp(cerr->code, "action_unknown")) {
		/* it was made; the boot wait decides its fate */
		json_object_object_add(e, "error", NULL);
		return 1;
	}
	if (pp_prov_delete_server(x, s->id, name, &err) == 0)
		return 0;
	pp_warn("server '%s' (id %s) failed to be created and cannot be "
		"deleted (%s): it stays registered so it is not lost", s->name,
		s->id, err.message);
	return -1;
}

/* A refusal of this type in this location, not of the request: try
 * the next location, and remember it. A 503 "unavailable" (the API's
 * own code, "a service or product is currently not available") counts
 * only once the name look-up after it found nothing made: the callers
 * ask only for a failure whose outcome is known. "unsupported_location"
 * is the client's: an invalid_input about the location (a type no
 * longer sold there, which a catalog cached before still offered). */
static int
location_refused(const char *code)
{
	return !strcmp(code, "resource_unavailable") ||
		!strcmp(code, "placement_error") ||
		!strcmp(code, "unavailable") ||
		!strcmp(code, "unsupported_location");
}

/* One server of the count, from its first POST to its end: sent with
 * the others first, then its actions waited for with theirs. */
struct order {
	struct run *x;
	const char *type, *role, *first;
	char name[128];
	struct pp_strmap labels;
	struct pp_strlist locs;
	int have_locs;
	size_t li;            /* the location tried now */
	json_object *e, *tried;
	struct pp_server s;
	struct pp_cloud_pending p;
	double t0;            /* pp_monotonic() at its POST */
	int intent;           /* its node is recorded */
	int recorded;         /* the node has the server's id */
	int sent;             /* creates sent */
	unsigned long long unavail; /* bit li: a 503 unavailable there,
	                       * a refusal once another location made the
	                       * server */
	int state;
};
enum { O_SEND, O_WAIT, O_DONE };

/* A 503 unavailable is remembered as a refusal of its location only
 * once another location made the server (its create's actions ended
 * well, or it is left to the boot wait): in every location it is more
 * likely the API's own trouble than a location's, and refusing them
 * all for cloud.refusal_ttl would block scale-ups long after the API
 * is back. */
static void
unavailable_refused(struct run *x, struct order *o)
{
	struct pp_cloud_error err;

	memset(&err, 0, sizeof err);
	snprintf(err.code, sizeof err.code, "unavailable");
	snprintf(err.message, sizeof err.message, "the create was answered "
		"503 unavailable there, and another location made the server");
	for (size_t i = 0; i < o->locs.n && i < 64; i++)
		if (o->unavail & 1ULL << i)
			pp_prov_add_refusal(x, o->type, o->locs.v[i], &err);
	o->unavail = 0;
}

/* The provider knows the new server's id: record it before any wait,
 * so that a run killed while waiting leaves a node that names it. */
static void
on_created(void *arg, const struct pp_server *s)
{
	struct order *m = arg;
	char msg[768];

	if (m->x->dry_run)
		return;
	if (pp_prov_reg_set_server(m->x, m->name, s, m->role, msg,
	    sizeof msg) == 0) {
		m->recorded = 1;
		pp_prov_nodesrv_note(m->x, s->id, m->name);
	} else
		pp_warn("server '%s' (id %s): %s", m->name, s->id, msg);
}

/* Drops the intent recorded for name: its create made nothing. */
static void
forget_intent(struct run *x, const char *name, const char *server_id)
{
	char msg[768];

	if (x->dry_run)
		return;
	if (server_id)
		pp_prov_reg_remove(x, name, server_id, msg, sizeof msg);
	if (pp_prov_reg_remove(x, name, NULL, msg, sizeof msg) != 0)
		pp_warn("%s", msg);
}

static void
rename_order(struct run *x, struct order *o)
{
	random_name(x->cfg, o->name, sizeof o->name);
	pp_prov_add_str(o->e, "node", o->name);
	pp_prov_add_str(o->e, "name", o->name);
}

static void
add_tried(json_object *tried, const char *loc, const char *code)
{
	json_object *t = json_object_new_object();

	pp_prov_add_str(t, "location", loc);
	pp_prov_add_str(t, "code", code);
	json_object_array_add(tried, t);
}

/* No user data for o: nothing was sent, no node recorded. Said under
 * -q, and a scaling.failed event like a failure before the run acted
 * (stage provision). */
static void
render_failed(struct run *x, struct order *o, const char *msg)
{
	json_object *extra;

	pp_prov_loud("cannot render cloud-init for '%s': %s; no server "
		"created", o->name, msg);
	pp_prov_add_str(o->e, "status", "failed");
	pp_prov_entry_error(x, o->e, "cloud_init", msg);
	if (x->dry_run)
		return;
	extra = json_object_new_object();
	pp_prov_add_str(extra, "server_type", o->type);
	pp_prov_add_str(extra, "stage", "provision");
	pp_event_node(PP_EV_SCALING_FAILED, o->name, x->action, "failed",
		msg, extra);
}

/* Sends one create, its actions not waited for. Its node is recorded
 * (provisioning, no server id) before the create is sent and gets the
 * id as soon as the provider knows it; a create that made nothing
 * drops the node again, and one whose outcome nobody could read keeps
 * it for the next run to look the name up. Returns 0 (sent: O_WAIT,
 * or a leftover that stays provisioning: O_DONE) or -1 after a failure
 * (recorded; the caller sends no further create). */
static int
send_order(struct run *x, struct order *o)
{
	struct pp_server_spec spec;
	struct pp_cloud_error err;
	char msg[768];
	char *ud = NULL;
	size_t udlen;
	int status, rc = -1, made = 0, lo;

	memset(&err, 0, sizeof err);
	memset(&spec, 0, sizeof spec);
	if (!o->e) {
		random_name(x->cfg, o->name, sizeof o->name);
		o->e = pp_prov_entry(x, "create", o->name, NULL, o->name,
			o->type, NULL, o->role);
		o->tried = json_object_new_array();
		json_object_object_add(o->e, "tried", o->tried);
	} else {
		/* a new attempt after a failed create action: a new name,
		 * the old one may be a server still being deleted */
		rename_order(x, o);
	}
	if (!o->have_locs) {
		/* made now: refusals earlier orders met count */
		o->locs = locations(x, o->type, o->first);
		o->have_locs = 1;
	}
	pp_server_free(&o->s);
	pp_cloud_pending_free(&o->p);
	o->intent = o->recorded = 0;
	x->cloud->on_created = on_created;
	x->cloud->on_created_arg = o;
	if (o->li >= o->locs.n) {
		pp_prov_add_str(o->e, "status", "failed");
		pp_prov_entry_error(x, o->e, "resource_unavailable", "no "
			"location left to try: every configured one refused "
			"this type lately or does not sell it now");
		goto out;
	}
	for (int attempt = 0; attempt < NAME_TRIES && !made; attempt++) {
		if (attempt) {
			/* the name was someone else's: ours made nothing */
			if (o->intent)
				forget_intent(x, o->name, NULL);
			o->intent = 0;
			rename_order(x, o);
		}
		pp_cloudinit_free(ud);
		ud = pp_cloudinit_render(x->cfg, o->name, NULL, x->dry_run,
			&udlen, &status, msg, sizeof msg);
		if (!ud) {
			/* a bad setting or token file as much as a token
			 * command that failed: converging may have acted
			 * already, so this fails the create, not the run
			 * (exit 2 is "nothing done") */
			render_failed(x, o, msg);
			goto out;
		}
		memset(&spec, 0, sizeof spec);
		spec.name = o->name;
		spec.type = o->type;
		spec.image = x->cfg->cloud.image;
		spec.user_data = ud;
		spec.labels = &o->labels;
		spec.ssh_keys = &x->cfg->cloud.ssh_keys;
		spec.networks = &x->cfg->cloud.networks;
		spec.firewalls = &x->cfg->cloud.firewalls;
		spec.placement_group = x->cfg->cloud.placement_group;
		for (; o->li < o->locs.n; o->li++) {
			const char *loc = o->locs.v[o->li];

			spec.location = loc;
			if (!x->dry_run && pp_prov_reg_intent(x, o->name,
			    o->type, loc, o->role, &o->labels, msg,
			    sizeof msg) != 0) {
				pp_warn("cannot record node '%s' before "
					"creating its server: %s", o->name, msg);
				pp_prov_add_str(o->e, "status", "failed");
				pp_prov_entry_error(x, o->e, "registry", msg);
				goto out;
			}
			o->intent = !x->dry_run;
			o->t0 = pp_monotonic();
			pp_server_free(&o->s);
			pp_cloud_pending_free(&o->p);
			o->sent++;
			if (pp_cloud_create_start(x->cloud, &spec, &o->s, &o->p,
			    &err) == 0) {
				made = 1;
				add_tried(o->tried, loc, NULL);
				break;
			}
			add_tried(o->tried, loc, err.code);
			pp_warn("cannot create server '%s' (%s) in '%s': %s",
				o->name, o->type, loc, err.message);
			if (!err.unknown && location_refused(err.code)) {
				if (strcmp(err.code, "unavailable") ||
				    o->li >= 64)
					pp_prov_add_refusal(x, o->type, loc,
						&err);
				else
					o->unavail |= 1ULL << o->li;
				/* a failed create action left a server the
				 * provider deleted again: the node's id goes */
				if (o->s.id && leftover(x, &o->s, o->name,
				    o->role, &err, o->e) != 0)
					break;
				if (o->s.id) {
					forget_intent(x, o->name, o->s.id);
					o->intent = 0;
				}
				continue;
			}
			break;
		}
		if (made || err.unknown || strcmp(err.code,
		    "uniqueness_error") || o->s.id || o->li >= o->locs.n)
			break;
	}
	if (made) {
		o->state = O_WAIT;
		rc = 0;
		goto out;
	}
	spec.location = o->li < o->locs.n ? o->locs.v[o->li] : spec.location;
	if (o->s.id && !x->dry_run && (!strcmp(err.code, "timeout") ||
	    !strcmp(err.code, "action_unknown"))) {
		/* created, its action slow or unread: not a failure; the
		 * node has its id and the boot wait decides */
		pp_prov_add_str(o->e, "location", spec.location);
		pp_prov_add_str(o->e, "server_id", o->s.id);
		if (pp_prov_reg_set_server(x, o->name, &o->s, o->role, msg,
		    sizeof msg) == 0) {
			pp_warn("server '%s' (id %s) was created; %s: it stays "
				"provisioning and the boot wait decides",
				o->name, o->s.id, err.message);
			pp_prov_add_str(o->e, "status", "provisioning");
			pp_prov_add_waiter(x, o->name, o->s.id, o->t0, o->e);
			o->state = O_DONE;
			rc = 0;
			goto out;
		}
		pp_warn("%s", msg);
	}
	pp_prov_add_str(o->e, "location", spec.location);
	pp_prov_add_str(o->e, "server_id", o->s.id);
	pp_prov_add_str(o->e, "status", "failed");
	pp_prov_entry_error(x, o->e, err.code, err.message);
	if (!strcmp(err.code, "placement_group_member_limit_reached"))
		pp_warn("placement group %s is full: servers other than "
			"ppscale's are in it, or cloud.placement_group_limit "
			"(%ld) is more than Hetzner lets it hold",
			x->cfg->cloud.placement_group ?
			x->cfg->cloud.placement_group : "?",
			x->cfg->cloud.placement_group_limit);
	pp_prov_event(x, PP_EV_SCALING_FAILED, o->name, o->s.id, o->type,
		spec.location, "failed", err.message);
	if (err.unknown && o->intent) {
		/* it may exist: the node keeps its name for the next run
		 * to look up */
		pp_warn("whether server '%s' was created is unknown: node "
			"'%s' stays provisioning; the next run looks the name "
			"up", o->name, o->name);
		pp_prov_add_str(o->e, "status", "provisioning");
		goto out;
	}
	lo = leftover(x, &o->s, o->name, o->role, &err, o->e);
	if (lo > 0) {
		pp_prov_add_str(o->e, "status", "provisioning");
		pp_prov_add_waiter(x, o->name, o->s.id, o->t0, o->e);
	} else if (lo == 0 && o->intent) {
		forget_intent(x, o->name, o->s.id);
	}
out:
	if (rc < 0)
		o->state = O_DONE;
	x->cloud->on_created = NULL;
	x->cloud->on_created_arg = NULL;
	pp_cloudinit_free(ud);
	return rc;
}

/* After its actions: registered and waited for until it runs (0), to
 * be sent again in the next location (1: a refusal there), or failed
 * (-1, recorded). */
static int
finish_order(struct run *x, struct order *o)
{
	struct pp_cloud_pending *p = &o->p;
	const char *loc = o->locs.v[o->li];
	char msg[768];
	size_t nt;
	int lo;

	o->state = O_DONE;
	if (p->state == -2 && !x->dry_run) {
		/* created, its actions slow or unread: not a failure; the
		 * node has its id and the boot wait decides */
		pp_prov_add_str(o->e, "location", loc);
		pp_prov_add_str(o->e, "server_id", o->s.id);
		if (!o->recorded && pp_prov_reg_set_server(x, o->name, &o->s,
		    o->role, msg, sizeof msg) < 0)
			pp_warn("%s; server %s carries our labels: the next "
				"pp-provision adopts it", msg, o->s.id);
		pp_warn("server '%s' (id %s) was created; %s: it stays "
			"provisioning and the boot wait decides", o->name,
			o->s.id, p->err.message);
		json_object_object_add(o->e, "actions_waited_seconds",
			pp_jnew_double(p->waited, 1));
		pp_prov_add_str(o->e, "status", "provisioning");
		pp_prov_add_waiter(x, o->name, o->s.id, o->t0, o->e);
		unavailable_refused(x, o);
		return 0;
	}
	if (p->state == -1) {
		nt = json_object_array_length(o->tried);
		if (nt)
			pp_prov_add_str(json_object_array_get_idx(o->tried,
				nt - 1), "code", p->err.code);
		pp_warn("cannot create server '%s' (%s) in '%s': %s",
			o->name, o->type, loc, p->err.message);
		if (p->deleted == 1) {
			forget_intent(x, o->name, o->s.id);
			o->intent = 0;
		}
		if (location_refused(p->err.code))
			pp_prov_add_refusal(x, o->type, loc, &p->err);
		if (location_refused(p->err.code) && p->deleted == 1 &&
		    o->li + 1 < o->locs.n) {
			o->li++;
			o->state = O_SEND;
			return 1;
		}
		pp_prov_add_str(o->e, "location", loc);
		pp_prov_add_str(o->e, "server_id", o->s.id);
		pp_prov_add_str(o->e, "status", "failed");
		pp_prov_entry_error(x, o->e, p->err.code, p->err.message);
		pp_prov_event(x, PP_EV_SCALING_FAILED, o->name, o->s.id,
			o->type, loc, "failed", p->err.message);
		if (p->deleted == 1)
			return -1;
		lo = leftover(x, &o->s, o->name, o->role, &p->err, o->e);
		if (lo > 0) {
			pp_prov_add_str(o->e, "status", "provisioning");
			pp_prov_add_waiter(x, o->name, o->s.id, o->t0, o->e);
		} else if (lo == 0 && o->intent) {
			forget_intent(x, o->name, o->s.id);
		}
		return -1;
	}
	pp_prov_add_str(o->e, "server_id", o->s.id);
	pp_prov_add_str(o->e, "location", o->s.location ? o->s.location : loc);
	pp_prov_entry_ips(o->e, &o->s);
	if (x->dry_run) {
		pp_prov_add_str(o->e, "status", "dry_run");
		return 0;
	}
	/* the step in hand: registered, or undone */
	if (!o->recorded && pp_prov_reg_set_server(x, o->name, &o->s, o->role,
	    msg, sizeof msg) != 0) {
		struct pp_cloud_error derr;

		pp_warn("server '%s' (id %s) created but not registered: %s; "
			"deleting it", o->name, o->s.id, msg);
		if (pp_prov_delete_server(x, o->s.id, o->name, &derr) < 0)
			pp_warn("cannot delete server %s: %s; it carries our "
				"labels: the next pp-provision adopts it",
				o->s.id, derr.message);
		else
			forget_intent(x, o->name, NULL);
		pp_prov_add_str(o->e, "status", "deleted");
		pp_prov_entry_error(x, o->e, "registry", msg);
		pp_prov_event(x, PP_EV_SCALING_FAILED, o->name, o->s.id,
			o->type, o->s.location, "failed", msg);
		return -1;
	}
	pp_prov_nodesrv_note(x, o->s.id, o->name);
	pp_prov_add_str(o->e, "status", "provisioning");
	unavailable_refused(x, o);
	pp_note("created server '%s' (id %s, %s in %s), registered as "
		"provisioning", o->name, o->s.id, o->type, o->s.location);
	pp_prov_event(x, PP_EV_NODE_PROVISIONING, o->name, o->s.id, o->type,
		o->s.location, "success", x->why);
	pp_prov_add_waiter(x, o->name, o->s.id, o->t0, o->e);
	return 0;
}

/* The count's creates: every create sent first (each recorded before
 * its POST), then the actions of all of them waited for together;
 * those a location refused in their action are sent again in the
 * next, and waited for again. What failed once (every location
 * refused, a limit) is not sent again: no retry storm. */
static void
create_all(struct run *x, struct order *v, size_t n, long *made,
	long *failed)
{
	int stop = 0;

	for (;;) {
		struct pp_cloud_pending *pv;
		size_t nw = 0, k = 0, again = 0;

		for (size_t i = 0; i < n; i++) {
			int rc;

			if (v[i].state != O_SEND)
				continue;
			if (stop) {
				v[i].state = O_DONE;
				if (v[i].e) {
					pp_prov_add_str(v[i].e, "status",
						"failed");
					pp_prov_entry_error(x, v[i].e,
						"not_sent", "an earlier "
						"create of this run failed");
					(*failed)++;
				}
				continue;
			}
			if (pp_interrupted()) {
				pp_prov_set_reason(x, "interrupted",
					"interrupted after %ld of %zu "
					"server(s) sent", *made + (long)nw,
					n);
				x->errors++;
				stop = 1;
				v[i].state = O_DONE;
				continue;
			}
			rc = send_order(x, &v[i]);
			if (rc < 0) {
				(*failed)++;
				stop = 1;
			} else if (v[i].state == O_DONE) {
				(*made)++;
			}
			nw += v[i].state == O_WAIT;
		}
		if (!nw)
			return;
		pv = pp_xcalloc(nw, sizeof *pv);
		for (size_t i = 0; i < n; i++)
			if (v[i].state == O_WAIT)
				pv[k++] = v[i].p;
		pp_cloud_wait_actions(x->cloud, pv, nw);
		k = 0;
		for (size_t i = 0; i < n; i++) {
			int rc;

			if (v[i].state != O_WAIT)
				continue;
			v[i].p = pv[k++];
			rc = finish_order(x, &v[i]);
			if (rc == 0)
				(*made)++;
			else if (rc < 0)
				(*failed)++;
			again += rc > 0;
		}
		free(pv);
		if (!again)
			return;
	}
}

void
pp_prov_load_catalog(struct run *x)
{
	json_object *st = pp_jget(x->doc, "server_types");
	char msg[256];

	if (st && pp_catalog_from_json(st, &x->cat, msg, sizeof msg) == 0) {
		x->have_cat = 1;
		return;
	}
	if (st)
		pp_catalog_free(&x->cat);
	pp_catalog_get(x->cfg, x->cloud, x->o->state_dir, !x->dry_run,
		&x->cat, NULL);
	x->have_cat = 1;
}

void
pp_prov_scale_up(struct run *x, json_object *dec)
{
	const char *type = pp_jstr(dec, "server_type", NULL);
	const char *loc = pp_jstr(dec, "location", NULL);
	const char *role = pp_jstr(dec, "role", NULL);
	json_object *jc = pp_jget(dec, "count");
	long long count = pp_jint(dec, "count", 0);
	long adopted, made = 0, failed = 0;

	if (!strcmp(x->action, "provision_spare"))
		role = "spare";
	else if (!role || (strcmp(role, "worker") && strcmp(role, "spare")))
		role = "worker";
	if (!type || !*type)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision '%s' "
			"names no server_type", x->action);
	/* 1.5 or "3" is not read as 1 or 3: the engine writes a whole
	 * number, so anything else is not its decision */
	if (!json_object_is_type(jc, json_type_int) || count < 1 ||
	    count > MAX_COUNT)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision '%s' "
			"has count %.40s (expected a whole number from 1 to "
			"%d)", x->action, jc ? json_object_to_json_string_ext(
			jc, JSON_C_TO_STRING_PLAIN) : "none", MAX_COUNT);
	if (!pp_catalog_find(&x->cat, type))
		pp_die(PP_EXIT_USAGE, "bad document on stdin: server type "
			"'%s' is not in the catalog", type);
	x->acted = 1;
	adopted = pp_prov_adopt(x, role);
	if (adopted < 0)
		return;
	if (adopted)
		pp_note("adopted %ld server(s) of ours; %lld more to create",
			adopted, count > adopted ? count - adopted : 0);
	if (count > adopted) {
		size_t n = (size_t)(count - adopted);
		struct order *v = pp_xcalloc(n, sizeof *v);

		for (size_t i = 0; i < n; i++) {
			v[i].x = x;
			v[i].type = type;
			v[i].role = role;
			v[i].first = loc;
			v[i].state = O_SEND;
			pp_cloud_labels(x->cfg, role, &v[i].labels);
		}
		create_all(x, v, n, &made, &failed);
		for (size_t i = 0; i < n; i++) {
			pp_strmap_clear(&v[i].labels);
			if (v[i].have_locs)
				free_strlist(&v[i].locs);
			pp_server_free(&v[i].s);
			pp_cloud_pending_free(&v[i].p);
		}
		free(v);
	}
	pp_prov_wait_all(x);
	if (!x->status) {
		if (failed && (made || adopted))
			pp_prov_set_reason(x, "partial", "%ld of %lld "
				"server(s) in place; a create failed", made +
				adopted, count);
		else if (failed)
			pp_prov_set_reason(x, "failed", "no server created");
		else
			pp_prov_set_reason(x, x->dry_run ? "dry_run" : "done",
				"%ld created, %ld adopted", made, adopted);
	}
}
