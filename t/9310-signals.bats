#!/usr/bin/env bats
# SIGINT, like SIGTERM (t/3220 and t/4010 cover SIGTERM), ends
# pp-provision and pp-drain at a safe point: exit 1, whole files, and
# the next run converges.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/provision'
	prov_fake_file pp-secret-token-9310
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/provision'
	prov_fake_test
}

@test "SIGINT while waiting for boot: exit 1, the node stays provisioning, the next run leaves it for the platform's mark" {
	provision_booting
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	[[ $rc == 1 ]] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	jq_is .provision.status interrupted
	jq . "$REG" > /dev/null
	jq . "$STATE" > /dev/null
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == provisioning ]]
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].status =
		"running" | {servers}')" >/dev/null
	run --separate-stderr pp-provision < <(decision none 0)
	assert_success
	# ready is the platform's mark (the agent joined), not pp-provision's
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status + ":" +
		(.ip // "")] | join(",")') =~ ^provisioning:[0-9.]+$ ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	pp-registry status "$(reg '.nodes[] | select(.kind == "cloud") | .id')" ready
	run --separate-stderr pp-provision < <(decision none 0)
	assert_success
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == ready ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "SIGINT during a slow create answer: the create finishes and is registered, exit 1" {
	fake_fault '{"method": "POST", "path": "/servers", "slow": 1.5}' \
		>/dev/null
	decision scale_up 1 > "$BATS_TEST_TMPDIR/doc"
	pp-provision < "$BATS_TEST_TMPDIR/doc" > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	sleep 0.5
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	[[ $rc == 1 ]] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	jq . "$REG" > /dev/null
	grep -q 'interrupted' "$BATS_TEST_TMPDIR/err"
	run --separate-stderr pp-provision < <(decision none 0)
	assert_success
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 1 ]]
	[[ $(reg '.nodes[] | select(.kind == "cloud") | .cloud.server_id') == \
		$(fake_state | jq -r '.servers[0].id') ]]
}
