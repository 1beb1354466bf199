/* Replays inputs through the doc fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/doc.c"
#include "../fuzz/replay.h"
