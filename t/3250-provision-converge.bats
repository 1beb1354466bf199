#!/usr/bin/env bats
# Issue 13 item 2: pp-provision converges our pool every cycle,
# whatever the decision: an unregistered server of ours older than
# cloud.orphan_grace is adopted when the decision wants capacity and
# deleted otherwise; a node whose server is gone is removed; each is an
# event, a counter and a warning -q does not hide. Everything selects
# on managed_by AND pool.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/provision'
	prov_fake_file pp-secret-token-3250
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/provision'
	prov_fake_test
	NOW=2026-11-27T10:00:00Z
	# the hand-made decisions are made at the runs' clock: one from
	# the real clock would be warned of (ahead of --now), and the
	# tests count the warnings
	DOC_AT=$NOW
}

# seed NAME CREATED POOL: a running server with our labels (pool POOL)
seed() {
	fake_seed "$(jq -nc --arg n "$1" --arg c "$2" --arg p "$3" \
		'{servers: [{name: $n, created: $c, server_type: "cx33",
		labels: {managed_by: "ppscale", role: "worker", pool: $p}}]}')" |
		jq -r '.servers[0].id'
}

names() {
	fake_state | jq -r '[.servers[].name] | sort | join(",")'
}

@test "an unregistered server of ours past cloud.orphan_grace is deleted when nothing wants capacity, loudly even with -q" {
	sid=$(seed pp-orph01 2026-11-27T09:50:00Z default)
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(names) == "" ]]
	assert_stderr_contains "orphan: server 'pp-orph01' (id $sid, running, 600 s old) carries our labels but is in no registry node"
	jq_is '.provision.servers[0] | .op + ":" + .status' delete_orphan:deleted
	run jq -r 'select(.type == "node.removed") | .server_id + " " +
		.reason' "$EVENTS"
	assert_output --partial "$sid orphan: server 'pp-orph01'"
	run jq -r '.counters.pp_scaling_events_total["action=delete_orphan,result=success"]' "$STATE"
	assert_output 1
	# guarded: its labels were read again before the DELETE
	run jq -r '[.requests[] | .method + " " + .path] | join(",")' \
		<<<"$(fake_log)"
	assert_output "GET /servers,GET /servers/$sid,DELETE /servers/$sid,GET /actions/9000001"
}

# which servers were nodes is in the state: unread, none is deleted
@test "with a state that cannot be read, no orphan is deleted nor adopted: whether it was a node is unknown" {
	# one within cloud.orphan_grace and one delete-protected: neither
	# is deleted anyway, and a scale-up adopts both when it can tell
	seed pp-young05 2026-11-27T09:59:00Z default >/dev/null
	fake_seed "$(jq -nc '{servers: [{name: "pp-prot05", created:
		"2026-11-27T09:00:00Z", server_type: "cx33", "protection":
		{"delete": true}, labels: {managed_by: "ppscale", role: "worker",
		pool: "default"}}]}')" >/dev/null
	printf '{"version": 1,' > "$STATE"
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision scale_up 1)
	assert_failure 1
	assert_stderr_contains "which servers of ours were registry nodes is unknown: no orphan is deleted or adopted this run"
	jq_is '[.provision.servers[].op] | join(",")' create
	[[ $(reg '[.nodes[] | select(.id | startswith("pp-young05",
		"pp-prot05"))] | length') == 0 ]]
	seed pp-orph05 2026-11-27T09:00:00Z default >/dev/null
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_failure 1
	assert_stderr_contains "no orphan is deleted or adopted this run"
	[[ $(names) == *pp-orph05* ]]
	rm "$STATE"
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(names) != *pp-orph05* ]]
}

# the registry loses its cloud nodes, as a platform's bad write or a
# restored backup does: on the PostgreSQL backend, their rows
lose_cloud_nodes() {
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		psql -X -q -d "$REG_DB" -v ON_ERROR_STOP=1 -c \
			"DELETE FROM ppscale_containers WHERE node_id IN
			 (SELECT id FROM ppscale_nodes WHERE kind = 'cloud');
			 DELETE FROM ppscale_nodes WHERE kind = 'cloud'"
		return
	fi
	jq '.nodes |= map(select(.kind != "cloud"))' "$REG" > "$REG.tmp" &&
		mv "$REG.tmp" "$REG"
}

deletes() {
	fake_log | jq '[.requests[] | select(.method == "DELETE")] | length'
}

# protect SERVER_ID true|false: sets or lifts its delete protection,
# through the API's own action
protect() {
	curl -sS --max-time 5 -X POST -H "Authorization: Bearer $FAKE_TOKEN" \
		-H 'Content-Type: application/json' -d "{\"delete\": $2}" \
		"$FAKE_URL/servers/$1/actions/change_protection" >/dev/null
}

# cluster-autoscaler halts when more than max(3, 45 %) of its nodes
# are unready: a registry that lost its nodes makes every server an
# orphan at once, and deleting them would end every game session on
# them
@test "a registry that lost its cloud nodes does not get their servers deleted: more orphans than cloud.orphan_delete_max are held, every run" {
	# the fake's servers are created on the real clock
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 4 cx33)
	assert_success
	# the memory of which servers were nodes is lost with them, as
	# after an upgrade from a version that kept none, or a state
	# restored with the registry: the count holds them
	run jq -r '.node_servers | length' "$STATE"
	assert_output 4
	jq 'del(.node_servers)' "$STATE" > "$STATE.tmp" && mv "$STATE.tmp" "$STATE"
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 4 ]]
	for n in $(reg '.nodes[] | select(.kind == "cloud") | .id'); do
		pp-registry -q status "$n" ready
		pp-registry -q place "$n" "gs-$n" 4096 --players 12
	done
	before=$(names)
	lose_cloud_nodes
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
	fake_ctl DELETE /log >/dev/null
	DOC_AT=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	for i in 1 2; do
		run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
		assert_success
		assert_stderr_contains "4 servers of ours past cloud.orphan_grace are in no registry node, more than cloud.orphan_delete_max (3) at once"
		assert_stderr_contains "neither deleting nor adopting any: check the registry"
		[[ $(names) == "$before" ]]
		jq_is '[.provision.servers[] | select(.op == "delete_orphan") |
			.status + ":" + .error.code] | unique | join(",")' \
			held:too_many_orphans
		jq_is '[.provision.servers[] | select(.op == "delete_orphan")] |
			length' 4
	done
	# nor are they adopted by a scale-up: as new nodes, whose agents
	# joined long ago and do not join again, cloud.join_timeout would
	# delete them; the scale-up creates new servers instead
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	assert_stderr_contains "neither deleting nor adopting any"
	jq_is '[.provision.servers[] | .op + ":" + .status] | sort | unique |
		join(",")' "create:provisioning,delete_orphan:held"
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .cloud.server_id] |
		map(select(. != null)) | length') == 1 ]]
	new=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	pp-registry -q status "$new" ready
	DOC_AT=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
	assert_success
	all=$(printf '%s\n' ${before//,/ } "$new" | sort | paste -sd,)
	[[ $(names) == "$all" ]]
	# the whole pipeline, reading the registry as it is, deletes none
	run --separate-stderr bash -c "pp-fleetstats -q --now $DOC_AT |
		pp-decide -q --now $DOC_AT | pp-provision -q --now $DOC_AT"
	assert_success
	assert_stderr_contains "neither deleting nor adopting any: check the registry"
	[[ $(names) == "$all" ]]
	[[ $(deletes) == 0 ]]
	run jq -r 'select(.type == "node.removed") | .reason' "$EVENTS"
	refute_output --partial orphan
	# a person who finds them unneeded deletes them, once
	run --separate-stderr pp-provision -q --delete-orphans --now "$DOC_AT" < <(decision none 0)
	assert_success
	[[ $(names) == "$new" ]]
	[[ $(deletes) == 4 ]]
	run jq -r '.counters.pp_scaling_events_total["action=delete_orphan,result=success"]' "$STATE"
	assert_output 4
}

# one lost row is the likelier loss, and under any count: the state
# remembers which servers were nodes
@test "a server a registry node named is neither deleted nor adopted once the registry loses that node, even alone, every run; --delete-orphans deletes it" {
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 2 cx33)
	assert_success
	# the run that made them remembers their servers, and so does
	# every cycle that finds them listed as nodes
	for i in 1 2; do
		run jq -r '.node_servers | to_entries | map(.key + "=" +
			.value.name) | sort | join(",")' "$STATE"
		assert_output "$(reg '[.nodes[] | select(.kind == "cloud") |
			.cloud.server_id + "=" + .id] | sort | join(",")')"
		[[ $output == *=*,*=* ]]
		run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
		assert_success
	done
	for n in $(reg '.nodes[] | select(.kind == "cloud") | .id'); do
		pp-registry -q status "$n" ready
		pp-registry -q place "$n" "gs-$n" 4096 --players 12
	done
	lost=$(reg '[.nodes[] | select(.kind == "cloud") | .id] | sort | .[0]')
	sid=$(reg '.nodes[] | select(.id == "'"$lost"'") | .cloud.server_id')
	before=$(names)
	drop_row "$lost"
	fake_ctl DELETE /log >/dev/null
	t0=$(($(date +%s) + 3600))
	held_at=$(date -u -d "@$((t0 + 60))" +%Y-%m-%dT%H:%M:%SZ)
	for i in 1 2; do
		DOC_AT=$(date -u -d "@$((t0 + 60 * i))" +%Y-%m-%dT%H:%M:%SZ)
		run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
		assert_success
		assert_stderr_contains "(id $sid) was registry node '$lost' (from "
		assert_stderr_contains "neither deleting nor adopting it: put the node back in the registry"
		[[ $(names) == "$before" ]]
		jq_is '[.provision.servers[] | .op + ":" + .status + ":" +
			.error.code + ":" + .node] | join(",")' \
			"delete_orphan:held:was_a_node:$lost"
		run jq -r --arg s "$sid" '.node_servers[$s].name' "$STATE"
		assert_output "$lost"
	done
	# pp-status shows it, held since the first run that held it
	run --separate-stderr pp-status --now "$DOC_AT" --json
	assert_success
	jq_is '[.held_servers[] | .server_id + ":" + .node + ":" + .since] |
		join(",")' "$sid:$lost:$held_at"
	run --separate-stderr pp-status --now "$DOC_AT"
	assert_success
	assert_output --partial "held       id $sid since $held_at: was registry node '$lost', which the registry no longer has"
	# nor adopted by a scale-up, which creates a server instead
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	jq_is '[.provision.servers[] | .op + ":" + .status] | sort | join(",")' \
		"create:provisioning,delete_orphan:held"
	[[ $(reg '[.nodes[] | select(.cloud.server_id == "'"$sid"'")] | length') == 0 ]]
	# the whole pipeline, reading the registry as it is, deletes none
	run --separate-stderr bash -c "pp-fleetstats -q --now $DOC_AT |
		pp-decide -q --now $DOC_AT | pp-provision -q --now $DOC_AT"
	assert_success
	assert_stderr_contains "was registry node '$lost'"
	[[ $(deletes) == 0 ]]
	# --delete-orphans with a scale-up neither adopts it (its agent
	# will not join again, and cloud.join_timeout would delete it)
	# nor deletes it
	run --separate-stderr pp-provision -q --delete-orphans --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	jq_is '[.provision.servers[] | .op] | join(",")' create
	[[ $(reg '[.nodes[] | select(.cloud.server_id == "'"$sid"'")] | length') == 0 ]]
	[[ $(deletes) == 0 ]]
	# one --delete-orphans cannot delete (delete-protected) is still
	# held since the first run that held it
	protect "$sid" true
	run --separate-stderr pp-provision -q --delete-orphans --now "$DOC_AT" < <(decision none 0)
	assert_success
	jq_is '[.provision.servers[] | select(.server_id == "'"$sid"'") |
		.op + ":" + .status] | join(",")' delete_orphan:protected
	run --separate-stderr pp-status --now "$DOC_AT" --json
	jq_is '[.held_servers[] | .server_id + ":" + .since] | join(",")' \
		"$sid:$held_at"
	protect "$sid" false
	# a person who finds it unneeded deletes it, once; the state then
	# forgets it
	run --separate-stderr pp-provision -q --delete-orphans --now "$DOC_AT" < <(decision none 0)
	assert_success
	[[ $(deletes) == 1 ]]
	[[ $(fake_state | jq --arg s "$sid" '[.servers[] |
		select((.id | tostring) == $s)] | length') == 0 ]]
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
	assert_success
	run jq -r --arg s "$sid" '.node_servers | has($s)' "$STATE"
	assert_output false
	run --separate-stderr pp-status --now "$DOC_AT" --json
	jq_is '.held_servers | length' 0
}

# a person sorting held servers deletes the junk and keeps the one
# that may carry players: --delete-orphans would take them all
@test "--delete-orphan deletes the servers it names alone, whatever holds them and the decision; one it does not delete fails the run" {
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 2 cx33)
	assert_success
	for n in $(reg '.nodes[] | select(.kind == "cloud") | .id'); do
		pp-registry -q status "$n" ready
		pp-registry -q place "$n" "gs-$n" 4096 --players 12
	done
	lost=$(reg '[.nodes[] | select(.kind == "cloud") | .id] | sort | .[0]')
	kept=$(reg '[.nodes[] | select(.kind == "cloud") | .id] | sort | .[1]')
	sid=$(reg '.nodes[] | select(.id == "'"$lost"'") | .cloud.server_id')
	ksid=$(reg '.nodes[] | select(.id == "'"$kept"'") | .cloud.server_id')
	drop_row "$lost"
	old=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
	j1=$(seed pp-junk1 "$old" default)
	j2=$(seed pp-junk2 "$old" default)
	j3=$(seed pp-junk3 "$old" default)
	young=$(seed pp-young1 "$DOC_AT" default)
	fake_ctl DELETE /log >/dev/null
	# as usual: the lost node's server is held, and with it four past
	# the grace, more than cloud.orphan_delete_max
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
	assert_success
	jq_is '[.provision.servers[] | select(.op == "delete_orphan") |
		.status + ":" + .error.code] | sort | join(",")' \
		"held:too_many_orphans,held:too_many_orphans,held:too_many_orphans,held:was_a_node"
	assert_stderr_contains "'pp-provision --delete-orphan $sid' once"
	assert_stderr_contains "(or --delete-orphan ID for each unneeded one)"
	[[ $(deletes) == 0 ]]
	# one named by id, one by name: those two alone; the others are
	# still held, counted with them
	run --separate-stderr pp-provision -q --delete-orphan "$j1" --delete-orphan pp-junk2 --now "$DOC_AT" < <(decision none 0)
	assert_success
	[[ $(deletes) == 2 ]]
	jq_is '[.provision.servers[] | select(.op == "delete_orphan") |
		.name + ":" + .status] | sort | join(",")' \
		"$(printf '%s\n' pp-junk1:deleted pp-junk2:deleted pp-junk3:held \
		"$lost:held" | sort | paste -sd,)"
	assert_stderr_contains "pp-provision --delete-orphan named it: deleting it"
	assert_stderr_contains "neither deleting nor adopting any (but the 2 --delete-orphan names)"
	[[ $(fake_state | jq '[.servers[].name | select(startswith("pp-junk1",
		"pp-junk2"))] | length') == 0 ]]
	# delete-protected: refused, and still the state's protected orphan
	# (one entry: the protected one's)
	protect "$j3" true
	for i in 1 2; do
		run --separate-stderr pp-provision -q --delete-orphan "$j3" --now "$DOC_AT" < <(decision none 0)
		assert_failure 1
		assert_stderr_contains "(id $j3) is delete-protected in the cloud: lift the protection first"
		refute_stderr_contains "no longer"
		jq_is '[.provision.servers[] | select(.server_id == "'"$j3"'") |
			.op + ":" + .status] | join(",")' delete_orphan:protected
		run jq -r --arg s "$j3" '.protected_orphans | has($s)' "$STATE"
		assert_output true
	done
	protect "$j3" false
	run --separate-stderr pp-provision -q --dry-run --delete-orphan pp-junk3 --now "$DOC_AT" < <(decision none 0)
	assert_success
	jq_is '[.provision.servers[] | select(.name == "pp-junk3") |
		.status] | join(",")' dry_run
	[[ $(deletes) == 2 ]]
	# under a scale-up: the lost node's server (young, but no create
	# in flight) is deleted, not adopted; a registry node's server, a
	# young one and one not listed are not, each said, and the run
	# fails; the scale-up is carried out (it adopts pp-junk3, as
	# usual: two past the grace are no lost registry)
	run --separate-stderr pp-provision -q --delete-orphan "$sid" --delete-orphan "$ksid" --delete-orphan "$young" --delete-orphan 999999 --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_failure 1
	assert_stderr_contains "--delete-orphan $ksid: server '$kept' (id $ksid) is a registry node's: scale it down"
	assert_stderr_contains "--delete-orphan $young: server 'pp-young1' (id $young) is "
	assert_stderr_contains "within cloud.orphan_grace (300 s): it may be a create in progress: not deleted"
	assert_stderr_contains "--delete-orphan 999999: no server listed with our labels has that id or name"
	jq_is '[.provision.servers[] | .op + ":" + .status + ":" +
		(.error.code // "")] | sort | join(",")' \
		"adopt:provisioning:,delete_orphan:deleted:,delete_orphan:refused:not_an_orphan,delete_orphan:refused:not_listed,delete_orphan:refused:orphan_grace"
	[[ $(deletes) == 3 ]]
	[[ $(fake_state | jq --arg s "$sid" '[.servers[] |
		select((.id | tostring) == $s)] | length') == 0 ]]
	[[ $(reg '[.nodes[] | select(.cloud.server_id == "'"$young"'" or
		.cloud.server_id == "'"$sid"'")] | length') == 0 ]]
	[[ $(reg '[.nodes[] | select(.id == "'"$kept"'")] | length') == 1 ]]
	[[ $(reg '[.nodes[] | select(.cloud.server_id == "'"$j3"'")] | length') == 1 ]]
	# a run that stops on a bad decision (exit 2) deletes none
	# (pp-junk3's adopted node, past cloud.join_timeout from its
	# server's creation, is expired there: an earlier step's doing)
	j4=$(seed pp-junk4 "$old" default)
	run --separate-stderr pp-provision -q --delete-orphan "$j4" --now "$DOC_AT" < <(decision scale_up 1 cx33 | jq -c 'del(.decision.server_type)')
	assert_failure 2
	assert_stderr_contains "decision 'scale_up' names no server_type"
	[[ $(fake_log | jq --arg p "/servers/$j4" '[.requests[] |
		select(.method == "DELETE" and .path == $p)] | length') == 0 ]]
	[[ $(names) == *pp-junk4* ]]
	# one with our labels that is not ours: refused, its one entry the
	# foreign one's
	o1=$(seed other-1 "$old" default)
	run --separate-stderr pp-provision -q --delete-orphan other-1 --now "$DOC_AT" < <(decision none 0)
	assert_failure 1
	assert_stderr_contains "--delete-orphan other-1: server 'other-1' "
	assert_stderr_contains "is not ours: "
	jq_is '[.provision.servers[] | select(.name == "other-1") |
		.op + ":" + .status] | join(",")' foreign:left
	[[ $(fake_log | jq --arg p "/servers/$o1" '[.requests[] |
		select(.method == "DELETE" and .path == $p)] | length') == 0 ]]
	run --separate-stderr pp-provision --delete-orphan "" < <(decision none 0)
	assert_failure 2
	assert_stderr_contains "--delete-orphan needs a server id or name"
}

# a young server counts as capacity on its way (one being created);
# one a node named, whose row is lost, will never join: pp-provision
# holds it, so counting it would put off the scale-up its game
# servers' capacity needs
@test "pp-fleetstats counts a young server whose registry node was lost as no capacity on its way, and says which node it was" {
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	sid=$(reg '.nodes[] | select(.kind == "cloud") | .cloud.server_id')
	[[ -n $sid ]]
	# while the node is there its server is no orphan at all
	run --separate-stderr pp-fleetstats -q --now "$DOC_AT" --reconcile
	assert_success
	jq_is '.reconciliation.orphans | length' 0
	drop_row "$node"
	# before and after pp-provision has held it
	for i in 1 2; do
		run --separate-stderr pp-fleetstats --now "$DOC_AT" --reconcile
		assert_success
		assert_stderr_contains "(id $sid, "
		assert_stderr_contains "was registry node '$node' and no node names it now"
		jq_is '[.reconciliation.orphans[] | .server_id + ":" +
			(.pending | tostring) + ":" + .was_node] | join(",")' \
			"$sid:false:$node"
		jq_is '.reconciliation.pending_ram_mb' 0
		jq_is '.fleet.pending_ram_mb' 0
		run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
		assert_success
		assert_stderr_contains "was registry node '$node'"
	done
	# a young server no node named is capacity on its way, as before
	fresh=$(seed pp-young01 "$DOC_AT" default)
	run --separate-stderr pp-fleetstats -q --now "$DOC_AT" --reconcile
	assert_success
	jq_is '[.reconciliation.orphans[] | select(.server_id == "'"$fresh"'") |
		.pending] | join(",")' true
	jq_is '.reconciliation.pending_ram_mb > 0' true
}

# pp-cycle's deadline stops a run with SIGTERM: one stopped before it
# looked at the orphans leaves the memory whole
@test "a run stopped before it looks at the orphans keeps the servers nodes named in its memory: the next run holds them still" {
	[[ ${PP_REG_BACKEND:-file} == pg ]] &&
		skip "the registry lock held by hand here is the file's"
	for n in pp-node07 pp-prot07; do
		sid=$(seed $n 2026-11-27T09:00:00Z default)
		registry_add "$(jq -nc --arg n $n --arg s "$sid" '{id: $n,
			kind: "cloud", status: "ready", role: "worker",
			total_ram_mb: 8192, reserved_ram_mb: 512, ip: "10.0.0.7",
			location: "nbg1", labels: {}, cloud: {provider: "hetzner",
			server_id: $s, server_type: "cx33", server_name: $n},
			containers: []}')"
	done
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(jq '.node_servers | length' "$STATE") == 2 ]]
	drop_row pp-node07
	# a protection set in the console: the next run records it on
	# its node, under the registry's lock, before the orphans
	sid=$(reg '.nodes[] | select(.id == "pp-prot07") | .cloud.server_id')
	fake_ctl PUT /state "$(fake_state | jq -c --arg s "$sid" '.servers |=
		map(if (.id | tostring) == $s then .protection.delete = true
		else . end) | {servers}')" >/dev/null
	# the document's node list, as in a cycle: converge reads no
	# registry before the protection's write
	pp-fleetstats -q --now "$NOW" | jq -c --argjson d "$(decision none 0 |
		jq .decision)" '.decision = $d' > "$BATS_TEST_TMPDIR/doc"
	# held until after the signal: a stopped run still waits for the
	# locks it needs to record what it did (released by a file, not
	# after a time: under valgrind on a busy host the run's listing
	# came more than 3 s after its start)
	rel=$BATS_TEST_TMPDIR/release
	flock "$REG.lock" sh -c 'while [ ! -e "$1" ]; do sleep 0.05; done' \
		sh "$rel" 3>&- &
	lk=$!
	# this run's listing, not the one pp-fleetstats or the first run
	# made (under valgrind the tool may not have started in 0.5 s)
	list='.method == "GET" and .path == "/servers"'
	n=$(fake_log_count "$list")
	pp-provision -q --now "$NOW" < "$BATS_TEST_TMPDIR/doc" \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	fake_wait_for_log "$list" 1200 "$n" ||
		{ touch "$rel"; kill -KILL "$pid"; wait; false; }
	sleep 0.5
	kill -TERM "$pid"
	sleep 0.5
	touch "$rel"
	rc=0
	wait "$pid" || rc=$?
	wait "$lk"
	[[ $rc == 1 ]] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	run jq -r '[.node_servers[].name] | sort | join(",")' "$STATE"
	assert_output pp-node07,pp-prot07
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "was registry node 'pp-node07'"
	[[ $(names) == pp-node07,pp-prot07 ]]
}

# set_status NODE STATUS: as the tools' own writes would leave it
set_status() {
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		psql -X -q -d "$REG_DB" -v ON_ERROR_STOP=1 -v id="$1" \
			-v st="$2" <<-'SQL'
			UPDATE ppscale_nodes SET status = :'st' WHERE id = :'id';
		SQL
		return
	fi
	jq --arg id "$1" --arg st "$2" '.nodes |= map(if .id == $id then
		.status = $st else . end)' "$REG" > "$REG.tmp" &&
		mv "$REG.tmp" "$REG"
}

# HCLOUD_TOKEN or cloud.token_file of another project, say a staging
# install's, whose servers carry the same labels: its listing holds
# none of our nodes' servers and some no node names
@test "a listing with no node's server in it and servers no node names is taken for another project's: nothing deleted, adopted, forgotten or created" {
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 3 cx33)
	assert_success
	read -r busy idle booting < <(reg '[.nodes[] | select(.kind ==
		"cloud") | .id] | sort | join(" ")')
	pp-registry -q status "$busy" ready
	pp-registry -q place "$busy" gs-1 4096 --players 12
	set_status "$idle" draining
	ours=$(fake_state | jq -c '{servers}')
	memory=$(jq -c .node_servers "$STATE")
	fake_ctl PUT /state '{"servers": [
		{"id": 7000001, "name": "pp-stag01", "created": "2026-11-27T09:00:00Z",
		 "labels": {"managed_by": "ppscale", "role": "worker", "pool": "default"}},
		{"id": 7000002, "name": "pp-stag02", "created": "2026-11-27T09:00:00Z",
		 "labels": {"managed_by": "ppscale", "role": "worker", "pool": "default"}}]}' >/dev/null
	fake_ctl DELETE /log >/dev/null
	DOC_AT=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	for i in 1 2; do
		run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
		assert_success
		assert_stderr_contains "none of the servers listed with our labels is one that a registry node names or named (3 cloud nodes), and 2 of them are in no node: the API token may be another project's"
		jq_is '[.provision.servers[] | .op + ":" + .status + ":" +
			.error.code] | unique | join(",")' \
			delete_orphan:held:other_project
	done
	# the drained node's server is not found there: the node stays
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision \
		scale_down 1 cx33 nbg1 "$idle" | jq -c --arg n "$idle" '.drain =
		{node: $n, action: "scale_down", status: "empty", empty: true,
		remaining: 0}')
	assert_failure 1
	jq_is '[.provision.servers[] | select(.op == "delete") | .status + ":" +
		.error.code] | join(",")' failed:other_project
	# a scale-up would make its servers there, and adopts none
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_failure 1
	jq_is '.provision.status' refused
	jq_is '[.provision.servers[].op] | unique | join(",")' delete_orphan
	[[ $(names) == pp-stag01,pp-stag02 ]]
	[[ $(fake_log | jq '[.requests[] | select(.method != "GET")] |
		length') == 0 ]]
	# busy, idle and booting: none forgotten
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 3 ]]
	[[ $(jq -c .node_servers "$STATE") == "$memory" ]]
	# the right token again: ours as before
	fake_ctl PUT /state "$ours" >/dev/null
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
	assert_success
	refute_stderr_contains "another project"
	[[ $(reg '[.nodes[] | select(.id == "'"$busy"'" or .id == "'"$idle"'")] |
		length') == 2 ]]
}

# what ties a listing to us: a node's server, or one a node named
@test "a listing with a server a node named is ours, though no node's server is in it: a lost row and a server deleted by hand do not stop a scale-up" {
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 2 cx33)
	assert_success
	read -r lost gone < <(reg '[.nodes[] | select(.kind == "cloud") |
		.id] | sort | join(" ")')
	for n in $lost $gone; do
		pp-registry -q status "$n" ready
	done
	gsid=$(reg '.nodes[] | select(.id == "'"$gone"'") | .cloud.server_id')
	# an old orphan too, once the memory is there
	seed pp-orph08 2026-11-27T09:00:00Z default >/dev/null
	sed -i 's/^cloud:$/cloud:\n  orphan_delete_max: 0/' "$PP_CONFIG"
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
	assert_success
	# the registry loses one node, the other's server is deleted by hand
	drop_row "$lost"
	fake_ctl PUT /state "$(fake_state | jq -c --arg s "$gsid" '.servers |=
		map(select((.id | tostring) != $s)) | {servers}')" >/dev/null
	DOC_AT=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	refute_stderr_contains "another project"
	assert_stderr_contains "was registry node '$lost'"
	jq_is '[.provision.servers[] | .op + ":" + .status] | sort | join(",")' \
		"create:provisioning,delete_orphan:held,delete_orphan:held,forget:removed"
}

# a delete-protected orphan an earlier run found ties the listing too
@test "a listing with a protected orphan an earlier run found is ours, though no node's server is in it" {
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	pp-registry -q status "$node" ready
	fake_seed "$(jq -nc '{servers: [{name: "pp-prot10", created:
		"2026-11-27T09:00:00Z", server_type: "cx33", "protection":
		{"delete": true}, labels: {managed_by: "ppscale", role: "worker",
		pool: "default"}}]}')" >/dev/null
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
	assert_success
	run jq -r '[.protected_orphans[].name] | join(",")' "$STATE"
	assert_output pp-prot10
	# the node's server deleted by hand: the protected orphan alone
	# is listed, and it is ours
	fake_ctl PUT /state "$(fake_state | jq -c '.servers |=
		map(select(.name == "pp-prot10")) | {servers}')" >/dev/null
	DOC_AT=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	refute_stderr_contains "another project"
	jq_is '[.provision.servers[] | .op + ":" + .status] | sort | join(",")' \
		"adopt:provisioning,forget:removed"
}

# the memory keeps the servers of the last run: after a scale-down to
# no cloud node it names a server gone, and that alone is no sign
@test "after a scale-down to no cloud node, an old orphan is deleted as usual, not taken for another project's" {
	DOC_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision scale_up 1 cx33)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	pp-registry -q status "$node" ready
	set_status "$node" draining
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision \
		scale_down 1 cx33 nbg1 "$node" | jq -c --arg n "$node" '.drain =
		{node: $n, action: "scale_down", status: "empty", empty: true,
		remaining: 0}')
	assert_success
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
	[[ $(jq '.node_servers | length' "$STATE") == 1 ]]
	seed pp-orph09 2026-11-27T09:00:00Z default >/dev/null
	run --separate-stderr pp-provision -q --now "$DOC_AT" < <(decision none 0)
	assert_success
	refute_stderr_contains "another project"
	[[ $(names) != *pp-orph09* ]]
	run jq -r '.node_servers // {} | length' "$STATE"
	assert_output 0
}

@test "as many orphans as cloud.orphan_delete_max are deleted; with it 0 not even one is" {
	for i in 1 2 3; do
		seed "pp-orph1$i" 2026-11-27T09:00:00Z default >/dev/null
	done
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(names) == "" ]]
	seed pp-orph20 2026-11-27T09:00:00Z default >/dev/null
	sed -i 's/^cloud:$/cloud:\n  orphan_delete_max: 0/' "$PP_CONFIG"
	run --separate-stderr pp-provision -q --dry-run --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "1 server of ours past cloud.orphan_grace is in no registry node, and cloud.orphan_delete_max is 0"
	jq_is '.provision.servers[0].status' held
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(names) == pp-orph20 ]]
	# nor adopted by a scale-up, which creates a server instead
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision scale_up 1)
	assert_success
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .id] | map(select(.
		== "pp-orph20")) | length') == 0 ]]
	jq_is '[.provision.servers[].op] | sort | join(",")' create,delete_orphan
}

# a delete-protected orphan is a lost node's server as much as any
@test "delete-protected orphans count toward cloud.orphan_delete_max: two of them and two others hold all" {
	for i in 1 2; do
		fake_seed "$(jq -nc --arg n "pp-prot3$i" '{servers: [{name: $n,
			created: "2026-11-27T09:00:00Z", server_type: "cx33",
			"protection": {"delete": true}, labels: {managed_by:
			"ppscale", role: "worker", pool: "default"}}]}')" >/dev/null
		seed "pp-orph3$i" 2026-11-27T09:00:00Z default >/dev/null
	done
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "4 servers of ours past cloud.orphan_grace are in no registry node, more than cloud.orphan_delete_max (3)"
	[[ $(names) == pp-orph31,pp-orph32,pp-prot31,pp-prot32 ]]
	jq_is '[.provision.servers[] | .name + ":" + .status] | sort |
		join(",")' "pp-orph31:held,pp-orph32:held,pp-prot31:protected,pp-prot32:protected"
}

@test "an unregistered server of ours within cloud.orphan_grace is left alone, with a warning" {
	seed pp-young1 2026-11-27T09:57:00Z default >/dev/null
	run --separate-stderr pp-provision --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(names) == pp-young1 ]]
	assert_stderr_contains "within cloud.orphan_grace (300 s): left for a later run"
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE")] |
		length') == 0 ]]
}

@test "an old unregistered server of ours is adopted when the decision wants capacity" {
	sid=$(seed pp-orph02 2026-11-27T09:00:00Z default)
	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	[[ $(names) == pp-orph02 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .id + ":" +
		.cloud.server_id + ":" + .status] | join(",")') == \
		"pp-orph02:$sid:provisioning" ]]
	run jq -r '.counters.pp_scaling_events_total["action=adopt_orphan,result=success"]' "$STATE"
	assert_output 1
	# like any new node it waits for the platform's mark, and
	# cloud.join_timeout counts from the server's creation (09:00):
	# at 10:00 its agent has not joined for an hour
	run --separate-stderr pp-provision --now "$NOW" < <(decision none 0)
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' expire:deleted
	jq_is '.provision.servers[0].error.code' join_timeout
	[[ $(names) == "" ]]
}

@test "servers of another pool are neither adopted, nor deleted, nor counted as pending" {
	seed pp-other1 2026-11-27T09:00:00Z batch >/dev/null
	seed pp-other2 2026-11-27T09:59:00Z batch >/dev/null
	run --separate-stderr pp-provision --now "$NOW" < <(decision none 0)
	assert_success
	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	jq_is '[.provision.servers[].op] | join(",")' create
	[[ $(fake_state | jq '[.servers[] | select(.labels.pool == "batch")]
		| length') == 2 ]]
	[[ $(reg '[.nodes[] | select(.id | startswith("pp-other"))] |
		length') == 0 ]]
	run --separate-stderr pp-fleetstats --now "$NOW" --reconcile
	assert_success
	jq_is .reconciliation.selector managed_by=ppscale,pool=default
	jq_is '[.reconciliation.orphans[].name] | join(",")' ""
	jq_is .reconciliation.pending_ram_mb 0
}

# cloud.pool unset is a pool of its own, the servers without a pool
# label: another pool's servers (pool=batch) are not ours to delete,
# adopt or count
@test "with cloud.pool unset, another pool's servers are neither deleted, nor adopted, nor counted; the listing asks for no pool label" {
	sed -i 's/^cloud:$/cloud:\n  pool: null/' "$PP_CONFIG"
	seed pp-other1 2026-11-27T09:00:00Z batch >/dev/null
	seed pp-other2 2026-11-27T09:59:00Z batch >/dev/null
	sid=$(fake_seed '{"servers": [{"name": "pp-nopool1",
		"created": "2026-11-27T09:00:00Z", "server_type": "cx33",
		"labels": {"managed_by": "ppscale", "role": "worker"}}]}' |
		jq -r '.servers[0].id')
	run --separate-stderr pp-provision --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(names) == pp-other1,pp-other2 ]]
	jq_is '[.provision.servers[] | .op + ":" + .name + ":" + .status] |
		join(",")' delete_orphan:pp-nopool1:deleted
	run python3 -c 'import json, sys, urllib.parse as u
print(" ".join(sorted({u.parse_qs(r["query"])["label_selector"][0]
	for r in json.load(sys.stdin)["requests"]
	if r["method"] == "GET" and r["path"] == "/servers"})))' \
		<<<"$(fake_log)"
	assert_output 'managed_by=ppscale,!pool'

	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	jq_is '[.provision.servers[].op] | join(",")' create
	[[ $(reg '[.nodes[] | select(.id | startswith("pp-other"))] |
		length') == 0 ]]
	# the new server carries no pool label either
	[[ $(fake_state | jq '[.servers[] | select(.labels | has("pool") |
		not)] | length') == 1 ]]
	run --separate-stderr pp-fleetstats --now "$NOW" --reconcile
	assert_success
	jq_is .reconciliation.selector 'managed_by=ppscale,!pool'
	jq_is '[.reconciliation.orphans[].name] | join(",")' ""
	jq_is .reconciliation.pending_ram_mb 0
}

# ownership is one test (pp_cloud_is_ours): our labels, our pool, and
# a name made from cloud.name_prefix; someone else's server labelled
# like ours is never adopted nor deleted, and is in the document every
# run, but said loudly (a warning, an event, a counter) only when it
# first appears: two installs sharing a pool see each other's servers
# every cycle, and a warning every cycle keeps PpscaleToolWarns firing
@test "a server with our labels whose name lacks cloud.name_prefix is neither deleted nor adopted, and is reported once, not every cycle" {
	sid=$(seed web-prod-1 2026-11-27T09:00:00Z default)
	printf 'metrics:\n  textfile: %s\n' "$BATS_TEST_TMPDIR/pp.prom" \
		>> "$PP_CONFIG"
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	[[ $(names) == web-prod-1 ]]
	assert_stderr_contains "server 'web-prod-1' (id $sid) carries our labels (managed_by=ppscale) but is not ours: server $sid is named 'web-prod-1', which does not start with cloud.name_prefix 'pp-'; ppscale neither adopts nor deletes it"
	jq_is '.provision.servers[0] | .op + ":" + .status + ":" +
		.error.code' foreign:left:not_ours
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE")] |
		length') == 0 ]]
	run jq -r 'select(.server_id == "'"$sid"'") | .type + " " + .result' \
		"$EVENTS"
	assert_output "scaling.failed refused"
	run jq -r '.counters.pp_scaling_events_total["action=foreign_server,result=refused"]' "$STATE"
	assert_output 1
	grep -qx 'pp_last_run_warnings{tool="pp-provision"} 1' \
		"$BATS_TEST_TMPDIR/pp.prom" || fail "no warning in the metrics"
	# the next cycles: still in the document, but no warning, no
	# event, the counter as it was; a scale-up creates rather than
	# adopt it
	for d in "none 0:foreign" "scale_up 1:create,foreign"; do
		run --separate-stderr pp-provision -q --now "$NOW" \
			< <(decision ${d%:*})
		assert_success
		assert_equal "$stderr" ""
		jq_is '[.provision.servers[].op] | sort | join(",")' "${d#*:}"
		jq_is '[.provision.servers[] | select(.op == "foreign") |
			.server_id + ":" + .status] | join(",")' "$sid:left"
		run jq -r '.counters.pp_scaling_events_total["action=foreign_server,result=refused"]' "$STATE"
		assert_output 1
		grep -qx 'pp_last_run_warnings{tool="pp-provision"} 0' \
			"$BATS_TEST_TMPDIR/pp.prom" || fail "a warning in the metrics"
	done
	# a dry run says what the real run would: nothing new
	run --separate-stderr pp-provision -q --dry-run --now "$NOW" \
		< <(decision none 0)
	assert_success
	assert_equal "$stderr" ""
	jq_is '[.provision.servers[] | select(.op == "foreign") |
		.server_id + ":" + .status] | join(",")' "$sid:left"
	[[ $(reg '[.nodes[] | select(.id == "web-prod-1")] | length') == 0 ]]
	[[ $(jq -s '[.[] | select(.server_id == "'"$sid"'")] | length' \
		"$EVENTS") == 1 ]]
	run jq -r '.foreign_servers | keys | join(",")' "$STATE"
	assert_output "$sid"
	# pp-status shows it, as long as it is there
	run --separate-stderr pp-status --now 2026-11-27T10:05:00Z --json
	jq_is '[.foreign_servers[] | .server_id + ":" + .name + ":" +
		.since] | join(",")' "$sid:web-prod-1:$NOW"
	run --separate-stderr pp-status --now 2026-11-27T10:05:00Z
	assert_output --partial "foreign    web-prod-1 (id $sid) since $NOW: carries our labels but is not ours (another pool, or a name without cloud.name_prefix): neither adopted nor deleted; relabel, rename or delete it by hand"
	# pp-fleetstats counts it neither as an orphan nor as pending
	seed web-prod-2 2026-11-27T09:59:00Z default >/dev/null
	run --separate-stderr pp-fleetstats --now "$NOW" --reconcile
	assert_success
	jq_is '[.reconciliation.orphans[].name] | join(",")' ""
	jq_is '[.reconciliation.foreign[].name] | sort | join(",")' \
		web-prod-1,web-prod-2
	jq_is .reconciliation.pending_ram_mb 0
}

@test "a foreign server is reported again when it comes back after a cycle without it" {
	sid=$(seed web-prod-3 2026-11-27T09:00:00Z default)
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "server 'web-prod-3' (id $sid) carries our labels"
	# relabelled away by its owner: gone from our listing, and forgotten
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].labels.pool =
		"web" | {servers}')" >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:02:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "server $sid ('web-prod-3') is no longer a server carrying our labels that is not ours"
	run jq -r '.foreign_servers // {} | length' "$STATE"
	assert_output 0
	# labelled like ours again: said again, with an event and a count
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].labels.pool =
		"default" | {servers}')" >/dev/null
	run --separate-stderr pp-provision -q --now 2026-11-27T10:04:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "server 'web-prod-3' (id $sid) carries our labels"
	[[ $(jq -s '[.[] | select(.server_id == "'"$sid"'" and
		.type == "scaling.failed")] | length' "$EVENTS") == 2 ]]
	run jq -r '.counters.pp_scaling_events_total["action=foreign_server,result=refused"]' "$STATE"
	assert_output 2
}

@test "a registered node whose server is gone is removed by the next cycle" {
	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	sid=$(reg '.nodes[] | select(.kind == "cloud") | .cloud.server_id')
	# the agent joined: the platform's mark
	pp-registry status "$node" ready
	[[ $(reg '.nodes[] | select(.kind == "cloud") | .status') == ready ]]
	fake_ctl PUT /state '{"servers": []}' >/dev/null
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "node '$node' is ready but its server $sid is gone: removing the node"
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
	run jq -r 'select(.type == "node.removed" and .node == "'"$node"'")
		| .reason' "$EVENTS"
	assert_output "lost: its server $sid is gone"
	run jq -r '.counters.pp_scaling_events_total["action=forget_lost_node,result=success"]' "$STATE"
	assert_output 1
}

@test "an idle cycle with reconciliation on and the catalog cached costs at most 2 requests" {
	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	# warm the catalog cache
	pp-fleetstats --now "$NOW" --reconcile | pp-provision --now "$NOW" \
		>/dev/null
	fake_ctl DELETE /log >/dev/null
	pp-fleetstats --now "$NOW" --reconcile | pp-provision --now "$NOW" \
		>/dev/null
	run jq -r '[.requests[] | .method + " " + .path] | join(",")' \
		<<<"$(fake_log)"
	assert_output "GET /servers,GET /servers"
	# the whole cycle (pp-decide and pp-drain send none), its node
	# marked ready by the platform: still 2
	pp-registry status "$(reg '.nodes[] | select(.kind == "cloud") |
		.id')" ready
	printf 'policies:\n  spare:\n    enabled: false\n  headroom:\n    enabled: false\n' \
		>> "$PP_CONFIG"
	fake_ctl DELETE /log >/dev/null
	pp-fleetstats --now "$NOW" --reconcile | pp-decide --now "$NOW" |
		pp-drain --now "$NOW" | pp-provision --now "$NOW" \
		> "$BATS_TEST_TMPDIR/cycle"
	jq_is_file() { [[ $(jq -r "$1" "$BATS_TEST_TMPDIR/cycle") == "$2" ]]; }
	jq_is_file .decision.action none
	run jq -r '[.requests[] | .method + " " + .path] | join(",")' \
		<<<"$(fake_log)"
	assert_output "GET /servers,GET /servers"
}

# an orphan an operator protected against deletion (the console, or
# hcloud server enable-protection): the API refuses its DELETE for as
# long as that holds, so pp-provision sends none; it says so when the
# protection first appears, not every cycle, and pp-status shows it
@test "a delete-protected orphan is reported once, not every cycle; pp-status shows it; deleted once the protection is lifted" {
	sid=$(fake_seed '{"servers": [{"name": "pp-prot01",
		"created": "2026-11-27T09:00:00Z", "server_type": "cx33",
		"protection": {"delete": true}, "labels": {"managed_by":
		"ppscale", "role": "worker", "pool": "default"}}]}' |
		jq -r '.servers[0].id')
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "orphan: server 'pp-prot01' (id $sid"
	assert_stderr_contains "delete-protected"
	jq_is '.provision.servers[0] | .op + ":" + .status' delete_orphan:protected
	jq_is '.provision.servers[0].error.code' protected
	run jq -r '.type + " " + .result + " " + .server_id' "$EVENTS"
	assert_output "scaling.failed refused $sid"
	# the next cycles: the same orphan, still protected, still in the
	# document, but no warning -q does not hide, no event, exit 0
	for now in 2026-11-27T10:02:00Z 2026-11-27T10:04:00Z; do
		run --separate-stderr pp-provision -q --now "$now" \
			< <(decision none 0)
		assert_success
		assert_equal "$stderr" ""
		jq_is '.provision.servers[0] | .op + ":" + .status' \
			delete_orphan:protected
	done
	[[ $(wc -l < "$EVENTS") == 1 ]]
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE")]
		| length') == 0 ]]
	run --separate-stderr pp-status --now 2026-11-27T10:05:00Z --json
	assert_success
	jq_is '[.protected_orphans[] | .server_id + ":" + .name + ":" +
		.since] | join(",")' "$sid:pp-prot01:2026-11-27T10:00:00Z"
	run --separate-stderr pp-status --now 2026-11-27T10:05:00Z
	assert_success
	assert_output --partial "orphans    pp-prot01 (id $sid) since 2026-11-27T10:00:00Z: carries our labels, in no registry node, delete-protected in the cloud: billed until the protection is lifted (then deleted) or it is adopted"
	# lifted: the next cycle deletes it, and forgets it
	protect "$sid" false
	run --separate-stderr pp-provision --now 2026-11-27T10:06:00Z \
		< <(decision none 0)
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' delete_orphan:deleted
	[[ $(names) == "" ]]
	run --separate-stderr pp-status --now 2026-11-27T10:07:00Z --json
	jq_is '.protected_orphans | length' 0
}

# pp-fleetstats runs every cycle too: its orphan warning (cron mails
# it) would repeat what pp-provision said once; the document and the
# metrics still show the orphan every cycle, for it is billed
@test "pp-fleetstats warns of an orphan until pp-provision has reported it delete-protected, then says it only with -v; its document and metrics still count it" {
	sid=$(fake_seed '{"servers": [{"name": "pp-prot03",
		"created": "2026-11-27T09:00:00Z", "protection": {"delete": true},
		"labels": {"managed_by": "ppscale", "role": "worker",
		"pool": "default"}}]}' | jq -r '.servers[0].id')
	printf 'metrics:\n  textfile: %s\n' "$BATS_TEST_TMPDIR/pp.prom" \
		>> "$PP_CONFIG"
	run --separate-stderr pp-fleetstats --now "$NOW" --reconcile
	assert_success
	assert_stderr_contains "orphan server 'pp-prot03' (id $sid"
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "delete-protected"
	for now in 2026-11-27T10:02:00Z 2026-11-27T10:04:00Z; do
		run --separate-stderr pp-fleetstats --now "$now" --reconcile
		assert_success
		refute_stderr_contains "orphan server"
		jq_is '[.reconciliation.orphans[] | .server_id] | join(",")' \
			"$sid"
		grep -qx 'pp_reconcile_orphan_servers 1' \
			"$BATS_TEST_TMPDIR/pp.prom" || fail "no orphan in the metrics"
	done
	run --separate-stderr pp-fleetstats -v --now "$NOW" --reconcile
	assert_stderr_contains "orphan server 'pp-prot03' (id $sid"
	assert_stderr_contains "reported by pp-provision"
}

@test "a delete-protected orphan is reported again when its protection comes back after a lift" {
	sid=$(fake_seed '{"servers": [{"name": "pp-prot02",
		"created": "2026-11-27T09:00:00Z", "protection": {"delete": true},
		"labels": {"managed_by": "ppscale", "role": "worker",
		"pool": "default"}}]}' | jq -r '.servers[0].id')
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	# a cycle that saw it lifted (its delete failing for another
	# reason, so that it stays) is a change; protected again, it is
	# reported again
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].protection =
		{delete: false, rebuild: false} | {servers}')" >/dev/null
	fake_fault '{"method": "DELETE", "path": "/servers/", "status": 503,
		"count": 0}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:02:00Z \
		< <(decision none 0)
	fake_ctl DELETE /faults >/dev/null
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].protection =
		{delete: true, rebuild: true} | {servers}')" >/dev/null
	run --separate-stderr pp-provision -q --now 2026-11-27T10:04:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "orphan: server 'pp-prot02' (id $sid"
	[[ $(jq -c 'select(.type == "scaling.failed" and .result ==
		"refused")' "$EVENTS" | wc -l) == 2 ]]
}


@test "a node whose server is being deleted is removed as going; the deleting server is then no orphan, no foreign server, no capacity, and gets no second DELETE" {
	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	sid=$(reg '.nodes[] | select(.kind == "cloud") | .cloud.server_id')
	pp-registry status "$node" ready
	hand_delete "$sid"
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision -q --now "$NOW" < <(decision none 0)
	assert_success
	assert_stderr_contains "node '$node' is ready but its server $sid is being deleted: removing the node"
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
	run jq -r 'select(.type == "node.removed" and .node == "'"$node"'")
		| .reason' "$EVENTS"
	assert_output "lost: its server $sid is being deleted"
	# the next cycles, the server still deleting: nothing to say or do
	for d in "none 0" "provision_spare 1"; do
		run --separate-stderr pp-provision --now "$NOW" < <(decision $d)
		assert_success
		refute_stderr_contains orphan
		refute_stderr_contains "not ours"
		refute_stderr_contains adopt
		jq_is '[.provision.servers[]? | select(.server_id == "'"$sid"'")]
			| length' 0
	done
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE")] |
		length') == 0 ]]
	[[ $(reg '[.nodes[] | select(.cloud.server_id == "'"$sid"'")] |
		length') == 0 ]]
	run --separate-stderr pp-fleetstats --now "$NOW" --reconcile
	assert_success
	refute_stderr_contains orphan
	jq_is '[.reconciliation.orphans[], .reconciliation.foreign[] |
		.server_id] | join(",")' ""
	jq_is '[.reconciliation.lost[].node] | join(",")' ""
	jq_is .reconciliation.pending_ram_mb 0
}

@test "a provisioning node whose server is being deleted is forgotten, neither waited for nor deleted again" {
	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	sid=$(reg '.nodes[] | select(.kind == "cloud") | .cloud.server_id')
	[[ $(reg '.nodes[] | select(.kind == "cloud") | .status') == provisioning ]]
	hand_delete "$sid"
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:01:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "node '$node' was provisioning but its server $sid is being deleted: removing the node"
	refute_stderr_contains orphan
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE")] |
		length') == 0 ]]
	run jq -r 'select(.type == "node.removed" and .node == "'"$node"'")
		| .reason' "$EVENTS"
	assert_output "its server is being deleted"
}

# stranded_node POOL: a cloud node a scale-up made, marked ready, its
# server then labelled with another pool (POOL; "" for none); sets node
# and sid
stranded_node() {
	run --separate-stderr pp-provision --now "$NOW" < <(decision scale_up 1)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	sid=$(reg '.nodes[] | select(.kind == "cloud") | .cloud.server_id')
	pp-registry status "$node" ready
	strand "$node" "$1"
}

@test "a node whose server another cloud.pool labels is reported once with the relabel command, not every cycle, and again when it comes back" {
	printf 'metrics:\n  textfile: %s\n' "$BATS_TEST_TMPDIR/pp.prom" \
		>> "$PP_CONFIG"
	# cloud.pool was eu-batch when it was made
	stranded_node eu-batch
	run --separate-stderr pp-provision -q --now 2026-11-27T10:01:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "node '$node': its server $sid ('$node') does not carry our labels (managed_by=ppscale, pool default): left alone; if it is this install's, set cloud.pool back to 'eu-batch', or relabel it ('hcloud server add-label --overwrite $sid pool=default')"
	jq_is '[.provision.servers[] | .op + ":" + .node + ":" + .status +
		":" + .error.code] | join(",")' "stranded:$node:left:not_ours"
	run jq -r '.stranded_servers | keys | join(",")' "$STATE"
	assert_output "$sid"
	# the state keeps the command pp-provision gave
	run jq -r --arg s "$sid" '.stranded_servers[$s].relabel' "$STATE"
	assert_output "hcloud server add-label --overwrite $sid pool=default"
	# pp-status shows it, with that command, as long as it is there
	run --separate-stderr pp-status --now 2026-11-27T10:01:30Z --json
	assert_success
	jq_is '[.stranded_servers[] | .server_id + ":" + .name + ":" +
		.since + ":" + .relabel + ":" + .labels] | join(",")' \
		"$sid:$node:2026-11-27T10:01:00Z:hcloud server add-label --overwrite $sid pool=default:managed_by=ppscale,pool=default"
	jq_is '.protected_orphans + .foreign_servers | length' 0
	run --separate-stderr pp-status --now 2026-11-27T10:01:30Z
	assert_success
	assert_line "stranded   $node (id $sid) since 2026-11-27T10:01:00Z: a registry node's server that no longer carries our labels (most often after a change of cloud.pool): left alone with its node; if it is this install's, set cloud.pool back, or relabel it ('hcloud server add-label --overwrite $sid pool=default')"
	# an entry of a state written before the command was kept: pp-status
	# guesses none; the next pp-provision run writes it in, unsaid
	jq --arg s "$sid" 'del(.stranded_servers[$s].relabel)' "$STATE" \
		> "$STATE.tmp" && mv "$STATE.tmp" "$STATE"
	run --separate-stderr pp-status --now 2026-11-27T10:01:30Z --json
	assert_success
	jq_is '[.stranded_servers[] | .server_id + ":" +
		(.relabel | tostring)] | join(",")' "$sid:null"
	run --separate-stderr pp-status --now 2026-11-27T10:01:30Z
	assert_success
	assert_line "stranded   $node (id $sid) since 2026-11-27T10:01:00Z: a registry node's server that no longer carries our labels: left alone with its node; if it is this install's, set its labels back by hand to match managed_by=ppscale,pool=default (cloud.label_key=cloud.label_value and the pool; pp-provision recorded no command for it)"
	refute_output --partial "hcloud server"
	[[ $(jq -s '[.[] | select(.server_id == "'"$sid"'" and
		.type == "scaling.failed")] | length' "$EVENTS") == 1 ]]
	grep -qx 'pp_last_run_warnings{tool="pp-provision"} 1' \
		"$BATS_TEST_TMPDIR/pp.prom" || fail "no warning in the metrics"
	# the next cycles: in the document, but no warning, no event
	for now in 2026-11-27T10:02:00Z 2026-11-27T10:03:00Z; do
		run --separate-stderr pp-provision -q --now "$now" \
			< <(decision none 0)
		assert_success
		assert_equal "$stderr" ""
		jq_is '[.provision.servers[] | .op + ":" + .status] |
			join(",")' stranded:left
		grep -qx 'pp_last_run_warnings{tool="pp-provision"} 0' \
			"$BATS_TEST_TMPDIR/pp.prom" || fail "a warning in the metrics"
		# nor from pp-fleetstats, which lists the node as lost,
		# stranded, and marks it so in the node list: pp-decide
		# never removes it
		run --separate-stderr pp-fleetstats --reconcile --no-record \
			--now "$now"
		assert_success
		jq_is '[.reconciliation.lost[] | .node + ":" +
			(.stranded | tostring)] | join(",")' "$node:true"
		jq_is '[.nodes[] | select(.stranded) | .id] | join(",")' \
			"$node"
		refute_stderr_contains "is lost"
	done
	[[ $(jq -s '[.[] | select(.server_id == "'"$sid"'" and
		.type == "scaling.failed")] | length' "$EVENTS") == 1 ]]
	[[ $(reg '[.nodes[] | select(.id == "'"$node"'")] | length') == 1 ]]
	# a run that leaves the node to its scale-down (the decision's
	# node) does not look at it: what was reported stays reported
	run --separate-stderr pp-provision -q --now 2026-11-27T10:03:20Z \
		< <(decision scale_down 1 cx23 nbg1 "$node")
	run jq -r --arg s "$sid" '.stranded_servers | (keys | join(",")) +
		":" + .[$s].relabel' "$STATE"
	assert_output "$sid:hcloud server add-label --overwrite $sid pool=default"
	n=$(jq -s '[.[] | select(.type == "scaling.failed")] | length' "$EVENTS")
	run --separate-stderr pp-provision -q --now 2026-11-27T10:03:40Z \
		< <(decision none 0)
	assert_success
	assert_equal "$stderr" ""
	[[ $(jq -s '[.[] | select(.type == "scaling.failed")] | length' \
		"$EVENTS") == "$n" ]]
	# relabelled as the hint says: back in our view, and forgotten
	if command -v hcloud >/dev/null; then
		HCLOUD_CONFIG=$BATS_TEST_TMPDIR/cli.toml hcloud server \
			add-label --overwrite "$sid" pool=default >/dev/null
	else
		strand "$node" default
	fi
	run --separate-stderr pp-provision --now 2026-11-27T10:04:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "server $sid ('$node') is no longer a node's server outside our labels"
	run jq -r '.stranded_servers // {} | length' "$STATE"
	assert_output 0
	run --separate-stderr pp-fleetstats --no-record \
		--now 2026-11-27T10:04:00Z
	assert_success
	jq_is '[.nodes[] | select(has("stranded"))] | length' 0
	run --separate-stderr pp-status --now 2026-11-27T10:04:30Z --json
	jq_is '.stranded_servers | length' 0
	run --separate-stderr pp-status --now 2026-11-27T10:04:30Z
	refute_output --partial stranded
	# stranded again, with no pool label where cloud.pool is set: said
	# again, with the command for that case
	strand "$node" ""
	run --separate-stderr pp-provision -q --now 2026-11-27T10:05:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "node '$node': its server $sid ('$node') does not carry our labels (managed_by=ppscale, pool default): left alone; if it is this install's, unset cloud.pool again, or relabel it ('hcloud server add-label $sid pool=default')"
	[[ $(jq -s '[.[] | select(.server_id == "'"$sid"'" and
		.type == "scaling.failed")] | length' "$EVENTS") == 2 ]]
	run --separate-stderr pp-status --now 2026-11-27T10:05:30Z --json
	jq_is '[.stranded_servers[] | .relabel] | join(",")' \
		"hcloud server add-label $sid pool=default"
}

# A state pp-provision cannot read (corrupt here; a lock held past its
# timeout alike) says nothing of what the last run reported: the run
# fails, says why once, and does not report every server it left alone
# again as new, with an event each.
@test "a state that cannot be read does not report a stranded server again as new" {
	stranded_node eu-batch
	run --separate-stderr pp-provision -q --now 2026-11-27T10:01:00Z \
		< <(decision none 0)
	assert_success
	[[ $(jq -s '[.[] | select(.type == "scaling.failed")] | length' \
		"$EVENTS") == 1 ]]
	cp "$STATE" "$BATS_TEST_TMPDIR/state.good"
	printf '{"version": 1,' > "$STATE"
	run --separate-stderr pp-provision -q --now 2026-11-27T10:02:00Z \
		< <(decision none 0)
	assert_failure 1
	assert_stderr_contains "state file '$STATE' is corrupt"
	refute_stderr_contains "does not carry our labels"
	jq_is '[.provision.servers[] | .op + ":" + .status] | join(",")' \
		stranded:left
	[[ $(jq -s '[.[] | select(.type == "scaling.failed")] | length' \
		"$EVENTS") == 1 ]]
	# readable again: still known, still not said
	cp "$BATS_TEST_TMPDIR/state.good" "$STATE"
	run --separate-stderr pp-provision -q --now 2026-11-27T10:03:00Z \
		< <(decision none 0)
	assert_success
	assert_equal "$stderr" ""
	[[ $(jq -s '[.[] | select(.type == "scaling.failed")] | length' \
		"$EVENTS") == 1 ]]
}

# unmanage NAME VALUE: sets the fake's server NAME's managed_by label to
# VALUE, as a person taking it out of ppscale's hands would
unmanage() {
	fake_ctl PUT /state "$(fake_state | jq -c --arg n "$1" --arg v "$2" \
		'.servers |= map(if .name == $n then .labels.managed_by = $v
		else . end) | {servers}')" >/dev/null
}

# What pp-status says of a stranded server is what pp-provision said:
# a pool command would not bring back a server whose managed_by label
# changed, so neither gives one.
@test "a node whose server lost our managed_by label is reported with no relabel command, and pp-status guesses none" {
	stranded_node default
	unmanage "$node" someone-else
	run --separate-stderr pp-provision -q --now 2026-11-27T10:01:00Z \
		< <(decision none 0)
	assert_success
	assert_stderr_contains "node '$node': its server $sid ('$node') does not carry our labels (managed_by=ppscale, pool default): left alone"
	refute_stderr_contains "hcloud server"
	run jq -r --arg s "$sid" '.stranded_servers | (keys | join(",")) +
		":" + (.[$s] | has("relabel") | tostring)' "$STATE"
	assert_output "$sid:false"
	run --separate-stderr pp-status --now 2026-11-27T10:01:30Z --json
	assert_success
	jq_is '[.stranded_servers[] | .server_id + ":" + .name + ":" +
		(.relabel | tostring) + ":" + .labels] | join(",")' \
		"$sid:$node:null:managed_by=ppscale,pool=default"
	run --separate-stderr pp-status --now 2026-11-27T10:01:30Z
	assert_success
	assert_line "stranded   $node (id $sid) since 2026-11-27T10:01:00Z: a registry node's server that no longer carries our labels: left alone with its node; if it is this install's, set its labels back by hand to match managed_by=ppscale,pool=default (cloud.label_key=cloud.label_value and the pool; pp-provision recorded no command for it)"
	refute_output --partial "hcloud server"
	# managed_by set back, the pool changed: still stranded, not said
	# again, but the state now holds the command that fits, and when
	# managed_by changes once more it is gone again
	unmanage "$node" ppscale
	strand "$node" eu-batch
	run --separate-stderr pp-provision -q --now 2026-11-27T10:02:00Z \
		< <(decision none 0)
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr pp-status --now 2026-11-27T10:02:30Z --json
	jq_is '[.stranded_servers[] | .since + ":" + .relabel] | join(",")' \
		"2026-11-27T10:01:00Z:hcloud server add-label --overwrite $sid pool=default"
	unmanage "$node" someone-else
	run --separate-stderr pp-provision -q --now 2026-11-27T10:03:00Z \
		< <(decision none 0)
	assert_success
	run --separate-stderr pp-status --now 2026-11-27T10:03:30Z
	assert_success
	assert_line --partial "stranded   $node (id $sid) since 2026-11-27T10:01:00Z: "
	refute_output --partial "hcloud server"
}

# pp-fleetstats quiets what pp-provision reported, each by its own
# record: a node it reported stranded (stranded_servers) is lost
# without a warning, but that server, once no node's and back in our
# labels, is an orphan like any other and warned of.
@test "a server reported stranded whose node is gone and which carries our labels again is warned of as an orphan" {
	stranded_node eu-batch
	run --separate-stderr pp-provision -q --now 2026-11-27T10:01:00Z \
		< <(decision none 0)
	assert_success
	run jq -r '.stranded_servers | keys | join(",")' "$STATE"
	assert_output "$sid"
	run --separate-stderr pp-fleetstats --reconcile --no-record \
		--now 2026-11-27T10:02:00Z
	assert_success
	refute_stderr_contains "is lost"
	# the platform drops the node; the server is relabelled into our pool
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		psql -X -q -d "$REG_DB" -c "DELETE FROM ppscale_nodes
			WHERE id = '$node'"
	else
		jq --arg n "$node" 'del(.nodes[] | select(.id == $n))' "$REG" \
			> "$REG.tmp" && mv "$REG.tmp" "$REG"
	fi
	strand "$node" default
	run --separate-stderr pp-fleetstats --reconcile --no-record \
		--now 2026-11-27T10:03:00Z
	assert_success
	jq_is '[.reconciliation.orphans[].server_id] | join(",")' "$sid"
	assert_stderr_contains "orphan server '$node' (id $sid"
}

