/* pp-provision's convergence, every run whatever the decision: every
 * server carrying our labels (managed_by and pool) is a registry node
 * or is deleted, and a node whose server is gone is removed.
 *
 * What is registered comes from the document's node list (pp-fleetstats
 * read the registry); the registry is opened only to change it, and a
 * delete re-checks it under its lock, so a server another run has just
 * recorded is never taken for an orphan. An unregistered server younger
 * than cloud.orphan_grace is left alone (a create of another run may be
 * in flight); an older one is adopted when the decision wants capacity
 * (pp_prov_adopt) and deleted otherwise. Each is an event, a counter in
 * the state file and a warning on stderr, which -q does not hide: it
 * costs money. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "cloud/cloud.h"
#include "cloud/labels.h"
#include "conf/config.h"
#include "engine/engine.h"
#include "store/events.h"
#include "store/orphans.h"
#include "store/registry.h"
#include "store/state.h"
#include "run/provision.h"
#include "run/provision_int.h"

/* Longest an orphan's delete may hold the registry lock. */
#define ORPHAN_LOCK_BUDGET 20.0

/* The registered nodes' fields; from the document's list they are
 * that list's strings (x->dnodes, kept for the run), from the
 * registry copies (owned). */
struct known {
	const char *id, *server_id, *provider, *status, *kind;
	int delete_protected; /* as recorded */
	int expiring;         /* draining by expire: the pending step's */
};

static void
known_add(struct known *k, size_t *n, const char *id,
	const char *server_id, const char *provider, const char *status,
	const char *kind, int copy)
{
	struct known *o = &k[(*n)++];

	o->delete_protected = 0;
	o->expiring = 0;
	o->id = id ? id : "";
	o->server_id = server_id && *server_id ? server_id : NULL;
	o->provider = provider;
	o->status = status ? status : "";
	o->kind = kind ? kind : "";
	if (!copy)
		return;
	o->id = pp_xstrdup(o->id);
	o->server_id = o->server_id ? pp_xstrdup(o->server_id) : NULL;
	o->provider = o->provider ? pp_xstrdup(o->provider) : NULL;
	o->status = pp_xstrdup(o->status);
	o->kind = pp_xstrdup(o->kind);
}

/* The registered nodes: the document's list when it has one, else the
 * registry as it is now (read, not locked for writing). *owned: the
 * strings are copies, for known_free. */
static int
known_nodes(struct run *x, struct known **k, size_t *n, int *owned)
{
	const struct pp_prov_dnode *d;
	struct pp_registry r;
	size_t nd;
	char err[768];

	*k = NULL;
	*n = 0;
	*owned = 0;
	if (pp_prov_doc_nodes(x, &d, &nd) == 0) {
		*k = pp_xcalloc(nd + 1, sizeof **k);
		for (size_t i = 0; i < nd; i++) {
			known_add(*k, n, d[i].id, d[i].server_id,
				d[i].provider, d[i].status, d[i].kind, 0);
			(*k)[*n - 1].delete_protected = d[i].delete_protected;
			(*k)[*n - 1].expiring = d[i].draining_by &&
				!strcmp(d[i].draining_by, PP_DRAIN_BY_EXPIRE);
		}
		return 0;
	}
	if (pp_prov_reg_open(x, &r, 0, err, sizeof err) < 0) {
		pp_warn("%s; not reconciling", err);
		return -1;
	}
	*owned = 1;
	*k = pp_xcalloc(r.nnodes + 1, sizeof **k);
	for (size_t i = 0; i < r.nnodes; i++) {
		const struct pp_node *nd = &r.nodes[i];

		known_add(*k, n, nd->id, nd->server_id, nd->provider,
			pp_status_name(nd->status), pp_kind_name(nd->kind), 1);
		(*k)[*n - 1].delete_protected = nd->delete_protected;
		(*k)[*n - 1].expiring = nd->draining_by &&
			!strcmp(nd->draining_by, PP_DRAIN_BY_EXPIRE);
	}
	pp_registry_close(&r);
	return 0;
}

static void
known_free(struct known *k, size_t n, int owned)
{
	for (size_t i = 0; i < n && owned; i++) {
		free((char *)k[i].id);
		free((char *)k[i].server_id);
		free((char *)k[i].provider);
		free((char *)k[i].status);
		free((char *)k[i].kind);
	}
	free(k);
}

/* Sorted string sets, so that matching a fleet's nodes against its
 * servers is n log n, not n x m string compares. */
struct strset {
	const char **v;
	size_t n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
strset_add(struct strset *s, const char *v)
{
	if (!v)
		return;
	s->v = pp_xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n++] = v;
}

static void
strset_sort(struct strset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

static int
strset_has(const struct strset *s, const char *v)
{
	return v && s->n && bsearch(&v, s->v, s->n, sizeof *s->v, cmp_str);
}

static int
is_known(const struct strset *sids, const struct strset *ids,
	const struct pp_server *s)
{
	return strset_has(sids, s->id) || strset_has(ids, s->name);
}

int
pp_prov_list_ours(struct run *x)
{
	struct pp_cloud_error err;
	char *sel = pp_cloud_selector(x->cfg);
	int rc = pp_cloud_list(x->cloud, sel, &x->ours, &err);

	free(sel);
	if (rc < 0) {
		pp_warn("cannot list our servers: %s; not reconciling this "
			"run", err.message);
		snprintf(x->ours_err, sizeof x->ours_err, "%s", err.message);
		return -1;
	}
	x->have_ours = 1;
	return 0;
}

/* Server s's age by the API's created (0 when unknown or ahead). */
static long long
age_of(const struct run *x, const struct pp_server *s)
{
	return s->created && s->created <= x->now ?
		(long long)(x->now - s->created) : 0;
}

/* Deletes an unregistered server of ours, unless a node has named it
 * meanwhile (checked under the registry lock, held across the delete
 * so that no run records it in between); by_name: a person named it
 * (--delete-orphan). Returns 0 deleted (or would be, in a dry run), 1
 * left for a later run (no error of this run), -1 failed (an error of
 * the run, in its entry). */
static int
delete_orphan(struct run *x, const struct pp_server *s, long long age,
	int by_name)
{
	struct pp_registry r;
	struct pp_cloud_error err;
	json_object *e;
	char msg[768], why[512];
	int rc, held = 0;

	if (!x->dry_run) {
		if (pp_prov_reg_open(x, &r, PP_LOCK_EX, msg, sizeof msg) < 0) {
			if (by_name)
				pp_warn("%s", msg);
			else
				pp_warn("%s; orphan server '%s' left for a "
					"later run", msg, s->name);
			return 1;
		}
		held = 1;
		for (size_t i = 0; i < r.nnodes; i++) {
			const struct pp_node *n = &r.nodes[i];

			if ((n->server_id && !strcmp(n->server_id, s->id)) ||
			    (s->name && !strcmp(n->id, s->name))) {
				pp_registry_close(&r);
				return 1;
			}
		}
	}
	snprintf(why, sizeof why, "orphan: server '%s' (id %s, %s, %lld s "
		"old) carries our labels but is in no registry node, and "
		"%s", s->name ? s->name : "?", s->id,
		s->status ? s->status : "?", age, by_name ?
		"pp-provision --delete-orphan named it" :
		"the decision wants no capacity");
	e = pp_prov_entry(x, "delete_orphan", s->name, s->id, s->name,
		s->type, s->location, pp_strmap_get(&s->labels, "role"));
	pp_prov_loud("%s: deleting it", why);
	pp_cloud_set_deadline(x->cloud, pp_monotonic() + ORPHAN_LOCK_BUDGET);
	/* no node's name: the guard holds it to cloud.name_prefix */
	rc = pp_prov_delete_server(x, s->id, NULL, &err);
	pp_cloud_set_deadline(x->cloud, 0);
	if (held)
		pp_registry_close(&r);
	if (rc < 0) {
		if (by_name)
			pp_error("--delete-orphan: server '%s' (id %s): %s: not "
				"deleted", s->name ? s->name : "?", s->id,
				err.message);
		pp_prov_add_str(e, "status", "failed");
		pp_prov_entry_error(x, e, err.code, err.message);
		pp_prov_event(x, PP_EV_SCALING_FAILED, s->name, s->id, s->type,
			s->location, !strcmp(err.code, "not_ours") ?
			"refused" : "failed", err.message);
		return -1;
	}
	pp_prov_add_str(e, "status", x->dry_run ? "dry_run" : "deleted");
	if (x->dry_run)
		return 0;
	x->orphans_deleted++;
	pp_prov_event(x, PP_EV_NODE_REMOVED, s->name, s->id, s->type,
		s->location, "success", why);
	return 0;
}

/* Whether --delete-orphan argument arg names server s (its id, or its
 * name). */
static int
names(const char *arg, const struct pp_server *s)
{
	return !strcmp(arg, s->id) || (s->name && !strcmp(arg, s->name));
}

/* The first --delete-orphan argument that names server s, as its index
 * + 1; 0: none does. */
static size_t
named(const struct run *x, const struct pp_server *s)
{
	for (size_t j = 0; j < x->o->ndelete_ids; j++)
		if (names(x->o->delete_ids[j], s))
			return j + 1;
	return 0;
}

/* Every --delete-orphan argument that names s is now in state how
 * (PP_NAMED_*). */
static void
named_mark(struct run *x, const struct pp_server *s, unsigned char how)
{
	for (size_t j = 0; j < x->o->ndelete_ids; j++)
		if (names(x->o->delete_ids[j], s))
			x->named_done[j] = how;
}

/* --delete-orphan arg (naming server s; NULL: none listed) not carried
 * out: an error of the run, said; with entry, its own entry too (else
 * the server has this run's entry already: a foreign or a protected
 * one's). */
static void
vrefuse(struct run *x, const char *arg, const struct pp_server *s,
	int entry, const char *code, const char *fmt, va_list ap)
{
	char msg[768];
	json_object *e;
	int digits = strspn(arg, "0123456789") == strlen(arg);

	vsnprintf(msg, sizeof msg, fmt, ap);
	pp_error("--delete-orphan %s: %s: not deleted", arg, msg);
	if (!entry) {
		x->errors++;
		return;
	}
	if (s)
		e = pp_prov_entry(x, "delete_orphan", s->name, s->id, s->name,
			s->type, s->location, pp_strmap_get(&s->labels,
			"role"));
	else
		e = pp_prov_entry(x, "delete_orphan", NULL, digits ? arg :
			NULL, digits ? NULL : arg, NULL, NULL, NULL);
	pp_prov_add_str(e, "status", "refused");
	pp_prov_entry_error(x, e, code, msg);
}

void
pp_prov_named_refuse(struct run *x, const char *arg,
	const struct pp_server *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(x, arg, s, 1, code, fmt, ap);
	va_end(ap);
}

/* Server s, which --delete-orphan argument nm (index + 1) named, is
 * not one it deletes (code, and why in fmt); entry: as vrefuse's. */
static void
named_refuse(struct run *x, size_t nm, const struct pp_server *s,
	int entry, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(x, x->o->delete_ids[nm - 1], s, entry, code, fmt, ap);
	va_end(ap);
	named_mark(x, s, PP_NAMED_DONE);
}

/* Server s, left for a person this run: its entry in the section (op,
 * status, and an error of code and msg), and in now and entries for
 * pp_prov_report_once to say loudly only when it first appears (NULL:
 * said every run by the caller). */
static void
left_alone(struct run *x, const char *node, const struct pp_server *s,
	const char *op, const char *status, const char *code, const char *msg,
	json_object *now, json_object *entries)
{
	json_object *e, *o = json_object_new_object();

	e = pp_prov_entry(x, op, node, s->id, s->name, s->type,
		s->location, pp_strmap_get(&s->labels, "role"));
	pp_prov_add_str(e, "status", status);
	pp_prov_add_str(o, "code", code);
	pp_prov_add_str(o, "message", msg);
	json_object_object_add(e, "error", o);
	if (!now)
		return;
	pp_porphan_add(now, s->id, s->name, x->now);
	json_object_array_add(entries, json_object_get(e));
}

/* The orphans of ours.v at del (ndel of them, each past
 * cloud.orphan_grace, not delete-protected; n with the protected
 * ones), more than cloud.orphan_delete_max: none is deleted, nor
 * adopted. So many at once is what a registry that lost its nodes
 * looks like (a platform's bad write, a restored backup, the wrong
 * registry), and their game servers would go with them: deleted now,
 * or adopted as new nodes, which cloud.join_timeout deletes, since
 * their agents joined long ago and will not again. A person decides
 * (pp-provision --delete-orphans). Said every run, as pp-fleetstats
 * says each orphan: not an error of the run, which deleted nothing. */
static void
hold_orphans(struct run *x, const size_t *del, size_t ndel, size_t n,
	size_t ndeleted)
{
	char msg[768], also[128] = "";
	long max = x->cfg->cloud.orphan_delete_max;

	if (max)
		snprintf(msg, sizeof msg, "%zu servers of ours past "
			"cloud.orphan_grace are in no registry node, more "
			"than cloud.orphan_delete_max (%ld) at once: the "
			"registry may have lost their nodes, and any game "
			"servers on them would go with them", n, max);
	else
		snprintf(msg, sizeof msg, "%zu server%s of ours past "
			"cloud.orphan_grace %s in no registry node, and "
			"cloud.orphan_delete_max is 0", n,
			n == 1 ? "" : "s", n == 1 ? "is" : "are");
	if (ndeleted)
		snprintf(also, sizeof also, " (but the %zu --delete-orphan "
			"names)", ndeleted);
	pp_prov_loud("%s; neither deleting nor adopting any%s: check the "
		"registry (pp-registry show), and if they are unneeded run "
		"'pp-provision --delete-orphans' once (or --delete-orphan "
		"ID for each unneeded one) or delete them by hand", msg, also);
	for (size_t j = 0; j < ndel; j++)
		left_alone(x, x->ours.v[del[j]].name, &x->ours.v[del[j]],
			"delete_orphan", "held", "too_many_orphans", msg, NULL,
			NULL);
}

/* A server our listing holds, in no registry node, that is not ours
 * all the same (pp_cloud_is_ours: its name lacks cloud.name_prefix, a
 * server someone else labelled like ours): never adopted nor deleted.
 * It is in the section every run, but said loudly, with an event and
 * a counter, only when it first appears (pp_prov_report_once): it may
 * be billed as ours by mistake and only a person can tell, but it is
 * also what two installs sharing a pool see of each other every cycle,
 * and a warning every cycle would keep an alert firing for good. */
static void
foreign_server(struct run *x, const struct pp_server *s, const char *why)
{
	char msg[768];

	snprintf(msg, sizeof msg, "server '%s' (id %s) carries our labels "
		"(%s=%s) but is not ours: %s; ppscale neither adopts nor "
		"deletes it: relabel, rename or delete it by hand",
		s->name ? s->name : "?", s->id, x->cfg->cloud.label_key,
		x->cfg->cloud.label_value, why);
	left_alone(x, s->name, s, "foreign", "left", "not_ours", msg, x->foreign_now,
		x->foreign_entries);
}

/* An unregistered server of ours the cloud refuses to delete (its
 * delete protection, set by hand): no DELETE is sent. It is in the
 * section every run, but said loudly, with an event, only when it
 * first appears (pp_prov_report_once): a warning every cycle for
 * what only a person can change is noise that hides the next one. Not
 * an error of the run: nothing this run did failed. */
static void
protected_orphan(struct run *x, const struct pp_server *s, long long age)
{
	char why[768];

	snprintf(why, sizeof why, "orphan: server '%s' (id %s, %s, %lld s "
		"old) carries our labels but is in no registry node, and is "
		"delete-protected in the cloud: not deleted; lift the "
		"protection ('hcloud server disable-protection %s delete') "
		"and the next cycle deletes it, or a scale-up adopts it",
		s->name ? s->name : "?", s->id, s->status ? s->status : "?",
		age, s->id);
	left_alone(x, s->name, s, "delete_orphan", "protected", "protected", why,
		x->prot_now, x->prot_entries);
}

/* Says which of entries (their servers in now) are not in prev (NULL:
 * unknown, all are new), loudly and with an event, and which of prev
 * are no longer in now (what: what they were); fills in their "since"
 * in now. An entry of prev whose server id is in keep (NULL: none) was
 * not looked at this run and stays as it was; one in said (NULL: none)
 * was said on stderr by this run already (its event is still made).
 * unread: prev is unknown because the
 * state could not be read, and nothing is said as new (only with -v).
 * Returns how many were new. */
static long
report_new(struct run *x, json_object *now, json_object *entries,
	json_object *prev, json_object *keep, json_object *said,
	int unread, const char *what)
{
	size_t n = entries ? json_object_array_length(entries) : 0;
	long fresh = 0;

	if (!now)
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		const char *id = pp_jstr(e, "server_id", "");
		const char *name = pp_jstr(e, "name", NULL);
		const char *why = pp_jstr(pp_jget(e, "error"), "message", "");
		time_t since = prev ? pp_porphan_since(prev, id) : 0;

		if (since) {
			pp_porphan_add(now, id, name, since);
			pp_debug("%s (so since an earlier run)", why);
			continue;
		}
		if (unread) {
			pp_debug("%s (new or not: the state was not read)",
				why);
			continue;
		}
		fresh++;
		if (said && pp_jget(said, id))
			pp_debug("%s", why);
		else
			pp_prov_loud("%s", why);
		if (!x->dry_run)
			pp_prov_event(x, PP_EV_SCALING_FAILED, name, id,
				pp_jstr(e, "server_type", NULL),
				pp_jstr(e, "location", NULL), "refused", why);
	}
	if (!prev)
		return fresh;
	json_object_object_foreach(prev, id, v) {
		if (pp_jget(now, id))
			continue;
		if (keep && pp_jget(keep, id)) {
			pp_porphan_add(now, id, pp_jstr(v, "name", NULL),
				pp_porphan_since(prev, id));
			pp_stranded_relabel_set(now, id,
				pp_stranded_relabel(prev, id));
		} else
			pp_note("server %s ('%s') is no longer %s", id,
				pp_jstr(v, "name", "?"), what);
	}
	return fresh;
}

static void
report_once(struct run *x, json_object *root, int unread)
{
	/* a run stopped part way has not looked at every server and node:
	 * what it did not reach would be dropped and said again, with an
	 * event, by the next run; the sections stay as they were */
	if (pp_interrupted())
		return;
	report_new(x, x->prot_now, x->prot_entries,
		root ? pp_porphans_of(root) : NULL, NULL, NULL, unread,
		"an unregistered delete-protected server of ours");
	x->foreign = report_new(x, x->foreign_now, x->foreign_entries,
		root ? pp_foreign_of(root) : NULL, NULL, NULL, unread,
		"a server carrying our labels that is not ours");
	report_new(x, x->stranded_now, x->stranded_entries,
		root ? pp_stranded_of(root) : NULL, x->stranded_unseen,
		x->stranded_said, unread,
		"a node's server outside our labels");
}

void
pp_prov_report_unread(struct run *x)
{
	report_once(x, NULL, 1);
}

void
pp_prov_report_once(struct run *x, json_object *root)
{
	report_once(x, root, 0);
	if (!root || pp_interrupted())
		return;
	if (x->prot_now)
		pp_porphans_set(root, json_object_get(x->prot_now));
	if (x->foreign_now)
		pp_foreign_set(root, json_object_get(x->foreign_now));
	if (x->stranded_now)
		pp_stranded_set(root, json_object_get(x->stranded_now));
}

/* Node k's server s, listed no longer with our labels: most often a
 * cloud.pool unset or changed on a running install, which leaves the
 * servers it made labelled with the old pool (or none). Neither the
 * node nor the server is touched: only a person can say whose it is.
 * It is in the section every run, but said loudly, with an event, only
 * when it first appears (pp_prov_report_once), with the command that
 * brings it back into our pool: a warning every cycle would keep the
 * warnings alert firing for as long as it takes someone to act. */
static void
stranded_node(struct run *x, const struct known *k,
	const struct pp_server *s)
{
	char msg[1024], hint[400], cmd[200];

	pp_prov_relabel_hint(x, s, hint, sizeof hint, cmd, sizeof cmd);
	snprintf(msg, sizeof msg, "node '%s': its server %s ('%s') does "
		"not carry our labels (%s=%s, pool %s): left alone%s", k->id,
		k->server_id, s->name ? s->name : "?",
		x->cfg->cloud.label_key, x->cfg->cloud.label_value,
		x->cfg->cloud.pool ? x->cfg->cloud.pool : "(none)", hint);
	left_alone(x, k->id, s, "stranded", "left", "not_ours", msg,
		x->stranded_now, x->stranded_entries);
	/* kept in the state for pp-status, which cannot tell why the
	 * labels changed: with none, the labels are for a person to set */
	pp_stranded_relabel_set(x->stranded_now, s->id, cmd);
}

int
pp_prov_strand(struct run *x, const char *node, const struct pp_server *s)
{
	struct known k = {0};

	if (!x->have_ours || !x->stranded_now)
		return 0;
	for (size_t i = 0; i < x->ours.n; i++)
		if (!strcmp(x->ours.v[i].id, s->id))
			return 0;
	k.id = node;
	k.server_id = s->id;
	stranded_node(x, &k, s);
	/* converge left it to the scale-down: it is looked at now */
	json_object_object_del(x->stranded_unseen, s->id);
	if (!x->stranded_said)
		x->stranded_said = json_object_new_object();
	json_object_object_add(x->stranded_said, s->id,
		json_object_new_boolean(1));
	return 1;
}

/* Node k was not looked at this run: what pp_prov_report_once knew of
 * its server stays. */
static void
unseen(struct run *x, const struct known *k)
{
	json_object_object_add(x->stranded_unseen, k->server_id,
		json_object_new_boolean(1));
}

/* A node whose server is not among ours: gone (removed), or no longer
 * carrying our labels (left, with a warning); or whose server is being
 * deleted (deleting: removed, as gone soon). */
static void
lost_node(struct run *x, const struct known *k, int deleting)
{
	struct pp_server s;
	struct pp_cloud_error err = {0};
	json_object *e;
	char msg[768], why[256];
	int rc, got = 0;

	if (!deleting) {
		got = pp_cloud_get(x->cloud, k->server_id, &s, &err) == 0;
		deleting = got && s.status && !strcmp(s.status, "deleting");
		if (deleting)
			pp_server_free(&s);
	}
	if (got && !deleting) {
		stranded_node(x, k, &s);
		pp_server_free(&s);
		return;
	}
	if (!deleting && strcmp(err.code, "not_found")) {
		pp_warn("node '%s': cannot look at server %s: %s", k->id,
			k->server_id, err.message);
		unseen(x, k);
		return;
	}
	snprintf(why, sizeof why, "lost: its server %s is %s",
		k->server_id, deleting ? "being deleted" : "gone");
	e = pp_prov_entry(x, "forget", k->id, k->server_id, k->id, NULL,
		NULL, NULL);
	pp_prov_loud("node '%s' is %s but its server %s is %s: %s the "
		"node", k->id, k->status, k->server_id, deleting ?
		"being deleted" : "gone", x->dry_run ?
		"would remove (dry run)" : "removing");
	if (x->dry_run) {
		pp_prov_add_str(e, "status", "dry_run");
		return;
	}
	rc = pp_prov_reg_remove(x, k->id, k->server_id, msg, sizeof msg);
	if (rc > 0) {
		/* game servers recorded on it: they are the platform's to
		 * account for; the node stays, and so does the warning */
		pp_prov_loud("%s: the node stays until they are gone", msg);
		pp_prov_add_str(e, "status", "kept");
		return;
	}
	if (rc < 0) {
		pp_prov_entry_error(x, e, "registry", msg);
		pp_warn("%s", msg);
		return;
	}
	pp_prov_add_str(e, "status", "removed");
	x->nodes_forgotten++;
	pp_prov_event(x, PP_EV_NODE_REMOVED, k->id, k->server_id, NULL, NULL,
		"success", why);
}

static int
cmp_server_id(const void *a, const void *b)
{
	return strcmp((*(const struct pp_server *const *)a)->id,
		(*(const struct pp_server *const *)b)->id);
}

/* Records on each node whether the cloud would refuse to delete its
 * server (delete protection, set and lifted in the provider's console):
 * the engine never picks a protected node to remove and stops a drain
 * of one. Only the nodes whose record differs from the listing are
 * written, in one edit. */
static void
sync_protection(struct run *x, const struct known *k, size_t nk)
{
	const struct pp_server **by_id;
	struct pp_registry r;
	size_t nch = 0, *ch = pp_xcalloc(nk + 1, sizeof *ch);
	char msg[768];
	int opened = 0, changed = 0;

	by_id = pp_xcalloc(x->ours.n + 1, sizeof *by_id);
	for (size_t i = 0; i < x->ours.n; i++)
		by_id[i] = &x->ours.v[i];
	if (x->ours.n > 1)
		qsort(by_id, x->ours.n, sizeof *by_id, cmp_server_id);
	for (size_t i = 0; i < nk; i++) {
		struct pp_server key = {.id = (char *)k[i].server_id};
		const struct pp_server *kp = &key, **s;

		if (strcmp(k[i].kind, "cloud") || !k[i].server_id ||
		    (k[i].provider && strcmp(k[i].provider,
		    x->cloud->ops->name)))
			continue;
		s = x->ours.n ? bsearch(&kp, by_id, x->ours.n, sizeof *by_id,
			cmp_server_id) : NULL;
		if (s && !!(*s)->delete_protected != !!k[i].delete_protected)
			ch[nch++] = i;
	}
	free(by_id);
	for (size_t j = 0; j < nch; j++) {
		const struct known *c = &k[ch[j]];
		struct pp_node *n;

		if (!c->delete_protected)
			pp_prov_loud("node '%s': its server %s is "
				"delete-protected in the cloud: ppscale does not "
				"remove the node, and stops a drain of it, until "
				"the protection is lifted", c->id, c->server_id);
		else
			pp_note("node '%s': the delete protection of its "
				"server %s was lifted", c->id, c->server_id);
		if (x->dry_run)
			continue;
		if (!opened) {
			if (pp_prov_reg_open(x, &r, PP_LOCK_EX | PP_REG_LAZY,
			    msg, sizeof msg) < 0) {
				pp_warn("%s; delete protection not recorded",
					msg);
				break;
			}
			opened = 1;
		}
		/* the node may have changed since the document: its server
		 * must still be this one */
		n = pp_registry_find(&r, c->id);
		if (n && n->server_id && !strcmp(n->server_id, c->server_id) &&
		    pp_registry_set_protected(&r, c->id,
		    !c->delete_protected) == 0)
			changed = 1;
	}
	if (opened) {
		if (changed && pp_registry_save(&r) < 0)
			pp_warn("cannot record delete protection in registry "
				"'%s': %s", x->rpath, strerror(errno));
		pp_registry_close(&r);
	}
	free(ch);
}

/* The state's node_servers as the last run left it (empty when it had
 * none: a first run, or one of a version without it), and in *prot its
 * protected_orphans (a new reference, or NULL). NULL: the state cannot
 * be read, and which of our servers were nodes is unknown. */
static json_object *
nodesrv_prev(struct run *x, json_object **prot)
{
	struct pp_state st;
	json_object *prev;
	char err[768];

	*prot = NULL;
	if (pp_state_open(&st, x->spath, 0, err, sizeof err) < 0) {
		pp_prov_loud("%s; which servers of ours were registry nodes is "
			"unknown: no orphan is deleted or adopted this run",
			err);
		snprintf(x->state_err, sizeof x->state_err, "%s", err);
		pp_state_close(&st);
		return NULL;
	}
	prev = pp_nodesrv_of(st.root);
	prev = prev ? json_object_get(prev) : json_object_new_object();
	*prot = json_object_get(pp_porphans_of(st.root));
	pp_state_close(&st);
	return prev;
}

/* Server id, named by node now (prev: as the last run left the
 * section, for when it was first and whether its node joined): not
 * held. */
static void
nodesrv_add(struct run *x, json_object *prev, const char *id,
	const char *node)
{
	time_t since = prev ? pp_porphan_since(prev, id) : 0;
	const char *jn;
	time_t j = prev ? pp_nodesrv_joined(prev, id, &jn) : 0;

	pp_porphan_add(x->nodesrv_now, id, node, since ? since : x->now);
	pp_nodesrv_held_set(x->nodesrv_now, id, 0);
	if (j)
		pp_nodesrv_joined_set(x->nodesrv_now, id, j, jn);
}

/* Whether registry node k has joined: its agent ran (the platform
 * marked it ready, or it drains or is unhealthy since), other than a
 * node marked draining for an expire of its boot. */
static int
joined(const struct known *k)
{
	return !k->expiring && (!strcmp(k->status, "ready") ||
		!strcmp(k->status, "draining") ||
		!strcmp(k->status, "unhealthy"));
}

/* Whether one of the nk registry nodes k, of id id, names server sid
 * (whatever its status: the one that joined may read provisioning
 * now, restored, beside a ready copy of its row). */
static int
names_server(const struct known *k, size_t nk, const char *id,
	const char *sid)
{
	for (size_t i = 0; i < nk; i++)
		if (!strcmp(k[i].id, id) && k[i].server_id &&
		    !strcmp(k[i].server_id, sid))
			return 1;
	return 0;
}

/* nodesrv_now, whole before anything is acted on, so that a run
 * stopped part way leaves no server out: the servers of ours a
 * registry node names now, and those one named before (prev) that are
 * still listed and not being deleted, held until they are gone or a
 * node names them again. */
static void
nodesrv_known(struct run *x, json_object *prev, const struct known *k,
	size_t nk, const struct strset *sids, const struct strset *ids,
	const struct strset *ours)
{
	x->nodesrv_now = json_object_new_object();
	for (size_t i = 0; i < x->ours.n; i++) {
		const struct pp_server *s = &x->ours.v[i];

		time_t held = pp_nodesrv_held(prev, s->id);

		if (!pp_jget(prev, s->id) || (s->status &&
		    !strcmp(s->status, "deleting")))
			continue;
		nodesrv_add(x, prev, s->id, pp_jstr(pp_jget(prev, s->id),
			"name", NULL));
		/* kept whether or not this run holds it (a
		 * --delete-orphans run that cannot delete it); a node
		 * that names it again takes it away below */
		if (held)
			pp_nodesrv_held_set(x->nodesrv_now, s->id, held);
	}
	/* one a node names that the listing missed (a page it skipped):
	 * its memory is kept, and the boot step looks at it by its id */
	for (size_t i = 0; i < nk; i++)
		if (k[i].server_id && !strset_has(ours, k[i].server_id) &&
		    pp_jget(prev, k[i].server_id))
			nodesrv_add(x, prev, k[i].server_id, pp_jstr(pp_jget(
				prev, k[i].server_id), "name", NULL));
	for (size_t i = 0; i < nk; i++)
		if (k[i].server_id && strset_has(ours, k[i].server_id)) {
			const char *jn;
			time_t j;

			nodesrv_add(x, prev, k[i].server_id, k[i].id);
			j = pp_nodesrv_joined(x->nodesrv_now, k[i].server_id,
				&jn);
			/* this node's since it was first seen so; the
			 * recorded one's while it still names the server
			 * (a copied row does not take it) */
			if (joined(&k[i]) && (!j || !jn || (strcmp(jn,
			    k[i].id) && !names_server(k, nk, jn,
			    k[i].server_id))))
				pp_nodesrv_joined_set(x->nodesrv_now,
					k[i].server_id, x->now, k[i].id);
		}
	/* a node named like its server, its id not recorded yet */
	for (size_t i = 0; i < x->ours.n; i++) {
		const struct pp_server *s = &x->ours.v[i];

		if (!strset_has(sids, s->id) && s->name &&
		    strset_has(ids, s->name))
			nodesrv_add(x, prev, s->id, s->name);
	}
}

/* Server id was a registry node's: a scale-up does not adopt it
 * (pp_prov_adopt). */
static void
former_mark(struct run *x, const char *id)
{
	if (!x->former)
		x->former = json_object_new_object();
	json_object_object_add(x->former, id, json_object_new_boolean(1));
}

/* Server s of ours, which a registry node named (prev: the state's
 * node_servers) and none names now: the registry lost the node (a
 * platform's bad write, a restored backup), and the game servers on it
 * would go with it, deleted as an orphan's, or adopted as a new node's,
 * which cloud.join_timeout deletes, since its agent joined long ago and
 * will not again. Neither is done, whatever the count; a person decides
 * (pp-provision --delete-orphans). Said every run: it bills, and may
 * hold players. */
static void
hold_former(struct run *x, json_object *prev, const struct pp_server *s)
{
	const char *node = pp_jstr(pp_jget(prev, s->id), "name", NULL);
	time_t held = pp_nodesrv_held(prev, s->id);
	char msg[1024], since[64];

	/* for pp-status and pp-fleetstats, since the first run that held
	 * it (nodesrv_known has its entry in nodesrv_now) */
	pp_nodesrv_held_set(x->nodesrv_now, s->id, held ? held : x->now);
	pp_format_time(pp_porphan_since(prev, s->id), since, sizeof since);
	snprintf(msg, sizeof msg, "server '%s' (id %s) was registry node "
		"'%s' (from %s) and no node names it now: the registry may "
		"have lost the node (a platform's write, a restored backup), "
		"and any game servers on it would go with it; neither "
		"deleting nor adopting it: put the node back in the "
		"registry, or if the server is unneeded run "
		"'pp-provision --delete-orphan %s' once or delete it by hand",
		s->name ? s->name : "?", s->id, node ? node : "?", since,
		s->id);
	pp_prov_loud("%s", msg);
	left_alone(x, node, s, "delete_orphan", "held", "was_a_node", msg,
		NULL, NULL);
	former_mark(x, s->id);
}

void
pp_prov_nodesrv_note(struct run *x, const char *id, const char *node)
{
	if (x->nodesrv_now && id && *id)
		nodesrv_add(x, NULL, id, node);
}

/* Nothing ties the listing to us (no server in it that a registry
 * node names, that a node named before, or that an earlier run found
 * delete-protected here: prev and prot, from the state), though the
 * registry has cloud nodes, and it holds servers of ours past
 * cloud.orphan_grace that no node names: what a token of another
 * project looks like
 * (HCLOUD_TOKEN or cloud.token_file set wrong, a staging install
 * labelled like ours). Its servers would be deleted or adopted as
 * orphans, our nodes whose servers it cannot see (404) forgotten while
 * their servers bill on, and a scale-up would make servers there, whose
 * nodes would end the check. Said every run; nothing is deleted,
 * adopted, forgotten or made until a person has looked. */
static int
other_project(struct run *x, const struct known *k, size_t nk,
	const struct strset *sids, const struct strset *ids,
	const struct strset *ours, json_object *prev, json_object *prot)
{
	size_t nodes = 0, unknown = 0;
	char why[512];

	if (x->o->delete_orphans || !prev)
		return 0;
	for (size_t i = 0; i < nk; i++) {
		if (strcmp(k[i].kind, "cloud") || !k[i].server_id ||
		    (k[i].provider && strcmp(k[i].provider,
		    x->cloud->ops->name)))
			continue;
		if (strset_has(ours, k[i].server_id))
			return 0;
		nodes++;
	}
	for (size_t i = 0; i < x->ours.n; i++) {
		const struct pp_server *s = &x->ours.v[i];

		if (pp_jget(prev, s->id) || pp_jget(prot, s->id))
			return 0;
		if (!is_known(sids, ids, s) && !(s->status &&
		    !strcmp(s->status, "deleting")) &&
		    age_of(x, s) >= x->cfg->cloud.orphan_grace &&
		    pp_cloud_is_ours(x->cfg, s, NULL, why, sizeof why))
			unknown++;
	}
	/* not the memory alone: it keeps the servers of the last run,
	 * whose scale-down may have emptied the registry of cloud nodes */
	if (!nodes || !unknown)
		return 0;
	snprintf(x->other_msg, sizeof x->other_msg, "none of the servers "
		"listed with our labels is one that a registry node names "
		"or named (%zu cloud node%s), and %zu of them %s in no node: "
		"the API token may be another project's (HCLOUD_TOKEN, "
		"cloud.token_file), or the registry another install's",
		nodes, nodes == 1 ? "" : "s", unknown,
		unknown == 1 ? "is" : "are");
	pp_prov_loud("%s; neither deleting, adopting, forgetting nor "
		"creating any this run: check both, and if they are right "
		"run 'pp-provision --delete-orphans' once", x->other_msg);
	return 1;
}

void
pp_prov_converge(struct run *x, int up, const char *leave)
{
	struct known *k;
	struct strset sids = {0}, ids = {0}, ours = {0}, going = {0};
	size_t nk, *del, ndel = 0, nprot = 0, nformer = 0;
	size_t nnamed = 0;
	long grace = x->cfg->cloud.orphan_grace;
	json_object *prev, *prot;
	int owned, other;

	if (!x->have_ours || known_nodes(x, &k, &nk, &owned) < 0)
		return;
	for (size_t i = 0; i < nk; i++) {
		strset_add(&sids, k[i].server_id);
		strset_add(&ids, k[i].id);
	}
	for (size_t i = 0; i < x->ours.n; i++) {
		const struct pp_server *s = &x->ours.v[i];

		strset_add(&ours, s->id);
		/* listed as this run found it: one this run deleted is
		 * marked deleting too, and its node is gone already */
		if (s->status && !strcmp(s->status, "deleting"))
			strset_add(&going, s->id);
	}
	strset_sort(&sids);
	strset_sort(&ids);
	strset_sort(&ours);
	strset_sort(&going);
	sync_protection(x, k, nk);
	prev = nodesrv_prev(x, &prot);
	/* for the boot step: read once (NULL: unreadable) */
	x->joined_read = 1;
	x->joined_mem = prev ? json_object_get(prev) : NULL;
	other = other_project(x, k, nk, &sids, &ids, &ours, prev, prot);
	json_object_put(prot);
	/* another project's listing would make the memory forget ours */
	if (prev && !other)
		nodesrv_known(x, prev, k, nk, &sids, &ids, &ours);
	/* every server is looked at for whether it is ours: the foreign
	 * ones found are all there are */
	x->foreign_now = json_object_new_object();
	x->foreign_entries = json_object_new_array();
	x->stranded_now = json_object_new_object();
	x->stranded_entries = json_object_new_array();
	x->stranded_unseen = json_object_new_object();
	if (!up) {
		/* every orphan is looked at: the protected ones found are
		 * all there are */
		x->prot_now = json_object_new_object();
		x->prot_entries = json_object_new_array();
	}
	del = pp_xcalloc(x->ours.n + 1, sizeof *del);
	x->named_del = pp_xcalloc(x->ours.n + 1, sizeof *x->named_del);
	for (size_t i = 0; i < x->ours.n && !pp_interrupted(); i++) {
		const struct pp_server *s = &x->ours.v[i];
		long long age = age_of(x, s);
		size_t nm = named(x, s);
		int deleting = s->status && !strcmp(s->status, "deleting");
		int known = is_known(&sids, &ids, s);
		char why[512];

		if (nm && deleting) {
			pp_warn("--delete-orphan %s: server '%s' (id %s) is "
				"being deleted already", x->o->delete_ids[nm -
				1], s->name ? s->name : "?", s->id);
			named_mark(x, s, PP_NAMED_DONE);
		} else if (nm && known) {
			named_refuse(x, nm, s, 1, "not_an_orphan", "server "
				"'%s' (id %s) is a registry node's: scale it "
				"down (pp-drain --node NODE empties it) rather "
				"than delete it under its game servers",
				s->name ? s->name : "?", s->id);
		}
		if (known || deleting)
			continue;
		if (!pp_cloud_is_ours(x->cfg, s, NULL, why, sizeof why)) {
			foreign_server(x, s, why);
			if (nm)
				named_refuse(x, nm, s, 0, "not_ours", "server "
					"'%s' (id %s) is not ours: %s",
					s->name ? s->name : "?", s->id, why);
			continue;
		}
		/* a person named it: what holds the others does not hold
		 * it, the rest does, and a scale-up does not adopt it; it
		 * is deleted at the run's end (pp_prov_named_delete), once
		 * the decision is carried out: a run that dies on a bad
		 * one deletes nothing */
		if (nm) {
			/* the grace is for a create in flight; a node's
			 * server is none */
			int young = age < grace && !pp_jget(prev, s->id);

			if (young) {
				named_refuse(x, nm, s, 1, "orphan_grace",
					"server '%s' (id %s) is %lld s old, "
					"within cloud.orphan_grace (%ld s): it "
					"may be a create in progress", s->name ?
					s->name : "?", s->id, age, grace);
			} else if (s->delete_protected) {
				/* still in protected_orphans, as found */
				if (!up)
					protected_orphan(x, s, age);
				named_refuse(x, nm, s, up, "protected",
					"server '%s' (id %s) is "
					"delete-protected in the cloud: lift "
					"the protection first ('hcloud server "
					"disable-protection %s delete')",
					s->name ? s->name : "?", s->id, s->id);
			} else {
				x->named_del[x->nnamed_del++] = i;
				named_mark(x, s, PP_NAMED_PENDING);
			}
			/* counted with the others: so many at once is
			 * still what a lost registry looks like */
			if (!young)
				nnamed++;
			former_mark(x, s->id);
			continue;
		}
		if (other) {
			left_alone(x, s->name, s, "delete_orphan", "held",
				"other_project", x->other_msg, NULL, NULL);
			continue;
		}
		/* whatever its age: a young one was a node all the same */
		if (pp_jget(prev, s->id) && !x->o->delete_orphans) {
			hold_former(x, prev, s);
			nformer++;
			continue;
		}
		/* --delete-orphans deletes it (with no scale-up) but never
		 * adopts it: its agent joined long ago and will not again,
		 * so cloud.join_timeout would delete it as a new node,
		 * game servers and all */
		if (pp_jget(prev, s->id))
			former_mark(x, s->id);
		/* on up, pp_prov_adopt takes it, unless they are held */
		if (age < grace) {
			if (!up)
				pp_warn("unregistered server '%s' (id %s) of "
					"ours is %lld s old, within "
					"cloud.orphan_grace (%ld s): left for a "
					"later run", s->name ? s->name : "?",
					s->id, age, grace);
			continue;
		}
		if (s->delete_protected) {
			nprot++;
			if (!up)
				protected_orphan(x, s, age);
			continue;
		}
		del[ndel++] = i;
	}
	/* the protected ones count, and those that were nodes: they are
	 * lost nodes' servers too */
	if ((other || !prev) && !x->o->delete_orphans) {
		/* another project's listing, or a state unread (each said
		 * so): whatever their age or protection, none is adopted
		 * either */
		x->orphans_held = 1;
	} else if (ndel && ndel + nprot + nformer + nnamed >
	    (size_t)x->cfg->cloud.orphan_delete_max &&
	    !x->o->delete_orphans) {
		hold_orphans(x, del, ndel, ndel + nprot + nformer + nnamed,
			x->nnamed_del);
		x->orphans_held = 1;
	} else if (!up) {
		for (size_t j = 0; j < ndel && !pp_interrupted(); j++)
			delete_orphan(x, &x->ours.v[del[j]],
				age_of(x, &x->ours.v[del[j]]), 0);
	}
	free(del);
	for (size_t j = 0; j < x->o->ndelete_ids; j++)
		if (x->named_done[j] == PP_NAMED_UNSEEN && !pp_interrupted()) {
			pp_prov_named_refuse(x, x->o->delete_ids[j], NULL,
				"not_listed", "no server listed with our "
				"labels has that id or name (gone already, "
				"another pool's, or not ours)");
			x->named_done[j] = PP_NAMED_DONE;
		}
	json_object_put(prev);
	for (size_t i = 0; i < nk && !pp_interrupted(); i++) {
		if (strcmp(k[i].kind, "cloud") || !k[i].server_id ||
		    !strcmp(k[i].status, "provisioning") || k[i].expiring ||
		    (k[i].provider && strcmp(k[i].provider,
		    x->cloud->ops->name)))
			continue;
		if (leave && !strcmp(k[i].id, leave)) {
			/* the decision's node, which the scale-down's own
			 * guard looks at */
			unseen(x, &k[i]);
			continue;
		}
		if (other && !strset_has(&ours, k[i].server_id))
			unseen(x, &k[i]);
		else if (!strset_has(&ours, k[i].server_id))
			lost_node(x, &k[i], 0);
		else if (strset_has(&going, k[i].server_id))
			lost_node(x, &k[i], 1);
	}
	free(sids.v);
	free(ids.v);
	free(ours.v);
	free(going.v);
	known_free(k, nk, owned);
}

void
pp_prov_named_delete(struct run *x)
{
	for (size_t j = 0; j < x->nnamed_del && !pp_interrupted(); j++) {
		const struct pp_server *s = &x->ours.v[x->named_del[j]];

		if (delete_orphan(x, s, age_of(x, s), 1) > 0)
			named_refuse(x, named(x, s), s, 1, "left", "server "
				"'%s' (id %s): the registry could not be "
				"locked, or a node names it now", s->name ?
				s->name : "?", s->id);
		named_mark(x, s, PP_NAMED_DONE);
	}
}
