#!/usr/bin/env bats
# Usage errors are short; help that cannot be written is a failure.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	TOOLS=$(cd "$TOP/cmd" && ls pp-*.c | sed 's/\.c$//')
}

@test "a flag typo prints the error, the synopsis and 'try --help', not the whole help" {
	local t syn
	for t in $TOOLS; do
		# the synopsis is the first paragraph of --help; pp-sim's names
		# its twenty options in six lines
		syn=$("$t" --help | sed '/^$/q' | grep -c .)
		[[ $syn -le 6 ]] || fail "$t: a synopsis of $syn lines"
		run --separate-stderr "$t" --no-such-option </dev/null
		assert_failure 2
		assert_output ""
		assert_stderr_contains "$t: unrecognized option '--no-such-option'"
		assert_stderr_contains "usage: $t"
		assert_stderr_contains "try '$t --help' for more information"
		# the option list of --help is not repeated
		refute_stderr_contains "--version"
		[[ $(wc -l <<< "$stderr") -le $((syn + 2)) ]] ||
			fail "$t: $(wc -l <<< "$stderr") lines for a typo: $stderr"
	done
}

@test "a long option a typo away from a real one is named, in every tool" {
	local t
	for t in $TOOLS; do
		run --separate-stderr "$t" --confg x.yaml </dev/null
		assert_failure 2
		assert_stderr_contains "$t: unrecognized option '--confg'"
		assert_stderr_contains "$t: did you mean '--config'?"
		assert_stderr_contains "usage: $t"
	done
	run --separate-stderr pp-sim --cycel=2m trace.csv
	assert_failure 2
	assert_stderr_contains "pp-sim: did you mean '--cycle'?"
	run --separate-stderr pp-decide --dryrun </dev/null
	assert_failure 2
	assert_stderr_contains "pp-decide: did you mean '--dry-run'?"
	# a known option without its value is not a typo, and a far one
	# gets no guess
	run --separate-stderr pp-sim --cycle
	assert_failure 2
	assert_stderr_contains "option '--cycle' requires an argument"
	refute_stderr_contains "did you mean"
	run --separate-stderr pp-status --bogus
	assert_failure 2
	refute_stderr_contains "did you mean"
	# a bad short option after a long-looking value: the error is -Z,
	# not the value --confx
	run --separate-stderr pp-sim -c --confx -Zq trace.csv
	assert_failure 2
	assert_stderr_contains "invalid option -- 'Z'"
	refute_stderr_contains "did you mean"
}

@test "--help and --version to a full disk exit 1 and say why" {
	[[ -w /dev/full ]] || fail "no /dev/full"
	local t o
	for t in $TOOLS; do
		for o in --help --version; do
			run --separate-stderr bash -c "'$t' $o >/dev/full"
			assert_failure 1
			assert_stderr_contains "$t: cannot write to stdout: No space left on device"
			run bash -c "'$t' $o >/dev/null"
			assert_success
		done
	done
}

@test "an empty --config, --registry or --state-dir is bad usage, not the default" {
	local t o
	for t in $TOOLS; do
		for o in -c --config= --state-dir= -r; do
			# the options a tool has (--help lists them)
			case $o in
			-r) "$t" --help | grep -q -- '--registry' || continue ;;
			--state-dir=) "$t" --help | grep -q -- '--state-dir' ||
				continue ;;
			esac
			if [[ $o == *= ]]; then
				run --separate-stderr "$t" "$o" </dev/null
			else
				run --separate-stderr "$t" "$o" '' </dev/null
			fi
			assert_failure 2
			assert_stderr_contains "$t: empty --"
		done
	done
	run --separate-stderr pp-config -c '' check
	assert_failure 2
	assert_stderr_contains "pp-config: empty --config: give a value, or leave the option out for the default"
	refute_output --partial valid
}
