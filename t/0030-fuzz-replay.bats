#!/usr/bin/env bats
# The fuzzers' seed corpus (t/fuzz/corpus) and every input a fuzzer
# found a fault with (t/fuzz/regress) replay through the harnesses, built
# as plain programs (t/unit/fuzz_*): under SANITIZE=1 with ASan and
# UBSan, under `make valgrind` with memcheck. README "Reliability".

bats_require_minimum_version 1.5.0

setup() { load 'test_helper/common'; pp_isolate; }

replay() {
	local h=$1 files=()
	shopt -s nullglob
	files=("$TOP/t/fuzz/corpus/$h"/* "$TOP/t/fuzz/regress/$h"/*)
	shopt -u nullglob
	[[ ${#files[@]} -gt 0 ]] || fail "no inputs for harness $h"
	run --separate-stderr "$BUILD/unit/fuzz_$h" "${files[@]}"
	assert_success
	[[ $(grep -c '^ok ' <<< "$output") -eq ${#files[@]} ]] ||
		fail "replayed $(grep -c '^ok ' <<< "$output") of ${#files[@]}"
}

@test "every harness has a seed corpus and a replayer" {
	for src in "$TOP"/t/fuzz/*.c; do
		h=$(basename "$src" .c)
		[[ -d $TOP/t/fuzz/corpus/$h ]] || fail "no corpus for $h"
		[[ -x $BUILD/unit/fuzz_$h ]] || fail "no replayer for $h"
	done
}

@test "the pipe document corpus and findings replay cleanly" { replay doc; }
@test "the config corpus and findings replay cleanly" { replay config; }
@test "the registry corpus and findings replay cleanly" { replay registry; }
@test "the state file corpus and findings replay cleanly" { replay state; }
@test "the history store corpus and findings replay cleanly" { replay history; }
@test "the catalog corpus and findings replay cleanly" { replay catalog; }
@test "the Hetzner answer corpus and findings replay cleanly" { replay hetzner; }
@test "the trace corpus and findings replay cleanly" { replay trace; }
@test "the template corpus and findings replay cleanly" { replay template; }
@test "the local cloud corpus and findings replay cleanly" { replay cloudlocal; }
