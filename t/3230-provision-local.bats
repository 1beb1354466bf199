#!/usr/bin/env bats
# pp-provision with the local provider (the default): on the --now clock
# a new server boots only between runs, so a later run promotes it or,
# past cloud.boot_timeout, deletes it. Bad input, metrics.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/provision'
	pp_isolate
	prov_setup local
	CLOUD="$PP_STATE_DIR/cloud.json"
}

@test "local: a new server stays provisioning; a later run marks it ready" {
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is .provision.status pending
	jq_is '.provision.servers[0].status' provisioning
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	[[ $(reg ".nodes[1] | .id + \":\" + .status") == "$name:provisioning" ]]
	[[ $(reg '.nodes[1].cloud.created_at') == 2026-11-27T10:00:00Z ]]
	# 60 s later (boot_seconds 90): still booting, nothing to report
	in=$(decision none 0)
	run --separate-stderr pp-provision --now 2026-11-27T10:01:00Z <<<"$in"
	assert_success
	[[ $(jq -S . <<<"$output") == $(jq -S . <<<"$in") ]]
	run --separate-stderr pp-provision --now 2026-11-27T10:02:00Z <<<"$in"
	assert_success
	jq_is '.provision.servers[0] | [.op, .node, .status] | join(",")' \
		"promote,$name,ready"
	[[ $(reg '.nodes[1].status') == ready ]]
	[[ $(reg '.nodes[1].ip') == 198.51.100.* ]]
	run jq -r .type "$PP_STATE_DIR/events.jsonl"
	assert_output "node.provisioning
node.added"
	# its own reason, not this run's decision's
	run jq -r 'select(.type == "node.added") | .reason' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output "its server, created by an earlier run, is running now"
}

@test "local: a server still not running after cloud.boot_timeout is deleted by a later run" {
	prov_setup local "  boot_timeout: 10m
  local:
    boot_seconds: 1h"
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	[[ $(jq '.servers | length' "$CLOUD") == 1 ]]
	run --separate-stderr pp-provision --now 2026-11-27T10:10:01Z \
		< <(decision none 0)
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status + ":" + .error.code' \
		expire:deleted:boot_timeout
	[[ $(jq '.servers | length' "$CLOUD") == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r .type "$PP_STATE_DIR/events.jsonl"
	assert_output "node.provisioning
scaling.failed
node.removed"
}

@test "local: a provisioning node whose server is gone is removed" {
	pp-provision --now 2026-11-27T10:00:00Z < <(decision scale_up 1) \
		> /dev/null 2>&1
	echo '{"version": 1, "next_id": 9, "servers": []}' > "$CLOUD"
	run --separate-stderr pp-provision --now 2026-11-27T10:01:00Z \
		< <(decision none 0)
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' forget:removed
	assert_stderr_contains "is gone: removing the node"
	[[ $(reg '.nodes | length') == 1 ]]
}

@test "local: a dry run says it would remove a provisioning node whose server is gone, and keeps it" {
	pp-provision --now 2026-11-27T10:00:00Z < <(decision scale_up 1) \
		> /dev/null 2>&1
	echo '{"version": 1, "next_id": 9, "servers": []}' > "$CLOUD"
	run --separate-stderr pp-provision --dry-run \
		--now 2026-11-27T10:01:00Z < <(decision none 0)
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' forget:dry_run
	assert_stderr_contains "is gone: would remove (dry run) the node"
	refute_stderr_contains "removing"
	[[ $(reg '.nodes | length') == 2 ]]
}

@test "local: a mistyped cloud file loses no node: its servers are not 'gone' from a file that is not there" {
	pp-provision --now 2026-11-27T10:00:00Z < <(decision scale_up 1) \
		> /dev/null 2>&1
	pp-provision --now 2026-11-27T10:02:00Z < <(decision none 0) \
		> /dev/null 2>&1
	name=$(reg '.nodes[1].id')
	[[ $(reg '.nodes[1].status') == ready ]]
	# one provisioning node too
	pp-provision --now 2026-11-27T10:03:00Z < <(decision scale_up 1) \
		> /dev/null 2>&1
	[[ $(reg '.nodes[2].status') == provisioning ]]
	printf '  local:\n    file: %s\n' "$PP_STATE_DIR/clouds.json" |
		sed -i '/^cloud:/r /dev/stdin' "$PP_CONFIG"
	sum=$(files_sum "$REG")
	run --separate-stderr pp-provision --now 2026-11-27T10:04:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "$PP_STATE_DIR/clouds.json"
	refute_stderr_contains "is gone"
	[[ $(files_sum "$REG") == "$sum" ]]
	# nor is a scale-down's delete taken for done
	jq '.nodes[1].status = "draining"' "$REG" > "$REG.tmp" &&
		mv "$REG.tmp" "$REG"
	run --separate-stderr pp-provision --now 2026-11-27T10:04:00Z \
		< <(decision scale_down 1 cx23 nbg1 "$name" |
		jq -c --arg n "$name" '.drain = {node: $n, empty: true,
		status: "empty"}')
	assert_failure 1
	assert_stderr_contains "$PP_STATE_DIR/clouds.json"
	[[ $(reg '.nodes | length') == 3 ]]
	[[ ! -e $PP_STATE_DIR/clouds.json ]]
}

@test "counts the scaling action in the metrics textfile" {
	prov_setup local
	echo "metrics: {textfile: $BATS_TEST_TMPDIR/pp.prom}" >> "$PP_CONFIG"
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision provision_spare 1)
	assert_success
	run grep -F 'pp_scaling_events_total{action="provision_spare",result="success"} 1' \
		"$BATS_TEST_TMPDIR/pp.prom"
	assert_success
	run grep -F 'pp_last_run_success{tool="pp-provision"} 1' \
		"$BATS_TEST_TMPDIR/pp.prom"
	assert_success
}

# input | why it is refused
bad_inputs() {
	# (each made now, but the one without a time)
	sed "s/^{\"version\":1,/&\"generated_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",/" <<-'EOF'
	{"version": 1, "decision": {"action": "none"}}|'generated_at' is missing or not a time
	{"version":1,"decision":{"action":"explode"}}|unknown decision action
	{"version":1,"decision":{"action":"scale_up","count":1}}|names no server_type
	{"version":1,"decision":{"action":"scale_up","count":0,"server_type":"cx23"}}|has count 0
	{"version":1,"decision":{"action":"scale_up","count":1.5,"server_type":"cx23"}}|has count 1.5
	{"version":1,"decision":{"action":"scale_up","count":"3","server_type":"cx23"}}|has count "3"
	{"version":1,"decision":{"action":"provision_spare","server_type":"cx23"}}|has count none
	{"version":1,"decision":{"action":"scale_up","count":101,"server_type":"cx23"}}|from 1 to 100
	{"version":1,"decision":{"action":"scale_up","count":1,"server_type":"zz9"}}|not in the catalog
	{"version":1,"decision":{"action":"scale_down"}}|names no node
	{"version":1,"decision":"scale_up"}|decision is not an object
	{"version":1,"decision":[]}|decision is not an object
	{"version":1,"decision":{"action":5}}|decision action is not a string
	{"version":99,"decision":{"action":"none"}}|version
	not json|
	EOF
}

@test "bad input is refused with exit 2 and nothing changed" {
	local line in why
	sum=$(files_sum "$REG" "$CLOUD")
	while IFS='|' read -r in why; do
		run --separate-stderr pp-provision <<<"$in"
		[[ $status == 2 ]] || fail "'$in': exit $status, not 2"
		[[ -z $why ]] || assert_stderr_contains "$why"
	done < <(bad_inputs)
	[[ $(files_sum "$REG" "$CLOUD") == "$sum" ]]
}

@test "a scale_up with no registry to record it in creates nothing" {
	rm "$REG"
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_failure 2
	assert_stderr_contains "registry"
	[[ ! -e $CLOUD ]] || [[ $(jq '.servers | length' "$CLOUD") == 0 ]]
}

@test "a dry run makes no missing state directory, whatever the decision" {
	local s="$BATS_TEST_TMPDIR/no-state" d
	for d in "scale_up 1" "provision_spare 1" "scale_down 1 cx23 nbg1 ded-1" \
		"none 0"; do
		run --separate-stderr pp-provision --dry-run --state-dir "$s" \
			-r "$REG" --now 2026-11-27T10:00:00Z < <(decision $d)
		assert_success
		[[ ! -e $s ]] || fail "pp-provision --dry-run ($d) made $(find "$s")"
	done
	# and so does the dry-run pipeline, reconciling
	run --separate-stderr bash -o pipefail -c '
		pp-fleetstats --dry-run --reconcile --state-dir "$1" -r "$2" |
		pp-decide --dry-run --state-dir "$1" |
		pp-drain --dry-run --state-dir "$1" -r "$2" |
		pp-provision --dry-run --state-dir "$1" -r "$2"' _ "$s" "$REG"
	assert_success
	[[ ! -e $s ]] || fail "the dry-run pipeline made $(find "$s")"
}

@test "a dry run's registry URL that does not answer is exit 1, a failure the next cycle may not meet" {
	# nothing listens on port 1: the connection is refused
	for d in "scale_up 1" "scale_down 1 cx23 nbg1 cloud-x"; do
		run --separate-stderr pp-provision --dry-run \
			-r "http://127.0.0.1:1/registry.json" \
			--now 2026-11-27T10:00:00Z < <(decision $d)
		assert_failure 1
		assert_stderr_contains "cannot fetch 'http://127.0.0.1:1/...'"
	done
	[[ ! -e $CLOUD ]]
}

# pp-fleetstats' document with the decision replaced by $1
fleet_doc() {
	pp-fleetstats --no-record --now "$2" |
		jq -c --arg a "$1" '.decision = {action: $a, count: 0,
		reason: "test", dry_run: false}'
}

@test "an idle cycle reads no registry: the document's node list says nothing is provisioning" {
	doc=$(fleet_doc none 2026-11-27T10:00:00Z)
	jq -e '.nodes | length > 0' <<<"$doc" > /dev/null
	# the registry is gone after pp-fleetstats read it: not looked at
	mv "$REG" "$REG.away"
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z <<<"$doc"
	assert_success
	refute_stderr_contains "registry"
	[[ ! -e $REG ]]
}

@test "a node provisioning in the document's node list is promoted when its server runs" {
	pp-provision --now 2026-11-27T10:00:00Z < <(decision scale_up 1) \
		> /dev/null 2>&1
	[[ $(reg '.nodes[1].status') == provisioning ]]
	doc=$(fleet_doc none 2026-11-27T10:02:00Z)
	run --separate-stderr pp-provision --now 2026-11-27T10:02:00Z <<<"$doc"
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' promote:ready
	[[ $(reg '.nodes[1].status') == ready ]]
}
