/* Replays inputs through the config fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/config.c"
#include "../fuzz/replay.h"
