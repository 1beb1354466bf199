#!/usr/bin/env bats
# pp-sim measures what players feel: every game server that cannot
# start, the minutes it waits, the shipped two-minute cycle, samples
# held rather than ramped from the future, drains that take time, the
# static fleet at equal refusals, and persistence beside the forecast.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	reactive_config "limits:" "  max_cloud_nodes: 0"
}

# burst N: 1 x 64 GB dedicated (60 GB usable), no cloud, and a trace
# that sits at 16 GB and jumps, for one minute, by 4N x 16 GB (16 GB
# game servers only)
burst() {
	local n=$1
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,1
		echo 2026-11-02T00:30:00Z,$((1 + n * 4))
		echo 2026-11-02T00:31:00Z,1
		echo 2026-11-02T01:00:00Z,1
	} > "$BATS_TEST_TMPDIR/burst.csv"
	# peak (1 + 4N units) = (16 + 64N) GB: 1 unit = 16 GB
	run --separate-stderr pp-sim --no-progress --no-static \
		--dedicated 1x64 --peak-ratio "$(awk -v n="$n" 'BEGIN { printf "%.6f", (16 + 64 * n) / 60 }')" \
		--mix 16:1 --session 0 --warmup 0 "$BATS_TEST_TMPDIR/burst.csv"
}

@test "a one-minute burst of N large starts counts N refused game servers, not 1" {
	for n in 1 3 7; do
		burst "$n"
		assert_success
		# the base is one 16 GB server on the dedicated node, which
		# leaves 44 GB: 2 of the burst's 4N start, 4N - 2 cannot
		jq_is .servers $((1 + n * 4))
		jq_is .refused_servers $((n * 4 - 2))
		jq_is .refused_starts $((n * 4 - 2))
		# each waited the one minute of the burst
		jq_is .waited_server_minutes $((n * 4 - 2))
		jq_is .refusal_minutes 1
	done
}

@test "demand held at exactly half a waiting game server asks for no new one each step" {
	# 1 x 64 GB dedicated (60 GB usable: four 15 GB game servers), no
	# cloud; 8 game servers wanted, then 5.5 for 50 minutes: the two
	# still waiting at 5.5 stay wanted, the same two, not dropped and
	# asked for again (a new refused game server) every step
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,16
		echo 2026-11-02T00:10:00Z,11
		echo 2026-11-02T01:00:00Z,11
	} > "$BATS_TEST_TMPDIR/half.csv"
	run --separate-stderr pp-sim --no-progress --no-static \
		--dedicated 1x64 --peak-ratio 2 --mix 15:1 --session 0 \
		--warmup 0 "$BATS_TEST_TMPDIR/half.csv"
	assert_success
	jq_is .servers 8
	jq_is .refused_servers 4
	# the two wait from 00:10 to the end: 50 steps each
	jq_is '.waited_server_minutes >= 100' true
}

@test "-vv names each refused game server with its minute and size" {
	burst 1
	assert_success
	refute_stderr_contains "is refused"
	# -v alone does not name each refusal
	run --separate-stderr pp-sim --no-progress --no-static -v \
		--dedicated 1x64 --peak-ratio "$(awk 'BEGIN { printf "%.6f", 80 / 60 }')" \
		--mix 16:1 --session 0 --warmup 0 "$BATS_TEST_TMPDIR/burst.csv"
	assert_success
	jq_is .refused_servers 2
	refute_stderr_contains "is refused"
	run --separate-stderr pp-sim --no-progress --no-static -vv \
		--dedicated 1x64 --peak-ratio "$(awk 'BEGIN { printf "%.6f", 80 / 60 }')" \
		--mix 16:1 --session 0 --warmup 0 "$BATS_TEST_TMPDIR/burst.csv"
	assert_success
	jq_is .refused_servers 2
	[[ $(grep -c "2026-11-02T00:30:00Z: a 16384 MB game server is refused" <<< "$stderr") -eq 2 ]] ||
		fail "want 2 refusal lines at 00:30: $stderr"
	# the static fleets pp-sim compares with refuse game servers of
	# their own while it searches them: those are not named
	run --separate-stderr pp-sim --no-progress -vv \
		--dedicated 1x64 --peak-ratio "$(awk 'BEGIN { printf "%.6f", 80 / 60 }')" \
		--mix 16:1 --session 0 --warmup 0 "$BATS_TEST_TMPDIR/burst.csv"
	assert_success
	jq_is .refused_servers 2
	jq_is '.static_cost_eur > 0' true
	[[ $(grep -c "is refused" <<< "$stderr") -eq 2 ]] ||
		fail "want only the run's 2 refusal lines: $stderr"
}

@test "a sample is held until the next, not ramped toward it from the future" {
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,1
		echo 2026-11-02T00:10:00Z,5
		echo 2026-11-02T00:20:00Z,5
		echo 2026-11-02T00:21:00Z,1
		echo 2026-11-02T00:30:00Z,1
	} > "$BATS_TEST_TMPDIR/ramp.csv"
	# 1 unit = 16 GB; 60 GB usable holds 3 servers of 16 GB, not 5
	for mode in held interpolated; do
		run --separate-stderr pp-sim --no-progress --no-static \
			--dedicated 1x64 --peak-ratio 1.333333 --mix 16:1 \
			--session 0 --warmup 0 \
			$([[ $mode == interpolated ]] && echo --interpolate) \
			"$BATS_TEST_TMPDIR/ramp.csv"
		assert_success
		jq_is .sim.samples "$mode"
		if [[ $mode == held ]]; then
			# 00:10 .. 00:20: eleven minutes short, no sooner
			jq_is .refusal_minutes 11
		else
			# the ramp reaches the 4th server's need before 00:10
			jq_is '.refusal_minutes > 11' true
		fi
	done
}

# drained SEED: 1 x 16 GB dedicated (12 GB usable), 4 GB game servers
# without session churn: 2 start, 6 by 00:10 (3 on a cloud node), and
# from 01:00 one is left; the reactive policy removes the cloud node
# after 20 minutes under 30 % and its drain moves what is still on it
# (the seed says which of the six stopped)
drained() {
	reactive_config
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,2
		echo 2026-11-02T00:10:00Z,6
		echo 2026-11-02T01:00:00Z,1
		echo 2026-11-02T03:00:00Z,1
	} > "$BATS_TEST_TMPDIR/drained.csv"
	run --separate-stderr pp-sim -v --no-progress --no-static \
		--dedicated 1x16 --peak-ratio 2 --mix 4:1 --session 0 \
		--warmup 0 --seed "$1" "$BATS_TEST_TMPDIR/drained.csv"
}

@test "every game server a drain moves is counted, and the moves per day of the trace" {
	drained 2
	assert_success
	jq_is .actions.scale_down 1
	assert_stderr_contains "01:20:00Z scale_down 1 cloud-1"
	# the drain takes --drain (2 minutes), then its one game server moves
	assert_stderr_contains "01:22:00Z cloud-1 drained: 1 game server moved"
	jq_is .moves 1
	# 181 one-minute steps: 1 / (181 / 1440)
	jq_is .moves_per_day 7.96
	assert_stderr_contains "0 flaps; 1 game servers moved"
	# with seed 1 the one left is on the dedicated node: the drain
	# moves nothing, and nothing is counted
	drained 1
	assert_success
	jq_is .actions.scale_down 1
	jq_is .moves 0
	jq_is .moves_per_day 0
	refute_stderr_contains "drained:"
}

@test "the engine decides every two minutes unless told otherwise" {
	printf 'time,value\n2026-11-02T00:00:00Z,1\n2026-11-02T01:00:00Z,1\n' \
		> "$BATS_TEST_TMPDIR/flat.csv"
	run --separate-stderr pp-sim --no-progress --no-static \
		"$BATS_TEST_TMPDIR/flat.csv"
	assert_success
	jq_is .sim.cycle_s 120
	assert_stderr_contains "decided every 120 s"
	run --separate-stderr pp-sim --no-progress --no-static --cycle 1m \
		"$BATS_TEST_TMPDIR/flat.csv"
	jq_is .sim.cycle_s 60
}

@test "the static reference at equal refusals is no dearer than the one that never refuses" {
	reactive_config "  headroom:" "    enabled: true"
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,1
		echo 2026-11-02T00:10:00Z,5
		echo 2026-11-02T02:00:00Z,5
		echo 2026-11-02T02:10:00Z,1
		echo 2026-11-02T04:00:00Z,1
	} > "$BATS_TEST_TMPDIR/step.csv"
	run --separate-stderr pp-sim --no-progress --dedicated 1x64 \
		--peak-ratio 1.333333 --mix 16:1 --session 0 --boot 10m --warmup 0 \
		"$BATS_TEST_TMPDIR/step.csv"
	assert_success
	# the slow boot refuses some; a fixed fleet may refuse as many
	jq_is '.refused_starts > 0' true
	jq_is '.static_equal_refusals.refused_starts <= .refused_starts' true
	jq_is '.static_equal_refusals.cost_eur <= .static_cost_eur' true
	jq_is '.cost_over_static_equal >= .cost_over_static' true
	# one node fewer than the zero-refusal fleet refuses more than
	# the run: here the two references meet
	jq_is .static_equal_refusals.count 2
	jq_is .static_fleet.count 2
}

@test "the forecast error is reported beside seasonal-naive and persistence" {
	# nine days of a daily cycle, hourly
	awk 'BEGIN { print "time,value"; for (h = 0; h < 216; h++)
		printf "2026-11-%02dT%02d:00:00Z,%d\n", 2 + int(h / 24),
		h % 24, 100 + 50 * ((h % 24) >= 12) }' \
		> "$BATS_TEST_TMPDIR/days.csv"
	run --separate-stderr pp-sim --no-progress --no-static \
		"$BATS_TEST_TMPDIR/days.csv"
	assert_success
	jq_is '.forecast_error.points > 0' true
	jq_is '.forecast_error.persistence_mape_1h >= 0' true
	jq_is '.forecast_error.persistence_mape_2h >= 0' true
	assert_stderr_contains "persistence"
}

@test "seasonal-naive is the same local time a week back, across a daylight-saving change" {
	# three weeks over the spring change, hourly: 150 from 18:00 to
	# 22:00 Berlin time, 100 else (CEST from 2026-03-29 01:00Z); one
	# size, no churn, no cloud: the platform holds the trace exactly
	awk 'BEGIN { print "time,value"
		for (t = 1773532800; t < 1773532800 + 21 * 86400; t += 3600) {
			off = t >= 1774746000 ? 7200 : 3600
			h = int((t + off) % 86400 / 3600)
			printf "%s,%d\n", strftime("%Y-%m-%dT%H:%M:%SZ", t, 1),
				(h >= 18 && h < 22) ? 150 : 100
		} }' > "$BATS_TEST_TMPDIR/dst.csv"
	for tz in Europe/Berlin UTC; do
		reactive_config "limits:" "  max_cloud_nodes: 0" "timezone: $tz"
		run --separate-stderr pp-sim --no-progress --no-static \
			--session 0 --mix 16:1 --peak-ratio 0.5 \
			"$BATS_TEST_TMPDIR/dst.csv"
		assert_success
		jq_is .forecast_error.method seasonal-weekly
		if [[ $tz == UTC ]]; then
			# a week back in UTC is an hour off after the change
			jq_is '.forecast_error.naive_mape_1h > 1' true
		else
			# the forecast and the baseline look back alike
			jq_is .forecast_error.naive_mape_1h 0
			jq_is .forecast_error.naive_mape_2h 0
			jq_is .forecast_error.mape_1h 0
		fi
	done
}

@test "the cold start is not counted: players' figures start after the warm-up" {
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,5
		echo 2026-11-02T03:00:00Z,5
	} > "$BATS_TEST_TMPDIR/cold.csv"
	# 80 GB from the first minute on 60 GB: two servers wait while
	# the first cloud node boots (the headroom policy orders it at
	# once) -- in the first hour only
	reactive_config "  headroom:" "    enabled: true"
	for w in 0 1h; do
		run --separate-stderr pp-sim --no-progress --no-static \
			--dedicated 1x64 --peak-ratio 1.333333 --mix 16:1 \
			--session 0 --warmup $w "$BATS_TEST_TMPDIR/cold.csv"
		assert_success
		if [[ $w == 0 ]]; then
			jq_is .sim.warmup_s 0
			jq_is '.refused_servers > 0' true
		else
			jq_is .sim.warmup_s 3600
			jq_is .refused_servers 0
			jq_is .servers 0
			jq_is .refused_starts 0
		fi
	done
}

@test "the comparison strategies run in place of the engine on the same platform" {
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,3
		echo 2026-11-02T01:00:00Z,3
		echo 2026-11-02T01:01:00Z,4
		echo 2026-11-02T03:00:00Z,4
		echo 2026-11-02T03:01:00Z,3
		echo 2026-11-02T05:00:00Z,3
	} > "$BATS_TEST_TMPDIR/rise.csv"
	# 1 unit = 16 GB: three servers fill the 60 GB dedicated node
	# (12 GB left, no 16 GB slot) until a fourth is asked for at 01:01
	reactive_config
	for st in target ca ca-headroom; do
		run --separate-stderr pp-sim --no-progress --no-static \
			--dedicated 1x64 --peak-ratio 1.066667 --mix 16:1 \
			--session 0 --strategy $st "$BATS_TEST_TMPDIR/rise.csv"
		assert_success
		jq_is .sim.strategy "$st"
		case $st in
		ca)	# it only acts on a game server that waits
			jq_is .refused_servers 1
			jq_is .actions.scale_up 1 ;;
		ca-headroom)
			# the pause pod held a 16 GB slot before the rise
			jq_is .refused_servers 0
			jq_is '.actions.scale_up >= 1' true ;;
		target)	# 48 of 60 GB is 80 % > 70 %: a node from the start
			jq_is .refused_servers 0
			jq_is '.actions.scale_up >= 1' true ;;
		esac
	done
	run --separate-stderr pp-sim --strategy cheapest "$BATS_TEST_TMPDIR/rise.csv"
	assert_failure 2
}

@test "headroom.lead: pp-sim's engine buys the slots of a daily step the forecast knows before it comes" {
	# nine days, hourly: 120 GB until noon, 180 GB after (16 GB game
	# servers, 60 GB dedicated): 60 GB at once every noon
	awk 'BEGIN { print "time,value"; for (h = 0; h < 216; h++)
		printf "2026-11-%02dT%02d:00:00Z,%d\n", 2 + int(h / 24),
		h % 24, 100 + 50 * ((h % 24) >= 12) }' \
		> "$BATS_TEST_TMPDIR/noon.csv"
	local r0 r1
	for lead in 0 1h; do
		# the default profile (its unneeded rule empties the cloud
		# each night), predictive off
		write_config <<-EOF
		profile: default
		policies:
		  predictive:
		    enabled: false
		  headroom:
		    slots: 1
		    lead: $lead
		EOF
		run --separate-stderr pp-sim -v --no-progress --no-static \
			--dedicated 1x64 --peak-ratio 3 --mix 16:1 --session 0 \
			"$BATS_TEST_TMPDIR/noon.csv"
		assert_success
		if [[ $lead == 0 ]]; then
			r0=$(jq .refused_servers <<< "$output")
			refute_stderr_contains "forecast within"
		else
			r1=$(jq .refused_servers <<< "$output")
			# bought before noon, for the rise the forecast
			# expects
			grep -q 'T11:.* scale_up .*MB forecast within 60 min' \
				<<< "$stderr" || fail "no scale-up before noon: $stderr"
		fi
	done
	((r0 > 0 && r1 < r0)) || fail "refused: $r0 without the lead, $r1 with"
}

@test "headroom.step_window: pp-sim's engine buys for a launch no forecast saw at once, not a slot a boot" {
	# three days at 100, then at 18:00 on the third a ramp to 300 over
	# 30 minutes, held three hours (one-minute steps)
	awk 'BEGIN { print "time,value"; s = 2 * 1440 + 18 * 60
		for (m = 0; m < 3 * 1440; m++) {
			v = 100
			if (m >= s && m < s + 30)
				v = 100 + 200 * (m - s) / 30
			else if (m >= s + 30 && m < s + 210)
				v = 300
			printf "2026-11-%02dT%02d:%02d:00Z,%d\n", 2 + int(m / 1440),
				int(m % 1440 / 60), m % 60, v
		} }' > "$BATS_TEST_TMPDIR/launch.csv"
	local r0 r1
	for win in 0 10m; do
		write_config <<-EOF
		profile: default
		policies:
		  headroom:
		    step_window: $win
		EOF
		run --separate-stderr pp-sim -v --no-progress --no-static \
			"$BATS_TEST_TMPDIR/launch.csv"
		assert_success
		if [[ $win == 0 ]]; then
			r0=$(jq .refused_servers <<< "$output")
			refute_stderr_contains "within the last"
		else
			r1=$(jq .refused_servers <<< "$output")
			# a scale-up in the ramp names the rise it saw
			grep -q 'T18:.* scale_up .*MB within the last 10 min' \
				<<< "$stderr" || fail "no step scale-up: $stderr"
		fi
	done
	((r0 > 0 && r1 < r0)) || fail "refused: $r0 without the step, $r1 with"
}

@test "a game server still waiting when the warm-up ends counts as refused, once" {
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,1
		echo 2026-11-02T00:50:00Z,5
		echo 2026-11-02T01:30:00Z,1
		echo 2026-11-02T02:00:00Z,1
	} > "$BATS_TEST_TMPDIR/carry.csv"
	# 1 unit = 16 GB, no cloud: at 00:50 two of five 16 GB servers
	# find no room on 60 GB and wait until 01:30; from 01:00 (the
	# warm-up's end) they wait 30 minutes each
	run --separate-stderr pp-sim --no-progress --no-static \
		--dedicated 1x64 --peak-ratio 1.333333 --mix 16:1 --session 0 \
		"$BATS_TEST_TMPDIR/carry.csv"
	assert_success
	jq_is .refused_starts 60
	jq_is .waited_server_minutes 60
	jq_is .refused_servers 2
	jq_is .servers 2
}

@test "the static references count refusals in the run's window, after the warm-up" {
	reactive_config
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,4
		echo 2026-11-02T00:50:00Z,2
		echo 2026-11-02T04:00:00Z,2
	} > "$BATS_TEST_TMPDIR/coldpeak.csv"
	# 1 unit = 4 GB on 4 GB usable, 4 GB game servers: four until
	# 00:50, in the uncounted first hour, then two. From 01:00 one
	# cx33 holds the second; a fleet for the first 50 minutes (a cx43)
	# is dearer than needed for refusals the run is not charged with
	run --separate-stderr pp-sim --no-progress --dedicated 1x8 \
		--peak-ratio 4 --mix 4:1 --session 0 \
		"$BATS_TEST_TMPDIR/coldpeak.csv"
	assert_success
	jq_is .refused_starts 0
	jq_is .static_fleet.server_type cx33
	jq_is .static_fleet.count 1
	# 00:00 .. 04:01: five started hours at 0.0088
	jq_is .static_cost_eur 0.044
	jq_is .static_equal_refusals.cost_eur 0.044
	# counted from the start, the same fleet must hold all four
	run --separate-stderr pp-sim --no-progress --dedicated 1x8 \
		--peak-ratio 4 --mix 4:1 --session 0 --warmup 0 \
		"$BATS_TEST_TMPDIR/coldpeak.csv"
	assert_success
	jq_is .static_fleet.server_type cx43
}

@test "--scale-percentile takes the nearest rank of the steps, not the next one" {
	# 1000 one-minute steps of 1 .. 1000
	awk 'BEGIN { print "time,value"; for (m = 0; m < 1000; m++)
		printf "2026-11-02T%02d:%02d:00Z,%d\n", int(m / 60), m % 60,
		m + 1 }' > "$BATS_TEST_TMPDIR/ranks.csv"
	while read -r p want; do
		run --separate-stderr pp-sim --no-progress --no-static \
			--scale-percentile "$p" "$BATS_TEST_TMPDIR/ranks.csv"
		assert_success
		jq_is .sim.steps 1000
		jq_is .sim.scale_value "$want"
	done <<-EOF
	50 500
	99 990
	99.9 999
	99.95 1000
	100 1000
	EOF
}

@test "the cluster autoscaler orders a node for each waiting game server a node holds, not their MB" {
	reactive_config
	{
		echo time,value
		echo 2026-11-02T00:00:00Z,3
		echo 2026-11-02T01:10:00Z,6
		echo 2026-11-02T03:00:00Z,6
	} > "$BATS_TEST_TMPDIR/three.csv"
	# 1 unit = 16 GB: three fill the 60 GB dedicated node, three more
	# wait at 01:10; a cx53 (31.5 GB usable) holds one 16 GB game
	# server, so 48 GB waiting needs three, not ceil(48 / 31.5) = 2
	run --separate-stderr pp-sim --no-progress --no-static \
		--dedicated 1x64 --peak-ratio 1.6 --mix 16:1 --session 0 \
		--strategy ca "$BATS_TEST_TMPDIR/three.csv"
	assert_success
	jq_is .actions.scale_up 1
	jq_is .peak_cloud_nodes 3
	# each waits 01:10 .. 01:12, until the boot is done
	jq_is .refused_servers 3
	jq_is .refused_starts 9
}
