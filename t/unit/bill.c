/* Hetzner's billing rule (pp-sim's and pp-status's): every started
 * hour, capped per calendar month.
 * Usage: bill CREATED END HOURLY MONTHLY; prints "EUR HOURS". */
#include <stdio.h>
#include <stdlib.h>

#include "pp.h"
#include "base/bill.h"

int
main(int argc, char **argv)
{
	time_t a, b;
	long h;
	double c;

	if (argc != 5 || pp_parse_time(argv[1], &a) < 0 ||
	    pp_parse_time(argv[2], &b) < 0)
		return 2;
	c = pp_bill(a, b, atof(argv[3]), atof(argv[4]), &h);
	printf("%.4f %ld\n", c, h);
	return 0;
}
