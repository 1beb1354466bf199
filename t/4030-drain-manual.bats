#!/usr/bin/env bats
# pp-drain --node: maintenance drains by hand, --wait and its deadline.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/drain'
	pp_isolate
	reg_init
}

@test "--node drains a dedicated node outside the pipeline, reading no stdin" {
	drain_config
	reg_node DED dedicated ready 64000 a:4000 b:2000:stopped
	reg_node T cloud ready 8000
	reg_write
	run --separate-stderr pp-drain --node DED --now 2026-11-27T18:00:00Z \
		< /dev/null
	assert_success
	jq_is '.version' 1
	jq_is '.generated_at' 2026-11-27T18:00:00Z
	jq_is '.drain.action' maintenance
	jq_is '.drain.status' empty
	jq_is '.drain.empty' true
	reg_is '.nodes[0].status' draining
	reg_is '.nodes[0].draining_by' maintenance
	reg_is '[.nodes[1].containers[].id] | join(",")' a,b
	[ "$(events_of node.draining | jq -r .by)" = maintenance ]
}

@test "--node on an unhealthy node drains it; on a provisioning node it refuses, naming the node once" {
	drain_config
	reg_node U cloud unhealthy 8000 a:1000
	reg_node P cloud provisioning 8000
	reg_node T cloud ready 8000
	reg_node B cloud ready 8000 big:7500
	reg_write
	run --separate-stderr pp-drain --node U
	assert_success
	jq_is '.drain.status' empty
	run --separate-stderr pp-drain --node P
	assert_failure 1
	jq_is '.drain.status' refused
	[[ $stderr == "pp-drain: node 'P' is still provisioning" ]] ||
		fail "stderr: $stderr"
	# a reason that does not name the node is given it
	run --separate-stderr pp-drain --node B
	assert_failure 1
	jq_is '.drain.status' blocked
	assert_stderr_contains "pp-drain: node 'B': nothing moved: "
}

@test "--node with an id the registry lacks is refused with exit 2 before anything is written" {
	drain_config
	reg_node T cloud ready 8000
	reg_write
	local sum
	sum=$(reg_sum)
	for extra in "" --uncordon --wait; do
		run --separate-stderr pp-drain --node nope $extra
		assert_failure 2
		assert_stderr_contains "no node 'nope' in registry '$REGISTRY'"
		assert_output ""
	done
	[[ $(reg_sum) == "$sum" ]]
	# no drain lock, no event
	run find "$PP_STATE_DIR" -name 'drain-*' -o -name 'events*'
	assert_output ""
}

@test "pp-drain names a registry as the registry's own messages do: a file:// one whole, an http(s) one without user, path or query" {
	drain_config
	reg_node T cloud ready 8000
	reg_write
	# pp-drain's own messages about the registry (a save that failed)
	# name it by pp_registry_shown, which these write whole
	run "$BUILD/unit/regtool" shown "file://$REGISTRY"
	assert_output "file://$REGISTRY"
	run "$BUILD/unit/regtool" shown "$REGISTRY"
	assert_output "$REGISTRY"
	run "$BUILD/unit/regtool" shown "postgresql://db.example/fleet"
	assert_output "postgresql://db.example/fleet"
	# the registry's own message, for a file:// URL: the same name
	run --separate-stderr pp-drain --node nope --registry "file://$REGISTRY"
	assert_failure 2
	assert_stderr_contains "no node 'nope' in registry 'file://$REGISTRY'"
	# an http(s) URL may hold a password or a token: cut, in any case
	run "$BUILD/unit/regtool" shown "https://u:pw@reg.example/r.json?t=1"
	assert_output "https://reg.example/..."
	run "$BUILD/unit/regtool" shown "HTTP://u:pw@reg.example:8080/r.json"
	assert_output "HTTP://reg.example:8080/..."
}

@test "pp-drain names a file:// or postgresql:// registry without its user's password or a query's secret, a path whole" {
	drain_config
	reg_node T cloud ready 8000
	reg_write
	run "$BUILD/unit/regtool" shown "file://$REGISTRY?sslpassword=pw-SECRET-4030&x=1"
	assert_output "file://$REGISTRY?sslpassword=<redacted>&x=1"
	run "$BUILD/unit/regtool" shown "file://u:pw-SECRET-4030@localhost$REGISTRY"
	assert_output "file://u:<redacted>@localhost$REGISTRY"
	run "$BUILD/unit/regtool" shown "POSTGRESQL://u:pw-SECRET-4030@db.example/fleet?sslpassword=pw-SECRET-4030"
	assert_output "POSTGRESQL://u:<redacted>@db.example/fleet?sslpassword=<redacted>"
	# a path's segment is no query: a path is shown whole
	run "$BUILD/unit/regtool" shown "/srv/rel/password=keep/registry.json"
	assert_output "/srv/rel/password=keep/registry.json"
	run "$BUILD/unit/regtool" shown "file:///srv/rel/sslpassword=keep/registry.json"
	assert_output "file:///srv/rel/sslpassword=keep/registry.json"
	# the registry's own message (curl reads the file, query aside)
	run --separate-stderr pp-drain --node nope \
		--registry "file://$REGISTRY?sslpassword=pw-SECRET-4030"
	assert_failure 2
	assert_stderr_contains "no node 'nope' in registry 'file://$REGISTRY?sslpassword=<redacted>'"
	refute_stderr_contains SECRET-4030
	# and the fetch's, for a file that is not there
	run --separate-stderr pp-drain --node nope \
		--registry "file:///nonexistent/r.json?password=pw-SECRET-4030"
	assert_failure 2
	assert_stderr_contains "cannot fetch 'file:///nonexistent/r.json?password=<redacted>'"
	refute_stderr_contains SECRET-4030
}

@test "--wait blocks until the node is empty, with progress on stderr" {
	PLAYER_GRACE=2s drain_config
	reg_node S cloud ready 8000 p:1000:running:4 q:1000
	reg_node T cloud ready 8000
	reg_write
	start=$SECONDS
	run --separate-stderr pp-drain --node S --wait --interval 0.2 \
		--now 2026-11-27T18:00:00Z
	assert_success
	(( SECONDS - start >= 1 && SECONDS - start < 10 ))
	jq_is '.drain.status' empty
	jq_is '.drain.empty' true
	jq_is '[.drain.moved[].server] | join(",")' q,p
	jq_is '.drain.waiting | length' 0
	assert_stderr_contains "node 'S': in_progress: 1 game server left on 'S', 1 waiting for players until 2026-11-27T18:00:02Z"
	[ "$(hook_calls)" = 'q>T,p>T' ]
	[ "$(events_of node.drained | jq -r .by)" = maintenance ]
}

@test "--wait gives up at the deadline with status 1 and says how far it got" {
	drain_config
	reg_node S cloud ready 8000 a:1000 b:1000
	reg_node T cloud ready 8000
	reg_write
	HOOK_FAIL=b run --separate-stderr pp-drain --node S --wait \
		--deadline 1s --interval 0.3
	assert_failure 1
	jq_is '.drain.status' in_progress
	jq_is '.drain.empty' false
	jq_is '[.drain.moved[].server] | join(",")' a
	jq_is '.drain.failed[0].server' b
	jq_is '.drain.reason | endswith("; deadline of 1 s passed")' true
	assert_stderr_contains "1 move failed (retried next cycle)"
	reg_is '[.nodes[0].containers[].id] | join(",")' b
	reg_is '.nodes[0].status' draining
}

@test "--wait stops when someone returns the node to service" {
	drain_config
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	HOOK_FAIL=a pp-drain --node S --wait --deadline 30s --interval 0.2 \
		> "$BATS_TEST_TMPDIR/out" 2>/dev/null &
	drain=$!
	wait_exists "$HOOK_LOG"
	run --separate-stderr pp-drain --node S --uncordon
	assert_success
	jq_is '.drain.status' uncordoned
	rc=0
	wait "$drain" || rc=$?
	[ "$rc" = 1 ] || fail "pp-drain exited $rc, not 1"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	jq_is '.drain.reason' "node 'S' was set to ready while draining; drain stopped"
	reg_is '.nodes[0].status' ready
}

@test "--node on a node removed from the registry while it drains exits 1, the document saying so" {
	# 2 is bad usage or input: the node was there when the run began
	# (an unknown --node is 2, before anything is written)
	# the hook stands for the platform removing the node meanwhile
	hook=$BATS_TEST_TMPDIR/remove-node
	cat > "$hook" <<HOOK
#!/bin/sh
flock "$REGISTRY.lock" sh -c 'jq "del(.nodes[] | select(.id == \"S\"))" \
	"$REGISTRY" > "$REGISTRY.new" && mv "$REGISTRY.new" "$REGISTRY"'
exit 1
HOOK
	chmod +x "$hook"
	printf 'drain:\n  move_command: ["%s"]\n' "$hook" > "$PP_CONFIG"
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	run --separate-stderr pp-drain --node S --wait --deadline 30s \
		--interval 0.2
	assert_failure 1
	jq_is '.drain.status' refused
	jq_is '.drain.reason' "node 'S' was removed from the registry while draining"
	assert_stderr_contains "pp-drain: node 'S' was removed from the registry while draining"
	reg_is '[.nodes[].id] | join(",")' T
}

@test "usage errors exit 2" {
	run --separate-stderr pp-drain --uncordon
	assert_failure 2
	run --separate-stderr pp-drain --node S --deadline soon
	assert_failure 2
	run --separate-stderr pp-drain --node S --interval 0
	assert_failure 2
	run --separate-stderr pp-drain --node S --interval 3601
	assert_failure 2
	[[ $stderr == *"at most 3600"* ]]
	run --separate-stderr pp-drain --help
	assert_output --partial "at most 3600"
	run --separate-stderr pp-drain --node S extra
	assert_failure 2
	run --separate-stderr pp-drain --help
	assert_success
	assert_output --partial "usage: pp-drain"
}

# S to drain, T1 a cx33 (8192 MB) reported at 10012 (9500 usable, 4680
# free as counted), T2 dedicated; S too is over-reported
over_reported() {
	reg_node S cloud ready 20000 a:6000 b:2000
	reg_node T1 cloud ready 9500 x:3000
	reg_node T2 dedicated ready 7000
	reg_write
	jq '(.nodes[] | select(.id == "T1" or .id == "S")).cloud.server_type
		= "cx33"' "$REGISTRY" > "$REGISTRY.new" &&
		mv "$REGISTRY.new" "$REGISTRY"
}

@test "--node moves onto an over-reported cloud node only what fits its server type's memory, warns once, and leaves the registry's figures as they were" {
	drain_config
	over_reported
	run --separate-stderr pp-drain --node S --wait --interval 0.2 \
		--now 2026-11-27T18:00:00Z
	assert_success
	jq_is '.drain.status' empty
	[ "$(hook_calls)" = 'a>T2,b>T1' ]
	reg_is '[.nodes[1].containers[].id] | join(",")' x,b
	reg_is '[.nodes[2].containers[].id] | join(",")' a
	# the cap is the plan's, never written back
	reg_is '[.nodes[] | "\(.id) \(.total_ram_mb) \(.reserved_ram_mb)"] | join(",")' \
		'S 20512 512,T1 10012 512,T2 7512 512'
	[ "$(grep -c "cloud node 'T1' reports total_ram_mb 10012, over" <<<"$stderr")" = 1 ]
}

# A manual drain needs of the server types only their memory, the same in
# every catalog: pp-drain reads pp-fleetstats' cache or the config, never
# the API (which would want the token, spend the shared request budget
# and, on a hung API, hold the drain's lock for minutes). The endpoint
# here answers nothing: a request would be warned of.
@test "--node caps an over-reported cloud node's RAM without asking the cloud API, and reads pp-fleetstats' cache" {
	drain_config "cloud:
  provider: hetzner
  endpoint: http://127.0.0.1:9/v1
  request_timeout: 1s"
	over_reported
	run --separate-stderr env -u HCLOUD_TOKEN pp-drain --node S --dry-run \
		--now 2026-11-27T18:00:00Z
	assert_success
	# T1 counted as a cx33 from the config's catalog: b fits, a does not
	jq_is '[.drain.planned[] | "\(.server)>\(.to)"] | join(",")' a\>T2,b\>T1
	refute_stderr_contains "cannot use the cloud"
	refute_stderr_contains "server types"
	refute_stderr_contains "token"
	[ ! -e "$PP_STATE_DIR/catalog.json" ]
	# the cache pp-fleetstats writes (made by it, with the local
	# provider, the API's stand-in here), whatever its age, is read:
	# with cx33 at 4 GB in it, T1 (3000 MB held) takes neither
	drain_config
	run pp-fleetstats --now 2026-11-27T17:00:00Z
	assert_success
	jq '(.types[] | select(.name == "cx33")).memory_gb = 4
		| .fetched_at = "2020-01-01T00:00:00Z"' \
		"$PP_STATE_DIR/catalog.json" > "$BATS_TEST_TMPDIR/cat" &&
		mv "$BATS_TEST_TMPDIR/cat" "$PP_STATE_DIR/catalog.json"
	run --separate-stderr pp-drain --node S --dry-run \
		--now 2026-11-27T18:00:00Z
	assert_failure 1
	# T2's 7000 MB and T1's 584 (3584 usable as a 4 GB type)
	jq_is '.drain.status' blocked
	jq_is '.drain.reason | test("7584 MB free on 2 ready nodes")' true
	refute_stderr_contains "server types"
	refute_stderr_contains "token"
}
