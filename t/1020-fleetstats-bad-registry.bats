#!/usr/bin/env bats
# A bad registry is refused: exit 2, a message naming the node and the
# field, and nothing written (no history sample either).
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	REG="$BATS_TEST_TMPDIR/registry.json"
}

# Each row: a jq program applied to the good fixture | expected message.
@test "bad registries are refused naming node and field, nothing written" {
	# a good run first, so "nothing written" is checked against a store
	run --separate-stderr pp-fleetstats -r "$FIXTURES/small-registry.json" \
		--now 2026-11-27T09:00:00Z
	assert_success
	local before
	before=$(files_sum "$PP_STATE_DIR/history" "$PP_STATE_DIR/state.json")
	while IFS='|' read -r prog msg; do
		jq "$prog" "$FIXTURES/small-registry.json" > "$REG"
		run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:00:00Z
		assert_failure 2
		assert_stderr_contains "registry '$REG': $msg"
		assert_output ""
		[ "$before" = "$(files_sum "$PP_STATE_DIR/history" "$PP_STATE_DIR/state.json")" ] ||
			fail "a file changed after: $prog"
	done <<'ROWS'
.nodes[2].id = "ded-1"|node 'ded-1': field 'id' is duplicated
del(.nodes[1].total_ram_mb)|node 'cloud-a': field 'total_ram_mb' is missing
.nodes[1].total_ram_mb = -1|node 'cloud-a': field 'total_ram_mb' must be a non-negative integer
.nodes[1].total_ram_mb = "lots"|node 'cloud-a': field 'total_ram_mb' must be a non-negative integer
.nodes[1].total_ram_mb = 1.5|node 'cloud-a': field 'total_ram_mb' must be a non-negative integer
.nodes[0].reserved_ram_mb = "x"|node 'ded-1': field 'reserved_ram_mb' must be a non-negative integer
.nodes[2].reserved_ram_mb = 9000|node 'cloud-s': field 'reserved_ram_mb' (9000) is above total_ram_mb (8192)
.nodes[0].kind = "vm"|node 'ded-1': field 'kind' has unknown value 'vm'
del(.nodes[0].kind)|node 'ded-1': field 'kind' is missing (dedicated or cloud)
.nodes[3].status = "booting"|node 'cloud-p': field 'status' has unknown value 'booting' (provisioning, ready, draining or unhealthy)
.nodes[3].role = "boss"|node 'cloud-p': field 'role' has unknown value 'boss' (worker or spare)
del(.nodes[4].id)|node 4: field 'id' is missing
.nodes[0].containers[1].ram_mb = -5|node 'ded-1': container 'b': field 'ram_mb' must be a non-negative integer
del(.nodes[0].containers[1].ram_mb)|node 'ded-1': container 'b': field 'ram_mb' is missing
.nodes[0].containers[1].state = "paused"|node 'ded-1': container 'b': field 'state' has unknown value 'paused' (starting, running, stopping or stopped)
.nodes[1].cloud.created_at = "yesterday"|node 'cloud-a': field 'cloud.created_at' is not an RFC 3339 time
.nodes[1].containers = {}|node 'cloud-a': field 'containers' must be a list
.nodes = {}|field 'nodes' is missing or not a list
.version = 2|unsupported version '2'
.version = 0|unsupported version '0'
.version = -1|unsupported version '-1'
.nodes[0].containers[0].players = -1|node 'ded-1': container 'a': field 'players' must be a non-negative integer
.nodes[0].containers[0].players = "3"|node 'ded-1': container 'a': field 'players' must be a non-negative integer
.nodes[0].containers[0].players = 2.5|node 'ded-1': container 'a': field 'players' must be a non-negative integer
.nodes[0].containers[0].players = 1000001|node 'ded-1': container 'a': field 'players' must be a non-negative integer (at most 1000000)
.nodes[1].cloud.hourly_cost_eur = -0.01|node 'cloud-a': field 'cloud.hourly_cost_eur' must be a number of EUR from 0 to 1000000
.nodes[1].cloud.hourly_cost_eur = "0.01"|node 'cloud-a': field 'cloud.hourly_cost_eur' must be a number of EUR from 0 to 1000000
.nodes[1].cloud.hourly_cost_eur = 2e6|node 'cloud-a': field 'cloud.hourly_cost_eur' must be a number of EUR from 0 to 1000000
ROWS
}

# json-c keeps an integer beyond 64 bits as INT64_MIN or UINT64_MAX,
# with no error: such a number is refused naming the field, never
# taken as its clamped value (jq cannot write one: sed puts it in).
@test "numbers beyond 64 bits are refused naming the field, never clamped" {
	local big
	for big in 99999999999999999999 -99999999999999999999 \
		18446744073709551615 9223372036854775808; do
		while IFS='|' read -r prog msg; do
			jq -c "$prog" "$FIXTURES/small-registry.json" |
				sed "s/424242424242/$big/" > "$REG"
			grep -q -- "$big" "$REG" || fail "not in the fixture: $prog"
			run --separate-stderr pp-fleetstats --no-record -r "$REG"
			assert_failure 2
			assert_stderr_contains "registry '$REG': $msg"
			assert_output ""
		done <<'ROWS'
.nodes[1].total_ram_mb = 424242424242|node 'cloud-a': field 'total_ram_mb' must be a non-negative integer
.nodes[0].reserved_ram_mb = 424242424242|node 'ded-1': field 'reserved_ram_mb' must be a non-negative integer
.nodes[0].containers[1].ram_mb = 424242424242|node 'ded-1': container 'b': field 'ram_mb' must be a non-negative integer
.nodes[0].containers[0].players = 424242424242|node 'ded-1': container 'a': field 'players' must be a non-negative integer
.nodes[1].cloud.hourly_cost_eur = 424242424242|node 'cloud-a': field 'cloud.hourly_cost_eur' must be a number of EUR
.version = 424242424242|field 'version' is out of range (this tool reads version 1)
ROWS
	done
}

@test "a registry that is not JSON is refused with the line" {
	printf '{"version": 1,\n "nodes": [\n  {"id": }\n]}\n' > "$REG"
	run --separate-stderr pp-fleetstats -r "$REG"
	assert_failure 2
	assert_stderr_contains "registry '$REG': invalid JSON at line 3"
	[ ! -e "$PP_STATE_DIR/history" ]
}

@test "a missing registry is refused and creates no files" {
	run --separate-stderr pp-fleetstats -r "$BATS_TEST_TMPDIR/nope.json"
	assert_failure 2
	assert_stderr_contains "cannot read registry '$BATS_TEST_TMPDIR/nope.json': No such file or directory"
	[ -z "$(ls -A "$PP_STATE_DIR")" ]
	[ ! -e "$BATS_TEST_TMPDIR/nope.json.lock" ]
}

# The nodes are checked and indexed in one pass (issue 17): a node the
# index refuses must not hide broken JSON after it, nor a version that
# comes after the nodes, as a pass that checked the whole text first
# would not.
@test "a refused node hides neither broken JSON nor a bad version after it" {
	local node='{"id":"a","kind":"vm","status":"ready","total_ram_mb":1024,"containers":[]}'
	printf '{"version":1,"nodes":[%s]}\n' "$node" > "$REG"
	run --separate-stderr pp-fleetstats -r "$REG"
	assert_failure 2
	assert_stderr_contains "registry '$REG': node 'a': field 'kind' has unknown value 'vm'"
	printf '{"version":1,"nodes":[%s,{"id": }]}\n' "$node" > "$REG"
	run --separate-stderr pp-fleetstats -r "$REG"
	assert_failure 2
	assert_stderr_contains "registry '$REG': invalid JSON"
	printf '{"nodes":[%s],"version":2}\n' "$node" > "$REG"
	run --separate-stderr pp-fleetstats -r "$REG"
	assert_failure 2
	assert_stderr_contains "registry '$REG': unsupported version '2'"
	# nested past the scanner's depth inside a node: json-c decides
	printf '{"version":1,"nodes":[%s,{"id":"b","x":%s1%s}]}\n' "$node" \
		"$(printf "[%.0s" $(seq 20))" "$(printf "]%.0s" $(seq 20))" > "$REG"
	run --separate-stderr pp-fleetstats -r "$REG"
	assert_failure 2
	assert_stderr_contains "registry '$REG': node 'a': field 'kind' has unknown value 'vm'"
}

# A URL of a scheme no backend takes was read as a file of that
# relative name ("ftp:/host/x"): it is bad input, named by its scheme,
# whichever tool reads the registry and however it is given. Each
# row: the registry, the scheme named. The password never shows.
@test "a registry URL of a scheme no backend takes is refused naming the scheme" {
	local takes="(the registry is a file path, or a file://, http://, https://, postgresql:// or postgres:// URL)"
	cd "$BATS_TEST_TMPDIR"
	# the file each URL would have been read as, a good registry
	mkdir -p ftp:/host sftp:/u:pp-pw-SECRET@host FTP:/host
	for f in ftp:/host/x sftp:/u:pp-pw-SECRET@host/x FTP:/host/x; do
		cp "$FIXTURES/small-registry.json" "$f"
	done
	while IFS='|' read -r url scheme; do
		run --separate-stderr pp-fleetstats --no-record -r "$url"
		assert_failure 2
		assert_output ""
		assert_stderr_contains "pp-fleetstats: registry '$scheme://host/...': unknown URL scheme '$scheme' $takes"
		refute_stderr_contains pp-pw-SECRET
		run --separate-stderr pp-registry -r "$url" show
		assert_failure 2
		assert_stderr_contains "unknown URL scheme '$scheme'"
		# the config's registry key: refused at load, naming the line
		printf 'timezone: UTC\nregistry: %s\n' "$url" > "$PP_CONFIG"
		for tool in "pp-config check" pp-fleetstats; do
			run --separate-stderr $tool
			assert_failure 2
			assert_output ""
			assert_stderr_contains "config '$PP_CONFIG' line 2: 'registry': unknown URL scheme '$scheme' $takes"
			refute_stderr_contains pp-pw-SECRET
		done
		: > "$PP_CONFIG"
	done <<'ROWS'
ftp://host/x|ftp
sftp://u:pp-pw-SECRET@host/x|sftp
FTP://host/x|FTP
ROWS
	# a colon in a path that is no URL: a file like any other
	mkdir -p sub
	for f in ./a:b.json "$BATS_TEST_TMPDIR/reg:1.json" sub/c:d.json a:/x.json; do
		mkdir -p "$(dirname "$f")"
		cp "$FIXTURES/small-registry.json" "$f"
		run --separate-stderr pp-fleetstats --no-record -r "$f"
		assert_success
		jq_is '.nodes | length' "$(jq '.nodes | length' "$FIXTURES/small-registry.json")"
		printf 'registry: %s\n' "$f" > "$PP_CONFIG"
		run --separate-stderr pp-fleetstats --no-record
		assert_success
	done
}
