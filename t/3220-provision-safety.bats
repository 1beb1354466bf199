#!/usr/bin/env bats
# pp-provision: no orphans after a kill, signals, secrets, --dry-run.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/provision'
	prov_fake_file pp-secret-token-3220
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/provision'
	prov_fake_test
}

@test "killed while its create action runs, the server is registered already; a rerun ends with exactly one server, its address recorded" {
	# the create action's poll hangs: the server exists, and its node
	# was recorded before the create and got its id before the wait
	fake_fault '{"method": "GET", "path": "/actions", "slow": 5}' >/dev/null
	decision scale_up 1 > "$BATS_TEST_TMPDIR/doc"
	pp-provision < "$BATS_TEST_TMPDIR/doc" > /dev/null 2>&1 3>&- &
	pid=$!
	fake_wait_for_log '.method == "GET" and (.path | startswith("/actions"))'
	kill -9 "$pid"
	wait "$pid" || true
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	name=$(fake_state | jq -r '.servers[0].name')
	sid=$(fake_state | jq -r '.servers[0].id')
	[[ $(reg "[.nodes[] | select(.kind == \"cloud\") | .id + \":\" +
		.status + \":\" + .cloud.server_id] | join(\",\")") == \
		"$name:provisioning:$sid" ]]
	# what the pipeline runs next: pp-decide counts the provisioning
	# node as capacity (t/2010) and asks for nothing more
	run --separate-stderr pp-provision < <(decision none 0)
	assert_success
	# its address came with the create: nothing left to record; the
	# node waits for the platform's mark (its agent joining)
	jq_is .provision null
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg "[.nodes[] | select(.kind == \"cloud\") | .id + \":\" +
		.status + \":\" + .ip] | join(\",\")") == \
		"$name:provisioning:$(fake_state | jq -r '.servers[0].public_net.ipv4.ip')" ]]
	[[ $(fake_log | jq '[.requests[] | select(.method == "POST")] |
		length') == 1 ]]
}

@test "SIGTERM while waiting for boot: the node stays registered as provisioning, exit 1" {
	provision_booting
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[[ $rc == 1 ]] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	jq_is .provision.status interrupted
	jq_is '.provision.servers[0].status' provisioning
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == provisioning ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	# the next run, once the server runs, finishes the job
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].status =
		"running" | {servers}')" >/dev/null
	run --separate-stderr pp-provision < <(decision none 0)
	assert_success
	jq_is .provision null
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == provisioning ]]
	[[ $(reg '.nodes[] | select(.kind == "cloud") | .ip') =~ ^[0-9.]+$ ]]
}

@test "neither the API token nor the join token reaches stdout, stderr or events" {
	fake_fault '{"method": "POST", "path": "/servers", "location": "nbg1",
		"status": 412}' >/dev/null
	run --separate-stderr pp-provision -v < <(decision scale_up 2)
	assert_success
	all="$output$stderr"
	run --separate-stderr pp-provision --dry-run -v < <(decision scale_up 1)
	assert_success
	all+="$output$stderr"
	fake_fault '{"method": "POST", "path": "/servers", "status": 403,
		"code": "forbidden"}' >/dev/null
	run --separate-stderr pp-provision -v < <(decision scale_up 1)
	assert_failure 1
	all+="$output$stderr$(cat "$EVENTS")$(cat "$STATE")"
	[[ $all == *"node.provisioning"* && $all == *"<redacted>"* ]]
	[[ $all != *"$FAKE_TOKEN"* ]] || fail "the API token leaked"
	[[ $all != *"$JOIN_TOKEN"* ]] || fail "the join token leaked"
	# the join token did go to the cloud, in the user data
	[[ $(fake_log | jq -r '.requests[] | select(.method == "POST") |
		.body.user_data' | grep -c "$JOIN_TOKEN") -ge 1 ]]
	ud_valid
}

@test "the user data of a create writes the agent and conductor URLs with their scheme in lower case, the rest as written" {
	sed -i -e 's|conductor_url: .*|conductor_url: HTTPS://Conductor.Example.net/Pp|' \
		-e 's|^cloud_init:$|&\n  agent_url: HTTPS://Dl.Example.net/Agent-{version}\n  agent_version: 1.2.3|' \
		"$PP_CONFIG"
	run --separate-stderr pp-provision < <(decision scale_up 1 cx23 fsn1)
	assert_success
	ud_valid
	local ud=$BATS_TEST_TMPDIR/ud.yaml
	grep -qF "PP_CONDUCTOR_URL='https://Conductor.Example.net/Pp'" "$ud" ||
		fail "no lower-case conductor URL in: $(grep PP_CONDUCTOR "$ud")"
	grep -qF "url='https://Dl.Example.net/Agent-1.2.3'" "$ud" ||
		fail "no lower-case agent URL in: $(grep 'url=' "$ud")"
	! grep -q HTTPS "$ud" || fail "an upper-case scheme in: $(grep HTTPS "$ud")"
}

@test "--dry-run prints the exact requests with tokens redacted, sends none, changes no file" {
	sum=$(prov_store_sum "$REG" "$STATE" "$EVENTS" \
		"$PP_STATE_DIR/catalog.json")
	run --separate-stderr pp-provision --dry-run < <(decision scale_up 2 cx23 fsn1)
	assert_success
	jq_is .provision.dry_run true
	jq_is .provision.status dry_run
	jq_is '[.provision.servers[].status] | join(",")' dry_run,dry_run
	jq_is '.provision.requests | length' 2
	jq_is '.provision.requests[0] | .method + " " + .path' "POST /servers"
	jq_is '.provision.requests[0].sent' false
	jq_is '.provision.requests[0].body.location' fsn1
	jq_is '.provision.requests[0].body.server_type' cx23
	jq_is '.provision.requests[0].body.labels.role' worker
	jq_is '.provision.requests[0].body.user_data | contains("<redacted>")' true
	jq_is '.provision.requests[0].body.user_data | startswith("#cloud-config")' true
	assert_stderr_contains 'dry run: POST /servers {"name":"pp-'
	assert_stderr_contains '"user_data":"#cloud-config'
	[[ $stderr != *"$JOIN_TOKEN"* && $output != *"$JOIN_TOKEN"* ]]
	# the rendered user data is valid as it stands
	jq -r '.provision.requests[0].body.user_data' <<<"$output" \
		> "$BATS_TEST_TMPDIR/ud.yaml"
	run cloud-init schema --config-file "$BATS_TEST_TMPDIR/ud.yaml"
	assert_success
	[[ $(fake_log | jq '[.requests[] | select(.method != "GET")] |
		length') == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(prov_store_sum "$REG" "$STATE" "$EVENTS" \
		"$PP_STATE_DIR/catalog.json") == "$sum" ]]
}

@test "a decision marked dry_run is a dry run too" {
	run --separate-stderr pp-provision < <(decision scale_up 1 |
		jq -c '.decision.dry_run = true')
	assert_success
	jq_is .provision.dry_run true
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
}
