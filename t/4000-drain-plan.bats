#!/usr/bin/env bats
# pp-drain: where a node's game servers go (the planner), seen through
# --dry-run, and plans that do not fit.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/drain'
	pp_isolate
	reg_init
	drain_config
}

# The hand example: best fit decreasing puts a (6000) on T1, then b
# (4000) on T3 where it fits exactly, c (3000) and d (2000) on T2.
# First fit decreasing (a>T1 b>T2 c>T3) would have no room left for d.
hand_example() {
	reg_node S cloud ready 20000 a:6000 b:4000 c:3000 d:2000 e:8000:stopped
	reg_node T1 cloud ready 8000 x:1000
	reg_node T2 cloud ready 5000
	reg_node T3 dedicated ready 4000
	reg_node D cloud draining 50000
	reg_node P cloud provisioning 50000
	reg_node U cloud unhealthy 50000
	reg_write
}

@test "plans best fit decreasing on a hand example where first fit fails" {
	hand_example
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	jq_is '[.drain.planned[] | "\(.server)>\(.to)"] | join(",")' \
		'a>T1,b>T3,c>T2,d>T2,e>T1'
	jq_is '.drain.status' planned
	jq_is '.drain.dry_run' true
	jq_is '.drain.empty' false
	jq_is '[.drain.planned[] | .to_ip] | join(",")' \
		'192.0.2.2,192.0.2.4,192.0.2.3,192.0.2.3,192.0.2.2'
	jq_is '.drain.planned[0] | "\(.from) \(.ram_mb) \(.state)"' \
		'S 6000 running'
}

@test "never plans onto the node itself or onto draining, provisioning or unhealthy nodes" {
	hand_example
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	jq_is '[.drain.planned[].to | select(. == "S" or . == "D" or
		. == "P" or . == "U")] | length' 0
}

@test "a stopped game server holds no RAM but gets a home on the roomiest ready node" {
	reg_node S cloud ready 8000 w:4000:stopped
	reg_node T1 cloud ready 1000
	reg_node T2 cloud ready 3000 y:2000
	reg_node T3 cloud ready 2000
	reg_write
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	jq_is '[.drain.planned[] | "\(.server)>\(.to) \(.ram_mb) \(.size_mb) \(.state)"] | join(",")' \
		'w>T3 0 4000 stopped'
}

@test "stopped game servers spread by the RAM they would need, largest first" {
	reg_node S cloud ready 8000 v:3000:stopped u:4000:stopped t:1000:stopped
	reg_node T1 cloud ready 6000
	reg_node T2 cloud ready 5000
	reg_write
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	# u (4000) to the roomiest, T1 (2000 left if it starts); v (3000) to
	# T2; t (1000) to T1 again
	jq_is '[.drain.planned[] | "\(.server)>\(.to)"] | join(",")' \
		'u>T1,v>T2,t>T1'
}

@test "a node with only non-ready neighbours has no plan and says why" {
	reg_node S cloud ready 8000 a:1000 b:0:stopped
	reg_node D cloud draining 50000
	reg_node U cloud unhealthy 50000
	reg_write
	run --separate-stderr pp-drain --node S --dry-run
	assert_failure 1
	jq_is '.drain.status' blocked
	jq_is '.drain.planned | length' 0
	jq_is '.drain.reason' \
		"nothing moved: no ready node other than 'S' to take its 2 game servers"
}

@test "a scale-down whose plan does not fit moves nothing, keeps the node in service and says why" {
	reg_node S cloud ready 10000 x:5000 y:5000 z:0:stopped
	reg_node T1 cloud ready 6000
	reg_node T2 cloud ready 4000
	reg_write
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' blocked
	jq_is '.drain.empty' false
	jq_is '.drain.planned | length' 0
	jq_is '.drain.moved | length' 0
	jq_is '.drain.reason' "nothing moved: game server 'y' (5000 MB) fits on no ready node: largest free block 4000 MB on 'T2' after placing 1 before it; 'S' needs 10000 MB in all, 10000 MB free on 2 ready nodes"
	assert_stderr_contains "fits on no ready node"
	[ ! -e "$HOOK_LOG" ]
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	[ "$(events_of drain.blocked | jq -r .node)" = S ]
}

@test "a maintenance drain whose plan does not fit still cordons the node but moves nothing" {
	reg_node S dedicated ready 10000 x:5000 y:5000
	reg_node T1 cloud ready 6000
	reg_write
	run --separate-stderr pp-drain --node S --now 2026-11-27T18:00:00Z
	assert_failure 1
	jq_is '.drain.status' blocked
	reg_is '.nodes[0].status' draining
	reg_is '.nodes[0].draining_by' maintenance
	reg_is '.nodes[0].containers | length' 2
	[ ! -e "$HOOK_LOG" ]
}

# every file in the state directory with its checksum; reading the
# registry creates its (empty) lock file, which is not a change
state_sum() {
	(cd "$PP_STATE_DIR" && find . -type f ! -name '*.lock' | sort |
		xargs -r sha256sum)
}

# --dry-run, or a decision with dry_run true: the registry, the state
# directory and the events stay exactly as they were, and no hook runs.
@test "a dry run changes nothing and runs no hook (--dry-run, decision.dry_run, --node)" {
	for how in flag doc node; do
		reg_init
		reg_node S cloud ready 8000 a:1000:running:2 b:2000
		reg_node T cloud ready 8000
		reg_write
		before=$(state_sum)
		case $how in
		flag) run --separate-stderr pp-drain --dry-run \
			<<<"$(decision_doc scale_down S)" ;;
		doc) run --separate-stderr pp-drain \
			<<<"$(decision_doc scale_down S true)" ;;
		node) run --separate-stderr pp-drain --node S --dry-run ;;
		esac
		assert_success
		jq_is '.drain.status' planned
		jq_is '.drain.dry_run' true
		jq_is '.drain.planned | length' 2
		jq_is '[.drain.waiting[].server] | join(",")' a
		jq_is '.drain.draining_since' null
		[ "$(state_sum)" = "$before" ] ||
			fail "dry run ($how) changed the state directory"
		[ ! -e "$HOOK_LOG" ]
	done
}

# Found by the day in t/9000-day.bats: moving onto the warm spare used it
# up, the spare pool bought another, and the next scale-down drained onto
# that one, a server bought and one deleted every six minutes.
@test "plans onto warm spares only when nothing else has room" {
	reg_node S cloud ready 8000 a:3000 b:2000:stopped
	reg_node SP cloud ready 3000
	reg_node W dedicated ready 20000 x:1000
	reg_write
	jq '(.nodes[] | select(.id == "SP")).role = "spare"' "$REGISTRY" \
		> "$REGISTRY.new" && mv "$REGISTRY.new" "$REGISTRY"
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	jq_is '[.drain.planned[] | "\(.server)>\(.to)"] | join(",")' 'a>W,b>W'
	# when only the spare has room, it is used
	jq '(.nodes[] | select(.id == "W")).containers[0].ram_mb = 18000' \
		"$REGISTRY" > "$REGISTRY.new" && mv "$REGISTRY.new" "$REGISTRY"
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	jq_is '[.drain.planned[] | "\(.server)>\(.to)"] | join(",")' 'a>SP,b>W'
}

# over_reported: T1 a cx33 (8192 MB) whose platform reports 10012 MB
# (9500 usable): 6500 MB free as reported, 4680 as pp-fleetstats counts
# it (7680 usable). T2 (dedicated) has 7000 free. a (6000) fits T1
# only in RAM that does not exist.
over_reported() {
	reg_node S cloud ready 8000 a:6000 b:2000
	reg_node T1 cloud ready 9500 x:3000
	reg_node T2 dedicated ready 7000
	reg_write
	jq '(.nodes[] | select(.id == "T1")).cloud.server_type = "cx33"' \
		"$REGISTRY" > "$REGISTRY.new" && mv "$REGISTRY.new" "$REGISTRY"
}

@test "plans no move onto RAM an over-reported cloud node does not have, as pp-fleetstats counts it" {
	over_reported
	run --separate-stderr pp-drain --node S --dry-run
	assert_success
	# best fit on the figures as reported would be a>T1 (6500 free, the
	# least that fits), then b>T2
	jq_is '[.drain.planned[] | "\(.server)>\(.to)"] | join(",")' 'a>T2,b>T1'
	assert_stderr_contains "pp-drain: cloud node 'T1' reports total_ram_mb 10012, over the 8192 MB of its server type 'cx33': counting 8192"
	# the figure pp-fleetstats puts in the document, for pp-decide
	run --separate-stderr pp-fleetstats --dry-run
	assert_success
	jq_is '.nodes[] | select(.id == "T1") | .free_ram_mb' 4680
}

@test "a scale-down whose moves fit only in RAM an over-reported cloud node does not have moves nothing" {
	reg_node S cloud ready 8000 a:6000
	reg_node T1 cloud ready 9500 x:3000
	reg_write
	jq '(.nodes[] | select(.id == "T1")).cloud.server_type = "cx33"' \
		"$REGISTRY" > "$REGISTRY.new" && mv "$REGISTRY.new" "$REGISTRY"
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' blocked
	jq_is '.drain.planned | length' 0
	jq_is '.drain.reason' "nothing moved: game server 'a' (6000 MB) fits on no ready node: largest free block 4680 MB on 'T1' after placing 0 before it; 'S' needs 6000 MB in all, 4680 MB free on 1 ready node"
	[ ! -e "$HOOK_LOG" ]
	reg_is '.nodes[0].status' ready
}
