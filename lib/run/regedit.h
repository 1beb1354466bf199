/* regedit.c: pp-registry's body, the platform's edits of the registry */
#ifndef PP_REGEDIT_H
#define PP_REGEDIT_H

struct pp_config;

enum pp_regedit_op {
	PP_RE_SHOW, PP_RE_PLACE, PP_RE_REMOVE, PP_RE_SET, PP_RE_STATUS,
	PP_RE_IMPORT
};

struct pp_regedit {
	int op;
	const char *node;      /* NULL for show: the whole registry */
	const char *server;    /* the game server (place, remove, set) */
	const char *status;    /* status */
	long long ram_mb;      /* place, set; -1 when not given */
	long long players;     /* place, set; -1 when not given */
	const char *state;     /* place, set; NULL when not given */
	const char *file;      /* import: the registry file to add */
};

/* Performs one edit under the registry's exclusive lock (show: under
 * the shared lock, printing JSON on stdout). Returns the exit status:
 * 0 done, 1 refused by what the registry holds (unknown node or game
 * server, node not ready, does not fit, lock not granted in time,
 * write failed), 2 bad arguments or a bad registry or lock file. */
int pp_regedit_run(const struct pp_config *cfg, const char *state_dir,
	const char *registry, const struct pp_regedit *e);

#endif
