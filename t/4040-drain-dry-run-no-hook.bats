#!/usr/bin/env bats
# A manual pp-drain --dry-run without drain.move_command says what the
# real run would do (cordon, then stop short), instead of promising
# moves the real run refuses.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/drain'
	pp_isolate
	reg_init
	reg_node S cloud ready 8000 a:1000 b:2000
	reg_node T cloud ready 8000
	reg_write
}

@test "without a move hook, the dry run says blocked, as the real run then is" {
	printf 'drain:\n  player_grace: 10m\n' > "$PP_CONFIG"
	run --separate-stderr pp-drain --node S --dry-run
	# the exit status of the real run: blocked is a failure to act
	assert_failure 1
	jq_is '.drain.status' blocked
	jq_is '.drain.dry_run' true
	jq_is '.drain.reason' "dry run: drain.move_command is not configured: a real run would cordon the node and could not move its 2 game servers"
	reg_is '(.nodes[] | select(.id == "S")).status' ready
	# and the real run agrees
	run --separate-stderr pp-drain --node S
	assert_failure 1
	jq_is '.drain.status' blocked
	reg_is '(.nodes[] | select(.id == "S")).status' draining
}

@test "without a move hook, the blocked warning names the node once, dry run or not" {
	printf 'drain:\n  player_grace: 10m\n' > "$PP_CONFIG"
	run --separate-stderr pp-drain --node S --dry-run
	assert_failure 1
	[[ $stderr == "pp-drain: node 'S': dry run: drain.move_command is not configured: a real run would cordon the node and could not move its 2 game servers" ]] ||
		fail "stderr: $stderr"
	run --separate-stderr pp-drain --node S
	assert_failure 1
	jq_is '.drain.status' blocked
	# after the note that it cordoned the node
	[[ ${stderr##*$'\n'} == "pp-drain: node 'S': drain.move_command is not configured: pp-drain cannot move its 2 game servers (the node stays draining until they are moved or stopped and removed by other means)" ]] ||
		fail "stderr: $stderr"
}

@test "with a move hook, the dry run still plans the moves" {
	drain_config
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	jq_is '.drain.status' planned
	jq_is '.drain.planned | length' 2
}
