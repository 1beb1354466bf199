/* The registry's node-level edits (registry.h, reg-api.md): each
 * changes one node's object, parsed from that node's text only, and
 * indexes that node again at once; pp_registry_save splices the nodes
 * edited into the text (registry_edit.c). The caller holds the
 * registry's exclusive lock from open to save. */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "store/registry.h"
#include "store/registry_int.h"

struct pp_node *
pp_registry_find(struct pp_registry *r, const char *id)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		struct pp_node *n = &r->nodes[i];

		if (!n->removed && !strcmp(n->id, id))
			return n->lazy && pp_rg_index_lazy(r, n) < 0 ? NULL : n;
	}
	return NULL;
}

int
pp_registry_index_all(struct pp_registry *r)
{
	return r->lazy ? pp_rg_index_all_lazy(r) : 0;
}

json_object *
pp_registry_node_object(struct pp_node *n)
{
	return pp_rg_node_obj(n);
}

/* The node's index from its object, after an edit: the node then
 * reads as it will be written. Its text stays where the splice finds
 * it. */
static void
reindex(struct pp_node *n)
{
	struct rd rd = {.r = NULL, .text = 0};
	struct pp_node was = *n;
	struct jv o;
	char err[512];

	pp_rg_jv_tree(n->obj, &o);
	if (pp_rg_index_node(&rd, n, &o, 0, "-", err, sizeof err) < 0) {
		/* an edit of ours makes no bad node; keep the index */
		pp_warn("%s", err);
		*n = was;
	} else {
		free(was.containers);
		n->text = was.text;
		n->text_len = was.text_len;
	}
	free(rd.tmp);
}

/* The node's object for an edit, or NULL when it has none. */
static struct pp_node *
editable(struct pp_registry *r, const char *id, json_object **obj)
{
	struct pp_node *n = pp_registry_find(r, id);

	*obj = n ? pp_rg_node_obj(n) : NULL;
	return *obj ? n : NULL;
}

static void
set_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

void
pp_node_set_status(struct pp_node *n, int status)
{
	json_object *o = pp_rg_node_obj(n);

	if (!o)
		return;
	set_str(o, "status", pp_status_name(status));
	reindex(n);
}

int
pp_registry_set_status(struct pp_registry *r, const char *id, int status)
{
	json_object *o;
	struct pp_node *n = editable(r, id, &o);

	if (!n)
		return -1;
	pp_node_set_status(n, status);
	return 0;
}

int
pp_registry_mark_draining(struct pp_registry *r, const char *id,
	time_t since, const char *by)
{
	char ts[PP_TIME_LEN];
	json_object *o;
	struct pp_node *n = editable(r, id, &o);

	if (!n)
		return -1;
	set_str(o, "status", pp_status_name(PP_ST_DRAINING));
	set_str(o, "draining_since", pp_format_time(since, ts, sizeof ts));
	if (by)
		set_str(o, "draining_by", by);
	reindex(n);
	return 0;
}

int
pp_registry_uncordon(struct pp_registry *r, const char *id)
{
	json_object *o;
	struct pp_node *n = editable(r, id, &o);

	if (!n)
		return -1;
	set_str(o, "status", pp_status_name(PP_ST_READY));
	json_object_object_del(o, "draining_since");
	json_object_object_del(o, "draining_by");
	reindex(n);
	return 0;
}

/* editable, for a node with a cloud object (*cl): NULL without one */
static struct pp_node *
editable_cloud(struct pp_registry *r, const char *id, json_object **o,
	json_object **cl)
{
	struct pp_node *n = editable(r, id, o);

	if (!n)
		return NULL;
	*cl = pp_jget(*o, "cloud");
	return *cl && json_object_is_type(*cl, json_type_object) ? n : NULL;
}

int
pp_registry_set_server(struct pp_registry *r, const char *id,
	const struct pp_node_server *s)
{
	json_object *o, *cl;
	struct pp_node *n = editable_cloud(r, id, &o, &cl);

	if (!n)
		return -1;
	if (s->server_id)
		set_str(cl, "server_id", s->server_id);
	if (s->server_type)
		set_str(cl, "server_type", s->server_type);
	if (s->location)
		set_str(o, "location", s->location);
	if (s->ip)
		set_str(o, "ip", s->ip);
	if (s->private_ip)
		set_str(o, "private_ip", s->private_ip);
	reindex(n);
	return 0;
}

int
pp_registry_set_protected(struct pp_registry *r, const char *id, int on)
{
	json_object *o, *cl;
	struct pp_node *n = editable_cloud(r, id, &o, &cl);

	if (!n)
		return -1;
	if (on)
		json_object_object_add(cl, "delete_protected",
			json_object_new_boolean(1));
	else
		json_object_object_del(cl, "delete_protected");
	reindex(n);
	return 0;
}

/* A node's addresses (when not NULL) and, when ready, its status. */
static int
addresses(struct pp_registry *r, const char *id, const char *ip,
	const char *private_ip, int ready)
{
	json_object *o;
	struct pp_node *n = editable(r, id, &o);

	if (!n)
		return -1;
	if (ready)
		set_str(o, "status", pp_status_name(PP_ST_READY));
	if (ip)
		set_str(o, "ip", ip);
	if (private_ip)
		set_str(o, "private_ip", private_ip);
	reindex(n);
	return 0;
}

int
pp_registry_mark_ready(struct pp_registry *r, const char *id,
	const char *ip, const char *private_ip)
{
	return addresses(r, id, ip, private_ip, 1);
}

int
pp_registry_set_addresses(struct pp_registry *r, const char *id,
	const char *ip, const char *private_ip)
{
	return addresses(r, id, ip, private_ip, 0);
}

/* The node's containers list, created when absent. */
static json_object *
containers(json_object *o)
{
	json_object *cs = pp_jget(o, "containers");

	if (!cs || !json_object_is_type(cs, json_type_array)) {
		cs = json_object_new_array();
		json_object_object_add(o, "containers", cs);
	}
	return cs;
}

/* The index in the node's list of game server `server`, or -1. */
static long
container_at(json_object *o, const char *server)
{
	json_object *cs = pp_jget(o, "containers");
	size_t n = cs && json_object_is_type(cs, json_type_array) ?
		json_object_array_length(cs) : 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(pp_jstr(json_object_array_get_idx(cs, i), "id",
		    ""), server))
			return (long)i;
	return -1;
}

int
pp_registry_place(struct pp_registry *r, const char *node,
	const char *server, long long ram_mb, int state, long long players)
{
	json_object *o, *c;
	struct pp_node *n = editable(r, node, &o);

	if (!n)
		return -1;
	c = json_object_new_object();
	set_str(c, "id", server);
	json_object_object_add(c, "ram_mb", json_object_new_int64(ram_mb));
	set_str(c, "state", pp_cstate_name(state >= 0 ? state :
		PP_CS_RUNNING));
	json_object_object_add(c, "players",
		json_object_new_int64(players > 0 ? players : 0));
	json_object_array_add(containers(o), c);
	reindex(n);
	return 0;
}

int
pp_registry_unplace(struct pp_registry *r, const char *node,
	const char *server)
{
	json_object *o;
	struct pp_node *n = editable(r, node, &o);
	long i = n ? container_at(o, server) : -1;

	if (i < 0)
		return -1;
	json_object_array_del_idx(containers(o), (size_t)i, 1);
	reindex(n);
	return 0;
}

int
pp_registry_set_container(struct pp_registry *r, const char *node,
	const char *server, long long ram_mb, int state, long long players)
{
	json_object *o, *c;
	struct pp_node *n = editable(r, node, &o);
	long i = n ? container_at(o, server) : -1;

	if (i < 0)
		return -1;
	c = json_object_array_get_idx(containers(o), (size_t)i);
	if (players >= 0)
		json_object_object_add(c, "players",
			json_object_new_int64(players));
	if (state >= 0)
		set_str(c, "state", pp_cstate_name(state));
	if (ram_mb >= 0)
		json_object_object_add(c, "ram_mb",
			json_object_new_int64(ram_mb));
	reindex(n);
	return 0;
}

int
pp_registry_move(struct pp_registry *r, const char *from, const char *to,
	const char *server)
{
	json_object *fo, *to_o, *c;
	struct pp_node *f = editable(r, from, &fo);
	struct pp_node *t = editable(r, to, &to_o);
	long i = f && t ? container_at(fo, server) : -1;

	if (i < 0)
		return -1;
	c = json_object_array_get_idx(containers(fo), (size_t)i);
	json_object_array_add(containers(to_o), json_object_get(c));
	json_object_array_del_idx(containers(fo), (size_t)i, 1);
	reindex(f);
	reindex(t);
	return 0;
}

json_object *
pp_registry_nodes(struct pp_registry *r)
{
	if (!r->text)
		return pp_jget(r->root, "nodes");
	if (!r->added)
		r->added = json_object_new_array();
	return r->added;
}

/* Whether a node object of the list has that id or cloud server id. */
static int
listed(json_object *list, const char *id, const char *sid)
{
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(list, i);
		const char *s = pp_jstr(pp_jget(o, "cloud"), "server_id", "");

		if (!strcmp(pp_jstr(o, "id", ""), id) || (*sid &&
		    !strcmp(s, sid)))
			return 1;
	}
	return 0;
}

int
pp_registry_add(struct pp_registry *r, json_object *node)
{
	const char *id = pp_jstr(node, "id", "");
	const char *sid = pp_jstr(pp_jget(node, "cloud"), "server_id", "");
	int dup = 0;

	/* every node's server id is wanted */
	if (r->lazy && pp_rg_index_all_lazy(r) < 0) {
		json_object_put(node);
		return 1;
	}
	for (size_t i = 0; i < r->nnodes && !dup; i++) {
		const struct pp_node *n = &r->nodes[i];

		dup = !n->removed && (!strcmp(n->id, id) || (*sid &&
			n->server_id && !strcmp(n->server_id, sid)));
	}
	if (dup || listed(r->text ? r->added : pp_registry_nodes(r), id,
	    sid)) {
		json_object_put(node);
		return 1;
	}
	json_object_array_add(pp_registry_nodes(r), node);
	return 0;
}

int
pp_registry_remove(struct pp_registry *r, const char *id)
{
	json_object *nodes = r->text ? r->added : pp_registry_nodes(r);
	struct pp_node *n = pp_registry_find(r, id);
	size_t len;

	if (n) {
		n->removed = 1;
		if (r->text)
			return 0;
		n->obj = NULL;
	}
	len = nodes ? json_object_array_length(nodes) : 0;
	for (size_t i = 0; i < len; i++) {
		json_object *o = json_object_array_get_idx(nodes, i);

		if (!strcmp(pp_jstr(o, "id", ""), id)) {
			json_object_array_del_idx(nodes, i, 1);
			return 0;
		}
	}
	return n ? 0 : -1;
}
