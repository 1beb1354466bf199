/* cost.c: the "cost" section of the state file, its one owner: what
 * the cloud servers cost today and this month (UTC), by Hetzner's rule
 * (base/bill.h: every started hour from creation, capped at the
 * monthly price per server and calendar month). pp-decide accrues it
 * from the cloud nodes of each cycle it keeps state for; pp-status
 * shows it.
 *
 *   {"at": RFC3339,                the last accrual
 *    "day": "2026-11-27",  "today_eur": 0.512,
 *    "month": "2026-11",   "month_eur": 12.3,
 *    "gone_today_eur": 0.1, "gone_month_eur": 4.2,
 *                                  servers no longer seen: their hours
 *                                  today and this month, fixed
 *    "servers": [{"node", "created", "hourly_eur", "monthly_eur",
 *                 "seen"}]}        the servers of the last accrual
 *
 * A server that is gone is billed up to the last cycle that saw it:
 * one deleted after the next of its hours began (a drain that waited
 * across it) cost that hour more, and one made and deleted before a
 * cycle saw it is not seen at all. */
#ifndef PP_COST_H
#define PP_COST_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

/* One cloud server billed at this cycle. */
struct pp_cost_server {
	const char *node;       /* its node id */
	time_t created;         /* when billing started */
	double hourly_eur;
	double monthly_eur;     /* the cap; 0: none known */
};

/* Accrues into root's "cost" section up to now: the servers given are
 * there now, those of the last accrual that are not are gone. A state
 * from a cycle after now is kept as it is. */
void pp_cost_accrue(json_object *root, const struct pp_cost_server *s,
	size_t n, time_t now);
/* What was accrued today and this month as of now (0 for a day or
 * month that has no accrual yet); returns 0, or -1 when nothing was
 * ever accrued. */
int pp_cost_accrued(json_object *root, time_t now, double *today,
	double *month);

#endif
