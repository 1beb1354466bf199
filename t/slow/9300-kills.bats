#!/usr/bin/env bats
# Issue 9 item 3: SIGKILL the whole cycle at random points (at least 100 runs;
# t/9300-kills.bats runs a few in `make check`).  The harness
# is t/kill/run.sh; its seed is on the TAP output, KILL_SEED repeats it.
bats_require_minimum_version 1.5.0

setup() {
	load '../test_helper/common'
	pp_isolate
}

@test "a cycle killed at a random point leaves whole files, no lost game server, and converges" {
	run bash "$TOP/t/kill/run.sh" "${KILL_RUNS:-100}"
	printf '# %s\n' "${lines[@]}" >&3
	assert_success
	assert_output --partial ' 0 failed'
}

@test "the same with the Hetzner provider: 3-server scale-ups and drain-and-delete, load dropped after half, converged within 2 clean cycles" {
	KILL_PROVIDER=hetzner run bash "$TOP/t/kill/run.sh" \
		"${KILL_RUNS_HETZNER:-100}"
	printf '# %s\n' "${lines[@]}" >&3
	assert_success
	assert_output --partial ' 0 failed'
	assert_output --partial ' 0 converged after more than 2 clean cycles'
}
