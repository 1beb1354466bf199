/* Shared by the libFuzzer harnesses in t/fuzz: the entry point's
 * prototype and a fixed clock, so a finding replays the same way. */
#ifndef PP_FUZZ_H
#define PP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "pp.h"

/* 2026-11-27T18:00:00Z, a Friday evening: the spare pool's busy hours */
#define FUZZ_NOW ((time_t)1795802400)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every message is formatted (debug level) and goes to stderr, which
 * the runner closes (-close_fd_mask): format paths are covered too. */
#define FUZZ_INIT() do { pp_setprogname("fuzz"); pp_verbosity = 2; \
	pp_set_now(FUZZ_NOW); } \
	while (0)

#endif
