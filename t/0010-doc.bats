#!/usr/bin/env bats
# The pipe document: what every tool accepts on stdin and how it writes.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	DOCCAT="$BUILD/unit/doccat"
	# a good document's time: the clock's, so that no age is warned of
	AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
}

# one row per bad input: the input (printf format) and the message
@test "bad documents are refused with exit 2 and a clear message" {
	while IFS='|' read -r input msg; do
		run --separate-stderr bash -c "printf '$input' | '$DOCCAT'"
		assert_failure 2
		assert_stderr_contains "$msg"
		assert_output ""
	done <<'ROWS'
|no document on stdin (empty input)
   \n\n|no document on stdin (empty input)
{"version": 1, "fleet": {|truncated JSON
{"version": 1,,}|invalid JSON at line 1
{"version": 1}\n{"version": 1}|bad document on stdin: invalid JSON at line 2
[1, 2]|not a JSON object
"text"|not a JSON object
{"version": 1} x|bad document on stdin
{"fleet": {}}|'version' is missing or not an integer
{"version": "1"}|'version' is missing or not an integer
{"version": 2}|document version 2 is newer than this tool understands (1)
{"version": 0}|bad document on stdin: version 0
{"version": 99999999999999999999}|bad document on stdin: 'version' is out of range
{"version": -99999999999999999999}|bad document on stdin: 'version' is out of range
{"version": 1.0}|'version' is missing or not an integer
{"version": 1, "nodes": []}|bad document on stdin: 'generated_at' is missing or not a time
{"version": 1, "generated_at": null}|'generated_at' is missing or not a time
{"version": 1, "generated_at": "yesterday"}|'generated_at' is missing or not a time
{"version": 1, "generated_at": 1764237600}|'generated_at' is missing or not a time
{"version": 1, "generated_at": "2026-11-27T25:00:00Z"}|'generated_at' is missing or not a time
ROWS
}

@test "a document larger than the cap is refused without reading it all" {
	run --separate-stderr bash -c \
		"{ printf '{\"version\":1,\"x\":\"'; yes aaaaaaaaaaaaaaa | tr -d '\\n' | head -c 70000000; printf '\"}'; } | '$DOCCAT'"
	assert_failure 2
	assert_stderr_contains "larger than 64 MB"
}

@test "nesting deeper than the limit is refused" {
	local deep
	deep=$(printf '[%.0s' $(seq 40))
	run --separate-stderr bash -c "printf '{\"version\":1,\"a\":%s' '$deep' | '$DOCCAT'"
	assert_failure 2
	assert_stderr_contains "invalid JSON"
}

@test "output is compact with one trailing newline when stdout is a pipe" {
	run --separate-stderr bash -c \
		"printf '{ \"version\" : 1,\n \"generated_at\": \"$AT\", \"a\": [1, 2] }' | '$DOCCAT' | od -c | tail -2"
	assert_success
	run --separate-stderr bash -c \
		"printf '{ \"version\" : 1,\n \"generated_at\": \"$AT\", \"a\": [1, 2] }' | '$DOCCAT'"
	assert_output "{\"version\":1,\"generated_at\":\"$AT\",\"a\":[1,2]}"
	[ "$(printf '{"version":1,"generated_at":"%s"}' "$AT" | "$DOCCAT" | wc -l)" -eq 1 ]
}

@test "-p and a terminal on stdout give pretty output" {
	run --separate-stderr bash -c "printf '{\"version\":1,\"generated_at\":\"$AT\",\"a\":[1]}' | '$DOCCAT' -p"
	assert_success
	assert_line --index 0 '{'
	assert_line --index 1 '  "version": 1,'
	if ! command -v script >/dev/null; then skip "no script(1)"; fi
	run bash -c "printf '{\"version\":1,\"generated_at\":\"$AT\"}' > '$BATS_TEST_TMPDIR/in'; script -qec \"'$DOCCAT' < '$BATS_TEST_TMPDIR/in'\" /dev/null"
	assert_success
	assert_output --partial '"version": 1'
}

@test "unknown sections pass through untouched" {
	run --separate-stderr bash -c \
		"printf '{\"version\":1,\"generated_at\":\"$AT\",\"future\":{\"x\":[1,{\"y\":null}]}}' | '$DOCCAT'"
	assert_success
	jq_is '.future.x[1].y' null
	jq_is '.future.x[0]' 1
}

@test "the string scanner's 16-byte step stops where the byte-by-byte one does" {
	# every placement of a quote, a backslash and control bytes in runs
	# of 1-48 bytes, then random bytes (t/unit/jscan.c)
	run "$BUILD/unit/jscan"
	assert_success
	assert_output --regexp '^[0-9]+ ok$'
}

@test "the time stamp kept from the last call is never another time's" {
	# pp_format_time keeps its last answer (pp-sim stamps one minute
	# many times); each line must be that argument's own time, and a
	# buffer too short for the stamp must not receive the kept one
	run "$BUILD/unit/timefmt" 0 86399 0 0 -1 1700000000 \
		short:1700000000 1700000000 86399 short:5 5
	assert_success
	expected=""
	for t in 0 86399 0 0 -1 1700000000 - 1700000000 86399 - 5; do
		if [ "$t" = - ]; then
			expected="$expected${expected:+
}SHORT"
		else
			expected="$expected${expected:+
}$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)"
		fi
	done
	got=$(printf '%s\n' "$output" | sed 's/^[0-9T:-]*[0-9]$/SHORT/; s/^-$/SHORT/')
	[ "$got" = "$expected" ] || { diff <(echo "$expected") <(echo "$got"); false; }
}
