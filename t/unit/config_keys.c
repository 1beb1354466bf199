/* Prints every configuration key: path, type, shipped default, help and
 * the seed profile's value where it differs (tab separated), for the
 * test that ppscale.yaml(5) documents them all. */
#include "pp.h"

int
main(void)
{
	pp_engine_config_keys(stdout);
	return 0;
}
