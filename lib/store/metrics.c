/* The Prometheus textfile. Every tool contributes parts (see metrics.h);
 * the textfile is re-rendered from all parts under one lock and replaced
 * by rename, so node_exporter never reads a torn or partial file and no
 * tool can drop another tool's families. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "base/json.h"
#include "store/counters.h"
#include "store/metrics.h"
#include "store/state.h"
#include "base/util.h"

struct family {
	const char *name, *type, *help;
};

/* Every family any tool may write. A part naming another family is
 * ignored, so a typo cannot produce an invalid file. */
static const struct family families[] = {
	{"pp_fleet_capacity_percent", "gauge",
		"Allocated RAM as a percentage of the usable RAM of ready "
		"nodes."},
	{"pp_fleet_ram_mb", "gauge",
		"Fleet RAM in MB by state (total, allocated, free, pending)."},
	{"pp_fleet_nodes", "gauge", "Nodes by kind, status and role."},
	{"pp_fleet_spares", "gauge", "Ready idle cloud spares."},
	{"pp_fleet_players", "gauge", "Players on all nodes."},
	{"pp_fleet_hourly_cost_eur", "gauge",
		"Hourly cost of the cloud nodes in EUR."},
	{"pp_forecast_ram_mb", "gauge",
		"Forecast allocated RAM in MB by horizon."},
	{"pp_scaling_events_total", "counter",
		"Scaling actions by action and result."},
	{"pp_last_run_timestamp_seconds", "gauge",
		"When the tool last finished, as a UNIX time."},
	{"pp_last_run_success", "gauge",
		"1 if the tool's last run succeeded, else 0."},
	{"pp_last_success_timestamp_seconds", "gauge",
		"When the tool last finished successfully, as a UNIX time."},
	{"pp_last_run_duration_seconds", "gauge",
		"How long the tool's last run took."},
};
#define NFAMILIES (sizeof families / sizeof families[0])

static struct {
	int on;         /* initialised with a textfile */
	int done;       /* pp_metrics_run has published */
	int publishing; /* guards against pp_die inside publishing */
	char *textfile;
	char *dir;      /* parts directory */
	json_object *pending; /* part name -> array of [family, labels, v] */
	char *carry;    /* run part whose last success time to keep */
	double started;
} m;

static const struct family *
find_family(const char *name)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (!strcmp(families[i].name, name))
			return &families[i];
	return NULL;
}

static void
at_exit(void)
{
	if (m.on && !m.done && !m.publishing)
		pp_metrics_run(NULL, 0);
	json_object_put(m.pending);
	free(m.textfile);
	free(m.dir);
	free(m.carry);
	memset(&m, 0, sizeof m);
}

void
pp_metrics_init(const struct pp_config *cfg, const char *state_flag)
{
	static int registered;

	if (!cfg || !cfg->metrics.textfile || !*cfg->metrics.textfile)
		return;
	if (!registered) {
		atexit(at_exit);
		registered = 1;
	}
	json_object_put(m.pending);
	free(m.textfile);
	free(m.dir);
	m.textfile = pp_xstrdup(cfg->metrics.textfile);
	m.dir = pp_state_path(cfg, state_flag, "metrics");
	m.pending = json_object_new_object();
	m.started = pp_monotonic();
	m.done = 0;
	m.on = 1;
}

/* The part's sample list, emptied: a part is always replaced whole. */
static json_object *
part(const char *name)
{
	json_object *a = json_object_new_array();

	json_object_object_add(m.pending, name, a);
	return a;
}

static void
sample(json_object *part, const char *family, const char *labels,
	double v)
{
	json_object *s = json_object_new_array_ext(3);

	json_object_array_add(s, json_object_new_string(family));
	json_object_array_add(s, json_object_new_string(labels));
	json_object_array_add(s, json_object_new_double(v));
	json_object_array_add(part, s);
}

void
pp_metrics_fleet(json_object *doc)
{
	static const char *const kinds[] = {"dedicated", "cloud"};
	static const char *const statuses[] = {"provisioning", "ready",
		"draining", "unhealthy"};
	static const char *const roles[] = {"worker", "spare"};
	static const char *const ram[] = {"total", "allocated", "free",
		"pending"};
	long counts[2][4][2] = {{{0}}};
	json_object *fleet = pp_jget(doc, "fleet");
	json_object *nodes = pp_jget(doc, "nodes");
	json_object *fc = pp_jget(doc, "forecast");
	json_object *p;

	if (!m.on || !fleet)
		return;
	p = part("fleet");
	sample(p, "pp_fleet_capacity_percent", "",
		pp_jdouble(fleet, "capacity_percent", 0));
	for (size_t i = 0; i < 4; i++) {
		char key[32], labels[32];

		snprintf(key, sizeof key, "%s_ram_mb", ram[i]);
		snprintf(labels, sizeof labels, "state=%s", ram[i]);
		sample(p, "pp_fleet_ram_mb", labels,
			pp_jdouble(fleet, key, 0));
	}
	sample(p, "pp_fleet_hourly_cost_eur", "",
		pp_jdouble(fleet, "hourly_cost_eur", 0));
	sample(p, "pp_fleet_spares", "", pp_jdouble(fleet, "spares", 0));
	sample(p, "pp_fleet_players", "", pp_jdouble(fleet, "players", 0));

	/* every combination, zeros included: an alert on "no ready
	 * cloud node" needs a 0, not an absent series */
	if (pp_jget(fleet, "roles")) {
		/* the fleet's own breakdown: the nodes section may be raw */
		for (int k = 0; k < 2; k++)
			for (int s = 0; s < 4; s++)
				for (int r = 0; r < 2; r++) {
					char path[64];

					snprintf(path, sizeof path,
						"roles.%s.%s.%s", roles[r],
						kinds[k], statuses[s]);
					counts[k][s][r] = (long)
						json_object_get_int64(pp_jpath(
						fleet, path));
				}
	} else if (nodes && json_object_is_type(nodes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(nodes); i++) {
			json_object *n = json_object_array_get_idx(nodes, i);
			const char *k = pp_jstr(n, "kind", "");
			const char *s = pp_jstr(n, "status", "");
			const char *r = pp_jstr(n, "role", "");
			int ki = -1, si = -1, ri = -1;

			for (int j = 0; j < 2; j++)
				if (!strcmp(k, kinds[j]))
					ki = j;
			for (int j = 0; j < 4; j++)
				if (!strcmp(s, statuses[j]))
					si = j;
			for (int j = 0; j < 2; j++)
				if (!strcmp(r, roles[j]))
					ri = j;
			if (ki >= 0 && si >= 0 && ri >= 0)
				counts[ki][si][ri]++;
		}
	}
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < 4; s++)
			for (int r = 0; r < 2; r++) {
				char labels[96];

				snprintf(labels, sizeof labels,
					"kind=%s,status=%s,role=%s", kinds[k],
					statuses[s], roles[r]);
				sample(p, "pp_fleet_nodes", labels,
					(double)counts[k][s][r]);
			}

	/* The forecast: an array of {"horizon", "allocated_ram_mb"} under
	 * "horizons" or "points", or an object {"1h": MB, ...} under
	 * "allocated_ram_mb". A horizon in seconds is shown as "3600s". */
	if (!fc)
		return;
	{
		json_object *a = pp_jget(fc, "horizons");
		json_object *o = pp_jget(fc, "allocated_ram_mb");

		if (!a || !json_object_is_type(a, json_type_array))
			a = pp_jget(fc, "points");
		if (a && json_object_is_type(a, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(a);
			     i++) {
				json_object *e = json_object_array_get_idx(a,
					i);
				json_object *h = pp_jget(e, "horizon");
				json_object *v = pp_jget(e,
					"allocated_ram_mb");
				char labels[96];

				if (!h || !v)
					continue;
				if (json_object_is_type(h, json_type_string))
					snprintf(labels, sizeof labels,
						"horizon=%s",
						json_object_get_string(h));
				else
					snprintf(labels, sizeof labels,
						"horizon=%llds", (long long)
						json_object_get_int64(h));
				sample(p, "pp_forecast_ram_mb", labels,
					json_object_get_double(v));
			}
		} else if (o && json_object_is_type(o, json_type_object)) {
			json_object_object_foreach(o, k, v) {
				char labels[96];

				snprintf(labels, sizeof labels, "horizon=%s",
					k);
				sample(p, "pp_forecast_ram_mb", labels,
					json_object_get_double(v));
			}
		}
	}
}

void
pp_metrics_counters(json_object *counters)
{
	json_object *p;

	if (!m.on || !counters ||
	    !json_object_is_type(counters, json_type_object))
		return;
	p = part("counters");
	json_object_object_foreach(counters, name, series) {
		const struct family *f = find_family(name);

		if (!f || strcmp(f->type, "counter") ||
		    !json_object_is_type(series, json_type_object))
			continue;
		json_object_object_foreach(series, labels, v)
			sample(p, name, labels, json_object_get_double(v));
	}
}

void
pp_metrics_state(struct pp_state *s)
{
	if (s && s->root)
		pp_metrics_counters(pp_counters_of(s->root));
}

void
pp_metrics_state_file(const char *path)
{
	char err[512];
	size_t len;
	char *text;
	json_object *root;

	if (!m.on)
		return;
	text = pp_read_file(path, 16u << 20, &len);
	if (!text) {
		if (errno != ENOENT)
			pp_warn("cannot read state file '%s':", path);
		return;
	}
	root = pp_state_parse(text, len, path, err, sizeof err);
	free(text);
	if (!root) {
		pp_warn("%s", err);
		return;
	}
	pp_metrics_counters(pp_counters_of(root));
	json_object_put(root);
}

void
pp_metrics_count_scaling(struct pp_state *s, const char *action,
	const char *result)
{
	char *labels = pp_xasprintf("action=%s,result=%s", action, result);

	pp_state_count(s, "pp_scaling_events_total", labels, 1);
	free(labels);
}

void
pp_metrics_add(const char *family, const char *labels, double value)
{
	char *name;
	json_object *p;

	if (!m.on)
		return;
	if (!find_family(family)) {
		pp_warn("internal: unknown metric family '%s'", family);
		return;
	}
	name = pp_xasprintf("tool.%s", pp_progname);
	p = pp_jget(m.pending, name);
	if (!p)
		p = part(name);
	sample(p, family, labels ? labels : "", value);
	free(name);
}

/* "k=v,k=v" -> k="v",k="v" with Prometheus escaping; -1 if malformed. */
static int
render_labels(struct pp_buf *b, const char *labels)
{
	const char *s = labels;
	int first = 1;

	while (*s) {
		size_t kn = strcspn(s, "=,");
		const char *v;
		size_t vn;

		if (kn == 0 || s[kn] != '=' ||
		    !(isalpha((unsigned char)*s) || *s == '_'))
			return -1;
		for (size_t i = 0; i < kn; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '_')
				return -1;
		v = s + kn + 1;
		vn = strcspn(v, ",");
		pp_buf_addstr(b, first ? "{" : ",");
		pp_buf_add(b, s, kn);
		pp_buf_addstr(b, "=\"");
		for (size_t i = 0; i < vn; i++) {
			if (v[i] == '\\' || v[i] == '"')
				pp_buf_add(b, "\\", 1);
			if (v[i] == '\n')
				pp_buf_addstr(b, "\\n");
			else
				pp_buf_add(b, v + i, 1);
		}
		pp_buf_addstr(b, "\"");
		first = 0;
		s = v + vn;
		if (*s == ',')
			s++;
	}
	if (!first)
		pp_buf_addstr(b, "}");
	return 0;
}

static void
render_value(struct pp_buf *b, double v)
{
	if (isnan(v))
		pp_buf_addstr(b, "NaN");
	else if (isinf(v))
		pp_buf_addstr(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		pp_buf_printf(b, "%.0f", v);
	else
		pp_buf_printf(b, "%.10g", v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the parts, sorted, so the output is stable. */
static char **
list_parts(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 ||
		    strcmp(e->d_name + len - 5, ".json"))
			continue;
		v = pp_xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = pp_xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

char *
pp_metrics_render(const char *dir)
{
	json_object *by[NFAMILIES];
	struct pp_buf b = {0};
	size_t nparts;
	char **parts = list_parts(dir, &nparts);

	for (size_t i = 0; i < NFAMILIES; i++)
		by[i] = json_object_new_object();
	for (size_t i = 0; i < nparts; i++) {
		char *path = pp_xasprintf("%s/%s", dir, parts[i]);
		char err[256];
		size_t len;
		char *text = pp_read_file(path, 4u << 20, &len);
		json_object *a = text ? pp_json_parse(text, len, err,
			sizeof err) : NULL;

		if (!a || !json_object_is_type(a, json_type_array)) {
			pp_warn("ignoring metrics part '%s': %s", path,
				text ? "not a list of samples" :
				strerror(errno));
		} else {
			for (size_t j = 0; j < json_object_array_length(a);
			     j++) {
				json_object *s = json_object_array_get_idx(a,
					j);
				const char *fam = json_object_get_string(
					json_object_array_get_idx(s, 0));
				const char *lab = json_object_get_string(
					json_object_array_get_idx(s, 1));
				json_object *v = json_object_array_get_idx(s,
					2);
				const struct family *f = fam ?
					find_family(fam) : NULL;

				if (!f || !lab || !v)
					continue;
				/* a later part wins for the same series */
				json_object_object_add(by[f - families], lab,
					json_object_get(v));
			}
		}
		json_object_put(a);
		free(text);
		free(path);
		free(parts[i]);
	}
	free(parts);
	pp_buf_addstr(&b, "");
	for (size_t i = 0; i < NFAMILIES; i++) {
		const struct family *f = &families[i];
		size_t n = 0;
		char **keys;

		json_object_object_foreach(by[i], k0, v0) {
			(void)k0;
			(void)v0;
			n++;
		}
		if (!n) {
			json_object_put(by[i]);
			continue;
		}
		keys = pp_xcalloc(n, sizeof *keys);
		n = 0;
		json_object_object_foreach(by[i], k1, v1) {
			(void)v1;
			keys[n++] = k1;
		}
		qsort(keys, n, sizeof *keys, cmp_str);
		pp_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name,
			f->help, f->name, f->type);
		for (size_t j = 0; j < n; j++) {
			struct pp_buf line = {0};

			pp_buf_addstr(&line, f->name);
			if (render_labels(&line, keys[j]) < 0) {
				pp_warn("ignoring metric %s with bad labels "
					"'%s'", f->name, keys[j]);
				pp_buf_free(&line);
				continue;
			}
			pp_buf_addstr(&line, " ");
			render_value(&line, json_object_get_double(
				pp_jget(by[i], keys[j])));
			pp_buf_addstr(&b, line.s);
			pp_buf_addstr(&b, "\n");
			pp_buf_free(&line);
		}
		free(keys);
		json_object_put(by[i]);
	}
	return b.s;
}

/* A failed run keeps the time of the last success from the part it
 * replaces: "no successful run for 10 minutes" needs it. */
static void
carry_success(void)
{
	char *path = pp_xasprintf("%s/%s.json", m.dir, m.carry);
	char err[256];
	size_t len;
	char *text = pp_read_file(path, 1u << 20, &len);
	json_object *old = text ? pp_json_parse(text, len, err, sizeof err) :
		NULL;
	json_object *p = pp_jget(m.pending, m.carry);

	if (old && p && json_object_is_type(old, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(old); i++) {
			json_object *s = json_object_array_get_idx(old, i);
			const char *fam = json_object_get_string(
				json_object_array_get_idx(s, 0));

			if (fam && !strcmp(fam,
			    "pp_last_success_timestamp_seconds"))
				json_object_array_add(p, json_object_get(s));
		}
	}
	json_object_put(old);
	free(text);
	free(path);
}

/* Two tools publish counters read at different moments; the older
 * read must not lower a counter the other already published. Counters
 * only grow, so the larger value is the newer one. */
static void
merge_counters(void)
{
	char *path = pp_xasprintf("%s/counters.json", m.dir);
	char err[256];
	size_t len;
	char *text = pp_read_file(path, 4u << 20, &len);
	json_object *old = text ? pp_json_parse(text, len, err, sizeof err) :
		NULL;
	json_object *p = pp_jget(m.pending, "counters");

	if (old && p && json_object_is_type(old, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(old); i++) {
			json_object *o = json_object_array_get_idx(old, i);
			const char *of = json_object_get_string(
				json_object_array_get_idx(o, 0));
			const char *ol = json_object_get_string(
				json_object_array_get_idx(o, 1));
			double ov = json_object_get_double(
				json_object_array_get_idx(o, 2));
			int found = 0;

			if (!of || !ol)
				continue;
			for (size_t j = 0; j < json_object_array_length(p);
			     j++) {
				json_object *n = json_object_array_get_idx(p,
					j);

				if (strcmp(of, json_object_get_string(
				    json_object_array_get_idx(n, 0))) ||
				    strcmp(ol, json_object_get_string(
				    json_object_array_get_idx(n, 1))))
					continue;
				found = 1;
				if (json_object_get_double(
				    json_object_array_get_idx(n, 2)) < ov)
					json_object_array_put_idx(n, 2,
						json_object_new_double(ov));
			}
			if (!found)
				json_object_array_add(p, json_object_get(o));
		}
	}
	json_object_put(old);
	free(text);
	free(path);
}

static int
publish(void)
{
	struct pp_lock lock = {-1};
	char *lockpath = pp_xasprintf("%s/parts", m.dir);
	char *text = NULL, *tdir = pp_dirname(m.textfile);
	int rc = -1;

	if (pp_mkdirs(m.dir, 0755) < 0) {
		pp_warn("cannot create metrics directory '%s':", m.dir);
		goto out;
	}
	if (pp_lock(&lock, lockpath, PP_LOCK_EX, 10) < 0) {
		pp_warn("cannot lock metrics directory '%s':", m.dir);
		goto out;
	}
	if (m.carry)
		carry_success();
	if (pp_jget(m.pending, "counters"))
		merge_counters();
	json_object_object_foreach(m.pending, name, samples) {
		char *path = pp_xasprintf("%s/%s.json", m.dir, name);
		const char *s = pp_json_string(samples, 0);

		if (strchr(name, '/') ||
		    pp_write_atomic(path, s, strlen(s), 0644) < 0) {
			pp_warn("cannot write metrics part '%s':", path);
			free(path);
			goto out;
		}
		free(path);
	}
	text = pp_metrics_render(m.dir);
	if (pp_mkdirs(tdir, 0755) < 0 ||
	    pp_write_atomic(m.textfile, text, strlen(text), 0644) < 0) {
		pp_warn("cannot write metrics textfile '%s':", m.textfile);
		goto out;
	}
	rc = 0;
out:
	pp_unlock(&lock);
	free(text);
	free(tdir);
	free(lockpath);
	return rc;
}

int
pp_metrics_run(const char *tool, int success)
{
	char *name, *labels;
	json_object *p;
	int rc;

	if (!m.on || m.done)
		return 0;
	m.publishing = 1;
	if (!tool)
		tool = pp_progname;
	name = pp_xasprintf("run.%s", tool);
	labels = pp_xasprintf("tool=%s", tool);
	p = part(name);
	sample(p, "pp_last_run_timestamp_seconds", labels, (double)pp_now());
	sample(p, "pp_last_run_success", labels, success ? 1 : 0);
	if (success)
		sample(p, "pp_last_success_timestamp_seconds", labels,
			(double)pp_now());
	else
		m.carry = pp_xstrdup(name);
	sample(p, "pp_last_run_duration_seconds", labels,
		round((pp_monotonic() - m.started) * 1000) / 1000);
	free(name);
	free(labels);
	rc = publish();
	m.done = 1;
	m.publishing = 0;
	return rc;
}
