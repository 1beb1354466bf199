/* pp-provision's records: the reason, events, the section's entries,
 * registry writes and refusals in the state file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/catalog.h"
#include "cloud/cloud.h"
#include "conf/config.h"
#include "base/json.h"
#include "base/jscan.h"
#include "engine/engine.h"
#include "store/decide_mem.h"
#include "store/events.h"
#include "store/metrics.h"
#include "store/orphans.h"
#include "store/offsrv.h"
#include "store/refusals.h"
#include "store/registry.h"
#include "store/state.h"
#include "base/util.h"
#include "run/provision_int.h"

void
pp_prov_set_reason(struct run *x, const char *status, const char *fmt, ...)
{
	va_list ap;

	x->status = status;
	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof x->reason, fmt, ap);
	va_end(ap);
}

void
pp_prov_loud(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pp_vmsg(-1, fmt, ap);
	va_end(ap);
}

void
pp_prov_add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/* ---- events ------------------------------------------------------- */

void
pp_prov_event(struct run *x, const char *type, const char *node,
	const char *server_id, const char *stype, const char *loc,
	const char *result, const char *reason)
{
	json_object *extra;

	if (x->dry_run)
		return;
	extra = json_object_new_object();
	pp_prov_add_str(extra, "server_id", server_id);
	pp_prov_add_str(extra, "server_type", stype);
	pp_prov_add_str(extra, "location", loc);
	pp_event_node(type, node, x->action, result, reason, extra);
}

/* ---- section entries ---------------------------------------------- */

json_object *
pp_prov_entry(struct run *x, const char *op, const char *node, const char *id,
	const char *name, const char *type, const char *loc,
	const char *role)
{
	json_object *e = json_object_new_object();

	pp_prov_add_str(e, "op", op);
	pp_prov_add_str(e, "node", node);
	pp_prov_add_str(e, "server_id", id);
	pp_prov_add_str(e, "name", name);
	pp_prov_add_str(e, "server_type", type);
	pp_prov_add_str(e, "location", loc);
	pp_prov_add_str(e, "role", role);
	pp_prov_add_str(e, "status", NULL);
	pp_prov_add_str(e, "ipv4", NULL);
	pp_prov_add_str(e, "private_ip", NULL);
	json_object_object_add(e, "seconds_to_running", NULL);
	json_object_object_add(e, "error", NULL);
	json_object_array_add(x->servers, e);
	x->touched = 1;
	return e;
}

void
pp_prov_entry_error(struct run *x, json_object *e, const char *code,
	const char *message)
{
	json_object *o = json_object_new_object();

	pp_prov_add_str(o, "code", code);
	pp_prov_add_str(o, "message", message);
	json_object_object_add(e, "error", o);
	x->errors++;
}

void
pp_prov_entry_ips(json_object *e, const struct pp_server *s)
{
	pp_prov_add_str(e, "ipv4", s->ipv4);
	pp_prov_add_str(e, "private_ip", s->private_ip);
}

/* ---- the document's nodes ------------------------------------------ */

static char **
dnode_field(struct pp_prov_dnode *d, const char *k, size_t n)
{
	static const struct {
		const char *key;
		size_t len, off;
	} f[] = {
#define F(k) {#k, sizeof #k - 1, offsetof(struct pp_prov_dnode, k)}
		F(id), F(kind), F(status), F(role), F(server_id), F(provider),
		F(server_type), F(location), F(created_at), F(ip),
		F(draining_by),
#undef F
	};

	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		if (f[i].len == n && !memcmp(f[i].key, k, n))
			return (char **)((char *)d + f[i].off);
	return NULL;
}

static struct pp_prov_dnode *
dnode_new(struct run *x)
{
	struct pp_prov_dnode *d;

	if (x->ndnodes == x->dnodes_cap) {
		x->dnodes_cap = x->dnodes_cap ? 2 * x->dnodes_cap : 256;
		x->dnodes = pp_xreallocarray(x->dnodes, x->dnodes_cap,
			sizeof *x->dnodes);
	}
	d = &x->dnodes[x->ndnodes++];
	memset(d, 0, sizeof *d);
	return d;
}

/* The compact text of the nodes a lean read keeps (no whitespace, no
 * escapes: pp_doc_read_lean made sure), field by field. The strings
 * kept go to one block of the text's size (they are parts of it). */
static int
dnodes_text(struct run *x, const char *t)
{
	size_t len = strlen(t), used = 0;
	struct pp_jscan s = {t + len, 0, 0, PP_JSCAN_DEPTH};
	const char *p = t, *e = t + len;

	x->dnodes_strs = pp_xmalloc(len + 1);
	if (*p++ != '[')
		return -1;
	while (*p == '{') {
		struct pp_prov_dnode *d = dnode_new(x);

		for (p++; *p == '"';) {
			const char *k = p + 1, *ke = memchr(k, '"',
				(size_t)(e - k));
			const char *v = ke ? ke + 2 : NULL, *ve;
			char **slot;

			if (!ke || ke[1] != ':')
				return -1;
			/* a string has no escape: its end is its quote */
			if (*v == '"')
				ve = memchr(v + 1, '"', (size_t)(e - v - 1));
			else
				ve = pp_jscan_value(&s, v, 2);
			if (!ve)
				return -1;
			ve += *v == '"';
			slot = dnode_field(d, k, (size_t)(ke - k));
			if (slot && *v == '"') {
				size_t n = (size_t)(ve - v) - 2;

				*slot = x->dnodes_strs + used;
				memcpy(*slot, v + 1, n);
				(*slot)[n] = '\0';
				used += n + 1;
			}
			if (slot && slot == &d->provider)
				d->has_cloud = 1;
			if (ke - k == 16 && !memcmp(k, "delete_protected", 16))
				d->delete_protected = *v == 't';
			p = ve + (*ve == ',');
		}
		if (*p++ != '}')
			return -1;
		p += *p == ',';
	}
	return *p == ']' ? 0 : -1;
}

static char *
dup_or_null(const char *s)
{
	return s ? pp_xstrdup(s) : NULL;
}

int
pp_prov_doc_nodes(struct run *x, const struct pp_prov_dnode **v, size_t *n)
{
	json_object *nodes = pp_jget(x->doc, "nodes");
	const char *text = nodes ? pp_jraw_text(nodes) : NULL;

	if (!x->dnodes_read) {
		x->dnodes_read = -1;
		if (nodes && json_object_is_type(nodes, json_type_array)) {
			size_t len = json_object_array_length(nodes);

			for (size_t i = 0; i < len; i++) {
				json_object *o = json_object_array_get_idx(
					nodes, i);
				struct pp_prov_dnode *d = dnode_new(x);

				d->id = dup_or_null(pp_jstr(o, "id", NULL));
				d->kind = dup_or_null(pp_jstr(o, "kind", NULL));
				d->status = dup_or_null(pp_jstr(o, "status",
					NULL));
				d->role = dup_or_null(pp_jstr(o, "role", NULL));
				d->server_id = dup_or_null(pp_jstr(o,
					"server_id", NULL));
				d->provider = dup_or_null(pp_jstr(o,
					"provider", NULL));
				d->server_type = dup_or_null(pp_jstr(o,
					"server_type", NULL));
				d->location = dup_or_null(pp_jstr(o,
					"location", NULL));
				d->created_at = dup_or_null(pp_jstr(o,
					"created_at", NULL));
				d->draining_by = dup_or_null(pp_jstr(o,
					"draining_by", NULL));
				d->has_cloud = json_object_object_get_ex(o,
					"provider", NULL);
				d->delete_protected = pp_jbool(o,
					"delete_protected", 0);
			}
			x->dnodes_read = 1;
		} else if (text && dnodes_text(x, text) == 0) {
			x->dnodes_read = 1;
		} else {
			pp_prov_doc_nodes_free(x);
			x->dnodes_read = -1;
		}
	}
	*v = x->dnodes;
	*n = x->ndnodes;
	return x->dnodes_read > 0 ? 0 : -1;
}

void
pp_prov_doc_nodes_free(struct run *x)
{
	for (size_t i = 0; i < x->ndnodes && !x->dnodes_strs; i++) {
		struct pp_prov_dnode *d = &x->dnodes[i];

		free(d->id);
		free(d->kind);
		free(d->status);
		free(d->role);
		free(d->server_id);
		free(d->provider);
		free(d->server_type);
		free(d->location);
		free(d->created_at);
		free(d->ip);
		free(d->draining_by);
	}
	free(x->dnodes);
	free(x->dnodes_strs);
	x->dnodes = NULL;
	x->dnodes_strs = NULL;
	x->ndnodes = x->dnodes_cap = 0;
}

/* ---- the registry ------------------------------------------------- */

int
pp_prov_reg_open(struct run *x, struct pp_registry *r, int mode, char *err,
	size_t errlen)
{
	int rc = pp_registry_open(r, x->rpath, mode, err, errlen);

	/* a failed open may hold its path: nothing is left to close */
	if (rc < 0)
		pp_registry_close(r);
	return rc;
}

/* The node for a new or adopted server (DESIGN section 3). */
json_object *
pp_prov_node_json(struct run *x, const struct pp_server *s, const char *role,
	const char *status)
{
	const struct pp_server_type *t = x->have_cat && s->type ?
		pp_catalog_find(&x->cat, s->type) : NULL;
	const struct pp_price *p = t && s->location ?
		pp_type_price(t, s->location) : NULL;
	/* a type the catalog no longer lists (past its unavailable_after,
	 * the API leaves it out): the server's own server_type tells */
	double gb = t ? t->memory_gb : s->type_memory_gb;
	long long total = (long long)(gb * 1024 + 0.5);
	long long reserved = x->cfg->cloud.reserved_ram_mb;
	json_object *n = json_object_new_object();
	json_object *labels = json_object_new_object();
	json_object *cl = json_object_new_object();
	char ts[PP_TIME_LEN];

	if (reserved > total)
		reserved = total;
	pp_prov_add_str(n, "id", s->name);
	pp_prov_add_str(n, "kind", "cloud");
	pp_prov_add_str(n, "status", status);
	pp_prov_add_str(n, "role", role);
	json_object_object_add(n, "total_ram_mb",
		json_object_new_int64(total));
	json_object_object_add(n, "reserved_ram_mb",
		json_object_new_int64(reserved));
	pp_prov_add_str(n, "ip", s->ipv4 ? s->ipv4 : s->private_ip);
	if (s->private_ip)
		pp_prov_add_str(n, "private_ip", s->private_ip);
	pp_prov_add_str(n, "location", s->location);
	for (size_t i = 0; i < s->labels.n; i++)
		pp_prov_add_str(labels, s->labels.keys[i], s->labels.vals[i]);
	json_object_object_add(n, "labels", labels);
	pp_prov_add_str(cl, "provider", x->cloud->ops->name);
	pp_prov_add_str(cl, "server_id", s->id);
	pp_prov_add_str(cl, "server_type", s->type);
	pp_prov_add_str(cl, "server_name", s->name);
	json_object_object_add(cl, "hourly_cost_eur",
		pp_jnew_double(p ? p->hourly_eur : 0, 4));
	pp_prov_add_str(cl, "created_at", pp_format_time(s->created ?
		s->created : x->now, ts, sizeof ts));
	json_object_object_add(n, "cloud", cl);
	json_object_object_add(n, "containers", json_object_new_array());
	return n;
}

static int
reg_save(struct run *x, struct pp_registry *r, char *err, size_t errlen)
{
	if (pp_registry_save(r) < 0) {
		snprintf(err, errlen, "cannot write registry '%s': %s",
			x->rpath, strerror(errno));
		pp_registry_close(r);
		return -1;
	}
	pp_registry_close(r);
	return 0;
}

/* Adds a node; 1 when a node of that id or server is there already
 * (another run registered it), -1 with err on failure. */
int
pp_prov_reg_add(struct run *x, json_object *node, char *err, size_t errlen)
{
	struct pp_registry r;
	int rc = pp_prov_reg_open(x, &r, PP_LOCK_EX | PP_REG_LAZY, err,
	    errlen);

	if (rc < 0) {
		json_object_put(node);
		return -1;
	}
	if (pp_registry_add(&r, node) == 1) {
		pp_registry_close(&r);
		return 1;
	}
	return reg_save(x, &r, err, errlen);
}

/* Finds node id whose server is server_id (NULL: a node that has no
 * server id yet), under the lock r holds. */
static struct pp_node *
our_node(struct pp_registry *r, const char *id, const char *server_id)
{
	struct pp_node *n = pp_registry_find(r, id);

	if (!n)
		return NULL;
	if (!server_id)
		return n->server_id && *n->server_id ? NULL : n;
	if (!n->server_id || strcmp(n->server_id, server_id))
		return NULL;
	return n;
}

int
pp_prov_reg_shared(struct run *x, struct pp_registry *r, const char *node,
	const char *provider, const char *server_id, char *err,
	size_t errlen)
{
	const struct pp_node *o;
	int rc = pp_registry_server_named(r, provider, server_id,
		x->cloud->ops->name, node, &o);

	if (rc < 0)
		snprintf(err, errlen, "registry '%s' cannot be read whole to "
			"make sure no node but '%s' names server %s", x->rpath,
			node, server_id);
	else if (rc > 0)
		snprintf(err, errlen, "server %s of node '%s' is named by "
			"node '%s' too (a registry row copied under another "
			"id?): its delete would take that node's server; "
			"remove the duplicated row from the registry",
			server_id, node, o->id);
	return rc != 0;
}

int
pp_prov_reg_expire_open(struct run *x, struct pp_registry *r, const char *id,
	const char *server_id, int *mine, char *err, size_t errlen)
{
	struct pp_node *n;

	*mine = 0;
	if (pp_prov_reg_open(x, r, PP_LOCK_EX | PP_REG_LAZY, err, errlen) < 0)
		return -1;
	/* before the node is marked: a refused delete leaves it as it was */
	if (pp_prov_reg_shared(x, r, id, NULL, server_id, err, errlen)) {
		pp_registry_close(r);
		return 3;
	}
	n = our_node(r, id, server_id);
	if (!n)
		return 0;
	/* an earlier run marked it and did not finish */
	if (n->status == PP_ST_DRAINING && n->draining_by &&
	    !strcmp(n->draining_by, PP_DRAIN_BY_EXPIRE) && !n->ncontainers) {
		*mine = 2;
		return 0;
	}
	if (n->status != PP_ST_PROVISIONING) {
		snprintf(err, errlen, "node '%s' is %s now (the platform "
			"marked it after this run's look at it): its server "
			"%s stays", id, pp_status_name(n->status), server_id);
		pp_registry_close(r);
		return 1;
	}
	if (n->ncontainers) {
		snprintf(err, errlen, "node '%s' has %zu game server(s) "
			"recorded on it: its server %s stays", id,
			n->ncontainers, server_id);
		pp_registry_close(r);
		return 2;
	}
	*mine = 1;
	return 0;
}

int
pp_prov_reg_intent(struct run *x, const char *name, const char *type,
	const char *loc, const char *role, const struct pp_strmap *labels,
	char *err, size_t errlen)
{
	struct pp_registry r;
	struct pp_server s;
	struct pp_node *n;

	if (pp_prov_reg_open(x, &r, PP_LOCK_EX | PP_REG_LAZY, err,
	    errlen) < 0)
		return -1;
	n = pp_registry_find(&r, name);
	if (n) {
		struct pp_node_server ns = {.server_type = type,
			.location = loc};

		if (n->server_id && *n->server_id) {
			snprintf(err, errlen, "node '%s' is in the registry "
				"already, with server %s", name, n->server_id);
			pp_registry_close(&r);
			return 1;
		}
		pp_registry_set_server(&r, name, &ns);
		return reg_save(x, &r, err, errlen);
	}
	memset(&s, 0, sizeof s);
	s.name = (char *)name;
	s.type = (char *)type;
	s.location = (char *)loc;
	s.labels = *labels;
	pp_registry_add(&r, pp_prov_node_json(x, &s, role, "provisioning"));
	return reg_save(x, &r, err, errlen);
}

int
pp_prov_reg_set_server(struct run *x, const char *name,
	const struct pp_server *s, const char *role, char *err,
	size_t errlen)
{
	struct pp_registry r;
	struct pp_node *n;
	struct pp_node_server ns = {.server_id = s->id,
		.server_type = s->type, .location = s->location,
		.ip = s->ipv4 ? s->ipv4 : s->private_ip,
		.private_ip = s->private_ip};

	if (pp_prov_reg_open(x, &r, PP_LOCK_EX | PP_REG_LAZY, err,
	    errlen) < 0)
		return -1;
	n = pp_registry_find(&r, name);
	if (!n) {
		/* someone removed the intent: record the server anew */
		pp_registry_add(&r, pp_prov_node_json(x, s, role,
			"provisioning"));
		return reg_save(x, &r, err, errlen);
	}
	if (n->server_id && *n->server_id) {
		int other = strcmp(n->server_id, s->id) != 0;

		if (other)
			snprintf(err, errlen, "node '%s' has server %s, not "
				"%s", name, n->server_id, s->id);
		pp_registry_close(&r);
		return other ? -1 : 0;
	}
	if (pp_registry_set_server(&r, name, &ns) < 0) {
		pp_registry_close(&r);
		snprintf(err, errlen, "node '%s' is not a cloud node", name);
		return -1;
	}
	return reg_save(x, &r, err, errlen);
}

/* Records a provisioning node's addresses and, when ready, marks it
 * ready. 0, 1 when the node is gone or no longer provisioning (someone
 * else acted: the platform's mark), -1. */
int
pp_prov_reg_ready(struct run *x, const char *id, const struct pp_server *s,
	int ready, char *err, size_t errlen)
{
	struct pp_registry r;
	struct pp_node *n;
	int rc = pp_prov_reg_open(x, &r, PP_LOCK_EX | PP_REG_LAZY, err,
	    errlen);

	if (rc < 0)
		return -1;
	n = our_node(&r, id, s->id);
	if (!n || n->status != PP_ST_PROVISIONING) {
		pp_registry_close(&r);
		return 1;
	}
	if (ready)
		pp_registry_mark_ready(&r, id, s->ipv4 ? s->ipv4 :
			s->private_ip, s->private_ip);
	else
		pp_registry_set_addresses(&r, id, s->ipv4 ? s->ipv4 :
			s->private_ip, s->private_ip);
	return reg_save(x, &r, err, errlen);
}

/* Forgets a node whose server is gone. Refuses (1) while any game
 * server is recorded on it. */
int
pp_prov_reg_remove(struct run *x, const char *id, const char *server_id,
	char *err, size_t errlen)
{
	struct pp_registry r;
	struct pp_node *n;
	int rc = pp_prov_reg_open(x, &r, PP_LOCK_EX | PP_REG_LAZY, err,
	    errlen);

	if (rc < 0)
		return -1;
	n = our_node(&r, id, server_id);
	if (!n) {
		pp_registry_close(&r);
		return 0;
	}
	if (n->ncontainers) {
		snprintf(err, errlen, "node '%s' has %zu game server(s) "
			"recorded on it", id, n->ncontainers);
		pp_registry_close(&r);
		return 1;
	}
	pp_registry_remove(&r, id);
	return reg_save(x, &r, err, errlen);
}

/* ---- refusals ----------------------------------------------------- */

int
pp_prov_refused(struct run *x, const char *type, const char *loc)
{
	return pp_refusal_active(x->refusals, type, loc, x->now) ||
		pp_refusal_active(x->state_refusals, type, loc, x->now);
}

void
pp_prov_add_refusal(struct run *x, const char *type, const char *loc,
	const struct pp_cloud_error *err)
{
	char ts[PP_TIME_LEN];
	time_t until = x->now + x->cfg->cloud.refusal_ttl;

	pp_refusal_add(x->refusals, type, loc, x->now, until, err->code,
		err->message);
	pp_error("%s refused in '%s' (%s): avoided until %s", type, loc,
		err->code, pp_format_time(until, ts, sizeof ts));
	if (!x->dry_run) {
		json_object *f = json_object_new_object();

		pp_prov_add_str(f, "server_type", type);
		pp_prov_add_str(f, "location", loc);
		pp_prov_add_str(f, "code", err->code);
		pp_prov_add_str(f, "until", ts);
		pp_event_node("cloud.refused", NULL, x->action, "refused",
			err->message, f);
	}
}

/* The state file: new refusals in, expired ones out, and the scaling
 * counter; the lock is held only for this. */
void
pp_prov_update_state(struct run *x, const char *result)
{
	struct pp_state st;
	char err[768];
	int rc;

	rc = pp_state_open(&st, x->spath, x->dry_run ? 0 : PP_LOCK_EX, err,
		sizeof err);
	if (rc < 0) {
		/* what this run did is not counted, and a refusal not
		 * remembered is ordered again: a failure, and a dry run
		 * says what the real run would meet. What the last run
		 * reported once is unknown: none of it is said again as
		 * new, with an event, for a state read another run may
		 * have held too long */
		pp_prov_report_unread(x);
		pp_error("%s; %s", err, x->dry_run ? "a run would not record "
			"its refusals and counters" : "refusals and counters "
			"not recorded");
		x->errors++;
		if (!x->reason[0])
			snprintf(x->reason, sizeof x->reason, "cannot use the "
				"state file");
		return;
	}
	if (x->dry_run) {
		/* says what the real run would: the servers it reported
		 * once only with -v (the sections change in memory only:
		 * the state is not written) */
		pp_prov_report_once(x, st.root);
		pp_state_close(&st);
		return;
	}
	pp_refusals_merge(st.root, x->refusals, x->now);
	pp_prov_report_once(x, st.root);
	if (x->off_now)
		pp_offsrv_set(st.root, json_object_get(x->off_now));
	/* whole or not at all: a run that did not converge, or was
	 * stopped, leaves the section as it was */
	if (x->nodesrv_now && !pp_interrupted())
		pp_nodesrv_set(st.root, json_object_get(x->nodesrv_now));
	if (result) {
		pp_metrics_count_scaling(&st, x->action, result);
		pp_decide_mem_set_result(pp_decide_mem_make(st.root),
			x->action, result);
	}
	/* what converging did, counted as actions of their own */
	for (long i = 0; i < x->orphans_deleted; i++)
		pp_metrics_count_scaling(&st, "delete_orphan", "success");
	for (long i = 0; i < x->adopted; i++)
		pp_metrics_count_scaling(&st, "adopt_orphan", "success");
	for (long i = 0; i < x->foreign; i++)
		pp_metrics_count_scaling(&st, "foreign_server", "refused");
	for (long i = 0; i < x->nodes_forgotten; i++)
		pp_metrics_count_scaling(&st, "forget_lost_node", "success");
	for (long i = 0; i < x->boots_failed; i++)
		pp_metrics_count_scaling(&st, "failed_boot", "failed");
	if (pp_state_save(&st) < 0) {
		pp_warn("cannot write state file '%s':", x->spath);
		x->errors++;
	}
	pp_metrics_state(&st);
	pp_state_close(&st);
}

void
pp_prov_read_refusals(struct run *x)
{
	struct pp_state st;
	char err[768];

	if (pp_state_open(&st, x->spath, 0, err, sizeof err) < 0) {
		pp_warn("%s; ignoring earlier refusals", err);
		pp_state_close(&st);
		return;
	}
	x->state_refusals = json_object_get(pp_refusals_of(st.root));
	pp_state_close(&st);
}
