/* Replays inputs through the state fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/state.c"
#include "../fuzz/replay.h"
