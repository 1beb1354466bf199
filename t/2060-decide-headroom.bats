#!/usr/bin/env bats
# The headroom policy: K free slots for the largest game server on
# ready and booting nodes, a scale-up sized to restore them, a floor
# under every scale-down, and spares sized to the slot.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/decide'
	pp_isolate
}

# conf [extra headroom lines]: the seed with only headroom adding
conf() {
	local l lines=("headroom:" "  enabled: true")
	for l in "$@"; do lines+=("  $l"); done
	policy_config cx43 "${lines[@]}"
}

headroom() {
	jq -r ".decision.evaluations[] | select(.policy == \"headroom\") | $1" \
		<<< "$output"
}

NOW=2026-11-25T12:00:00Z

@test "a fragmented fleet with room in total but no hole for the largest game server scales up" {
	conf
	reg_start
	# 64 GB dedicated, 56 GB held: 8 GB free, no 12 GB hole
	reg_node ded-1 dedicated ready worker 65536 - 4x12288 8192
	# 16 GB cloud node, 8 GB held: 8 GB free
	reg_node cloud-a cloud ready worker 16384 2026-11-25T09:00:00Z 8192
	decide $NOW
	assert_success
	# 80 % used, 16 GB free: the capacity rule sees nothing
	jq_is '.decision.evaluations[] | select(.policy == "reactive") |
		.verdict' none
	jq_is .decision.action scale_up
	jq_is .decision.policy headroom
	jq_is .decision.count 1
	jq_is .decision.server_type cx43
	jq_is .decision.urgency high
	[[ $(headroom .figures.slot_mb) == 12288 ]]
	[[ $(headroom .figures.free_slots) == 0 ]]
	jq_is .decision.figures.free_slots 0
	[[ $(headroom .reason) == "0 free slots of 12288 MB on ready and booting nodes, 1 wanted" ]] ||
		fail "reason: $(headroom .reason)"
}

@test "a document not 10 s newer than the last scale-up buys nothing: the servers that bought may not be in it" {
	conf
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 4x12288 8192
	reg_node cloud-a cloud ready worker 16384 2026-11-25T09:00:00Z 8192
	# two cycles that overlap: both documents read before either buys
	pp-fleetstats --no-record -r "$REG" --now $NOW > "$BATS_TEST_TMPDIR/a"
	pp-fleetstats --no-record -r "$REG" --now $NOW > "$BATS_TEST_TMPDIR/b"
	run --separate-stderr pp-decide --now $NOW < "$BATS_TEST_TMPDIR/a"
	jq_is .decision.action scale_up
	run --separate-stderr pp-decide --now 2026-11-25T12:00:30Z \
		< "$BATS_TEST_TMPDIR/b"
	assert_success
	jq_is .decision.action none
	jq_is .decision.count 0
	assert_output --partial "is not 10 s newer than the last scale-up (2026-11-25T12:00:00Z)"
	refute_stderr_contains "cannot happen"
	# the next cycle's document decides as usual
	decide 2026-11-25T12:02:00Z
	jq_is .decision.action scale_up
}

# One row per fleet: what the free slots of 4096 MB are, and the action.
@test "free slots count each node on its own, booting nodes and spares in, draining nodes out" {
	conf slot_ram_mb:\ 4096 slots:\ 2
	while read -r name want action; do
		reg_start
		reg_node ded-1 dedicated ready worker 16384 - 4x3072
		case $name in
		fragmented)	# 4 GB free on ded-1 in 1 GB pieces: 1 slot
			;;
		booting)	# a booting cx43 (15872 usable): 3 slots more
			reg_node cloud-b cloud provisioning worker 15872 \
				2026-11-25T11:58:00Z ;;
		spare)		# an idle spare of 8 GB: 2 slots more
			reg_node cloud-s cloud ready spare 8192 \
				2026-11-25T11:00:00Z ;;
		draining)	# a draining node's room is going away: it
				# is taken back before a server is bought
			reg_node cloud-d cloud draining worker 15872 \
				2026-11-25T11:00:00Z ;;
		split)		# 3 GB free on each of two nodes: no slot
			reg_start
			reg_node ded-1 dedicated ready worker 16384 - 13312
			reg_node cloud-c cloud ready worker 7168 \
				2026-11-25T11:00:00Z 4096 ;;
		esac
		decide $NOW --dry-run
		assert_success
		[[ $(headroom .figures.free_slots) == "$want" ]] ||
			fail "$name: $(headroom .figures.free_slots) free slots, not $want"
		[[ $(jq -r .decision.action <<< "$output") == "$action" ]] ||
			fail "$name: $(jq -r .decision.action <<< "$output"), not $action"
	done <<-EOF
	fragmented 1 scale_up
	booting 4 none
	spare 3 none
	draining 1 uncordon
	split 0 scale_up
	EOF
}

@test "the scale-up is sized to restore K slots with the worker type" {
	# K 5 of 4 GB, none free; a cx43 (15872 usable) holds 3: 2 servers
	conf slot_ram_mb:\ 4096 slots:\ 5
	reg_start
	reg_node ded-1 dedicated ready worker 16384 - 4x4096
	decide $NOW --dry-run
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.count 2
	[[ $(headroom .figures.slots_per_new_node) == 3 ]]
}

@test "no scale-down leaves fewer than K free slots" {
	reg_start
	reg_node ded-1 dedicated ready worker 32768 - 4096
	reg_node cloud-a cloud ready worker 15872 2026-11-25T09:00:00Z 2048
	# with cloud-a: 28 GB + 13.5 GB free, 4 slots of 8 GB; without it
	# (its 2 GB moved to ded-1): 26 GB, 3 slots
	for k in 3 4; do
		policy_config cx43 "unneeded:" "  enabled: true" \
			"  utilisation: 90" "  hold: 0" "  billing_window: 0" \
			"headroom:" "  enabled: true" "  slot_ram_mb: 8192" \
			"  slots: $k"
		decide $NOW --dry-run
		assert_success
		[[ $(headroom .figures.free_slots) == 4 ]]
		if [[ $k == 3 ]]; then
			jq_is .decision.action scale_down
			jq_is .decision.node cloud-a
		else
			jq_is .decision.action none
			jq_is '.decision.evaluations[] | select(.policy ==
				"unneeded") | .figures.unneeded_nodes' 0
		fi
	done
}

@test "down_slots: a scale-down leaves that many free slots more than K" {
	reg_start
	reg_node ded-1 dedicated ready worker 32768 - 4096
	reg_node cloud-a cloud ready worker 15872 2026-11-25T09:00:00Z 2048
	# with cloud-a 4 slots of 8 GB, without it 3: K 2 lets it go, K 2
	# and one more down_slot too, K 2 and two more do not
	for more in 0 1 2; do
		policy_config cx43 "unneeded:" "  enabled: true" \
			"  utilisation: 90" "  hold: 0" "  billing_window: 0" \
			"headroom:" "  enabled: true" "  slot_ram_mb: 8192" \
			"  slots: 2" "  down_slots: $more"
		decide $NOW --dry-run
		assert_success
		[[ $(headroom .figures.slots_wanted) == 2 ]]
		if [[ $more -lt 2 ]]; then
			jq_is .decision.action scale_down
			jq_is .decision.node cloud-a
		else
			jq_is .decision.action none
		fi
	done
}

@test "an idle spare too small for a slot is no spare: the pool buys one that holds a slot, by type_choice" {
	for headroom in false true; do
		write_config <<-EOF
		policies:
		  reactive:
		    down_threshold: 0
		  spare:
		    schedule: [{spares: 1}]
		    type_choice: smallest_fit
		  predictive:
		    enabled: false
		  headroom:
		    enabled: $headroom
		cloud:
		  server_types: [cx23, cx33, cx43, cx53]
		EOF
		reg_start
		reg_node ded-1 dedicated ready worker 65536 - 12288
		reg_node cloud-s cloud ready spare 7680 2026-11-25T11:00:00Z
		decide $NOW --dry-run
		assert_success
		if [[ $headroom == false ]]; then
			jq_is .decision.action none
			jq_is .decision.figures.spares 1
		else
			jq_is .decision.action provision_spare
			jq_is .decision.policy spare
			# smallest_fit that holds 12 GB: cx43 (15872 usable)
			jq_is .decision.server_type cx43
			jq_is .decision.figures.spares 0
			[[ $(headroom .figures.small_spares) == 1 ]]
		fi
	done
}

@test "the slot size remembers the largest game server seen within memory" {
	conf
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 12288 2048
	decide 2026-11-25T12:00:00Z
	assert_success
	[[ $(headroom .figures.slot_mb) == 12288 ]]
	[[ $(jq -r .decide.policies.headroom.slot_mb "$(state_file)") == 12288 ]]
	# the large one stopped; a day later the slot is still 12 GB
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 2048
	decide 2026-11-26T12:00:00Z
	assert_success
	[[ $(headroom .figures.slot_mb) == 12288 ]]
	[[ $(headroom .figures.largest_now_mb) == 2048 ]]
	# over 7 days after it was last seen: the largest now
	decide 2026-12-02T12:01:00Z
	assert_success
	[[ $(headroom .figures.slot_mb) == 2048 ]]
}

# history FROM TO STEP_AT MB: one sample a minute, 40 GB held, MB more
# for an hour from STEP_AT (epoch seconds)
rise_history() {
	awk -v from="$1" -v to="$2" -v at="$3" -v mb="$4" 'BEGIN {
		print "# ppscale history 1"
		for (t = from; t <= to; t += 60)
			printf "%d %d 400000 0\n", t,
				40960 + (t >= at && t < at + 3600 ? mb : 0)
	}' > "$PP_STATE_DIR/history"
}

@test "a rise seen at this time of day raises the slots wanted, up to max_slots" {
	local now
	now=$(date -u -d $NOW +%s)
	# yesterday, five minutes after this time of day, 48 GB came at once
	rise_history $((now - 26 * 3600)) $((now - 60)) \
		$((now - 86400 + 300)) 49152
	reg_start
	# 32 GB free on ded-1, half of it: 2 slots of 16 GB
	reg_node ded-1 dedicated ready worker 65536 - 2x16384
	while read -r win max want action; do
		policy_config cx53 "headroom:" "  enabled: true" \
			"  slot_ram_mb: 16384" "  rise_window: $win" \
			"  max_slots: $max"
		decide $NOW --dry-run
		assert_success
		[[ $(headroom .figures.free_slots) == 2 ]]
		[[ $(headroom .figures.slots_wanted) == "$want" ]] ||
			fail "$win/$max: $(headroom .figures.slots_wanted) wanted, not $want"
		jq_is .decision.action "$action"
	done <<-EOF
	0 4 1 none
	5m 4 3 scale_up
	5m 2 2 none
	EOF
	policy_config cx53 "headroom:" "  enabled: true" \
		"  slot_ram_mb: 16384" "  rise_window: 5m"
	decide $NOW --dry-run
	jq_is .forecast.rise_mb 49152
	jq_is .forecast.rise_window_s 300
	# 48 GB less 1 GB of churn: 3 slots; a cx53 (32256 usable) holds 1
	jq_is .decision.count 1
	[[ $(headroom .reason) == "2 free slots of 16384 MB on ready and booting nodes, 3 wanted for a rise of 49152 MB seen at this time of day" ]] ||
		fail "reason: $(headroom .reason)"
}

@test "lead: the forecast's rise within the lead raises the slots wanted; the document carries the forecast at the lead" {
	local now rise want
	now=$(date -u -d $NOW +%s)
	# yesterday, five minutes after this time of day, 40,000 MB came
	# for an hour: the daily profile expects it again in 5 minutes
	rise_history $((now - 26 * 3600)) $((now - 60)) \
		$((now - 86400 + 300)) 40000
	reg_start
	# 40 GB held of 64: one free slot of 16 GB
	reg_node ded-1 dedicated ready worker 65536 - 2x16384 8192
	while read -r lead want action; do
		policy_config cx53 "headroom:" "  enabled: true" \
			"  slot_ram_mb: 16384" "  lead: $lead" \
			"  max_slots: 8"
		decide $NOW --dry-run
		assert_success
		[[ $(headroom .figures.free_slots) == 1 ]]
		[[ $(headroom .figures.slots_wanted) == "$want" ]] ||
			fail "lead $lead: $(headroom .figures.slots_wanted) wanted, not $want"
		jq_is .decision.action "$action"
	done <<-EOF
	0 1 none
	2m 1 none
	15m 4 scale_up
	EOF
	# the document carries the forecast at the lead, with predictive off
	jq -e '.forecast.at[] | select(.horizon_s == 900)' \
		"$BATS_TEST_TMPDIR/doc.json" > /dev/null ||
		fail "no forecast at 15 min in the document"
	rise=$(headroom .figures.lead_rise_mb)
	# about 40,000 MB over the 40,960 held now: 3 slots more than K
	((rise > 39000 && rise < 41000)) || fail "lead_rise_mb $rise"
	[[ $(headroom .reason) == "1 free slot of 16384 MB on ready and booting nodes, 4 wanted for a rise of $rise MB forecast within 15 min" ]] ||
		fail "reason: $(headroom .reason)"
	# a cx53 (32256 usable) holds one slot: three of them
	jq_is .decision.count 3
	# max_slots caps the slots a rise takes
	policy_config cx53 "headroom:" "  enabled: true" \
		"  slot_ram_mb: 16384" "  lead: 15m" "  max_slots: 2"
	decide $NOW --dry-run
	[[ $(headroom .figures.slots_wanted) == 2 ]]
}

@test "lead_margin_mb: a forecast a little under flat keeps the rise's slot from a scale-down" {
	local now
	now=$(date -u -d $NOW +%s)
	# 6 GB held all day; yesterday from five minutes after this time of
	# day 1,000 MB less for an hour: the forecast falls a little
	awk -v from=$((now - 26 * 3600)) -v to=$((now - 60)) \
		-v at=$((now - 86400 + 300)) 'BEGIN {
		print "# ppscale history 1"
		for (t = from; t <= to; t += 60)
			printf "%d %d 400000 0\n", t,
				6144 - (t >= at && t < at + 3600 ? 1000 : 0)
	}' > "$PP_STATE_DIR/history"
	reg_start
	reg_node ded-1 dedicated ready worker 32768 - 4096
	reg_node cloud-a cloud ready worker 15872 2026-11-25T09:00:00Z 2048
	# with cloud-a 4 slots of 8 GB, without it 3: K 3 lets it go unless
	# the margin lifts the fall over zero, a slot more to keep
	while read -r lead margin action; do
		policy_config cx43 "unneeded:" "  enabled: true" \
			"  utilisation: 90" "  hold: 0" "  billing_window: 0" \
			"headroom:" "  enabled: true" "  slot_ram_mb: 8192" \
			"  slots: 3" "  lead: $lead" "  lead_margin_mb: $margin"
		decide $NOW --dry-run
		assert_success
		[[ $(headroom .figures.slots_wanted) == 3 ]]
		jq_is .decision.action "$action"
	done <<-EOF
	15m 0 scale_down
	15m 2048 none
	0 2048 scale_down
	EOF
	rise=$(headroom .figures.lead_rise_mb)
	[[ $rise == null ]] || fail "lead off, yet lead_rise_mb $rise"
	policy_config cx43 "headroom:" "  enabled: true" \
		"  slot_ram_mb: 8192" "  slots: 3" "  lead: 15m"
	decide $NOW --dry-run
	rise=$(headroom .figures.lead_rise_mb)
	((rise > -1100 && rise < -900)) || fail "lead_rise_mb $rise"
}

@test "step_window: a rise running now, that no forecast saw, raises the slots wanted at once" {
	local now win margin max want action m
	now=$(date -u -d $NOW +%s)
	# the history, as pp-fleetstats records it: one cycle a minute
	# from FROM to UPTO minutes before now, 20 GB held until STEP
	# minutes before now and 64 GB from then (the registry's)
	record() {
		local from=$1 upto=$2 step=$3
		for ((m = from; m >= upto; m--)); do
			reg_start
			if ((m > step)); then
				reg_node ded-1 dedicated ready worker 98304 - 16384 4096
			else
				reg_node ded-1 dedicated ready worker 98304 - 4x16384
			fi
			pp-fleetstats -r "$REG" --now "$(date -u -d \
				"@$((now - m * 60))" +%FT%TZ)" > /dev/null ||
				fail "pp-fleetstats at -$m min"
		done
	}
	policy_config cx53 "headroom:" "  enabled: true" \
		"  slot_ram_mb: 16384" "  step_window: 10m"
	record 30 1 0
	# now 64 GB held of 96: a rise of 44 GB; 2 free slots of 16 GB
	reg_start
	reg_node ded-1 dedicated ready worker 98304 - 4x16384
	while read -r win margin max want action; do
		policy_config cx53 "headroom:" "  enabled: true" \
			"  slot_ram_mb: 16384" "  step_window: $win" \
			"  step_margin_mb: $margin" "  max_slots: $max"
		decide $NOW --dry-run
		assert_success
		[[ $(headroom .figures.free_slots) == 2 ]]
		[[ $(headroom .figures.slots_wanted) == "$want" ]] ||
			fail "$win/$margin/$max: $(headroom .figures.slots_wanted) wanted, not $want"
		jq_is .decision.action "$action"
	done <<-EOF
	0 16384 4 1 none
	10m 16384 4 3 scale_up
	10m 40960 4 2 none
	10m 49152 4 1 none
	10m 0 4 4 scale_up
	10m 16384 2 2 none
	EOF
	policy_config cx53 "headroom:" "  enabled: true" \
		"  slot_ram_mb: 16384" "  step_window: 10m" \
		"  step_margin_mb: 16384"
	decide $NOW --dry-run
	jq_is .forecast.step_mb 45056
	jq_is .forecast.step_window_s 600
	[[ $(headroom .figures.step_mb) == 45056 ]]
	# 44 GB less the 16 GB margin: 2 slots on top of K; a cx53 (32256
	# usable) holds one, and one is missing
	jq_is .decision.count 1
	[[ $(headroom .reason) == "2 free slots of 16384 MB on ready and booting nodes, 3 wanted for a rise of 45056 MB within the last 10 min" ]] ||
		fail "reason: $(headroom .reason)"
	# the default margin, 32 GB: 12 GB over it, one slot
	policy_config cx53 "headroom:" "  enabled: true" \
		"  slot_ram_mb: 16384" "  step_window: 10m"
	decide $NOW --dry-run
	[[ $(headroom .figures.slots_wanted) == 2 ]]
	jq_is .decision.action none
	# the same 64 GB since 20 minutes ago: no rise within the window
	rm -f "$PP_STATE_DIR/history"
	record 30 1 20
	decide $NOW --dry-run
	assert_success
	jq_is .forecast.step_mb 0
	[[ $(headroom .figures.slots_wanted) == 1 ]]
	jq_is .decision.action none
}

# A catalog of its own (a live one may differ from the built-in), so
# that pp-config's check leaves a slot bigger than every type alone.
big_catalog() {
	printf '%s\n' '  catalog:' \
		'    - {name: cx23, memory_gb: 4, hourly_eur: 0.0056, locations: [nbg1]}' \
		'    - {name: cx33, memory_gb: 8, hourly_eur: 0.0088, locations: [nbg1]}' \
		'    - {name: cx43, memory_gb: 16, hourly_eur: 0.0152, locations: [nbg1]}'
}

@test "a slot no allowed type holds buys nothing for slots, and blocks no other policy" {
	write_config <<-EOF
	policies:
	  reactive:
	    down_threshold: 0
	  spare:
	    enabled: false
	  predictive:
	    enabled: false
	  headroom:
	    enabled: true
	    slot_ram_mb: 20000
	cloud:
	  server_types: [cx23, cx33, cx43]
	$(big_catalog)
	EOF
	reg_start
	# 87 % used: reactive wants a node; no 20000 MB hole anywhere
	reg_node ded-1 dedicated ready worker 65536 - 7x8000 1016
	decide $NOW
	assert_success
	[[ $(headroom .verdict) == none ]]
	[[ $(headroom .reason) == "0 free slots of 20000 MB on ready and booting nodes, 1 wanted; but no allowed type holds a slot (the largest, cx43, 15872 MB usable): none bought" ]] ||
		fail "reason: $(headroom .reason)"
	jq_is .decision.action scale_up
	jq_is .decision.policy reactive
	jq_is .decision.server_type cx43
	assert_output --partial "no allowed type holds the headroom's slot (20000 MB): cx43, the largest (15872 MB usable)"
	assert_stderr_contains "pp-decide: headroom: no allowed server type holds a slot of 20000 MB (the largest, cx43, holds 15872 MB): no server is bought for slots"
	assert_stderr_contains "pp-decide: no allowed server type holds the headroom's slot (20000 MB): buying cx43"
}

# warnings: pp-decide's pp_last_run_warnings in the textfile
warnings() {
	awk '$1 == "pp_last_run_warnings{tool=\"pp-decide\"}" { print $2 }' \
		"$BATS_TEST_TMPDIR/pp.prom"
}

@test "a huge game server seen once blocks no scale-up while the slot remembers it" {
	conf
	printf 'metrics:\n  textfile: %s\n' "$BATS_TEST_TMPDIR/pp.prom" \
		>> "$PP_CONFIG"
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 40000
	decide 2026-11-25T12:00:00Z
	assert_success
	[[ $(jq -r .decide.policies.headroom.slot_mb "$(state_file)") == 40000 ]]
	# a day later it is gone and the fleet is at 87 %
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 7x8000 1016
	decide 2026-11-26T12:00:00Z
	assert_success
	[[ $(headroom .figures.slot_mb) == 40000 ]]
	[[ $(headroom .verdict) == none ]]
	jq_is .decision.action scale_up
	jq_is .decision.policy reactive
	jq_is .decision.server_type cx43
	assert_output --partial "no allowed type holds the headroom's slot (40000 MB): cx43, the largest (15872 MB usable)"
	# said, but as notes: the nodes bought hold every game server
	# there is, and PpscaleToolWarns would fire for the slot's 7 days
	assert_stderr_contains "pp-decide: headroom: no allowed server type holds a slot of 40000 MB (the largest, cx43, holds 15872 MB): no server is bought for slots"
	assert_stderr_contains "pp-decide: no allowed server type holds the headroom's slot (40000 MB): buying cx43"
	[[ $(warnings) == 0 ]] || fail "warnings: $(warnings)"
	# half used, no 40000 MB hole: a note too
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 4x8000
	decide 2026-11-26T13:00:00Z
	assert_success
	jq_is .decision.action none
	assert_stderr_contains "pp-decide: headroom: no allowed server type holds a slot of 40000 MB"
	[[ $(warnings) == 0 ]] || fail "warnings: $(warnings)"
	# the huge game server back, at 87 %: new nodes miss it, a warning
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 40000 2x8000 1016
	decide 2026-11-26T14:00:00Z
	assert_success
	jq_is .decision.action scale_up
	assert_stderr_contains "pp-decide: no allowed server type holds the largest game server (40000 MB): buying cx43"
	[[ $(warnings) -ge 1 ]] || fail "warnings: $(warnings)"
}

@test "with a slot no type holds, an idle spare of the largest type counts: the pool does not buy again" {
	write_config <<-EOF
	policies:
	  reactive:
	    down_threshold: 0
	  spare:
	    schedule: [{spares: 1}]
	  predictive:
	    enabled: false
	  headroom:
	    enabled: true
	    slot_ram_mb: 40000
	cloud:
	  server_types: [cx23, cx33, cx43]
	$(big_catalog)
	EOF
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 8000
	reg_node cloud-s cloud ready spare 15872 2026-11-25T11:00:00Z
	decide $NOW --dry-run
	assert_success
	jq_is .decision.figures.spares 1
	[[ $(headroom .figures.small_spares) == 0 ]]
	refute_output --partial provision_spare
	# a smaller idle spare is still no spare
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 8000
	reg_node cloud-s cloud ready spare 7680 2026-11-25T11:00:00Z
	decide $NOW --dry-run
	assert_success
	jq_is .decision.action provision_spare
	jq_is .decision.server_type cx43
	jq_is .decision.figures.spares 0
}

# Nodes bought while no type holds the remembered slot (the largest
# type, by the other policies) hold no slot either: a floor of slots no
# cloud node provides would keep every one of them for the slot's
# memory.
@test "with a slot no type holds, the headroom floor keeps no idle cloud node" {
	policy_config cx43 "unneeded:" "  enabled: true" "  utilisation: 90" \
		"  hold: 0" "  billing_window: 0" "headroom:" "  enabled: true"
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 40000
	decide 2026-11-25T11:00:00Z
	assert_success
	reg_start
	reg_node ded-1 dedicated ready worker 65536 - 7x8000
	reg_node cloud-a cloud ready worker 15872 2026-11-25T09:00:00Z
	reg_node cloud-b cloud ready worker 15872 2026-11-25T09:00:00Z
	decide 2026-11-25T12:00:00Z
	assert_success
	[[ $(headroom .figures.slot_mb) == 40000 ]]
	jq_is .decision.action scale_down
	jq_is .decision.policy unneeded
	[[ $(jq -r .decision.node <<< "$output") == cloud-[ab] ]]
}
