#!/usr/bin/env bats
# The spare-pool policy: the schedule in Europe/Berlin (weekdays, a
# daylight-saving change, holidays), provisioning the shortfall, and
# the floor it puts under every scale-down.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/decide'
	pp_isolate
	write_config <<-EOF
	holidays: [2026-12-24]
	cloud:
	  server_types: [cx23, cx33]
	policies:
	  spare:
	    schedule:
	      - {days: sun, hours: 23-24, spares: 2}
	      - {days: fri-sat, spares: 3}
	      - {spares: 1}
	EOF
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 50x1000
}

spare_eval() {
	jq_is "[.decision.evaluations[] | select(.policy==\"spare\")][0]$1" "$2"
}

@test "the spare target follows the weekday and hour in Europe/Berlin" {
	# UTC time | local day | target
	while read -r now day target; do
		decide "$now" --dry-run
		assert_success
		spare_eval .figures.weekday "$day"
		spare_eval .figures.target "$target"
		jq_is .decision.action provision_spare
		jq_is .decision.count "$target"
	done <<-EOF
	2026-11-26T22:59:59Z Thursday 1
	2026-11-26T23:00:00Z Friday 3
	2026-11-28T12:00:00Z Saturday 3
	2026-11-28T23:00:00Z Sunday 1
	2026-11-29T21:59:59Z Sunday 1
	2026-11-29T22:00:00Z Sunday 2
	2026-11-29T23:00:00Z Monday 1
	EOF
}

@test "the schedule keeps local time across the daylight-saving changes" {
	# CET (+1) before 2026-03-29 01:00Z, CEST (+2) after, CET again
	# from 2026-10-25 01:00Z
	while read -r now day hour target; do
		decide "$now" --dry-run
		spare_eval .figures.weekday "$day"
		spare_eval .figures.local_hour "$hour"
		spare_eval .figures.target "$target"
	done <<-EOF
	2026-03-27T22:30:00Z Friday 23 3
	2026-03-28T22:30:00Z Saturday 23 3
	2026-03-28T23:30:00Z Sunday 0 1
	2026-03-29T00:59:59Z Sunday 1 1
	2026-03-29T01:00:00Z Sunday 3 1
	2026-03-29T20:59:59Z Sunday 22 1
	2026-03-29T21:00:00Z Sunday 23 2
	2026-03-29T22:00:00Z Monday 0 1
	2026-04-02T22:00:00Z Friday 0 3
	2026-10-25T21:59:59Z Sunday 22 1
	2026-10-25T22:00:00Z Sunday 23 2
	2026-10-30T22:59:59Z Friday 23 3
	2026-10-30T23:00:00Z Saturday 0 3
	EOF
}

@test "a row for the skipped or repeated hour follows the local clock: never on the spring day, two hours in autumn" {
	# zone | UTC time | local hour | target: Berlin skips 02:00 on
	# 2026-03-29 (01:00Z) and repeats it on 2026-10-25 (01:00Z); New
	# York skips 02:00 on 2026-03-08 (07:00Z) and repeats 01:00 on
	# 2026-11-01 (06:00Z)
	while read -r tz now hour target; do
		write_config <<-EOF
		timezone: $tz
		cloud:
		  server_types: [cx23, cx33]
		policies:
		  spare:
		    max_spares: 9
		    schedule:
		      - {days: sun, hours: 2-3, spares: 4}
		      - {days: sun, hours: 1-2, spares: 3}
		      - {spares: 1}
		EOF
		decide "$now" --dry-run
		assert_success
		spare_eval .figures.local_hour "$hour"
		spare_eval .figures.target "$target"
	done <<-EOF
	Europe/Berlin 2026-03-29T00:59:59Z 1 3
	Europe/Berlin 2026-03-29T01:00:00Z 3 1
	Europe/Berlin 2026-10-24T23:59:59Z 1 3
	Europe/Berlin 2026-10-25T00:00:00Z 2 4
	Europe/Berlin 2026-10-25T01:00:00Z 2 4
	Europe/Berlin 2026-10-25T01:59:59Z 2 4
	Europe/Berlin 2026-10-25T02:00:00Z 3 1
	America/New_York 2026-03-08T06:59:59Z 1 3
	America/New_York 2026-03-08T07:00:00Z 3 1
	America/New_York 2026-11-01T05:00:00Z 1 3
	America/New_York 2026-11-01T06:00:00Z 1 3
	America/New_York 2026-11-01T06:59:59Z 1 3
	America/New_York 2026-11-01T07:00:00Z 2 4
	EOF
}

@test "a listed holiday counts as a Saturday" {
	decide 2026-12-24T12:00:00Z --dry-run
	spare_eval .figures.weekday Saturday
	spare_eval .figures.holiday 1
	spare_eval .figures.target 3
	jq_is .decision.count 3
	jq_is .decision.figures.holiday true
	decide 2026-12-23T12:00:00Z --dry-run
	spare_eval .figures.weekday Wednesday
	spare_eval .figures.target 1
}

@test "below target it provisions the shortfall with the smallest type, as spares" {
	reg_node spare-1 cloud ready spare 8192 2026-11-27T10:00:00Z
	decide 2026-11-27T12:00:00Z --dry-run
	assert_success
	jq_is .decision.action provision_spare
	jq_is .decision.policy spare
	jq_is .decision.role spare
	jq_is .decision.count 2
	jq_is .decision.server_type cx23
	jq_is .decision.location nbg1
}

@test "spares still provisioning count toward the target" {
	reg_node spare-1 cloud ready spare 8192 2026-11-27T10:00:00Z
	reg_node spare-2 cloud provisioning spare 4096 2026-11-27T11:59:00Z
	reg_node spare-3 cloud provisioning spare 4096 2026-11-27T11:59:00Z
	decide 2026-11-27T12:00:00Z --dry-run
	jq_is .decision.action none
	spare_eval .verdict none
	spare_eval .figures.spares_provisioning 2
}

@test "min and max spares bound the schedule" {
	write_config <<-EOF
	policies:
	  spare:
	    min_spares: 2
	    max_spares: 2
	EOF
	decide 2026-11-25T12:00:00Z --dry-run
	spare_eval .figures.target 2
	decide 2026-11-27T12:00:00Z --dry-run
	spare_eval .figures.target 2
}

@test "a spare the pool wants beats a scale-down the reactive policy wants" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-27T09:00:00Z
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"policies": {"reactive":
	 {"below_since": "2026-11-27T11:00:00Z"}}}}
	EOF
	decide 2026-11-27T12:00:00Z --dry-run
	assert_success
	jq_is '.decision.evaluations[] | select(.policy=="reactive") | .verdict' down
	jq_is .decision.action provision_spare
	jq_is .decision.count 3
}

@test "the reactive policy never removes the last spares the pool wants" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node spare-1 cloud ready spare 8192 2026-11-25T09:00:00Z
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"policies": {"reactive":
	 {"below_since": "2026-11-25T11:00:00Z"}}}}
	EOF
	decide 2026-11-25T12:00:00Z --dry-run
	assert_success
	jq_is '.decision.evaluations[] | select(.policy=="reactive") | .verdict' down
	jq_is .decision.action none
	jq_is '.decision.candidates[0].node' spare-1
	jq_is '.decision.candidates[0].ok' false
	assert_output --partial 'a spare the pool wants (1 spares, 1 wanted)'
	# with a cloud worker as well, the worker goes and the spare stays
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z
	decide 2026-11-25T12:00:00Z --dry-run
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-a
}

@test "spares beyond the target are the first a scale-down removes" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 10x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z
	reg_node spare-1 cloud ready spare 8192 2026-11-25T09:00:00Z
	reg_node spare-2 cloud ready spare 8192 2026-11-25T09:00:00Z
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"policies": {"reactive":
	 {"below_since": "2026-11-25T11:00:00Z"}}}}
	EOF
	decide 2026-11-25T12:00:00Z --dry-run
	jq_is .decision.action scale_down
	jq_is .decision.node spare-1
}

@test "above max_spares the surplus empty spare is removed" {
	write_config <<-EOF
	policies:
	  reactive:
	    enabled: false
	  spare:
	    max_spares: 1
	EOF
	reg_node spare-1 cloud ready spare 8192 2026-11-25T09:00:00Z
	reg_node spare-2 cloud ready spare 8192 2026-11-25T09:50:00Z
	decide 2026-11-25T12:00:00Z --dry-run
	assert_success
	jq_is .decision.action scale_down
	jq_is .decision.policy spare
	# spare-2's paid hour ends at 12:50, spare-1's at 12:00 (now) + 1h
	jq_is .decision.node spare-2
	jq_is '.decision.evaluations[] | select(.policy=="reactive") | .verdict' off
}
