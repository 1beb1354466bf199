#!/usr/bin/env bats
# The flags every tool shares, and what their exit statuses mean.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

tools() {
	local t
	for t in "$BUILD"/bin/pp-*; do basename "$t"; done
}

@test "every tool answers --help on stdout with exit 0" {
	for t in $(tools); do
		run --separate-stderr "$t" --help
		assert_success
		assert_output --partial "usage: $t"
		assert_output --partial "--now"
		[ -z "$stderr" ] || fail "$t --help wrote to stderr: $stderr"
		# it reads on an 80-column terminal without wrapping
		long=$(awk 'length($0) > 79' <<< "$output")
		[ -z "$long" ] || fail "$t --help: lines over 79 columns: $long"
	done
}

@test "every tool prints its version" {
	for t in $(tools); do
		run --separate-stderr "$t" --version
		assert_success
		assert_output --regexp "^$t \(ppscale\) [0-9]+\.[0-9]+\.[0-9]+$"
	done
}

@test "an unknown option is bad usage: exit 2 and the usage on stderr" {
	for t in $(tools); do
		run --separate-stderr "$t" --no-such-option </dev/null
		assert_failure 2
		assert_stderr_contains "usage: $t"
		assert_output ""
	done
}

@test "a malformed --now is refused with exit 2 before anything is read" {
	run --separate-stderr pp-fleetstats --now 2026-13-01T00:00:00Z \
		-r "$FIXTURES/small-registry.json"
	assert_failure 2
	assert_stderr_contains "bad --now '2026-13-01T00:00:00Z'"
	assert_output ""
	[ ! -e "$PP_STATE_DIR/history" ]
}

@test "a --now before 1970 or after 9999 is refused: its sample would set the history aside" {
	# a typo for 2026; an offset that pushes 9999 into year 10000
	for now in 0026-11-25T12:00:00Z 1969-12-31T23:59:59Z \
	    9999-12-31T23:59:59-01:00; do
		run --separate-stderr pp-fleetstats --now "$now" \
			-r "$FIXTURES/small-registry.json"
		assert_failure 2
		assert_stderr_contains "bad --now '$now': "
		assert_output ""
		[ ! -e "$PP_STATE_DIR/history" ]
	done
	run --separate-stderr pp-fleetstats --now 9999-12-31T23:59:59Z \
		-r "$FIXTURES/small-registry.json"
	assert_success
	run --separate-stderr pp-fleetstats --now 9999-12-31T23:59:59Z \
		-r "$FIXTURES/small-registry.json"
	assert_success
	[ ! -e "$PP_STATE_DIR"/history.corrupt.* ]
}

@test "--now accepts RFC 3339 offsets and fractions" {
	run --separate-stderr pp-fleetstats --no-record \
		--now 2026-11-27T11:00:00.250+01:00 -r "$FIXTURES/small-registry.json"
	assert_success
	jq_is .generated_at 2026-11-27T10:00:00Z
}

@test "a stray operand is bad usage" {
	for t in $(tools); do
		# pp-sim's operand is the trace, pp-cycle's the command
		[[ $t == pp-sim || $t == pp-cycle ]] && continue
		run --separate-stderr "$t" extra </dev/null
		assert_failure 2
		assert_stderr_contains "$t: unexpected argument 'extra'"
		assert_output ""
	done
}

@test "-q silences warnings but not errors" {
	run --separate-stderr pp-fleetstats -q -r /nonexistent/registry.json
	assert_failure 2
	assert_stderr_contains "cannot read registry '/nonexistent/registry.json'"
}

@test "a failed write to stdout is an error, never exit 0" {
	if [ ! -w /dev/full ]; then skip "no /dev/full"; fi
	run --separate-stderr pp-fleetstats --no-record \
		-r "$FIXTURES/small-registry.json" '>' /dev/full
	run --separate-stderr bash -c \
		"pp-fleetstats --no-record -r '$FIXTURES/small-registry.json' >/dev/full"
	assert_failure 1
	assert_stderr_contains "cannot write to stdout"
}

@test "with stdout closed, an edit that writes nothing succeeds" {
	local reg="$BATS_TEST_TMPDIR/registry.json"
	cp "$FIXTURES/small-registry.json" "$reg"
	# the edit is made and says nothing: no write failed
	run --separate-stderr bash -c \
		"pp-registry -r '$reg' place ded-1 gs-closed 100 >&-"
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	jq -e '.nodes[0].containers | any(.id == "gs-closed")' "$reg" >/dev/null ||
		fail "the game server was not placed"
}

@test "with stdout closed, a run that has output to write fails" {
	run --separate-stderr bash -c \
		"pp-registry -r '$FIXTURES/small-registry.json' show ded-1 >&-"
	assert_failure 1
	assert_stderr_contains "cannot write to stdout"
}
