#!/usr/bin/env bats
# Limits clip scale-ups; the server type and location for new nodes.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/decide'
	pp_isolate
	NOW=2026-11-25T12:00:00Z
	reg_start
	# 97% of 108,192: five cx23 wanted
	reg_node ded-1 dedicated ready worker 100000 - 97x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 8x1000
}

# conf LINE...: the seed without spares, new nodes cx23; LINEs at the
# top level, where an indented one goes on under cloud:
conf() {
	no_spare_config "$@"
}

@test "max_cloud_nodes clips a scale-up and says so, in the decision and an event" {
	conf $'limits:\n  max_cloud_nodes: 3'
	decide "$NOW"
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.count 2
	jq_is .decision.clipped.limit max_cloud_nodes
	jq_is .decision.clipped.requested 5
	jq_is .decision.clipped.allowed 2
	assert_output --partial 'clipped to 2 by limits.max_cloud_nodes 3'
	run jq -r 'select(.type=="scaling.clipped") | "\(.limit) \(.requested) \(.allowed)"' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output 'max_cloud_nodes 5 2'
	run jq -r 'select(.type=="scaling.triggered") | "\(.action) \(.count)"' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output 'scale_up 2'
}

@test "at max_cloud_nodes the scale-up becomes none with the reason" {
	conf $'limits:\n  max_cloud_nodes: 1'
	decide "$NOW"
	assert_success
	jq_is .decision.action none
	jq_is .decision.count 0
	jq_is .decision.clipped.allowed 0
	assert_output --partial 'but limits.max_cloud_nodes 1 (1 cloud nodes now) is reached'
	run jq -r 'select(.type=="scaling.clipped") | .allowed' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output 0
}

@test "a placement group's limit clips a scale-up; without the group it does not" {
	# 1 cloud node now, the group holds 3: two more, not five
	conf '  placement_group: "4711"' '  placement_group_limit: 3'
	decide "$NOW"
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.count 2
	jq_is .decision.clipped.limit placement_group_limit
	jq_is .decision.clipped.allowed 2
	assert_output --partial 'clipped to 2 by cloud.placement_group_limit 3: placement group 4711 holds no more (1 cloud nodes now)'
	# full: none, counted as blocked (no cooldown from the run above)
	rm "$PP_STATE_DIR/state.json"
	conf '  placement_group: "4711"' '  placement_group_limit: 1'
	decide "$NOW"
	assert_success
	jq_is .decision.action none
	jq_is .decision.clipped.limit placement_group_limit
	jq_is .decision.clipped.allowed 0
	assert_output --partial 'but cloud.placement_group_limit 1: placement group 4711 holds no more (1 cloud nodes now) is reached'
	run jq -r 'select(.type=="scaling.failed") | "\(.stage) \(.kind)"' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output 'decide placement_group_limit'
	# the smaller of the two limits names the clip
	conf '  placement_group: "4711"' 'limits:' '  max_cloud_nodes: 2'
	decide "$NOW" --dry-run
	jq_is .decision.count 1
	jq_is .decision.clipped.limit max_cloud_nodes
	# the limit means nothing without a group
	conf '  placement_group_limit: 1'
	decide "$NOW" --dry-run
	jq_is .decision.count 5
	jq_is .decision.clipped null
}

@test "max_hourly_eur clips a scale-up to what the budget pays" {
	# 0.0088 spent; (0.03 - 0.0088) / 0.0056 = 3.8 -> 3
	conf $'limits:\n  max_hourly_eur: 0.03'
	decide "$NOW" --dry-run
	jq_is .decision.count 3
	jq_is .decision.clipped.limit max_hourly_eur
}

@test "the worker type is the cheapest per GB that holds the largest game server" {
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	EOF
	decide "$NOW" --dry-run
	jq_is .decision.server_type cx53
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	cloud:
	  server_types: [cx23, cx33, cpx42]
	EOF
	decide "$NOW" --dry-run
	jq_is .decision.server_type cx33
	# a 6 GB game server needs more than cx33's 7,680 MB usable? no:
	# a 7.5 GB one does
	reg_node cloud-b cloud ready worker 16384 2026-11-25T09:00:00Z 7700
	decide "$NOW" --dry-run
	jq_is .decision.server_type cpx42
}

@test "deprecated types and types not orderable in a location are skipped" {
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	cloud:
	  server_types: [cx22, cx33]
	  catalog:
	    - {name: cx22, memory_gb: 4, hourly_eur: 0.001, deprecated: true}
	    - {name: cx33, memory_gb: 8, hourly_eur: 0.0088, locations: [fsn1]}
	EOF
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.server_type cx33
	jq_is .decision.location fsn1
	# the config's deprecated: true is the user's word: never ordered
	# (the API's deprecations end orders at their unavailable_after:
	# t/3200)
	assert_stderr_contains "server type 'cx22' is deprecated: skipped"
}

@test "a refused type or location is skipped until the refusal expires" {
	conf ""
	# refusals: type@location | whole location | location chosen
	while read -r refusal until loc; do
		jq -n --arg k "$refusal" --arg u "$until" \
			'{version: 1, refusals: {($k): {until: $u,
			  code: "resource_unavailable"}}}' > "$(state_file)"
		decide "$NOW" --dry-run
		assert_success
		jq_is .decision.server_type cx23
		jq_is .decision.location "$loc"
	done <<-EOF
	cx23@nbg1 2026-11-25T12:30:00Z fsn1
	@nbg1 2026-11-25T12:30:00Z fsn1
	cx23@nbg1 2026-11-25T12:00:00Z nbg1
	cx33@nbg1 2026-11-25T12:30:00Z nbg1
	EOF
}

# the audit's fleet: a 40000 MB game server on the dedicated node, which
# no cx23, cx33 or cx43 holds; 96 % used (critical)
big_fleet() {
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - "40000$1" 3x8000
	reg_node c1 cloud ready worker 8192 2026-11-25T09:00:00Z 4000 2000 1000
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	cloud:
	  server_types: [cx23, cx33, cx43]
	  reserved_ram_mb: 512
	  type_choice: ${2:-cheapest_per_gb}
	EOF
}

@test "a game server no allowed type holds: a scale-up buys the largest type, and says so" {
	for choice in cheapest_per_gb smallest_fit cheapest; do
		big_fleet "" "$choice"
		rm -f "$PP_STATE_DIR/events.jsonl" "$(state_file)"
		decide "$NOW"
		assert_success
		jq_is .decision.action scale_up
		jq_is .decision.policy reactive
		jq_is .decision.urgency critical
		jq_is .decision.server_type cx43
		jq_is .decision.figures.worker_type cx43
		assert_output --partial '; no allowed type holds the largest game server (40000 MB): cx43, the largest (15872 MB usable)'
		assert_stderr_contains "pp-decide: no allowed server type holds the largest game server (40000 MB): buying cx43, the largest (15872 MB usable)"
		run jq -r .type "$PP_STATE_DIR/events.jsonl"
		assert_output scaling.triggered
	done
}

@test "a stopped game server does not set the size of new nodes" {
	# 40000 MB stopped holds no RAM: 90 % of 100,000 used, high
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 40000s 90x1000
	no_spare_config '  type_choice: smallest_fit'
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.server_type cx23
	jq_is .decision.figures.largest_game_server_mb 1000
	refute_stderr_contains "no allowed server type holds"
	# the document still shows the largest recorded, and the largest
	# that holds RAM
	output=$(cat "$BATS_TEST_TMPDIR/doc.json") \
		jq_is '.nodes[0] | [.largest_container_mb, .largest_allocated_mb] | join(",")' \
		'40000,1000'
	# the audit's fleet with the 40000 MB one stopped: cx33 holds 8000?
	# no (7680 usable): cx43, the cheapest per GB, and no warning
	big_fleet s
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.figures.largest_game_server_mb 8000
	jq_is .decision.figures.worker_type cx43
	refute_stderr_contains "no allowed server type holds"
}
