/* provision_int.h: what the files of pp-provision's run share: the
 * run's state and the steps one file offers another. Not for other
 * tools: they call pp_provision_run (run/provision.h). */
#ifndef PP_PROVISION_INT_H
#define PP_PROVISION_INT_H

#include <json-c/json.h>
#include <time.h>

#include "cloud/cloud.h"
#include "conf/catalog.h"

struct pp_config;
struct pp_provision_opts;
struct pp_registry;
struct pp_server;


/* Longest a delete may hold the registry lock: other writers wait 30 s
 * for it. */
#define DELETE_LOCK_BUDGET 20.0
/* Attempts at a fresh random name after a name collision. */
#define NAME_TRIES 3
#define SUFFIX_LEN PP_NAME_SUFFIX_LEN
/* A decision asking for more is not one we trust. */
#define MAX_COUNT 100

struct waiter {
	char *node, *server_id;
	double t0;            /* pp_monotonic() at the create request */
	json_object *entry;   /* its entry in the section */
	int done;
	int off_looks;        /* looks in a row: off, no action running */
	int powered;          /* powered on by this run (once) */
	int check;            /* its answer lost: count the starts again */
	long starts_before;   /* the start actions before it */
	int again;            /* powered on a second time (once) */
};

/* One node of the document's list (pp-fleetstats' figures of the
 * registry), as pp-provision reads it. has_cloud: the node has a cloud
 * object (its entry has "provider", maybe null). */
struct pp_prov_dnode {
	char *id, *kind, *status, *role, *server_id, *provider;
	char *server_type, *location, *created_at, *ip, *draining_by;
	int has_cloud;
	int delete_protected; /* "delete_protected": true */
};

struct run {
	const struct pp_config *cfg;
	const struct pp_provision_opts *o;
	json_object *doc;
	char *rpath, *spath;
	int dry_run;
	const char *action;
	const char *why;      /* decision.reason */
	time_t now;
	double m0;
	struct pp_cloud *cloud;
	struct pp_cloud_error cloud_err;
	struct pp_catalog cat;
	int have_cat;
	json_object *servers; /* the section's per-server entries */
	json_object *refusals; /* new refusals: key -> {until, code} */
	json_object *state_refusals; /* as read from the state file */
	int errors;
	int acted;            /* the decision's action did something */
	int touched;          /* anything at all to report */
	int stale;            /* the decision was too old to carry out */
	int frozen;           /* local provider on --now: no boot here */
	const char *status;
	char reason[768];
	size_t nw;
	struct waiter *w;
	struct pp_server_list ours; /* our pool's servers, listed once */
	int have_ours;
	char ours_err[512];   /* why they could not be listed */
	long orphans_deleted, nodes_forgotten, adopted;
	int orphans_held;     /* more than cloud.orphan_delete_max: none
	                       * deleted nor adopted this run */
	/* the servers of ours registry nodes have named (the state's
	 * node_servers as this run leaves it; NULL: not looked at, the
	 * section stays as it is), and those held this run because a
	 * node named them and none does now: not adopted either */
	json_object *nodesrv_now, *former;
	/* per --delete-orphan ID: PP_NAMED_*; and the servers (at in
	 * ours.v) to delete at the run's end */
	unsigned char *named_done;
	size_t *named_del, nnamed_del;
	/* node_servers as the state holds it, for the boot step when
	 * converge did not look at it (NULL: not read, or unreadable) */
	json_object *joined_mem;
	int joined_read;
	char state_err[768];  /* why the state could not be read */
	char other_msg[512];  /* the listing looks like another project's */
	long foreign;         /* listed with our labels, not ours: new */
	/* the document's node list, read once (pp_prov_doc_nodes) */
	struct pp_prov_dnode *dnodes;
	size_t ndnodes, dnodes_cap;
	char *dnodes_strs;    /* their strings, when read from the text */
	int dnodes_read;      /* 1 read, -1 the document has none */
	long boots_failed;    /* deleted: not running or not joined in time */
	/* our unregistered servers the cloud refuses to delete, as the
	 * state's protected_orphans (NULL: not looked at this run), and
	 * their entries in the section */
	json_object *prot_now, *prot_entries;
	/* the same for the servers listed with our labels that are not
	 * ours, as the state's foreign_servers */
	json_object *foreign_now, *foreign_entries;
	/* the same for the registry nodes' servers that no longer carry
	 * our labels, as the state's stranded_servers */
	json_object *stranded_now, *stranded_entries;
	json_object *stranded_unseen; /* server ids of nodes converge did
	                               * not look at this run: kept */
	/* the server the delete guard last refused as not ours (as it
	 * read it), for a scale-down to tell a stranded node */
	struct pp_server refused;
	int have_refused;
	/* server ids whose stranded report a refusal has said on stderr
	 * already: no second warning (the event is the report's) */
	json_object *stranded_said;
	/* cloud.ready_check health: this run's probes of the agents and
	 * their answers (probe_node[i] is probes[i]'s node): one asked
	 * already is not asked again; many are asked at once */
	struct pp_health_probe *probes;
	char **probe_node;
	size_t nprobes;
	/* servers of earlier runs' nodes seen off with nothing running on
	 * them: the state's off_servers as read (once, when one is off),
	 * and as this run leaves it (NULL: the nodes provisioning were not
	 * read, the section stays as it is) */
	json_object *off_prev, *off_now;
	int off_read;
};


/* provision_reg.c: the run's records: reason, events, section
 * entries, registry writes, refusals and the state file */
void pp_prov_set_reason(struct run *x, const char *status,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pp_prov_add_str(json_object *o, const char *k, const char *v);
/* A warning that -q does not hide: money billed for nothing, or a
 * delete refused. */
void pp_prov_loud(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pp_prov_event(struct run *x, const char *type, const char *node,
	const char *server_id, const char *stype, const char *loc,
	const char *result, const char *reason);
/* What became of a --delete-orphan argument: not seen in the listing
 * (yet), answered (deleted, or said why not), its server to be deleted
 * at the run's end. */
enum { PP_NAMED_UNSEEN, PP_NAMED_DONE, PP_NAMED_PENDING };
/* Deletes the servers --delete-orphan named that converge found
 * deletable, after the decision is carried out (a run that dies on a
 * bad decision deletes none); each said, and one not deleted an error
 * of the run. */
void pp_prov_named_delete(struct run *x);
/* --delete-orphan arg (naming server s; NULL: none listed) is not
 * carried out, for code and the reason in fmt: its entry, refused, an
 * error of the run, said on stderr. */
void pp_prov_named_refuse(struct run *x, const char *arg,
	const struct pp_server *s, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
json_object *pp_prov_entry(struct run *x, const char *op, const char *node,
	const char *id, const char *name, const char *type, const char *loc,
	const char *role);
void pp_prov_entry_error(struct run *x, json_object *e, const char *code,
	const char *message);
void pp_prov_entry_ips(json_object *e, const struct pp_server *s);
/* The document's node list (a list, or the compact text a lean read
 * keeps): read once, then kept in x. -1 when the document has none:
 * then the registry is the caller's to read. */
int pp_prov_doc_nodes(struct run *x, const struct pp_prov_dnode **v,
	size_t *n);
void pp_prov_doc_nodes_free(struct run *x);
int pp_prov_reg_open(struct run *x, struct pp_registry *r, int mode,
	char *err, size_t errlen);
json_object *pp_prov_node_json(struct run *x, const struct pp_server *s,
	const char *role, const char *status);
int pp_prov_reg_add(struct run *x, json_object *node, char *err,
	size_t errlen);
int pp_prov_reg_ready(struct run *x, const char *id,
	const struct pp_server *s, int ready, char *err, size_t errlen);
/* Opens the registry under its lock for the delete of an expired
 * server and looks again at node id: 0 when the server may go (r
 * stays open, to be saved or closed; *mine 1 when the node is still
 * this server's provisioning node, to be removed with it, 2 when it is
 * marked draining by expire already), 1 when the
 * platform has marked the node since (ready, unhealthy...), 2 when
 * game servers are recorded on it (r closed and err says why in both),
 * 3 when another node names the server (pp_prov_reg_shared; r closed,
 * err the refusal), -1 with err. */
int pp_prov_reg_expire_open(struct run *x, struct pp_registry *r,
	const char *id, const char *server_id, int *mine, char *err,
	size_t errlen);
/* The last guard before a delete, under the lock r holds: whether a
 * node other than node names server_id of provider (NULL: the
 * configured one), whose server the delete would take (a registry row
 * copied under another id). 1 with the refusal in err (also when the
 * registry cannot tell), else 0. */
int pp_prov_reg_shared(struct run *x, struct pp_registry *r,
	const char *node, const char *provider, const char *server_id,
	char *err, size_t errlen);
/* Records the intent to create server name (type, location, role,
 * labels; provisioning, no server id) before its create is sent, or
 * updates the location of that intent; 1 when a node of that name has
 * a server already, -1 with err. */
int pp_prov_reg_intent(struct run *x, const char *name, const char *type,
	const char *loc, const char *role, const struct pp_strmap *labels,
	char *err, size_t errlen);
/* Gives node name its server (the id once known); adds the node when
 * it is gone. 0, -1 with err. */
int pp_prov_reg_set_server(struct run *x, const char *name,
	const struct pp_server *s, const char *role, char *err,
	size_t errlen);
/* Removes node id if its server is server_id (NULL: if it has none). */
int pp_prov_reg_remove(struct run *x, const char *id, const char *server_id,
	char *err, size_t errlen);
int pp_prov_refused(struct run *x, const char *type, const char *loc);
void pp_prov_add_refusal(struct run *x, const char *type, const char *loc,
	const struct pp_cloud_error *err);
void pp_prov_update_state(struct run *x, const char *result);
void pp_prov_read_refusals(struct run *x);

/* provision_delete.c: deleting servers, the scale-down */
void pp_prov_relabel_hint(struct run *x, const struct pp_server *s,
	char *hint, size_t len, char *cmd, size_t cmdlen);
int pp_prov_guard(struct run *x, const char *id, const char *name,
	struct pp_cloud_error *err);
int pp_prov_delete_server(struct run *x, const char *id, const char *name,
	struct pp_cloud_error *err);
/* ours: PP_EXPIRE_OURS, a boot of this run (its failure is this run's);
 * PP_EXPIRE_RESUMED, a delete an earlier run marked and did not finish
 * (no boot counted again). */
#define PP_EXPIRE_OURS 1
#define PP_EXPIRE_RESUMED 2
void pp_prov_expire(struct run *x, const char *node, const char *server_id,
	const char *type, const char *loc, json_object *e, const char *code,
	const char *why, int ours);
void pp_prov_scale_down(struct run *x, json_object *dec);

/* provision_boot.c: nodes provisioning, from earlier runs or this one */
/* Looks in a row that must find a server off with no action running
 * on it before it is powered on, and again before it counts as stuck:
 * a server's status and its actions are not read in one answer, and
 * the next look is free of any gap between one action's end and the
 * next's start. */
#define OFF_LOOKS 2
void pp_prov_promote(struct run *x, const char *node,
	const struct pp_server *s, json_object *e, const char *why);
void pp_prov_pending_step(struct run *x, int must);
void pp_prov_add_waiter(struct run *x, const char *node,
	const char *server_id, double t0, json_object *e);
void pp_prov_wait_all(struct run *x);

/* provision_converge.c: our pool's servers against the registry */
/* Lists our pool's servers into x->ours (once a run); -1 after a
 * warning. */
int pp_prov_list_ours(struct run *x);
/* Deletes our unregistered servers older than cloud.orphan_grace
 * unless up (then pp_prov_adopt takes them), and removes nodes whose
 * server is gone, except node leave (the scale-down's, NULL: none). */
void pp_prov_converge(struct run *x, int up, const char *leave);
/* Server id, just made or adopted, is node's: remembered in the
 * state's node_servers (when converge looked at them this run). */
void pp_prov_nodesrv_note(struct run *x, const char *id, const char *node);
/* Says which delete-protected orphans and which foreign servers are new
 * since the last run (the state's protected_orphans and foreign_servers
 * in root, as the last run left them; root NULL: unknown, all are new),
 * loudly and with an event, and which are no longer; counts the new
 * foreign ones in x->foreign; writes both sections into root (those
 * this run looked at). */
void pp_prov_report_once(struct run *x, json_object *root);
/* The same when the state could not be read (the caller says so): what
 * the last run reported is unknown, and each server is said with -v
 * only, with no event, rather than all of them again as new. */
void pp_prov_report_unread(struct run *x);
/* The delete guard refused the scale-down of node `node` (drained by a
 * scale-down) because its server s does not carry our labels: when our
 * listing lacks s (not a server of ours under another name), the node
 * is stranded, recorded as converge records one (stranded_servers: its
 * event once, no second warning after the guard's), and 1 is returned;
 * else 0. */
int pp_prov_strand(struct run *x, const char *node,
	const struct pp_server *s);

/* provision_create.c: adopting orphans, creating, the scale-up */
long pp_prov_adopt(struct run *x, const char *role);
void pp_prov_load_catalog(struct run *x);
void pp_prov_scale_up(struct run *x, json_object *dec);

#endif
