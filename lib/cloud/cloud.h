/* cloud.c: the cloud provider interface (DESIGN section 5) */
#ifndef PP_CLOUD_H
#define PP_CLOUD_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "conf/catalog.h"
#include "conf/config.h"

/* What went wrong, as the provider said it. */
struct pp_cloud_error {
	char code[64];        /* the API's code ("resource_unavailable",
	                       * "not_found", ...), or ours: "transport",
	                       * "timeout", "action_failed", "config",
	                       * "dry_run", "unsupported_location" (the
	                       * API's invalid_input "unsupported location
	                       * for server type");
	                       * "" when there was no error */
	int http_status;      /* 0 when there was no HTTP answer */
	char message[512];    /* for humans; never holds the token */
	int retryable;        /* worth trying again later */
	int unknown;          /* a create whose outcome nobody could read:
	                       * the server may exist under its name; a
	                       * power-on the API may have taken */
};

struct pp_server {
	char *id;             /* the provider's id, as a string */
	char *name;
	char *status;         /* initializing, starting, running, off, ... */
	char *type;           /* server type name */
	double type_memory_gb; /* its type's memory as the server tells
	                       * (0: unknown), for a type the catalog has
	                       * stopped listing */
	char *location;       /* nbg1, ... */
	char *ipv4;           /* NULL when it has none */
	char *private_ip;     /* first private network address, or NULL */
	struct pp_strmap labels;
	time_t created;       /* 0 when unknown */
	int delete_protected; /* the provider refuses to delete it (hetzner:
	                       * protection.delete, set in its console) */
};

struct pp_server_list {
	size_t n;
	struct pp_server *v;
};

/* What to create. Lists and maps may be NULL (none). */
struct pp_server_spec {
	const char *name;     /* unique, an RFC 1123 host name */
	const char *type;
	const char *image;
	const char *location;
	const char *user_data;         /* NULL: none */
	const struct pp_strmap *labels;
	const struct pp_strlist *ssh_keys;    /* names or ids */
	const struct pp_strlist *networks;    /* ids */
	const struct pp_strlist *firewalls;   /* ids */
	const char *placement_group;          /* id or NULL */
};

/* One request as it would go over the wire: recorded for every request
 * the hetzner provider sends, and for every mutating request of either
 * provider in dry-run mode (then not sent). Never holds the token. */
struct pp_cloud_request {
	char *method;         /* "POST", "DELETE", "GET" */
	char *path;           /* relative to the endpoint, with query */
	char *body;           /* JSON text, or NULL */
	int sent;             /* 0: dry run, not sent */
	long status;          /* HTTP status; 0 when not sent or no answer */
};

/* A create sent whose actions (create_server, then its next_actions:
 * start_server, one attach_to_network per network, one apply_firewall
 * per firewall) may still run: pp_cloud_create_start fills it,
 * pp_cloud_wait_actions waits for many of them together. As many
 * actions as the answer names are kept: one left out would not be
 * waited for, and its failure would go unseen. */
struct pp_cloud_pending {
	char *server_id;
	long long *actions;   /* nactions of them */
	unsigned char *astate;   /* 0 running, 1 done */
	size_t nactions;
	/* the outcome: 0 not waited for yet, 1 every action succeeded
	 * (or there was none to wait for), -1 an action failed (err;
	 * deleted: 1 the server was deleted again, -1 deleting it failed), -2 still running at
	 * cloud.action_timeout or unreadable (err: "timeout",
	 * "action_unknown"): the server exists and may still boot */
	int state;
	int deleted;
	double waited;        /* seconds waited for its actions */
	struct pp_cloud_error err;
};
void pp_cloud_pending_free(struct pp_cloud_pending *p);

struct pp_cloud;

/* What the provider says of the image servers are made from
 * (cloud.image, for cloud.architecture). */
enum pp_image_state {
	PP_IMAGE_UNKNOWN,     /* not looked at, or the look-up failed */
	PP_IMAGE_OK,
	PP_IMAGE_DEPRECATED,  /* still there; removed some time later */
	PP_IMAGE_MISSING,     /* no such image: every create fails */
	PP_IMAGE_NOT_AVAILABLE, /* there, but its status is not
	                       * "available" (creating, unavailable):
	                       * creates from it fail while it is */
	PP_IMAGE_OTHER_ARCH   /* given by id, and of another architecture
	                       * than cloud.architecture: every create
	                       * fails */
};
struct pp_image_check {
	enum pp_image_state state;
	time_t deprecated;    /* PP_IMAGE_DEPRECATED: since (or from) when */
	int by_id;            /* looked up by id, for no architecture */
	char status[24];      /* PP_IMAGE_NOT_AVAILABLE: the API's status */
	char architecture[16]; /* PP_IMAGE_OTHER_ARCH: the image's */
};

/* A provider. Every operation returns 0, or -1 with *err filled. */
struct pp_cloud_ops {
	const char *name;     /* "hetzner", "local" */
	/* Creates a server and waits for its actions (create_server and
	 * its next_actions) to succeed (a server whose create failed is
	 * deleted again). *out is the
	 * server as created (usually "initializing"). The POST is sent at
	 * most once per attempt; after an outcome it cannot read (no
	 * answer, a timeout, a 5xx, a uniqueness_error) it looks the name
	 * up and takes a server of that name carrying spec->labels as the
	 * one it made; when even that look-up fails, err->unknown is set.
	 * c->on_created is called as soon as the server's id is known,
	 * before any wait. */
	int (*create)(struct pp_cloud *c, const struct pp_server_spec *spec,
		struct pp_server *out, struct pp_cloud_error *err);
	/* Deletes; code "not_found" when it was already gone. */
	int (*destroy)(struct pp_cloud *c, const char *id,
		struct pp_cloud_error *err);
	/* All servers matching a label selector ("" or NULL: all). */
	int (*list)(struct pp_cloud *c, const char *selector,
		struct pp_server_list *out, struct pp_cloud_error *err);
	/* One server; code "not_found" when there is none. */
	int (*get)(struct pp_cloud *c, const char *id, struct pp_server *out,
		struct pp_cloud_error *err);
	/* The server-type catalog (source "hetzner" or "local"). */
	int (*server_types)(struct pp_cloud *c, struct pp_catalog *out,
		struct pp_cloud_error *err);
	/* Polls until the server is running; code "timeout" when it is
	 * not by then. */
	int (*wait_ready)(struct pp_cloud *c, const char *id, double timeout,
		struct pp_server *out, struct pp_cloud_error *err);
	void (*close)(struct pp_cloud *c);
	/* Optional (NULL: create waits): sends the create as create does
	 * but returns without waiting for its actions, which go into
	 * *pend. */
	int (*create_start)(struct pp_cloud *c,
		const struct pp_server_spec *spec, struct pp_server *out,
		struct pp_cloud_pending *pend, struct pp_cloud_error *err);
	/* Optional: waits for the actions of n pending creates together,
	 * up to timeout seconds, and deletes a server whose action
	 * failed. */
	void (*wait_actions)(struct pp_cloud *c, struct pp_cloud_pending *v,
		size_t n, double timeout);
	/* Optional (NULL: list filtered by name): the servers named name,
	 * asked of the provider by that name alone. */
	int (*find_name)(struct pp_cloud *c, const char *name,
		struct pp_server_list *out, struct pp_cloud_error *err);
	/* Optional (NULL: never asked): 1 when an action runs on the
	 * server, 0 when none does, -1 with err. */
	int (*busy)(struct pp_cloud *c, const char *id,
		struct pp_cloud_error *err);
	/* Optional: powers a server that is off on, its action not
	 * waited for; err->unknown when it failed but may have been
	 * taken. */
	int (*power_on)(struct pp_cloud *c, const char *id,
		struct pp_cloud_error *err);
	/* Optional: how many start actions (a create's start, a
	 * power-on's) the server has, whatever their status; -1 with
	 * err. */
	long (*starts)(struct pp_cloud *c, const char *id,
		struct pp_cloud_error *err);
	/* Optional (NULL: never looked at): what the provider says of the
	 * image cloud.image names, for cloud.architecture; -1 with err
	 * when it cannot be asked. */
	int (*image)(struct pp_cloud *c, struct pp_image_check *out,
		struct pp_cloud_error *err);
};

struct pp_cloud {
	const struct pp_cloud_ops *ops;
	void *priv;
	const struct pp_config *cfg;
	char *state_dir;
	/* Longest one operation may take, retries and waits included
	 * (cloud.deadline); pp_cloud_set_deadline overrides it for the
	 * next operations. */
	double op_timeout;
	double deadline;      /* pp_monotonic() time, 0 = per operation */
	int dry_run;
	size_t nrequests;
	struct pp_cloud_request *requests;
	long dry_ids;
	/* Called by create as soon as a new server's id is known, before
	 * it waits for anything (NULL: not called). */
	void (*on_created)(void *arg, const struct pp_server *s);
	void *on_created_arg;
	/* counters the hetzner provider keeps (0 for local) */
	long http_requests;
	double waited;
	/* The provider's clock less this host's, in seconds, from its
	 * answers (Hetzner's Date header); 0 when unknown or within
	 * PP_CLOCK_TOLERANCE. Every server's "created" the wrappers below
	 * hand out is moved onto this host's clock by it, so a boot's age
	 * (cloud.join_timeout) and the paid hour are counted right on a
	 * host whose clock is off. */
	long long clock_skew;
};

/* A clock difference smaller than this is left alone: the Date
 * header has whole seconds, and no age ppscale counts needs finer. */
#define PP_CLOCK_TOLERANCE 30

/* Opens the configured provider (cloud.provider). state_dir is where
 * the local provider keeps its cloud (NULL: the configured one).
 * Returns NULL with err filled (code "config") on a bad setting, a
 * token file readable by others, no token, or a plain-http endpoint
 * that is not the local host. */
struct pp_cloud *pp_cloud_open(const struct pp_config *cfg,
	const char *state_dir, struct pp_cloud_error *err);
void pp_cloud_close(struct pp_cloud *c);

/* The checks the hetzner provider makes of cloud.token_file when it
 * opens, for pp-config check: the file opened with pp_secret_open and
 * read, its token not empty and without blanks (it is never shown).
 * Made whenever the file is set, $HCLOUD_TOKEN or not: the tools read
 * the file where the variable is not set, as under cron and the unit.
 * Nothing to check (0) for another provider or no file. Returns 0, or
 * with a message in err naming the file -1 (refused) when
 * $HCLOUD_TOKEN is not set here, 1 (a warning) when it is: the tools
 * given it do not read the file. */
int pp_cloud_token_check(const struct pp_config *cfg, char *err,
	size_t errlen);

/* Dry run: create and delete are recorded, not sent, and answer as if
 * they worked (a server "dry-run-N", status "initializing"). Reads
 * still go to the provider. */
void pp_cloud_set_dry_run(struct pp_cloud *c, int on);
/* An absolute deadline (pp_monotonic() seconds) for all operations
 * until reset with 0. No wait or retry passes it. */
void pp_cloud_set_deadline(struct pp_cloud *c, double deadline);

/* The operations, through the provider. */
int pp_cloud_create(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_error *err);
/* Parallel creates: pp_cloud_create_start sends one create and returns
 * once the server's id is known (c->on_created called), its actions in
 * *pend; pp_cloud_wait_actions then waits for the actions of all of
 * them together, up to cloud.action_timeout, each poll bounded by
 * cloud.deadline. A provider without actions (local) creates in
 * create_start and leaves nothing to wait for. */
int pp_cloud_create_start(struct pp_cloud *c,
	const struct pp_server_spec *spec, struct pp_server *out,
	struct pp_cloud_pending *pend, struct pp_cloud_error *err);
void pp_cloud_wait_actions(struct pp_cloud *c, struct pp_cloud_pending *v,
	size_t n);
int pp_cloud_delete(struct pp_cloud *c, const char *id,
	struct pp_cloud_error *err);
/* Looks cloud.image up (ops->image); 0 with state PP_IMAGE_UNKNOWN
 * when the provider has no such look-up (local), -1 with err. */
int pp_cloud_image(struct pp_cloud *c, struct pp_image_check *out,
	struct pp_cloud_error *err);
int pp_cloud_list(struct pp_cloud *c, const char *selector,
	struct pp_server_list *out, struct pp_cloud_error *err);
int pp_cloud_get(struct pp_cloud *c, const char *id, struct pp_server *out,
	struct pp_cloud_error *err);
/* The server named name: 1 with it in *out, 0 when there is none, -1
 * with err. A listing of many pages can miss a server (an item removed
 * from a page already read shifts one out of the next: see
 * cloud_hetzner.c); a question about one name cannot, so a server's
 * absence from a listing is confirmed by this before it is acted on. */
int pp_cloud_find_name(struct pp_cloud *c, const char *name,
	struct pp_server *out, struct pp_cloud_error *err);
int pp_cloud_server_types(struct pp_cloud *c, struct pp_catalog *out,
	struct pp_cloud_error *err);
int pp_cloud_wait_ready(struct pp_cloud *c, const char *id, double timeout,
	struct pp_server *out, struct pp_cloud_error *err);
/* Whether an action runs on the server: 1 yes, 0 no, -1 with err
 * (code "unsupported" when the provider cannot tell). */
int pp_cloud_busy(struct pp_cloud *c, const char *id,
	struct pp_cloud_error *err);
/* Powers a server that is off on; returns once the provider took the
 * request (its action is not waited for). Code "unsupported" when the
 * provider cannot; err->unknown when the failure may hide a power-on
 * the API took (no answer read), 0 when it surely took none. */
int pp_cloud_power_on(struct pp_cloud *c, const char *id,
	struct pp_cloud_error *err);
/* How many start actions the server has (any status): counted before
 * a power-on and again after, they tell whether one whose answer was
 * lost was taken. -1 with err (code "unsupported" when the provider
 * cannot tell). */
long pp_cloud_starts(struct pp_cloud *c, const char *id,
	struct pp_cloud_error *err);
/* The server's status into buf ("running", ...). */
int pp_cloud_status(struct pp_cloud *c, const char *id, char *buf,
	size_t len, struct pp_cloud_error *err);
/* Net hourly price in EUR of a type in a location, from the catalog;
 * code "not_found" for an unknown type or a location without price. */
int pp_cloud_hourly_cost(struct pp_cloud *c, const char *type,
	const char *location, double *eur, struct pp_cloud_error *err);

/* The selector of our pool's servers: "LABEL_KEY=LABEL_VALUE,pool=POOL"
 * ("LABEL_KEY=LABEL_VALUE,!pool", no pool label, when cloud.pool is
 * unset). Caller frees. */
char *pp_cloud_selector(const struct pp_config *cfg);
/* Whether server s is one of ours: it carries our managed_by label and
 * our pool (none when cloud.pool is unset), and is named name, the
 * registered node's, or, with name NULL (a server no node names),
 * cloud.name_prefix and more. The one test of ownership before any
 * adopt or delete. 0 with the reason in why when it is not. */
int pp_cloud_is_ours(const struct pp_config *cfg, const struct pp_server *s,
	const char *name, char *why, size_t len);
/* cloud.ready_check health: the node's health URL from
 * cloud.health_url ({ip}: the public address, else the private one;
 * {private_ip}; {name}), NULL when unset or an address it needs is
 * unknown. Caller frees. */
char *pp_cloud_health_url(const struct pp_config *cfg, const char *name,
	const char *ip, const char *private_ip);
/* 1 when url answers 2xx within a few seconds; 0 with why in err. */
int pp_cloud_health(const char *url, char *err, size_t len);
/* The same for many URLs at once (libcurl's multi interface): all of
 * them take as long as the slowest probe (a few seconds), not as long
 * as all of them one after the other. */
struct pp_health_probe {
	const char *url;
	int ok;
	char why[256];
};
void pp_cloud_health_all(struct pp_health_probe *p, size_t n);

/* The labels every server we create carries: cloud.labels, the
 * managed_by label and the pool; role added when not NULL. */
void pp_cloud_labels(const struct pp_config *cfg, const char *role,
	struct pp_strmap *out);

/* The POST /servers body for a spec (shared by both providers and the
 * dry-run log). */
json_object *pp_server_spec_json(const struct pp_server_spec *spec);

/* The request log; pp_cloud_requests_json gives
 * [{"method","path","body" (parsed JSON or null),"sent","status"}]. */
void pp_cloud_record(struct pp_cloud *c, const char *method,
	const char *path, const char *body, int sent, long status);
json_object *pp_cloud_requests_json(const struct pp_cloud *c);

json_object *pp_server_json(const struct pp_server *s);
json_object *pp_cloud_error_json(const struct pp_cloud_error *e);
void pp_server_free(struct pp_server *s);
void pp_server_list_free(struct pp_server_list *l);
void pp_cloud_error_set(struct pp_cloud_error *e, const char *code,
	int http_status, int retryable, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The providers (for pp_cloud_open). */
int pp_cloud_hetzner_open(struct pp_cloud *c, struct pp_cloud_error *err);
int pp_cloud_local_open(struct pp_cloud *c, struct pp_cloud_error *err);
/* A Hetzner API answer parsed as the client parses it, without a
 * connection (fuzzing, tests); see cloud_hetzner.c. */
int pp_hetzner_parse_answer(long status, const char *text, size_t len,
	struct pp_server_list *servers, struct pp_catalog *types,
	struct pp_cloud_error *err);

#endif
