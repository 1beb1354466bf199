/* Replays inputs through the hetzner fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/hetzner.c"
#include "../fuzz/replay.h"
