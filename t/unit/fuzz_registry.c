/* Replays inputs through the registry fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/registry.c"
#include "../fuzz/replay.h"
