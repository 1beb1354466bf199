#!/usr/bin/env bats
# Issue 16: 150 s of the platform editing the registry (pp-registry and
# flock+jq, through a symlink) while pipeline cycles run; make
# check-slow. t/1040 runs 20 s of the same in make check.
bats_require_minimum_version 1.5.0

setup() {
	load '../test_helper/common'
	pp_isolate
}

@test "150 s of platform edits during pipeline cycles: 0 lost updates, nothing on a deleted node" {
	run bash "$TOP/t/concurrency/platform.sh" 150
	echo "# ${lines[-1]}" >&3
	assert_success
	assert_output --partial "lost updates: 0"
	assert_output --partial "node.removed"   # nodes were drained and deleted
	refute_output --partial "game servers on deleted nodes"
}
