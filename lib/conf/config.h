/* config.c: the YAML configuration, with a default for every setting */
#ifndef PP_CONFIG_H
#define PP_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "conf/keys.h"

#define PP_CONFIG_DEFAULT "/etc/ppscale/ppscale.yaml"
#define PP_STATE_DIR_DEFAULT "/var/lib/ppscale"

struct pp_strlist {
	size_t n;
	char **v;
};

struct pp_strmap {
	size_t n;
	char **keys;
	char **vals;
};

struct pp_longlist {
	size_t n;
	long *v;
};

/* One row of the spare pool's schedule: on these weekdays (bit 0 =
 * Sunday .. bit 6 = Saturday), local hours [from, to), keep `spares`. */
struct pp_spare_rule {
	unsigned days;
	int from_hour, to_hour;
	long spares;
};

/* The spare pool's schedule: the first matching row wins. */
struct pp_schedule {
	size_t n;
	struct pp_spare_rule *rule;
};

/* A server type the local provider offers (and the fallback catalog). */
struct pp_type_conf {
	char *name;
	long cores;
	double memory_gb;
	double hourly_eur;
	double monthly_eur;
	char *architecture;
	int deprecated;
	struct pp_strlist locations; /* where it can be ordered */
};

/* A new server's name is cloud.name_prefix and this many random
 * characters: a host name (RFC 1123) and a node id of at most
 * PP_NODE_NAME_MAX. */
#define PP_NAME_SUFFIX_LEN 6
#define PP_NODE_NAME_MAX 63

struct pp_config {
	char *path;     /* file it came from, NULL for built-in defaults */
	char *profile;  /* "default" or "seed" */
	char *state_dir; /* NULL: $PP_STATE_DIR, else the default */
	char *registry;  /* a path, or an http(s)/file/postgresql URL */
	char *timezone;
	struct pp_strlist holidays; /* YYYY-MM-DD */

	struct {
		char *provider; /* "local" or "hetzner" */
		char *token_file;
		char *endpoint;
		struct pp_strlist locations;
		char *image;
		char *architecture;       /* x86 or arm: image and agent */
		struct pp_strlist ssh_keys;
		struct pp_strlist networks;
		struct pp_strlist firewalls;
		char *placement_group;
		long placement_group_limit; /* servers the group holds */
		struct pp_strmap labels;  /* extra labels on every server */
		char *label_key;          /* managed_by */
		char *label_value;        /* ppscale */
		char *pool;
		char *name_prefix;  /* + PP_NAME_SUFFIX_LEN random [a-z0-9] */
		long reserved_ram_mb;     /* reserved on new cloud nodes */
		long min_usable_ram_mb;   /* floor for a new node's type */
		struct pp_strlist server_types; /* allowed; empty = all */
		char *type_choice;        /* new workers: cheapest_per_gb,
					   * smallest_fit or cheapest */
		int reconcile;
		long catalog_ttl;
		long boot_timeout;
		long join_timeout;        /* created -> marked ready */
		char *ready_check;        /* "registry" or "health" */
		char *health_url;         /* {ip}, {private_ip}, {name} */
		long refusal_ttl;
		long orphan_grace;
		long orphan_delete_max;   /* more at once: none deleted */
		long connect_timeout;
		long request_timeout;
		long action_timeout;
		double poll_interval;
		long retries;
		double retry_base;
		double retry_max;
		long rate_reserve;
		long deadline;
		struct {
			char *file;
			long boot_seconds;
			long server_limit;
			int agent_joins;  /* marks its running nodes ready */
		} local;
		size_t ncatalog;
		struct pp_type_conf *catalog;
	} cloud;

	struct {
		char *template_path;
		char *agent_version;
		char *agent_url;
		char *conductor_url;
		struct pp_strlist conductor_addresses;
		char *join_token_file;
		struct pp_strlist join_token_command;
		long join_token_timeout;
		char *agent_sha256;
		long agent_port;
		char *game_ports;
		struct pp_strlist ssh_sources;
	} cloud_init;

	struct {
		long min_cloud_nodes;
		long max_cloud_nodes;
		double max_hourly_eur;
	} limits;

	struct {
		long deadline;
		struct pp_strlist move_command;
		long move_timeout;
		long player_grace;
	} drain;

	struct {
		char *file;
		char *webhook_url;
		double webhook_timeout;
		long webhook_retries;
	} events;

	struct {
		char *database; /* postgresql:// URL, or NULL: files */
	} control;

	struct {
		char *textfile;
	} metrics;

	struct {
		long retention;
	} history;

	struct {
		char *url;
		double timeout;
		struct pp_longlist horizons;
	} forecast;

	/* The settings of each section of the table the config was loaded
	 * with (the policies'): read them with pp_config_section. */
	size_t nsections;
	const struct pp_conf_section **sections;
	void **section;
	struct pp_conf_schema *schema; /* private: every key, flattened */
	/* NULL, or what `pp-config check` refuses ("config 'FILE' line N:
	 * ...") though the tools load the config: a headroom slot no
	 * allowed type holds, which pp-decide copes with and reports at
	 * decide time; the hetzner provider with no join token
	 * configured. Refusing it at load would stop every tool of
	 * an install already running it. */
	char *verdict;
};

/* What pp-provision does while it cannot use the cloud (no API token,
 * say): said by pp-config's no-token warning and by pp-provision's own
 * warning, in the same words. Without the cloud it neither converges
 * (orphans, lost nodes) nor looks at the nodes provisioning (booted:
 * promoted; failing to boot: deleted). */
#define PP_NO_CLOUD_PROVISION "pp-provision fails every scale-up and " \
	"scale-down and, on every other run, warns and leaves orphaned " \
	"servers, lost nodes and nodes still provisioning (booted or " \
	"failing to boot) as they are"

/* For `pp-config check`: warns, on stderr, of what the check cannot
 * judge from here (an API token only in this environment, which cron
 * and systemd do not pass on, or none here, which they may still pass;
 * no join token with the local provider),
 * and notes that a join token command was not run. Prints no token. */
void pp_config_check_notes(const struct pp_config *c);

/* cloud.type_choice and policies.spare.type_choice */
enum pp_type_choice {
	PP_TC_CHEAPEST_PER_GB, PP_TC_SMALLEST_FIT, PP_TC_CHEAPEST
};
/* The enum for a choice's name; -1 for anything else. */
int pp_type_choice_parse(const char *s);

/* Loads path (NULL: built-in defaults only) with the config's own keys
 * and those of the n sections in secs (the policies' keys under
 * "policies", in this order; the engine's table, which the tools pass
 * with pp_engine_config_load). On error returns NULL and writes
 * "config 'FILE' line N: ..." into err. */
struct pp_config *pp_config_load(const char *path,
	const struct pp_conf_section *const *secs, size_t n, char *err,
	size_t errlen);
/* Same, from a YAML string (for tests and fuzzing); name labels errors;
 * yaml NULL: the built-in defaults. */
struct pp_config *pp_config_parse(const char *yaml, size_t len,
	const char *name, const struct pp_conf_section *const *secs,
	size_t n, char *err, size_t errlen);
void pp_config_free(struct pp_config *c);

/* Resolved paths: flag beats config beats environment beats default.
 * Returned strings are owned by the caller. */
char *pp_state_dir(const struct pp_config *c, const char *flag);
char *pp_state_path(const struct pp_config *c, const char *flag,
	const char *name);
char *pp_registry_path(const struct pp_config *c, const char *state_flag,
	const char *flag);
/* What a registry (the registry key, -r) may be, as pp_registry_open
 * tells them apart: a file path (colons and all), or a URL of one of
 * these schemes. */
#define PP_REGISTRY_TAKES "a file path, or a file://, http://, https://, " \
	"postgresql:// or postgres:// URL"
/* 0 when path is a file path or a URL of a scheme in PP_REGISTRY_TAKES;
 * else -1 and "unknown URL scheme 'ftp' (...)" in err: read as a file,
 * such a URL would be a relative path of that name. */
int pp_registry_scheme_check(const char *path, char *err, size_t errlen);

/* s as pp_config_print shows a value that may hold a secret: a URL's
 * password, a query's token= (and the like) and a libpq password=
 * replaced by <redacted>, other URLs cut as pp_url_redact does. Caller
 * frees. */
char *pp_config_redact(const char *s);
/* Prints the whole configuration as YAML that loads back to the same
 * values: every key, defaults and profile applied, secrets in URLs and
 * connection strings replaced by <redacted>. */
void pp_config_print(const struct pp_config *c, FILE *f);
/* Prints every key, tab-separated: path, type, shipped default (the
 * default profile's), help, and the seed's value where it differs. */
void pp_config_dump_keys(const struct pp_conf_section *const *secs,
	size_t n, FILE *f);
/* The settings of section s (its struct), or NULL when the config was
 * loaded without it. */
const void *pp_config_section(const struct pp_config *c,
	const struct pp_conf_section *s);
/* Looks a type up in the configured catalog. */
const struct pp_type_conf *pp_config_type(const struct pp_config *c,
	const char *name);

#endif
