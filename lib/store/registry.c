/* The node registry: lock, load, check, index, save. The JSON tree is
 * the truth (unknown fields survive a rewrite); the structs index it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/http.h"
#include "store/registry.h"
#include "store/regcheck.h"

#define LOCK_TIMEOUT 30.0

static const char *kinds[] = {"dedicated", "cloud"};
static const char *statuses[] = {"provisioning", "ready", "draining",
	"unhealthy"};
static const char *roles[] = {"worker", "spare"};
static const char *cstates[] = {"starting", "running", "stopping",
	"stopped"};

static int
lookup(const char *s, const char **names, int n)
{
	for (int i = 0; i < n; i++)
		if (s && !strcmp(s, names[i]))
			return i;
	return -1;
}

const char *pp_kind_name(int k) { return kinds[k]; }
const char *pp_status_name(int s) { return statuses[s]; }
const char *pp_role_name(int r) { return roles[r]; }
const char *pp_cstate_name(int s) { return cstates[s]; }

int
pp_status_parse(const char *s)
{
	return lookup(s, statuses, 4);
}

long long
pp_container_ram(const struct pp_container *c)
{
	return c->state == PP_CS_STOPPED ? 0 : c->ram_mb;
}

static void
free_index(struct pp_registry *r)
{
	for (size_t i = 0; i < r->nnodes; i++)
		free(r->nodes[i].containers);
	free(r->nodes);
	r->nodes = NULL;
	r->nnodes = 0;
}

static int
bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "registry '%s': %s", name, msg);
	return -1;
}

/* A RAM field: a non-negative integer number of MB. */
static int
ram_field(json_object *o, const char *key, long long *out, int required)
{
	json_object *v = pp_jget(o, key);

	if (!v) {
		*out = 0;
		return required ? -1 : 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return -2;
	*out = json_object_get_int64(v);
	return *out < 0 || *out > PP_RAM_MAX_MB ? -2 : 0;
}

static int
cmp_id(const void *a, const void *b)
{
	const struct pp_node *x = *(struct pp_node *const *)a;
	const struct pp_node *y = *(struct pp_node *const *)b;

	return strcmp(x->id, y->id);
}

static int
index_container(struct pp_node *n, struct pp_container *c, json_object *o,
	size_t i, const char *name, char *err, size_t errlen)
{
	const char *st;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return bad(err, errlen, name, "node '%s': container %zu is "
			"not an object", n->id, i);
	c->obj = o;
	c->id = pp_jstr(o, "id", NULL);
	if (!c->id || !*c->id)
		return bad(err, errlen, name, "node '%s': container %zu: "
			"field 'id' is missing", n->id, i);
	if (pp_regcheck_id(c->id) < 0)
		return bad(err, errlen, name, "node '%s': container %zu: "
			"field 'id' is not a safe id (letters, digits, '.', "
			"'_', '-'; not starting with '-')", n->id, i);
	rc = ram_field(o, "ram_mb", &c->ram_mb, 1);
	if (rc == -1)
		return bad(err, errlen, name, "node '%s': container '%s': "
			"field 'ram_mb' is missing", n->id, c->id);
	if (rc == -2)
		return bad(err, errlen, name, "node '%s': container '%s': "
			"field 'ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)",
			n->id, c->id);
	st = pp_jstr(o, "state", "running");
	c->state = lookup(st, cstates, 4);
	if (c->state < 0)
		return bad(err, errlen, name, "node '%s': container '%s': "
			"field 'state' has unknown value '%s'", n->id, c->id,
			st);
	c->players = pp_jint(o, "players", 0);
	if (c->players < 0)
		c->players = 0;
	if (c->players > PP_PLAYERS_MAX)
		c->players = PP_PLAYERS_MAX;
	return 0;
}

static int
index_node(struct pp_node *n, json_object *o, size_t i, const char *name,
	char *err, size_t errlen)
{
	json_object *cl, *cs;
	const char *s;
	int rc;

	memset(n, 0, sizeof *n);
	if (!json_object_is_type(o, json_type_object))
		return bad(err, errlen, name, "node %zu is not an object", i);
	n->obj = o;
	n->id = pp_jstr(o, "id", NULL);
	if (!n->id || !*n->id)
		return bad(err, errlen, name, "node %zu: field 'id' is "
			"missing", i);
	if (pp_regcheck_id(n->id) < 0)
		return bad(err, errlen, name, "node %zu: field 'id' is not "
			"a safe id (letters, digits, '.', '_', '-'; not "
			"starting with '-')", i);
	s = pp_jstr(o, "kind", NULL);
	n->kind = lookup(s, kinds, 2);
	if (n->kind < 0)
		return bad(err, errlen, name, "node '%s': field 'kind' %s%s%s",
			n->id, s ? "has unknown value '" : "is missing",
			s ? s : "", s ? "'" : "");
	s = pp_jstr(o, "status", NULL);
	n->status = lookup(s, statuses, 4);
	if (n->status < 0)
		return bad(err, errlen, name, "node '%s': field 'status' "
			"%s%s%s", n->id, s ? "has unknown value '" :
			"is missing", s ? s : "", s ? "'" : "");
	s = pp_jstr(o, "role", "worker");
	n->role = lookup(s, roles, 2);
	if (n->role < 0)
		return bad(err, errlen, name, "node '%s': field 'role' has "
			"unknown value '%s'", n->id, s);
	rc = ram_field(o, "total_ram_mb", &n->total_ram_mb, 1);
	if (rc == -1)
		return bad(err, errlen, name, "node '%s': field "
			"'total_ram_mb' is missing", n->id);
	if (rc == -2)
		return bad(err, errlen, name, "node '%s': field "
			"'total_ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)", n->id);
	rc = ram_field(o, "reserved_ram_mb", &n->reserved_ram_mb, 0);
	if (rc == -2)
		return bad(err, errlen, name, "node '%s': field "
			"'reserved_ram_mb' must be a non-negative integer "
			"(MB, at most 1 PB)",
			n->id);
	if (n->reserved_ram_mb > n->total_ram_mb)
		return bad(err, errlen, name, "node '%s': field "
			"'reserved_ram_mb' (%lld) is above total_ram_mb (%lld)",
			n->id, n->reserved_ram_mb, n->total_ram_mb);
	n->usable_ram_mb = n->total_ram_mb - n->reserved_ram_mb;
	n->ip = pp_jstr(o, "ip", NULL);
	if ((n->ip || (pp_jget(o, "ip") && !json_object_is_type(pp_jget(o,
	    "ip"), json_type_null))) && pp_regcheck_ip(n->ip) < 0)
		return bad(err, errlen, name, "node '%s': field 'ip' is not "
			"an IPv4 or IPv6 address", n->id);
	n->location = pp_jstr(o, "location", NULL);
	cl = pp_jget(o, "cloud");
	if (cl && json_object_is_type(cl, json_type_object)) {
		n->has_cloud = 1;
		n->provider = pp_jstr(cl, "provider", NULL);
		n->server_id = pp_jstr(cl, "server_id", NULL);
		n->server_type = pp_jstr(cl, "server_type", NULL);
		n->server_name = pp_jstr(cl, "server_name", NULL);
		n->hourly_cost_eur = pp_jdouble(cl, "hourly_cost_eur", 0);
		s = pp_jstr(cl, "created_at", NULL);
		if (s && pp_parse_time(s, &n->created_at) < 0)
			return bad(err, errlen, name, "node '%s': field "
				"'cloud.created_at' is not an RFC 3339 time "
				"('%s')", n->id, s);
	} else if (cl && !json_object_is_type(cl, json_type_null)) {
		return bad(err, errlen, name, "node '%s': field 'cloud' must "
			"be an object or null", n->id);
	}
	cs = pp_jget(o, "containers");
	if (cs && !json_object_is_type(cs, json_type_array))
		return bad(err, errlen, name, "node '%s': field 'containers' "
			"must be a list", n->id);
	n->ncontainers = cs ? json_object_array_length(cs) : 0;
	n->containers = pp_xcalloc(n->ncontainers, sizeof *n->containers);
	for (size_t j = 0; j < n->ncontainers; j++) {
		struct pp_container *c = &n->containers[j];
		long long ram;

		if (index_container(n, c, json_object_array_get_idx(cs, j), j,
		    name, err, errlen) < 0)
			return -1;
		ram = pp_container_ram(c);
		n->allocated_ram_mb += ram;
		if (c->ram_mb > n->largest_container_mb)
			n->largest_container_mb = c->ram_mb;
		n->players += c->players;
		n->stopped += c->state == PP_CS_STOPPED;
	}
	return 0;
}

int
pp_registry_index(struct pp_registry *r, char *err, size_t errlen)
{
	const char *name = r->path ? r->path : "-";
	json_object *nodes, *v;
	struct pp_node **byid;
	size_t n;

	free_index(r);
	if (!json_object_is_type(r->root, json_type_object))
		return bad(err, errlen, name, "not a JSON object");
	v = pp_jget(r->root, "version");
	if (v && (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) > PP_REGISTRY_VERSION))
		return bad(err, errlen, name, "unsupported version '%s'",
			json_object_get_string(v));
	nodes = pp_jget(r->root, "nodes");
	if (!nodes || !json_object_is_type(nodes, json_type_array))
		return bad(err, errlen, name, "field 'nodes' is missing or "
			"not a list");
	n = json_object_array_length(nodes);
	r->nodes = pp_xcalloc(n, sizeof *r->nodes);
	for (size_t i = 0; i < n; i++) {
		r->nnodes = i + 1;
		if (index_node(&r->nodes[i], json_object_array_get_idx(nodes,
		    i), i, name, err, errlen) < 0) {
			free_index(r);
			return -1;
		}
	}
	/* duplicate ids, and container ids across nodes */
	byid = pp_xcalloc(n, sizeof *byid);
	for (size_t i = 0; i < n; i++)
		byid[i] = &r->nodes[i];
	qsort(byid, n, sizeof *byid, cmp_id);
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(byid[i]->id, byid[i - 1]->id)) {
			bad(err, errlen, name, "node '%s': field 'id' is "
				"duplicated", byid[i]->id);
			free(byid);
			free_index(r);
			return -1;
		}
	}
	free(byid);
	return 0;
}

int
pp_registry_parse(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen)
{
	char jerr[256];

	if (!r->path)
		r->path = pp_xstrdup(name);
	r->root = pp_json_parse(text, len, jerr, sizeof jerr);
	if (!r->root)
		return bad(err, errlen, name, "%s", jerr);
	return pp_registry_index(r, err, errlen);
}

static int
is_url(const char *p)
{
	return !strncmp(p, "http://", 7) || !strncmp(p, "https://", 8) ||
		!strncmp(p, "file://", 7);
}

int
pp_registry_open(struct pp_registry *r, const char *path, int mode,
	char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	int rc;

	memset(r, 0, sizeof *r);
	r->lock.fd = -1;
	r->path = pp_xstrdup(path);
	if (is_url(path)) {
		if (mode == PP_LOCK_EX) {
			snprintf(err, errlen, "registry '%s' is a URL and "
				"cannot be written", path);
			return -1;
		}
		text = pp_fetch_url(path, PP_REGISTRY_MAX, &len, err, errlen);
		if (!text)
			return -1;
	} else {
		if (mode != PP_LOCK_EX && access(path, R_OK) < 0) {
			snprintf(err, errlen, "cannot read registry '%s': %s",
				path, strerror(errno));
			return -1;
		}
		if (pp_lock(&r->lock, path, mode ? mode : PP_LOCK_SH,
		    LOCK_TIMEOUT) < 0) {
			int e = errno;
			int late = e == ETIMEDOUT || e == EINTR;
			char *lp = pp_lock_name(path);

			/* never read or write unlocked; only a registry
			 * that does not exist (nor its directory) falls
			 * through, for reading to name that */
			if (late || e != ENOENT ||
			    access(path, F_OK) == 0) {
				snprintf(err, errlen, "cannot lock registry "
					"'%s': lock file '%s': %s",
					path, lp, strerror(e));
				free(lp);
				return late ? -2 : -1;
			}
			free(lp);
		}
		{
			FILE *f = fopen(path, "r");
			char jerr[256];

			if (!f) {
				snprintf(err, errlen, "cannot read registry "
					"'%s': %s", path, strerror(errno));
				pp_unlock(&r->lock);
				return -1;
			}
			errno = 0;
			r->root = pp_json_parse_stream(f, PP_REGISTRY_MAX, NULL,
				jerr, sizeof jerr);
			fclose(f);
			if (!mode)
				pp_unlock(&r->lock);
			if (!r->root) {
				pp_unlock(&r->lock);
				return bad(err, errlen, path, "%s", jerr);
			}
		}
		rc = pp_registry_index(r, err, errlen);
		if (rc < 0)
			pp_unlock(&r->lock);
		return rc;
	}
	rc = pp_registry_parse(r, text, len, path, err, errlen);
	free(text);
	if (rc < 0)
		pp_unlock(&r->lock);
	return rc;
}

int
pp_registry_save(struct pp_registry *r)
{
	char err[512];
	const char *s = pp_json_string(r->root, 1);
	int rc;

	rc = pp_write_atomic(r->path, s, strlen(s), 0644);
	if (rc == 0 && pp_registry_index(r, err, sizeof err) < 0) {
		pp_warn("%s", err);
		errno = EINVAL;
		return -1;
	}
	return rc;
}

void
pp_registry_close(struct pp_registry *r)
{
	free_index(r);
	json_object_put(r->root);
	r->root = NULL;
	pp_unlock(&r->lock);
	free(r->path);
	r->path = NULL;
}

struct pp_node *
pp_registry_find(struct pp_registry *r, const char *id)
{
	for (size_t i = 0; i < r->nnodes; i++)
		if (!strcmp(r->nodes[i].id, id))
			return &r->nodes[i];
	return NULL;
}

void
pp_node_set_status(struct pp_node *n, int status)
{
	json_object_object_add(n->obj, "status",
		json_object_new_string(statuses[status]));
	n->status = status;
}

json_object *
pp_registry_nodes(struct pp_registry *r)
{
	return pp_jget(r->root, "nodes");
}

int
pp_registry_remove(struct pp_registry *r, const char *id)
{
	json_object *nodes = pp_registry_nodes(r);
	size_t n = json_object_array_length(nodes);

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(nodes, i);

		if (!strcmp(pp_jstr(o, "id", ""), id)) {
			json_object_array_del_idx(nodes, i, 1);
			return 0;
		}
	}
	return -1;
}
