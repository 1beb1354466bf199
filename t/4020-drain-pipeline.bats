#!/usr/bin/env bats
# pp-drain in the pipeline: pass-through, uncordon (rescue), refusals,
# bad input, and two pp-drains on one node.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/drain'
	pp_isolate
	reg_init
	drain_config
	reg_node S cloud ready 8000 a:1000 b:2000
	reg_node T cloud ready 8000
	reg_node DED dedicated ready 64000 d:4000
	reg_write
}

@test "passes every other decision through unchanged and touches nothing" {
	before=$(files_sum "$REGISTRY")
	for action in scale_up provision_spare none; do
		doc=$(decision_doc "$action" S)
		run --separate-stderr pp-drain <<<"$doc"
		assert_success
		[ "$(jq -S . <<<"$output")" = "$(jq -S . <<<"$doc")" ] ||
			fail "'$action' document changed: $output"
	done
	doc='{"version":1,"generated_at":"2026-11-27T18:00:00Z","fleet":{}}'
	run --separate-stderr pp-drain <<<"$doc"
	assert_success
	jq_is 'has("drain")' false
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	[ ! -e "$PP_STATE_DIR/events.jsonl" ]
	[ ! -e "$HOOK_LOG" ]
}

@test "uncordon sets a draining node back to ready and emits node.uncordoned" {
	HOOK_FAIL="a b" run --separate-stderr pp-drain \
		<<<"$(decision_doc scale_down S)"
	assert_success
	reg_is '.nodes[0].status' draining

	run --separate-stderr pp-drain <<<"$(decision_doc uncordon S)"
	assert_success
	jq_is '.drain.status' uncordoned
	jq_is '.drain.action' uncordon
	jq_is '.drain.empty' false
	jq_is '.drain.remaining' 2
	jq_is '.decision.action' uncordon
	reg_is '.nodes[0].status' ready
	reg_is '.nodes[0] | has("draining_since") or has("draining_by")' false
	reg_is '.nodes[0].containers | length' 2
	[ "$(events_of node.uncordoned | jq -r '"\(.node) \(.reason)"')" = 'S test' ]
}

@test "uncordon of a node that is already ready changes nothing" {
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$(decision_doc uncordon S)"
	assert_success
	jq_is '.drain.status' uncordoned
	jq_is '.drain.reason' "node 'S' is already ready"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	[ -z "$(events_of node.uncordoned)" ]
}

@test "the pipeline does not uncordon a node an operator drains for maintenance" {
	run --separate-stderr pp-drain --node DED <<<""
	reg_is '.nodes[2].status' draining
	HOOK_FAIL=d run --separate-stderr pp-drain --node S
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$(decision_doc uncordon S)"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.reason' \
		"node 'S' is drained for maintenance; only 'pp-drain --node S --uncordon' returns it to service"
	[ "$(files_sum "$REGISTRY")" = "$before" ]

	run --separate-stderr pp-drain --node S --uncordon
	assert_success
	jq_is '.drain.status' uncordoned
	reg_is '.nodes[0].status' ready
}

@test "a scale-down does not finish a cloud node an operator drains for maintenance" {
	HOOK_FAIL=b run --separate-stderr pp-drain --node S
	reg_is '.nodes[0].status' draining
	reg_is '.nodes[0].draining_by' maintenance
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.empty' false
	jq_is '.drain.reason' \
		"node 'S' is drained by hand for maintenance: the pipeline neither finishes nor deletes it ('pp-drain --node S --uncordon' returns it)"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	# the operator finishes it
	run --separate-stderr pp-drain --node S
	assert_success
	jq_is '.drain.empty' true
}

@test "a scale-down never drains a dedicated node" {
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down DED)"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.empty' false
	jq_is '.drain.reason' \
		"node 'DED' is dedicated: a scale-down never drains a dedicated node (for maintenance: pp-drain --node DED)"
	assert_stderr_contains "node 'DED' is dedicated"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	[ ! -e "$HOOK_LOG" ]
	[ "$(events_of drain.refused | jq -r .node)" = DED ]
}

@test "a scale-down never drains a node pp-provision cannot delete, and returns one a scale-down drained" {
	reg_node H cloud ready 8000 h:1000
	reg_node B cloud ready 8000 b1:1000
	reg_node X cloud draining 8000 x:1000
	REG=$(jq -c '(.nodes[] | select(.id == "H" or .id == "X")).cloud.provider = "aws" |
		(.nodes[] | select(.id == "B")).cloud.server_id = null |
		(.nodes[] | select(.id == "X")) += {draining_by: "scale_down",
		  draining_since: "2026-11-27T17:00:00Z"}' <<<"$REG")
	reg_write
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down H)"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.empty' false
	jq_is '.drain.reason' \
		"node 'H' belongs to provider 'aws', not 'local' (cloud.provider): a scale-down never drains a node pp-provision cannot delete (for maintenance: pp-drain --node H)"
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down B)"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.reason' \
		"node 'B' has no server id: a scale-down never drains a node pp-provision cannot delete (for maintenance: pp-drain --node B)"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	[ ! -e "$HOOK_LOG" ]
	# drained for a scale-down before (or before cloud.provider
	# changed): nothing would finish it, so it goes back to work
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down X)"
	jq_is '.drain.reason' \
		"node 'X' belongs to provider 'aws', not 'local' (cloud.provider): a scale-down never drains a node pp-provision cannot delete (for maintenance: pp-drain --node X); a real run would set it back to ready: nothing can finish its drain"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down X)"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.remaining' 1
	reg_is '(.nodes[] | select(.id == "X")) | "\(.status) \(has("draining_by"))"' 'ready false'
	[ "$(events_of node.uncordoned | jq -r .node)" = X ]
	[ ! -e "$HOOK_LOG" ]
}

@test "a scale-down refuses provisioning and unhealthy nodes with game servers and unknown ones" {
	reg_node P cloud provisioning 8000
	reg_node U cloud unhealthy 8000 u:1000
	reg_write
	before=$(files_sum "$REGISTRY")
	for n in P U nope; do
		run --separate-stderr pp-drain <<<"$(decision_doc scale_down $n)"
		assert_success
		jq_is '.drain.status' refused
		jq_is '.drain.empty' false
	done
	jq_is '.drain.reason' "node 'nope' is not in the registry"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
}

@test "a scale-down of an unhealthy node with a game server on it names them in its refusal" {
	reg_node U cloud unhealthy 8000 u:1000
	reg_write
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down U)"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.reason' "node 'U' is unhealthy with 1 game server recorded on it: a scale-down drains only ready or draining nodes, or an unhealthy one that holds none (for maintenance: pp-drain --node U)"
	reg_is '.nodes[] | select(.id == "U") | .status' unhealthy
}

# The unneeded rule's unhealthy_after retires an unhealthy cloud node
# that holds no game server: cordoned, it is empty at once, and
# pp-provision deletes it as any drained node.
@test "a scale-down of an unhealthy node that holds no game server cordons it: empty" {
	reg_node U cloud unhealthy 8000
	reg_write
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down U)"
	assert_success
	jq_is '.drain.status' empty
	jq_is '.drain.empty' true
	reg_is '.nodes[] | select(.id == "U") | .status' draining
	reg_is '.nodes[] | select(.id == "U") | .draining_by' scale_down
	[ ! -e "$HOOK_LOG" ]
}

@test "bad input is refused with status 2 and nothing is touched" {
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down "")"
	assert_failure 2
	assert_stderr_contains "decision 'scale_down' names no node"
	run --separate-stderr pp-drain <<<'{"version":1,'
	assert_failure 2
	run --separate-stderr pp-drain <<<'{"version":99,"decision":{"action":"scale_down","node":"S"}}'
	assert_failure 2
	run --separate-stderr pp-drain --uncordon <<<"$(decision_doc uncordon S)"
	assert_failure 2
	# an action pp-provision refuses is refused here too, not passed on
	# as nothing to drain
	run --separate-stderr pp-drain <<<"$(decision_doc scale-down S)"
	assert_failure 2
	assert_stderr_contains "unknown decision action 'scale-down'"
	assert_output ""
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S |
		jq -c '.decision = "scale_down"')"
	assert_failure 2
	assert_stderr_contains "decision is not an object"
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S |
		jq -c '.decision.action = 5')"
	assert_failure 2
	assert_stderr_contains "decision action is not a string"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
}

@test "a second pp-drain on the same node reports busy and leaves the registry whole" {
	export HOOK_SLEEP=1.5
	decision_doc scale_down S > "$BATS_TEST_TMPDIR/doc"
	pp-drain < "$BATS_TEST_TMPDIR/doc" > "$BATS_TEST_TMPDIR/first.out" \
		2>/dev/null &
	first=$!
	wait_exists "$HOOK_LOG.pid"
	unset HOOK_SLEEP
	run --separate-stderr pp-drain < "$BATS_TEST_TMPDIR/doc"
	assert_success
	jq_is '.drain.status' busy
	jq_is '.drain.empty' false
	jq_is '.drain.reason' "another pp-drain (pid $first) is working on node 'S'"
	run --separate-stderr pp-drain --node S
	assert_failure 1
	jq_is '.drain.status' busy
	wait "$first"
	output=$(cat "$BATS_TEST_TMPDIR/first.out")
	jq_is '.drain.status' empty
	reg_is '[.nodes[].containers[].id] | sort | join(",")' a,b,d
	reg_is '.nodes[1].containers | length' 2
}

@test "a node another pp-drain is moving game servers onto is not empty until the moves are recorded" {
	# an operator drains S; T is the empty node a scale-down picks
	export HOOK_SLEEP=1.5
	pp-drain --node S > "$BATS_TEST_TMPDIR/first.out" 2>/dev/null &
	first=$!
	wait_exists "$HOOK_LOG.pid"
	unset HOOK_SLEEP
	# b is on its way to T, recorded on S until its hook ends: were T
	# empty, pp-provision would delete its server, and b with it
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down T)"
	assert_success
	jq_is '.drain.status' in_progress
	jq_is '.drain.empty' false
	jq_is '.drain.reason' \
		"no game server left on 'T', but another pp-drain is moving one onto it; the next cycle looks again"
	run --separate-stderr pp-drain --dry-run \
		<<<"$(decision_doc scale_down T)"
	assert_success
	jq_is '.drain.empty' false
	wait "$first"
	# b is recorded where it went; a no longer goes to a draining T
	output=$(cat "$BATS_TEST_TMPDIR/first.out")
	jq_is '[.drain.moved[].server] | join(",")' b
	jq_is '.drain.skipped[0].server' a
	reg_is '.nodes[1].status' draining
	reg_is '[.nodes[1].containers[].id] | join(",")' b
	reg_is '[.nodes[0].containers[].id] | join(",")' a
}

@test "two drains of different nodes never overfill a shared target" {
	reg_init
	reg_node S1 cloud ready 8000 a:3000
	reg_node S2 cloud ready 8000 b:3000
	reg_node T cloud ready 4000
	reg_write
	HOOK_SLEEP=1 pp-drain < <(decision_doc scale_down S1) \
		> "$BATS_TEST_TMPDIR/first.out" 2>/dev/null &
	first=$!
	wait_exists "$HOOK_LOG.pid"
	# S2's plan still sees 4000 MB free on T: a is not recorded yet
	run --separate-stderr pp-drain < <(decision_doc scale_down S2)
	assert_success
	wait "$first"
	jq_is '.drain.planned[0].to' T
	jq_is '.drain.moved | length' 0
	jq_is '.drain.skipped[0].reason' \
		"target 'T' has 1000 MB free now, 'b' needs 3000 MB; re-planned next cycle"
	[ "$(jq -r .drain.status "$BATS_TEST_TMPDIR/first.out")" = empty ]
	reg_is '[.nodes[2].containers[].id] | join(",")' a
	reg_is '[.nodes[1].containers[].id] | join(",")' b
}

# pp-fleetstats' document as pp-drain reads it in the cycle (made now,
# as pp-drain's clock has it), with the decision to drain S and a jq
# edit of the document's node list ($1)
fleet_doc() {
	pp-fleetstats -q --no-record < /dev/null |
		jq -c --arg n S "$1 | .decision = {action: \"scale_down\",
			node: \$n, reason: \"test\", dry_run: false,
			evaluations: []}"
}

@test "the plan comes from pp-fleetstats' node list, the registry read only for the nodes it uses" {
	reg_init
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_node U cloud ready 8000
	reg_write
	# a registry in service has its lock file: pp-fleetstats, which
	# checks the whole file under the shared lock, stamps it there
	: > "$REGISTRY.lock"
	doc=$(fleet_doc '(.nodes[] | select(.id == "T") | .status) = "unhealthy"')
	grep -q '^ppscale-registry-checked ' "$REGISTRY.lock"
	# the plan follows the document (T is not a target there); the
	# registry, read whole, would have chosen T
	run --separate-stderr pp-drain <<<"$doc"
	assert_success
	jq_is '.drain.planned[0] | "\(.to) \(.to_ip)"' 'U 192.0.2.3'
	jq_is '.drain.status' empty
	reg_is '[.nodes[2].containers[].id] | join(",")' a
	[ "$(hook_calls)" = 'a>U' ]
}

@test "a drain continued on a node someone has returned to service since is refused" {
	reg_init
	reg_node S cloud draining 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	: > "$REGISTRY.lock"
	# pp-decide continues a drain in progress, with none of a new
	# scale-down's checks (the fit, the capacity left, the floors)
	doc=$(fleet_doc '.decision.continued = true')
	# between pp-fleetstats and pp-drain an operator takes it back
	run --separate-stderr pp-drain --node S --uncordon
	assert_success
	reg_is '.nodes[0].status' ready
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$doc"
	assert_success
	jq_is '.drain.status' refused
	jq_is '.drain.empty' false
	jq_is '.drain.reason' \
		"node 'S' was draining when the scale-down was decided and is ready now: someone returned it, and the next cycle decides again"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	[ -z "$(hook_calls)" ]
}

@test "a document older than the registry costs a re-planned move, never an overfilled target" {
	reg_init
	reg_node S cloud ready 8000 a:3000
	reg_node T cloud ready 4000 x:3000
	reg_write
	: > "$REGISTRY.lock"
	# the document says T is empty; the registry, that it is not
	doc=$(fleet_doc '(.nodes[] | select(.id == "T") | .allocated_ram_mb) = 0')
	run --separate-stderr pp-drain <<<"$doc"
	assert_success
	jq_is '.drain.planned[0].to' T
	jq_is '.drain.moved | length' 0
	jq_is '.drain.skipped[0].reason' \
		"target 'T' has 1000 MB free now, 'a' needs 3000 MB; re-planned next cycle"
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	reg_is '.nodes[0].status' draining
	[ -z "$(hook_calls)" ]
}

@test "the check before a move counts an over-reported cloud node's RAM as pp-fleetstats does" {
	reg_init
	reg_node S cloud ready 8000 a:4000
	# T1 a cx33 (8192 MB) its platform reports at 10012 MB
	reg_node T1 cloud ready 9500 x:3000
	reg_node T2 cloud ready 8000 y:1000
	REG=$(jq -c '(.nodes[] | select(.id == "T1")).cloud.server_type
		= "cx33"' <<<"$REG")
	reg_write
	: > "$REGISTRY.lock"
	# the document counts T1's 4680 MB free (a's best fit); then the
	# platform places z there: 4500 MB free as reported, 2680 as counted
	doc=$(fleet_doc '.')
	jq -e '.nodes[] | select(.id == "T1") | .free_ram_mb == 4680' \
		<<<"$doc" >/dev/null
	pp-registry -q place T1 z 2000
	run --separate-stderr pp-drain <<<"$doc"
	assert_success
	jq_is '.drain.planned[0].to' T1
	jq_is '.drain.moved | length' 0
	jq_is '.drain.skipped[0].reason' \
		"target 'T1' has 2680 MB free now, 'a' needs 4000 MB; re-planned next cycle"
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	reg_is '.nodes[1].total_ram_mb' 10012
	[ -z "$(hook_calls)" ]
}

@test "a document that does not list the registry's nodes is not planned from" {
	reg_init
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_node U cloud ready 8000
	reg_write
	: > "$REGISTRY.lock"
	# U is missing from the document: the registry is read whole
	doc=$(fleet_doc '.nodes |= map(select(.id != "U")) |
		(.nodes[] | select(.id == "T") | .status) = "unhealthy"')
	run --separate-stderr pp-drain <<<"$doc"
	assert_success
	jq_is '.drain.planned[0].to' T
	reg_is '[.nodes[1].containers[].id] | join(",")' a
}
