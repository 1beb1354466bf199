#!/usr/bin/env bats
# pp-fleetstats --import-history: past samples from a CSV or a
# Prometheus query_range answer, so the forecast starts warm.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	REG="$BATS_TEST_TMPDIR/registry.json"
	cp "$FIXTURES/small-registry.json" "$REG"
	NOW=2026-11-27T12:00:00Z
	NOW_S=$(date -u -d "$NOW" +%s)
}

# csv_days N STEP: N days before NOW, one sample every STEP seconds,
# a daily wave between 10 and 30 GB
csv_days() {
	awk -v now="$NOW_S" -v days="$1" -v step="$2" 'BEGIN {
		print "time,allocated_ram_mb"
		for (t = now - days * 86400 + step; t < now; t += step)
			printf "%d,%d\n", t, 20480 + 10240 * sin(2 * 3.14159265 * (t % 86400) / 86400)
	}'
}

# prom_of CSV: the same samples as a Prometheus query_range answer
prom_of() {
	tail -n +2 "$1" | jq -R -s '{status: "success", data: {resultType: "matrix",
		result: [{metric: {}, values: [split("\n")[] | select(length > 0) |
		split(",") | [(.[0] | tonumber), .[1]]]}]}}'
}

@test "a week of imported samples gives a weekly forecast at the first run" {
	csv_days 8 300 > "$BATS_TEST_TMPDIR/past.csv"
	run --separate-stderr pp-fleetstats --no-record -r "$REG" --now "$NOW"
	assert_success
	jq_is .forecast.method none
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/past.csv"
	assert_success
	jq_is .source_format csv
	jq_is .read 2303
	jq_is .imported 2303
	jq_is .samples 2303
	jq_is .written true
	jq_is .first 2026-11-19T12:05:00Z
	assert_stderr_contains "imported 2303 of 2303 samples"
	run --separate-stderr pp-fleetstats -r "$REG" --now "$NOW"
	assert_success
	jq_is .forecast.method seasonal-weekly
	jq_is .history.samples 2304
	[ "$(jq '.forecast.at | length' <<< "$output")" -gt 0 ]
}

@test "a file:// source is read in any case of its scheme (RFC 3986), its path shown whole" {
	csv_days 1 300 > "$BATS_TEST_TMPDIR/past.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "FILE://$BATS_TEST_TMPDIR/past.csv"
	assert_success
	jq_is .source_format csv
	[ "$(jq .read <<< "$output")" -gt 0 ]
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "File://$BATS_TEST_TMPDIR/nope.csv"
	assert_failure 2
	assert_stderr_contains "cannot read '$BATS_TEST_TMPDIR/nope.csv'"
}

@test "a file:// source names a file of this host: file://localhost/path is read, another host refused, %XX decoded (RFC 8089)" {
	csv_days 1 300 > "$BATS_TEST_TMPDIR/past.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "file://localhost$BATS_TEST_TMPDIR/past.csv"
	assert_success
	[ "$(jq .read <<< "$output")" -gt 0 ]
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "file://elsewhere$BATS_TEST_TMPDIR/past.csv"
	assert_failure 2
	assert_output ""
	assert_stderr_contains "a file:// URL names a file of this host"
	# its %XX escapes decoded, as curl reads a file:// registry
	mkdir "$BATS_TEST_TMPDIR/my dir"
	csv_days 1 300 > "$BATS_TEST_TMPDIR/my dir/past.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "file://$BATS_TEST_TMPDIR/my%20dir/past.csv"
	assert_success
	[ "$(jq .read <<< "$output")" -gt 0 ]
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "file://$BATS_TEST_TMPDIR/my%2xdir/past.csv"
	assert_failure 2
	assert_stderr_contains "a %-escape that is not two hex digits, or %00"
}

@test "a file:/path source (RFC 8089's short form, one slash) is read as the file /path, %XX decoded" {
	mkdir "$BATS_TEST_TMPDIR/my dir"
	csv_days 1 300 > "$BATS_TEST_TMPDIR/my dir/past.csv"
	local src
	for src in "file:$BATS_TEST_TMPDIR/my%20dir/past.csv" \
		"FILE:$BATS_TEST_TMPDIR/my%20dir/past.csv"; do
		run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
			--import-history "$src"
		assert_success
		jq_is .source_format csv
		[ "$(jq .read <<< "$output")" -gt 0 ]
	done
	# a missing file is named by its path, as for file:///path
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "file:$BATS_TEST_TMPDIR/nope.csv"
	assert_failure 2
	assert_stderr_contains "cannot read '$BATS_TEST_TMPDIR/nope.csv'"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "file:$BATS_TEST_TMPDIR/my%2xdir/past.csv"
	assert_failure 2
	assert_stderr_contains "a %-escape that is not two hex digits, or %00"
	# a parse failure names the source as given, its query's secret
	# redacted as a file:// URL's is
	echo time,allocated_ram_mb > "$BATS_TEST_TMPDIR/empty.csv?password=pw-SECRET-1015"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "file:$BATS_TEST_TMPDIR/empty.csv?password=pw-SECRET-1015"
	assert_failure 2
	assert_stderr_contains "history source 'file:$BATS_TEST_TMPDIR/empty.csv?password=<redacted>' (csv): no samples in it"
	refute_stderr_contains SECRET-1015
	# another host is still refused, in either form
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "file://elsewhere$BATS_TEST_TMPDIR/my%20dir/past.csv"
	assert_failure 2
	assert_stderr_contains "a file:// URL names a file of this host (file:///path, file:/path or file://localhost/path)"
}

@test "a file:// source's query secret never shows in its messages" {
	# read as a path, '?' and all: the message names it so, redacted
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "file://$BATS_TEST_TMPDIR/nope.csv?sslpassword=pw-SECRET-1015"
	assert_failure 2
	assert_stderr_contains "cannot read '$BATS_TEST_TMPDIR/nope.csv?sslpassword=<redacted>'"
	refute_stderr_contains SECRET-1015
	echo time,allocated_ram_mb > "$BATS_TEST_TMPDIR/empty.csv?password=pw-SECRET-1015"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "file://$BATS_TEST_TMPDIR/empty.csv?password=pw-SECRET-1015"
	assert_failure 2
	assert_stderr_contains "history source 'file://$BATS_TEST_TMPDIR/empty.csv?password=<redacted>' (csv): no samples in it"
	refute_stderr_contains SECRET-1015
}

@test "the store's own samples win; after now and past retention are skipped; a second import adds nothing" {
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T11:00:20Z
	assert_success
	own=$(grep -v '^#' "$PP_STATE_DIR/history")
	{
		echo "# a comment, then a header-less file with RFC 3339 times"
		echo "2026-11-27T11:00:40Z,99999"       # the minute the store has
		echo "2026-11-27T10:59:00Z, 1000.4"     # taken, rounded
		echo "2026-11-27T13:00:00Z,5000"        # after now
		echo "2026-11-01T00:00:00Z,5000"        # older than 15 days
		echo "$((NOW_S - 7200)),2000"           # unix seconds
	} > "$BATS_TEST_TMPDIR/few.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/few.csv"
	assert_success
	jq_is .read 5
	jq_is .imported 2
	jq_is .skipped_own 1
	jq_is .skipped_future 1
	jq_is .skipped_old 1
	jq_is .samples 3
	# 10:00 and 10:59 imported, then the store's own 11:00:20
	jq_is .max_spacing_s 3540
	jq_is .min_mb 1000
	jq_is .max_mb 2000
	grep -qx "$own" "$PP_STATE_DIR/history"
	grep -q ' 1000 0 0$' "$PP_STATE_DIR/history"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/few.csv"
	assert_success
	jq_is .imported 0
	jq_is .skipped_own 3
	jq_is .written false
	assert_stderr_contains "nothing to import"
}

@test "--dry-run and stdin: the same figures, nothing written" {
	csv_days 1 600 > "$BATS_TEST_TMPDIR/day.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history - < "$BATS_TEST_TMPDIR/day.csv"
	assert_success
	jq_is .imported 143
	jq_is .written false
	assert_stderr_contains "would import 143"
	[ ! -e "$PP_STATE_DIR/history" ]
}

@test "a bad source exits 2 naming the line, and the store is unchanged" {
	run --separate-stderr pp-fleetstats -r "$REG" --now "$NOW"
	assert_success
	cp "$PP_STATE_DIR/history" "$BATS_TEST_TMPDIR/before"
	printf 'time,allocated_ram_mb\n%s,100\n%s,lots\n' "$NOW_S" "$NOW_S" \
		> "$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	assert_stderr_contains "line 3: allocated RAM 'lots'"
	printf '2026-13-01T00:00:00Z,5\n' > "$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	assert_stderr_contains "line 1: time '2026-13-01T00:00:00Z'"
	printf '%s,-5\n' "$NOW_S" > "$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/missing.csv"
	assert_failure 2
	assert_stderr_contains "cannot read"
	run --separate-stderr pp-fleetstats --now "$NOW" --no-record \
		--import-history "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	# a good source, but a store lock file that cannot be opened
	csv_days 1 600 > "$BATS_TEST_TMPDIR/day.csv"
	rm -f "$PP_STATE_DIR/history.lock"
	mkdir "$PP_STATE_DIR/history.lock"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/day.csv"
	assert_failure 2
	assert_stderr_contains "cannot lock history '"
	cmp "$BATS_TEST_TMPDIR/before" "$PP_STATE_DIR/history"
}

@test "a Prometheus query_range answer over http is imported; errors and several series are refused" {
	csv_days 2 60 > "$BATS_TEST_TMPDIR/two.csv"
	mkdir -p "$BATS_TEST_TMPDIR/www"
	prom_of "$BATS_TEST_TMPDIR/two.csv" > "$BATS_TEST_TMPDIR/www/range.json"
	jq '.data.result += .data.result' "$BATS_TEST_TMPDIR/www/range.json" \
		> "$BATS_TEST_TMPDIR/www/two-series.json"
	jq '.data.result = []' "$BATS_TEST_TMPDIR/www/range.json" \
		> "$BATS_TEST_TMPDIR/www/no-series.json"
	echo '{"status":"error","errorType":"bad_data","error":"parse error at char 4"}' \
		> "$BATS_TEST_TMPDIR/www/error.json"
	http_serve "$BATS_TEST_TMPDIR/www"
	local pid=$HTTP_PID port=$HTTP_PORT
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/range.json"
	assert_success
	jq_is .source_format prometheus
	jq_is .imported 2879
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/two-series.json"
	assert_failure 2
	assert_stderr_contains "2 series"
	# two control hosts export the same fleet-wide figure: a sum()
	# doubles it, max() does not
	assert_stderr_contains "max(...) across the hosts, not sum(...)"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/no-series.json"
	assert_failure 2
	assert_stderr_contains "no series: the query matched nothing"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/error.json"
	assert_failure 2
	assert_stderr_contains "parse error at char 4"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/none.json"
	assert_failure 2
	assert_stderr_contains "404"
	kill "$pid"
	run --separate-stderr pp-fleetstats -r "$REG" --now "$NOW"
	jq_is .forecast.method seasonal-daily
}

# no_secret: neither the URL's password nor its token on stdout or stderr
no_secret() {
	case "$output$stderr" in
	*s3cretPW*|*t0kenXYZ*) fail "a secret of the URL was shown: $stderr" ;;
	esac
}

@test "a URL's password and token are never shown, whatever fails" {
	csv_days 1 600 > "$BATS_TEST_TMPDIR/day.csv"
	mkdir -p "$BATS_TEST_TMPDIR/www"
	prom_of "$BATS_TEST_TMPDIR/day.csv" > "$BATS_TEST_TMPDIR/range.json"
	jq '.data.result += .data.result' "$BATS_TEST_TMPDIR/range.json" \
		> "$BATS_TEST_TMPDIR/www/two-series.json"
	echo '{"status":"success","data":' > "$BATS_TEST_TMPDIR/www/bad.json"
	: > "$BATS_TEST_TMPDIR/www/empty.json"
	echo '{"status":"error","errorType":"timeout","error":"query timed out"}' \
		> "$BATS_TEST_TMPDIR/www/busy.json"
	echo 503 > "$BATS_TEST_TMPDIR/www/busy.json.status"
	canned_serve "$BATS_TEST_TMPDIR/www"
	local pid=$HTTP_PID port=$HTTP_PORT
	for name in two-series bad empty busy none; do
		run --separate-stderr pp-fleetstats --now "$NOW" \
			--import-history "http://ops:s3cretPW@127.0.0.1:$port/$name.json?access_token=t0kenXYZ&step=60"
		assert_failure
		assert_stderr_contains "127.0.0.1:$port"
		no_secret
	done
	kill "$pid"
}

@test "a partial answer or one with warnings is refused (exit 1); infos (also as warnings) are shown and the answer imported" {
	csv_days 1 600 > "$BATS_TEST_TMPDIR/day.csv"
	mkdir -p "$BATS_TEST_TMPDIR/www"
	prom_of "$BATS_TEST_TMPDIR/day.csv" > "$BATS_TEST_TMPDIR/range.json"
	# VictoriaMetrics with a vmstorage node down
	jq '.isPartial = true' "$BATS_TEST_TMPDIR/range.json" \
		> "$BATS_TEST_TMPDIR/www/partial.json"
	# Thanos with a store that did not answer
	jq '.warnings = ["receive \"store-2\": rpc error: code = Unavailable\nconnection refused"]' \
		"$BATS_TEST_TMPDIR/range.json" > "$BATS_TEST_TMPDIR/www/warned.json"
	jq '.infos = ["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"pp_fleet_ram_bytes\""]' \
		"$BATS_TEST_TMPDIR/range.json" > "$BATS_TEST_TMPDIR/www/info.json"
	jq '.isPartial = false' "$BATS_TEST_TMPDIR/range.json" \
		> "$BATS_TEST_TMPDIR/www/whole.json"
	# Prometheus 2.46 to 2.53 (and Thanos) put infos into warnings
	jq '.warnings = ["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"pp_fleet_ram_bytes\""]' \
		"$BATS_TEST_TMPDIR/range.json" > "$BATS_TEST_TMPDIR/www/oldinfo.json"
	canned_serve "$BATS_TEST_TMPDIR/www"
	local pid=$HTTP_PID port=$HTTP_PORT
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/partial.json"
	assert_failure 1
	assert_stderr_contains "the answer is partial (isPartial: true"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/warned.json"
	assert_failure 1
	assert_stderr_contains 'the answer has warnings, so it may be partial: receive "store-2": rpc error: code = Unavailable connection refused'
	[ ! -e "$PP_STATE_DIR/history" ]
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/info.json"
	assert_success
	jq_is .imported 143
	assert_stderr_contains "PromQL info: metric might not be a counter"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "http://127.0.0.1:$port/oldinfo.json"
	assert_success
	assert_stderr_contains "PromQL info: metric might not be a counter"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "http://127.0.0.1:$port/whole.json"
	assert_success
	jq_is .skipped_own 143
	kill "$pid"
}

@test "Prometheus's error answer is shown with its status; a redirect is named, not read as CSV" {
	mkdir -p "$BATS_TEST_TMPDIR/www"
	local w=$BATS_TEST_TMPDIR/www
	echo '{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}' > "$w/res.json"
	echo 400 > "$w/res.json.status"
	echo '{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}' > "$w/exec.json"
	echo 422 > "$w/exec.json.status"
	printf '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation\\nsecond line"}' > "$w/slow.json"
	echo 503 > "$w/slow.json.status"
	# a proxy that echoes the token must not get it shown
	echo '{"status":"error","errorType":"bad_data","error":"bad token t0kenXYZ"}' > "$w/echo.json"
	echo 400 > "$w/echo.json.status"
	# one that echoes the path (a token in it) or a decoded query value
	echo '{"status":"error","errorType":"bad_data","error":"no such target /prom/t0kenPATH99/path.json"}' > "$w/path.json"
	echo 400 > "$w/path.json.status"
	echo '{"status":"error","errorType":"bad_data","error":"bad token abc+def123"}' > "$w/plus.json"
	echo 400 > "$w/plus.json.status"
	echo '<html>login</html>' > "$w/moved.json"
	echo 302 > "$w/moved.json.status"
	echo 'https://sso:pw1234@login.example/oauth?next=x&token=t0kenXYZ' > "$w/moved.json.location"
	canned_serve "$w"
	local pid=$HTTP_PID port=$HTTP_PORT
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/res.json"
	assert_failure 2
	assert_stderr_contains "HTTP status 400: bad_data: exceeded maximum resolution of 11,000 points"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/exec.json"
	assert_failure 2
	assert_stderr_contains "HTTP status 422: execution: query processing would load too many samples"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/slow.json"
	assert_failure 1
	assert_stderr_contains "HTTP status 503: timeout: query timed out in expression evaluation second line"
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/echo.json?access_token=t0kenXYZ"
	assert_failure 2
	assert_stderr_contains "HTTP status 400"
	no_secret
	# a token given as the user name
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://t0kenXYZ@127.0.0.1:$port/echo.json"
	assert_failure 2
	assert_stderr_contains "HTTP status 400"
	no_secret
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/prom/t0kenPATH99/path.json"
	assert_failure 2
	assert_stderr_contains "HTTP status 400"
	[[ $stderr != *t0kenPATH99* ]]
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/plus.json?token=abc%2Bdef123"
	assert_failure 2
	assert_stderr_contains "HTTP status 400"
	[[ $stderr != *def123* ]]
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "http://127.0.0.1:$port/moved.json"
	assert_failure 2
	assert_stderr_contains "HTTP status 302, a redirect to 'https://login.example/...'"
	no_secret
	[[ $stderr != *pw1234* ]]
	[ ! -e "$PP_STATE_DIR/history" ]
	kill "$pid"
}

@test "NaN, +Inf and -Inf in a Prometheus answer are skipped as gaps and counted" {
	csv_days 1 600 > "$BATS_TEST_TMPDIR/day.csv"
	prom_of "$BATS_TEST_TMPDIR/day.csv" |
		jq '.data.result[0].values[3][1] = "+Inf" |
			.data.result[0].values[4][1] = "-Inf" |
			.data.result[0].values[5][1] = "NaN"' \
		> "$BATS_TEST_TMPDIR/gaps.json"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/gaps.json"
	assert_success
	jq_is .read 140
	jq_is .imported 140
	jq_is .skipped_gaps 3
	assert_stderr_contains "3 gaps (NaN, +Inf or -Inf) skipped"
	jq '.data.result[0].values |= map(.[1] = "+Inf")' \
		"$BATS_TEST_TMPDIR/gaps.json" > "$BATS_TEST_TMPDIR/inf.json"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/inf.json"
	assert_failure 2
	assert_stderr_contains "no samples in it, only 143 gaps"
}

@test "the summary gives the value range and the widest step, and warns of steps the forecast does not bridge" {
	csv_days 2 600 > "$BATS_TEST_TMPDIR/fine.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "$BATS_TEST_TMPDIR/fine.csv"
	assert_success
	jq_is .max_spacing_s 600
	[ "$(jq .min_mb <<< "$output")" -ge 10240 ]
	[ "$(jq .max_mb <<< "$output")" -le 30720 ]
	[ "$(jq '.max_mb - .min_mb' <<< "$output")" -gt 19000 ]
	min=$(jq .min_mb <<< "$output") max=$(jq .max_mb <<< "$output")
	assert_stderr_contains "$min to $max MB, at most 600 s apart"
	[[ $stderr != *"smaller step"* ]]
	# a fine step with one hole of two hours (the source's own gap):
	# the hole is named, a smaller step is no help
	awk -F, -v from="$((NOW_S - 86400))" 'NR == 1 ||
		$1 < from || $1 >= from + 7200' "$BATS_TEST_TMPDIR/fine.csv" \
		> "$BATS_TEST_TMPDIR/hole.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "$BATS_TEST_TMPDIR/hole.csv"
	assert_success
	jq_is .max_spacing_s 7800
	assert_stderr_contains "a hole of 7800 s before"
	[[ $stderr != *"smaller step"* ]]
	# step=3660 in the query: it imports, and no forecast comes of it
	csv_days 2 3660 > "$BATS_TEST_TMPDIR/coarse.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/coarse.csv"
	assert_success
	jq_is .max_spacing_s 3660
	assert_stderr_contains "steps of 3660 s beside imported samples, more than the forecast interpolates across (3600 s): ask for a smaller step"
}

@test "a CSV that starts with a UTF-8 byte order mark is read, its header too" {
	{ printf '\357\273\277'; csv_days 1 600; } > "$BATS_TEST_TMPDIR/bom.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" --dry-run \
		--import-history "$BATS_TEST_TMPDIR/bom.csv"
	assert_success
	jq_is .source_format csv
	jq_is .read 143
}

@test "a source that disagrees with the store's own samples in the minutes both have is refused" {
	local k own
	for k in 0 1 2 3 4 5; do
		run --separate-stderr pp-fleetstats -r "$REG" \
			--now "2026-11-27T11:0${k}:10Z"
		assert_success
	done
	own=$(jq .fleet.allocated_ram_mb <<< "$output")
	# the store's six minutes and the hour before, as a sum over two
	# control hosts gives them: twice the figure
	awk -v now="$NOW_S" -v mb="$own" 'BEGIN {
		for (t = now - 7200; t <= now - 3300; t += 60)
			printf "%d,%d\n", t, 2 * mb
	}' > "$BATS_TEST_TMPDIR/doubled.csv"
	cp "$PP_STATE_DIR/history" "$BATS_TEST_TMPDIR/before"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/doubled.csv"
	assert_failure 2
	assert_stderr_contains "in the 6 minutes the store has too, the source's allocated RAM (median $((2 * own)) MB) is 2.0 times more than the store's own (median $own MB)"
	cmp "$BATS_TEST_TMPDIR/before" "$PP_STATE_DIR/history"
	# within the factor: imported
	sed "s/,$((2 * own))\$/,$((own + own / 4))/" "$BATS_TEST_TMPDIR/doubled.csv" \
		> "$BATS_TEST_TMPDIR/close.csv"
	run --separate-stderr pp-fleetstats --now "$NOW" \
		--import-history "$BATS_TEST_TMPDIR/close.csv"
	assert_success
	jq_is .skipped_own 6
	jq_is .imported 60
}
