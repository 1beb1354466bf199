#!/usr/bin/env bats
# pp-fleetstats: every figure of fleet and nodes on a fixture small
# enough to check by hand (t/fixtures/small-registry.json):
#   ready usable RAM: ded-1 61440 + cloud-a 15872 + cloud-s 7680 = 84992
#   allocated: ded-1 4096+8192+1024 (c is stopped) + cloud-a 8192
#              + ded-2 4096 (draining still holds RAM) = 25600
#   pending: cloud-p 7680; capacity 25600/84992 = 30.12 %
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	REG="$FIXTURES/small-registry.json"
}

teardown() {
	if declare -F stop_webhook > /dev/null; then
		stop_webhook
	fi
}

@test "fleet totals follow DESIGN section 3" {
	run --separate-stderr pp-fleetstats --no-record -r "$REG" \
		--now 2026-11-27T10:00:00Z
	assert_success
	jq_is .version 1
	jq_is .generated_at 2026-11-27T10:00:00Z
	jq_is .fleet.total_ram_mb 84992
	jq_is .fleet.allocated_ram_mb 25600
	jq_is .fleet.free_ram_mb 59392
	jq_is .fleet.pending_ram_mb 7680
	jq_is .fleet.capacity_percent 30.12
	jq_is .fleet.spares 1
	jq_is .fleet.containers 7
	jq_is .fleet.players 9
	jq_is .fleet.hourly_cost_eur 0.0416
}

@test "node counts by kind and status" {
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_success
	jq_is '.fleet.nodes.dedicated' '{"provisioning":0,"ready":1,"draining":1,"unhealthy":0,"total":2}'
	jq_is '.fleet.nodes.cloud' '{"provisioning":1,"ready":2,"draining":0,"unhealthy":1,"total":4}'
}

@test "per-node summaries carry RAM, containers, players and billing" {
	run --separate-stderr pp-fleetstats --no-record -r "$REG" \
		--now 2026-11-27T10:00:00Z
	assert_success
	jq_is '.nodes | length' 6
	jq_is '.nodes[0] | [.id,.kind,.status,.role,.total_ram_mb,.reserved_ram_mb,.usable_ram_mb,.allocated_ram_mb,.free_ram_mb,.containers,.containers_stopped,.largest_container_mb,.players] | join(",")' \
		'ded-1,dedicated,ready,worker,65536,4096,61440,13312,48128,4,1,8192,4'
	jq_is '.nodes[0].server_id' null
	jq_is '.nodes[0] | has("container_ram_mb")' false
	# cloud-a was created at 06:10, so at 10:00 it is 50 minutes into
	# its fourth paid hour
	jq_is '.nodes[1] | [.server_type,.server_id,.hourly_cost_eur,.created_at,.billing_minute] | join(",")' \
		'cx43,101,0.0152,2026-11-27T06:10:00Z,50'
	jq_is '.nodes[1].container_ram_mb' '[8192]'
	jq_is '.nodes[5].container_ram_mb' '[0]'
	jq_is '.nodes[5].allocated_ram_mb' 0
	jq_is '.nodes[2].role' spare
}

@test "an idle spare that holds RAM is not counted as a spare" {
	jq '(.nodes[] | select(.id=="cloud-s") | .containers) = [{"id":"z","ram_mb":1024,"state":"starting"}]' \
		"$REG" > "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record -r "$BATS_TEST_TMPDIR/r.json"
	assert_success
	jq_is .fleet.spares 0
	jq_is .fleet.allocated_ram_mb 26624
}

@test "capacity is 0 for an empty fleet and 100 with demand but no ready node" {
	echo '{"version":1,"nodes":[]}' > "$BATS_TEST_TMPDIR/empty.json"
	run --separate-stderr pp-fleetstats --no-record -r "$BATS_TEST_TMPDIR/empty.json"
	assert_success
	jq_is .fleet.capacity_percent 0
	jq_is .fleet.total_ram_mb 0
	jq '.nodes |= map(select(.status != "ready"))' "$REG" > "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record -r "$BATS_TEST_TMPDIR/r.json"
	jq_is .fleet.capacity_percent 100
}

@test "the registry path comes from the flag, then the config, then the state dir" {
	cp "$REG" "$PP_STATE_DIR/registry.json"
	run --separate-stderr pp-fleetstats --no-record
	assert_success
	jq_is '.nodes | length' 6
	jq '.nodes |= .[:2]' "$REG" > "$BATS_TEST_TMPDIR/two.json"
	printf 'registry: %s\n' "$BATS_TEST_TMPDIR/two.json" > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats --no-record
	jq_is '.nodes | length' 2
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	jq_is '.nodes | length' 6
	: > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats --no-record --state-dir "$BATS_TEST_TMPDIR/none"
	assert_failure 2
	assert_stderr_contains "cannot read registry '$BATS_TEST_TMPDIR/none/registry.json'"
}

@test "a file:// URL registry is read" {
	run --separate-stderr pp-fleetstats --no-record -r "file://$REG"
	assert_success
	jq_is .fleet.total_ram_mb 84992
}

@test "an http:// registry is fetched read-only, with errors named" {
	mkdir -p "$BATS_TEST_TMPDIR/www"
	cp "$REG" "$BATS_TEST_TMPDIR/www/registry.json"
	http_serve "$BATS_TEST_TMPDIR/www"
	local pid=$HTTP_PID port=$HTTP_PORT
	run --separate-stderr pp-fleetstats --no-record -r "http://127.0.0.1:$port/registry.json"
	assert_success
	jq_is .fleet.allocated_ram_mb 25600
	run --separate-stderr pp-fleetstats --no-record -r "http://127.0.0.1:$port/missing.json"
	assert_failure 2
	assert_stderr_contains "HTTP status 404"
	kill "$pid"
}

@test "an http:// registry that redirects is refused, naming where to, not read as the registry" {
	local w=$BATS_TEST_TMPDIR/www
	mkdir -p "$w"
	# a login page that happens to be JSON
	echo '{"version": 1, "nodes": []}' > "$w/registry.json"
	echo 301 > "$w/registry.json.status"
	echo 'https://conductor.example/api/registry?token=s3cretPW' \
		> "$w/registry.json.location"
	canned_serve "$w"
	local pid=$HTTP_PID port=$HTTP_PORT
	run --separate-stderr pp-fleetstats --no-record -r "http://127.0.0.1:$port/registry.json"
	assert_failure 2
	assert_stderr_contains "HTTP status 301, a redirect to 'https://conductor.example/...'"
	[[ $stderr != *s3cretPW* ]]
	kill "$pid"
}

@test "an http:// registry that does not answer, or answers 5xx, is exit 1; a bad URL or answer is 2" {
	load 'test_helper/webhook'
	local url
	# nothing listens on port 1: the connection is refused
	for tool in "pp-fleetstats --no-record" "pp-registry show" \
		"pp-drain --dry-run --node n1"; do
		run --separate-stderr $tool -r "http://127.0.0.1:1/registry.json"
		assert_failure 1
		assert_stderr_contains "cannot fetch 'http://127.0.0.1:1/...': "
	done
	run --separate-stderr pp-fleetstats --dry-run \
		--import-history "http://127.0.0.1:1/range.json"
	assert_failure 1
	start_webhook 500
	url=$WEBHOOK_URL
	run --separate-stderr pp-fleetstats --no-record -r "$url"
	assert_failure 1
	assert_stderr_contains "HTTP status 500"
	run --separate-stderr pp-fleetstats --dry-run --import-history "$url"
	assert_failure 1
	stop_webhook
	# an answer that is not a registry is bad input, as the same bytes
	# in a file are
	start_webhook ok
	run --separate-stderr pp-fleetstats --no-record -r "$WEBHOOK_URL"
	assert_failure 2
	stop_webhook
	run --separate-stderr pp-fleetstats --no-record -r "http://127.0.0.1:99999/r.json"
	assert_failure 2
	run --separate-stderr pp-fleetstats --no-record -r "file:///nonexistent/r.json"
	assert_failure 2
}

# A certificate the system does not trust (a self-signed one, a wrong
# name, a private CA not installed) fails the same way every run: the
# setup must change, so it is bad input, not a failure to retry.
@test "an https:// registry whose certificate does not verify is exit 2, naming it" {
	mkdir -p "$BATS_TEST_TMPDIR/www"
	cp "$REG" "$BATS_TEST_TMPDIR/www/registry.json"
	https_serve "$BATS_TEST_TMPDIR/www"
	local url="https://127.0.0.1:$HTTP_PORT/registry.json"
	for tool in "pp-fleetstats --no-record" "pp-registry show"; do
		run --separate-stderr $tool -r "$url"
		assert_failure 2
		assert_stderr_contains "cannot fetch 'https://127.0.0.1:$HTTP_PORT/...': SSL peer certificate"
	done
	run --separate-stderr pp-fleetstats --dry-run --import-history "$url"
	assert_failure 2
	assert_stderr_contains "SSL peer certificate"
	kill "$HTTP_PID"
}

@test "an http:// registry's user, password and token stay out of its messages" {
	local url
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo '{"version": 1, "nodes": [{"id": 5}]}' > "$BATS_TEST_TMPDIR/www/bad.json"
	http_serve "$BATS_TEST_TMPDIR/www"
	url="http://u:reg-pass-secret@127.0.0.1:$HTTP_PORT"
	for path in bad.json missing.json; do
		run --separate-stderr pp-fleetstats --no-record \
			-r "$url/$path?token=reg-token-secret"
		assert_failure 2
		assert_stderr_contains "'http://127.0.0.1:$HTTP_PORT/...'"
		[[ $stderr$output != *secret* ]] || fail "secret shown: $stderr"
	done
	run --separate-stderr pp-registry -r "$url/bad.json?token=reg-token-secret" show
	assert_failure
	[[ $stderr$output != *secret* ]] || fail "secret shown: $stderr"
	# pp-drain names the registry it read, not the URL it was given:
	# a node it lacks (--settle), a node it cannot mark draining (an
	# http(s) registry is read-only)
	cp "$REG" "$BATS_TEST_TMPDIR/www/good.json"
	run --separate-stderr pp-drain --settle mc-1 --on nosuch \
		-r "$url/good.json?token=reg-token-secret"
	assert_failure 2
	assert_stderr_contains "no node 'nosuch' in registry 'http://127.0.0.1:$HTTP_PORT/...'"
	[[ $stderr$output != *secret* ]] || fail "secret shown: $stderr"
	run --separate-stderr pp-drain --node cloud-a \
		-r "$url/good.json?token=reg-token-secret" --now 2026-11-27T18:00:00Z
	assert_failure
	assert_stderr_contains "registry 'http://127.0.0.1:$HTTP_PORT/...'"
	[[ $stderr$output != *secret* ]] || fail "secret shown: $stderr"
	kill "$HTTP_PID"
}

@test "unknown registry fields are kept when the registry is rewritten" {
	cp "$REG" "$BATS_TEST_TMPDIR/r.json"
	run "$BUILD/unit/regtool" touch "$BATS_TEST_TMPDIR/r.json" ded-1 draining
	assert_success
	output=$(cat "$BATS_TEST_TMPDIR/r.json")
	jq_is '.platform_note' 'unknown top-level fields survive rewrites'
	jq_is '.nodes[0].status' draining
	jq_is '.nodes[0].labels | type' object
	jq_is '.nodes[1].cloud.server_id' 101
}

# spliced: the text before and after the edited node is the file's own
# to the byte, and the node is written compact in its place
@test "a status change rewrites that node's text only, never inflated" {
	cp "$REG" "$BATS_TEST_TMPDIR/r.json"
	run "$BUILD/unit/regtool" touch "$BATS_TEST_TMPDIR/r.json" cloud-a draining
	assert_success
	run python3 -c '
import json, sys
old = open(sys.argv[1]).read()
new = open(sys.argv[2]).read()
start = old.index("{\"id\": \"cloud-a\"")
end = old.index(",\n  {\"id\": \"cloud-s\"")
node = json.loads(old[start:end])
node["status"] = "draining"
compact = json.dumps(node, separators=(",", ":"))
assert new == old[:start] + compact + old[end:], new
print("spliced", end - start, "bytes into", len(compact))
' "$REG" "$BATS_TEST_TMPDIR/r.json"
	assert_success
	assert_output --partial "spliced"
}

@test "nodes removed and added by the API are cut out and appended" {
	cp "$REG" "$BATS_TEST_TMPDIR/r.json"
	run "$BUILD/unit/regtool" splice "$BATS_TEST_TMPDIR/r.json" cloud-s new-1
	assert_success
	output=$(cat "$BATS_TEST_TMPDIR/r.json")
	jq_is '[.nodes[].id] | join(",")' 'ded-1,cloud-a,cloud-p,ded-2,cloud-u,new-1'
	jq_is '.nodes[5].status' provisioning
	jq_is '.platform_note' 'unknown top-level fields survive rewrites'
	# the first node and the last one removed keep the list well formed
	run "$BUILD/unit/regtool" splice "$BATS_TEST_TMPDIR/r.json" ded-1 new-2
	assert_success
	run "$BUILD/unit/regtool" splice "$BATS_TEST_TMPDIR/r.json" new-2 new-3
	assert_success
	output=$(cat "$BATS_TEST_TMPDIR/r.json")
	jq_is '[.nodes[].id] | join(",")' 'cloud-a,cloud-p,ded-2,cloud-u,new-1,new-3'
}

@test "a node added under an id the registry holds already is refused, and the file stays as it was" {
	cp "$REG" "$BATS_TEST_TMPDIR/r.json"
	before=$(cksum < "$BATS_TEST_TMPDIR/r.json")
	run --separate-stderr "$BUILD/unit/regtool" splice \
		"$BATS_TEST_TMPDIR/r.json" cloud-s cloud-a
	assert_failure 1
	assert_equal "$stderr" "regtool: registry '$BATS_TEST_TMPDIR/r.json': a node added as 'cloud-a' is there already: not written
regtool: cannot save: Invalid argument"
	assert_equal "$(cksum < "$BATS_TEST_TMPDIR/r.json")" "$before"
	# the id of the node removed in the same write may be taken again
	run "$BUILD/unit/regtool" splice "$BATS_TEST_TMPDIR/r.json" cloud-s \
		cloud-s
	assert_success
	output=$(cat "$BATS_TEST_TMPDIR/r.json")
	jq_is '[.nodes[].id] | join(",")' 'ded-1,cloud-a,cloud-p,ded-2,cloud-u,cloud-s'
}

# a tool that opens the registry again (pp-drain, around every move)
# reuses what it read only when the file holds the very same bytes
@test "a registry changed between two opens is read again, in place or replaced" {
	cp "$REG" "$BATS_TEST_TMPDIR/r.json"
	run "$BUILD/unit/regtool" twice "$BATS_TEST_TMPDIR/r.json" cloud-a \
		"sed -i 's/\"total_ram_mb\": 16384/\"total_ram_mb\": 32768/' '$BATS_TEST_TMPDIR/r.json'"
	assert_success
	assert_output $'16384\n32768'
	# the same size, written into the same file
	run "$BUILD/unit/regtool" twice "$BATS_TEST_TMPDIR/r.json" cloud-a \
		"python3 -c 'import sys
f = open(sys.argv[1], \"r+b\"); t = f.read()
f.seek(0); f.write(t.replace(b\"32768, \\\"reserved_ram_mb\\\": 512, \\\"ip\\\": \\\"198.51.100.7\",
    b\"16384, \\\"reserved_ram_mb\\\": 512, \\\"ip\\\": \\\"198.51.100.7\"))' '$BATS_TEST_TMPDIR/r.json'"
	assert_success
	assert_output $'32768\n16384'
	run "$BUILD/unit/regtool" twice "$BATS_TEST_TMPDIR/r.json" cloud-a true
	assert_success
	assert_output $'16384\n16384'
}

# an escaped key is json-c's to read: the registry is read as a tree,
# the same figures come out, and a rewrite is compact
@test "a registry the scanner leaves to json-c reads the same and is rewritten compact" {
	sed 's/"status": "draining"/"st\\u0061tus": "draining"/' "$REG" \
		> "$BATS_TEST_TMPDIR/r.json"
	grep -q 'st\\u0061tus' "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record -r "$REG" \
		--now 2026-11-27T10:00:00Z
	assert_success
	local want
	want=$(jq -c '[.fleet, .nodes]' <<< "$output")
	run --separate-stderr pp-fleetstats --no-record \
		-r "$BATS_TEST_TMPDIR/r.json" --now 2026-11-27T10:00:00Z
	assert_success
	[ "$(jq -c '[.fleet, .nodes]' <<< "$output")" = "$want" ] ||
		fail "figures differ"
	run "$BUILD/unit/regtool" touch "$BATS_TEST_TMPDIR/r.json" cloud-a draining
	assert_success
	[ "$(wc -l < "$BATS_TEST_TMPDIR/r.json")" -eq 1 ] || fail "not compact"
	output=$(cat "$BATS_TEST_TMPDIR/r.json")
	jq_is '.nodes[4].status' draining
	jq_is '.nodes[1].status' draining
}

@test "a cloud node over-reporting its type's RAM is warned of and counts the type's memory" {
	# the platform says the cx23 (4 GB) cloud-s has 128 GB: 4096 is
	# counted, less its 512 reserved
	jq '(.nodes[] | select(.id=="cloud-s") | .total_ram_mb) = 131072 |
	    (.nodes[] | select(.id=="cloud-s") | .cloud.server_type) = "cx23"' \
		"$REG" > "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record -r "$BATS_TEST_TMPDIR/r.json" \
		--now 2026-11-27T10:00:00Z
	assert_success
	assert_stderr_contains "pp-fleetstats: cloud node 'cloud-s' reports total_ram_mb 131072, over the 4096 MB of its server type 'cx23': counting 4096"
	# 61440 + 15872 + 3584
	jq_is .fleet.total_ram_mb 80896
	jq_is .fleet.capacity_percent 31.65
	jq_is '.nodes[] | select(.id=="cloud-s") | [.total_ram_mb,.reserved_ram_mb,.usable_ram_mb,.free_ram_mb] | join(",")' \
		'4096,512,3584,3584'
	# pp-decide reads the same figures from the document
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/doc.json"
	run --separate-stderr pp-decide --dry-run --now 2026-11-27T10:00:00Z \
		< "$BATS_TEST_TMPDIR/doc.json"
	assert_success
	jq_is .fleet.total_ram_mb 80896
}

@test "a provisioning cloud node over-reporting counts the type's memory as pending" {
	jq '(.nodes[] | select(.id=="cloud-p") | .total_ram_mb) = 65536' \
		"$REG" > "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record -r "$BATS_TEST_TMPDIR/r.json" \
		--now 2026-11-27T10:00:00Z
	assert_success
	assert_stderr_contains "cloud node 'cloud-p' reports total_ram_mb 65536, over the 8192 MB of its server type 'cx33': counting 8192"
	jq_is .fleet.pending_ram_mb 7680
}

@test "a cloud node's RAM a little under or within 5 % over its type's is taken, far under is warned of" {
	# cloud-a (cx43, 16384) reports MemTotal, cloud-s (cx33, 8192) 5 %
	# over, cloud-u (cx33) under half; the dedicated ded-1 any size
	jq '(.nodes[] | select(.id=="cloud-a") | .total_ram_mb) = 15990 |
	    (.nodes[] | select(.id=="cloud-s") | .total_ram_mb) = 8601 |
	    (.nodes[] | select(.id=="cloud-u") | .total_ram_mb) = 4000 |
	    (.nodes[] | select(.id=="ded-1") | .total_ram_mb) = 1048576' \
		"$REG" > "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record -r "$BATS_TEST_TMPDIR/r.json"
	assert_success
	# that warning alone
	[[ $stderr == "pp-fleetstats: cloud node 'cloud-u' reports total_ram_mb 4000, under half the 8192 MB of its server type 'cx33'" ]] ||
		fail "stderr: $stderr"
	# 1048576 - 4096 + 15990 - 512 + 8601 - 512
	jq_is .fleet.total_ram_mb 1068047
	jq_is '.nodes[] | select(.id=="cloud-u") | .usable_ram_mb' 3488
	# one MB more than 5 % over is too much
	jq '(.nodes[] | select(.id=="cloud-s") | .total_ram_mb) = 8602' \
		"$REG" > "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record -r "$BATS_TEST_TMPDIR/r.json"
	assert_success
	assert_stderr_contains "cloud node 'cloud-s' reports total_ram_mb 8602, over the 8192 MB"
}

# The file registry takes two nodes naming one cloud server (a
# platform's copy of a row under a new id); pp-provision refuses to
# delete such a server, and this says so once a run, on stderr only.
@test "nodes naming the same cloud server are warned of once a run, an unset provider counting as the configured one" {
	# cloud-s copied whole; cloud-a with its provider unset (the
	# configured one, local); cloud-u's server id at another provider
	jq '.nodes += [(.nodes[] | select(.id=="cloud-s") | .id = "copy-s" |
	    .containers = []), (.nodes[] | select(.id=="cloud-a") |
	    .id = "copy-a" | .containers = [] | del(.cloud.provider)),
	    (.nodes[] | select(.id=="cloud-u") | .id = "copy-u" |
	    .containers = [] | .cloud.provider = "hetzner")]' \
		"$REG" > "$BATS_TEST_TMPDIR/r.json"
	run --separate-stderr pp-fleetstats --no-record \
		-r "$BATS_TEST_TMPDIR/r.json" --now 2026-11-27T10:00:00Z
	assert_success
	[[ $stderr == "pp-fleetstats: nodes 'cloud-s' and 'copy-s' name the same cloud server 102 (and 1 more node names a server another node names): pp-provision refuses to delete these servers while they do; remove the duplicated rows from the registry" ]] ||
		fail "stderr: $stderr"
	# the document lists every node, as before
	jq_is '[.nodes[].id] | join(",")' \
		ded-1,cloud-a,cloud-s,cloud-p,ded-2,cloud-u,copy-s,copy-a,copy-u
	# one copy, another provider's: the first alone, then none
	jq 'del(.nodes[] | select(.id == "copy-s" or .id == "copy-u"))' \
		"$BATS_TEST_TMPDIR/r.json" > "$BATS_TEST_TMPDIR/r1.json"
	run --separate-stderr pp-fleetstats --no-record \
		-r "$BATS_TEST_TMPDIR/r1.json" --now 2026-11-27T10:00:00Z
	assert_success
	[[ $stderr == "pp-fleetstats: nodes 'cloud-a' and 'copy-a' name the same cloud server 101: pp-provision refuses to delete it while they do; remove the duplicated row from the registry" ]] ||
		fail "stderr: $stderr"
	jq 'del(.nodes[] | select(.id == "copy-s" or .id == "copy-a"))' \
		"$BATS_TEST_TMPDIR/r.json" > "$BATS_TEST_TMPDIR/r2.json"
	run --separate-stderr pp-fleetstats --no-record \
		-r "$BATS_TEST_TMPDIR/r2.json" --now 2026-11-27T10:00:00Z
	assert_success
	assert_equal "$stderr" ""
}
