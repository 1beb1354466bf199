#!/usr/bin/env bats
# Issue 9 item 3: SIGKILL the whole cycle at random points (a few runs;
# `make check-slow` runs t/slow/9300-kills.bats with 100).  The harness
# is t/kill/run.sh; its seed is on the TAP output, KILL_SEED repeats it.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

@test "a cycle killed at a random point leaves whole files, no lost game server, and converges" {
	run bash "$TOP/t/kill/run.sh" "${KILL_RUNS:-4}"
	printf '# %s\n' "${lines[@]}" >&3
	assert_success
	assert_output --partial ' 0 failed'
}

@test "with the Hetzner provider too: killed 3-server scale-ups and deletes converge within 2 clean cycles" {
	KILL_PROVIDER=hetzner run bash "$TOP/t/kill/run.sh" \
		"${KILL_RUNS_HETZNER:-4}"
	printf '# %s\n' "${lines[@]}" >&3
	assert_success
	assert_output --partial ' 0 failed'
	assert_output --partial ' 0 converged after more than 2 clean cycles'
}
