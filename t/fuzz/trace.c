/* Fuzzes the demand-trace reader (pp-sim's input) from memory: header,
 * every row, and a rewind for the second pass pp-sim makes. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "run/trace.h"

static void
rows(struct pp_trace *tr)
{
	char err[512];
	time_t t;
	double v;

	while (pp_trace_next(tr, &t, &v, err, sizeof err) > 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_trace tr;

	FUZZ_INIT();
	if (!size)
		return 0;
	memset(&tr, 0, sizeof tr);
	tr.name = pp_xstrdup("fuzz");
	tr.f = fmemopen((void *)data, size, "r");
	if (!tr.f) {
		pp_trace_close(&tr);
		return 0;
	}
	/* pp_trace_rewind reads the header, as pp_trace_open does */
	if (pp_trace_rewind(&tr) == 0) {
		rows(&tr);
		if (pp_trace_rewind(&tr) == 0)
			rows(&tr);
	}
	pp_trace_close(&tr);
	return 0;
}
