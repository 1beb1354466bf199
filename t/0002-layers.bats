#!/usr/bin/env bats
# The layers of lib/ (t/layers.sh): no include runs back up a layer.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

@test "no file in lib/ includes a header of a higher layer" {
	run --separate-stderr sh "$TOP/t/layers.sh"
	assert_success
	assert_output ""
}

# a copy of the check over a small tree of our making
mini_tree() {
	mkdir -p "$BATS_TEST_TMPDIR/top/t" "$BATS_TEST_TMPDIR/top/lib/base" \
		"$BATS_TEST_TMPDIR/top/lib/store" "$BATS_TEST_TMPDIR/top/lib/engine" \
		"$BATS_TEST_TMPDIR/top/lib/cloud"
	cp "$TOP/t/layers.sh" "$BATS_TEST_TMPDIR/top/t/"
	printf '#include "base/util.h"\n' > "$BATS_TEST_TMPDIR/top/lib/store/ok.c"
}

@test "the check finds an include that runs back up, and one across engine and cloud" {
	mini_tree
	PP_TOP="$BATS_TEST_TMPDIR/top" run sh "$BATS_TEST_TMPDIR/top/t/layers.sh"
	assert_success
	printf '#include "store/state.h"\n' > "$BATS_TEST_TMPDIR/top/lib/base/bad.c"
	printf '#include "cloud/cloud.h"\n' > "$BATS_TEST_TMPDIR/top/lib/engine/x.c"
	PP_TOP="$BATS_TEST_TMPDIR/top" run sh "$BATS_TEST_TMPDIR/top/t/layers.sh"
	assert_failure 1
	assert_line "lib/base/bad.c: includes store/ (layer 2) from base/ (layer 0)"
	assert_line "lib/engine/x.c: includes cloud/ (layer 4) from engine/ (layer 4)"
}

@test "the check refuses an include without its folder and a folder with no layer" {
	mini_tree
	printf '#include "util.h"\n' > "$BATS_TEST_TMPDIR/top/lib/store/flat.c"
	mkdir "$BATS_TEST_TMPDIR/top/lib/misc"
	: > "$BATS_TEST_TMPDIR/top/lib/misc/m.c"
	PP_TOP="$BATS_TEST_TMPDIR/top" run sh "$BATS_TEST_TMPDIR/top/t/layers.sh"
	assert_failure 1
	assert_line "lib/store/flat.c: an include without its folder"
	assert_line "lib/misc/m.c: folder 'misc' has no layer"
}
