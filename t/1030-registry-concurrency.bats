#!/usr/bin/env bats
# A reader never sees a torn registry while a writer rewrites it.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

@test "readers never see a torn registry while a writer rewrites it in a loop" {
	local reg="$BATS_TEST_TMPDIR/registry.json"
	# a registry big enough that a rewrite takes many write(2) calls
	jq '.nodes as $n | .nodes = [range(100) as $i | $n[] | .id = "\(.id)-\($i)"
		| .containers = [(.containers // [])[] | .id = "\(.id)-\($i)"]]' \
		"$FIXTURES/small-registry.json" > "$reg"
	"$BUILD/unit/regtool" flip "$reg" 1000000 &
	local writer=$! fails=0 i
	for i in $(seq 25); do
		if ! pp-fleetstats --no-record -r "$reg" > "$BATS_TEST_TMPDIR/out" \
			2> "$BATS_TEST_TMPDIR/err"; then
			fails=$((fails + 1))
			cat "$BATS_TEST_TMPDIR/err" >&3
		fi
		kill -0 "$writer" || fail "the writer stopped early"
	done
	kill "$writer"
	wait "$writer" || true
	[ "$fails" -eq 0 ]
	run jq '.nodes | length' "$reg"
	assert_output 600
}
