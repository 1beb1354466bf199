#!/usr/bin/env bats
# pp-provision on scale_down (against the fake Hetzner API), and the
# decisions it passes through untouched.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/provision'
	prov_fake_file pp-secret-token-3210
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/provision'
	prov_fake_test
	SID=$(fake_seed '{"servers": [{"name": "pp-old111", "location": "nbg1",
		"labels": {"managed_by": "ppscale", "role": "worker",
		"pool": "default"}}]}' |
		jq -r '.servers[0].id')
	fake_ctl DELETE /log >/dev/null
}

# cloud_node STATUS [CONTAINERS_JSON [FIELDS_JSON]]: the seeded
# server's node
cloud_node() {
	local x=${3:-'{}'}
	registry_add "$(jq -nc --arg sid "$SID" --arg st "$1" \
		--argjson cs "${2:-[]}" --argjson x "$x" '{id: "pp-old111",
		kind: "cloud", status: $st, role: "worker", total_ram_mb: 8192,
		reserved_ram_mb: 512, ip: "198.51.100.9", location: "nbg1",
		labels: {managed_by: "ppscale"}, cloud: {provider: "hetzner",
		server_id: $sid, server_type: "cx33", server_name: "pp-old111",
		hourly_cost_eur: 0.008, created_at: "2026-11-27T06:00:00Z"},
		containers: $cs} + $x')"
}

# down_doc EMPTY: a scale_down of pp-old111 with its drain section
down_doc() {
	decision scale_down 1 cx33 nbg1 pp-old111 | jq -c --argjson e "$1" \
		'.drain = {node: "pp-old111", action: "scale_down",
		status: (if $e then "empty" else "in_progress" end),
		empty: $e, remaining: (if $e then 0 else 1 end)}'
}

deletes() {
	fake_log | jq '[.requests[] | select(.method == "DELETE")] | length'
}

@test "scale_down of a drained node: deletes the server, waits, removes the node" {
	cloud_node draining
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is .provision.action scale_down
	jq_is .provision.status done
	jq_is '.provision.servers[0] | [.op, .node, .server_id, .status] |
		join(",")' "delete,pp-old111,$SID,removed"
	jq_is .drain.empty true
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
	[[ $(deletes) == 1 ]]
	# our pool listed (converging), the server's labels read again
	# before the delete (the delete guard), the delete action polled
	# before the node went
	[[ $(fake_log | jq -r '[.requests[] | .method + " " + .path] |
		join(",")') == "GET /servers,GET /servers/$SID,DELETE /servers/$SID,GET /actions/"* ]]
	run jq -r '[.type, .node, .server_id, .server_type, .location] |
		join(",")' "$EVENTS"
	assert_output "node.removed,pp-old111,$SID,cx33,nbg1"
}

# The 30-minute limit on a document's age stops purchases, not the
# delete that ends a drain: pp-drain judged the decision when it
# started, and a drain of several moves can take longer than that.
@test "a drain that took longer than 30 minutes still ends in its delete; a scale-up that old buys nothing" {
	cloud_node draining
	run --separate-stderr pp-provision --now 2026-11-27T10:40:00Z \
		< <(DOC_AT=2026-11-27T10:00:00Z down_doc true)
	assert_success
	jq_is .provision.status done
	jq_is '.provision.servers[0] | [.op, .status] | join(",")' \
		delete,removed
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
	# the same age on a scale-up: refused, nothing created
	run --separate-stderr pp-provision --now 2026-11-27T10:40:00Z \
		< <(DOC_AT=2026-11-27T10:00:00Z decision scale_up 1 cx33 nbg1)
	assert_failure 1
	jq_is .provision.status refused
	assert_stderr_contains "decision 'scale_up' not carried out"
	[[ $(fake_log | jq '[.requests[] | select(.method == "POST")] |
		length') == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 0 ]]
}

# A game server recorded on the node, in any state, blocks the delete:
# a stopped one's world data is on the node.
@test "delete refused while any game server is recorded on the node" {
	local state
	for state in running stopped starting; do
		rm -rf "$PP_STATE_DIR"
		setup
		cloud_node draining "[{\"id\": \"mc-1\", \"ram_mb\": 2048,
			\"state\": \"$state\", \"players\": 0}]"
		run --separate-stderr pp-provision < <(down_doc true)
		assert_success
		jq_is .provision.status refused
		jq_is '.provision.servers[0].status' refused
		assert_stderr_contains "still has 1 game server(s)"
		[[ $(deletes) == 0 ]] || fail "deleted with a $state game server"
		[[ $(fake_state | jq '.servers | length') == 1 ]]
		[[ $(reg '.nodes[1].id') == pp-old111 ]]
		run jq -r '.type + " " + .result' "$EVENTS"
		assert_output "scaling.failed refused"
	done
}

@test "delete refused for a node that is not draining, or not ours" {
	cloud_node ready
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is .provision.status refused
	assert_stderr_contains "is ready, not draining"
	[[ $(deletes) == 0 ]]
	[[ $(reg '.nodes | length') == 2 ]]
}

@test "delete refused for a node drained by hand for maintenance, even when empty" {
	cloud_node draining '[]' '{"draining_by": "maintenance",
		"draining_since": "2026-11-27T09:00:00Z"}'
	[[ $(reg '.nodes[1].draining_by') == maintenance ]]
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is .provision.status refused
	assert_stderr_contains "is drained by hand for maintenance"
	[[ $(deletes) == 0 ]]
	[[ $(reg '.nodes | length') == 2 ]]
}

# The whole pipeline on an unhealthy cloud node that holds no game
# server (the unneeded rule's unhealthy_after, 30 minutes by default):
# pp-decide removes it near the end of its paid hour, pp-drain cordons
# it, pp-provision deletes its server.
@test "an unhealthy node that holds no game server is retired by the pipeline" {
	local now
	cloud_node unhealthy
	for now in 2026-11-27T10:00:00Z 2026-11-27T10:20:00Z \
	    2026-11-27T10:52:00Z; do
		pp-fleetstats --no-record --now "$now" |
			pp-decide --now "$now" |
			pp-drain --now "$now" |
			pp-provision --now "$now" > "$BATS_TEST_TMPDIR/out" \
			2> "$BATS_TEST_TMPDIR/err" ||
			fail "cycle at $now: $(<"$BATS_TEST_TMPDIR/err")"
		output=$(<"$BATS_TEST_TMPDIR/out")
		[[ $now == *10:52* ]] || {
			jq_is .decision.action none
			[[ $(deletes) == 0 ]]
		}
	done
	jq_is .decision.action scale_down
	jq_is .decision.node pp-old111
	jq_is .drain.status empty
	jq_is '.provision.servers[0] | [.op, .node, .status] | join(",")' \
		"delete,pp-old111,removed"
	[[ $(deletes) == 1 ]]
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
}

# The decision to retire it was made on a snapshot; the platform may
# return the node between pp-decide and pp-drain. A ready node with a
# live game server is capacity the decision never weighed: nothing is
# moved or deleted, and the next cycle decides again.
@test "an unhealthy node the platform returns after the decision is neither drained nor deleted" {
	local now
	cloud_node unhealthy
	for now in 2026-11-27T10:00:00Z 2026-11-27T10:52:00Z; do
		pp-fleetstats --no-record --now "$now" |
			pp-decide --now "$now" > "$BATS_TEST_TMPDIR/doc" ||
			fail "decision at $now failed"
	done
	output=$(<"$BATS_TEST_TMPDIR/doc")
	jq_is '.decision | [.action, .node] | join(" ")' \
		"scale_down pp-old111"
	pp-registry -q status pp-old111 ready
	pp-registry -q place pp-old111 mc-1 2048 --players 3
	# a dry run reads the document's list its own way: the same answer
	run --separate-stderr pp-drain --dry-run --now 2026-11-27T10:52:00Z \
		< "$BATS_TEST_TMPDIR/doc"
	assert_success
	jq_is .drain.status refused
	run --separate-stderr bash -c 'pp-drain --now 2026-11-27T10:52:00Z |
		pp-provision --now 2026-11-27T10:52:00Z' < "$BATS_TEST_TMPDIR/doc"
	assert_success
	jq_is .drain.status refused
	jq_is .drain.reason "node 'pp-old111' was unhealthy when the scale-down was decided and is ready now: the next cycle decides again"
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		"\(.status) \(.containers | length)"') == "ready 1" ]]
}

# A platform that copies a node's row under a new id (a restore, a
# migration) leaves two nodes naming one server. The copy holds no game
# server: the unneeded rule picks it, its drain is empty at once, and
# deleting its server would take the node's players with it.
@test "a scale-down of a copied row that names a busy node's server is refused, and the server stays" {
	local node
	fake_ctl PUT /state '{"servers": []}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	node=$(jq -r '.provision.servers[0].name' <<<"$output")
	SID=$(reg ".nodes[] | select(.id == \"$node\") | .cloud.server_id")
	pp-registry -q status "$node" ready
	pp-registry -q place "$node" mc-1 2048 --players 3
	copy_row "$node" pp-copy
	[[ $(reg "[.nodes[] | select(.cloud.server_id == \"$SID\")] |
		length") == 2 ]]
	pp-fleetstats --no-record --now 2026-11-27T10:00:00Z |
		pp-decide --now 2026-11-27T10:00:00Z > /dev/null 2>&1
	fake_ctl DELETE /log >/dev/null
	: > "$EVENTS"
	run --separate-stderr bash -c 'pp-fleetstats --no-record \
		--now 2026-11-27T10:52:00Z | pp-decide --now 2026-11-27T10:52:00Z |
		pp-drain --now 2026-11-27T10:52:00Z |
		pp-provision --now 2026-11-27T10:52:00Z'
	assert_failure 1
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-copy"
	jq_is .drain.empty true
	jq_is .provision.status refused
	jq_is '.provision.servers[0] | [.op, .node, .server_id, .status,
		.error.code] | join(",")' \
		"delete,pp-copy,$SID,refused,duplicate_server"
	jq_is .provision.reason "server $SID of node 'pp-copy' is named by node '$node' too (a registry row copied under another id?): its delete would take that node's server; remove the duplicated row from the registry"
	assert_stderr_contains "pp-provision: refusing to delete: server $SID of node 'pp-copy' is named by node '$node' too"
	# pp-fleetstats said so before, once
	assert_stderr_contains "pp-fleetstats: nodes '$node' and 'pp-copy' name the same cloud server $SID: pp-provision refuses to delete it while they do; remove the duplicated row from the registry"
	[[ $(grep -c "name the same cloud server" <<<"$stderr") == 1 ]]
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq --arg id "$SID" '[.servers[] |
		select((.id | tostring) == $id)] | length') == 1 ]]
	[[ $(reg ".nodes[] | select(.id == \"$node\") |
		\"\(.status) \(.containers | length)\"") == "ready 1" ]]
	run jq -r 'select(.type == "scaling.failed") | [.node, .result,
		.server_id, .reason] | join(",")' "$EVENTS"
	assert_output --partial "pp-copy,refused,$SID,server $SID of node 'pp-copy' is named by node '$node' too"
}

@test "scale_down waits while the drain section says the node is not empty" {
	cloud_node draining
	run --separate-stderr pp-provision < <(down_doc false)
	assert_success
	jq_is .provision.status skipped
	jq_is '.provision.servers | length' 0
	[[ $(deletes) == 0 ]]
	[[ $(reg '.nodes | length') == 2 ]]
	run --separate-stderr pp-provision < <(decision scale_down 1 cx33 \
		nbg1 pp-old111)
	assert_success
	jq_is .provision.status skipped
	[[ $(deletes) == 0 ]]
}

@test "a node whose server is already gone is removed with a warning" {
	cloud_node draining
	fake_ctl PUT /state '{"servers": []}' >/dev/null
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is '.provision.servers[0].status' removed
	assert_stderr_contains "already gone"
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
}

@test "a delete that fails keeps the node and exits 1" {
	cloud_node draining
	fake_fault '{"method": "DELETE", "action_error": {"code": "locked",
		"message": "server is locked"}}' >/dev/null
	run --separate-stderr pp-provision < <(down_doc true)
	assert_failure 1
	jq_is .provision.status failed
	jq_is '.provision.servers[0].error.code' locked
	[[ $(reg '.nodes[1].id') == pp-old111 ]]
	run jq -r .type "$EVENTS"
	assert_output scaling.failed
}

# guarded_node NAME LABELS_JSON: a draining node whose server_id points
# at a server seeded with those labels (a stale entry, a typo)
guarded_node() {
	fake_ctl PUT /state '{"servers": []}' >/dev/null
	SID=$(fake_seed "{\"servers\": [{\"name\": \"$1\",
		\"location\": \"nbg1\", \"labels\": $2}]}" |
		jq -r '.servers[0].id')
	fake_ctl DELETE /log >/dev/null
	cloud_node draining
}

# refused_loudly REASON: exit 1, no DELETE, server and node still there,
# a scaling.failed event whose reason names the server
refused_loudly() {
	assert_failure 1
	jq_is .provision.status refused
	jq_is '.provision.servers[0].error.code' not_ours
	assert_stderr_contains "refusing to delete: server $SID"
	assert_stderr_contains "$1"
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq --arg id "$SID" \
		'[.servers[] | select((.id | tostring) == $id)] | length') == 1 ]]
	[[ $(reg '[.nodes[] | select(.id == "pp-old111")] | length') == 1 ]]
	run jq -r 'select(.type == "scaling.failed") | .result + " " +
		.server_id + " " + .reason' "$EVENTS"
	assert_output --partial "refused $SID refusing to delete: server $SID"
}

@test "delete guard: a node pointing at a server without our label is never deleted" {
	guarded_node prod-db '{}'
	run --separate-stderr pp-provision < <(down_doc true)
	refused_loudly "('prod-db') does not carry our label managed_by=ppscale"
}

@test "delete guard: a node pointing at a server of another pool is never deleted" {
	guarded_node pp-old111 '{"managed_by": "ppscale", "role": "worker",
		"pool": "eu-batch"}'
	run --separate-stderr pp-provision < <(down_doc true)
	refused_loudly "belongs to pool 'eu-batch', not 'default'; if it is this install's, set cloud.pool back to 'eu-batch', or relabel it ('hcloud server add-label --overwrite $SID pool=default')"
}

# cloud.pool unset on a running install: its own servers, labelled with
# the old pool, are out of its view; the guard still refuses them (a
# pool is not ours to guess) but says the way out, which works
@test "delete guard: with cloud.pool unset, a node on a server labelled with the old pool is refused with the way out" {
	cloud_node draining
	sed -i 's/^cloud:$/cloud:\n  pool: null/' "$PP_CONFIG"
	run --separate-stderr pp-provision < <(down_doc true)
	refused_loudly "belongs to pool 'default', and cloud.pool is unset (no pool); if it is this install's, set cloud.pool back to 'default', or relabel it ('hcloud server remove-label $SID pool')"
	if command -v hcloud >/dev/null; then
		HCLOUD_CONFIG=$BATS_TEST_TMPDIR/cli.toml \
			hcloud server remove-label "$SID" pool >/dev/null
	else
		fake_ctl PUT /state "$(fake_state | jq -c \
			'del(.servers[0].labels.pool) | {servers}')" >/dev/null
	fi
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' delete:removed
	[[ $(fake_state | jq '.servers | length') == 0 ]]
}

# the other way: a pool set on an install that ran without one
@test "delete guard: with cloud.pool set, a node on our server without a pool label is refused with the way out" {
	guarded_node pp-old111 '{"managed_by": "ppscale", "role": "worker"}'
	run --separate-stderr pp-provision < <(down_doc true)
	refused_loudly "; if it is this install's, unset cloud.pool again, or relabel it ('hcloud server add-label $SID pool=default')"
}

@test "delete guard: a node pointing at our server of another name is never deleted" {
	guarded_node pp-other9 '{"managed_by": "ppscale", "role": "worker",
		"pool": "default"}'
	run --separate-stderr pp-provision < <(down_doc true)
	refused_loudly "is named 'pp-other9', not 'pp-old111'"
}

@test "delete guard: a provisioning node past boot_timeout whose server is not ours is never deleted" {
	fake_ctl PUT /state '{"servers": []}' >/dev/null
	SID=$(fake_seed '{"servers": [{"name": "pp-old111",
		"location": "nbg1", "status": "off", "labels": {}}]}' |
		jq -r '.servers[0].id')
	fake_ctl DELETE /log >/dev/null
	cloud_node provisioning
	run --separate-stderr pp-provision < <(decision none 0)
	assert_failure 1
	assert_stderr_contains "refusing to delete: server $SID ('pp-old111') does not carry our label"
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '[.nodes[] | select(.id == "pp-old111")] | length') == 1 ]]
	run jq -r 'select(.type == "scaling.failed") | .reason' "$EVENTS"
	assert_output --partial "refusing to delete: server $SID"
}

@test "uncordon and none pass through untouched, with one look at our pool's servers and no change" {
	local a in
	cloud_node ready
	for a in uncordon none; do
		in=$(decision $a 0 cx23 nbg1 pp-old111 |
			jq -c '.drain = {node: "pp-old111", status: "uncordoned"}')
		run --separate-stderr pp-provision <<<"$in"
		assert_success
		[[ $(jq -S . <<<"$output") == $(jq -S . <<<"$in") ]] ||
			fail "$a: document changed: $output"
	done
	# converging every cycle costs one list, and changes nothing here
	[[ $(fake_log | jq -r '[.requests[] | .method + " " + .path + "?" +
		.query] | join(",")') == "GET /servers?label_selector=managed_by%3Dppscale%2Cpool%3Ddefault&per_page=50&page=1&sort=id:asc,GET /servers?label_selector=managed_by%3Dppscale%2Cpool%3Ddefault&per_page=50&page=1&sort=id:asc" ]]
	[[ ! -e $EVENTS ]]
}

@test "a delete answered 423 locked while the server's start_server runs is retried, and the server is deleting until its action is done" {
	# actions by time, as the real API: the server is re-made by a
	# create whose create_server and start_server run 1 s each; a
	# 423 is retried until the deadline, however few the retries
	sed -i 's/^  retries: .*/  retries: 1/' "$PP_CONFIG"
	fake_ctl PUT /state '{"servers": []}' >/dev/null
	fake_config '{"action_seconds": 1}' >/dev/null
	SID=$(curl -sS -X POST -H "Authorization: Bearer $FAKE_TOKEN" \
		-H 'Content-Type: application/json' --data-binary \
		'{"name": "pp-old111", "server_type": "cx33", "image":
		"debian-12", "location": "nbg1", "labels": {"managed_by":
		"ppscale", "role": "worker", "pool": "default"}}' \
		"$FAKE_URL/servers" | jq -r .server.id)
	fake_ctl DELETE /log >/dev/null
	cloud_node draining
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is '.provision.servers[0] | [.op, .status] | join(",")' \
		delete,removed
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
	# at least one 423, then the delete that took
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE" and
		.status == 423)] | length') -ge 1 ]]
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE" and
		.status == 200)] | length') == 1 ]]
}


@test "a scale-down of a node whose server is being deleted already sends no second DELETE and removes the node" {
	cloud_node draining
	hand_delete "$SID"
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is .provision.status done
	jq_is '.provision.servers[0] | [.op, .server_id, .status] |
		join(",")' "delete,$SID,removed"
	assert_stderr_contains "server $SID is being deleted already"
	refute_stderr_contains orphan
	refute_stderr_contains locked
	[[ $(deletes) == 0 ]]
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
	run jq -r '[.type, .node, .server_id] | join(",")' "$EVENTS"
	assert_output "node.removed,pp-old111,$SID"
}

# Someone else's delete begun between the guard's look and our DELETE:
# the API answers 423 locked until it ends; the server is going.
@test "a scale-down whose server someone else starts deleting after the guard looked sends one DELETE and removes the node" {
	cloud_node draining
	fake_fault "{\"method\": \"GET\", \"path\": \"/servers/$SID\",
		\"delete_after\": true}" >/dev/null
	run --separate-stderr pp-provision < <(down_doc true)
	assert_success
	jq_is .provision.status done
	jq_is '.provision.servers[0] | [.op, .server_id, .status] |
		join(",")' "delete,$SID,removed"
	assert_stderr_contains "server $SID is being deleted already"
	# one DELETE, answered 423 locked, then one look: no retry
	[[ $(fake_log | jq -r '[.requests[] | select(.path ==
		"/servers/'"$SID"'") | "\(.method) \(.status)"] | join(",")') == \
		"GET 200,DELETE 423,GET 200" ]]
	[[ $(fake_state | jq -r '.servers[0].status') == deleting ]]
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
	run jq -r '[.type, .node, .server_id] | join(",")' "$EVENTS"
	assert_output "node.removed,pp-old111,$SID"
}

# The registry lock is held across the delete, bounded to 20 s
# (DELETE_LOCK_BUDGET, ppscale-registry(5)); the platform waits for it.
# The bound must hold for requests in flight, not only for the waits
# between them: here every request is slow, and the delete action's poll
# hangs past the default 30 s request timeout.
@test "a slow delete holds the registry lock at most 20 s, and a delete the API took is done when the deadline ends the wait" {
	[[ ${PP_REG_BACKEND:-file} == file ]] ||
		skip "the registry lock file is the file backend's"
	local t0 rc waited
	sed -i 's/^  request_timeout: .*/  request_timeout: 30s/' "$PP_CONFIG"
	cloud_node draining
	fake_fault "{\"method\": \"GET\", \"path\": \"/servers/$SID\",
		\"slow\": 12}" >/dev/null
	fake_fault "{\"method\": \"DELETE\", \"path\": \"/servers/$SID\",
		\"slow\": 5}" >/dev/null
	fake_fault '{"method": "GET", "path": "/actions/", "slow": 40}' \
		>/dev/null
	pp-provision < <(down_doc true) > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" &
	# the guard GET is running: pp-provision holds the lock
	fake_wait_for_log '.method == "GET" and .path == "/servers/'"$SID"'"'
	t0=$(date +%s%N)
	rc=0
	flock -w 25 -x "$REG.lock" true || rc=$?
	waited=$((($(date +%s%N) - t0) / 1000000))
	wait $! || fail "pp-provision failed: $(<"$BATS_TEST_TMPDIR/err")"
	(( rc == 0 )) || fail "the lock was held for more than 25 s"
	((waited < 22000)) || fail "the lock was held $waited ms more"
	output=$(<"$BATS_TEST_TMPDIR/out")
	stderr=$(<"$BATS_TEST_TMPDIR/err")
	jq_is .provision.status done
	jq_is '.provision.servers[0].status' removed
	assert_stderr_contains "the delete was accepted"
	[[ $(reg '[.nodes[].id] | join(",")') == ded-1 ]]
	# the API took it: deleting until its action (never polled to its
	# end here) is done
	[[ $(fake_state | jq -r '[.servers[].status] | join(",")') == \
		deleting ]]
	run jq -r .type "$EVENTS"
	assert_output node.removed
}

# SIGTERM (pp-cycle, systemd) stops a run at its next safe point; a
# request answered 429 is retried until the deadline, and the retries
# must not outlast the stop.
@test "SIGTERM stops the retries of a request answered 429 at once, and nothing is deleted" {
	local pid t0 took rc=0
	cloud_node draining
	fake_fault "{\"method\": \"GET\", \"path\": \"/servers/$SID\",
		\"status\": 429, \"count\": 0}" >/dev/null
	pp-provision < <(down_doc true) > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	fake_wait_for_log '.status == 429'
	sleep 0.3
	t0=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	took=$((($(date +%s%N) - t0) / 1000000))
	((rc == 1)) || fail "exit $rc: $(<"$BATS_TEST_TMPDIR/err")"
	((took < 1500)) || fail "stopped $took ms after SIGTERM"
	output=$(<"$BATS_TEST_TMPDIR/out")
	stderr=$(<"$BATS_TEST_TMPDIR/err")
	assert_stderr_contains "interrupted"
	jq_is '.provision.servers[0].error.message |
		contains("(interrupted: not retried)")' true
	[[ $(deletes) == 0 ]]
	[[ $(reg '[.nodes[] | select(.id == "pp-old111")] | length') == 1 ]]
}

# ---- delete protection ------------------------------------------------
# A cloud server an operator protected against deletion (Hetzner's delete
# protection, set in the console or with `hcloud server enable-protection`):
# the API answers its DELETE with 423 protected for as long as it holds.
# pp-provision records the protection on the node from its listing, the
# engine never picks the node to go and stops a drain of it, pp-drain
# refuses to drain it for a scale-down, and nothing is sent to delete it.

# protect true|false: the API call the console and the CLI make
protect() {
	curl -fsS -X POST -H "Authorization: Bearer $FAKE_TOKEN" \
		-H 'Content-Type: application/json' -d "{\"delete\": $1}" \
		"$FAKE_URL/servers/$SID/actions/change_protection" >/dev/null
}

# cycle NOW: one whole cycle; its document in $output, its stderr in
# $BATS_TEST_TMPDIR/err
cycle() {
	pp-fleetstats --no-record --now "$1" | pp-decide --now "$1" |
		pp-drain --now "$1" | pp-provision --now "$1" \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" ||
		fail "cycle at $1: $(<"$BATS_TEST_TMPDIR/err")"
	output=$(<"$BATS_TEST_TMPDIR/out")
}

protected_mark() {
	reg '.nodes[] | select(.id == "pp-old111") |
		.cloud.delete_protected // false'
}

# Unprotected, this node goes at 10:52 (the unneeded rule, in the last
# 10 minutes of its paid hour); protected, it stays, and once the
# protection is lifted it goes in the next hour's window.
@test "a delete-protected server's node is recorded, kept, and removed once the protection is lifted" {
	local now
	cloud_node ready
	protect true
	cycle 2026-11-27T10:00:00Z
	[[ $(protected_mark) == true ]]
	grep -q "node 'pp-old111': its server $SID is delete-protected in the cloud" \
		"$BATS_TEST_TMPDIR/err" || fail "no warning: $(<"$BATS_TEST_TMPDIR/err")"
	jq_is '[.nodes[] | select(.id == "pp-old111") | .delete_protected] |
		length' 1
	# pp-status names it, from the snapshot pp-fleetstats records
	pp-fleetstats --now 2026-11-27T10:01:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T10:01:00Z
	assert_success
	assert_output --partial "protected  pp-old111: delete-protected in the cloud, never removed until the protection is lifted"
	run --separate-stderr pp-status --now 2026-11-27T10:01:00Z --json
	jq_is '.delete_protected | join(",")' pp-old111
	for now in 2026-11-27T10:20:00Z 2026-11-27T10:52:00Z \
	    2026-11-27T10:56:00Z; do
		cycle "$now"
		jq_is .decision.action none
		jq_is '.nodes[] | select(.id == "pp-old111") | .delete_protected' \
			true
	done
	[[ $(deletes) == 0 ]]
	[[ $(reg '.nodes[] | select(.id == "pp-old111") | .status') == ready ]]
	protect false
	cycle 2026-11-27T11:40:00Z
	[[ $(protected_mark) == false ]]
	pp-fleetstats --now 2026-11-27T11:41:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T11:41:00Z
	refute_output --partial "protected  "
	cycle 2026-11-27T11:45:00Z
	cycle 2026-11-27T11:52:00Z
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	jq_is '.provision.servers[0] | [.op, .status] | join(",")' \
		"delete,removed"
	[[ $(deletes) == 1 ]]
	[[ $(fake_state | jq '.servers | length') == 0 ]]
}

# Protected after the drain began: pp-provision sends no DELETE (the
# guard reads the protection), says so, and the next cycle puts the node
# back to work instead of draining it again every cycle.
@test "a server protected while its node drains is not deleted, and the next cycle returns the node" {
	cloud_node draining '[]' '{"draining_since": "2026-11-27T10:48:00Z",
		"draining_by": "scale_down"}'
	protect true
	cycle 2026-11-27T10:52:00Z
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	jq_is .provision.status refused
	jq_is '.provision.servers[0] | [.op, .status, .error.code] | join(",")' \
		"delete,refused,protected"
	grep -q "is delete-protected" "$BATS_TEST_TMPDIR/err" ||
		fail "no warning: $(<"$BATS_TEST_TMPDIR/err")"
	[[ $(deletes) == 0 ]]
	[[ $(protected_mark) == true ]]
	run jq -r 'select(.node == "pp-old111") | [.type, .result] | join(",")' \
		"$EVENTS"
	assert_output "scaling.failed,refused"
	cycle 2026-11-27T10:54:00Z
	jq_is '.decision | [.action, .node] | join(" ")' "uncordon pp-old111"
	jq_is .drain.status uncordoned
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		"\(.status) \(.draining_by // "-")"') == "ready -" ]]
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

# Decided on a snapshot: the protection pp-provision records after the
# decision stops pp-drain before it moves a game server.
@test "pp-drain refuses a scale-down of a node recorded as delete-protected since the decision" {
	cloud_node ready '[{"id": "mc-1", "ram_mb": 2048,
		"state": "running", "players": 3}]'
	pp-fleetstats --no-record --now 2026-11-27T10:00:00Z |
		pp-decide --now 2026-11-27T10:00:00Z >/dev/null
	pp-fleetstats --no-record --now 2026-11-27T10:52:00Z |
		pp-decide --now 2026-11-27T10:52:00Z > "$BATS_TEST_TMPDIR/doc"
	output=$(<"$BATS_TEST_TMPDIR/doc")
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	protect true
	# any run of pp-provision (here on the newest snapshot, which
	# decides nothing) records it from its listing
	pp-fleetstats --no-record --now 2026-11-27T10:52:00Z |
		pp-provision --now 2026-11-27T10:52:00Z >/dev/null 2>&1
	[[ $(protected_mark) == true ]]
	run --separate-stderr pp-drain --now 2026-11-27T10:52:00Z \
		< "$BATS_TEST_TMPDIR/doc"
	jq_is .drain.status refused
	jq_is .drain.reason "node 'pp-old111' is delete-protected in the cloud (cloud.delete_protected): a scale-down could not remove its server"
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		"\(.status) \(.containers | length)"') == "ready 1" ]]
	[[ $(deletes) == 0 ]]
}

# A dry run reads the protection and says what it would do, changing
# nothing.
@test "a dry run reports the protection and records nothing" {
	cloud_node draining '[]' '{"draining_since": "2026-11-27T10:48:00Z",
		"draining_by": "scale_down"}'
	protect true
	local before
	before=$(prov_store_sum "$REG")
	run --separate-stderr bash -c 'pp-fleetstats --no-record \
		--now 2026-11-27T10:52:00Z | pp-decide --now 2026-11-27T10:52:00Z |
		pp-drain --now 2026-11-27T10:52:00Z |
		pp-provision --dry-run --now 2026-11-27T10:52:00Z'
	assert_success
	jq_is '.provision.servers[0] | [.op, .status, .error.code] | join(",")' \
		"delete,refused,protected"
	[[ $stderr == *"is delete-protected in the cloud"* ]]
	[[ $(protected_mark) == false ]]
	[[ $(deletes) == 0 ]]
}

# stranded_events: the scaling.failed events of the seeded server
stranded_events() {
	jq -s --arg id "$SID" '[.[] | select(.type == "scaling.failed" and
		.server_id == $id)] | length' "$EVENTS" 2>/dev/null || echo 0
}

# A node's server relabelled into another pool (cloud.pool changed by
# hand on the server, or on the install) is not ours to delete: the
# delete guard refuses it. Drained before the relabel, the node was a
# drain nothing could finish, and each cycle drained it again, refused
# its delete (exit 1, an event) and kept it out of service for good.
@test "a node drained by a scale-down whose server is relabelled into another pool is refused once and returned to service the next cycle" {
	cloud_node draining '[]' '{"draining_since": "2026-11-27T10:48:00Z",
		"draining_by": "scale_down"}'
	strand pp-old111 eu-batch
	cycle 2026-11-27T10:52:00Z
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	jq_is .provision.status refused
	jq_is '.provision.servers[0] | [.op, .status, .error.code] | join(",")' \
		"delete,refused,not_ours"
	jq_is '.provision.reason' "node 'pp-old111' is not removed: refusing to delete: server $SID ('pp-old111') belongs to pool 'eu-batch', not 'default'; if it is this install's, set cloud.pool back to 'eu-batch', or relabel it ('hcloud server add-label --overwrite $SID pool=default'); the next cycle returns it to service"
	run jq -r '.stranded_servers | keys | join(",")' "$STATE"
	assert_output "$SID"
	[[ $(stranded_events) == 1 ]]
	# the next document marks it, and the decision gives it back
	cycle 2026-11-27T10:54:00Z
	jq_is '.nodes[] | select(.id == "pp-old111") | .stranded' true
	jq_is '.decision | [.action, .node] | join(" ")' "uncordon pp-old111"
	jq_is .decision.reason "stop draining pp-old111: a scale-down drained it, but this ppscale cannot delete it (its server no longer carries our labels, as pp-provision reported: stranded), so nothing would finish the drain"
	jq_is .drain.status uncordoned
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		"\(.status) \(.draining_by // "-")"') == "ready -" ]]
	# and it stays in service, never drained again, with nothing said
	for now in 2026-11-27T10:56:00Z 2026-11-27T11:52:00Z; do
		cycle "$now"
		jq_is '.decision.action' none
		[[ $(reg '.nodes[] | select(.id == "pp-old111") | .status') == \
			ready ]]
		grep -q pp-old111 "$BATS_TEST_TMPDIR/err" &&
			fail "said again at $now: $(<"$BATS_TEST_TMPDIR/err")"
	done
	[[ $(stranded_events) == 1 ]]
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

# Ready, with a game server on it, in the last minutes of its paid
# hour: the unneeded rule would remove it (see the delete-protected
# test above), pp-drain would move its players off a healthy node, and
# the delete would be refused.
@test "a node whose server is relabelled into another pool is never chosen to go, and its players stay" {
	cloud_node ready '[{"id": "mc-1", "ram_mb": 2048, "state": "running",
		"players": 3}]'
	strand pp-old111 eu-batch
	cycle 2026-11-27T10:00:00Z
	grep -q "node 'pp-old111': its server $SID ('pp-old111') does not carry our labels" \
		"$BATS_TEST_TMPDIR/err" || fail "no warning: $(<"$BATS_TEST_TMPDIR/err")"
	[[ $(stranded_events) == 1 ]]
	for now in 2026-11-27T10:20:00Z 2026-11-27T10:52:00Z \
	    2026-11-27T10:56:00Z 2026-11-27T11:52:00Z; do
		cycle "$now"
		jq_is '.nodes[] | select(.id == "pp-old111") | .stranded' true
		jq_is .decision.action none
		jq_is 'has("drain")' false
	done
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		"\(.status) \(.containers | length)"') == "ready 1" ]]
	[[ $(stranded_events) == 1 ]]
	[[ $(deletes) == 0 ]]
}

# pp-decide reads the state's stranded_servers itself: a document that
# does not mark the node (here made by pp-fleetstats before pp-provision
# recorded the server; the same when pp-fleetstats cannot read the
# state) never has it chosen to go.
@test "pp-decide never picks a stranded node to remove, from its own state, on a document that does not mark it" {
	local doc=$BATS_TEST_TMPDIR/doc.json
	cloud_node ready '[{"id": "mc-1", "ram_mb": 2048, "state": "running",
		"players": 3}]'
	# unneeded from 10:40; its paid hour's last 10 minutes from 10:50
	cycle 2026-11-27T10:40:00Z
	jq_is .decision.action none
	strand pp-old111 eu-batch
	# recorded: pp-status reads this snapshot
	pp-fleetstats --now 2026-11-27T10:52:00Z > "$doc"
	[[ $(jq '[.nodes[] | select(.stranded)] | length' "$doc") == 0 ]]
	# the control: that document, with no stranded server recorded,
	# removes the node in this window
	run --separate-stderr pp-decide --dry-run --now 2026-11-27T10:52:00Z \
		< "$doc"
	assert_success
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	# a cycle at 10:45 (outside the window): pp-provision records it
	cycle 2026-11-27T10:45:00Z
	jq_is .decision.action none
	run jq -r '.stranded_servers | keys | join(",")' "$STATE"
	assert_output "$SID"
	# pp-status's verdicts from that snapshot mark it as pp-decide does
	run --separate-stderr pp-status --json --now 2026-11-27T10:52:00Z
	assert_success
	jq_is '[.policies[] | select(.name == "unneeded") | .verdict] |
		join(",")' none
	run --separate-stderr pp-decide --now 2026-11-27T10:52:00Z < "$doc"
	assert_success
	jq_is .decision.action none
	# pp-fleetstats reads the state for its mark without waiting for
	# the lock (30 s) that a stuck run may hold
	exec 9> "$STATE.lock"
	flock -x 9
	run --separate-stderr timeout 20 pp-fleetstats --no-record \
		--now 2026-11-27T10:53:00Z
	exec 9>&-
	assert_success
	jq_is '.nodes[] | select(.id == "pp-old111") | .stranded' true
}

# A node whose server was deleted by hand is no stranded one: with game
# servers recorded on it, the unneeded rule still drains it (the drain
# takes it out of the capacity counted, and pp-provision then forgets
# the node), as before stranded nodes were held back.
@test "a reconciling document's lost node whose server was deleted by hand is still removed" {
	sed -i 's/^cloud:$/cloud:\n  reconcile: true/' "$PP_CONFIG"
	cloud_node ready '[{"id": "mc-1", "ram_mb": 2048, "state": "running"}]'
	cycle 2026-11-27T10:00:00Z
	# deleted by hand, and gone
	fake_ctl PUT /state "$(fake_state | jq -c '{servers: [.servers[] |
		select(.name != "pp-old111")]}')" >/dev/null
	cycle 2026-11-27T10:52:00Z
	jq_is '[.reconciliation.lost[] | .node + ":" +
		(.stranded // false | tostring)] | join(",")' "pp-old111:false"
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	jq_is '.nodes[] | select(.id == "pp-old111") | has("stranded")' false
}

# move_hook [YAML]: the test move hook (t/fixtures/drain/move-hook) as
# drain.move_command, with more drain keys (indented two spaces)
move_hook() {
	HOOK_LOG=$BATS_TEST_TMPDIR/hook.log
	export HOOK_LOG
	printf 'drain:\n  move_command: ["%s", "{server}", "--from={from}", "{to}", "{to_ip}"]\n%s\n' \
		"$FIXTURES/drain/move-hook" "${1:-  move_timeout: 30s}" \
		>> "$PP_CONFIG"
}

# drained_doc: pp-old111 (ready, empty) chosen at 10:52 and drained
# then: the decision's document in $BATS_TEST_TMPDIR/dec.json, the
# drain's (empty) in $BATS_TEST_TMPDIR/doc1.json
drained_doc() {
	cloud_node ready
	pp-fleetstats --no-record --now 2026-11-27T10:00:00Z |
		pp-decide --now 2026-11-27T10:00:00Z > /dev/null
	pp-fleetstats --no-record --now 2026-11-27T10:52:00Z |
		pp-decide --now 2026-11-27T10:52:00Z > "$BATS_TEST_TMPDIR/dec.json"
	pp-drain --now 2026-11-27T10:52:00Z < "$BATS_TEST_TMPDIR/dec.json" \
		> "$BATS_TEST_TMPDIR/doc1.json"
	output=$(<"$BATS_TEST_TMPDIR/doc1.json")
	jq_is '.decision | [.action, .node] | join(" ")' "scale_down pp-old111"
	jq_is '.drain | [.status, .draining_since] | join(" ")' \
		"empty 2026-11-27T10:52:00Z"
}

# A scale-down is carried out however old its document (a drain takes
# long), so an operator retrying a delete that failed replays the old
# document. The node has been returned to service since, a maintenance
# drain is moving a game server onto it, and a later cycle drained it
# again: the old document's drain is not this one, and nothing is
# deleted under the game server on its way there.
@test "a replayed document of an earlier drain deletes nothing while a later drain is under way" {
	local go=$BATS_TEST_TMPDIR/go mover
	drained_doc
	move_hook
	# load came back; then ded-1 is drained by hand, its game server
	# moved onto pp-old111 by a slow hook
	pp-drain --node pp-old111 --uncordon --now 2026-11-27T10:53:00Z \
		> /dev/null
	pp-registry -q place ded-1 mc-g 2048
	HOOK_ALSO='touch "$BATS_TEST_TMPDIR/moving"; while [ ! -e "$BATS_TEST_TMPDIR/go" ]; do sleep 0.05; done' \
		pp-drain --node ded-1 --now 2026-11-27T10:54:00Z \
		> "$BATS_TEST_TMPDIR/mover.out" 2>&1 &
	mover=$!
	wait_exists "$BATS_TEST_TMPDIR/moving" || fail "the move never started"
	# the next cycle drains pp-old111 again, and waits for the move
	DOC_AT=2026-11-27T10:56:00Z decision scale_down 1 cx33 nbg1 pp-old111 |
		pp-drain --now 2026-11-27T10:56:00Z > "$BATS_TEST_TMPDIR/doc3.json"
	output=$(<"$BATS_TEST_TMPDIR/doc3.json")
	jq_is '.drain | [.node, .status, .draining_since] | join(" ")' \
		"pp-old111 in_progress 2026-11-27T10:56:00Z"
	# the failed delete retried: the old document
	run --separate-stderr pp-provision --now 2026-11-27T10:57:00Z \
		< "$BATS_TEST_TMPDIR/doc1.json"
	assert_success
	jq_is .provision.status refused
	jq_is '.provision.servers[0] | [.op, .status] | join(",")' \
		delete,refused
	jq_is .provision.reason "node 'pp-old111' has been draining since 2026-11-27T10:56:00Z, but the document's drain began 2026-11-27T10:52:00Z: the document is of another drain than the one under way"
	assert_stderr_contains "refusing to delete: node 'pp-old111' has been draining since"
	run jq -r 'select(.node == "pp-old111" and .type == "scaling.failed") |
		.result' "$EVENTS"
	assert_output refused
	touch "$go"
	wait "$mover" || fail "the move failed: $(<"$BATS_TEST_TMPDIR/mover.out")"
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '.nodes[] | select(.id == "pp-old111") |
		[.status, (.containers[].id)] | join(" ")') == "draining mc-g" ]]
}

# The same drain as the document's (pp-drain said empty, and it is
# still the drain under way: here returned to service and drained again
# within the same second), but a game server is on its way onto the
# node: another pp-drain holds the node's target lock, or a move onto it
# is in the state that the registry does not show yet (its hook timed
# out). pp-drain would not call the node empty now; nor does
# pp-provision delete it.
@test "no delete while a move onto the node is under way or unsettled" {
	local held=$BATS_TEST_TMPDIR/held go=$BATS_TEST_TMPDIR/go
	drained_doc
	# a move under way: its target lock held
	flock "$PP_STATE_DIR/drain-target-pp-old111.lock" sh -c \
		'touch "$1"; while [ ! -e "$2" ]; do sleep 0.05; done' \
		sh "$held" "$go" &
	wait_exists "$held"
	run --separate-stderr pp-provision --now 2026-11-27T10:53:00Z \
		< "$BATS_TEST_TMPDIR/doc1.json"
	touch "$go"
	wait
	assert_success
	jq_is .provision.status refused
	jq_is .provision.reason "a pp-drain is moving a game server onto node 'pp-old111'"
	[[ $(deletes) == 0 ]]
	# a move onto it whose hook timed out: its intent stays
	move_hook '  move_timeout: 1s'
	pp-drain --node pp-old111 --uncordon --now 2026-11-27T10:52:00Z \
		> /dev/null
	pp-registry -q place ded-1 mc-g 2048
	HOOK_SLEEP=10 pp-drain --node ded-1 --now 2026-11-27T10:52:00Z \
		> /dev/null 2>&1 || true
	[[ $(jq -r '[.unrecorded_moves[] | .server, .from, .to, .state] |
		join(" ")' "$STATE") == "mc-g ded-1 pp-old111 intent" ]]
	# drained again, while a pp-drain of ded-1 holds its node (the
	# move is not run again meanwhile)
	rm -f "$held" "$go"
	flock "$PP_STATE_DIR/drain-ded-1.lock" sh -c \
		'touch "$1"; while [ ! -e "$2" ]; do sleep 0.05; done' \
		sh "$held" "$go" &
	wait_exists "$held"
	DOC_AT=2026-11-27T10:52:00Z decision scale_down 1 cx33 nbg1 pp-old111 |
		pp-drain --now 2026-11-27T10:52:00Z > "$BATS_TEST_TMPDIR/doc2.json"
	touch "$go"
	wait
	output=$(<"$BATS_TEST_TMPDIR/doc2.json")
	jq_is .drain.status in_progress
	[[ $(reg '.nodes[] | select(.id == "pp-old111") | .status') == \
		draining ]]
	# the empty drain's document, as of this drain (its start is
	# 10:52:00 and the time the cordon took, a second under valgrind):
	# only the move can refuse it
	jq --arg s "$(reg '.nodes[] | select(.id == "pp-old111") |
		.draining_since')" '.drain.draining_since = $s' \
		"$BATS_TEST_TMPDIR/doc1.json" > "$BATS_TEST_TMPDIR/doc1b.json"
	run --separate-stderr pp-provision --now 2026-11-27T10:53:00Z \
		< "$BATS_TEST_TMPDIR/doc1b.json"
	assert_success
	jq_is .provision.status refused
	jq_is .provision.reason "a pp-drain was moving game server 'mc-g' onto or off node 'pp-old111' and nothing says yet where it is"
	[[ $(deletes) == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '.nodes[] | select(.id == "pp-old111") | .status') == draining ]]
}
