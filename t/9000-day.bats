#!/usr/bin/env bats
# The whole cycle, pp-fleetstats | pp-decide | pp-drain | pp-provision,
# through a scripted Thursday-to-Sunday (t/fixtures/day/week.txt): one
# cycle every two minutes where something happens, longer steps where
# nothing does, every tool on the scenario's --now clock, and a platform
# (t/test_helper/platform_player.py) that starts and stops game servers
# to follow the load and carries out pp-drain's moves.  day.py checks the
# invariants after every cycle (see its header); the tests below read its
# records.  The days run once, in setup_file, side by side: against the
# fake Hetzner API, with the local provider (servers boot within the run,
# as pp-provision's wait makes them with Hetzner), and Thursday afternoon
# with the local provider's 90-second boot on the --now clock.

bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/common'
	load 'test_helper/fakehcloud'
	load 'test_helper/day'
	fake_start
	export H="$BATS_FILE_TMPDIR/hetzner" L="$BATS_FILE_TMPDIR/local"
	export B="$BATS_FILE_TMPDIR/boot"
	local pids=()
	day_run hetzner "$H" &
	pids+=($!)
	day_run local "$L" &
	pids+=($!)
	DAY_BOOT=90s day_run local "$B" \
		"$TOP/t/fixtures/day/thursday.txt" &
	pids+=($!)
	# not a bare wait: the fake runs in the background too
	wait "${pids[@]}"
}

teardown_file() {
	load 'test_helper/fakehcloud'
	fake_stop
}

setup() {
	load 'test_helper/common'
	load 'test_helper/day'
}

# violations DIR PATTERN: the invariant violations whose text matches
violations() {
	day_summary "$1" "[.violations[] | select(.what | test(\"$2\"))]"
}

@test "every tool exits 0 in every cycle of the day, with either provider" {
	for d in "$H" "$L" "$B"; do
		day_ok "$d"
		run violations "$d" 'exit statuses|no document'
		assert_output '[]'
	done
	# the whole stretch ran: Thursday 16:00 to Sunday 03:18
	run day_summary "$H" '.cycles'
	assert_output 160
	run day_cycles "$H" '[.[0].now, .[-1].now]'
	assert_output '["2026-11-26T16:00:00Z","2026-11-29T03:18:00Z"]'
}

@test "after every cycle the cloud's servers with our label are exactly the registry's cloud nodes" {
	for d in "$H" "$L" "$B"; do
		day_ok "$d"
		run violations "$d" 'cloud servers|still in the cloud|are back|still registered|reconciliation'
		assert_output '[]'
	done
	# and that set was not trivially empty: the fleet grew and shrank
	run day_cycles "$H" '[.[] | .cloud | length] | [max, .[-1]]'
	assert_output '[7,1]'
}

@test "no game server, running or stopped, is lost with a deleted node or placed on a booting one" {
	for d in "$H" "$L" "$B"; do
		day_ok "$d"
		run violations "$d" 'game servers'
		assert_output '[]'
	done
	# servers were deleted while game servers had been on them: the
	# drains moved them first
	run day_cycles "$H" '[.[] | select(.provision.servers // [] |
		any(.op == "delete" and .status == "removed"))] | length'
	assert_output 6
	run day_cycles "$H" '[.[] | .drain.moved // 0] | add'
	assert_output 1
	grep -q '"result": "moved"' "$H/state/registry.json.moves"
}

@test "Thursday: the pool gets its spare, and a rise past 85% buys a worker, registered provisioning, ready once the platform marks it" {
	day_ok "$H"
	run day_cycles "$H" '.[0] | [.decision.action, .decision.count,
		.decision.role, .provision.status, .cloud[0].status]'
	assert_output '["provision_spare",1,"spare","done","ready"]'
	run day_cycles "$H" '[.[] | select(.decision.action == "scale_up")][0] |
		[.now, .decision.policy, .decision.server_type,
		(.decision.reason | test("capacity 8[5-9].*% > 85.0%")),
		.provision.servers[0].op, .provision.servers[0].status]'
	assert_output '["2026-11-26T16:38:00Z","reactive","cx33",true,"create","provisioning"]'
	# the events say provisioning; ready is the platform's mark (its
	# agent joined), not an event of pp-provision's
	run day_cycles "$H" '[.[] | select(.decision.action == "scale_up")][0] |
		.provision.servers[0].node'
	node=$(jq -r --argjson c "$output" '.[$c]' "$H/out/names.json")
	run jq -sc --arg n "$node" '[.[] | select(.node == $n) | .type]' \
		"$H/state/events.jsonl"
	assert_output --partial '"node.provisioning"'
	refute_output --partial '"node.added"'
}

@test "Friday comes and the spare pool grows to three" {
	day_ok "$H"
	run day_cycles "$H" '.[] | select(.now == "2026-11-27T00:00:00Z") |
		[.decision.action, .decision.count,
		(.decision.reason | test("3 wanted on Friday")),
		([.cloud[] | select(.role == "spare" and .containers == 0)] |
		length)]'
	assert_output '["provision_spare",2,true,3]'
	# on Thursday one was enough
	run day_cycles "$H" '[.[] | select(.now < "2026-11-27") |
		.decision.reason | select(test("wanted on Thursday"))] |
		all(test("1 wanted"))'
	assert_output true
}

@test "Sunday: after 20 minutes under 30% the surplus spares go first, then workers are drained through the hook and deleted" {
	day_ok "$H"
	# every scale-down the engine started (not the continuing ones)
	run day_cycles "$H" '[.[] | select(.decision.action == "scale_down"
		and .decision.policy != null) |
		[.now[11:16], .node_before.role, .node_before.containers]]'
	assert_output '[["00:36","spare",0],["00:42","spare",0],["00:48","spare",0],["00:54","worker",0],["01:00","worker",1],["01:06","spare",1],["02:40","spare",0]]'
	run day_cycles "$H" '[.[] | select(.decision.action == "scale_down")][0] |
		.decision.reason | test("< 30.0% for 20 min")'
	assert_output true
	# the worker with a game server: moved through the hook, then deleted
	# in the same cycle, as its drain reported it empty
	run day_cycles "$H" '.[] | select(.now == "2026-11-29T01:00:00Z") |
		[.drain.status, .drain.moved, .drain.remaining,
		.provision.servers[0].op, .provision.servers[0].status]'
	assert_output '["empty",1,0,"delete","removed"]'
}

@test "a rush during a drain uncordons the draining node instead of buying a server" {
	day_ok "$H"
	# the drain waited for its players from 01:06 ...
	run day_cycles "$H" '[.[] | select(.drain.status == "in_progress") |
		.now[11:16]] | [.[0], .[-1], length]'
	assert_output '["01:06","01:24",10]'
	# ... until the rush brought it back
	run day_cycles "$H" '.[] | select(.decision.action == "uncordon") |
		[.now[11:16], .decision.policy, .node_before.status,
		.drain.status, (.provision.servers // [] | length),
		(.decision.reason | test("stop draining"))]'
	assert_output '["01:26","reactive","draining","uncordoned",0,true]'
	run day_cycles "$H" '.[] | select(.decision.action == "uncordon") |
		.decision.node as $n | .cloud[] | select(.node == $n) | .status'
	assert_output '"ready"'
	# and no server was bought for the rush
	run day_cycles "$H" '[.[] | select(.now > "2026-11-29T01:00:00Z" and
		(.decision.action == "scale_up" or
		 .decision.action == "provision_spare"))] | length'
	assert_output 0
	run day_summary "$H" '.refused_starts'
	assert_output 0
}

@test "the same day with the local provider makes the same decisions" {
	day_ok "$H"
	day_ok "$L"
	local f='[.[] | [.now, .decision.action, .decision.policy,
		.decision.count, .decision.role, .decision.server_type,
		.drain.status, .provision.status,
		([.cloud[] | .status] | sort)]]'
	diff <(day_cycles "$H" "$f" | jq -c '.[]') \
		<(day_cycles "$L" "$f" | jq -c '.[]')
	# and the decisions were not all "none"
	run day_summary "$L" '[.actions[].action] | unique'
	assert_output '["provision_spare","scale_down","scale_up","uncordon"]'
}

@test "on the local provider's --now clock a new server is provisioning for one cycle, then ready" {
	day_ok "$B"
	run day_cycles "$B" '.[0:2] | map([.provision.status,
		(.provision.servers[0] | [.op, .status]), .cloud[0].status])'
	assert_output '[["pending",["create","provisioning"],"provisioning"],["done",["promote","ready"],"ready"]]'
	# while it boots its RAM counts as pending, and nothing is bought twice
	run day_cycles "$B" '.[1].decision.action'
	assert_output '"none"'
}
