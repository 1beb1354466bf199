#!/usr/bin/env bats
# The big resource bounds, too slow for make check (about a minute):
# run by `make check-slow` (and in CI). README "Reliability".

bats_require_minimum_version 1.5.0

setup_file() {
	export BIG="$BATS_FILE_TMPDIR"
	python3 "$BATS_TEST_DIRNAME/../bench/genregistry.py" 100000 300000 \
		> "$BIG/registry.json"
}

setup() {
	load '../test_helper/common'
	pp_isolate
	NOW=2026-11-27T18:00:00Z
	[[ $BUILD != */san ]] || skip "ASan reserves more address space than any ulimit -v"
}

@test "a 100,000-node registry goes through fleetstats and decide within 1.5 GB each" {
	# measured: pp-fleetstats 120 MB peak RSS (830 MB when it built a
	# json-c tree), pp-decide 101 MB (467 MB with -p)
	# (its cloud nodes are Hetzner's: pp-decide weighs them as its own)
	printf 'cloud:\n  provider: hetzner\n' >> "$PP_CONFIG"
	run --separate-stderr bash -c "
		( ulimit -v 1500000 && exec pp-fleetstats --dry-run --now $NOW \
			--registry '$BIG/registry.json' ) > '$BIG/doc.json' &&
		( ulimit -v 1500000 && exec pp-decide --dry-run --now $NOW ) \
			< '$BIG/doc.json' > '$BIG/decided.json'"
	assert_success
	run jq -c '[(.nodes | length), .fleet.containers, .decision.action]' \
		"$BIG/decided.json"
	assert_output '[100000,300000,"scale_down"]'
}

@test "a 1 GB trace streamed on stdin is simulated within 256 MB" {
	# 1440 rows a minute apart, padded with comment lines to 1 GiB:
	# read line by line (spooled to a temporary file for the second
	# pass), so memory does not grow with the file. measured: 9 MB
	run --separate-stderr bash -c "python3 '$BATS_TEST_DIRNAME/gentrace.py' |
		( ulimit -v 256000 && exec pp-sim --no-progress --no-static - )"
	assert_success
	jq_is '[.trace.rows, .trace.days]' '[1440,1]'
	run bash -c "python3 '$BATS_TEST_DIRNAME/gentrace.py' | wc -c"
	assert_output 1071933131
}
