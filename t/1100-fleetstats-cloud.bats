#!/usr/bin/env bats
# pp-fleetstats and the cloud: the server-type catalog through a cache,
# and reconciliation of the registry with the servers carrying our label.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	T0=2026-11-27T06:00:00Z
	write_config <<-EOF
	cloud:
	  provider: local
	  boot_timeout: 10m
	  local:
	    boot_seconds: 90s
	EOF
	# a dedicated node (no cloud id), a cloud node whose server
	# exists (local id 1), and one whose server was deleted by hand
	cat >"$PP_STATE_DIR/registry.json" <<-'EOF'
	{"version": 1, "nodes": [
	 {"id": "ded-1", "kind": "dedicated", "status": "ready",
	  "role": "worker", "total_ram_mb": 65536, "reserved_ram_mb": 4096,
	  "ip": "203.0.113.10", "location": "fsn1", "labels": {},
	  "cloud": null, "containers": [
	   {"id": "mc-1", "ram_mb": 4096, "state": "running", "players": 3}]},
	 {"id": "cloud-known", "kind": "cloud", "status": "ready",
	  "role": "worker", "total_ram_mb": 8192, "reserved_ram_mb": 512,
	  "ip": "198.51.100.2", "location": "nbg1",
	  "labels": {"managed_by": "ppscale"},
	  "cloud": {"provider": "local", "server_id": "1",
	   "server_type": "cx33", "hourly_cost_eur": 0.0088,
	   "created_at": "2026-11-27T05:00:00Z"}, "containers": []},
	 {"id": "cloud-gone", "kind": "cloud", "status": "ready",
	  "role": "spare", "total_ram_mb": 8192, "reserved_ram_mb": 512,
	  "ip": "198.51.100.9", "location": "nbg1",
	  "labels": {"managed_by": "ppscale"},
	  "cloud": {"provider": "local", "server_id": "77",
	   "server_type": "cx33", "hourly_cost_eur": 0.0088,
	   "created_at": "2026-11-27T05:00:00Z"}, "containers": []}]}
	EOF
	"$BUILD/unit/cloudctl" --now 2026-11-27T05:00:00Z create pp-known cx33 \
		nbg1 >/dev/null
}

cloudctl() { "$BUILD/unit/cloudctl" "$@"; }

@test "lists our servers the registry lacks as orphans, with their age" {
	cloudctl --now 2026-11-27T05:30:00Z create pp-orphan cx33 nbg1 >/dev/null
	cloudctl --now 2026-11-27T05:30:00Z create foreign cx33 nbg1 team=web \
		>/dev/null
	run --separate-stderr pp-fleetstats --now "$T0" --reconcile
	assert_success
	jq_is .reconciliation.status ok
	jq_is .reconciliation.provider local
	jq_is .reconciliation.selector managed_by=ppscale,pool=default
	jq_is '.reconciliation.orphans | length' 1
	jq_is '.reconciliation.orphans[0].name' pp-orphan
	jq_is '.reconciliation.orphans[0].server_id' 2
	jq_is '.reconciliation.orphans[0].age_seconds' 1800
	jq_is '.reconciliation.orphans[0].created_at' 2026-11-27T05:30:00Z
	jq_is '.reconciliation.orphans[0].pending' false
	jq_is .reconciliation.pending_ram_mb 0
	assert_stderr_contains "orphan server 'pp-orphan'"
}

@test "lists registry cloud nodes whose server is gone as lost, dedicated nodes left alone" {
	run --separate-stderr pp-fleetstats --now "$T0" --reconcile
	assert_success
	jq_is '[.reconciliation.lost[].node] | join(",")' cloud-gone
	jq_is '.reconciliation.lost[0].server_id' 77
	jq_is '.reconciliation.orphans | length' 0
	# the same answer on the next run: no error loop
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:01:00Z --reconcile
	assert_success
	jq_is '[.reconciliation.lost[].node] | join(",")' cloud-gone
}

@test "an orphan younger than the provisioning timeout counts as pending capacity" {
	run --separate-stderr pp-fleetstats --now "$T0" --reconcile
	local before
	before=$(jq .fleet.pending_ram_mb <<<"$output")
	cloudctl --now 2026-11-27T05:58:00Z create pp-booting cx33 nbg1 \
		>/dev/null
	run --separate-stderr pp-fleetstats --now "$T0" --reconcile
	assert_success
	jq_is '.reconciliation.orphans[0].pending' true
	jq_is '.reconciliation.orphans[0].usable_ram_mb' 7680
	jq_is .reconciliation.pending_ram_mb 7680
	jq_is .fleet.pending_ram_mb $((before + 7680))
	# past boot_timeout it is an orphan, no longer capacity
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:10:00Z --reconcile
	jq_is '.reconciliation.orphans[0].pending' false
	jq_is .fleet.pending_ram_mb "$before"
}

@test "an orphan of a type the API no longer lists counts its RAM from its own server_type" {
	load 'test_helper/fakehcloud'
	fake_start
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  boot_timeout: 10m
	EOF
	# cx22 is past its unavailable_after: GET /server_types leaves it out;
	# skew 0: the fake's Date header is this host's clock, or the tool
	# would move "created" by the difference and the orphan not be new
	fake_config '{"clock": "2026-11-27T05:58:00Z", "skew": 0}' >/dev/null
	fake_seed '{"servers": [{"name": "pp-old001", "server_type": "cx22",
		"status": "starting", "created": "2026-11-27T05:58:00Z",
		"labels": {"managed_by": "ppscale", "pool": "default"}}]}' \
		>/dev/null
	run --separate-stderr pp-fleetstats --now "$T0" --reconcile
	assert_success
	jq_is '[.server_types.types[].name] | index("cx22")' null
	jq_is '.reconciliation.orphans[0].name' pp-old001
	jq_is '.reconciliation.orphans[0].pending' true
	jq_is '.reconciliation.orphans[0].usable_ram_mb' 3584
	jq_is .reconciliation.pending_ram_mb 3584
	fake_stop
}

@test "reconciles when the config says so, not otherwise" {
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	jq_is 'has("reconciliation")' false
	cat >>"$PP_CONFIG" <<-EOF
	  reconcile: true
	EOF
	run --separate-stderr pp-fleetstats --now "$T0"
	jq_is .reconciliation.status ok
}

@test "when the cloud cannot be reached the document is still written, reconciliation skipped" {
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  endpoint: http://127.0.0.1:9/v1
	  retries: 1
	  retry_base: 0.01
	EOF
	HCLOUD_TOKEN=t-3 run --separate-stderr pp-fleetstats --now "$T0" --reconcile
	assert_success
	jq_is .reconciliation.status skipped
	jq_is '.reconciliation.reason | test("no answer from the API")' true
	jq_is '.nodes | length' 3
	jq_is .server_types.source config
	assert_stderr_contains "reconciliation skipped"
	# without a token at all: the same, with the reason
	run --separate-stderr pp-fleetstats --now "$T0" --reconcile
	assert_success
	jq_is .reconciliation.status skipped
	jq_is '.reconciliation.reason | test("HCLOUD_TOKEN")' true
}

@test "says why it cannot use the cloud when not reconciling too" {
	local tf="$BATS_TEST_TMPDIR/hcloud.token"
	printf 'tok-1100\n' > "$tf"
	chmod 644 "$tf"
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  endpoint: http://127.0.0.1:9/v1
	  token_file: $tf
	EOF
	unset HCLOUD_TOKEN
	run --separate-stderr pp-fleetstats --now "$T0" --no-record
	assert_success
	jq_is .server_types.source config
	assert_stderr_contains "cannot use the cloud: "
	assert_stderr_contains "token file '$tf' has mode 0644"
	assert_stderr_contains "using the server types from the config"
	refute_stderr_contains tok-1100
}

@test "server types come from the provider and are cached for catalog_ttl" {
	load 'test_helper/fakehcloud'
	fake_start
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  catalog_ttl: 1h
	EOF
	# before cx22's unavailable_after: the API still lists it
	fake_config '{"clock": "2026-01-01T00:00:00Z"}' >/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	jq_is .server_types.source hetzner
	# its top-level deprecation is kept as each location's end, not as
	# a mark that would stop its orders from the announcement on
	jq_is '.server_types.types[] | select(.name == "cx22") | .deprecated' false
	jq_is '.server_types.types[] | select(.name == "cx22") |
		[.locations[].unavailable_after] | unique | join(",")' \
		2026-01-16T06:00:00Z
	[[ $(fake_log | jq '[.requests[] | select(.path == "/server_types")]
		| length') == 1 ]]
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:59:00Z
	assert_success
	jq_is .server_types.source cache
	jq_is .server_types.fetched_at "$T0"
	# the cache means what the API said: cx32, deprecated at the top
	# level, orderable in each location until its end
	jq_is '.server_types.types[] | select(.name == "cx32") |
		[.deprecated, (.locations[] | .available, .unavailable_after)] |
		map(tostring) | unique | join(",")' \
		2027-01-16T06:00:00Z,false,true
	[[ $(fake_log | jq '[.requests[] | select(.path == "/server_types")]
		| length') == 1 ]]
	run --separate-stderr pp-fleetstats --now 2026-11-27T07:00:00Z
	jq_is .server_types.source hetzner
	[[ $(fake_log | jq '[.requests[] | select(.path == "/server_types")]
		| length') == 2 ]]
	fake_stop
}

@test "a stale cache beats the config when the provider is down" {
	load 'test_helper/fakehcloud'
	fake_start
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  retries: 0
	EOF
	pp-fleetstats --now "$T0" >/dev/null
	fake_stop
	run --separate-stderr pp-fleetstats --now 2026-11-28T06:00:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "older than cloud.catalog_ttl"
}

@test "the local provider's catalog is the default server_types" {
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	jq_is .server_types.source local
	run --separate-stderr pp-fleetstats --now "$T0"
	jq_is .server_types.source cache
}
