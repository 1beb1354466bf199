#!/usr/bin/env bats
# t/run.sh --only (make check-novalgrind): CI runs the plain build's
# tests as make valgrind plus the tests it leaves out, so a list entry
# that selects the wrong tests, or none, would drop tests from CI
# without a failure. Run on a copy of t/run.sh beside three made-up test
# files.

bats_require_minimum_version 1.5.0

# runonly ARGS...: a t/run.sh in a clean environment: the outer bats's
# variables, and its libexec directory first on PATH, would steer the
# inner one
runonly() {
	local path
	path=$(tr : '\n' <<<"$PATH" | grep -v bats-core | paste -sd:)
	run env -i PATH="$path" HOME="$HOME" TMPDIR="$BATS_TEST_TMPDIR" \
		sh "$@"
}

# mk FILE DESCRIPTION...: a bats file of passing tests
mk() {
	local f=$1
	shift
	printf '@test "%s" { true; }\n' "$@" > "$f"
}

setup() {
	load 'test_helper/common'
	pp_isolate
	d=$BATS_TEST_TMPDIR/t
	mkdir -p "$d"
	cp "$TOP/t/run.sh" "$TOP/t/shards.sh" "$d/"
	# (printf: a line of this file that starts with @test is a test)
	mk "$d/1-a.bats" 'plain one' 'one (with a.dot) [and] brackets?' \
		'one (with aXdot) [and] brackets?' 'plain two'
	mk "$d/2-b.bats" 'b first' 'b second'
	mk "$d/3-c.bats" 'c only'
}

@test "--only runs the files and the tests its lists name, each description as it is written" {
	printf '%s\n' 'one (with a.dot) [and] brackets?' 'plain two' > "$d/l1"
	printf '%s\n' '2-b.bats' > "$d/l2"
	runonly "$d/run.sh" --only "$d/l1" --only "$d/l2" "$d"
	assert_success
	assert_line --regexp '^ok [0-9]+ one \(with a\.dot\) \[and\] brackets\?$'
	assert_line --regexp '^ok [0-9]+ plain two$'
	assert_line --regexp '^ok [0-9]+ b first$'
	assert_line --regexp '^ok [0-9]+ b second$'
	refute_line --partial 'plain one'
	refute_line --partial 'aXdot'
	refute_line --partial 'c only'
	assert_line "tests: 4 passed, 0 failed, 0 skipped"
}

@test "--only finds a test written as bats reads it: indented, blanks around, single quotes" {
	printf '%s\n' "  @test  'odd one'  { true; }" \
		"@test \"odd two\"	{ true; }" > "$d/4-d.bats"
	mk "$d/5-e.bats" 'odd one'
	printf '%s\n' 'odd one' 'odd two' > "$d/l1"
	runonly "$d/run.sh" --only "$d/l1" "$d/4-d.bats" "$d/5-e.bats"
	assert_success
	assert_line "tests: 3 passed, 0 failed, 0 skipped"
}

@test "--only fails on a list it cannot read" {
	printf '%s\n' 'plain one' > "$d/l1"
	runonly "$d/run.sh" --only "$d/l1" --only "$d/nosuch" "$d"
	assert_failure
	assert_output --partial "cannot read $d/nosuch"
}

@test "--only fails on a description or a file no test of the directory has" {
	printf '%s\n' 'plain three' > "$d/l1"
	runonly "$d/run.sh" --only "$d/l1" "$d"
	assert_failure
	assert_output --partial 'no test of t/ is "plain three"'
	printf '%s\n' '9-z.bats' > "$d/l1"
	runonly "$d/run.sh" --only "$d/l1" "$d"
	assert_failure
	assert_output --partial 'no file t/9-z.bats'
}

@test "--only fails when a test it selected did not run" {
	# a description with an escape in its source line: bats reports the
	# test under another name than the list's, and a selected test
	# missing from the report must not pass as run
	mk "$d/3-c.bats" 'c only \$HOME'
	printf '%s\n' 'c only \$HOME' > "$d/l1"
	runonly "$d/run.sh" --only "$d/l1" "$d/1-a.bats" "$d/3-c.bats"
	assert_failure
	assert_output --partial '"c only \$HOME" did not run'
}

@test "the lists make valgrind uses name tests and files that exist" {
	runonly "$TOP/t/run.sh" --only "$TOP/t/valgrind/skip" \
		--only "$TOP/t/valgrind/slow" "$TOP/t/0005-run-only.bats"
	refute_output --partial 'no test of t/'
	refute_output --partial 'no file t/'
	assert_output --partial '--only names nothing in these files'
}
