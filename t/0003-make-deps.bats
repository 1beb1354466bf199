#!/usr/bin/env bats
# The Makefile's header dependencies hold whichever way BUILD is spelt:
# t/9020 and t/6500 run `make BUILD=<absolute path>`, and .d files with
# absolute targets used to hide a changed header from the next relative
# build, which then linked a stale object.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	command -v make >/dev/null || skip "make is not installed"
	D="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$D/lib/base" "$D/cmd"
	cp "$TOP/Makefile" "$D/"
	printf '#define V 1\n' > "$D/lib/base/a.h"
	printf '#include "base/a.h"\nint a(void) { return V; }\n' \
		> "$D/lib/base/a.c"
}

@test "a header changed after a build with an absolute BUILD rebuilds its object in a relative one" {
	# not the suite's own make's flags (SANITIZE=1 picks another tree)
	export MAKEFLAGS= MAKELEVEL=
	run make -s -C "$D" BUILD="$D/build/plain" build/plain/lib/base/a.o
	assert_success
	run head -1 "$D/build/plain/lib/base/a.d"
	assert_output --regexp '^build/plain/lib/base/a\.o:'
	touch -d '+2 seconds' "$D/lib/base/a.h"
	run make -n -C "$D" BUILD=build/plain build/plain/lib/base/a.o
	assert_output --partial "-o build/plain/lib/base/a.o lib/base/a.c"
	run make -n -C "$D" BUILD="$D/build/plain" build/plain/lib/base/a.o
	assert_output --partial "-o build/plain/lib/base/a.o lib/base/a.c"
}
