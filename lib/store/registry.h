/* registry.c: the node registry file (DESIGN section 3) */
#ifndef PP_REGISTRY_H
#define PP_REGISTRY_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "base/util.h"

#define PP_REGISTRY_VERSION 1
#define PP_REGISTRY_MAX (512u * 1024 * 1024)
/* Largest player count of one game server; more is clamped. */
#define PP_PLAYERS_MAX 1000000

enum pp_kind { PP_KIND_DEDICATED, PP_KIND_CLOUD };
enum pp_status {
	PP_ST_PROVISIONING, PP_ST_READY, PP_ST_DRAINING, PP_ST_UNHEALTHY,
	PP_ST_COUNT
};
enum pp_role { PP_ROLE_WORKER, PP_ROLE_SPARE };
enum pp_cstate {
	PP_CS_STARTING, PP_CS_RUNNING, PP_CS_STOPPING, PP_CS_STOPPED
};

const char *pp_kind_name(int kind);
const char *pp_status_name(int status);
const char *pp_role_name(int role);
const char *pp_cstate_name(int state);
int pp_status_parse(const char *s);   /* -1 when unknown */

struct pp_container {
	const char *id;
	long long ram_mb;     /* as recorded */
	int state;
	long long players;
	json_object *obj;
};

struct pp_node {
	const char *id;
	int kind, status, role;
	long long total_ram_mb, reserved_ram_mb;
	const char *ip, *location;
	int has_cloud;
	const char *provider, *server_id, *server_type, *server_name;
	double hourly_cost_eur;
	time_t created_at;    /* 0 when unknown */
	size_t ncontainers;
	struct pp_container *containers;
	/* derived */
	long long usable_ram_mb;   /* total - reserved */
	long long allocated_ram_mb; /* held by starting/running/stopping */
	long long largest_container_mb;
	long long players;
	size_t stopped;
	json_object *obj;
};

struct pp_registry {
	char *path;           /* file path, or the URL it came from */
	json_object *root;    /* the whole file, unknown fields kept */
	size_t nnodes;
	struct pp_node *nodes;
	struct pp_lock lock;  /* held from open to close when locked */
};

/* RAM a container holds in its state. */
long long pp_container_ram(const struct pp_container *c);

/* Reads and checks a registry. path may be a file or an http(s)://
 * or file:// URL (read-only). mode is 0 (no lock held afterwards; a
 * shared lock is taken while reading), PP_LOCK_SH or PP_LOCK_EX (held
 * until pp_registry_close). On error writes a message naming the node
 * and field into err and returns -1 for bad or missing content (exit
 * 2) or -2 when the lock could not be had (exit 1). */
int pp_registry_open(struct pp_registry *r, const char *path, int mode,
	char *err, size_t errlen);
/* Checks and indexes r->root (after loading or after edits). */
int pp_registry_index(struct pp_registry *r, char *err, size_t errlen);
/* Parses registry text without any file (tests, fuzzing). */
int pp_registry_parse(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen);
/* Writes r->root back atomically; the registry must be open with
 * PP_LOCK_EX. Re-indexes. Returns 0 or -1 with errno set. */
int pp_registry_save(struct pp_registry *r);
void pp_registry_close(struct pp_registry *r);

struct pp_node *pp_registry_find(struct pp_registry *r, const char *id);
/* Edits on the JSON; call pp_registry_index (or save) afterwards. */
void pp_node_set_status(struct pp_node *n, int status);
int pp_registry_remove(struct pp_registry *r, const char *id);
json_object *pp_registry_nodes(struct pp_registry *r);

#endif
