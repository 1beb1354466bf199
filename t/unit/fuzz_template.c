/* Replays inputs through the template fuzz harness (see t/fuzz/replay.h). */
#include "../fuzz/template.c"
#include "../fuzz/replay.h"
