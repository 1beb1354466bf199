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

# pp-provision's last look before a delete: another node naming the
# server (a row copied under another id). Under a lazy open every node's
# text is looked at, and only a node whose text may hold the server id
# (its bytes, or an escape, which spells a string another way) is
# indexed; one that does not read leaves the answer unknown, never none.
@test "a lazy look for a second node naming a server indexes only the nodes whose text may hold its id" {
	jq -c '(.nodes[] | select(.id == "cloud-s") | .cloud.server_id) =
	    "4711042" | .nodes += [.nodes[] | select(.id == "cloud-s") |
	    .id = "copy-s" | .containers = []]' \
		"$FIXTURES/small-registry.json" > "$R.full"
	named() {
		# checked whole and stamped by a write of another node
		regtool lazy "$R" cloud-a ready > /dev/null
		run --separate-stderr regtool named "$R" cloud-s
		assert_success
	}
	cp "$R.full" "$R"
	named
	assert_output "lazy 2 copy-s"
	# the copy's id with an escape (its bytes are not in the text):
	# found by the escape
	sed 's/"4711042"/"4\\u003711042"/2' "$R.full" > "$R"
	named
	[[ $(grep -c '"4\\u003711042"' "$R") == 1 ]]
	assert_output "lazy 2 copy-s"
	# its provider unset is the configured one (local); another
	# provider's server of that id is another server
	jq -c '.nodes[-1].cloud |= del(.provider)' "$R.full" > "$R"
	named
	assert_output "lazy 2 copy-s"
	jq -c '.nodes[-1].cloud.provider = "hetzner"' "$R.full" > "$R"
	named
	assert_output "lazy 2 -"
	# no copy: none, and no other node read
	jq -c 'del(.nodes[-1])' "$R.full" > "$R"
	named
	assert_output "lazy 1 -"
	# a copy that does not read under a forged stamp: unknown
	jq -c '.nodes[-1].total_ram_mb = 8192123' "$R.full" |
		sed 's/8192123/8192x/' > "$R"
	stamp "$R"
	run --separate-stderr regtool named "$R" cloud-s
	assert_success
	assert_output "lazy 1 unreadable"
	assert_stderr_contains "node 'copy-s' is not valid JSON"
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
	# second there: make check and the ASan suite cut at all of them;
	# CI runs the plain build's tests under valgrind, so there the
	# ASan suite alone does)
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


# resum LOCK: the spans' sum made right again after an edit of them,
# so that what is tested is the check behind it
resum() {
	python3 - "$1" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, 'rb').read().split(b'\n', 2)
h = 0xcbf29ce484222325
for c in lines[2]:
    h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
head = lines[1].rsplit(b' ', 1)[0] + b' %016x' % h
open(p, 'r+b').write(b'\n'.join([lines[0], head, lines[2]]))
PY
}

# spans FILE: "ID OK" a span of FILE.lock, OK when the bytes it names
# are that node's own text
spans_check() {
	sed -n '3,$p' "$1.lock" | while read -r off len id; do
		got=$(tail -c +"$((off + 1))" "$1" | head -c "$len" | jq -r .id)
		[ "$got" = "$id" ] && echo "$id ok" || echo "$id BAD ($got)"
	done
}

@test "the stamp carries the nodes' spans: a lazy edit takes its nodes from them" {
	# pp-fleetstats, which checks the whole file, leaves them
	: > "$R.lock"
	run --separate-stderr pp-fleetstats --no-record -r "$R"
	assert_success
	# "spans COUNT OFFSET": OFFSET is the list's '['
	m=$(grep -bo '"nodes": *\[' "$R" | head -1)
	match=${m#*:}
	run sed -n 2p "$R.lock"
	assert_output --regexp "^spans 6 $((${m%%:*} + ${#match} - 1)) [0-9a-f]{16}$"
	run spans_check "$R"
	assert_output "$(jq -r '.nodes[] | "\(.id) ok"' "$R")"
	# and so does a save, for the file it wrote
	run regtool lazy "$R" cloud-a draining
	assert_success
	assert_output "lazy 1"
	run spans_check "$R"
	assert_output "$(jq -r '.nodes[] | "\(.id) ok"' "$R")"
	# spans that put one node's id on another's text are used, and
	# found out when that node is read: nothing is written
	# (without their sum put right, they are not used at all)
	sed -i -e '3s/ded-1$/cloud-a/' -e '4s/cloud-a$/ded-1/' "$R.lock"
	run --separate-stderr regtool lazy "$R" cloud-a ready
	assert_success
	sed -i -e '3s/ded-1$/cloud-a/' -e '4s/cloud-a$/ded-1/' "$R.lock"
	resum "$R.lock"
	sum=$(cksum < "$R")
	run --separate-stderr regtool lazy "$R" cloud-a ready
	assert_failure 2
	assert_stderr_contains "is not where the lock file's spans put node 'cloud-a'"
	[ "$(cksum < "$R")" = "$sum" ]
}

@test "spans that do not tile the list of nodes are not used: the text is walked" {
	ids=$(jq -c '[.nodes[] | .id]' "$R")
	regtool lazy "$R" cloud-a draining > /dev/null
	for edit in '3s/^\([0-9]*\) /\1 x/' '3s/^\([0-9]*\) \([0-9]*\)/\1 1\2/' \
	    '2s/spans 6/spans 5/' '2s/spans 6/spans 7/' '$d' '4s/^[0-9]*/1/'; do
		regtool lazy "$R" cloud-a draining > /dev/null
		sed -i "$edit" "$R.lock"
		resum "$R.lock"
		run --separate-stderr regtool lazy "$R" cloud-s unhealthy
		assert_success
		assert_output "lazy 1"
		jq -e '.nodes[] | select(.id == "cloud-s") | .status == "unhealthy"' "$R"
		assert_equal "$(jq -c '[.nodes[] | .id]' "$R")" "$ids"
		regtool lazy "$R" cloud-s ready > /dev/null
	done
	# each span a node's braces, counted right, but one node left out:
	# walked, that node is found
	regtool lazy "$R" cloud-s unhealthy > /dev/null
	sed -i -e '2s/spans 6/spans 5/' -e '/ cloud-a$/d' "$R.lock"
	resum "$R.lock"
	run --separate-stderr regtool lazy "$R" cloud-a ready
	assert_success
	assert_output "lazy 1"
	assert_equal "$(jq -c '[.nodes[] | .id]' "$R")" "$ids"
}

@test "spans cut or garbled anywhere: the edit reads its nodes from the text or refuses" {
	ids=$(jq -c '[.nodes[] | .id]' "$R")
	regtool lazy "$R" cloud-a draining > /dev/null
	cp "$R.lock" "$R.lock.good"
	size=$(wc -c < "$R.lock.good")
	# every 7th byte; under make valgrind every 149th (as above)
	step=7
	[[ -z ${PP_VALGRIND_SKIP:-} ]] || step=149
	for at in $(seq 90 "$step" "$size"); do
		for mode in cut 0 9 ' ' x '\n'; do
			if [ "$mode" = cut ]; then
				head -c "$at" "$R.lock.good" > "$R.lock"
			else
				{ head -c "$at" "$R.lock.good"; printf "$mode"
				  tail -c +"$((at + 2))" "$R.lock.good"; } > "$R.lock"
			fi
			run --separate-stderr regtool lazy "$R" cloud-s unhealthy
			[ "$status" -eq 0 ] || [ "$status" -eq 2 ] ||
				fail "$mode at $at: exit $status $stderr"
			assert_equal "$(jq -c '[.nodes[] | .id]' "$R")" "$ids"
			# the same file again, the good spans back
			regtool lazy "$R" cloud-s ready > /dev/null
			cp "$R.lock" "$R.lock.good"
		done
	done
}

@test "a stamp that is right is not written again: dry runs leave the lock file as it was" {
	# the first look stamps the file (a registry in service has its lock
	# file); it is set back a day to see a write
	: > "$R.lock"
	pp-fleetstats --no-record -r "$R" > /dev/null
	grep -q '^ppscale-registry-checked ' "$R.lock"
	touch -d 2026-11-26T10:00:00Z "$R.lock"
	before=$(stat -c '%s %Y' "$R.lock")$(sha256sum < "$R.lock")
	for args in --dry-run --no-record --dry-run; do
		run --separate-stderr pp-fleetstats $args -r "$R"
		assert_success
		[ "$(stat -c '%s %Y' "$R.lock")$(sha256sum < "$R.lock")" = "$before" ]
	done
	# a registry changed by another writer is stamped anew
	jq -c '.nodes[0].labels = {"x": "y"}' "$R" > "$R.new" && mv "$R.new" "$R"
	pp-fleetstats --dry-run -r "$R" > /dev/null
	[ "$(stat -c '%Y' "$R.lock")" != "$(date -d 2026-11-26T10:00:00Z +%s)" ]
}
