/* Fuzzes the history store: parse, then the windows, pruning, the
 * document's history section and the built-in forecast on it; and the
 * same bytes as an import source (CSV or a Prometheus answer). */
#include "fuzz.h"
#include "store/history_import.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long horizons[] = {3600, 7200};
	struct pp_history h;
	struct pp_window w;
	struct pp_forecast f;
	char err[512];

	FUZZ_INIT();
	{
		struct pp_import_source src;

		if (pp_history_import_parse(&h, (const char *)data, size,
		    &src, err, sizeof err) == 0) {
			for (size_t i = 1; i < h.n; i++)
				if (h.s[i].t / 60 <= h.s[i - 1].t / 60)
					abort(); /* not sorted one a minute */
			pp_history_free(&h);
		}
		free(src.infos);
	}
	if (pp_history_parse(&h, (const char *)data, size, err,
	    sizeof err) < 0)
		return 0;
	pp_history_window(&h, FUZZ_NOW, 3600, &w);
	pp_history_window(&h, FUZZ_NOW, 86400, &w);
	json_object_put(pp_history_json(&h, FUZZ_NOW));
	pp_forecast_builtin(&h, FUZZ_NOW, NULL, horizons, 2, &f);
	json_object_put(pp_forecast_json(&f));
	(void)pp_history_value_at(&h, FUZZ_NOW - 1800);
	pp_history_prune(&h, FUZZ_NOW, 86400);
	pp_history_free(&h);
	return 0;
}
