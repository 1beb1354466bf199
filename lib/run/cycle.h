/* cycle.c: pp-cycle's body, one scaling cycle at a time per pool */
#ifndef PP_CYCLE_H
#define PP_CYCLE_H

struct pp_config;

/* Exit status when another cycle of the pool holds the lock (flock -n
 * -E 75, EX_TEMPFAIL): not a failure, systemd's SuccessExitStatus. */
#define PP_EXIT_BUSY 75

/* Runs argv (a command and its arguments) while holding the pool's
 * cycle lock: with control.database set, the database's advisory lock
 * of the pool (one cycle on any host); else an flock on
 * STATE_DIR/pipeline.lock (one cycle on this host). Returns the
 * command's exit status (128 + N for a signal N, 127 when it cannot
 * be run), PP_EXIT_BUSY when the lock is held elsewhere, 1 when the
 * database cannot be reached (the command is not run) or the lock's
 * session is lost while it runs, 2 for a bad
 * schema or lock file. The lock is held until every process of the
 * command's process group has ended; those still running kill_after
 * seconds after a SIGTERM are killed. */
int pp_cycle_run(const struct pp_config *cfg, const char *state_dir,
	char *const *argv, long kill_after);

#endif
