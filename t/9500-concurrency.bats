#!/usr/bin/env bats
# Issue 9 item 4: two whole cycles started at the same instant, with the
# README's flock and without it (t/concurrency/run.sh says what is
# checked). make check runs 5 of each; make check-slow runs 50.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

@test "with flock, two cycles at once never make more servers than one decision asked for" {
	run bash "$TOP/t/concurrency/run.sh" flock "${CONC_RUNS:-5}"
	echo "# ${lines[-1]}" >&3
	assert_success
	assert_output --partial "5 passed, 0 failed"
	assert_output --partial "both ran: 0,"
}

@test "without flock, the tools' own locks keep the files whole and the second cycle sees the first" {
	run bash "$TOP/t/concurrency/run.sh" noflock "${CONC_RUNS:-5}"
	echo "# ${lines[-1]}" >&3
	assert_success
	assert_output --partial "5 passed, 0 failed"
}

@test "without flock, the default profile's second decision buys nothing on a document older than the first one's scale-up" {
	PROFILE=default FLEET=8x8192 run bash "$TOP/t/concurrency/run.sh" \
		noflock "${CONC_RUNS:-5}"
	echo "# ${lines[-1]}" >&3
	assert_success
	assert_output --partial "5 passed, 0 failed"
}
