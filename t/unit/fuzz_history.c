/* Replays inputs through the history fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/history.c"
#include "../fuzz/replay.h"
