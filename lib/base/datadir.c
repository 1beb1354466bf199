/* The one object DATADIR is compiled into: a `make` before
 * `make install PREFIX=X` built the default one, and install recompiles
 * only this file, so every message and path naming the data directory
 * must come from here. */
#include "base/datadir.h"

const char *
pp_datadir(void)
{
	return PP_DATADIR;
}
