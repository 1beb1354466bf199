/* bill.c: Hetzner Cloud's billing rule for one server, which pp-sim
 * bills its simulated nodes by and pp-decide estimates the real ones
 * by (store/cost.c): every started hour from creation at the hourly
 * price, each calendar month (UTC) capped at the monthly price. */
#ifndef PP_BILL_H
#define PP_BILL_H

#include <time.h>

/* Cost of one server from created to end (exclusive); *hours (may be
 * NULL) gets the hours billed. A monthly price of 0 caps nothing. */
double pp_bill(time_t created, time_t end, double hourly, double monthly,
	long *hours);

#endif
