/* Replays inputs through the catalog fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/catalog.c"
#include "../fuzz/replay.h"
