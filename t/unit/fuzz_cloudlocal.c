/* Replays inputs through the local cloud fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/cloudlocal.c"
#include "../fuzz/replay.h"
