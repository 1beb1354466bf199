#!/usr/bin/env bats
# The forecast: the built-in method on synthetic series, the document's
# forecast section, and the external source with its fallback.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	cp "$TOP/share/examples/registry.json" "$PP_STATE_DIR/registry.json"
	: > "$PP_CONFIG"
}

# history FROM_EPOCH HOURS: a sample a minute, a daily sine around the registry's 294 GB
history() {
	awk -v from="$1" -v hours="$2" 'BEGIN {
		print "# ppscale history 1"
		for (t = from; t < from + hours * 3600; t += 60)
			printf "%d %d 400000 0\n", t,
				301056 + 20480 * sin(2 * 3.14159265 * (t % 86400) / 86400)
	}' > "$PP_STATE_DIR/history"
}

@test "the forecast is exact on a daily sine, a weekly step and a linear trend" {
	for c in sine weekly trend gap rise step scan; do
		run --separate-stderr "$PP_BUILD/unit/forecast" "$c"
		assert_success
		refute_output --partial FAIL
	done
}

@test "the sums pp-sim keeps between steps give the forecast and the windows of a walk, to the bit" {
	run --separate-stderr "$PP_BUILD/unit/forecast" memo
	assert_success
	refute_output --partial FAIL
	assert_output --regexp '^ok memo: 32000 forecasts, [0-9]+ from the sums$'
}

@test "under 24 hours of history there is no forecast, and it says so" {
	run --separate-stderr "$PP_BUILD/unit/forecast" short
	assert_success
	history 1793577600 5
	run --separate-stderr pp-fleetstats --no-record \
		--now 2026-11-02T05:00:00Z
	assert_success
	jq_is .forecast.method none
	jq_is .forecast.ram_1h_mb null
	jq_is '.forecast.at | length' 0
	jq_is .forecast.note "history covers 5.0 h, under 24 h: no forecast"
}

@test "with two days of history the daily profile forecasts +1 h and +2 h" {
	history 1793577600 48
	run --separate-stderr pp-fleetstats --no-record \
		--now 2026-11-04T00:00:00Z
	assert_success
	jq_is .forecast.source builtin
	jq_is .forecast.method seasonal-daily
	jq_is .forecast.history_hours 48
	# the sine one and two hours past midnight, from the profile
	jq_is '.forecast.ram_1h_mb | . > 306000 and . < 306700' true
	jq_is '.forecast.ram_2h_mb | . > 310900 and . < 311700' true
	jq_is '[.forecast.at[].horizon_s] | map(tostring) | join(",")' \
		"900,3600,7200"
}

# evening_history FROM_EPOCH TO_EPOCH: a sample a minute, 250 GB but
# 400 GB from 18:00 to 22:00 Berlin time (CET, CEST from 2026-03-29
# 01:00Z, CET again from 2026-10-25 01:00Z): players keep local time
evening_history() {
	awk -v from="$1" -v to="$2" 'BEGIN {
		print "# ppscale history 1"
		for (t = from; t < to; t += 60) {
			off = (t >= 1774746000 && t < 1792890000) ? 7200 : 3600
			h = int((t + off) % 86400 / 3600)
			printf "%d %d 600000 0\n", t, (h >= 18 && h < 22) ? 409600 : 256000
		}
	}' > "$PP_STATE_DIR/history"
}

@test "the profile is the same local time a day and a week back across a daylight-saving change" {
	# history from | now | RAM at +1 h | at +2 h: the weekly profile
	# (8 days of history), then the daily one (36 hours), on the day
	# after the spring change (the evening starts at 18:00 CEST, 16:00Z,
	# an hour before 18:00 CET) and after the autumn one (17:30 CET is
	# still the afternoon, though 16:30Z was 18:30 CEST)
	while read -r from now at1 at2; do
		evening_history "$from" "$(date -u -d "$now" +%s)"
		run --separate-stderr pp-fleetstats --no-record --now "$now"
		assert_success
		jq_is '.forecast.method | startswith("seasonal")' true
		jq_is ".forecast.ram_1h_mb | . $at1" true
		jq_is ".forecast.ram_2h_mb | . $at2" true
	done <<-EOF
	1774051200 2026-03-30T15:30:00Z >400000 >400000
	1774656000 2026-03-29T15:30:00Z >400000 >400000
	1792195200 2026-10-26T15:30:00Z <300000 >400000
	1792800000 2026-10-25T15:30:00Z <300000 >400000
	EOF
	# in UTC the evening is where it was: the same minute, as before
	write_config <<-EOF
	timezone: UTC
	EOF
	evening_history 1774051200 1774884600
	run --separate-stderr pp-fleetstats --no-record \
		--now 2026-03-30T15:30:00Z
	jq_is '.forecast.ram_1h_mb | . < 300000' true
}

@test "the rise seen at this time of day is the same local time on the days before, across a daylight-saving change" {
	# 400 GB came at 18:00 Berlin time on each day before: on the day
	# of the spring change 17:55 CEST (15:55Z) is five minutes before
	# it, though 15:55Z was 16:55 CET; on the day of the autumn change
	# 16:05 CET (15:05Z) is two hours before it, though 15:05Z was
	# 17:05 CEST, an hour from 18:00, and the rise is only the
	# registry's 294 GB now against 250 GB a minute before. now | rise_mb
	write_config <<-EOF
	policies:
	  headroom:
	    enabled: true
	    rise_window: 5m
	EOF
	while read -r now rise; do
		t=$(date -u -d "$now" +%s)
		evening_history $((t - 7 * 86400 - 7200)) "$t"
		run --separate-stderr pp-fleetstats --no-record --now "$now"
		assert_success
		jq_is .forecast.rise_mb "$rise"
	done <<-EOF
	2026-03-29T15:55:00Z 153600
	2026-10-25T15:05:00Z 45056
	EOF
	# in UTC the same minute, as before
	write_config <<-EOF
	timezone: UTC
	policies:
	  headroom:
	    enabled: true
	    rise_window: 5m
	EOF
	run --separate-stderr pp-fleetstats --no-record --now 2026-10-25T15:05:00Z
	jq_is .forecast.rise_mb 153600
}

@test "forecast.horizons asks for more horizons" {
	history 1793577600 48
	write_config <<-EOF
	forecast:
	  horizons: [30m, 1h, 2h, 4h]
	policies:
	  predictive:
	    enabled: false
	EOF
	run --separate-stderr pp-fleetstats --no-record \
		--now 2026-11-04T00:00:00Z
	assert_success
	jq_is '[.forecast.at[].horizon_s] | map(tostring) | join(",")' \
		"1800,3600,7200,14400"
}

@test "an external forecast replaces the built-in one" {
	history 1793577600 48
	echo '{"method":"prophet","ram_1h_mb":70000,"ram_2h_mb":90000}' \
		> "$BATS_TEST_TMPDIR/fc.json"
	write_config <<-EOF
	forecast:
	  url: file://$BATS_TEST_TMPDIR/fc.json
	EOF
	run --separate-stderr pp-fleetstats --no-record \
		--now 2026-11-04T00:00:00Z
	assert_success
	jq_is .forecast.source external
	jq_is .forecast.method prophet
	jq_is .forecast.ram_1h_mb 70000
	jq_is .forecast.ram_2h_mb 90000
}

@test "a failing or unusable external forecast falls back to the built-in one and says so" {
	history 1793577600 48
	for body in missing 'not json' '{"ram_1h_mb":"lots"}' '{}'; do
		rm -f "$BATS_TEST_TMPDIR/fc.json"
		[[ $body == missing ]] ||
			printf '%s' "$body" > "$BATS_TEST_TMPDIR/fc.json"
		write_config <<-EOF
		forecast:
		  url: file://$BATS_TEST_TMPDIR/fc.json
		  timeout: 1
		EOF
		run --separate-stderr pp-fleetstats --no-record \
			--now 2026-11-04T00:00:00Z
		assert_success
		assert_stderr_contains "using the built-in forecast"
		jq_is .forecast.source builtin
		jq_is .forecast.method seasonal-daily
		jq_is '.forecast.note | test("external forecast failed")' true
		jq_is '.forecast.fallback | length > 0' true
	done
}

@test "a failing external forecast never shows the user, password or token in its URL" {
	history 1793577600 48
	# port 1 on this machine: nothing listens there
	write_config <<-EOF
	forecast:
	  url: http://fc:fc-pass-secret@127.0.0.1:1/f/fc-path-secret?token=fc-query-secret
	  timeout: 1
	EOF
	run --separate-stderr pp-fleetstats --now 2026-11-04T00:00:00Z
	assert_success
	assert_stderr_contains "cannot fetch 'http://127.0.0.1:1/...'"
	jq_is '.forecast.fallback | startswith("cannot fetch '"'"'http://127.0.0.1:1/...'"'"': ")' true
	for s in "$stderr" "$output" "$(cat "$PP_STATE_DIR"/* 2>/dev/null)"; do
		[[ $s != *secret* ]] || fail "a secret of the URL got out: $s"
	done
}

@test "the predictive policy scales up ahead of the forecast, sized and with urgency, and vetoes" {
	for c in up urgency veto; do
		run --separate-stderr "$PP_BUILD/unit/predictive" "$c"
		assert_success
		refute_output --partial FAIL
	done
}

# pp_zone_offset keeps what it learnt of a day: every 10 minutes of the
# days around both changes, in three zones (Lord Howe moves 30 minutes),
# in an order that comes back to the same days, match the C library's
# own answer (date(1)) at each time.
@test "the zone offset the forecast looks back with is the system's at every time around a change" {
	local tz day t t0 got want=
	local -a args times
	for tz in Europe/Berlin America/New_York Australia/Lord_Howe; do
		times=()
		for day in 2026-03-07 2026-03-28 2026-04-04 2026-10-03 \
		    2026-10-24 2026-10-31; do
			t0=$(date -u -d "$day" +%s)
			for ((t = t0; t < t0 + 3 * 86400; t += 600)); do
				times+=("$t")
				args+=("zone:$tz:$t")
			done
		done
		want+=$(TZ=$tz date -f <(printf '@%s\n' "${times[@]}") +%z |
			awk '{ s = 1; if (substr($0, 1, 1) == "-") s = -1
			print s * (substr($0, 2, 2) * 3600 + substr($0, 4, 2) * 60) }')
		want+=$'\n'
	done
	got=$("$BUILD/unit/timefmt" "${args[@]}")
	[[ $got == "${want%$'\n'}" ]] ||
		fail "$(diff <(echo "${want%$'\n'}") <(echo "$got") | head)"
	# the changes are in there: two offsets a zone
	[[ $(sort -u <<<"$want" | grep -c .) -ge 6 ]]
}
