/* registry_*.c: the node registry (DESIGN section 3, reg-api in
 * /work/wt/reg-api.md): registry_scan.c and registry_index.c read it
 * into the index, registry_file.c locks, reads, caches and writes the
 * file, registry_edit.c splices edited nodes into the text, and
 * registry_node.c holds the node-level edits below. */
#ifndef PP_REGISTRY_H
#define PP_REGISTRY_H

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <json-c/json.h>

#include "base/util.h"

#define PP_REGISTRY_VERSION 1
/* Largest registry file read (a bound against hostile input, not a
 * fleet size: 100,000 nodes with 20 game servers each take 160 MB). */
#define PP_REGISTRY_MAX (2048ull * 1024 * 1024)
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
	time_t draining_since; /* pp-drain's record; 0 when none or unreadable */
	const char *draining_by; /* scale_down, maintenance, expire; or NULL */
	/* cloud.delete_protected: pp-provision saw the provider refuse to
	 * delete the server (Hetzner's delete protection); a scale-down
	 * never picks the node */
	int delete_protected;
	size_t ncontainers;
	struct pp_container *containers;
	/* derived */
	long long usable_ram_mb;   /* total - reserved */
	long long allocated_ram_mb; /* held by starting/running/stopping */
	long long largest_container_mb;
	long long largest_allocated_mb; /* of those not stopped */
	long long players;
	size_t stopped;
	/* The node's JSON object: parsed from the node's text by the
	 * first edit of the node (or pp_registry_node_object), so that reading the
	 * registry builds no tree. Edits on it are written back by
	 * pp_registry_save as this node's text only. Callers use the
	 * node-level edits below, not this object. */
	json_object *obj;
	const char *text;     /* the node's text in the file, or NULL */
	size_t text_len;
	int removed;          /* by pp_registry_remove, until saved */
	int lazy;             /* PP_REG_LAZY: only id and text are read */
};

struct pp_strings;
struct pp_regpg;

struct pp_registry {
	char *path;           /* file path, or the URL it came from */
	/* The file's text, read by the strict scanner (base/jscan.c)
	 * into the index; or, for text the scanner does not take, the
	 * tree json-c made of it (then text is NULL). */
	char *text;
	size_t len;
	size_t maplen;        /* text is the file mapped (registry_file.c) */
	size_t nodes_open;    /* offset of the nodes list's '[' */
	json_object *root;
	json_object *added;   /* nodes added by pp_registry_nodes */
	struct pp_strings *strings; /* the index's strings (text mode) */
	int readonly;         /* text forgotten: no edits */
	int cacheable;        /* read from a file by pp_registry_open */
	int lazy;             /* nodes not indexed yet (PP_REG_LAZY) */
	size_t nnodes;
	struct pp_node *nodes;
	struct pp_lock lock;  /* held from open to close when locked */
	struct pp_regpg *pg;  /* the PostgreSQL backend (store/regpg.h) */
	/* PP_REG_INDEX_ONLY: the file mapped while it is indexed, its
	 * pages given back as the index passes them (registry_file.c) */
	const char *map;
	size_t released;
	/* the file the text was read from or written as, held open while
	 * the index is cached, and its stat then (registry_file.c) */
	int fd, has_fd;
	struct stat st;
};

/* RAM a container holds in its state. */
long long pp_container_ram(const struct pp_container *c);

/* Reads and checks a registry. path may be a file, an http(s):// or
 * file:// URL (read-only; -2 also when it could not be fetched for a
 * reason that may pass: no answer, a timeout, a 5xx), or a
 * postgresql:// URL (store/regpg.h: the lock is the rows', and -2 also
 * when the database is unreachable). A URL of any other scheme is
 * refused, -1 (pp_registry_scheme_check): no file of its name is read.
 * mode is 0 (no lock held afterwards; a
 * shared lock is taken while reading), PP_LOCK_SH or PP_LOCK_EX (held
 * until pp_registry_close). On error writes a message naming the node
 * and field into err and returns -1 for bad or missing content or a
 * lock file that cannot be opened (exit 2), or -2 when the lock was
 * not granted in time (exit 1). */
int pp_registry_open(struct pp_registry *r, const char *path, int mode,
	char *err, size_t errlen);
/* path as the registry's messages name it (pp_url_shown): an http(s)://
 * URL as the logs show one (pp_url_redact: its user:password@, path
 * and query may hold secrets), a file path whole, a file:// and a
 * postgresql:// URL whole but for their user's password and a query's
 * secret (pp_redact). Allocated. */
char *pp_registry_shown(const char *path);
/* Or'ed into mode 0: only the index is wanted (pp-fleetstats). The file
 * is mapped, not copied, its pages are given back as they are indexed,
 * and the text is gone when pp_registry_open returns (as after
 * pp_registry_forget_text): peak memory is the index, not the text. */
#define PP_REG_INDEX_ONLY 0x100
/* Or'ed into PP_LOCK_EX: a few node-level edits are wanted, found by
 * pp_registry_find (pp-provision). When the file is the very one a
 * ppscale writer last checked whole and wrote or read under the
 * exclusive lock (the stamp it leaves in the lock file: device, inode,
 * size, mtime and ctime; writers replace the registry by rename,
 * never in place), it is not checked again: each node is indexed when
 * it is first found (r->nodes[i].lazy until then; do not read
 * r->nodes directly), and pp_registry_add indexes them all. Otherwise
 * the open is the usual one. */
#define PP_REG_LAZY 0x200
/* PP_REG_LAZY also serves mode 0 (a reader: pp-drain's check before a
 * move), the stamp read under the shared lock; and a lazy index kept
 * in the cache (pp-drain's next open) is given only to a lazy open. A
 * reader that checked the whole file under the shared lock stamps it
 * too when the lock file exists and can be written (pp-fleetstats). */
/* Indexes every node of a registry opened with PP_REG_LAZY, for a
 * reader of r->nodes (pp-drain's plan when its document does not list
 * the registry's nodes). 0, or -1 when a node does not read (the stamp
 * lied; a warning says which). */
int pp_registry_index_all(struct pp_registry *r);
/* Checks and indexes the registry again (r->text, else r->root). */
int pp_registry_index(struct pp_registry *r, char *err, size_t errlen);
/* Parses registry text without any file (tests, fuzzing): the scanner
 * first, json-c when the scanner does not take the text. */
int pp_registry_parse(struct pp_registry *r, const char *text, size_t len,
	const char *name, char *err, size_t errlen);
/* The two readings apart, for the fuzzer that holds them to the same
 * index: the scanner's returns -3 when it does not take the text. */
int pp_registry_parse_text(struct pp_registry *r, const char *text,
	size_t len, const char *name, char *err, size_t errlen);
int pp_registry_parse_tree(struct pp_registry *r, const char *text,
	size_t len, const char *name, char *err, size_t errlen);
/* Writes the registry back atomically, compact (or as it came): read
 * as text, only the text of edited, removed and added nodes changes.
 * The registry must be open with PP_LOCK_EX. Re-indexes (node pointers
 * taken before are stale). Returns 0 or -1 with errno set. */
int pp_registry_save(struct pp_registry *r);
/* The text pp_registry_save writes (malloc'd, *len bytes). */
char *pp_registry_render(struct pp_registry *r, size_t *len);
/* What pp_registry_save does, without the file: the edits become the
 * registry's text and index (for tests and the fuzzer; the text is
 * copied to *out when out is not NULL). Returns 0 or -1. */
int pp_registry_apply(struct pp_registry *r, char **out, size_t *outlen);
/* pp_registry_save then pp_registry_close, for a caller done with the
 * registry: the text written is not read again. r is closed either
 * way; returns 0 or -1 with errno set. */
int pp_registry_commit(struct pp_registry *r);
void pp_registry_close(struct pp_registry *r);

/* Frees the text of a registry read without a lock kept (mode 0) when
 * only the index is needed from here on: a big fleet's text is then
 * not held while its document is written. Nodes found afterwards have
 * no obj, and nothing can be saved. */
void pp_registry_forget_text(struct pp_registry *r);

/* The node of that id (not one added since the open), or NULL. */
struct pp_node *pp_registry_find(struct pp_registry *r, const char *id);
/* Nodes naming the same cloud server (registry_servers.c): the same
 * cloud.server_id and the same cloud.provider, an unset provider on
 * either side counting as dflt (the configured one). The file registry
 * does not refuse such rows (PostgreSQL's unique index does): a
 * platform's copy of a row under a new id names the server of the node
 * it copied. */
/* A node other than the one of id except (NULL: any) that names server
 * server_id of provider: 1 with *other, 0 when none. Under PP_REG_LAZY
 * every node is looked at, and only those whose text may hold the id
 * are indexed; -1 (warned) when such a node does not read, as
 * pp_registry_find's NULL. */
int pp_registry_server_named(struct pp_registry *r, const char *provider,
	const char *server_id, const char *dflt, const char *except,
	const struct pp_node **other);
/* Of the indexed nodes, the count of those naming a server an earlier
 * node names, the first such pair in *a (the earlier) and *b. */
size_t pp_registry_dup_servers(const struct pp_registry *r,
	const char *dflt, const struct pp_node **a, const struct pp_node **b);

/* The node's JSON object as the registry holds it (parsed from its
 * text on first use; owned by the registry, until save or close). */
json_object *pp_registry_node_object(struct pp_node *n);

/* ---- Node-level edits ---------------------------------------------
 * On a registry open with PP_LOCK_EX (or parsed): each edit changes one
 * node, and that node's index entry at once (its pp_node shows the
 * edit; other node pointers stay valid); pp_registry_save or
 * pp_registry_commit writes them all in one rewrite, where only the
 * text of the nodes edited changes. Each returns 0, or -1 when the
 * node (or game server) is not in the registry: nothing changed. */

/* Registers a node: node is its JSON object (ppscale-registry(5)),
 * taken over either way. 1 (nothing added) when a node of that id, or
 * of that cloud.server_id, is there already. */
int pp_registry_add(struct pp_registry *r, json_object *node);
/* Forgets a node. */
int pp_registry_remove(struct pp_registry *r, const char *id);
/* Sets a node's status (pp-registry status, pp-provision). */
int pp_registry_set_status(struct pp_registry *r, const char *id,
	int status);
void pp_node_set_status(struct pp_node *n, int status);
/* Marks a node draining since `since`, by `by` (scale_down,
 * maintenance, or PP_DRAIN_BY_EXPIRE; NULL keeps the draining_by
 * recorded). */
/* pp-provision deletes the node's server, which did not boot or join in
 * time: committed before the delete, so that the platform can neither
 * mark the node ready nor place on it while the server goes, whatever
 * happens to the lock; a later run finishes what a failed one began. */
#define PP_DRAIN_BY_EXPIRE "expire"
int pp_registry_mark_draining(struct pp_registry *r, const char *id,
	time_t since, const char *by);
/* Returns a draining node to ready, dropping draining_since/_by. */
int pp_registry_uncordon(struct pp_registry *r, const char *id);

/* What pp-provision learns of a node's cloud server; NULL fields are
 * left as they are. */
struct pp_node_server {
	const char *server_id, *server_type, *location;
	const char *ip, *private_ip;
};
/* Records the server of a cloud node (server_id, server_type under
 * "cloud"; location, ip, private_ip on the node). -1 also when the node
 * has no cloud object. */
int pp_registry_set_server(struct pp_registry *r, const char *id,
	const struct pp_node_server *s);
/* Records (on) or drops cloud.delete_protected: the provider refuses
 * to delete the node's server. -1 also when the node has no cloud
 * object. */
int pp_registry_set_protected(struct pp_registry *r, const char *id,
	int on);
/* Marks a node ready, with its addresses when not NULL. */
int pp_registry_mark_ready(struct pp_registry *r, const char *id,
	const char *ip, const char *private_ip);
/* Records a node's addresses (when not NULL), its status unchanged: a
 * node whose server runs waits for the platform's ready mark. */
int pp_registry_set_addresses(struct pp_registry *r, const char *id,
	const char *ip, const char *private_ip);

/* Game servers on a node. state is enum pp_cstate; in
 * pp_registry_set_container, -1 (or NULL state) leaves a field. */
int pp_registry_place(struct pp_registry *r, const char *node,
	const char *server, long long ram_mb, int state, long long players);
int pp_registry_unplace(struct pp_registry *r, const char *node,
	const char *server);
int pp_registry_set_container(struct pp_registry *r, const char *node,
	const char *server, long long ram_mb, int state, long long players);
/* Moves a game server's record from one node to another, every field
 * kept (pp-drain, after its move hook). */
int pp_registry_move(struct pp_registry *r, const char *from,
	const char *to, const char *server);

/* The list new node objects were added to before pp_registry_add
 * (json_object_array_add); kept for old callers, prefer
 * pp_registry_add. */
json_object *pp_registry_nodes(struct pp_registry *r);

#endif
