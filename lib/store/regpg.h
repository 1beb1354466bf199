/* regpg.c: the registry's PostgreSQL backend (share/sql/registry.sql).
 * pp_registry_open, _save and _close call it for a postgresql:// URL;
 * everything else sees the same index as for the file. */
#ifndef PP_REGPG_H
#define PP_REGPG_H

#include <stddef.h>

struct pp_registry;

/* Reads the registry's rows as the registry's JSON and indexes it.
 * mode 0 or PP_LOCK_SH: one consistent snapshot, nothing held.
 * PP_LOCK_EX: a transaction that holds ppscale's writer lock (an
 * advisory lock every ppscale host takes) and every node and game
 * server row FOR UPDATE until pp_regpg_close, so that a placement
 * waits for a check-then-delete instead of slipping between. Returns
 * 0, -1 (bad URL, schema or content: exit 2) or -2 (the database
 * cannot be reached or the lock not had in 30 s: exit 1), with a
 * message in err. */
int pp_regpg_open(struct pp_registry *r, const char *url, int mode,
	char *err, size_t errlen);
/* Writes the edits as row changes (only rows whose JSON changed),
 * commits, then takes the locks again and re-reads the rows (node
 * pointers taken before are stale). 0, or -1 with errno set and the
 * database's message warned; nothing of a failed save is written. */
int pp_regpg_save(struct pp_registry *r);
/* Rolls back what was not saved and disconnects. */
void pp_regpg_close(struct pp_registry *r);

#endif
