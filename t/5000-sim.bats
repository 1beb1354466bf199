#!/usr/bin/env bats
# pp-sim: accounting on a tiny hand-checkable trace, billing, the
# references, and bad traces.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	reactive_config
	# dedicated 1 x 8 GB (4 GB usable); peak 2x that: 8 GB from 00:10
	# to 01:30; game servers of 4 GB only, no session churn
	cat > "$BATS_TEST_TMPDIR/tiny.csv" <<-EOF
	time,value
	2026-11-02T00:00:00Z,0
	2026-11-02T00:10:00Z,10
	2026-11-02T01:30:00Z,10
	2026-11-02T01:40:00Z,0
	2026-11-02T02:00:00Z,0
	EOF
}

# The figures below were worked out for a decision every minute, demand
# ramped between samples and every minute counted; the defaults (every
# 2 minutes, samples held, a warm-up hour) have tests of their own in
# t/5010.
sim() {
	run --separate-stderr pp-sim --no-progress --dedicated 1x8 \
		--peak-ratio 2 --mix 4:1 --session 0 --cycle 1m --interpolate --warmup 0 \
		"$@" "$BATS_TEST_TMPDIR/tiny.csv"
}

@test "a tiny trace is carried with one cloud node billed per started hour" {
	sim
	assert_success
	# one 4 GB server on the dedicated node at 00:03, one on the cloud
	# node (ordered 00:03 at 100%, ready 00:06) at 00:08
	jq_is .starts 2
	jq_is .refused_starts 0
	jq_is .actions.scale_up 1
	jq_is .actions.scale_down 1
	jq_is .peak_cloud_nodes 1
	# cx53 from 00:03 until after 01:03: two started hours at 0.028
	jq_is .cloud_node_hours 2
	jq_is .cost_eur 0.056
	jq_is .flaps 0
	assert_stderr_contains "0 of 2 starts refused"
}

@test "a slow boot refuses a start every minute until the node is ready" {
	sim --boot 30m
	assert_success
	# ready at 00:33: refused 00:08 .. 00:32, 25 minutes
	jq_is .refused_starts 25
	jq_is .starts 27
	jq_is .refusal_minutes 25
	# (6553 + 7372 + 23 x 8192 - 25 x 4096) MB-minutes in GB
	jq_is .unmet_gb_minutes 97.6
}

@test "the oracle bills cloud demand by the minute at the best price per GB" {
	sim
	assert_success
	# 340 GB-minutes over the dedicated base, cx53 at 0.028/32 GB-h
	jq_is .oracle_cost_eur 0.005
	jq_is '.cost_over_oracle > 11 and .cost_over_oracle < 11.5' true
}

@test "the static reference is the cheapest fixed fleet that never refuses" {
	sim
	assert_success
	# one cx33 (7.5 GB usable) holds the second server; 00:00 .. 02:01
	# is three started hours at 0.0088
	jq_is .static_fleet.server_type cx33
	jq_is .static_fleet.count 1
	jq_is .static_cost_eur 0.0264
	jq_is .cost_over_static 2.121
}

@test "billing counts every started hour and caps a calendar month" {
	while read -r from to want; do
		run "$PP_BUILD/unit/bill" "$from" "$to" 0.028 17.49
		assert_success
		assert_output "$want"
	done <<-EOF
	2026-11-02T00:00:00Z 2026-11-02T00:00:01Z 0.0280 1
	2026-11-02T00:00:00Z 2026-11-02T01:00:00Z 0.0280 1
	2026-11-02T00:00:00Z 2026-11-02T01:00:01Z 0.0560 2
	2026-11-01T00:00:00Z 2026-12-01T00:00:00Z 17.4900 720
	2026-11-30T23:30:00Z 2026-12-01T00:30:00Z 0.0280 1
	EOF
}

@test "the report keeps the keys scripts rely on and draws an SVG" {
	sim --svg "$BATS_TEST_TMPDIR/out.svg"
	assert_success
	for k in cost_eur cloud_node_hours starts refused_starts \
	    refusal_minutes unmet_gb_minutes actions flaps moves \
	    moves_per_day peak_cloud_nodes \
	    oracle_cost_eur static_cost_eur cost_over_oracle \
	    cost_over_static forecast_error; do
		jq_is "has(\"$k\")" true
	done
	grep -q '<svg' "$BATS_TEST_TMPDIR/out.svg"
	grep -q 'RAM (GB)' "$BATS_TEST_TMPDIR/out.svg"
	grep -q 'dedicated base' "$BATS_TEST_TMPDIR/out.svg"
}

@test "irregular sampling and a long gap are interpolated and the gap reported" {
	cat > "$BATS_TEST_TMPDIR/gap.csv" <<-EOF
	time,value
	2026-11-02T00:00:00Z,5
	2026-11-02T00:07:13Z,6
	2026-11-02T00:31:00Z,5
	2026-11-02T06:31:00Z,5
	2026-11-02T06:40:00Z,4
	EOF
	run --separate-stderr pp-sim --no-progress --no-static \
		"$BATS_TEST_TMPDIR/gap.csv"
	assert_success
	jq_is '.trace.long_gaps | length' 1
	jq_is '.trace.long_gaps[0].hours' 6
	jq_is .sim.steps 401
	assert_stderr_contains "long gap 2026-11-02T00:31:00Z"
}

@test "bad traces are refused with the line number, exit 2" {
	local t="$BATS_TEST_TMPDIR/bad.csv"
	while IFS='|' read -r body msg; do
		printf '%b' "$body" > "$t"
		run --separate-stderr pp-sim --no-progress "$t"
		assert_failure 2
		assert_stderr_contains "$msg"
		assert_output ""
	done <<-'EOF'
	time,value\n2026-11-02T00:10:00Z,1\n2026-11-02T00:05:00Z,2\n|line 3: time 2026-11-02T00:05:00Z is before
	time,value\n2026-11-02T00:00:00Z,1\n2026-11-02T00:05:00Z,-2\n|line 3: value '-2' is negative
	time,value\n2026-11-02T00:00:00Z,lots\n|line 2: value 'lots' is not a number
	time,value\nyesterday,1\n|line 2: 'yesterday' is not an RFC 3339 time
	|line 1: empty file
	when,players\n|line 1: expected the header 'time,value'
	time,value\n|no samples after the header
	EOF
}

@test "a trace on standard input is read like a file" {
	run --separate-stderr pp-sim --no-progress --dedicated 1x8 \
		--peak-ratio 2 --mix 4:1 --session 0 --cycle 1m --interpolate --warmup 0 \
		- < "$BATS_TEST_TMPDIR/tiny.csv"
	assert_success
	jq_is .starts 2
}

@test "bad options are usage errors" {
	for o in "--peak-ratio 0" "--dedicated 2by64" "--mix 4" "--boot soon"; do
		run --separate-stderr pp-sim $o "$BATS_TEST_TMPDIR/tiny.csv"
		assert_failure 2
	done
	run --separate-stderr pp-sim
	assert_failure 2
}

@test "--svg into a FIFO or a device writes into it, never replaces it" {
	mkfifo "$BATS_TEST_TMPDIR/svg.fifo"
	# (a reader that gives up when no writer comes)
	timeout 20 cat "$BATS_TEST_TMPDIR/svg.fifo" > "$BATS_TEST_TMPDIR/got.svg" &
	sim --svg "$BATS_TEST_TMPDIR/svg.fifo"
	wait $! || true
	assert_success
	[ -p "$BATS_TEST_TMPDIR/svg.fifo" ] || fail "the FIFO was replaced"
	grep -q '<svg' "$BATS_TEST_TMPDIR/got.svg"
	# a full device of our own (the test's own node: renaming over
	# /dev/full itself would break it for the whole machine)
	mknod "$BATS_TEST_TMPDIR/full" c 1 7 2>/dev/null ||
		skip "cannot make a device node (not root)"
	sim --svg "$BATS_TEST_TMPDIR/full"
	assert_failure 1
	assert_stderr_contains "cannot write '$BATS_TEST_TMPDIR/full': No space left on device"
	[ -c "$BATS_TEST_TMPDIR/full" ] || fail "the device was replaced"
}
