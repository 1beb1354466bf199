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
prefixed(const struct pp_config *cfg, const char *name)
{
	const char *p = cfg->cloud.name_prefix ? cfg->cloud.name_prefix : "";

	return name && !strncmp(name, p, strlen(p)) &&
		strlen(name) > strlen(p);
}

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

	if (!x->have_ours) {
		pp_prov_set_reason(x, "failed", "cannot list our servers "
			"before creating: %s", x->ours_err);
		x->errors++;
		return -1;
	}
	if (pp_prov_reg_open(x, &r, 0, msg, sizeof msg) < 0)
		pp_die(PP_EXIT_USAGE, "%s", msg);
	for (size_t i = 0; i < ls->n; i++) {
		const struct pp_server *s = &ls->v[i];
		const char *pool = pp_strmap_get(&s->labels, "pool");
		const char *lrole = pp_strmap_get(&s->labels, "role");
		int known = 0, rc;
		json_object *e;
		const char *st;

		for (size_t j = 0; j < r.nnodes && !known; j++)
			known = (r.nodes[j].server_id &&
				!strcmp(r.nodes[j].server_id, s->id)) ||
				(s->name && !strcmp(r.nodes[j].id, s->name));
		if (known || !prefixed(x->cfg, s->name) || (s->status &&
		    !strcmp(s->status, "deleting")) ||
		    (x->cfg->cloud.pool && pool &&
		    strcmp(pool, x->cfg->cloud.pool)))
			continue;
		if (!lrole || (strcmp(lrole, "worker") &&
		    strcmp(lrole, "spare")))
			lrole = role;
		st = s->status && !strcmp(s->status, "running") ? "ready" :
			"provisioning";
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
		x->adopted++;
		pp_prov_event(x, PP_EV_NODE_PROVISIONING, s->name, s->id,
			s->type, s->location, "success", "adopted an "
			"unregistered server of ours");
		if (!strcmp(st, "ready"))
			pp_prov_event(x, PP_EV_NODE_ADDED, s->name, s->id,
				s->type, s->location, "success", "adopted");
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

	l.v = pp_xcalloc(x->cfg->cloud.locations.n + 1, sizeof *l.v);
	/* the decision's location first, unless it refused lately: the
	 * decision may predate the refusal */
	if (first && *first && !pp_prov_refused(x, type, first) &&
	    !pp_prov_refused(x, NULL, first))
		l.v[l.n++] = pp_xstrdup(first);
	for (size_t i = 0; i < x->cfg->cloud.locations.n; i++) {
		const char *loc = x->cfg->cloud.locations.v[i];
		const struct pp_price *p = t ? pp_type_price(t, loc) : NULL;

		if ((first && !strcmp(loc, first)) || pp_prov_refused(x, type,
		    loc) || pp_prov_refused(x, NULL, loc) || (t && (!p ||
		    !p->available)))
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
 * the next location, and remember it. */
static int
location_refused(const char *code)
{
	return !strcmp(code, "resource_unavailable") ||
		!strcmp(code, "placement_error");
}

struct made {
	struct run *x;
	const char *name, *role;
	int recorded;
};

/* The provider knows the new server's id: record it before any wait,
 * so that a run killed while waiting leaves a node that names it. */
static void
on_created(void *arg, const struct pp_server *s)
{
	struct made *m = arg;
	char msg[768];

	if (m->x->dry_run)
		return;
	if (pp_prov_reg_set_server(m->x, m->name, s, m->role, msg,
	    sizeof msg) == 0)
		m->recorded = 1;
	else
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

/* Creates one server. Its node is recorded (provisioning, no server
 * id) before the create is sent and gets the id as soon as the
 * provider knows it; a create that made nothing drops the node again,
 * and one whose outcome nobody could read keeps it for the next run to
 * look the name up. Returns 0, -1 after a failure (recorded), -2 when
 * no further create should be tried either. */
static int
create_one(struct run *x, const char *type, const char *first_loc,
	const char *role)
{
	struct pp_strmap labels = {0};
	struct pp_strlist locs = locations(x, type, first_loc);
	struct pp_server_spec spec;
	struct pp_server s;
	struct pp_cloud_error err;
	struct made m;
	json_object *e, *tried = json_object_new_array();
	char name[128], msg[768];
	char *ud = NULL;
	size_t udlen;
	int status, rc = -1, stop = 0, made = 0, intent = 0, lo;
	double t0 = 0;

	memset(&s, 0, sizeof s);
	memset(&err, 0, sizeof err);
	memset(&spec, 0, sizeof spec);
	memset(&m, 0, sizeof m);
	pp_cloud_labels(x->cfg, role, &labels);
	random_name(x->cfg, name, sizeof name);
	m.x = x;
	m.name = name;
	m.role = role;
	x->cloud->on_created = on_created;
	x->cloud->on_created_arg = &m;
	e = pp_prov_entry(x, "create", name, NULL, name, type, NULL, role);
	json_object_object_add(e, "tried", tried);
	if (!locs.n) {
		pp_prov_add_str(e, "status", "failed");
		pp_prov_entry_error(x, e, "resource_unavailable", "no location "
			"left to try: every configured one refused this type "
			"lately");
		goto out;
	}
	for (int attempt = 0; attempt < NAME_TRIES && !made; attempt++) {
		if (attempt) {
			/* the name was someone else's: ours made nothing */
			if (intent)
				forget_intent(x, name, NULL);
			intent = 0;
			random_name(x->cfg, name, sizeof name);
			pp_prov_add_str(e, "node", name);
			pp_prov_add_str(e, "name", name);
		}
		pp_cloudinit_free(ud);
		ud = pp_cloudinit_render(x->cfg, name, NULL, x->dry_run,
			&udlen, &status, msg, sizeof msg);
		if (!ud) {
			if (status == PP_EXIT_USAGE)
				pp_die(PP_EXIT_USAGE, "cannot render "
					"cloud-init for '%s': %s", name, msg);
			pp_prov_add_str(e, "status", "failed");
			pp_prov_entry_error(x, e, "cloud_init", msg);
			stop = 1;
			goto out;
		}
		memset(&spec, 0, sizeof spec);
		spec.name = name;
		spec.type = type;
		spec.image = x->cfg->cloud.image;
		spec.user_data = ud;
		spec.labels = &labels;
		spec.ssh_keys = &x->cfg->cloud.ssh_keys;
		spec.networks = &x->cfg->cloud.networks;
		spec.firewalls = &x->cfg->cloud.firewalls;
		spec.placement_group = x->cfg->cloud.placement_group;
		for (size_t i = 0; i < locs.n && !made; i++) {
			json_object *t;

			spec.location = locs.v[i];
			if (!x->dry_run && pp_prov_reg_intent(x, name, type,
			    locs.v[i], role, &labels, msg, sizeof msg) != 0) {
				pp_warn("cannot record node '%s' before "
					"creating its server: %s", name, msg);
				pp_prov_add_str(e, "status", "failed");
				pp_prov_entry_error(x, e, "registry", msg);
				stop = 1;
				goto out;
			}
			intent = !x->dry_run;
			t = json_object_new_object();
			t0 = pp_monotonic();
			pp_server_free(&s);
			if (pp_cloud_create(x->cloud, &spec, &s, &err) == 0) {
				made = 1;
				pp_prov_add_str(t, "location", locs.v[i]);
				pp_prov_add_str(t, "code", NULL);
				json_object_array_add(tried, t);
				break;
			}
			pp_prov_add_str(t, "location", locs.v[i]);
			pp_prov_add_str(t, "code", err.code);
			json_object_array_add(tried, t);
			pp_warn("cannot create server '%s' (%s) in '%s': %s",
				name, type, locs.v[i], err.message);
			if (!err.unknown && location_refused(err.code)) {
				pp_prov_add_refusal(x, type, locs.v[i], &err);
				/* a failed create action left a server the
				 * provider deleted again: the node's id goes */
				if (s.id && leftover(x, &s, name, role, &err,
				    e) != 0)
					break;
				if (s.id) {
					forget_intent(x, name, s.id);
					intent = 0;
				}
				continue;
			}
			break;
		}
		if (made || err.unknown || strcmp(err.code,
		    "uniqueness_error") || s.id)
			break;
	}
	if (!made && s.id && !x->dry_run && (!strcmp(err.code, "timeout") ||
	    !strcmp(err.code, "action_unknown"))) {
		/* created, its action slow or unread: not a failure; the
		 * node has its id and the boot wait decides */
		pp_prov_add_str(e, "location", spec.location);
		pp_prov_add_str(e, "server_id", s.id);
		if (pp_prov_reg_set_server(x, name, &s, role, msg,
		    sizeof msg) == 0) {
			pp_warn("server '%s' (id %s) was created; %s: it stays "
				"provisioning and the boot wait decides", name,
				s.id, err.message);
			pp_prov_add_str(e, "status", "provisioning");
			pp_prov_add_waiter(x, name, s.id, t0, e);
			rc = 0;
			goto out;
		}
		pp_warn("%s", msg);
	}
	if (!made) {
		pp_prov_add_str(e, "location", spec.location);
		pp_prov_add_str(e, "server_id", s.id);
		pp_prov_add_str(e, "status", "failed");
		pp_prov_entry_error(x, e, err.code, err.message);
		if (!strcmp(err.code, "resource_limit_exceeded") ||
		    !strcmp(err.code, "unauthorized") ||
		    !strcmp(err.code, "forbidden") ||
		    !strcmp(err.code, "rate_limit_exceeded") || err.unknown)
			stop = 1;
		pp_prov_event(x, PP_EV_SCALING_FAILED, name, s.id, type,
			spec.location, "failed", err.message);
		if (err.unknown && intent) {
			/* it may exist: the node keeps its name for the
			 * next run to look up */
			pp_warn("whether server '%s' was created is unknown: "
				"node '%s' stays provisioning; the next run "
				"looks the name up", name, name);
			pp_prov_add_str(e, "status", "provisioning");
			goto out;
		}
		lo = leftover(x, &s, name, role, &err, e);
		if (lo > 0) {
			pp_prov_add_str(e, "status", "provisioning");
			pp_prov_add_waiter(x, name, s.id, t0, e);
		} else if (lo == 0 && intent) {
			forget_intent(x, name, s.id);
		}
		goto out;
	}
	pp_prov_add_str(e, "server_id", s.id);
	pp_prov_add_str(e, "location", s.location ? s.location : spec.location);
	pp_prov_entry_ips(e, &s);
	if (x->dry_run) {
		pp_prov_add_str(e, "status", "dry_run");
		rc = 0;
		goto out;
	}
	/* the step in hand: registered, or undone */
	if (!m.recorded && pp_prov_reg_set_server(x, name, &s, role, msg,
	    sizeof msg) != 0) {
		struct pp_cloud_error derr;

		pp_warn("server '%s' (id %s) created but not registered: %s; "
			"deleting it", name, s.id, msg);
		if (pp_prov_delete_server(x, s.id, name, &derr) < 0)
			pp_warn("cannot delete server %s: %s; it carries our "
				"labels: the next pp-provision adopts it", s.id,
				derr.message);
		else
			forget_intent(x, name, NULL);
		pp_prov_add_str(e, "status", "deleted");
		pp_prov_entry_error(x, e, "registry", msg);
		pp_prov_event(x, PP_EV_SCALING_FAILED, name, s.id, type,
			s.location, "failed", msg);
		stop = 1;
		goto out;
	}
	pp_prov_add_str(e, "status", "provisioning");
	pp_note("created server '%s' (id %s, %s in %s), registered as "
		"provisioning", name, s.id, type, s.location);
	pp_prov_event(x, PP_EV_NODE_PROVISIONING, name, s.id, type, s.location,
		"success", x->why);
	pp_prov_add_waiter(x, name, s.id, t0, e);
	rc = 0;
out:
	x->cloud->on_created = NULL;
	x->cloud->on_created_arg = NULL;
	pp_cloudinit_free(ud);
	pp_server_free(&s);
	pp_strmap_clear(&labels);
	free_strlist(&locs);
	return rc < 0 && stop ? -2 : rc;
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
		&x->cat);
	x->have_cat = 1;
}

void
pp_prov_scale_up(struct run *x, json_object *dec)
{
	const char *type = pp_jstr(dec, "server_type", NULL);
	const char *loc = pp_jstr(dec, "location", NULL);
	const char *role = pp_jstr(dec, "role", NULL);
	long long count = pp_jint(dec, "count", 0);
	long adopted, made = 0, failed = 0;

	if (!strcmp(x->action, "provision_spare"))
		role = "spare";
	else if (!role || (strcmp(role, "worker") && strcmp(role, "spare")))
		role = "worker";
	if (!type || !*type)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision '%s' "
			"names no server_type", x->action);
	if (count < 1 || count > MAX_COUNT)
		pp_die(PP_EXIT_USAGE, "bad document on stdin: decision '%s' "
			"has count %lld (expected 1 to %d)", x->action, count,
			MAX_COUNT);
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
	for (long long i = adopted; i < count; i++) {
		int rc;

		if (pp_interrupted()) {
			pp_prov_set_reason(x, "interrupted", "interrupted "
				"after %ld of %lld server(s)", made, count -
				adopted);
			x->errors++;
			break;
		}
		rc = create_one(x, type, loc, role);
		if (rc == 0) {
			made++;
			continue;
		}
		failed++;
		/* what failed once (every location refused, a limit) fails
		 * again: no retry storm */
		break;
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
