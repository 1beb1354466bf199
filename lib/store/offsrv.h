/* offsrv.c: the "off_servers" section of the state file, its one
 * owner. pp-provision writes it: the servers of nodes still
 * provisioning from earlier runs that it found off with no action
 * running on them, so that its looks and its one power-on count across
 * runs (a run looks once, and the next one is a minute later).
 *
 *   {"<server id>": {"node": "...", "since": RFC3339, "at": RFC3339,
 *                    "looks": N, "powered_on": RFC3339,
 *                    "starts_before": N, "powered_on_again": true}}
 *
 * "since" is the first such look, "at" the last, "looks" how many in a
 * row since the last power-on (or since "since"), "powered_on" when
 * pp-provision powered it on (absent: not yet). "starts_before": the
 * power-on's answer was lost (no answer, a 5xx) and the server had
 * this many start actions before it; the next look counts them again
 * to tell whether the API took it (absent: nothing to check).
 * "powered_on_again": the power-on was sent a second time after such
 * a check found none, and is not checked again. Other keys in an entry
 * are ignored. A run replaces the whole section as it leaves it: this
 * assumes one pp-provision at a time (the pipeline's flock, pp-cycle's
 * lock). */
#ifndef PP_OFFSRV_H
#define PP_OFFSRV_H

#include <time.h>
#include <json-c/json.h>

struct pp_offsrv {
	time_t since, at;     /* first and last look that counted */
	long looks;
	time_t powered_on;    /* 0: not powered on by us */
	int check;            /* a lost power-on to check: */
	long starts_before;   /* the start actions before it */
	int again;            /* powered on a second time (once) */
};

/* The section inside a state root, NULL when absent or misshapen. */
json_object *pp_offsrv_of(json_object *root);
/* Server id's entry of sec into *e: 1, or 0 (*e zeroed) when none. */
int pp_offsrv_get(json_object *sec, const char *id, struct pp_offsrv *e);
/* Adds (replaces) server id of node node in sec. */
void pp_offsrv_add(json_object *sec, const char *id, const char *node,
	const struct pp_offsrv *e);
/* Copies server id's entry, if any, from one section to another. */
void pp_offsrv_carry(json_object *to, json_object *from, const char *id);
/* Replaces root's section by sec (taken; NULL or empty: none). */
void pp_offsrv_set(json_object *root, json_object *sec);

#endif
