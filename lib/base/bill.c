/* Hetzner Cloud's billing rule (see bill.h). */
#include "base/bill.h"

static time_t
next_month(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;
	return timegm(&tm);
}

double
pp_bill(time_t created, time_t end, double hourly, double monthly,
	long *hours)
{
	double cost = 0;
	time_t t = created;
	long h = 0;

	if (end <= created) {
		if (hours)
			*hours = 0;
		return 0;
	}
	/* hours are counted from creation; a month boundary splits them */
	while (t < end) {
		time_t m = next_month(t), stop = end < m ? end : m;
		long part = (long)((stop - t + 3599) / 3600);
		double c = (double)part * hourly;

		if (monthly > 0 && c > monthly)
			c = monthly;
		cost += c;
		h += part;
		t += (time_t)part * 3600;
	}
	if (hours)
		*hours = h;
	return cost;
}
