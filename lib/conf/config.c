/* The YAML configuration: one table of keys with types and defaults.
 * Adding a setting is one field in struct pp_config and one row here. */
#include <errno.h>
#include <float.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "base/util.h"

enum ctype {
	T_SECTION, T_STR, T_INT, T_DOUBLE, T_BOOL, T_DUR, T_STRLIST,
	T_STRMAP, T_DURLIST, T_SCHEDULE, T_CATALOG
};

struct key {
	const char *path;
	enum ctype type;
	size_t off;
	const char *def; /* as it would be written in YAML; NULL = unset */
	const char *help;
};

#define S(p, h) {p, T_SECTION, 0, NULL, h}
#define K(p, t, f, d, h) {p, t, offsetof(struct pp_config, f), d, h}

/* The defaults below are the seed's values (DESIGN section 4); the
 * default profile further down overrides some of them. */
static const struct key keys[] = {
	K("profile", T_STR, profile, "default",
		"named set of defaults: default or seed"),
	K("state_dir", T_STR, state_dir, NULL,
		"state directory (default $PP_STATE_DIR, else "
		"/var/lib/ppscale)"),
	K("registry", T_STR, registry, NULL,
		"node registry: path or http(s)/file URL (default "
		"STATE_DIR/registry.json)"),
	K("timezone", T_STR, timezone, "Europe/Berlin",
		"time zone of schedules and holidays"),
	K("holidays", T_STRLIST, holidays, "",
		"dates (YYYY-MM-DD) treated as Saturdays"),

	S("cloud", "the cloud provider"),
	K("cloud.provider", T_STR, cloud.provider, "local",
		"local or hetzner"),
	K("cloud.token_file", T_STR, cloud.token_file, NULL,
		"file holding the API token (else $HCLOUD_TOKEN); must not "
		"be readable by group or others"),
	K("cloud.endpoint", T_STR, cloud.endpoint,
		"https://api.hetzner.cloud/v1",
		"API base URL (overridden by $HCLOUD_ENDPOINT)"),
	K("cloud.locations", T_STRLIST, cloud.locations, "nbg1,fsn1,hel1",
		"locations in order of preference"),
	K("cloud.image", T_STR, cloud.image, "debian-12", "server image"),
	K("cloud.architecture", T_STR, cloud.architecture, "x86",
		"architecture of the image and the agent (x86 or arm): the "
		"only server types ordered"),
	K("cloud.ssh_keys", T_STRLIST, cloud.ssh_keys, "",
		"SSH key names or ids"),
	K("cloud.networks", T_STRLIST, cloud.networks, "",
		"private network ids to attach"),
	K("cloud.firewalls", T_STRLIST, cloud.firewalls, "",
		"firewall ids to apply"),
	K("cloud.placement_group", T_STR, cloud.placement_group, NULL,
		"placement group id"),
	K("cloud.labels", T_STRMAP, cloud.labels, "",
		"extra labels on every server"),
	K("cloud.label_key", T_STR, cloud.label_key, "managed_by",
		"label that marks our servers"),
	K("cloud.label_value", T_STR, cloud.label_value, "ppscale",
		"its value"),
	K("cloud.pool", T_STR, cloud.pool, "default",
		"pool name, a label on every server"),
	K("cloud.name_prefix", T_STR, cloud.name_prefix, "pp-",
		"server name prefix"),
	K("cloud.reserved_ram_mb", T_INT, cloud.reserved_ram_mb, "512",
		"RAM (MB) a new cloud node keeps for itself"),
	K("cloud.min_usable_ram_mb", T_INT, cloud.min_usable_ram_mb, "0",
		"a new node's type offers at least this much usable RAM (MB), "
		"besides fitting the largest game server"),
	K("cloud.server_types", T_STRLIST, cloud.server_types,
		"cx23,cx33,cx43,cx53,cpx22,cpx32,cpx42,cpx52",
		"server types allowed"),
	K("cloud.type_choice", T_STR, cloud.type_choice, "cheapest_per_gb",
		"type of new workers: cheapest_per_gb, smallest_fit or "
		"cheapest (lowest hourly price that fits)"),
	K("cloud.reconcile", T_BOOL, cloud.reconcile, "false",
		"pp-fleetstats compares the registry with the cloud"),
	K("cloud.catalog_ttl", T_DUR, cloud.catalog_ttl, "1h",
		"how long the server-type catalog is cached"),
	K("cloud.boot_timeout", T_DUR, cloud.boot_timeout, "10m",
		"a server not running by then is deleted"),
	K("cloud.join_timeout", T_DUR, cloud.join_timeout, "15m",
		"a new node the platform has not marked ready this long after "
		"its creation (its agent never joined) is deleted"),
	K("cloud.refusal_ttl", T_DUR, cloud.refusal_ttl, "30m",
		"how long a refused type/location is avoided"),
	K("cloud.orphan_grace", T_DUR, cloud.orphan_grace, "5m",
		"an unregistered server of ours younger than this is left "
		"alone; an older one is adopted or deleted"),
	K("cloud.connect_timeout", T_DUR, cloud.connect_timeout, "10s",
		"HTTP connect timeout"),
	K("cloud.request_timeout", T_DUR, cloud.request_timeout, "30s",
		"HTTP request timeout"),
	K("cloud.action_timeout", T_DUR, cloud.action_timeout, "5m",
		"how long to wait for a cloud action"),
	K("cloud.poll_interval", T_DOUBLE, cloud.poll_interval, "1",
		"seconds between action polls"),
	K("cloud.retries", T_INT, cloud.retries, "4",
		"retries of a failed safe request"),
	K("cloud.retry_base", T_DOUBLE, cloud.retry_base, "0.5",
		"first retry delay in seconds (doubles, with jitter)"),
	K("cloud.retry_max", T_DOUBLE, cloud.retry_max, "30",
		"longest single retry delay in seconds"),
	K("cloud.rate_reserve", T_INT, cloud.rate_reserve, "10",
		"below this many API requests left, pace requests"),
	K("cloud.deadline", T_DUR, cloud.deadline, "2m",
		"longest one cloud operation may take, waits included"),
	S("cloud.local", "the local provider"),
	K("cloud.local.file", T_STR, cloud.local.file, NULL,
		"the local cloud's JSON file (default STATE_DIR/cloud.json)"),
	K("cloud.local.boot_seconds", T_DUR, cloud.local.boot_seconds, "90s",
		"simulated boot time"),
	K("cloud.local.server_limit", T_INT, cloud.local.server_limit, "0",
		"simulated project server limit (0: none)"),
	K("cloud.local.agent_joins", T_BOOL, cloud.local.agent_joins, "true",
		"simulate the platform: a running node is marked ready"),
	K("cloud.catalog", T_CATALOG, cloud.ncatalog, "builtin",
		"server types with RAM and prices (local provider, fallback)"),

	S("cloud_init", "user data for new servers"),
	K("cloud_init.template", T_STR, cloud_init.template_path, NULL,
		"template (default DATADIR/cloud-init.yaml.tmpl)"),
	K("cloud_init.agent_version", T_STR, cloud_init.agent_version,
		"1.0.0", "PayPerPlay agent version"),
	K("cloud_init.agent_url", T_STR, cloud_init.agent_url,
		"https://downloads.payperplay.example/agent/{version}/"
		"pp-agent-linux-amd64", "agent download URL"),
	K("cloud_init.conductor_url", T_STR, cloud_init.conductor_url,
		"https://conductor.payperplay.example", "conductor URL"),
	K("cloud_init.conductor_addresses", T_STRLIST,
		cloud_init.conductor_addresses, "0.0.0.0/0",
		"sources allowed to reach the agent port"),
	K("cloud_init.join_token_file", T_STR, cloud_init.join_token_file,
		NULL, "file holding the agent join token"),
	K("cloud_init.join_token_command", T_STRLIST,
		cloud_init.join_token_command, "",
		"command (argv list) printing a join token per node"),
	K("cloud_init.join_token_timeout", T_DUR,
		cloud_init.join_token_timeout, "30s",
		"how long the join token command may run"),
	K("cloud_init.agent_sha256", T_STR, cloud_init.agent_sha256, NULL,
		"SHA-256 of the agent binary, checked after download"),
	K("cloud_init.agent_port", T_INT, cloud_init.agent_port, "8443",
		"agent port"),
	K("cloud_init.game_ports", T_STR, cloud_init.game_ports,
		"25565:25665", "game port range"),
	K("cloud_init.ssh_sources", T_STRLIST, cloud_init.ssh_sources, "",
		"sources allowed to SSH (none: SSH closed)"),

	S("policies", "the scaling policies"),
	S("policies.reactive", "scale on current capacity"),
	K("policies.reactive.enabled", T_BOOL, reactive.enabled, "true",
		"on or off"),
	K("policies.reactive.priority", T_INT, reactive.priority, "10",
		"priority"),
	K("policies.reactive.up_threshold", T_DOUBLE, reactive.up_threshold,
		"85", "scale up above this capacity percent"),
	K("policies.reactive.down_threshold", T_DOUBLE,
		reactive.down_threshold, "30",
		"scale down below this capacity percent"),
	K("policies.reactive.cooldown", T_DUR, reactive.cooldown, "5m",
		"pause after its own action"),
	K("policies.reactive.down_window", T_DUR, reactive.down_window,
		"20m", "how long capacity must stay below down_threshold"),
	K("policies.reactive.down_after_up", T_DUR, reactive.down_after_up,
		"10m", "no scale-down this soon after a scale-up"),
	K("policies.reactive.urgency_high", T_DOUBLE, reactive.urgency_high,
		"90", "high urgency above this percent"),
	K("policies.reactive.urgency_critical", T_DOUBLE,
		reactive.urgency_critical, "95",
		"critical urgency above this percent"),
	K("policies.reactive.down_margin", T_DOUBLE, reactive.down_margin,
		"10", "after a removal the fleet stays this many points under "
		"up_threshold"),
	S("policies.spare", "keep warm spares"),
	K("policies.spare.enabled", T_BOOL, spare.enabled, "true",
		"on or off"),
	K("policies.spare.priority", T_INT, spare.priority, "5", "priority"),
	K("policies.spare.min_spares", T_INT, spare.min_spares, "0",
		"never fewer spares"),
	K("policies.spare.max_spares", T_INT, spare.max_spares, "5",
		"never more spares"),
	K("policies.spare.schedule", T_SCHEDULE, spare.nschedule, "builtin",
		"spares by weekday and hour; first matching row wins"),
	K("policies.spare.type_choice", T_STR, spare.type_choice,
		"smallest_fit", "type of new spares: cheapest_per_gb, "
		"smallest_fit or cheapest"),
	S("policies.unneeded", "remove a node the fleet does not need"),
	K("policies.unneeded.enabled", T_BOOL, unneeded.enabled, "false",
		"on or off"),
	K("policies.unneeded.priority", T_INT, unneeded.priority, "8",
		"priority"),
	K("policies.unneeded.utilisation", T_DOUBLE, unneeded.utilisation,
		"70", "a node is unneeded when the fleet without it stays "
		"under this capacity percent"),
	K("policies.unneeded.hold", T_DUR, unneeded.hold, "10m",
		"how long a node must stay unneeded without a break"),
	K("policies.unneeded.billing_window", T_DUR, unneeded.billing_window,
		"10m", "remove only this close to the end of the node's paid "
		"hour (0: any time)"),
	S("policies.headroom", "keep free slots for the largest game server"),
	K("policies.headroom.enabled", T_BOOL, headroom.enabled, "false",
		"on or off"),
	K("policies.headroom.priority", T_INT, headroom.priority, "15",
		"priority"),
	K("policies.headroom.slots", T_INT, headroom.slots, "1",
		"free slots to keep on ready and booting nodes (K)"),
	K("policies.headroom.slot_ram_mb", T_INT, headroom.slot_ram_mb, "0",
		"slot size in MB (0: the largest game server seen within "
		"memory)"),
	K("policies.headroom.memory", T_DUR, headroom.memory, "7d",
		"how long the largest game server seen sets the slot size"),
	S("policies.predictive", "scale ahead of the forecast"),
	K("policies.predictive.enabled", T_BOOL, predictive.enabled, "true",
		"on or off"),
	K("policies.predictive.priority", T_INT, predictive.priority, "20",
		"priority"),
	K("policies.predictive.threshold", T_DOUBLE, predictive.threshold,
		"80", "scale up when the forecast exceeds this percent"),
	K("policies.predictive.horizon", T_DUR, predictive.horizon, "2h",
		"how far ahead to look"),
	K("policies.predictive.provisioning_time", T_DUR,
		predictive.provisioning_time, "5m", "time a new server needs"),
	K("policies.predictive.margin", T_DUR, predictive.margin, "10m",
		"extra lead time"),

	S("limits", "hard limits"),
	K("limits.min_cloud_nodes", T_INT, limits.min_cloud_nodes, "0",
		"never fewer cloud nodes"),
	K("limits.max_cloud_nodes", T_INT, limits.max_cloud_nodes, "20",
		"never more cloud nodes"),
	K("limits.max_hourly_eur", T_DOUBLE, limits.max_hourly_eur, "5",
		"never spend more per hour on cloud nodes"),

	S("drain", "evacuating nodes"),
	K("drain.deadline", T_DUR, drain.deadline, "30m",
		"how long --wait waits for a node to empty"),
	K("drain.move_command", T_STRLIST, drain.move_command, "",
		"argv of the move hook; {server} {from} {to} {to_ip} expand"),
	K("drain.move_timeout", T_DUR, drain.move_timeout, "5m",
		"per-move timeout"),
	K("drain.player_grace", T_DUR, drain.player_grace, "10m",
		"game servers with players get this long to finish"),

	S("events", "the event log"),
	K("events.file", T_STR, events.file, NULL,
		"JSON lines file (default STATE_DIR/events.jsonl)"),
	K("events.webhook_url", T_STR, events.webhook_url, NULL,
		"POST every event here"),
	K("events.webhook_timeout", T_DOUBLE, events.webhook_timeout, "2",
		"seconds per webhook attempt"),
	K("events.webhook_retries", T_INT, events.webhook_retries, "2",
		"retries before an event is dropped"),

	S("metrics", "Prometheus textfile"),
	K("metrics.textfile", T_STR, metrics.textfile, NULL,
		"path of the .prom file (unset: no metrics)"),

	S("history", "the history store"),
	K("history.retention", T_DUR, history.retention, "15d",
		"how long samples are kept"),

	S("forecast", "the demand forecast"),
	K("forecast.url", T_STR, forecast.url, NULL,
		"external forecast (GET, JSON); built-in when unset"),
	K("forecast.timeout", T_DOUBLE, forecast.timeout, "5",
		"seconds to wait for it"),
	K("forecast.horizons", T_DURLIST, forecast.horizons, "1h,2h",
		"horizons to forecast"),
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* Profiles override defaults; the file's own values override both. */
struct override {
	const char *path, *value;
};
static const struct override profile_seed[] = {
	{NULL, NULL},
};
/* The shipped defaults: what pp-sim showed cheapest at the
 * refused-starts target on the traces in the README's backtest (the
 * seed keeps the table's values above: profile: seed). */
static const struct override profile_default[] = {
	{"policies.reactive.up_threshold", "80"},
	/* scale-down is the unneeded rule's: billing-aware, held */
	{"policies.reactive.down_threshold", "0"},
	{"policies.reactive.down_window", "10m"},
	{"policies.reactive.down_margin", "5"},
	{"policies.spare.schedule", "1"},
	/* a cx53 spare costs 0.028 EUR/h, the smallest (cpx52) 0.044 */
	{"policies.spare.type_choice", "cheapest"},
	{"policies.unneeded.enabled", "true"},
	{"policies.unneeded.utilisation", "70"},
	{"policies.unneeded.hold", "30m"},
	{"policies.unneeded.billing_window", "10m"},
	{"policies.headroom.enabled", "true"},
	{NULL, NULL},
};
static const struct {
	const char *name;
	const struct override *o;
} profiles[] = {
	{"default", profile_default},
	{"seed", profile_seed},
};

struct ctx {
	const char *name;
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	struct pp_config *c;
	unsigned char *set; /* keys given in the file */
	const yaml_node_t **at; /* and their values, for line numbers */
};

static const struct key *
find_key(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

static void *
field(struct pp_config *c, const struct key *k)
{
	return (char *)c + k->off;
}

static int
fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n)
		snprintf(x->err, x->errlen, "config '%s' line %zu: %s",
			x->name, n->start_mark.line + 1, msg);
	else
		snprintf(x->err, x->errlen, "config '%s': %s", x->name, msg);
	return -1;
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int
is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int
is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || !is_plain(n))
		return 0;
	s = scalar(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

static int
parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

static int
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end)
		return -1;
	return *out != *out ? -1 : 0; /* NaN */
}

static int
parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
		*out = 0;
		return 0;
	}
	return -1;
}

static void
strlist_free(struct pp_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
strlist_add(struct pp_strlist *l, const char *s)
{
	l->v = pp_xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = pp_xstrdup(s);
}

static void
strmap_free(struct pp_strmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	m->keys = m->vals = NULL;
	m->n = 0;
}

static void
schedule_free(struct pp_config *c)
{
	free(c->spare.schedule);
	c->spare.schedule = NULL;
	c->spare.nschedule = 0;
}

static void
catalog_free(struct pp_config *c)
{
	for (size_t i = 0; i < c->cloud.ncatalog; i++) {
		free(c->cloud.catalog[i].name);
		free(c->cloud.catalog[i].architecture);
		strlist_free(&c->cloud.catalog[i].locations);
	}
	free(c->cloud.catalog);
	c->cloud.catalog = NULL;
	c->cloud.ncatalog = 0;
}

/* Weekday names to a bit mask; accepts "fri", "friday", "mon-thu". */
static int
day_index(const char *s, size_t n)
{
	static const char *names[] = {"sun", "mon", "tue", "wed", "thu",
		"fri", "sat"};
	static const char *full[] = {"sunday", "monday", "tuesday",
		"wednesday", "thursday", "friday", "saturday"};

	for (int i = 0; i < 7; i++) {
		if ((n == 3 && strncasecmp(s, names[i], 3) == 0) ||
		    (n == strlen(full[i]) && strncasecmp(s, full[i], n) == 0))
			return i;
	}
	return -1;
}

static int
parse_days(const char *s, unsigned *mask)
{
	while (*s) {
		size_t n = strcspn(s, ",- ");
		int a = day_index(s, n), b;

		if (a < 0)
			return -1;
		s += n;
		if (*s == '-') {
			s++;
			n = strcspn(s, ", ");
			b = day_index(s, n);
			if (b < 0)
				return -1;
			s += n;
			for (int d = a;; d = (d + 1) % 7) {
				*mask |= 1u << d;
				if (d == b)
					break;
			}
		} else {
			*mask |= 1u << a;
		}
		while (*s == ',' || *s == ' ')
			s++;
	}
	return 0;
}

static int
parse_hours(const char *s, int *from, int *to)
{
	long a, b;
	char *end;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || *end != '-')
		return -1;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end || a < 0 || a > 23 || b < 1 ||
	    b > 24 || a >= b)
		return -1;
	*from = (int)a;
	*to = (int)b;
	return 0;
}

/* The seed's schedule: 3 spares on Friday and Saturday, 1 otherwise. */
static void
default_schedule(struct pp_config *c)
{
	c->spare.schedule = pp_xcalloc(2, sizeof *c->spare.schedule);
	c->spare.schedule[0] = (struct pp_spare_rule){
		(1u << 5) | (1u << 6), 0, 24, 3};
	c->spare.schedule[1] = (struct pp_spare_rule){0x7f, 0, 24, 1};
	c->spare.nschedule = 2;
}

/* Hetzner's current cost-optimised and shared-vCPU types; EUR net. */
static void
default_catalog(struct pp_config *c)
{
	static const struct {
		const char *name, *arch;
		long cores;
		double gb, hourly, monthly;
		int deprecated;
	} t[] = {
		{"cx23", "x86", 2, 4, 0.0056, 3.49, 0},
		{"cx33", "x86", 4, 8, 0.0088, 5.49, 0},
		{"cx43", "x86", 8, 16, 0.0152, 9.49, 0},
		{"cx53", "x86", 16, 32, 0.0280, 17.49, 0},
		{"cpx22", "x86", 2, 4, 0.0096, 5.99, 0},
		{"cpx32", "x86", 4, 8, 0.0168, 10.49, 0},
		{"cpx42", "x86", 8, 16, 0.0312, 19.49, 0},
		{"cpx52", "x86", 12, 24, 0.0440, 27.49, 0},
		{"cax11", "arm", 2, 4, 0.0061, 3.79, 0},
		{"cx22", "x86", 2, 4, 0.0060, 3.79, 1},
	};
	size_t n = sizeof t / sizeof t[0];

	c->cloud.catalog = pp_xcalloc(n, sizeof *c->cloud.catalog);
	c->cloud.ncatalog = n;
	for (size_t i = 0; i < n; i++) {
		struct pp_type_conf *tc = &c->cloud.catalog[i];

		tc->name = pp_xstrdup(t[i].name);
		tc->architecture = pp_xstrdup(t[i].arch);
		tc->cores = t[i].cores;
		tc->memory_gb = t[i].gb;
		tc->hourly_eur = t[i].hourly;
		tc->monthly_eur = t[i].monthly;
		tc->deprecated = t[i].deprecated;
		strlist_add(&tc->locations, "nbg1");
		strlist_add(&tc->locations, "fsn1");
		strlist_add(&tc->locations, "hel1");
	}
}

static void
free_field(struct pp_config *c, const struct key *k)
{
	void *f = field(c, k);

	switch (k->type) {
	case T_STR:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case T_STRLIST:
		strlist_free(f);
		break;
	case T_STRMAP:
		strmap_free(f);
		break;
	case T_DURLIST:
		free(((struct pp_longlist *)f)->v);
		((struct pp_longlist *)f)->v = NULL;
		((struct pp_longlist *)f)->n = 0;
		break;
	case T_SCHEDULE:
		schedule_free(c);
		break;
	case T_CATALOG:
		catalog_free(c);
		break;
	default:
		break;
	}
}

static const char *
type_name(enum ctype t)
{
	switch (t) {
	case T_STR: return "a string";
	case T_INT: return "an integer";
	case T_DOUBLE: return "a number";
	case T_BOOL: return "true or false";
	case T_DUR: return "a duration (90, 90s, 5m, 2h, 1d)";
	case T_STRLIST: return "a list of strings";
	case T_STRMAP: return "a mapping of strings";
	case T_DURLIST: return "a list of durations";
	case T_SCHEDULE: return "a list of schedule rows";
	case T_CATALOG: return "a list of server types";
	default: return "a mapping";
	}
}

/* Sets a scalar-typed field from text; -1 when the text does not fit. */
static int
set_scalar(struct pp_config *c, const struct key *k, const char *s)
{
	void *f = field(c, k);
	long l;
	double d;
	int b;

	switch (k->type) {
	case T_STR:
		free(*(char **)f);
		*(char **)f = pp_xstrdup(s);
		return 0;
	case T_INT:
		if (parse_long(s, &l) < 0)
			return -1;
		*(long *)f = l;
		return 0;
	case T_DOUBLE:
		if (parse_double(s, &d) < 0)
			return -1;
		*(double *)f = d;
		return 0;
	case T_BOOL:
		if (parse_bool(s, &b) < 0)
			return -1;
		*(int *)f = b;
		return 0;
	case T_DUR:
		l = pp_parse_duration(s);
		if (l < 0)
			return -1;
		*(long *)f = l;
		return 0;
	default:
		return -1;
	}
}

/* Applies a default or profile value written as text. Lists are
 * comma-separated; "builtin" selects the built-in schedule/catalog. */
static void
set_text(struct pp_config *c, const struct key *k, const char *s)
{
	void *f = field(c, k);

	free_field(c, k);
	if (!s)
		return;
	switch (k->type) {
	case T_STRLIST:
	case T_DURLIST: {
		char *copy = pp_xstrdup(s), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			if (k->type == T_STRLIST) {
				strlist_add(f, t);
			} else {
				struct pp_longlist *ll = f;

				ll->v = pp_xreallocarray(ll->v, ll->n + 1,
					sizeof *ll->v);
				ll->v[ll->n++] = pp_parse_duration(t);
			}
		}
		free(copy);
		break;
	}
	case T_STRMAP:
		break;
	case T_SCHEDULE:
		default_schedule(c);
		/* a number: that many spares at all hours */
		if (strcmp(s, "builtin") != 0) {
			c->spare.nschedule = 1;
			c->spare.schedule[0] = (struct pp_spare_rule){0x7f,
				0, 24, strtol(s, NULL, 10)};
		}
		break;
	case T_CATALOG:
		default_catalog(c);
		break;
	default:
		if (set_scalar(c, k, s) < 0)
			pp_die(PP_EXIT_FAIL, "internal: bad default for '%s'",
				k->path);
	}
}

static int
want_scalar(struct ctx *x, const yaml_node_t *n, const char *path,
	const char *what)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, "'%s' must be %s", path, what);
	return 0;
}

static int
load_strlist(struct ctx *x, const yaml_node_t *n, const char *path,
	struct pp_strlist *l)
{
	strlist_free(l);
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, "'%s' must be a list of strings", path);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);

		if (!e || e->type != YAML_SCALAR_NODE)
			return fail(x, e ? e : n, "'%s' must be a list of "
				"strings", path);
		strlist_add(l, scalar(e));
	}
	return 0;
}

static int
load_schedule(struct ctx *x, const yaml_node_t *n, const char *path)
{
	struct pp_config *c = x->c;

	schedule_free(c);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, "'%s' must be %s", path,
			type_name(T_SCHEDULE));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		struct pp_spare_rule r = {0, 0, 24, -1};

		if (!e || e->type != YAML_MAPPING_NODE)
			return fail(x, e ? e : n, "'%s' rows must be mappings "
				"with days, hours and spares", path);
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
		     p < e->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(x->doc,
				p->key);
			yaml_node_t *vn = yaml_document_get_node(x->doc,
				p->value);
			const char *kk = scalar(kn);

			if (vn->type == YAML_SEQUENCE_NODE &&
			    !strcmp(kk, "days")) {
				for (yaml_node_item_t *d =
				     vn->data.sequence.items.start;
				     d < vn->data.sequence.items.top; d++) {
					yaml_node_t *dn =
						yaml_document_get_node(x->doc,
							*d);

					if (dn->type != YAML_SCALAR_NODE ||
					    parse_days(scalar(dn), &r.days))
						return fail(x, dn, "'%s.days': "
							"bad weekday", path);
				}
				continue;
			}
			if (vn->type != YAML_SCALAR_NODE)
				return fail(x, vn, "'%s.%s' must be a scalar",
					path, kk);
			if (!strcmp(kk, "days")) {
				if (parse_days(scalar(vn), &r.days))
					return fail(x, vn, "'%s.days': bad "
						"weekday '%s' (mon..sun, "
						"ranges like mon-thu)", path,
						scalar(vn));
			} else if (!strcmp(kk, "hours")) {
				if (parse_hours(scalar(vn), &r.from_hour,
				    &r.to_hour))
					return fail(x, vn, "'%s.hours': "
						"expected FROM-TO within "
						"0-24, not '%s'", path,
						scalar(vn));
			} else if (!strcmp(kk, "spares")) {
				if (parse_long(scalar(vn), &r.spares) ||
				    r.spares < 0)
					return fail(x, vn, "'%s.spares' must "
						"be a non-negative integer",
						path);
			} else {
				return fail(x, kn, "unknown key '%s.%s'", path,
					kk);
			}
		}
		if (!r.days)
			r.days = 0x7f;
		if (r.spares < 0)
			return fail(x, e, "'%s' row without 'spares'", path);
		c->spare.schedule = pp_xreallocarray(c->spare.schedule,
			c->spare.nschedule + 1, sizeof r);
		c->spare.schedule[c->spare.nschedule++] = r;
	}
	return 0;
}

static int
load_catalog(struct ctx *x, const yaml_node_t *n, const char *path)
{
	struct pp_config *c = x->c;

	catalog_free(c);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, "'%s' must be %s", path,
			type_name(T_CATALOG));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(x->doc, *it);
		struct pp_type_conf t = {0};
		int bad = 0;

		if (!e || e->type != YAML_MAPPING_NODE)
			return fail(x, e ? e : n, "'%s' entries must be "
				"mappings", path);
		c->cloud.catalog = pp_xreallocarray(c->cloud.catalog,
			c->cloud.ncatalog + 1, sizeof t);
		t.hourly_eur = -1;
		t.memory_gb = -1;
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
		     p < e->data.mapping.pairs.top && !bad; p++) {
			yaml_node_t *kn = yaml_document_get_node(x->doc,
				p->key);
			yaml_node_t *vn = yaml_document_get_node(x->doc,
				p->value);
			const char *kk = scalar(kn);
			const char *v = vn->type == YAML_SCALAR_NODE ?
				scalar(vn) : NULL;

			if (!strcmp(kk, "locations")) {
				bad = load_strlist(x, vn, "cloud.catalog."
					"locations", &t.locations);
			} else if (!v) {
				bad = fail(x, vn, "'%s.%s' must be a scalar",
					path, kk);
			} else if (!strcmp(kk, "name")) {
				free(t.name);
				t.name = pp_xstrdup(v);
			} else if (!strcmp(kk, "architecture")) {
				free(t.architecture);
				t.architecture = pp_xstrdup(v);
			} else if (!strcmp(kk, "cores")) {
				if (parse_long(v, &t.cores) || t.cores < 1)
					bad = fail(x, vn, "'%s.cores' must be "
						"a positive integer", path);
			} else if (!strcmp(kk, "memory_gb")) {
				if (parse_double(v, &t.memory_gb) ||
				    t.memory_gb <= 0 ||
				    t.memory_gb > PP_MEMORY_GB_MAX)
					bad = fail(x, vn, "'%s.memory_gb' must "
						"be a positive number (at most "
						"%d)", path, PP_MEMORY_GB_MAX);
			} else if (!strcmp(kk, "hourly_eur")) {
				if (parse_double(v, &t.hourly_eur) ||
				    !pp_price_ok(t.hourly_eur))
					bad = fail(x, vn, "'%s.hourly_eur' "
						"must be a number >= 0", path);
			} else if (!strcmp(kk, "monthly_eur")) {
				if (parse_double(v, &t.monthly_eur) ||
				    !pp_price_ok(t.monthly_eur))
					bad = fail(x, vn, "'%s.monthly_eur' "
						"must be a number >= 0", path);
			} else if (!strcmp(kk, "deprecated")) {
				if (parse_bool(v, &t.deprecated))
					bad = fail(x, vn, "'%s.deprecated' "
						"must be true or false", path);
			} else {
				bad = fail(x, kn, "unknown key '%s.%s'", path,
					kk);
			}
		}
		if (!bad && (!t.name || t.memory_gb < 0 || t.hourly_eur < 0))
			bad = fail(x, e, "'%s' entry needs name, memory_gb and "
				"hourly_eur", path);
		if (!t.architecture)
			t.architecture = pp_xstrdup("x86");
		if (!t.monthly_eur && t.hourly_eur > 0)
			t.monthly_eur = t.hourly_eur * 730;
		c->cloud.catalog[c->cloud.ncatalog++] = t;
		if (bad)
			return -1;
	}
	return 0;
}

static int
load_value(struct ctx *x, const struct key *k, const yaml_node_t *n)
{
	void *f = field(x->c, k);

	switch (k->type) {
	case T_STRLIST:
		return load_strlist(x, n, k->path, f);
	case T_DURLIST: {
		struct pp_strlist tmp = {0};
		struct pp_longlist *ll = f;

		if (load_strlist(x, n, k->path, &tmp) < 0) {
			strlist_free(&tmp);
			return -1;
		}
		free_field(x->c, k);
		ll->v = pp_xcalloc(tmp.n, sizeof *ll->v);
		for (size_t i = 0; i < tmp.n; i++) {
			ll->v[i] = pp_parse_duration(tmp.v[i]);
			if (ll->v[i] <= 0) {
				strlist_free(&tmp);
				return fail(x, n, "'%s' must be %s", k->path,
					type_name(k->type));
			}
			ll->n++;
		}
		strlist_free(&tmp);
		return 0;
	}
	case T_STRMAP: {
		struct pp_strmap *m = f;

		strmap_free(m);
		if (is_null(n))
			return 0;
		if (n->type != YAML_MAPPING_NODE)
			return fail(x, n, "'%s' must be %s", k->path,
				type_name(k->type));
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(x->doc,
				p->key);
			yaml_node_t *vn = yaml_document_get_node(x->doc,
				p->value);

			if (kn->type != YAML_SCALAR_NODE ||
			    vn->type != YAML_SCALAR_NODE)
				return fail(x, vn, "'%s' must be %s", k->path,
					type_name(k->type));
			m->keys = pp_xreallocarray(m->keys, m->n + 1,
				sizeof *m->keys);
			m->vals = pp_xreallocarray(m->vals, m->n + 1,
				sizeof *m->vals);
			m->keys[m->n] = pp_xstrdup(scalar(kn));
			m->vals[m->n++] = pp_xstrdup(scalar(vn));
		}
		return 0;
	}
	case T_SCHEDULE:
		return load_schedule(x, n, k->path);
	case T_CATALOG:
		return load_catalog(x, n, k->path);
	case T_STR:
		if (is_null(n)) {
			free_field(x->c, k);
			return 0;
		}
		/* fall through */
	default:
		if (want_scalar(x, n, k->path, type_name(k->type)) < 0)
			return -1;
		if (k->type != T_STR && !is_plain(n))
			return fail(x, n, "'%s' must be %s, not a quoted "
				"string", k->path, type_name(k->type));
		if (set_scalar(x->c, k, scalar(n)) < 0)
			return fail(x, n, "'%s' must be %s, not '%s'",
				k->path, type_name(k->type), scalar(n));
		return 0;
	}
}

static int
walk(struct ctx *x, const yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(x->doc, p->value);
		char path[256];
		const struct key *k;

		if (!kn || kn->type != YAML_SCALAR_NODE)
			return fail(x, kn, "keys must be plain strings");
		snprintf(path, sizeof path, "%s%s%s", prefix,
			*prefix ? "." : "", scalar(kn));
		k = find_key(path);
		if (!k)
			return fail(x, kn, "unknown key '%s'", path);
		if (x->set[k - keys])
			return fail(x, kn, "duplicate key '%s'", path);
		x->set[k - keys] = 1;
		x->at[k - keys] = vn;
		if (k->type == T_SECTION) {
			if (is_null(vn))
				continue;
			if (vn->type != YAML_MAPPING_NODE)
				return fail(x, vn, "'%s' must be a mapping",
					path);
			if (walk(x, vn, path) < 0)
				return -1;
			continue;
		}
		if (load_value(x, k, vn) < 0)
			return -1;
	}
	return 0;
}

int
pp_type_choice_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "cheapest_per_gb"))
		return PP_TC_CHEAPEST_PER_GB;
	if (!strcmp(s, "smallest_fit"))
		return PP_TC_SMALLEST_FIT;
	if (!strcmp(s, "cheapest"))
		return PP_TC_CHEAPEST;
	return -1;
}

/* ---- checks once the file is loaded ------------------------------- */

/* Every number (integer, number, duration) lies in [lo, hi], the lower
 * bound exclusive with lo_open. A key without a row here must not be
 * negative, so a new setting is checked without a row of its own. */
#define UNBOUNDED DBL_MAX
static const struct range {
	const char *path;
	double lo, hi;
	int lo_open;
} ranges[] = {
	{"policies.reactive.up_threshold", 0, 100, 1},
	{"policies.reactive.down_threshold", 0, 100, 0},
	{"policies.reactive.urgency_high", 0, 100, 1},
	{"policies.reactive.urgency_critical", 0, 100, 1},
	{"policies.reactive.down_margin", 0, 100, 0},
	{"policies.unneeded.utilisation", 0, 100, 1},
	{"policies.predictive.threshold", 0, 100, 1},
	/* 0 would busy-poll the API or retry without a pause */
	{"cloud.poll_interval", 0, 3600, 1},
	{"cloud.retry_base", 0, 3600, 1},
	{"cloud.retry_max", 0, 3600, 1},
	{"cloud.retries", 0, 100, 0},
	{"cloud.connect_timeout", 0, UNBOUNDED, 1},
	{"cloud.request_timeout", 0, UNBOUNDED, 1},
	{"cloud.action_timeout", 0, UNBOUNDED, 1},
	{"cloud.boot_timeout", 0, UNBOUNDED, 1},
	{"cloud.join_timeout", 0, UNBOUNDED, 1},
	{"cloud.deadline", 0, UNBOUNDED, 1},
	{"cloud_init.agent_port", 1, 65535, 0},
	{"cloud_init.join_token_timeout", 0, UNBOUNDED, 1},
	/* 0 or less blocks every scale-up */
	{"limits.max_hourly_eur", 0, UNBOUNDED, 1},
	{"drain.move_timeout", 0, UNBOUNDED, 1},
	{"events.webhook_timeout", 0, UNBOUNDED, 1},
	{"events.webhook_retries", 0, 100, 0},
	{"history.retention", 0, UNBOUNDED, 1},
	{"forecast.timeout", 0, UNBOUNDED, 1},
};

/* Pairs of keys where the first must not exceed (strict: must stay
 * below) the second. */
static const struct order {
	const char *lo, *hi;
	int strict;
} orders[] = {
	{"limits.min_cloud_nodes", "limits.max_cloud_nodes", 0},
	{"policies.spare.min_spares", "policies.spare.max_spares", 0},
	{"policies.reactive.down_threshold", "policies.reactive.up_threshold",
		1},
	{"policies.reactive.urgency_high", "policies.reactive.urgency_critical",
		0},
	{"cloud.retry_base", "cloud.retry_max", 0},
};

/* Strings with a fixed set of values (NULL-terminated). */
static const struct choice {
	const char *path;
	const char *v[4];
} choices[] = {
	{"cloud.provider", {"local", "hetzner", NULL}},
	{"cloud.type_choice", {"cheapest_per_gb", "smallest_fit", "cheapest",
		NULL}},
	{"policies.spare.type_choice", {"cheapest_per_gb", "smallest_fit",
		"cheapest", NULL}},
};

/* The node a key's value came from in the file; NULL for a default. */
static const yaml_node_t *
node_of(struct ctx *x, const struct key *k)
{
	return x->at[k - keys];
}

static const struct key *
must_key(const char *path)
{
	const struct key *k = find_key(path);

	if (!k)
		pp_die(PP_EXIT_FAIL, "internal: no config key '%s'", path);
	return k;
}

static int
is_number(const struct key *k)
{
	return k->type == T_INT || k->type == T_DOUBLE || k->type == T_DUR;
}

static double
number(struct pp_config *c, const struct key *k)
{
	void *f = field(c, k);

	return k->type == T_DOUBLE ? *(double *)f : (double)*(long *)f;
}

/* The value as the file wrote it, else as a number. */
static const char *
shown(struct ctx *x, const struct key *k, char *buf, size_t len)
{
	const yaml_node_t *n = node_of(x, k);

	if (n && n->type == YAML_SCALAR_NODE)
		return scalar(n);
	snprintf(buf, len, "%g", number(x->c, k));
	return buf;
}

static int
check_ranges(struct ctx *x)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		struct range r = {k->path, 0, UNBOUNDED, 0};
		double v;
		char buf[64], lo[64];

		if (!is_number(k))
			continue;
		for (size_t j = 0; j < sizeof ranges / sizeof ranges[0]; j++)
			if (!strcmp(ranges[j].path, k->path))
				r = ranges[j];
		v = number(x->c, k);
		if (v >= r.lo && !(r.lo_open && v == r.lo) && v <= r.hi)
			continue;
		snprintf(lo, sizeof lo, "%s %g", r.lo_open ? "above" :
			"at least", r.lo);
		if (r.hi == UNBOUNDED)
			return fail(x, node_of(x, k), "'%s' must be %s, not "
				"'%s'", k->path, r.lo_open ? "greater than 0" :
				"0 or more", shown(x, k, buf, sizeof buf));
		return fail(x, node_of(x, k), "'%s' must be %s and at most "
			"%g, not '%s'", k->path, lo, r.hi,
			shown(x, k, buf, sizeof buf));
	}
	return 0;
}

static int
check_orders(struct ctx *x)
{
	for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
		const struct key *a = must_key(orders[i].lo);
		const struct key *b = must_key(orders[i].hi);
		double va = number(x->c, a), vb = number(x->c, b);
		char ba[64], bb[64];

		if (va < vb || (!orders[i].strict && va == vb))
			continue;
		/* the line of whichever the file set, the later one first */
		return fail(x, node_of(x, b) ? node_of(x, b) : node_of(x, a),
			"'%s' (%s) must be %s '%s' (%s)", a->path,
			shown(x, a, ba, sizeof ba),
			orders[i].strict ? "below" : "at most", b->path,
			shown(x, b, bb, sizeof bb));
	}
	return 0;
}

static int
check_choices(struct ctx *x)
{
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
		const struct key *k = must_key(choices[i].path);
		const char *v = *(char **)field(x->c, k);
		char list[128] = "";
		size_t n = 0;

		for (const char *const *o = choices[i].v; *o; o++, n++)
			if (v && !strcmp(v, *o))
				break;
		if (choices[i].v[n])
			continue;
		for (size_t j = 0; j < n; j++)
			snprintf(list + strlen(list), sizeof list -
				strlen(list), "%s%s", j == 0 ? "" : j + 1 == n ?
				" or " : ", ", choices[i].v[j]);
		return fail(x, node_of(x, k), "'%s' must be %s, not '%s'",
			k->path, list, v ? v : "");
	}
	return 0;
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
check_timezone(struct ctx *x)
{
	const struct key *k = must_key("timezone");
	const char *tz = x->c->timezone;

	if (!tz || zone_ok(tz))
		return 0;
	return fail(x, node_of(x, k), "'timezone': unknown time zone '%s' "
		"(an IANA name such as Europe/Berlin, or UTC; is tzdata "
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

static int
check_holidays(struct ctx *x)
{
	const yaml_node_t *n = node_of(x, must_key("holidays"));
	const struct pp_strlist *h = &x->c->holidays;

	for (size_t i = 0; i < h->n; i++) {
		const yaml_node_t *e = n;

		if (date_ok(h->v[i]))
			continue;
		if (n && n->type == YAML_SEQUENCE_NODE &&
		    i < (size_t)(n->data.sequence.items.top -
		    n->data.sequence.items.start))
			e = yaml_document_get_node(x->doc,
				n->data.sequence.items.start[i]);
		return fail(x, e, "'holidays': '%s' is not a date "
			"(YYYY-MM-DD)", h->v[i]);
	}
	return 0;
}

static int
check_config(struct ctx *x)
{
	if (check_choices(x) < 0 || check_ranges(x) < 0 ||
	    check_orders(x) < 0 || check_timezone(x) < 0 ||
	    check_holidays(x) < 0)
		return -1;
	return 0;
}

static int
apply_profile(struct ctx *x, const char *name, const yaml_node_t *n)
{
	for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
		if (strcmp(profiles[i].name, name) != 0)
			continue;
		for (const struct override *o = profiles[i].o; o->path; o++)
			set_text(x->c, find_key(o->path), o->value);
		return 0;
	}
	return fail(x, n, "'profile' must be default or seed, not '%s'",
		name);
}

/* A second document in the file would be ignored: refuse it. */
static int
one_document(struct ctx *x, yaml_parser_t *parser)
{
	yaml_document_t more;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(parser, &more)) {
		snprintf(x->err, x->errlen, "config '%s' line %zu: %s%s%s",
			x->name, parser->problem_mark.line + 1,
			parser->problem ? parser->problem : "YAML error",
			parser->context ? " " : "",
			parser->context ? parser->context : "");
		return -1;
	}
	root = yaml_document_get_root_node(&more);
	if (root) {
		snprintf(x->err, x->errlen, "config '%s' line %zu: a second "
			"YAML document: the config is one document", x->name,
			more.start_mark.line + 1);
		rc = -1;
	}
	yaml_document_delete(&more);
	return rc;
}

struct pp_config *
pp_config_parse(const char *yaml, size_t len, const char *name, char *err,
	size_t errlen)
{
	struct pp_config *c = pp_xcalloc(1, sizeof *c);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct ctx x = {name, err, errlen, &doc, c, NULL, NULL};
	int rc = -1;

	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type != T_SECTION)
			set_text(c, &keys[i], keys[i].def);
	if (!yaml) {
		apply_profile(&x, "default", NULL);
		return c;
	}
	x.set = pp_xcalloc(NKEYS, 1);
	x.at = pp_xcalloc(NKEYS, sizeof *x.at);
	if (!yaml_parser_initialize(&parser))
		pp_die(PP_EXIT_FAIL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
		len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "config '%s' line %zu: %s%s%s", name,
			parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "YAML error",
			parser.context ? " " : "",
			parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto out;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root)) {
		/* an empty file: the default profile, like no file */
		rc = apply_profile(&x, "default", NULL);
		if (rc == 0)
			rc = one_document(&x, &parser);
	} else if (root->type != YAML_MAPPING_NODE) {
		fail(&x, root, "the top level must be a mapping of keys");
	} else {
		/* the profile applies before the file's own values */
		const char *prof = "default";
		const yaml_node_t *pn = NULL;

		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
			yaml_node_t *vn = yaml_document_get_node(&doc,
				p->value);

			if (kn->type == YAML_SCALAR_NODE &&
			    !strcmp(scalar(kn), "profile") &&
			    vn->type == YAML_SCALAR_NODE) {
				prof = scalar(vn);
				pn = vn;
			}
		}
		if (apply_profile(&x, prof, pn) == 0 &&
		    walk(&x, root, "") == 0 && check_config(&x) == 0 &&
		    one_document(&x, &parser) == 0)
			rc = 0;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
out:
	free(x.set);
	free(x.at);
	if (rc < 0) {
		pp_config_free(c);
		return NULL;
	}
	return c;
}

struct pp_config *
pp_config_load(const char *path, char *err, size_t errlen)
{
	struct pp_config *c;
	size_t len;
	char *text;

	if (!path)
		return pp_config_parse(NULL, 0, "built-in", err, errlen);
	text = pp_read_file(path, 4u << 20, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read config '%s': %s", path,
			strerror(errno));
		return NULL;
	}
	c = pp_config_parse(text, len, path, err, errlen);
	free(text);
	if (c)
		c->path = pp_xstrdup(path);
	return c;
}

void
pp_config_free(struct pp_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		free_field(c, &keys[i]);
	free(c->path);
	free(c);
}

char *
pp_state_dir(const struct pp_config *c, const char *flag)
{
	const char *env = getenv("PP_STATE_DIR");

	if (flag && *flag)
		return pp_xstrdup(flag);
	if (c && c->state_dir && *c->state_dir)
		return pp_xstrdup(c->state_dir);
	if (env && *env)
		return pp_xstrdup(env);
	return pp_xstrdup(PP_STATE_DIR_DEFAULT);
}

char *
pp_state_path(const struct pp_config *c, const char *flag, const char *name)
{
	char *dir = pp_state_dir(c, flag);
	char *p = pp_xasprintf("%s/%s", dir, name);

	free(dir);
	return p;
}

char *
pp_registry_path(const struct pp_config *c, const char *state_flag,
	const char *flag)
{
	if (flag && *flag)
		return pp_xstrdup(flag);
	if (c && c->registry && *c->registry)
		return pp_xstrdup(c->registry);
	return pp_state_path(c, state_flag, "registry.json");
}

/* The shipped default of a key (the default profile's value, else the
 * table's) and, when it differs, the seed's. */
static const char *
profile_value(const struct override *o, const char *path)
{
	for (; o->path; o++)
		if (!strcmp(o->path, path))
			return o->value;
	return NULL;
}

void
pp_config_dump_keys(void)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *def = k->def, *seed = "";
		const char *o = profile_value(profile_default, k->path);

		/* a built-in schedule or catalog is described in prose */
		if (o && k->type != T_SCHEDULE && k->type != T_CATALOG &&
		    strcmp(o, def ? def : "") != 0) {
			seed = profile_value(profile_seed, k->path);
			if (!seed)
				seed = def ? def : "-";
			def = o;
		}
		printf("%s\t%s\t%s\t%s\t%s\n", k->path,
			k->type == T_SECTION ? "section" : type_name(k->type),
			def ? def : "-", k->help, seed);
	}
}

const struct pp_type_conf *
pp_config_type(const struct pp_config *c, const char *name)
{
	for (size_t i = 0; i < c->cloud.ncatalog; i++)
		if (!strcmp(c->cloud.catalog[i].name, name))
			return &c->cloud.catalog[i];
	return NULL;
}

/* ---- the effective config, printed back as YAML ------------------- */

/* A URL's password, a query's token and a conninfo's password= are
 * secrets (a webhook or a PostgreSQL registry can carry them). */
static char *
redact(const char *s)
{
	static const char *const words[] = {"password=", "passwd=",
		"token=", "secret=", "key=", "sig=", "signature=", NULL};
	char *out = pp_xstrdup(s), *p, *at, *colon;

	p = strstr(out, "://");
	if (p) {
		p += 3;
		at = p + strcspn(p, "/?#@");
		colon = memchr(p, ':', (size_t)(at - p));
		if (*at == '@' && colon) {
			char *next = pp_xasprintf("%.*s:<redacted>%s",
				(int)(colon - out), out, at);

			free(out);
			out = next;
		}
	}
	for (const char *const *w = words; *w; w++) {
		size_t wl = strlen(*w);

		for (p = out; *p; p++) {
			size_t vl;
			char *next;

			if (strncasecmp(p, *w, wl) != 0 ||
			    (p > out && strchr("?&; \t", p[-1]) == NULL))
				continue;
			vl = strcspn(p + wl, "&; \t#");
			if (vl == 0 || !strncmp(p + wl, "<redacted>", 10))
				continue;
			next = pp_xasprintf("%.*s<redacted>%s",
				(int)(p + wl - out), out, p + wl + vl);
			p = next + (p - out) + wl;
			free(out);
			out = next;
		}
	}
	return out;
}

static void
put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
put_secret_str(FILE *f, const char *s)
{
	char *r = redact(s);

	put_str(f, r);
	free(r);
}

static void
put_dur(FILE *f, long v)
{
	if (v && v % 86400 == 0)
		fprintf(f, "%ldd", v / 86400);
	else if (v && v % 3600 == 0)
		fprintf(f, "%ldh", v / 3600);
	else if (v && v % 60 == 0)
		fprintf(f, "%ldm", v / 60);
	else
		fprintf(f, "%lds", v);
}

static void
put_days(FILE *f, unsigned days)
{
	static const char *names[] = {"sun", "mon", "tue", "wed", "thu",
		"fri", "sat"};
	int first = 1;

	fputc('[', f);
	for (int d = 0; d < 7; d++)
		if (days & (1u << d)) {
			fprintf(f, "%s%s", first ? "" : ", ", names[d]);
			first = 0;
		}
	fputc(']', f);
}

static void
put_value(FILE *f, const struct pp_config *c, const struct key *k,
	int depth)
{
	const void *v = (const char *)c + k->off;
	const char *pad = "                ";

	switch (k->type) {
	case T_STR:
		if (*(char *const *)v)
			put_secret_str(f, *(char *const *)v);
		else
			fputs("null", f);
		break;
	case T_INT:
		fprintf(f, "%ld", *(const long *)v);
		break;
	case T_DOUBLE:
		fprintf(f, "%.10g", *(const double *)v);
		break;
	case T_BOOL:
		fputs(*(const int *)v ? "true" : "false", f);
		break;
	case T_DUR:
		put_dur(f, *(const long *)v);
		break;
	case T_STRLIST: {
		const struct pp_strlist *l = v;

		fputc('[', f);
		for (size_t i = 0; i < l->n; i++) {
			fputs(i ? ", " : "", f);
			put_secret_str(f, l->v[i]);
		}
		fputc(']', f);
		break;
	}
	case T_STRMAP: {
		const struct pp_strmap *m = v;

		fputc('{', f);
		for (size_t i = 0; i < m->n; i++) {
			fputs(i ? ", " : "", f);
			put_str(f, m->keys[i]);
			fputs(": ", f);
			put_str(f, m->vals[i]);
		}
		fputc('}', f);
		break;
	}
	case T_DURLIST: {
		const struct pp_longlist *l = v;

		fputc('[', f);
		for (size_t i = 0; i < l->n; i++) {
			fputs(i ? ", " : "", f);
			put_dur(f, l->v[i]);
		}
		fputc(']', f);
		break;
	}
	case T_SCHEDULE:
		for (size_t i = 0; i < c->spare.nschedule; i++) {
			const struct pp_spare_rule *r = &c->spare.schedule[i];

			fprintf(f, "\n%.*s- {days: ", depth * 2, pad);
			put_days(f, r->days);
			fprintf(f, ", hours: %d-%d, spares: %ld}", r->from_hour,
				r->to_hour, r->spares);
		}
		if (!c->spare.nschedule)
			fputs("[]", f);
		break;
	case T_CATALOG:
		for (size_t i = 0; i < c->cloud.ncatalog; i++) {
			const struct pp_type_conf *t = &c->cloud.catalog[i];

			fprintf(f, "\n%.*s- {name: ", depth * 2, pad);
			put_str(f, t->name);
			fprintf(f, ", cores: %ld, memory_gb: %.10g, "
				"hourly_eur: %.10g, monthly_eur: %.10g, "
				"architecture: ", t->cores, t->memory_gb,
				t->hourly_eur, t->monthly_eur);
			put_str(f, t->architecture);
			fprintf(f, ", deprecated: %s, locations: ",
				t->deprecated ? "true" : "false");
			fputc('[', f);
			for (size_t j = 0; j < t->locations.n; j++) {
				fputs(j ? ", " : "", f);
				put_str(f, t->locations.v[j]);
			}
			fputs("]}", f);
		}
		if (!c->cloud.ncatalog)
			fputs("[]", f);
		break;
	default:
		break;
	}
}

void
pp_config_print(const struct pp_config *c, FILE *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *name = strrchr(k->path, '.');
		int depth = 0;

		for (const char *p = k->path; *p; p++)
			depth += *p == '.';
		name = name ? name + 1 : k->path;
		fprintf(f, "%.*s%s:", depth * 2, "                ", name);
		if (k->type == T_SECTION) {
			fputc('\n', f);
			continue;
		}
		if (k->type != T_SCHEDULE && k->type != T_CATALOG)
			fputc(' ', f);
		else if (!(k->type == T_SCHEDULE ? c->spare.nschedule :
		    c->cloud.ncatalog))
			fputc(' ', f);
		put_value(f, c, k, depth + 1);
		fputc('\n', f);
	}
}
