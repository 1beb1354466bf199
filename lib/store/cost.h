/* cost.c: the "cost" section of the state file, its one owner: the
 * cloud spend accrued today and this month (UTC), estimated from the
 * fleet's hourly rate at each cycle. pp-decide accrues it (each cycle
 * that keeps state), pp-status shows it.
 *
 *   {"at": RFC3339,           the last accrual
 *    "rate_eur_h": 0.048,     the hourly rate then, held until the next
 *    "day": "2026-11-27",  "today_eur": 0.512,
 *    "month": "2026-11",   "month_eur": 12.3}
 *
 * The rate seen at one cycle is taken to hold until the next; a gap
 * longer than PP_COST_GAP_MAX (the pipeline stopped) is not guessed at.
 * Hetzner bills every started hour, so the real bill can be a little
 * higher. */
#ifndef PP_COST_H
#define PP_COST_H

#include <time.h>
#include <json-c/json.h>

#define PP_COST_GAP_MAX (6 * 3600)

/* Accrues into root's "cost" section up to now, then notes rate. */
void pp_cost_accrue(json_object *root, double rate_eur_h, time_t now);
/* What was accrued today and this month as of now (0 for a day or
 * month that has no accrual yet); returns 0, or -1 when nothing was
 * ever accrued. */
int pp_cost_accrued(json_object *root, time_t now, double *today,
	double *month);

#endif
