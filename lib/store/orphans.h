/* orphans.c: the "protected_orphans", "foreign_servers",
 * "stranded_servers" and "node_servers" sections of the state file,
 * their one owner. pp-provision writes them, so that
 * it says so when a server first appears or goes, not every cycle:
 * protected_orphans, the servers carrying our labels that no registry
 * node names and that the cloud refuses to delete (delete protection,
 * set and lifted by hand), which pp-status shows; foreign_servers, the
 * servers carrying our labels that no node names and that are not ours
 * all the same (pp_cloud_is_ours), left alone; stranded_servers, the
 * servers of registry nodes that no longer carry our labels (most often
 * a cloud.pool unset or changed on a running install), left alone with
 * their nodes; node_servers, the servers of ours that registry nodes
 * have named (name: the node), kept while they are listed, so that one
 * whose node the registry loses is not deleted as an orphan. All four
 * are
 *
 *   {"<server id>": {"name": "...", "since": RFC3339}}
 *
 * A node_servers entry whose server no node names any more, which
 * pp-provision holds for that, also has "held_since": when it first
 * held it (pp-status shows it, pp-fleetstats counts it as no capacity
 * on its way). One whose node has been seen joined (ready, draining
 * other than by an expire, or unhealthy) has "joined_since" and
 * "joined_node" (that node's id, kept while that node names the
 * server): that node, should it read provisioning again (a registry
 * restored from an older copy), is neither deleted as a failed boot
 * nor powered on.
 * "since" is when pp-provision first found it so. A stranded_servers
 * entry may also hold "relabel": the whole hcloud command that brings
 * the server back into our labels, as pp-provision said it (none when
 * it had none to say, as for a server whose cloud.label_key label
 * changed, and in entries written before the field was). Other keys in
 * an entry are ignored. */
#ifndef PP_ORPHANS_H
#define PP_ORPHANS_H

#include <time.h>
#include <json-c/json.h>

/* The section inside a state root, NULL when absent or misshapen. */
json_object *pp_porphans_of(json_object *root);
/* The same for foreign_servers and stranded_servers. */
json_object *pp_foreign_of(json_object *root);
json_object *pp_stranded_of(json_object *root);
json_object *pp_nodesrv_of(json_object *root);
/* Adds server id (name) to sec (any section), found so since since;
 * an entry already there keeps its other keys. */
void pp_porphan_add(json_object *sec, const char *id, const char *name,
	time_t since);
/* Sets (cmd NULL or "": takes away) the "relabel" of server id's entry
 * in sec, a stranded_servers section; nothing when id is not in sec. */
void pp_stranded_relabel_set(json_object *sec, const char *id,
	const char *cmd);
/* The "relabel" of server id's entry in sec, NULL when it has none (or
 * not a string). */
const char *pp_stranded_relabel(json_object *sec, const char *id);
/* When server id was first found so per sec, 0 when it is not in sec. */
time_t pp_porphan_since(json_object *sec, const char *id);
/* Replaces root's section by sec (taken; NULL or empty: none). */
void pp_porphans_set(json_object *root, json_object *sec);
void pp_foreign_set(json_object *root, json_object *sec);
void pp_stranded_set(json_object *root, json_object *sec);
void pp_nodesrv_set(json_object *root, json_object *sec);
/* Marks server id's entry in sec (a node_servers section) held since
 * since (0: not held); nothing when id is not in sec. */
void pp_nodesrv_held_set(json_object *sec, const char *id, time_t since);
/* Its "held_since", 0 when it has none. */
time_t pp_nodesrv_held(json_object *sec, const char *id);
/* Marks server id's entry in sec (node_servers) as one whose node
 * (registry node id node) has joined (been ready, draining or
 * unhealthy: its agent ran) since since (0: takes both away); nothing
 * when id is not in sec. */
void pp_nodesrv_joined_set(json_object *sec, const char *id, time_t since,
	const char *node);
/* Its "joined_since", 0 when it has none (its node never joined, or
 * the entry predates the field), and in *node (NULL: not wanted) its
 * "joined_node", NULL when it has none. */
time_t pp_nodesrv_joined(json_object *sec, const char *id,
	const char **node);

#endif
