/* Fleet figures (DESIGN section 3) and the per-node summaries that go
 * into the document: lean, one object per node, no game-server records
 * beyond the RAM each holds on cloud nodes (pp-decide's fit check). */
#include <math.h>
#include <stdio.h>
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
pp_capacity_count(int status, int booting, long long usable_mb,
	long long allocated_mb, long long *total_mb, long long *pending_mb,
	long long *all_allocated_mb)
{
	*all_allocated_mb += allocated_mb;
	if (status == PP_ST_READY)
		*total_mb += usable_mb;
	else if (status == PP_ST_PROVISIONING && booting)
		*pending_mb += usable_mb;
}

int
pp_node_booting(int kind, int status, time_t created_at, time_t now,
	long join_timeout)
{
	if (status != PP_ST_PROVISIONING)
		return 0;
	return !(kind == PP_KIND_CLOUD && join_timeout > 0 && created_at > 0 &&
		now > created_at && (long long)(now - created_at) >
		join_timeout);
}

void
pp_fleet_compute(const struct pp_registry *r, time_t now, long join_timeout,
	struct pp_fleet *f)
{
	memset(f, 0, sizeof *f);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct pp_node *n = &r->nodes[i];

		f->counts[n->kind][n->status]++;
		f->roles[n->role][n->kind][n->status]++;
		pp_capacity_count((int)n->status, pp_node_booting(n->kind,
			n->status, n->created_at, now, join_timeout),
			n->usable_ram_mb, n->allocated_ram_mb, &f->total_ram_mb,
			&f->pending_ram_mb, &f->allocated_ram_mb);
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

/* Node n's server is in stranded (keys: server ids): its server no
 * longer carries our labels. */
static int
is_stranded(const struct pp_node *n, json_object *stranded)
{
	return stranded && n->has_cloud && n->server_id && *n->server_id &&
		pp_jget(stranded, n->server_id);
}

json_object *
pp_node_json(const struct pp_node *n, time_t now, json_object *stranded)
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
	json_object_object_add(o, "largest_allocated_mb",
		json_object_new_int64(n->largest_allocated_mb));
	json_object_object_add(o, "players",
		json_object_new_int64(n->players));
	add_str(o, "ip", n->ip);
	add_str(o, "location", n->location);
	if (n->draining_by)
		add_str(o, "draining_by", n->draining_by);
	if (n->draining_since)
		json_object_object_add(o, "draining_since",
			pp_jnew_time(n->draining_since));
	if (n->has_cloud) {
		json_object *ram = json_object_new_array_ext(
			(int)n->ncontainers);

		add_str(o, "server_type", n->server_type);
		add_str(o, "server_id", n->server_id);
		add_str(o, "provider", n->provider);
		if (n->delete_protected)
			json_object_object_add(o, "delete_protected",
				json_object_new_boolean(1));
		if (is_stranded(n, stranded))
			json_object_object_add(o, "stranded",
				json_object_new_boolean(1));
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
pp_nodes_json(const struct pp_registry *r, time_t now, json_object *stranded)
{
	json_object *a = json_object_new_array_ext((int)r->nnodes);

	for (size_t i = 0; i < r->nnodes; i++)
		json_object_array_add(a, pp_node_json(&r->nodes[i], now,
			stranded));
	return a;
}

/* pp_jnew_double's text: rounded, trailing zeros trimmed, one kept */
static void
add_double(struct pp_buf *b, double v, int digits)
{
	char buf[64];
	double scale = pow(10, digits);
	double r = round(v * scale) / scale;
	char *e;

	if (!isfinite(r))
		r = 0;
	snprintf(buf, sizeof buf, "%.*f", digits, r);
	if (strchr(buf, '.')) {
		e = buf + strlen(buf) - 1;
		while (*e == '0' && e[-1] != '.')
			*e-- = '\0';
	}
	pp_buf_addstr(b, buf);
}

/* a string as json-c writes it (plain ASCII by hand, the rest by
 * json-c), or null */
static void
add_jstr(struct pp_buf *b, const char *s)
{
	const unsigned char *p;
	json_object *o;

	if (!s) {
		pp_buf_add(b, "null", 4);
		return;
	}
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			break;
	if (!*p) {
		pp_buf_add(b, "\"", 1);
		pp_buf_add(b, s, (size_t)(p - (const unsigned char *)s));
		pp_buf_add(b, "\"", 1);
		return;
	}
	o = json_object_new_string(s);
	pp_buf_addstr(b, pp_json_string(o, 0));
	json_object_put(o);
}

/* "%lld" without printf's machinery: a tenth of pp-fleetstats at
 * 10,000 nodes went to snprintf here (issue 17). */
static void
add_int(struct pp_buf *b, const char *key, long long v)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v :
		(unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	pp_buf_addstr(b, key);
	pp_buf_add(b, p, (size_t)(buf + sizeof buf - p));
}

/* The text pp_json_string(pp_node_json(n, now, stranded), 0) makes,
 * without the objects (the fuzzer holds the two to the same bytes). */
static void
node_text(struct pp_buf *b, const struct pp_node *n, time_t now,
	json_object *stranded)
{
	char ts[PP_TIME_LEN];

	pp_buf_addstr(b, "{\"id\":");
	add_jstr(b, n->id);
	pp_buf_addstr(b, ",\"kind\":");
	add_jstr(b, pp_kind_name(n->kind));
	pp_buf_addstr(b, ",\"status\":");
	add_jstr(b, pp_status_name(n->status));
	pp_buf_addstr(b, ",\"role\":");
	add_jstr(b, pp_role_name(n->role));
	add_int(b, ",\"total_ram_mb\":", n->total_ram_mb);
	add_int(b, ",\"reserved_ram_mb\":", n->reserved_ram_mb);
	add_int(b, ",\"usable_ram_mb\":", n->usable_ram_mb);
	add_int(b, ",\"allocated_ram_mb\":", n->allocated_ram_mb);
	add_int(b, ",\"free_ram_mb\":", n->usable_ram_mb -
		n->allocated_ram_mb);
	add_int(b, ",\"containers\":", (long long)n->ncontainers);
	add_int(b, ",\"containers_stopped\":", (long long)n->stopped);
	add_int(b, ",\"largest_container_mb\":", n->largest_container_mb);
	add_int(b, ",\"largest_allocated_mb\":", n->largest_allocated_mb);
	add_int(b, ",\"players\":", n->players);
	pp_buf_addstr(b, ",\"ip\":");
	add_jstr(b, n->ip);
	pp_buf_addstr(b, ",\"location\":");
	add_jstr(b, n->location);
	if (n->draining_by) {
		pp_buf_addstr(b, ",\"draining_by\":");
		add_jstr(b, n->draining_by);
	}
	if (n->draining_since) {
		pp_buf_addstr(b, ",\"draining_since\":");
		add_jstr(b, pp_format_time(n->draining_since, ts, sizeof ts));
	}
	if (!n->has_cloud) {
		pp_buf_addstr(b, ",\"server_type\":null,\"server_id\":null,"
			"\"hourly_cost_eur\":0.0}");
		return;
	}
	pp_buf_addstr(b, ",\"server_type\":");
	add_jstr(b, n->server_type);
	pp_buf_addstr(b, ",\"server_id\":");
	add_jstr(b, n->server_id);
	pp_buf_addstr(b, ",\"provider\":");
	add_jstr(b, n->provider);
	if (n->delete_protected)
		pp_buf_addstr(b, ",\"delete_protected\":true");
	if (is_stranded(n, stranded))
		pp_buf_addstr(b, ",\"stranded\":true");
	pp_buf_addstr(b, ",\"hourly_cost_eur\":");
	add_double(b, n->hourly_cost_eur, 4);
	pp_buf_addstr(b, ",\"created_at\":");
	add_jstr(b, n->created_at ? pp_format_time(n->created_at, ts,
		sizeof ts) : NULL);
	add_int(b, ",\"billing_minute\":", pp_billing_minute(n, now));
	pp_buf_addstr(b, ",\"container_ram_mb\":[");
	for (size_t i = 0; i < n->ncontainers; i++)
		add_int(b, i ? "," : "", pp_container_ram(&n->containers[i]));
	pp_buf_addstr(b, "]}");
}

json_object *
pp_nodes_raw(const struct pp_registry *r, time_t now, json_object *stranded)
{
	struct pp_buf b = {0};

	pp_buf_addstr(&b, "[");
	for (size_t i = 0; i < r->nnodes; i++) {
		if (i)
			pp_buf_addstr(&b, ",");
		node_text(&b, &r->nodes[i], now, stranded);
	}
	pp_buf_addstr(&b, "]");
	return pp_jnew_raw(b.s);
}
