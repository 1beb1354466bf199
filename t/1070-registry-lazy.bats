#!/usr/bin/env bats
# PP_REG_LAZY (issue 17): an edit of a few nodes (pp-provision marking a
# node ready, forgetting one) does not check and index the whole
# registry again when the file is the very one a ppscale writer last
# checked whole; it finds its nodes by id and indexes those. The stamp
# that says so lives in the registry's lock file.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	R=$BATS_TEST_TMPDIR/r.json
	cp "$FIXTURES/small-registry.json" "$R"
}

regtool() { "$BUILD/unit/regtool" "$@"; }

# stamp FILE: the line a writer leaves, forged from FILE's stat
stamp() {
	local v
	v=$(pp-registry --version | awk '{ print $NF }')
	printf 'ppscale-registry-checked %s %s\n' "$v" \
		"$(stat -c '%d %i %s %.9Y %.9Z' "$1")" > "$1.lock"
}

@test "an edit after a ppscale write reads only the node it edits" {
	run regtool lazy "$R" cloud-a draining
	assert_success
	assert_output "whole 6"
	grep -q '^ppscale-registry-checked ' "$R.lock"
	before=$(jq -c 'del(.nodes[1])' "$R")
	run regtool lazy "$R" cloud-s unhealthy
	assert_success
	assert_output "lazy 1"
	output=$(cat "$R")
	jq_is '[.nodes[] | .status] | join(",")' \
		ready,draining,unhealthy,provisioning,draining,unhealthy
	assert_equal "$(jq -c 'del(.nodes[1]) | .nodes[1].status = "ready"' "$R")" \
		"$(jq -c '.nodes[1].status = "ready"' <<< "$before")"
	# and what it wrote is stamped in turn
	run regtool lazy "$R" cloud-s ready
	assert_output "lazy 1"
	run --separate-stderr pp-fleetstats --no-record -r "$R"
	assert_success
}

@test "a registry changed by another writer is checked whole again" {
	regtool lazy "$R" cloud-a draining > /dev/null
	# replaced (a new inode), with a bad node the edit does not touch
	jq '.nodes[5].status = "bogus"' "$R" > "$R.new"
	mv "$R.new" "$R"
	run --separate-stderr regtool lazy "$R" cloud-s unhealthy
	assert_failure 2
	assert_stderr_contains "cloud-u"
	assert_stderr_contains "status"
	# changed in place, the same size
	jq -c '.nodes[5].status = "ready"' "$FIXTURES/small-registry.json" > "$R"
	regtool lazy "$R" cloud-a draining > /dev/null
	sed -i 's/"ready"/"bogus"/' "$R"
	run --separate-stderr regtool lazy "$R" cloud-s unhealthy
	assert_failure 2
	assert_stderr_contains "bogus"
}

@test "a forged stamp on a bad file is no way past its bytes" {
	# a node that does not pass its own check is not found, with a
	# warning; the others are edited
	jq -c '.nodes[5].status = "bogus"' "$R" > "$R.new"
	mv "$R.new" "$R"
	stamp "$R"
	run --separate-stderr regtool lazy "$R" cloud-u ready
	assert_failure 2
	assert_stderr_contains "status"
	stamp "$R"
	run --separate-stderr regtool lazy "$R" cloud-s unhealthy
	assert_success
	assert_output "lazy 1"
	# text that is no JSON: the whole reading judges it
	for bad in '{"nodes":[{"id":"cloud-s"' '{"nodes":[{"id":"cloud-s",' \
	    '{"nodes":[{"id":"cloud-s","x":"' '{"nodes":[{"id":"cloud-s"}' \
	    '{"nodes":[{"id":"cloud-s","a":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}]}' \
	    '{"nodes":[{"id":"cloud-s","status":"ready"}]}'; do
		printf '%s' "$bad" > "$R"
		stamp "$R"
		run --separate-stderr regtool lazy "$R" cloud-s ready
		assert_failure 2
	done
}

@test "a stamped file cut or garbled anywhere: the lazy reading stays within its bytes" {
	# long nodes (containers with escapes too: the 64-byte step and
	# the byte-by-byte one both run), cut at many places and with
	# bytes garbled; each is stamped as if a writer had checked it
	jq -c '.nodes[1].containers += [range(40) | {id: "g\"\(.)",
		ram_mb: 1024, state: "running", players: 1}]' \
		"$FIXTURES/small-registry.json" > "$R.full"
	size=$(wc -c < "$R.full")
	# every 29th byte; under make valgrind every 97th (each run is a
	# second there: the plain and ASan suites cut at all of them)
	step=29
	[[ -z ${PP_VALGRIND_SKIP:-} ]] || step=97
	for cut in $(seq 1 "$step" "$size") 63 64 65 $((size - 3)) $((size - 2)) \
	    $((size - 1)); do
		head -c "$cut" "$R.full" > "$R"
		stamp "$R"
		run --separate-stderr regtool lazy "$R" cloud-s unhealthy
		# refused (2) or, where the cut left the node whole, edited
		[ "$status" -eq 2 ] || [ "$status" -eq 0 ] ||
			fail "cut at $cut: exit $status $stderr"
	done
	for at in 30 90 150 $((size / 2)) $((size - 10)); do
		for byte in '"' '\\' '{' ']' 'x'; do
			{ head -c "$at" "$R.full"; printf '%s' "$byte"
			  tail -c +"$((at + 2))" "$R.full"; } > "$R"
			stamp "$R"
			run --separate-stderr regtool lazy "$R" cloud-s unhealthy
			[ "$status" -eq 2 ] || [ "$status" -eq 0 ] ||
				fail "$byte at $at: exit $status $stderr"
		done
	done
}

@test "a stamped file of whole pages (no byte after it to end the text) is read, not mapped" {
	page=$(getconf PAGESIZE)
	# padded with spaces after the object to exactly one page
	jq -c . "$FIXTURES/small-registry.json" > "$R"
	size=$(wc -c < "$R")
	[ "$size" -lt "$page" ]
	head -c "$((page - size))" /dev/zero | tr '\0' ' ' >> "$R"
	[ "$(wc -c < "$R")" -eq "$page" ]
	stamp "$R"
	run regtool lazy "$R" cloud-s unhealthy
	assert_success
	assert_output "lazy 1"
	jq -e '.nodes[] | select(.id == "cloud-s") | .status == "unhealthy"' "$R"
}

@test "a save that writes a file of whole pages keeps its text in memory, and the next edit reads it" {
	page=$(getconf PAGESIZE)
	jq -c . "$FIXTURES/small-registry.json" > "$R"
	# the size the edit writes, then spaces after the object so that
	# it writes exactly one page
	cp "$R" "$R.try"
	regtool touch "$R.try" cloud-s unhealthy
	size=$(wc -c < "$R.try")
	[ "$size" -lt "$page" ]
	head -c "$((page - size))" /dev/zero | tr '\0' ' ' >> "$R"
	stamp "$R"
	run regtool lazy "$R" cloud-s unhealthy
	assert_success
	[ "$(wc -c < "$R")" -eq "$page" ]
	run regtool lazy "$R" cloud-a draining
	assert_success
	assert_output "lazy 1"
	jq -e '[.nodes[] | select(.id == "cloud-s" or .id == "cloud-a") |
		.status] == ["draining", "unhealthy"]' "$R"
	run --separate-stderr pp-fleetstats --no-record -r "$R"
	assert_success
}

