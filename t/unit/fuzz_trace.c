/* Replays inputs through the trace fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/trace.c"
#include "../fuzz/replay.h"
