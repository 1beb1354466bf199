#!/usr/bin/env bats
# The unneeded-node rule (a node goes when the fleet without it stays
# under a target, after a hold, near the end of its paid hour) and the
# server-type choice for new workers and spares.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/decide'
	pp_isolate
}

# conf HOLD BILLING_WINDOW: the seed with only the unneeded rule removing
conf() {
	policy_config cx23 "unneeded:" "  enabled: true" "  utilisation: 70" \
		"  hold: $1" "  billing_window: $2"
}

# fleet DEDICATED_LOAD: without cloud-a the fleet is at LOAD x 10 %
fleet() {
	reg_start
	reg_node ded-1 dedicated ready worker 10000 - "$1x1000"
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 1x1000
}

# edit_since JSON: the state's unneeded.unneeded_since set by hand
edit_since() {
	jq --argjson m "$1" '.decide.policies.unneeded.unneeded_since = $m' \
		"$(state_file)" > "$BATS_TEST_TMPDIR/st" &&
		cat "$BATS_TEST_TMPDIR/st" > "$(state_file)"
}

unneeded_reason() {
	jq -r '.decision.evaluations[] | select(.policy == "unneeded") |
		.reason' <<< "$output"
}

# decide_each: "NOW ACTION WHY" lines on stdin, each a decision at NOW
# that must be ACTION with WHY in the unneeded policy's reason
decide_each() {
	local now action why
	while read -r now action why; do
		decide "$now"
		assert_success
		jq_is .decision.action "$action"
		[[ $(unneeded_reason) == *"$why"* ]] ||
			fail "$now: '$(unneeded_reason)' lacks '$why'"
	done
}

@test "a node unneeded for the whole hold is removed, not before" {
	conf 10m 0
	fleet 5
	# without cloud-a: 6,000 of 10,000 MB = 60 % < 70 %
	decide_each <<-EOF
	2026-11-25T12:00:00Z none less than the hold of 10 min (600 s to go)
	2026-11-25T12:05:00Z none less than the hold of 10 min (300 s to go)
	2026-11-25T12:09:00Z none (60 s to go)
	2026-11-25T12:10:00Z scale_down cloud-a unneeded for 10 min (fleet without it 60.00% < 70.0%)
	EOF
	jq_is .decision.node cloud-a
	jq_is .decision.policy unneeded
}

@test "a cycle in which the node is needed restarts the hold" {
	conf 10m 0
	# fleet load per cycle: 5 -> 60 % without cloud-a, 7 -> 80 %
	while read -r now load action; do
		fleet "$load"
		decide "$now"
		assert_success
		jq_is .decision.action "$action"
	done <<-EOF
	2026-11-25T12:00:00Z 5 none
	2026-11-25T12:08:00Z 7 none
	2026-11-25T12:09:00Z 5 none
	2026-11-25T12:12:00Z 5 none
	2026-11-25T12:18:00Z 5 none
	2026-11-25T12:19:00Z 5 scale_down
	EOF
	run jq -r '.decide.policies.unneeded.unneeded_since["cloud-a"]' \
		"$(state_file)"
	assert_output 2026-11-25T12:09:00Z
}

@test "the since-map keeps each unneeded node's time in pp-decide's spelling and forgets the rest" {
	conf 10m 0
	fleet 5
	decide 2026-11-25T12:00:00Z
	assert_success
	# an operator's edit: the time spelled otherwise
	edit_since '{"cloud-a": "2026-11-25T11:55:00+00:00"}'
	decide 2026-11-25T12:01:00Z
	jq_is .decision.action none
	[[ $(unneeded_reason) == *"(240 s to go)"* ]] || fail "$(unneeded_reason)"
	run jq -c .decide.policies.unneeded.unneeded_since "$(state_file)"
	assert_output '{"cloud-a":"2026-11-25T11:55:00Z"}'
	# a second 60 (the next minute), a small t, a NUL inside, a node
	# that is gone
	for m in '{"cloud-a": "2026-11-25T11:54:60Z"}' \
	    '{"cloud-a": "2026-11-25t11:55:00Z"}' \
	    '{"cloud-a": "2026-11-25T11:55:00Z\u0000x"}' \
	    '{"cloud-a": "2026-11-25T11:55:00Z", "gone-1": "2026-11-25T11:00:00Z"}'; do
		edit_since "$m"
		decide 2026-11-25T12:02:00Z
		run jq -c .decide.policies.unneeded.unneeded_since "$(state_file)"
		assert_output '{"cloud-a":"2026-11-25T11:55:00Z"}'
	done
	# as pp-decide writes it, the map stays as it is cycle after cycle
	decide 2026-11-25T12:03:00Z
	run jq -c .decide.policies.unneeded.unneeded_since "$(state_file)"
	assert_output '{"cloud-a":"2026-11-25T11:55:00Z"}'
	decide 2026-11-25T12:05:00Z
	jq_is .decision.action scale_down
	# needed again: the map empties
	fleet 7
	decide 2026-11-25T12:06:00Z
	run jq -c .decide.policies.unneeded.unneeded_since "$(state_file)"
	assert_output '{}'
}

@test "the fleet just at the target keeps the node" {
	conf 0 0
	fleet 6
	# without cloud-a: 7,000 of 10,000 = 70 %, not under 70 %
	decide 2026-11-25T12:00:00Z --dry-run
	assert_success
	jq_is .decision.action none
	[[ $(unneeded_reason) == *"no cloud node is unneeded"* ]] ||
		fail "$(unneeded_reason)"
}

@test "an unneeded node stays until the last minutes of its paid hour" {
	conf 0 10m
	fleet 5
	# created 09:00: its paid hours end on the hour
	while read -r now action why; do
		decide "$now" --dry-run
		assert_success
		jq_is .decision.action "$action"
		[[ $(unneeded_reason) == *"$why"* ]] ||
			fail "$now: '$(unneeded_reason)' lacks '$why'"
	done <<-EOF
	2026-11-25T12:00:30Z none paid-for headroom until 600 s before the end of its paid hour (in 2970 s)
	2026-11-25T12:30:00Z none (in 1200 s)
	2026-11-25T12:49:59Z none (in 1 s)
	2026-11-25T12:50:00Z scale_down 600 s left in its paid hour
	2026-11-25T12:59:00Z scale_down 60 s left in its paid hour
	2026-11-25T13:00:00Z none (in 3000 s)
	EOF
}

@test "soon after a scale-up a node must be unneeded for hold_after_up" {
	local hau
	# the same cycles with hold_after_up 30m and without: pp-decide's
	# own scale-up at 12:00 starts the longer hold
	for hau in 30m 0; do
		rm -f "$(state_file)"
		policy_config cx23 "unneeded:" "  enabled: true" \
			"  utilisation: 70" "  hold: 5m" "  billing_window: 0" \
			"  hold_after_up: $hau"
		# 17,000 of 18,192 MB: reactive buys
		reg_start
		reg_node ded-1 dedicated ready worker 10000 - 9x1000
		reg_node cloud-a cloud ready worker 8192 \
			2026-11-25T09:00:00Z 8x1000
		decide 2026-11-25T12:00:00Z
		assert_success
		jq_is .decision.action scale_up
		# demand falls: without cloud-a 60 % < 70 %
		fleet 5
		while read -r now want why; do
			[[ $hau == 0 ]] && case $now in
			*12:0[2-6]*) why="less than the hold of 5 min" ;;
			*) want=scale_down why="unneeded for" ;;
			esac
			decide "$now"
			assert_success
			jq_is .decision.action "$want"
			[[ $(unneeded_reason) == *"$why"* ]] ||
				fail "$hau $now: '$(unneeded_reason)' lacks '$why'"
			[[ $want == scale_down ]] && break
		done <<-EOF
		2026-11-25T12:02:00Z none hold of 30 min (hold_after_up: the last scale-up was 2 min ago) (1680 s to go)
		2026-11-25T12:07:00Z none the last scale-up was 7 min ago) (1380 s to go)
		2026-11-25T12:29:00Z none (60 s to go)
		2026-11-25T12:30:00Z scale_down cloud-a unneeded for 28 min
		EOF
		# the control removes at 12:07, the longer hold at 12:30
		run jq -r .decide.last_scale_down "$(state_file)"
		if [[ $hau == 0 ]]; then
			assert_output 2026-11-25T12:07:00Z
		else
			assert_output 2026-11-25T12:30:00Z
		fi
	done
}

# An unhealthy cloud node that holds no game server is a bill for
# nothing: it goes after unhealthy_after (30m by default), in the last
# billing_window of its paid hour, with no capacity or fit to check;
# one with a game server recorded on it stays.
@test "an unhealthy cloud node with no game server goes after unhealthy_after, not before" {
	conf 10m 0
	reg_start
	# no ready cloud node: only the unhealthy one could go
	reg_node ded-1 dedicated ready worker 10000 - 7x1000
	reg_node sick cloud unhealthy worker 8192 2026-11-25T09:00:00Z
	decide_each <<-EOF
	2026-11-25T12:00:00Z none 1 unhealthy node with no game server, for less than unhealthy_after of 30 min (1800 s to go)
	2026-11-25T12:29:00Z none (60 s to go)
	2026-11-25T12:30:00Z scale_down sick unhealthy with no game server for 30 min (unhealthy_after 30 min)
	EOF
	jq_is .decision.node sick
	jq_is '.decision.evaluations[] | select(.policy == "unneeded") |
		.figures.unhealthy_empty_nodes' 1
	jq_is '.decision.candidates[0].why' \
		"unhealthy cloud node, no game server recorded on it"
}

@test "an unhealthy node with a game server on it, one that recovers, and unhealthy_after 0 stay" {
	conf 10m 0
	reg_start
	reg_node ded-1 dedicated ready worker 10000 - 7x1000
	# a stopped game server's world still lives on the node
	reg_node held cloud unhealthy worker 8192 2026-11-25T09:00:00Z 1x0
	reg_node sick cloud unhealthy worker 8192 2026-11-25T09:00:00Z
	decide 2026-11-25T12:00:00Z
	jq_is '.decision.evaluations[] | select(.policy == "unneeded") |
		.figures.unhealthy_empty_nodes' 1
	decide 2026-11-25T12:20:00Z
	# back to ready for a cycle: the hold starts again
	jq '(.nodes[] | select(.id == "sick") | .status) = "ready"' "$REG" \
		> "$BATS_TEST_TMPDIR/r" && cat "$BATS_TEST_TMPDIR/r" > "$REG"
	decide 2026-11-25T12:25:00Z
	jq_is .decision.action none
	jq '(.nodes[] | select(.id == "sick") | .status) = "unhealthy"' \
		"$REG" > "$BATS_TEST_TMPDIR/r" && cat "$BATS_TEST_TMPDIR/r" > "$REG"
	decide 2026-11-25T12:30:00Z
	jq_is .decision.action none
	decide 2026-11-25T13:05:00Z
	jq_is .decision.action scale_down
	jq_is .decision.node sick
	# never the one with a game server, however long
	jq 'del(.nodes[] | select(.id == "sick"))' "$REG" \
		> "$BATS_TEST_TMPDIR/r" && cat "$BATS_TEST_TMPDIR/r" > "$REG"
	decide 2026-11-26T12:00:00Z
	jq_is .decision.action none
	# off
	policy_config cx23 "unneeded:" "  enabled: true" "  hold: 10m" \
		"  billing_window: 0" "  unhealthy_after: 0"
	reg_node sick cloud unhealthy worker 8192 2026-11-25T09:00:00Z
	decide 2026-11-26T13:00:00Z
	decide 2026-11-26T15:00:00Z
	jq_is .decision.action none
	jq_is '.decision.evaluations[] | select(.policy == "unneeded") |
		.figures.unhealthy_empty_nodes' 0
}

@test "an unhealthy empty node keeps limits.min_cloud_nodes and waits for the end of its paid hour" {
	policy_config cx23 "unneeded:" "  enabled: true" "  hold: 10m" \
		"  billing_window: 10m"
	reg_start
	reg_node ded-1 dedicated ready worker 10000 - 7x1000
	reg_node sick cloud unhealthy worker 8192 2026-11-25T09:00:00Z
	decide 2026-11-25T11:00:00Z
	# unhealthy for 35 min, 25 min left in its paid hour
	decide 2026-11-25T11:35:00Z
	jq_is .decision.action none
	[[ $(unneeded_reason) == *"paid-for headroom"* ]] ||
		fail "$(unneeded_reason)"
	decide 2026-11-25T11:50:00Z
	jq_is .decision.action scale_down
	echo 'limits: {min_cloud_nodes: 1}' >> "$PP_CONFIG"
	decide 2026-11-25T11:52:00Z
	jq_is .decision.action none
}

# The predictive veto keeps capacity a forecast peak needs: an
# unhealthy node with nothing on it is none, so it goes under a veto
# that holds a ready node back.
@test "the predictive veto holds back a ready node but not an unhealthy empty one" {
	write_config <<-EOF
	policies:
	  reactive:
	    down_threshold: 0
	  spare:
	    enabled: false
	  unneeded:
	    enabled: true
	    utilisation: 85
	    hold: 10m
	    billing_window: 0
	cloud:
	  server_types: [cx23]
	EOF
	reg_start
	reg_node ded-1 dedicated ready worker 10000 - 7x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 1x1000
	reg_node sick cloud unhealthy worker 8192 2026-11-25T09:00:00Z
	# two days of history, imported as an operator would: 8 GB, and
	# 12 GB from 12:45 to 14:00 each day. The forecast at noon sees
	# 12 GB within the hour: over 85 % of the fleet without cloud-a
	# (10 GB), under it with (18 GB): a veto, no buy
	awk 'BEGIN { print "time,allocated_ram_mb"
		for (d = 23; d <= 25; d++) for (m = 0; m < 1440; m += 5) {
			if (d == 25 && m >= 720) break
			v = (m >= 765 && m < 840) ? 12000 : 8000
			printf "2026-11-%02dT%02d:%02d:00Z,%d\n", d,
				int(m / 60), m % 60, v } }' \
		> "$BATS_TEST_TMPDIR/past.csv"
	pp-fleetstats -q --now 2026-11-25T12:00:00Z \
		--import-history "$BATS_TEST_TMPDIR/past.csv" > /dev/null ||
		fail "the import failed"
	forecast_decide() {
		pp-fleetstats --no-record -r "$REG" --now "$1" \
			> "$BATS_TEST_TMPDIR/doc.json"
		run --separate-stderr pp-decide --now "$1" \
			< "$BATS_TEST_TMPDIR/doc.json"
	}
	forecast_decide 2026-11-25T12:00:00Z
	jq_is '.decision.evaluations[] | select(.policy == "predictive") |
		.verdict' veto
	forecast_decide 2026-11-25T12:30:00Z
	assert_success
	jq_is '[.decision.action, .decision.node] | join(" ")' \
		"scale_down sick"
	# cloud-a, unneeded all along (80 % without it), is held back
	jq 'del(.nodes[] | select(.id == "sick"))' "$REG" \
		> "$BATS_TEST_TMPDIR/r" && cat "$BATS_TEST_TMPDIR/r" > "$REG"
	forecast_decide 2026-11-25T12:32:00Z
	jq_is .decision.action none
	[[ $(jq -r .decision.reason <<<"$output") == *"predictive vetoes it"* ]] ||
		fail "$(jq -r .decision.reason <<<"$output")"
}

@test "a node whose game servers fit nowhere else is not unneeded" {
	conf 0 0
	reg_start
	reg_node ded-1 dedicated ready worker 10000 - 4x2000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 2500
	# 10,500 of 18,192 with it, 10,500 of 10,000... no: 8,000 + 2,500
	# = 10,500 > 10,000 without it, and no 2,500 MB gap on ded-1
	decide 2026-11-25T12:00:00Z --dry-run
	jq_is .decision.action none
	reg_start
	reg_node ded-1 dedicated ready worker 20000 - 4x2000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z 2500
	# 10,500 of 20,000 = 52.5 % without it, and it fits
	decide 2026-11-25T12:00:00Z --dry-run
	jq_is .decision.action scale_down
	jq_is .decision.node cloud-a
}

@test "a spare the pool wants is never unneeded; a surplus spare is" {
	write_config <<-EOF
	policies:
	  reactive:
	    down_threshold: 0
	  predictive:
	    enabled: false
	  spare:
	    schedule:
	      - {spares: 1}
	  unneeded:
	    enabled: true
	    hold: 0
	    billing_window: 0
	cloud:
	  server_types: [cx23]
	EOF
	reg_start
	reg_node ded-1 dedicated ready worker 10000 - 3x1000
	reg_node spare-a cloud ready spare 8192 2026-11-25T09:00:00Z
	decide 2026-11-25T12:00:00Z --dry-run
	jq_is .decision.action none
	reg_node spare-b cloud ready spare 8192 2026-11-25T09:30:00Z
	decide 2026-11-25T12:00:00Z --dry-run
	jq_is .decision.action scale_down
	jq_is .decision.policy unneeded
	# of two idle spares, the one whose paid hour ends first (12:30)
	jq_is .decision.node spare-b
}

@test "the server types follow cloud.type_choice and policies.spare.type_choice" {
	while read -r largest choice worker spare; do
		reg_start
		reg_node ded-1 dedicated ready worker 100000 - "$largest" 97x900
		write_config <<-EOF
		cloud:
		  type_choice: $choice
		policies:
		  spare:
		    type_choice: $choice
		EOF
		decide 2026-11-25T12:00:00Z --dry-run
		assert_success
		jq_is .decision.figures.worker_type "$worker"
		jq_is .decision.figures.spare_type "$spare"
		jq_is .decision.server_type "$worker"
	done <<-EOF
	16384 cheapest_per_gb cx53 cx53
	16384 smallest_fit cpx52 cpx52
	16384 cheapest cx53 cx53
	7700 cheapest_per_gb cx53 cx53
	7700 smallest_fit cx43 cx43
	7700 cheapest cx43 cx43
	EOF
}

@test "the seed picks workers cheapest per GB and spares smallest" {
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 16384 97x900
	decide 2026-11-25T12:00:00Z --dry-run
	jq_is .decision.figures.worker_type cx53
	jq_is .decision.figures.spare_type cpx52
}

@test "an unknown type choice is bad input" {
	while read -r key; do
		write_config <<-EOF
		${key%%.*}:
		  ${key#*.}: biggest
		EOF
		run --separate-stderr pp-decide --now 2026-11-25T12:00:00Z \
			--dry-run < /dev/null
		assert_failure 2
		assert_stderr_contains "'$key' must be cheapest_per_gb, smallest_fit or cheapest, not 'biggest'"
	done <<-EOF
	cloud.type_choice
	EOF
	write_config <<-EOF
	policies:
	  spare:
	    type_choice: biggest
	EOF
	run --separate-stderr pp-decide --now 2026-11-25T12:00:00Z --dry-run \
		< /dev/null
	assert_failure 2
	assert_stderr_contains "'policies.spare.type_choice' must be"
}
