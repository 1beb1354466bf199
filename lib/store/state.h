/* state.c: the state file (pp-decide's memory, refusals, counters):
 * one JSON file, locked and replaced atomically */
#ifndef PP_STATE_H
#define PP_STATE_H

#include <json-c/json.h>

#include "base/util.h"

#define PP_STATE_VERSION 1

/* The state is a JSON object of sections, each with one module that
 * reads and writes it: "decide" (store/decide_mem.h), "refusals"
 * (store/refusals.h), "counters" (store/counters.h). This module only
 * opens, locks, parses and saves the file. */
struct pg_conn;

struct pp_state {
	char *path;
	json_object *root;
	struct pp_lock lock;
	struct pg_conn *pg;   /* the shared state's row, when it is in
			       * the database (pp_state_use_database) */
};

/* Two control hosts: from here on every pp_state_open reads and
 * writes the pool's row of ppscale_state in the database at url
 * instead of the file it is given (a transaction holding the row FOR
 * UPDATE stands for the exclusive lock). NULL: files again. */
void pp_state_use_database(const char *url, const char *pool);
/* The database URL set by pp_state_use_database, or NULL; the pool
 * whose rows are ours. The history (store/history.h) and the events
 * (store/events.h) follow the state there. */
const char *pp_state_database(void);
const char *pp_state_pool(void);

/* Opens path. mode PP_LOCK_EX keeps the lock until pp_state_close
 * (read-modify-write); 0 reads under a shared lock and releases it.
 * A missing file is an empty state. A corrupt one is an error: returns
 * -1 with a message naming the file (exit 2); -2 if the lock is not
 * granted in time (exit 1); -3 if the lock file cannot be opened
 * (exit 2: nothing is read or written without the lock). A failed open holds nothing (no lock, no memory): it
 * need not be closed, and closing it is harmless. */
int pp_state_open(struct pp_state *s, const char *path, int mode, char *err,
	size_t errlen);
/* Parses state text (tests, fuzzing); -1 with a message if corrupt. */
json_object *pp_state_parse(const char *text, size_t len, const char *name,
	char *err, size_t errlen);
/* For pp-config check: reads path as it is (no lock: a writer replaces
 * it whole) and parses it. 0 when it is sound, missing, or the state is
 * in the database (not looked at); -1 with the message pp_state_open
 * would give. Changes nothing. */
int pp_state_peek(const char *path, char *err, size_t errlen);
/* The state as it is now, for a reader that must not wait: a file read
 * without the lock (a writer replaces it whole: pp_write_atomic), the
 * database's row by a plain read. 0 with *root (an empty object for a
 * missing file; caller puts it), -1 with a message (*root NULL). */
int pp_state_snapshot(const char *path, json_object **root, char *err,
	size_t errlen);
/* Writes atomically; must be open with PP_LOCK_EX. 0 or -1 (errno). */
int pp_state_save(struct pp_state *s);
void pp_state_close(struct pp_state *s);
/* The named top-level section, created when absent. */
json_object *pp_state_section(struct pp_state *s, const char *name);

#endif
