#!/usr/bin/env bats
# Resource bounds (README "Reliability"): inputs too big are refused,
# big ones are handled within a stated address space (ulimit -v in the
# test's own subshell), and neither is left to the kernel's OOM killer.
# The 100,000-node registry and the 1 GB trace are in t/slow (make
# check-slow). ASan reserves terabytes of address space, and valgrind
# is slow: under SANITIZE=1 the ulimit tests skip, under make valgrind
# the file does (t/valgrind/skip).

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	NOW=2026-11-27T18:00:00Z
}

plain_build_only() {
	[[ $BUILD != */san ]] || skip "ASan reserves more address space than any ulimit -v"
}

# limited KB CMD...: runs CMD with ulimit -v KB (address space)
limited() {
	local kb=$1
	shift
	( ulimit -v "$kb" && exec "$@" )
}

json_doc() {
	# the document with one extra section, x, holding $1 (python)
	python3 -c "import sys
$1
sys.stdout.write('{\"version\":1,\"generated_at\":\"2026-11-27T18:00:00Z\",\"nodes\":[],\"x\":' + x + '}')"
}

@test "a 100 MB document is refused at 64 MB by every tool, within 200 MB" {
	plain_build_only
	for tool in pp-decide pp-drain pp-provision; do
		run --separate-stderr bash -c "{ printf '{\"version\":1,\"pad\":\"';
			head -c 100000000 /dev/zero | tr '\\0' a; printf '\"}'; } |
			( ulimit -v 200000 && exec $tool --dry-run --now $NOW )"
		assert_failure 2
		assert_stderr_contains "$tool: document on stdin is larger than 64 MB"
		[[ -z $output ]]
	done
}

@test "JSON nested 20 levels deep is handled and passes through unchanged" {
	json_doc "x = '[' * 20 + '1' + ']' * 20" > "$BATS_TEST_TMPDIR/d"
	run --separate-stderr pp-decide --dry-run --now $NOW < "$BATS_TEST_TMPDIR/d"
	assert_success
	jq_is '.x | flatten | length' 1
	jq_is '[.x | paths] | map(length) | max' 20
}

@test "JSON nested deeper than 32 levels is refused as too deep" {
	json_doc "x = '[' * 33 + '1' + ']' * 33" > "$BATS_TEST_TMPDIR/d"
	run --separate-stderr pp-decide --dry-run --now $NOW < "$BATS_TEST_TMPDIR/d"
	assert_failure 2
	assert_stderr_contains "bad document on stdin: invalid JSON at line 1: nesting too deep"
}

@test "a 20-level binary JSON bomb (a million leaves, 5 MB) is handled within 600 MB" {
	plain_build_only
	json_doc "
def t(d): return '[]' if d == 0 else '[' + t(d - 1) + ',' + t(d - 1) + ']'
x = t(20)" > "$BATS_TEST_TMPDIR/d"
	run --separate-stderr limited 600000 pp-decide --dry-run --now $NOW \
		< "$BATS_TEST_TMPDIR/d"
	assert_success
	jq_is '.x | [paths] | length' 2097150
}

@test "a wide JSON bomb (4 million empty objects, 16 GB as a tree) is refused within 2 GB" {
	plain_build_only
	# measured: json-c spends ~800 bytes on an empty object
	json_doc "x = '[' + '{},' * 3999999 + '{}]'" > "$BATS_TEST_TMPDIR/d"
	run --separate-stderr limited 2000000 pp-decide --dry-run --now $NOW \
		< "$BATS_TEST_TMPDIR/d"
	assert_failure 2
	assert_stderr_contains "JSON too big to hold: its tree would take more than 1536 MB"
}

# The scanner reads a registry without a tree; what it leaves to json-c
# (here an escaped key) is a tree again, under the tree bound.
@test "a registry left to json-c that would be a 3 GB tree is refused, not parsed" {
	plain_build_only
	python3 -c "import sys
sys.stdout.write('{\"version\":1,\"nodes\":[],\"\\\\u0078\":[' + '{},' * 2999999 + '{}]}')" \
		> "$BATS_TEST_TMPDIR/r.json"
	grep -q '"\\u0078"' "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr limited 2000000 pp-fleetstats --dry-run --now $NOW \
		--registry "$BATS_TEST_TMPDIR/r.json"
	assert_failure 2
	assert_stderr_contains "JSON too big to hold"
}

@test "the scanner reads a registry of 3 million unknown objects without a tree, within 100 MB" {
	plain_build_only
	python3 -c "import sys
sys.stdout.write('{\"version\":1,\"nodes\":[],\"x\":[' + '{},' * 2999999 + '{}]}')" \
		> "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr limited 100000 pp-fleetstats --dry-run --now $NOW \
		--registry "$BATS_TEST_TMPDIR/r.json"
	assert_success
	jq_is '.fleet.nodes.cloud.total' 0
}

@test "a 1 GB sparse trace (no newline after the header) is refused at the first long line, within 100 MB" {
	plain_build_only
	printf 'time,value\n2026-11-27T00:00:00Z,1\n' > "$BATS_TEST_TMPDIR/t.csv"
	truncate -s 1G "$BATS_TEST_TMPDIR/t.csv"
	run --separate-stderr limited 100000 pp-sim --no-progress \
		"$BATS_TEST_TMPDIR/t.csv"
	assert_failure 2
	assert_stderr_contains "line 3: longer than 4096 bytes"
}
