#!/usr/bin/env bats
# The reactive policy: thresholds, urgency, count sizing, cooldown, the
# down window and the pause after a scale-up.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/decide'
	pp_isolate
	no_spare_config
	NOW=2026-11-25T12:00:00Z
}

# a fleet of one 100,000 MB dedicated node holding ALLOC MB in
# game servers of 1,000 MB (plus a remainder)
fleet_at() {
	local alloc=$1 rams=() n
	n=$((alloc / 1000))
	while ((n-- > 0)); do rams+=(1000); done
	(( alloc % 1000 )) && rams+=($((alloc % 1000)))
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - "${rams[@]}"
}

@test "capacity thresholds and urgency follow the table" {
	# allocated MB of 100,000 | action | urgency | reactive verdict
	while read -r alloc action urgency verdict; do
		fleet_at "$alloc"
		decide "$NOW" --dry-run
		assert_success
		jq_is .decision.action "$action"
		jq_is .decision.urgency "$urgency"
		jq_is '.decision.evaluations[] | select(.policy=="reactive") | .verdict' "$verdict"
	done <<-EOF
	85000 none null none
	85100 scale_up medium up
	90000 scale_up medium up
	90100 scale_up high up
	95000 scale_up high up
	95100 scale_up critical up
	EOF
}

@test "medium urgency asks for one server, critical sizes the count to get back under 85%" {
	fleet_at 87000
	decide "$NOW" --dry-run
	jq_is .decision.count 1
	# 97,000 of 100,000: cx23 gives 4096 - 512 = 3584 MB usable;
	# 3 more make 87.58%, 4 more 84.84%
	fleet_at 97000
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.urgency critical
	jq_is .decision.count 4
	jq_is .decision.server_type cx23
	jq_is '(.decision.evaluations[] | select(.policy == "reactive")).figures.capacity_percent' 97
}

@test "capacity is computed from the RAM figures, not the rounded percent" {
	# 85.004% rounds to 85.0 in the fleet section but is above 85
	fleet_at 85004
	decide "$NOW" --dry-run
	jq_is .fleet.capacity_percent 85
	jq_is .decision.action scale_up
}

@test "the cooldown holds the next scale-up for 5 minutes, then releases it" {
	fleet_at 87000
	decide 2026-11-25T12:00:00Z
	assert_success
	jq_is .decision.action scale_up
	decide 2026-11-25T12:04:59Z
	jq_is .decision.action none
	jq_is '(.decision.evaluations[] | select(.policy == "reactive")).figures.cooldown_left_s' 1
	assert_output --partial 'cooldown'
	decide 2026-11-25T12:05:00Z
	jq_is .decision.action scale_up
}

# fleet at 20% with one empty cloud worker that could go
low_fleet() {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 20000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z
}

@test "a scale-up dated after now (a clock stepped back) holds no cooldown" {
	fleet_at 87000
	# a clock a day ahead, then corrected
	decide 2026-11-26T12:00:00Z
	jq_is .decision.action scale_up
	decide 2026-11-25T12:02:00Z
	jq_is .decision.action scale_up
	jq_is '(.decision.evaluations[] | select(.policy == "reactive")).figures.cooldown_left_s' 0
	refute_output --partial 'cooldown:'
}

@test "after its own scale-down, load that comes back takes the draining node back at once" {
	low_fleet
	decide 2026-11-25T12:00:00Z
	decide 2026-11-25T12:20:00Z
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-a
	# pp-drain cordoned it; two minutes later the fleet is at 98 %
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 98x1000
	reg_node cloud-a cloud draining worker 8192 2026-11-25T09:00:00Z
	decide 2026-11-25T12:22:00Z
	jq_is .decision.action uncordon
	jq_is .decision.node cloud-a
	refute_output --partial 'continue draining'
}

@test "taking a draining node back starts no cooldown: what it does not cover is bought next cycle" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 99x1000
	reg_node cloud-d cloud draining worker 8192 2026-11-25T11:00:00Z
	decide 2026-11-25T12:00:00Z
	jq_is .decision.action uncordon
	jq_is .decision.urgency critical
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 99x1000
	reg_node cloud-d cloud ready worker 8192 2026-11-25T11:00:00Z
	decide 2026-11-25T12:02:00Z
	jq_is .decision.action scale_up
	# a scale-up's own cooldown still holds the next one
	decide 2026-11-25T12:04:00Z
	jq_is .decision.action none
	assert_output --partial 'cooldown'
}

@test "scale-down waits until capacity has been below 30% for 20 minutes" {
	low_fleet
	decide 2026-11-25T12:00:00Z
	jq_is .decision.action none
	jq_is '(.decision.evaluations[] | select(.policy == "reactive")).reason' \
		'capacity 18.49% < 30.0% for 0 of 20 min (the window must pass without a break)'
	decide 2026-11-25T12:19:59Z
	jq_is .decision.action none
	decide 2026-11-25T12:20:00Z
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-a
	jq_is .decision.policy reactive
}

@test "a cycle at or above the down threshold restarts the 20-minute window" {
	low_fleet
	decide 2026-11-25T12:00:00Z
	jq_is .decision.action none
	# a dip above 30% at 12:10
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 40000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z
	decide 2026-11-25T12:10:00Z
	jq_is .decision.action none
	jq_is '(.decision.evaluations[] | select(.policy == "reactive")).figures.below_since' null
	low_fleet
	decide 2026-11-25T12:20:00Z
	jq_is .decision.action none
	decide 2026-11-25T12:39:59Z
	jq_is .decision.action none
	decide 2026-11-25T12:40:00Z
	jq_is .decision.action scale_down
}

@test "no scale-down within 10 minutes of a scale-up" {
	low_fleet
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"last_scale_up": "2026-11-25T12:00:00Z",
	 "policies": {"reactive": {"below_since": "2026-11-25T11:00:00Z"}}}}
	EOF
	decide 2026-11-25T12:09:59Z --dry-run
	jq_is .decision.action none
	assert_output --partial 'the last scale-up was 9 min ago'
	decide 2026-11-25T12:10:00Z --dry-run
	jq_is .decision.action scale_down
}

@test "a node still provisioning counts as capacity and prevents a second scale-up" {
	fleet_at 87000
	decide "$NOW" --dry-run
	jq_is .decision.action scale_up
	reg_node cloud-new cloud provisioning worker 32768 2026-11-25T11:58:00Z
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action none
	jq_is '(.decision.evaluations[] | select(.policy == "reactive")).verdict' none
	jq_is '.decision.figures.pending_ram_mb' 32768
}

@test "thresholds, cooldown and windows come from the config" {
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	  reactive:
	    up_threshold: 70
	    urgency_high: 75
	    urgency_critical: 80
	cloud:
	  server_types: [cx23]
	EOF
	fleet_at 76000
	decide "$NOW" --dry-run
	jq_is .decision.action scale_up
	jq_is .decision.urgency high
}

@test "a scale-up with no allowed type orderable says so and does nothing" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 85004 1000
	no_spare_config '  catalog:' \
		'    - {name: cx23, memory_gb: 4, hourly_eur: 0.0056, deprecated: true}'
	decide "$NOW" --dry-run
	assert_success
	jq_is .decision.action none
	assert_output --partial 'no allowed, orderable, unrefused server type in any configured location (85004 MB usable wanted)'
}
