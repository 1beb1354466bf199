/* The checks once the file is loaded: every number against its row's
 * range (0 or more without one), every string with choices, every key
 * with an at_most against that key; then the time zone, holidays, the
 * labels every server carries, and no secret in a command (secrets.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "conf/config_int.h"
#include "conf/label.h"
#include "conf/secrets.h"
#include "base/util.h"

/* The node a key's value came from in the file; NULL for a default. */
static const yaml_node_t *
node_of(struct pp_conf_ctx *x, const struct pp_conf_slot *k)
{
	return x->at[k - x->c->schema->v];
}

static const struct pp_conf_slot *
must_slot(struct pp_conf_ctx *x, const char *path)
{
	const struct pp_conf_slot *k = pp_conf_find(x->c->schema, path);

	if (!k)
		pp_die(PP_EXIT_FAIL, "internal: no config key '%s'", path);
	return k;
}

static int
is_number(const struct pp_conf_slot *k)
{
	return k->type == PP_T_INT || k->type == PP_T_DOUBLE ||
		k->type == PP_T_DUR;
}

static double
number(struct pp_config *c, const struct pp_conf_slot *k)
{
	void *f = pp_conf_field(c, k);

	return k->type == PP_T_DOUBLE ? *(double *)f : (double)*(long *)f;
}

/* The value as the file wrote it, else as a number. */
static const char *
shown(struct pp_conf_ctx *x, const struct pp_conf_slot *k, char *buf,
	size_t len)
{
	const yaml_node_t *n = node_of(x, k);

	if (n && n->type == YAML_SCALAR_NODE)
		return pp_conf_scalar(n);
	/* a duration from the defaults: say the unit */
	snprintf(buf, len, "%g%s", number(x->c, k), k->k->type == PP_T_DUR ?
		"s" : "");
	return buf;
}

static int
check_range(struct pp_conf_ctx *x, const struct pp_conf_slot *k)
{
	static const struct pp_range none = {0, PP_UNBOUNDED, 0};
	const struct pp_range *r = k->k->range ? k->k->range : &none;
	double v = number(x->c, k);
	char buf[64], lo[64];

	if (v >= r->lo && !(r->lo_open && v == r->lo) && v <= r->hi)
		return 0;
	snprintf(lo, sizeof lo, "%s %g", r->lo_open ? "above" : "at least",
		r->lo);
	if (r->hi == PP_UNBOUNDED)
		return pp_conf_fail(x, node_of(x, k), "'%s' must be %s, not "
			"'%s'", k->path, r->lo_open ? "greater than 0" :
			"0 or more", shown(x, k, buf, sizeof buf));
	return pp_conf_fail(x, node_of(x, k), "'%s' must be %s and at most "
		"%g, not '%s'", k->path, lo, r->hi,
		shown(x, k, buf, sizeof buf));
}

/* The key's at_most names a key of its own section. */
static int
check_order(struct pp_conf_ctx *x, const struct pp_conf_slot *a)
{
	const struct pp_conf_slot *b;
	char path[256], ba[64], bb[64];
	const char *dot = strrchr(a->path, '.');
	double va, vb;

	if (a->sec < 0 || !dot)
		snprintf(path, sizeof path, "%s", a->k->at_most);
	else
		snprintf(path, sizeof path, "%.*s.%s", (int)(dot - a->path),
			a->path, a->k->at_most);
	b = must_slot(x, path);
	va = number(x->c, a);
	vb = number(x->c, b);
	if (va < vb || (!a->k->strict && va == vb))
		return 0;
	/* the line of whichever the file set, the later one first */
	return pp_conf_fail(x, node_of(x, b) ? node_of(x, b) : node_of(x, a),
		"'%s' (%s) must be %s '%s' (%s)", a->path,
		shown(x, a, ba, sizeof ba), a->k->strict ? "below" : "at most",
		b->path, shown(x, b, bb, sizeof bb));
}

static int
check_choice(struct pp_conf_ctx *x, const struct pp_conf_slot *k)
{
	const char *const *choices = k->k->choices;
	const char *v = *(char **)pp_conf_field(x->c, k);
	char list[128] = "";
	size_t n = 0;

	for (const char *const *o = choices; *o; o++, n++)
		if (v && !strcmp(v, *o))
			return 0;
	for (size_t j = 0; j < n; j++)
		snprintf(list + strlen(list), sizeof list - strlen(list),
			"%s%s", j == 0 ? "" : j + 1 == n ? " or " : ", ",
			choices[j]);
	return pp_conf_fail(x, node_of(x, k), "'%s' must be %s, not '%s'",
		k->path, list, v ? v : "");
}

/* A zone the C library can load: a TZif file under $TZDIR or the
 * system's zoneinfo. glibc falls back to UTC without a word for a name
 * it cannot find, which would shift every schedule. */
static int
zone_ok(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	FILE *f;
	int ok;

	if (!strcmp(tz, "UTC"))
		return 1;
	if (!*tz || *tz == '/' || strstr(tz, "..") ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(tz))
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir :
		"/usr/share/zoneinfo", tz);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
	fclose(f);
	return ok;
}

static int
check_timezone(struct pp_conf_ctx *x)
{
	const struct pp_conf_slot *k = must_slot(x, "timezone");
	const char *tz = x->c->timezone;

	if (!tz || zone_ok(tz))
		return 0;
	return pp_conf_fail(x, node_of(x, k), "'timezone': unknown time zone "
		"'%s' (an IANA name such as Europe/Berlin, or UTC; is tzdata "
		"installed?)", tz);
}

static int
date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31};
	int y, m, d;

	if (strlen(s) != 10 || strspn(s, "0123456789-") != 10 ||
	    s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 || y % 400 == 0));
}

/* A list's i-th element, to name its line; the list itself when it
 * has no such element (a flow list given as one string). */
static const yaml_node_t *
seq_item(struct pp_conf_ctx *x, const yaml_node_t *n, size_t i)
{
	if (n && n->type == YAML_SEQUENCE_NODE &&
	    i < (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start))
		return yaml_document_get_node(x->doc,
			n->data.sequence.items.start[i]);
	return n;
}

static int
check_holidays(struct pp_conf_ctx *x)
{
	const yaml_node_t *n = node_of(x, must_slot(x, "holidays"));
	const struct pp_strlist *h = &x->c->holidays;

	for (size_t i = 0; i < h->n; i++)
		if (!date_ok(h->v[i]))
			return pp_conf_fail(x, seq_item(x, n, i), "'holidays': "
				"'%s' is not a date (YYYY-MM-DD)", h->v[i]);
	return 0;
}

/* An id the API takes as a number: digits, not 0, within an int64. */
static int
id_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n && !s[n] && n <= 18 && strspn(s, "0") < n;
}

/* cloud.networks, cloud.firewalls and cloud.placement_group are sent
 * as ids (the API takes no names for them): anything else would be
 * refused by every create, which shows only when the fleet has to
 * grow. */
static int
check_ids(struct pp_conf_ctx *x)
{
	static const char *const lists[] = {"cloud.networks",
		"cloud.firewalls"};
	const struct pp_conf_slot *pg = must_slot(x, "cloud.placement_group");

	for (size_t k = 0; k < sizeof lists / sizeof *lists; k++) {
		const struct pp_conf_slot *sl = must_slot(x, lists[k]);
		const yaml_node_t *n = node_of(x, sl);
		const struct pp_strlist *l = pp_conf_field(x->c, sl);

		for (size_t i = 0; i < l->n; i++)
			if (!id_ok(l->v[i]))
				return pp_conf_fail(x, seq_item(x, n, i), "'%s': "
					"'%s' is not an id (a positive whole "
					"number, as `hcloud %s list` shows it)",
					lists[k], l->v[i], k ? "firewall" :
					"network");
	}
	if (x->c->cloud.placement_group && !id_ok(x->c->cloud.placement_group))
		return pp_conf_fail(x, node_of(x, pg), "'%s': '%s' is not an "
			"id (a positive whole number, as `hcloud "
			"placement-group list` shows it)", pg->path,
			x->c->cloud.placement_group);
	/* a floor the group cannot hold would be wanted every cycle */
	if (x->c->cloud.placement_group && x->c->limits.min_cloud_nodes >
	    x->c->cloud.placement_group_limit) {
		const struct pp_conf_slot *mn = must_slot(x,
			"limits.min_cloud_nodes");

		return pp_conf_fail(x, node_of(x, mn), "'%s' (%ld) is more "
			"than cloud.placement_group_limit (%ld): placement "
			"group %s cannot hold that many", mn->path,
			x->c->limits.min_cloud_nodes,
			x->c->cloud.placement_group_limit,
			x->c->cloud.placement_group);
	}
	return 0;
}

/* A PostgreSQL URL libpq takes, with no password in it: the password
 * belongs in a password file (passfile=, PGPASSFILE or ~/.pgpass),
 * never in the config, a command line or a message. */
static int
check_db_url(struct pp_conf_ctx *x, const char *path, int required)
{
	const struct pp_conf_slot *k = must_slot(x, path);
	const char *v = *(char **)pp_conf_field(x->c, k);
	PQconninfoOption *opts;
	char *msg = NULL, *lower;
	int bad = 0;

	if (!v || !*v)
		return 0;
	if (pp_is_pg_conninfo(v))
		return pp_conf_fail(x, node_of(x, k), "'%s' is a libpq "
			"key=value string (not shown: it may hold a "
			"password): give a postgresql:// URL, its password in "
			"a password file", path);
	if (!pp_url_is(v, "postgresql") && !pp_url_is(v, "postgres"))
		return required ? pp_conf_fail(x, node_of(x, k), "'%s' must "
			"be a postgresql:// URL", path) : 0;
	/* libpq takes the scheme in lower case only (pp_pg_check_url) */
	lower = pp_url_lower(v);
	opts = PQconninfoParse(lower, &msg);
	free(lower);
	if (!opts) {
		PQfreemem(msg);
		return pp_conf_fail(x, node_of(x, k), "'%s' is not a "
			"PostgreSQL URL libpq takes", path);
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if ((!strcmp(o->keyword, "password") ||
		    !strcmp(o->keyword, "sslpassword")) && o->val && *o->val)
			bad = 1;
	PQconninfoFree(opts);
	if (bad)
		return pp_conf_fail(x, node_of(x, k), "'%s' holds a password: "
			"put it in a password file (passfile= in the URL, or "
			"PGPASSFILE) instead", path);
	return 0;
}

/* No command (drain.move_command, cloud_init.join_token_command, any
 * *_command key) holds a secret literally: a command's arguments are
 * open to every user of the host (ps, /proc/PID/cmdline) and are
 * named in our own notes. The message names the key, the element and
 * which secret, never the value. */
static int
check_command_secrets(struct pp_conf_ctx *x)
{
	const struct pp_conf_schema *sc = x->c->schema;
	struct pp_secrets *s = pp_secrets_load(x->c);
	int rc = 0;

	for (size_t k = 0; k < sc->n && rc == 0; k++) {
		const struct pp_conf_slot *sl = &sc->v[k];
		size_t pl = strlen(sl->path);
		const struct pp_strlist *l;

		if (!sl->k || sl->type != PP_T_STRLIST || pl < 8 ||
		    strcmp(sl->path + pl - 8, "_command"))
			continue;
		l = pp_conf_field(x->c, sl);
		for (size_t i = 0; i < l->n && rc == 0; i++) {
			const char *what = pp_secrets_find(s, l->v[i]);

			if (what)
				rc = pp_conf_fail(x, seq_item(x, node_of(x,
					sl), i), "'%s': element %zu holds %s "
					"(not shown): every user of this host "
					"sees a command's arguments (ps); let "
					"the command read it from a file",
					sl->path, i + 1, what);
		}
	}
	pp_secrets_free(s);
	return rc;
}

/* A registry URL of a scheme no backend takes would be read as a
 * file of that relative name. */
static int
check_registry_scheme(struct pp_conf_ctx *x)
{
	const struct pp_conf_slot *k = must_slot(x, "registry");
	char msg[256];

	if (!x->c->registry || pp_registry_scheme_check(x->c->registry, msg,
	    sizeof msg) == 0)
		return 0;
	return pp_conf_fail(x, node_of(x, k), "'registry': %s", msg);
}

/* cloud.ready_check health needs an http(s) cloud.health_url. */
static int
check_health(struct pp_conf_ctx *x)
{
	const struct pp_conf_slot *k = must_slot(x, "cloud.health_url");
	const char *v = x->c->cloud.health_url;

	if (v && *v && !pp_url_is(v, "http") && !pp_url_is(v, "https"))
		return pp_conf_fail(x, node_of(x, k), "'cloud.health_url' "
			"must be an http:// or https:// URL");
	if (x->c->cloud.ready_check && !strcmp(x->c->cloud.ready_check,
	    "health") && (!v || !*v))
		return pp_conf_fail(x, node_of(x, must_slot(x,
			"cloud.ready_check")), "'cloud.ready_check' is health: "
			"set 'cloud.health_url' (the agent's health endpoint, "
			"e.g. https://{ip}:8443/health)");
	return 0;
}

#define LABEL_NAME "up to 63 of a-z, A-Z, 0-9, '-', '_' and '.', " \
	"alphanumeric at both ends"

static int
check_label_key(struct pp_conf_ctx *x, const char *path,
	const yaml_node_t *n, const char *k)
{
	if (!pp_label_key_valid(k))
		return pp_conf_fail(x, n, "'%s': '%s' is not a label key "
			"([prefix/]name, the name " LABEL_NAME ", the prefix a "
			"lower-case DNS name)", path, k);
	if (pp_label_key_reserved(k))
		return pp_conf_fail(x, n, "'%s': '%s' is under the prefix "
			"'" PP_LABEL_RESERVED "', which Hetzner reserves",
			path, k);
	return 0;
}

static int
check_label_value(struct pp_conf_ctx *x, const char *path,
	const yaml_node_t *n, const char *v)
{
	if (!pp_label_value_valid(v))
		return pp_conf_fail(x, n, "'%s': '%s' is not a label value "
			"(empty, or " LABEL_NAME ")", path, v);
	return 0;
}

/* 1 when ppscale sets label k itself on every server (pool, role) or
 * it is the marker: a cloud.labels entry of that name would be
 * overwritten, a marker of that name would be, and ppscale would not
 * know its own servers (pp_cloud_is_ours). */
static int
label_taken(const char *k, const char *marker)
{
	return !strcmp(k, "pool") || !strcmp(k, "role") ||
		(marker && !strcmp(k, marker));
}

/* The labels pp_cloud_labels() puts on every server: cloud.labels,
 * cloud.label_key=cloud.label_value and pool=cloud.pool. The API
 * refuses every create with one it does not take, which shows only
 * when the fleet has to grow. */
static int
check_labels(struct pp_conf_ctx *x)
{
	const struct pp_conf_slot *ks = must_slot(x, "cloud.label_key");
	const struct pp_conf_slot *vs = must_slot(x, "cloud.label_value");
	const struct pp_conf_slot *ps = must_slot(x, "cloud.pool");
	const yaml_node_t *n = node_of(x, must_slot(x, "cloud.labels"));
	const struct pp_strmap *m = &x->c->cloud.labels;
	char path[256];

	for (size_t i = 0; i < m->n; i++) {
		const yaml_node_t *kn = n, *vn = n;

		if (n && n->type == YAML_MAPPING_NODE &&
		    i < (size_t)(n->data.mapping.pairs.top -
		    n->data.mapping.pairs.start)) {
			kn = yaml_document_get_node(x->doc,
				n->data.mapping.pairs.start[i].key);
			vn = yaml_document_get_node(x->doc,
				n->data.mapping.pairs.start[i].value);
		}
		snprintf(path, sizeof path, "cloud.labels.%s", m->keys[i]);
		if (check_label_key(x, "cloud.labels", kn, m->keys[i]) < 0 ||
		    check_label_value(x, path, vn, m->vals[i]) < 0)
			return -1;
		if (label_taken(m->keys[i], x->c->cloud.label_key))
			return pp_conf_fail(x, kn, "'cloud.labels': '%s' is "
				"set by ppscale on every server (pool, role and "
				"cloud.label_key are)", m->keys[i]);
	}
	if (!x->c->cloud.label_key)
		return pp_conf_fail(x, node_of(x, ks), "'%s' must be set: it "
			"marks our servers", ks->path);
	if (!x->c->cloud.label_value)
		return pp_conf_fail(x, node_of(x, vs), "'%s' must be set "
			"(\"\" for an empty value)", vs->path);
	if (label_taken(x->c->cloud.label_key, NULL))
		return pp_conf_fail(x, node_of(x, ks), "'%s': '%s' is a label "
			"ppscale sets itself: our servers would lose the "
			"marker", ks->path, x->c->cloud.label_key);
	if (check_label_key(x, ks->path, node_of(x, ks),
	    x->c->cloud.label_key) < 0 ||
	    check_label_value(x, vs->path, node_of(x, vs),
	    x->c->cloud.label_value) < 0)
		return -1;
	/* unset: no pool label */
	if (x->c->cloud.pool && check_label_value(x, ps->path,
	    node_of(x, ps), x->c->cloud.pool) < 0)
		return -1;
	return 0;
}

/* cloud.name_prefix: the longest name made from it (the prefix and
 * PP_NAME_SUFFIX_LEN random letters and digits) must be a host name as
 * Hetzner wants a server name (RFC 1123: letters, digits, '-' and '.')
 * and a node id; else every create fails, shown only when the fleet
 * has to grow. */
static int
check_name_prefix(struct pp_conf_ctx *x)
{
	const struct pp_conf_slot *k = must_slot(x, "cloud.name_prefix");
	const char *p = x->c->cloud.name_prefix ? x->c->cloud.name_prefix :
		"";
	char name[PP_NODE_NAME_MAX + PP_NAME_SUFFIX_LEN + 1];
	size_t len = strlen(p);

	if (len > PP_NODE_NAME_MAX - PP_NAME_SUFFIX_LEN)
		return pp_conf_fail(x, node_of(x, k), "'%s' is %zu characters "
			"long: at most %d, as the names made from it add %d "
			"and a node id has at most %d", k->path, len,
			PP_NODE_NAME_MAX - PP_NAME_SUFFIX_LEN,
			PP_NAME_SUFFIX_LEN, PP_NODE_NAME_MAX);
	snprintf(name, sizeof name, "%s%0*d", p, PP_NAME_SUFFIX_LEN, 0);
	if (!pp_valid_hostname(name))
		return pp_conf_fail(x, node_of(x, k), "'%s': '%s' makes server "
			"names that are no host name (RFC 1123, as Hetzner "
			"wants them): use letters, digits, '-' and '.', no "
			"part between dots empty or starting with '-'", k->path,
			p);
	return 0;
}

/* policies.headroom.slot_ram_mb larger than any allowed type holds:
 * no new node could hold a slot. Judged only when the policy is on,
 * cloud.server_types names built-in types alone and cloud.catalog is
 * not set: otherwise the catalog the tools see (the live one) may have
 * other sizes. */
static int
check_slot_size(struct pp_conf_ctx *x)
{
	const struct pp_conf_slot *k = pp_conf_find(x->c->schema,
		"policies.headroom.slot_ram_mb");
	const struct pp_conf_slot *on = pp_conf_find(x->c->schema,
		"policies.headroom.enabled");
	const struct pp_strlist *types = &x->c->cloud.server_types;
	const char *big = NULL;
	long long most = -1;
	long slot;

	if (!k || !on || !*(int *)pp_conf_field(x->c, on) || !types->n ||
	    node_of(x, must_slot(x, "cloud.catalog")))
		return 0;
	slot = *(long *)pp_conf_field(x->c, k);
	for (size_t i = 0; i < types->n; i++) {
		double gb = pp_conf_builtin_gb(types->v[i]);
		long long mb = (long long)(gb * 1024 + 0.5) -
			x->c->cloud.reserved_ram_mb;

		if (gb < 0)
			return 0;
		if (mb > most) {
			most = mb;
			big = types->v[i];
		}
	}
	if (slot <= 0 || slot <= most)
		return 0;
	return pp_conf_fail(x, node_of(x, k), "'%s' (%ld) is more than any "
		"type in cloud.server_types holds (the largest, %s, %lld MB "
		"usable with cloud.reserved_ram_mb %ld): no new node could "
		"hold a slot", k->path, slot, big, most,
		x->c->cloud.reserved_ram_mb);
}

static int
is_hetzner(const struct pp_config *c)
{
	return c->cloud.provider && !strcmp(c->cloud.provider, "hetzner");
}

static int
has_join_token(const struct pp_config *c)
{
	return (c->cloud_init.join_token_file &&
		*c->cloud_init.join_token_file) ||
		c->cloud_init.join_token_command.n;
}

/* Every server pp-provision creates needs a join token in its user
 * data (pp_cloudinit_render refuses to render without a source,
 * whatever the template): with none configured every create fails. */
static int
check_join_token(struct pp_conf_ctx *x)
{
	if (!is_hetzner(x->c) || has_join_token(x->c))
		return 0;
	return pp_conf_fail(x, node_of(x, must_slot(x, "cloud.provider")),
		"'cloud.provider' is hetzner but no join token is "
		"configured: set 'cloud_init.join_token_file' or "
		"'cloud_init.join_token_command'; without one pp-provision "
		"renders no user data and creates no server");
}

void
pp_conf_verdicts(struct pp_conf_ctx *x)
{
	char err[512];
	struct pp_conf_ctx y = *x;

	y.err = err;
	y.errlen = sizeof err;
	if (check_slot_size(&y) < 0 || check_join_token(&y) < 0)
		x->c->verdict = pp_xstrdup(err);
}

void
pp_config_check_notes(const struct pp_config *c)
{
	const char *env = getenv("HCLOUD_TOKEN");

	/* cron and systemd start the tools with an environment of their
	 * own: a token only in this one is not theirs, and none here says
	 * nothing of theirs. The shipped cron file and unit set none.
	 * Warnings, not refusals: the check cannot see their environment,
	 * which may well carry it, and a check run in CI has no token. */
	if (is_hetzner(c) && !(c->cloud.token_file && *c->cloud.token_file)) {
		if (env && *env)
			pp_warn("the Hetzner API token comes from HCLOUD_TOKEN "
				"in this environment only (cloud.token_file is "
				"not set): cron and systemd do not pass it on, "
				"and the shipped cron file and unit set none; "
				"give it to the cron line or the unit (an "
				"EnvironmentFile= of mode 0600), or set "
				"cloud.token_file");
		else
			pp_warn("no Hetzner API token here: neither "
				"cloud.token_file nor HCLOUD_TOKEN is set; unless "
				"the tools' cron line or unit gives them "
				"HCLOUD_TOKEN (the shipped ones do not), "
				"pp-fleetstats cannot reach the cloud, and "
				PP_NO_CLOUD_PROVISION ": set cloud.token_file");
	}
	if (!is_hetzner(c) && !has_join_token(c))
		pp_warn("no join token: set cloud_init.join_token_file or "
			"cloud_init.join_token_command before pp-provision "
			"creates a server");
	if (c->cloud_init.join_token_command.n)
		pp_note("cloud_init.join_token_command was not run (it may "
			"mint a token or act otherwise): whether it prints a "
			"token shows at the first create, or now with "
			"pp-cloudinit --node ID -o FILE");
}

/* Each kind of check over every key, in the schema's order: the first
 * problem is the one reported. */
int
pp_conf_check(struct pp_conf_ctx *x)
{
	const struct pp_conf_schema *s = x->c->schema;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].k && s->v[i].k->choices &&
		    check_choice(x, &s->v[i]) < 0)
			return -1;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].k && is_number(&s->v[i]) &&
		    check_range(x, &s->v[i]) < 0)
			return -1;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].k && s->v[i].k->at_most &&
		    check_order(x, &s->v[i]) < 0)
			return -1;
	if (check_timezone(x) < 0 || check_holidays(x) < 0 ||
	    check_db_url(x, "registry", 0) < 0 ||
	    check_registry_scheme(x) < 0 ||
	    check_db_url(x, "control.database", 1) < 0 ||
	    check_health(x) < 0 || check_labels(x) < 0 ||
	    check_name_prefix(x) < 0 || check_ids(x) < 0 ||
	    check_command_secrets(x) < 0)
		return -1;
	return 0;
}
