#!/usr/bin/env bats
# Two control hosts (control.database), 50 rounds of both starting the
# same Friday-evening cycle at once on an emptied database and cloud:
# every round, exactly the servers one decision asked for, no decision
# acted on twice (t/9510-two-hosts.bats runs 3 rounds in make check).
bats_require_minimum_version 1.5.0

setup_file() {
	load '../test_helper/common'
	load '../test_helper/pg'
	pg_start
}

teardown_file() {
	load '../test_helper/pg'
	pg_stop
}

setup() {
	load '../test_helper/common'
	load '../test_helper/pg'
	load '../test_helper/twohosts'
	pp_isolate
}

@test "two hosts x 50 rounds of the same cycle at once: no extra server, no decision taken twice" {
	ROUNDS_SKIPPED=0
	host_rounds "${PP_ROUNDS:-50}"
	echo "# ${PP_ROUNDS:-50} rounds: the second host skipped (exit 75) in $ROUNDS_SKIPPED, ran after the first in $((${PP_ROUNDS:-50} - ROUNDS_SKIPPED))" >&3
}
