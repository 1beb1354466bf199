#!/usr/bin/env bats
# A cloud server an operator protected against deletion (Hetzner's delete
# protection, set in the console or with `hcloud server enable-protection`):
# the API answers its DELETE with 423 protected for as long as it holds.
# The whole pipeline against the fake: pp-provision records the protection
# on the node from its listing, the engine never picks the node to go and
# stops a drain of it, pp-drain refuses to drain it for a scale-down, and
# nothing is sent to delete it.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/provision'
	prov_fake_file pp-secret-token-3260
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/provision'
	prov_fake_test
	SID=$(fake_seed '{"servers": [{"name": "pp-old111", "location": "nbg1",
		"labels": {"managed_by": "ppscale", "role": "worker",
		"pool": "default"}}]}' |
		jq -r '.servers[0].id')
	fake_ctl DELETE /log >/dev/null
}

# cloud_node STATUS [FIELDS_JSON]: the seeded server's node, empty
cloud_node() {
	registry_add "$(jq -nc --arg sid "$SID" --arg st "$1" \
		--argjson x "${2:-"{}"}" '{id: "pp-old111",
		kind: "cloud", status: $st, role: "worker", total_ram_mb: 8192,
		reserved_ram_mb: 512, ip: "198.51.100.9", location: "nbg1",
		labels: {managed_by: "ppscale"}, cloud: {provider: "hetzner",
		server_id: $sid, server_type: "cx33", server_name: "pp-old111",
		hourly_cost_eur: 0.008, created_at: "2026-11-27T06:00:00Z"},
		containers: []} + $x')"
}

# protect true|false: the API call the console and the CLI make
protect() {
	curl -fsS -X POST -H "Authorization: Bearer $FAKE_TOKEN" \
		-H 'Content-Type: application/json' -d "{\"delete\": $1}" \
		"$FAKE_URL/servers/$SID/actions/change_protection" >/dev/null
}

deletes() {
	fake_log | jq '[.requests[] | select(.method == "DELETE")] | length'
}

# cycle NOW: one whole cycle; its document in $output, its stderr in
# $BATS_TEST_TMPDIR/err
cycle() {
	pp-fleetstats --no-record --now "$1" | pp-decide --now "$1" |
		pp-drain --now "$1" | pp-provision --now "$1" \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" ||
		fail "cycle at $1: $(<"$BATS_TEST_TMPDIR/err")"
	output=$(<"$BATS_TEST_TMPDIR/out")
}

protected_mark() {
	reg '.nodes[] | select(.id == "pp-old111") |
		.cloud.delete_protected // false'
}

# Unprotected, this node goes at 10:52 (the unneeded rule, in the last
# 10 minutes of its paid hour); protected, it stays, and once the
# protection is lifted it goes in the next hour's window.
@test "a delete-protected server's node is recorded, kept, and removed once the protection is lifted" {
	local now
	cloud_node ready
	protect true
	cycle 2026-11-27T10:00:00Z
	[[ $(protected_mark) == true ]]
	grep -q "node 'pp-old111': its server $SID is delete-protected in the cloud" \
		"$BATS_TEST_TMPDIR/err" || fail "no warning: $(<"$BATS_TEST_TMPDIR/err")"
	jq_is '[.nodes[] | select(.id == "pp-old111") | .delete_protected] |
		length' 1
	# pp-status names it, from the snapshot pp-fleetstats records
	pp-fleetstats --now 2026-11-27T10:01:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T10:01:00Z
	assert_success
	assert_output --partial "protected  pp-old111: delete-protected in the cloud, never removed until the protection is lifted"
	run --separate-stderr pp-status --now 2026-11-27T10:01:00Z --json
	jq_is '.delete_protected | join(",")' pp-old111
	for now in 2026-11-27T10:20:00Z 2026-11-27T10:52:00Z \
	    2026-11-27T10:56:00Z; do
		cycle "$now"
		jq_is .decision.action none
		jq_is '.nodes[] | select(.id == "pp-old111") | .delete_protected' \
			true
	done
	[[ $(deletes) == 0 ]]
	[[ $(reg '.nodes[] | select(.id == "pp-old111") | .status') == ready ]]
	protect false
	cycle 2026-11-27T11:40:00Z
	[[ $(protected_mark) == false ]]
	pp-fleetstats --now 2026-11-27T11:41:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T11:41:00Z
	refute_output --partial "protected  "
	cycle 2026-11-27T11:45:00Z
	cycle 2026-11-27T11:52:00Z
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	jq_is '.provision.servers[0] | [.op, .status] | join(",")' \
		"delete,removed"
	[[ $(deletes) == 1 ]]
	[[ $(fake_state | jq '.servers | length') == 0 ]]
}

# Protected after the drain began: pp-provision sends no DELETE (the
# guard reads the protection), says so, and the next cycle puts the node
# back to work instead of draining it again every cycle.
@test "a server protected while its node drains is not deleted, and the next cycle returns the node" {
	cloud_node draining '{"draining_since": "2026-11-27T10:48:00Z",
		"draining_by": "scale_down"}'
	protect true
	cycle 2026-11-27T10:52:00Z
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	jq_is .provision.status refused
	jq_is '.provision.servers[0] | [.op, .status, .error.code] | join(",")' \
		"delete,refused,protected"
	grep -q "is delete-protected" "$BATS_TEST_TMPDIR/err" ||
		fail "no warning: $(<"$BATS_TEST_TMPDIR/err")"
	[[ $(deletes) == 0 ]]
	[[ $(protected_mark) == true ]]
	run jq -r 'select(.node == "pp-old111") | [.type, .result] | join(",")' \
		"$EVENTS"
	assert_output "scaling.failed,refused"
	cycle 2026-11-27T10:54:00Z
	jq_is '.decision | [.action, .node] | join(" ")' "uncordon pp-old111"
	jq_is .drain.status uncordoned
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		"\(.status) \(.draining_by // "-")"') == "ready -" ]]
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

# Decided on a snapshot: the protection pp-provision records after the
# decision stops pp-drain before it moves a game server.
@test "pp-drain refuses a scale-down of a node recorded as delete-protected since the decision" {
	cloud_node ready '{"containers": [{"id": "mc-1", "ram_mb": 2048,
		"state": "running", "players": 3}]}'
	pp-fleetstats --no-record --now 2026-11-27T10:00:00Z |
		pp-decide --now 2026-11-27T10:00:00Z >/dev/null
	pp-fleetstats --no-record --now 2026-11-27T10:52:00Z |
		pp-decide --now 2026-11-27T10:52:00Z > "$BATS_TEST_TMPDIR/doc"
	output=$(<"$BATS_TEST_TMPDIR/doc")
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	protect true
	# any run of pp-provision (here on the newest snapshot, which
	# decides nothing) records it from its listing
	pp-fleetstats --no-record --now 2026-11-27T10:52:00Z |
		pp-provision --now 2026-11-27T10:52:00Z >/dev/null 2>&1
	[[ $(protected_mark) == true ]]
	run --separate-stderr pp-drain --now 2026-11-27T10:52:00Z \
		< "$BATS_TEST_TMPDIR/doc"
	jq_is .drain.status refused
	jq_is .drain.reason "node 'pp-old111' is delete-protected in the cloud (cloud.delete_protected): a scale-down could not remove its server"
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		"\(.status) \(.containers | length)"') == "ready 1" ]]
	[[ $(deletes) == 0 ]]
}

# A dry run reads the protection and says what it would do, changing
# nothing.
@test "a dry run reports the protection and records nothing" {
	cloud_node draining '{"draining_since": "2026-11-27T10:48:00Z",
		"draining_by": "scale_down"}'
	protect true
	local before
	before=$(prov_store_sum "$REG")
	run --separate-stderr bash -c 'pp-fleetstats --no-record \
		--now 2026-11-27T10:52:00Z | pp-decide --now 2026-11-27T10:52:00Z |
		pp-drain --now 2026-11-27T10:52:00Z |
		pp-provision --dry-run --now 2026-11-27T10:52:00Z'
	assert_success
	jq_is '.provision.servers[0] | [.op, .status, .error.code] | join(",")' \
		"delete,refused,protected"
	[[ $stderr == *"is delete-protected in the cloud"* ]]
	[[ $(protected_mark) == false ]]
	[[ $(deletes) == 0 ]]
}
