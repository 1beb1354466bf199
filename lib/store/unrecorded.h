/* unrecorded.c: the "unrecorded_moves" section of the state file, its
 * one owner. pp-drain writes it when a move hook has carried a game
 * server over but the registry could not be written to say so (the
 * registry's lock not granted, a full disk, a database that refuses
 * the write); pp-drain records those moves on its next run that acts
 * and drops them here, and until then reports no node they name as
 * empty (pp-provision would delete the server that really holds the
 * game server). pp-status lists them.
 *
 * It holds the moves under way too (the intent): pp-drain writes one
 * before a move's hook starts, and drops it once the move is recorded
 * or its hook has said it did not move. One left behind (its pp-drain
 * was killed, or the hook's outcome is unknown) is resolved by a later
 * pp-drain, and names no node empty until then either.
 *
 *   [{"server": "mc-4711", "from": "cloud-7f3a", "to": "ded-fsn1-1",
 *     "at": RFC3339}, ...]
 *
 * An intent carries "state": "intent"; "at" is when its hook started.
 * With the state in the control database (two control hosts), an
 * intent also names its owner: "host" (the host name), "state_dir"
 * (the state directory whose lock files guard the move there) and
 * "pid" (its pp-drain), since another host cannot see those locks;
 * and "ram_mb", the RAM its game server takes on the target.
 *
 * One entry per game server and move (from, to): a later entry of the
 * same move replaces it. A game server may have several, each an
 * intent whose target it may run on (a move not run again onto a
 * target that cannot take it, then the move to another timed out):
 * all stay until the registry shows where it is. Entries of another
 * shape are ignored. */
#ifndef PP_UNRECORDED_H
#define PP_UNRECORDED_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

/* The section inside a state root, NULL when absent or misshapen. */
json_object *pp_unrecorded_of(json_object *root);
/* How many well-formed entries root's section holds. */
size_t pp_unrecorded_count(json_object *root);
/* Entry i of the section (from pp_unrecorded_of): 0 with its fields
 * (borrowed from sec), -1 when it is misshapen. */
int pp_unrecorded_get(json_object *sec, size_t i, const char **server,
	const char **from, const char **to, time_t *at);
/* Adds (or replaces) the entry of server's move from -> to. */
void pp_unrecorded_add(json_object *root, const char *server,
	const char *from, const char *to, time_t at);
/* The pp-drain that wrote an intent (its host, state directory and
 * pid), and the RAM the move takes on its target. */
struct pp_intent_info {
	const char *host;
	const char *state_dir;
	long pid;
	long long ram_mb;
};
/* Adds (or replaces) the entry of server's move from -> to as an
 * intent: a move about to start, its outcome not known until it is
 * dropped or replaced. own: its owner, or NULL for none. */
void pp_unrecorded_add_intent(json_object *root, const char *server,
	const char *from, const char *to, time_t at,
	const struct pp_intent_info *own);
/* Entry i's owner and RAM (fields borrowed from sec): 0, or -1 when
 * it names no owner (a file state's entries, or one of another
 * shape). */
int pp_unrecorded_owner(json_object *sec, size_t i,
	struct pp_intent_info *own);
/* 1 when entry i of the section is an intent. */
int pp_unrecorded_is_intent(json_object *sec, size_t i);
/* Drops the entry of server that says from -> to, if there. */
void pp_unrecorded_drop(json_object *root, const char *server,
	const char *from, const char *to);
/* Drops every entry of server's moves off from: the registry records
 * it elsewhere now. */
void pp_unrecorded_drop_off(json_object *root, const char *server,
	const char *from);

#endif
