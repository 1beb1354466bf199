/* Fleet figures (DESIGN section 3) and the per-node summaries that go
 * into the document: lean, one object per node, no game-server records
 * beyond the RAM each holds on cloud nodes (pp-decide's fit check). */
#include <string.h>

#include "base/json.h"
#include "doc/fleet.h"

int
pp_node_is_spare(const struct pp_node *n)
{
	return n->kind == PP_KIND_CLOUD && n->status == PP_ST_READY &&
		n->role == PP_ROLE_SPARE && n->allocated_ram_mb == 0;
}

int
pp_billing_minute(const struct pp_node *n, time_t now)
{
	long long age;

	if (!n->has_cloud || !n->created_at)
		return -1;
	age = (long long)(now - n->created_at);
	if (age < 0)
		return 0;
	return (int)((age / 60) % 60);
}

double
pp_capacity_percent(long long allocated, long long total)
{
	if (total <= 0)
		return allocated > 0 ? 100.0 : 0.0;
	return (double)allocated * 100.0 / (double)total;
}

void
pp_fleet_compute(const struct pp_registry *r, struct pp_fleet *f)
{
	memset(f, 0, sizeof *f);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *n = &r->nodes[i];

		f->counts[n->kind][n->status]++;
		f->roles[n->role][n->kind][n->status]++;
		f->allocated_ram_mb += n->allocated_ram_mb;
		if (n->status == PP_ST_READY)
			f->total_ram_mb += n->usable_ram_mb;
		else if (n->status == PP_ST_PROVISIONING)
			f->pending_ram_mb += n->usable_ram_mb;
		f->spares += pp_node_is_spare(n);
		f->containers += (long)n->ncontainers;
		f->players += n->players;
		if (n->has_cloud)
			f->hourly_cost_eur += n->hourly_cost_eur;
	}
	f->free_ram_mb = f->total_ram_mb - f->allocated_ram_mb;
	f->capacity_percent = pp_capacity_percent(f->allocated_ram_mb,
		f->total_ram_mb);
}

static json_object *
counts_json(const long *counts)
{
	json_object *o = json_object_new_object();
	long total = 0;

	for (int s = 0; s < PP_ST_COUNT; s++) {
		json_object_object_add(o, pp_status_name(s),
			json_object_new_int64(counts[s]));
		total += counts[s];
	}
	json_object_object_add(o, "total", json_object_new_int64(total));
	return o;
}

json_object *
pp_fleet_json(const struct pp_fleet *f)
{
	json_object *o = json_object_new_object();
	json_object *nodes = json_object_new_object();

	json_object_object_add(o, "total_ram_mb",
		json_object_new_int64(f->total_ram_mb));
	json_object_object_add(o, "allocated_ram_mb",
		json_object_new_int64(f->allocated_ram_mb));
	json_object_object_add(o, "free_ram_mb",
		json_object_new_int64(f->free_ram_mb));
	json_object_object_add(o, "pending_ram_mb",
		json_object_new_int64(f->pending_ram_mb));
	json_object_object_add(o, "capacity_percent",
		pp_jnew_double(f->capacity_percent, 2));
	json_object_object_add(nodes, "dedicated",
		counts_json(f->counts[PP_KIND_DEDICATED]));
	json_object_object_add(nodes, "cloud",
		counts_json(f->counts[PP_KIND_CLOUD]));
	json_object_object_add(o, "nodes", nodes);
	{
		json_object *roles = json_object_new_object();

		for (int r = 0; r < 2; r++) {
			json_object *kinds = json_object_new_object();

			json_object_object_add(kinds, "dedicated",
				counts_json(f->roles[r][PP_KIND_DEDICATED]));
			json_object_object_add(kinds, "cloud",
				counts_json(f->roles[r][PP_KIND_CLOUD]));
			json_object_object_add(roles, pp_role_name(r), kinds);
		}
		json_object_object_add(o, "roles", roles);
	}
	json_object_object_add(o, "spares", json_object_new_int64(f->spares));
	json_object_object_add(o, "containers",
		json_object_new_int64(f->containers));
	json_object_object_add(o, "players", json_object_new_int64(f->players));
	json_object_object_add(o, "hourly_cost_eur",
		pp_jnew_double(f->hourly_cost_eur, 4));
	return o;
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

json_object *
pp_node_json(const struct pp_node *n, time_t now)
{
	json_object *o = json_object_new_object();

	add_str(o, "id", n->id);
	add_str(o, "kind", pp_kind_name(n->kind));
	add_str(o, "status", pp_status_name(n->status));
	add_str(o, "role", pp_role_name(n->role));
	json_object_object_add(o, "total_ram_mb",
		json_object_new_int64(n->total_ram_mb));
	json_object_object_add(o, "reserved_ram_mb",
		json_object_new_int64(n->reserved_ram_mb));
	json_object_object_add(o, "usable_ram_mb",
		json_object_new_int64(n->usable_ram_mb));
	json_object_object_add(o, "allocated_ram_mb",
		json_object_new_int64(n->allocated_ram_mb));
	json_object_object_add(o, "free_ram_mb",
		json_object_new_int64(n->usable_ram_mb - n->allocated_ram_mb));
	json_object_object_add(o, "containers",
		json_object_new_int64((long long)n->ncontainers));
	json_object_object_add(o, "containers_stopped",
		json_object_new_int64((long long)n->stopped));
	json_object_object_add(o, "largest_container_mb",
		json_object_new_int64(n->largest_container_mb));
	json_object_object_add(o, "players",
		json_object_new_int64(n->players));
	add_str(o, "ip", n->ip);
	add_str(o, "location", n->location);
	if (n->has_cloud) {
		json_object *ram = json_object_new_array_ext(
			(int)n->ncontainers);

		add_str(o, "server_type", n->server_type);
		add_str(o, "server_id", n->server_id);
		add_str(o, "provider", n->provider);
		json_object_object_add(o, "hourly_cost_eur",
			pp_jnew_double(n->hourly_cost_eur, 4));
		json_object_object_add(o, "created_at", n->created_at ?
			pp_jnew_time(n->created_at) : NULL);
		json_object_object_add(o, "billing_minute",
			json_object_new_int(pp_billing_minute(n, now)));
		for (size_t i = 0; i < n->ncontainers; i++)
			json_object_array_add(ram, json_object_new_int64(
				pp_container_ram(&n->containers[i])));
		json_object_object_add(o, "container_ram_mb", ram);
	} else {
		json_object_object_add(o, "server_type", NULL);
		json_object_object_add(o, "server_id", NULL);
		json_object_object_add(o, "hourly_cost_eur",
			pp_jnew_double(0, 4));
	}
	return o;
}

json_object *
pp_nodes_json(const struct pp_registry *r, time_t now)
{
	json_object *a = json_object_new_array_ext((int)r->nnodes);

	for (size_t i = 0; i < r->nnodes; i++)
		json_object_array_add(a, pp_node_json(&r->nodes[i], now));
	return a;
}

json_object *
pp_nodes_raw(const struct pp_registry *r, time_t now)
{
	struct pp_buf b = {0};

	pp_buf_addstr(&b, "[");
	for (size_t i = 0; i < r->nnodes; i++) {
		json_object *o = pp_node_json(&r->nodes[i], now);

		if (i)
			pp_buf_addstr(&b, ",");
		pp_buf_addstr(&b, pp_json_string(o, 0));
		json_object_put(o);
	}
	pp_buf_addstr(&b, "]");
	return pp_jnew_raw(b.s);
}
