#!/usr/bin/env bats
# Usage errors are short; help that cannot be written is a failure.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	TOOLS=$(cd "$TOP/cmd" && ls pp-*.c | sed 's/\.c$//')
}

@test "a flag typo prints the error, the synopsis and 'try --help', not the whole help" {
	local t
	for t in $TOOLS; do
		run --separate-stderr "$t" --no-such-option </dev/null
		assert_failure 2
		assert_output ""
		assert_stderr_contains "$t: unrecognized option '--no-such-option'"
		assert_stderr_contains "usage: $t"
		assert_stderr_contains "try '$t --help' for more information"
		# the option list of --help is not repeated
		refute_stderr_contains "--version"
		[[ $(wc -l <<< "$stderr") -le 5 ]] ||
			fail "$t: $(wc -l <<< "$stderr") lines for a typo: $stderr"
	done
}

@test "--help to a full disk exits non-zero" {
	[[ -w /dev/full ]] || fail "no /dev/full"
	local t
	for t in $TOOLS; do
		run bash -c "'$t' --help >/dev/full"
		assert_failure 1
		run bash -c "'$t' --help >/dev/null"
		assert_success
	done
}
