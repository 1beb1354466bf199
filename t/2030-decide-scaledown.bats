#!/usr/bin/env bats
# Which node a scale-down removes, and when none may go; continuing and
# rescuing a drain.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/decide'
	pp_isolate
	no_spare_config
	# the reactive window has long passed
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"policies": {"reactive":
	 {"below_since": "2026-11-25T10:00:00Z"}}}}
	EOF
	NOW=2026-11-25T12:40:00Z
}

@test "a dedicated node is never chosen, however idle" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node ded-2 dedicated ready worker 100000 -
	decide "$NOW" --dry-run
	assert_success
	jq_is '(.decision.evaluations[] | select(.policy == "reactive")).verdict' down
	jq_is .decision.action none
	assert_output --partial 'dedicated nodes are never removed'
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 3x1000
	decide "$NOW" --dry-run
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-a
}

@test "the least utilised cloud node goes first" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 4x1000
	reg_node cloud-b cloud ready worker 8192 2026-11-25T09:00:00Z 1x1000
	reg_node cloud-c cloud ready worker 8192 2026-11-25T09:00:00Z 2x1000
	decide "$NOW" --dry-run
	jq_is .decision.node cloud-b
	jq_is '[.decision.candidates[].node] | join(",")' cloud-b
}

@test "of equal nodes, the one whose paid hour ends soonest goes" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	# at 12:40 a-node has 25 minutes of its hour left, z-node 10
	reg_node a-node cloud ready worker 8192 2026-11-25T10:05:00Z
	reg_node z-node cloud ready worker 8192 2026-11-25T10:50:00Z
	reg_node m-node cloud ready worker 8192 2026-11-25T10:20:00Z
	decide "$NOW" --dry-run
	jq_is .decision.node z-node
	assert_output --partial '600 s left in its paid hour'
}

@test "a node whose game servers do not fit elsewhere is not removed" {
	reg_start
	reg_node ded-1 dedicated ready worker 10000 - 9x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 2000 1000s
	reg_node cloud-b cloud ready worker 8192 2026-11-25T09:00:00Z 7000
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	  reactive:
	    down_threshold: 80
	    up_threshold: 99
	    down_margin: 0
	cloud:
	  server_types: [cx23]
	EOF
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action none
	jq_is '.decision.candidates[0].node' cloud-a
	jq_is '.decision.candidates[0].ok' false
	assert_output --partial 'do not fit on the other ready nodes (a 2000 MB one has no room)'
}

@test "the fleet after a removal must stay 10 points under the scale-up threshold" {
	reg_start
	# 20,000 of 25,000 + 50,000: 26.7% now
	reg_node ded-1 dedicated ready worker 25000 - 20x1000
	reg_node cloud-a cloud ready worker 50000 2026-11-25T09:00:00Z
	decide "$NOW" --dry-run
	# without cloud-a: 80% > 75%
	jq_is .decision.action none
	assert_output --partial 'capacity after removal 80.00% would exceed 75.0%'
}

@test "min_cloud_nodes is a floor for scale-downs" {
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	limits:
	  min_cloud_nodes: 1
	EOF
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z
	decide "$NOW" --dry-run
	jq_is .decision.action none
	assert_output --partial 'limits.min_cloud_nodes is 1'
}

@test "a node already draining is continued, not replaced by a new choice" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z
	reg_node cloud-d cloud draining worker 8192 2026-11-25T09:00:00Z 1000
	: > "$PP_STATE_DIR/events.jsonl"
	decide "$NOW"
	assert_success
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-d
	jq_is .decision.continued true
	# a continued drain is no new scaling event
	run grep -c scaling.triggered "$PP_STATE_DIR/events.jsonl"
	assert_output 0
}

@test "when load rises while a node drains, the decision uncordons it first" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 87x1000
	reg_node cloud-d cloud draining worker 8192 2026-11-25T09:00:00Z 1000
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action uncordon
	jq_is .decision.node cloud-d
	jq_is .decision.policy reactive
	jq_is .decision.server_type null
	assert_output --partial 'stop draining cloud-d'
}

@test "a cloud node drained by hand for maintenance is neither continued nor uncordoned" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node cloud-m cloud draining worker 8192 2026-11-25T09:00:00Z 1000
	jq '(.nodes[] | select(.id == "cloud-m")) += {draining_by:
		"maintenance", draining_since: "2026-11-25T12:00:00Z"}' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	assert_success
	jq_is '.nodes[] | select(.id == "cloud-m") | .draining_by' maintenance
	jq_is .decision.action none
	refute_output --partial 'continue draining'
	# a scale-down drain is continued, as before
	jq '(.nodes[] | select(.id == "cloud-m")).draining_by = "scale_down"' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-m
	# load comes back: a server is bought, the operator's node stays
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 87x1000
	reg_node cloud-m cloud draining worker 8192 2026-11-25T09:00:00Z 1000
	jq '(.nodes[] | select(.id == "cloud-m")).draining_by = "maintenance"' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.node null
}

# drained_since ID BY SINCE: node ID drains for BY since SINCE
drained_since() {
	jq --arg id "$1" --arg by "$2" --arg since "$3" \
		'(.nodes[] | select(.id == $id)) += {draining_by: $by,
		draining_since: $since}' "$REG" > "$REG.new" &&
		mv "$REG.new" "$REG"
}

@test "a drain continued past drain.player_grace and drain.deadline is still continued, and said every run" {
	printf 'metrics:\n  textfile: %s\n' "$BATS_TEST_TMPDIR/pp.prom" \
		>> "$PP_CONFIG"
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 72x1000
	reg_node c2 cloud draining worker 8192 2026-11-25T05:00:00Z 2x4000
	drained_since c2 scale_down 2026-11-25T06:40:00Z
	for opt in --dry-run -p; do
		decide "$NOW" "$opt"
		assert_success
		jq_is .decision.action scale_down
		jq_is .decision.node c2
		jq_is .decision.continued true
		jq_is .decision.reason "continue draining c2 (a drain in progress is finished, not replaced); it has drained for 6h00m, longer than drain.player_grace 10m + drain.deadline 30m: pp-drain's messages say what holds it"
		assert_stderr_contains "pp-decide: node 'c2' has drained for 6h00m, longer than drain.player_grace 10m + drain.deadline 30m: it is billed and holds no capacity"
		assert_stderr_contains "'pp-drain --node c2 --uncordon' returns the node to service"
	done
	# counted, so PpscaleToolWarns fires
	[[ $(awk '$1 == "pp_last_run_warnings{tool=\"pp-decide\"}" {
		print $2 }' "$BATS_TEST_TMPDIR/pp.prom") == 1 ]]
	# a drain by a pipeline that recorded no draining_by is the same
	jq '(.nodes[] | select(.id == "c2")) |= del(.draining_by)' "$REG" \
		> "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.node c2
	assert_stderr_contains "pp-decide: node 'c2' has drained for 6h00m"
}

@test "a drain within drain.player_grace and drain.deadline, one of unknown age, or one by hand draws no warning" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 72x1000
	reg_node c2 cloud draining worker 8192 2026-11-25T05:00:00Z 2x4000
	# 40 minutes: the players' 10 and the moves' 30
	drained_since c2 scale_down 2026-11-25T12:00:00Z
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.node c2
	jq_is .decision.reason "continue draining c2 (a drain in progress is finished, not replaced)"
	refute_stderr_contains "drain.deadline"
	# the grace and the deadline are the config's
	drained_since c2 scale_down 2026-11-25T06:40:00Z
	printf 'drain:\n  deadline: 359m\n  player_grace: 1m\n' >> "$PP_CONFIG"
	decide "$NOW" --dry-run
	jq_is .decision.node c2
	refute_stderr_contains "drain.deadline"
	sed -i '$d' "$PP_CONFIG"
	printf '  player_grace: 59s\n' >> "$PP_CONFIG"
	decide "$NOW" --dry-run
	assert_stderr_contains "node 'c2' has drained for 6h00m, longer than drain.player_grace 59s + drain.deadline 359m"
	# a long grace for players is not overdue while it runs
	sed -i '/^drain:/,$d' "$PP_CONFIG"
	printf 'drain:\n  player_grace: 1h\n' >> "$PP_CONFIG"
	drained_since c2 scale_down 2026-11-25T12:00:00Z
	decide "$NOW" --dry-run
	refute_stderr_contains "drain.deadline"
	# drain.deadline 0 (--wait makes one pass): never overdue
	sed -i '/^drain:/,$d' "$PP_CONFIG"
	printf 'drain:\n  deadline: 0\n' >> "$PP_CONFIG"
	drained_since c2 scale_down 2026-11-24T12:00:00Z
	decide "$NOW" --dry-run
	jq_is .decision.node c2
	refute_stderr_contains "drain.deadline"
	sed -i '/^drain:/,$d' "$PP_CONFIG"
	drained_since c2 scale_down 2026-11-25T06:40:00Z
	# no draining_since: its age is unknown
	jq '(.nodes[] | select(.id == "c2")) |= del(.draining_since)' "$REG" \
		> "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.node c2
	refute_stderr_contains "drain.deadline"
	# a maintenance drain is the operator's, however long it takes
	drained_since c2 maintenance 2026-11-24T12:00:00Z
	decide "$NOW" --dry-run
	jq_is .decision.action none
	refute_stderr_contains "drain.deadline"
}

@test "a cloud node of another provider, or without a server id, is never drained" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node aws-1 cloud ready worker 8192 2026-11-25T09:00:00Z 1000
	reg_node bare-1 cloud ready worker 8192 2026-11-25T09:00:00Z
	jq '(.nodes[] | select(.id == "aws-1")).cloud.provider = "aws" |
		(.nodes[] | select(.id == "bare-1")).cloud.server_id = null' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action none
	# a node of ours beside them is the one that goes
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 2x1000
	decide "$NOW" --dry-run
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-a
	# another provider's draining node is not "continued" either
	jq '(.nodes[] | select(.id == "aws-1")).status = "draining"' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	refute_output --partial 'continue draining aws-1'
	jq_is .decision.node cloud-a
}

@test "a scale-down drain nothing can finish is returned to service; a drain by hand stays, and the decision says why" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node aws-1 cloud draining worker 8192 2026-11-25T09:00:00Z 1000
	reg_node cloud-m cloud draining worker 8192 2026-11-25T09:00:00Z 1000
	jq '(.nodes[] | select(.id == "aws-1")) |= (.cloud.provider = "aws" |
		.draining_by = "scale_down") |
		(.nodes[] | select(.id == "cloud-m")).draining_by = "maintenance"' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action uncordon
	jq_is .decision.node aws-1
	jq_is .decision.reason "stop draining aws-1: a scale-down drained it, but this ppscale cannot delete it (provider 'aws', not cloud.provider 'local'), so nothing would finish the drain"
	jq_is '[.decision.drains_left[] | "\(.node) \(.draining_by)"] | join(",")' 'cloud-m maintenance'
	jq_is '.decision.drains_left[0].why' "drained by hand for maintenance: the pipeline neither finishes nor returns it ('pp-drain --node cloud-m --uncordon' does)"
	# load comes back: it is taken back rather than a server bought
	reg_node ded-2 dedicated ready worker 10000 - 10x1000
	jq '(.nodes[] | select(.id == "ded-1")).containers += [range(0; 80) |
		{id: "x\(.)", ram_mb: 1000, state: "running", players: 0}]' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.action uncordon
	jq_is .decision.node aws-1
	# a dedicated node a scale-down drained (before pp-drain refused
	# that) goes back too
	reg_start
	reg_node ded-1 dedicated draining worker 100000 - 10x1000
	reg_node ded-0 dedicated ready worker 100000 - 10x1000
	jq '.nodes[0].draining_by = "scale_down"' "$REG" > "$REG.new" &&
		mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.action uncordon
	jq_is .decision.reason "stop draining ded-1: a scale-down drained it, but this ppscale cannot delete it (a dedicated node), so nothing would finish the drain"
	# drained by hand, or by someone else: left, and said so
	jq '.nodes[0].draining_by = "maintenance"' "$REG" > "$REG.new" &&
		mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.action none
	jq_is '.decision.drains_left[0].node' ded-1
	jq 'del(.nodes[0].draining_by)' "$REG" > "$REG.new" && mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.action none
	jq_is '.decision.drains_left[0].why' "not drained by this ppscale's pipeline, nor its to delete (a dedicated node): left as it is ('pp-drain --node ded-1 --uncordon' returns it)"
}

# cloud.delete_protected is pp-provision's record that the cloud refuses
# the delete (Hetzner's delete protection): the node's game servers would
# move off for nothing.
@test "a cloud node whose server is delete-protected is never chosen, and its drain is stopped" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node cloud-p cloud ready worker 8192 2026-11-25T09:00:00Z 1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 3x1000
	decide "$NOW" --dry-run
	jq_is .decision.node cloud-p
	jq '(.nodes[] | select(.id == "cloud-p")).cloud.delete_protected = true' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	# a registry the strict scanner leaves to json-c says the same
	sed 's/"ded-1"/"ded-\\u0031"/' "$REG" > "$REG.odd"
	grep -q 'ded-\\u0031' "$REG.odd" || fail "no escape"
	run --separate-stderr pp-fleetstats --no-record -r "$REG.odd" --now "$NOW"
	jq_is '[.nodes[] | select(.delete_protected) | .id] | join(",")' cloud-p
	decide "$NOW" --dry-run
	assert_success
	jq_is '.nodes[] | select(.id == "cloud-p") | .delete_protected' true
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-a
	# read by json-c (an escape the lean reader leaves to it): the same
	sed 's/"id":"ded-1"/"id":"ded-\\u0031"/' "$BATS_TEST_TMPDIR/doc.json" \
		> "$BATS_TEST_TMPDIR/doc.odd"
	grep -q 'ded-\\u0031' "$BATS_TEST_TMPDIR/doc.odd" || fail "no escape"
	run --separate-stderr pp-decide --now "$NOW" --dry-run \
		< "$BATS_TEST_TMPDIR/doc.odd"
	jq_is .decision.node cloud-a
	# alone, it is not removed at all
	jq 'del(.nodes[] | select(.id == "cloud-a"))' "$REG" > "$REG.new" &&
		mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.action none
	# protected while the pipeline drains it: the drain is stopped
	jq '(.nodes[] | select(.id == "cloud-p")) |= (.status = "draining" |
		.draining_by = "scale_down")' "$REG" > "$REG.new" &&
		mv "$REG.new" "$REG"
	decide "$NOW" --dry-run
	jq_is .decision.action uncordon
	jq_is .decision.node cloud-p
	assert_output --partial 'delete-protected in the cloud'
	# a value that is not true or false is a bad registry
	jq '(.nodes[] | select(.id == "cloud-p")).cloud.delete_protected = "yes"' \
		"$REG" > "$REG.new" && mv "$REG.new" "$REG"
	run --separate-stderr pp-fleetstats --no-record -r "$REG" --now "$NOW"
	assert_failure 2
	[[ $stderr == *"'cloud.delete_protected' must be true or false"* ]]
}

@test "a dedicated node that is draining is left alone" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 87x1000
	reg_node ded-2 dedicated draining worker 8192 - 1000
	decide "$NOW" --dry-run
	jq_is .decision.action scale_up
}
