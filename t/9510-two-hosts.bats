#!/usr/bin/env bats
# Two control hosts sharing one PostgreSQL database (control.database):
# pp-cycle lets one cycle of the pool act at a time, and either host
# continues where the other stopped. The 50-round run is
# t/slow/9510-two-hosts-rounds.bats.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/common'
	load 'test_helper/pg'
	pg_start
}

teardown_file() {
	load 'test_helper/pg'
	pg_stop
}

setup() {
	load 'test_helper/common'
	load 'test_helper/pg'
	load 'test_helper/twohosts'
	pp_isolate
}

@test "two hosts start the same cycle at once, 3 rounds: exactly the servers one decision asked for" {
	ROUNDS_SKIPPED=0
	host_rounds 3
	echo "# 3 rounds: the second host skipped (exit 75) in $ROUNDS_SKIPPED" >&3
}

@test "either host continues where the other stopped: decide memory, history and events are the database's" {
	hosts_setup hosts
	host_cycle a 2026-11-27T18:00:00Z
	[ "$(cat "$HOSTS/a/rc")" = 0 ]
	jq -e '.decision.action == "provision_spare"' "$HOSTS/a/out.json"
	host_cycle b 2026-11-27T18:02:00Z
	[ "$(cat "$HOSTS/b/rc")" = 0 ]
	# host b's reactive policy counts the down window from a's cycle
	run jq -r '.decision.evaluations[] | select(.policy == "reactive") |
		.figures.below_since' "$HOSTS/b/out.json"
	assert_output 2026-11-27T18:00:00Z
	run jq -r '.history.samples' "$HOSTS/b/out.json"
	assert_output 2
	# one state row, no state file on either host
	[ ! -e "$HOSTS/a/state.json" ] && [ ! -e "$HOSTS/b/state.json" ]
	[ "$(psql -X -At -d hosts -c "SELECT count(*) FROM ppscale_state")" = 1 ]
	# the events of both hosts, in one log
	run psql -X -At -d hosts -c "SELECT event->>'tool' || ':' ||
		(event->>'type') FROM ppscale_events ORDER BY seq LIMIT 2"
	assert_output "pp-decide:scaling.triggered
pp-provision:node.provisioning"
	# pp-status on host b shows the decision host a took
	run --separate-stderr env PP_CONFIG="$HOSTS/ppscale.yaml" \
		PP_STATE_DIR="$HOSTS/b" pp-status --json \
		--now 2026-11-27T18:03:00Z
	assert_success
	jq_is '.decision.action' provision_spare
	jq_is '.decision.at' 2026-11-27T18:00:00Z
	jq_is '.state_file' "postgresql:///hosts (pool default)"
	# after host b's snapshot (18:02) the platform fills the dedicated
	# nodes and host a's cycle scales up: pp-status on host b lists
	# what it did after that snapshot from the database's events,
	# which both hosts write
	for mb in 8000 8000 8000 6720; do
		for n in ded-fsn1-1 ded-fsn1-2; do
			PP_CONFIG="$HOSTS/ppscale.yaml" pp-registry -q \
				-r "$HOSTS_URL" place "$n" "gs-$n-$RANDOM" "$mb"
		done
	done
	host_cycle a 2026-11-27T18:04:00Z
	[ "$(cat "$HOSTS/a/rc")" = 0 ]
	want=$(psql -X -At -d hosts -c "SELECT string_agg(event->>'type' ||
		' ' || (event->>'time'), ',' ORDER BY seq DESC) FROM
		ppscale_events WHERE event->>'time' >= '2026-11-27T18:02:00Z'
		AND event->>'tool' NOT IN ('pp-fleetstats', 'pp-decide')")
	[[ $want == *"T18:04:00Z"* ]] || fail "host a did nothing at 18:04: $want"
	# (host b's own events file does not have them)
	grep -q '"time":"2026-11-27T18:04:00Z"' "$HOSTS/b/events.jsonl" &&
		fail "host b's events file has host a's events"
	run --separate-stderr env PP_CONFIG="$HOSTS/ppscale.yaml" \
		PP_STATE_DIR="$HOSTS/b" pp-status --json \
		--now 2026-11-27T18:05:00Z
	assert_success
	jq_is .fleet.generated_at 2026-11-27T18:02:00Z
	jq_is .since_snapshot.source "ppscale_events (pool default)"
	jq_is '.since_snapshot.events | map(.type + " " + .time) | join(",")' \
		"$want"
}

@test "an unreachable or unready database: pp-cycle does not run the cycle" {
	local marker="$BATS_TEST_TMPDIR/ran"
	printf 'control:\n  database: "postgresql:///x?host=%s&port=1"\n' \
		"$BATS_TEST_TMPDIR/nosuchdir" >> "$PP_CONFIG"
	run --separate-stderr pp-cycle -- touch "$marker"
	assert_failure 1
	assert_stderr_contains "cannot connect to database 'postgresql:///x'"
	assert_stderr_contains "the cycle did not run"
	[ ! -e "$marker" ]
	createdb noschema
	printf 'profile: seed\ncontrol:\n  database: "%s"\n' \
		"$(pg_url noschema)" > "$PP_CONFIG"
	run --separate-stderr pp-cycle -- touch "$marker"
	assert_failure 2
	assert_stderr_contains "has no ppscale schema"
	[ ! -e "$marker" ]
}

@test "pp-cycle: the database's lock held elsewhere is exit 75; the command's status passes through" {
	hosts_setup hosts
	export PP_CONFIG="$HOSTS/ppscale.yaml"
	run --separate-stderr pp-cycle -- sh -c 'exit 3'
	assert_failure 3
	run --separate-stderr pp-cycle -- sh -c 'kill -TERM $$'
	assert_failure 143
	# another host holds the pool's lock while its cycle runs
	# (held until the test lets go, however slow the machine)
	touch "$BATS_TEST_TMPDIR/hold"
	pp-cycle -- timeout 60 sh -c "touch '$BATS_TEST_TMPDIR/held'; while [ -e '$BATS_TEST_TMPDIR/hold' ]; do sleep 0.05; done" &
	local other=$!
	until [[ -e $BATS_TEST_TMPDIR/held ]]; do sleep 0.05; done
	run --separate-stderr pp-cycle -- touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 75
	assert_stderr_contains "the cycle of pool 'default' runs on another host"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	run --separate-stderr pp-cycle -q -- true
	assert_failure 75
	[[ -z $stderr ]]
	rm "$BATS_TEST_TMPDIR/hold"
	wait "$other"
	run --separate-stderr pp-cycle -- touch "$BATS_TEST_TMPDIR/ran"
	assert_success
	[ -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "pp-cycle: a lost lock session stops the command at a safe point and fails loudly" {
	hosts_setup hosts
	export PP_CONFIG="$HOSTS/ppscale.yaml"
	local d=$BATS_TEST_TMPDIR
	# the command stands in for the pipeline: SIGTERM is its safe stop
	pp-cycle -q -- timeout 60 sh -c "trap 'touch $d/stopped; exit 0' TERM; touch $d/held; while :; do sleep 0.05; done" \
		2>"$d/err" &
	local cyc=$!
	until [[ -e $d/held ]]; do sleep 0.05; done
	# the server ends the session that holds the lock (as a restart would)
	run psql -X -At -c "SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted"
	assert_output 1
	local rc=0
	wait "$cyc" || rc=$?
	[ "$rc" -eq 1 ]
	[ -e "$d/stopped" ]
	run cat "$d/err"
	assert_output --partial "lost the database session that holds the cycle lock of pool 'default'"
	# the lock is free for the next cycle, here or on the other host
	run --separate-stderr pp-cycle -- touch "$d/ran"
	assert_success
	[ -e "$d/ran" ]
}

# cycle_stage: $BATS_TEST_TMPDIR/stage NAME [ignore] stands in for a
# tool of the pipeline: it records its pid in NAME.pid and, on SIGTERM,
# takes half a second to reach its safe point, records NAME.stopped and
# exits 1; with "ignore" it ignores SIGTERM. It gives up after a minute.
cycle_stage() {
	cat > "$BATS_TEST_TMPDIR/stage" <<-'EOF'
	#!/bin/sh
	d=$(dirname "$0") name=$1
	if [ "${2-}" = ignore ]; then
		trap '' TERM
	else
		trap 'sleep 0.5; touch "$d/$name.stopped"; exit 1' TERM
	fi
	echo $$ > "$d/$name.pid.tmp" && mv "$d/$name.pid.tmp" "$d/$name.pid"
	i=0
	while [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
	EOF
	chmod +x "$BATS_TEST_TMPDIR/stage"
}

# cycle_pipeline_gone NAME...: each stage has ended (pp-cycle has just
# exited, so it held the lock until then)
cycle_pipeline_gone() {
	local p
	for p; do
		! kill -0 "$(cat "$BATS_TEST_TMPDIR/$p.pid")" 2>/dev/null ||
			fail "tool $p still runs after pp-cycle exited"
	done
}

# cycle_lock_free: the cycle lock is free at once (pp-cycle let go
# of it when it exited)
cycle_lock_free() {
	run --separate-stderr pp-cycle -- true
	assert_success
}

# cycle_start [OPTION...] -- A_ARGS: pp-cycle OPTIONs in the background
# on `$A_WRAP stage a A_ARGS | stage b` (cycle_stage; A_WRAP, say
# "timeout 50", runs stage a under another command), its stderr in err;
# its pid in $cyc once both stages run
cycle_start() {
	local d=$BATS_TEST_TMPDIR opts=()
	while [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	pp-cycle -q "${opts[@]}" -- bash -o pipefail -c \
		"${A_WRAP:-} '$d/stage' a $* | '$d/stage' b" 2>"$d/err" &
	cyc=$!
	wait_exists "$d/a.pid" 30 && wait_exists "$d/b.pid" 30 ||
		fail "the pipeline did not start: $(<"$d/err")"
}

# idle_session_timeout (PostgreSQL 14) ends sessions idle outside a
# transaction: the lock's session is idle for the whole cycle
@test "pp-cycle: a database's idle_session_timeout does not end the lock's session" {
	hosts_setup hosts
	export PP_CONFIG="$HOSTS/ppscale.yaml"
	psql -X -q -d hosts -c "ALTER ROLE CURRENT_USER IN DATABASE hosts
		SET idle_session_timeout = '1s'"
	run --separate-stderr pp-cycle -- sleep 3
	psql -X -q -d hosts -c "ALTER ROLE CURRENT_USER IN DATABASE hosts
		RESET idle_session_timeout"
	assert_success
	refute_stderr_contains "lost the database session"
}

@test "pp-cycle: SIGTERM stops every tool of a bash pipeline, and the lock is held until the last has ended" {
	local d=$BATS_TEST_TMPDIR rc=0 cyc
	cycle_stage
	cycle_start --
	kill -TERM "$cyc"
	wait "$cyc" || rc=$?
	cycle_pipeline_gone a b
	# both reached their safe point before pp-cycle let go
	[ -e "$d/a.stopped" ] && [ -e "$d/b.stopped" ]
	# the command's status: bash, which the signal ended
	((rc == 143)) || fail "exit $rc: $(<"$d/err")"
	cycle_lock_free
}

@test "pp-cycle: a tool that ignores SIGTERM is killed after --kill-after, and the status stays the command's" {
	local d=$BATS_TEST_TMPDIR rc=0 cyc
	cycle_stage
	cycle_start --kill-after 1 -- ignore
	kill -TERM "$cyc"
	wait "$cyc" || rc=$?
	cycle_pipeline_gone a b
	# (whether b reached its safe point within the second depends on
	# the machine's load: the test above holds that)
	[ ! -e "$d/a.stopped" ]
	((rc == 143)) || fail "exit $rc: $(<"$d/err")"
	run cat "$d/err"
	assert_output --partial "did not stop within 1 s of SIGTERM: killing them (SIGKILL)"
	cycle_lock_free
}

@test "pp-cycle: a tool run under timeout(1), which leaves the command's process group, is stopped too and waited for" {
	local d=$BATS_TEST_TMPDIR rc=0 cyc
	cycle_stage
	# timeout puts itself and its command in a process group of their
	# own: a signal to the command's group does not reach them
	A_WRAP="timeout 50" cycle_start --
	kill -TERM "$cyc"
	wait "$cyc" || rc=$?
	cycle_pipeline_gone a b
	[ -e "$d/a.stopped" ] && [ -e "$d/b.stopped" ]
	((rc == 143)) || fail "exit $rc: $(<"$d/err")"
	# a command that ends and leaves one running: stopped, waited for
	run --separate-stderr pp-cycle -- bash -c "timeout 50 '$d/stage' c &
		until [ -e '$d/c.pid' ]; do sleep 0.05; done"
	assert_success
	assert_stderr_contains "ended but left processes running: stopping them (SIGTERM)"
	cycle_pipeline_gone c
	[ -e "$d/c.stopped" ]
	cycle_lock_free
}

@test "pp-cycle: a lost lock session stops every tool of a bash pipeline before pp-cycle exits 1" {
	hosts_setup hosts
	export PP_CONFIG="$HOSTS/ppscale.yaml"
	local d=$BATS_TEST_TMPDIR rc=0 cyc
	cycle_stage
	cycle_start --
	run psql -X -At -c "SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted"
	assert_output 1
	wait "$cyc" || rc=$?
	cycle_pipeline_gone a b
	[ -e "$d/a.stopped" ] && [ -e "$d/b.stopped" ]
	((rc == 1)) || fail "exit $rc: $(<"$d/err")"
	run cat "$d/err"
	assert_output --partial "lost the database session that holds the cycle lock of pool 'default'"
	cycle_lock_free
}

@test "pp-cycle without control.database locks STATE_DIR/pipeline.lock, as the shipped cron line does" {
	# held until the test lets go, however slow the machine
	touch "$BATS_TEST_TMPDIR/hold"
	flock "$PP_STATE_DIR/pipeline.lock" timeout 60 sh -c "touch '$BATS_TEST_TMPDIR/held'; while [ -e '$BATS_TEST_TMPDIR/hold' ]; do sleep 0.05; done" &
	local holder=$!
	until [[ -e $BATS_TEST_TMPDIR/held ]]; do sleep 0.05; done
	run --separate-stderr pp-cycle -- touch "$BATS_TEST_TMPDIR/ran"
	rm "$BATS_TEST_TMPDIR/hold"
	assert_failure 75
	assert_stderr_contains "lock file '$PP_STATE_DIR/pipeline.lock'"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	wait "$holder"
	run --separate-stderr pp-cycle -- touch "$BATS_TEST_TMPDIR/ran"
	assert_success
	[ -e "$BATS_TEST_TMPDIR/ran" ]
	run --separate-stderr pp-cycle
	assert_failure 2
	assert_stderr_contains "a command to run is required"
}

@test "history imported on one host is the database's: the other host forecasts from it" {
	hosts_setup hosts
	awk -v now="$(date -u -d 2026-11-27T18:00:00Z +%s)" 'BEGIN {
		print "time,allocated_ram_mb"
		for (t = now - 8 * 86400 + 300; t < now; t += 300)
			printf "%d,%d\n", t, 20480 + 10240 * sin(2 * 3.14159265 * (t % 86400) / 86400)
	}' > "$BATS_TEST_TMPDIR/past.csv"
	run --separate-stderr env PP_CONFIG="$HOSTS/ppscale.yaml" \
		PP_STATE_DIR="$HOSTS/a" pp-fleetstats --now 2026-11-27T18:00:00Z \
		--import-history "$BATS_TEST_TMPDIR/past.csv"
	assert_success
	jq_is .imported 2303
	assert_stderr_contains "into the database's history of pool 'default'"
	[ ! -e "$HOSTS/a/history" ]
	[ "$(psql -X -At -d hosts -c "SELECT count(*) FROM ppscale_history")" = 2303 ]
	# again: every minute is there already
	run --separate-stderr env PP_CONFIG="$HOSTS/ppscale.yaml" \
		PP_STATE_DIR="$HOSTS/a" pp-fleetstats --now 2026-11-27T18:00:00Z \
		--import-history "$BATS_TEST_TMPDIR/past.csv"
	assert_success
	jq_is .imported 0
	jq_is .skipped_own 2303
	# the same minutes summed over the two hosts: twice the database's
	# figures, refused, nothing written
	awk -F, 'NR > 1 { printf "%d,%d\n", $1 - 60, 2 * $2 }
		NR > 1 { print $1 "," 2 * $2 }' "$BATS_TEST_TMPDIR/past.csv" \
		> "$BATS_TEST_TMPDIR/summed.csv"
	run --separate-stderr env PP_CONFIG="$HOSTS/ppscale.yaml" \
		PP_STATE_DIR="$HOSTS/a" pp-fleetstats --now 2026-11-27T18:00:00Z \
		--import-history "$BATS_TEST_TMPDIR/summed.csv"
	assert_failure 2
	assert_stderr_contains "in the 2303 minutes the store has too"
	assert_stderr_contains "is 2.0 times more than the store's own"
	[ "$(psql -X -At -d hosts -c "SELECT count(*) FROM ppscale_history")" = 2303 ]
	host_cycle b 2026-11-27T18:02:00Z
	[ "$(cat "$HOSTS/b/rc")" = 0 ]
	run jq -r '.forecast.method' "$HOSTS/b/out.json"
	assert_output seasonal-weekly
}

# two_host_drain: $H with a shared database (registry and control),
# the local cloud, a move hook that refuses a second move of a game
# server and holds the first until $H/go exists; two ready cloud
# nodes M and X that pp-provision made, game server mc-g (4000 MB) on
# M.
two_host_drain() {
	H=$BATS_TEST_TMPDIR/h
	mkdir -p "$H/a" "$H/b"
	pg_emptydb drain2 || return 1
	local url
	url=$(pg_url drain2)
	printf 'join-%s-secret\n' "$RANDOM" > "$H/join"
	chmod 600 "$H/join"
	cat > "$H/ppscale.yaml" <<-EOF
	registry: "$url"
	control:
	  database: "$url"
	cloud:
	  provider: local
	  local:
	    file: $H/cloud.json
	    boot_seconds: 0s
	cloud_init:
	  join_token_file: $H/join
	  conductor_addresses: [203.0.113.7]
	drain:
	  move_command: ["$FIXTURES/drain/move-hook", "{server}", "--from={from}", "{to}"]
	  move_timeout: 60s
	EOF
	export PP_CONFIG=$H/ppscale.yaml HOOK_LOG=$H/hook.log
	export HOOK_ALSO='[ -e "$HOOK_LOG.$1" ] && exit 1; touch "$HOOK_LOG.$1";
		for i in $(seq 500); do [ -e "'"$H"'/go" ] && break; sleep 0.1; done'
	echo '{"version": 1, "nodes": []}' > "$H/empty.json"
	pp-registry -q import "$H/empty.json"
	jq -nc '{version: 1, generated_at: "2026-11-27T18:00:00Z",
		decision: {action: "scale_up", count: 2, server_type: "cx33",
		location: "nbg1", node: null, role: "worker", reason: "test",
		dry_run: false}}' |
		PP_STATE_DIR=$H/a pp-provision -q --now 2026-11-27T18:00:00Z \
		> /dev/null
	jq -nc '{version: 1, generated_at: "2026-11-27T18:01:00Z",
		decision: {action: "none", reason: "test", dry_run: false}}' |
		PP_STATE_DIR=$H/a pp-provision -q --now 2026-11-27T18:01:00Z \
		> /dev/null
	M=$(pp-registry show | jq -r '[.nodes[] | select(.status == "ready")
		| .id] | sort | .[0]')
	X=$(pp-registry show | jq -r '[.nodes[] | select(.status == "ready")
		| .id] | sort | .[1]')
	[[ -n $M && -n $X && $M != null && $X != null ]]
	pp-registry -q place "$M" mc-g 4000
}

# host_a_down NODE NOW: host a's pipeline scales NODE down at NOW
host_a_down() {
	PP_STATE_DIR=$H/a pp-fleetstats -q --now "$2" |
		jq -c --arg n "$1" '.decision = {action: "scale_down",
		node: $n, reason: "test", dry_run: false, evaluations: []}' |
		PP_STATE_DIR=$H/a pp-drain --now "$2" |
		PP_STATE_DIR=$H/a pp-provision --now "$2"
}

@test "a move another host's pp-drain still runs is neither run again nor dropped, and its target is not deleted" {
	two_host_drain
	# host b drains M by hand: mc-g's move onto X holds in its hook
	(PP_STATE_DIR=$H/b pp-drain --now 2026-11-27T18:02:00Z --node "$M" \
		> "$H/b.out" 2> "$H/b.err"; echo $? > "$H/b.rc") &
	wait_exists "$HOOK_LOG.mc-g"
	run -0 psql -X -At -d drain2 -c "SELECT body::text FROM ppscale_state"
	intent=$(jq -c '.unrecorded_moves' <<<"$output")
	[[ $(jq -r '.[] | "\(.server) \(.from)>\(.to) \(.state) \(.host) \(.state_dir) \(.ram_mb)"' \
		<<<"$intent") == "mc-g $M>$X intent $(hostname) $(realpath "$H/b") 4000" ]]
	# host a scales X down meanwhile: b's intent is not host a's to
	# settle (its locks are b's files), and X is not empty while mc-g
	# may be landing on it
	run --separate-stderr host_a_down "$X" 2026-11-27T18:02:05Z
	assert_success
	assert_stderr_contains "game server 'mc-g': the move from '$M' to '$X' a pp-drain on host '$(hostname)'"
	assert_stderr_contains "may still be under way"
	refute_stderr_contains "moving it again"
	jq_is '.drain.empty' false
	jq_is '.drain.reason' "no game server left on '$X', but another pp-drain is moving one onto it; the next cycle looks again"
	jq_is '.provision.servers // [] | map(select(.op == "delete")) | length' 0
	[[ $(jq '.servers | length' "$H/cloud.json") == 2 ]]
	[[ $(grep -c '^CALL mc-g' "$HOOK_LOG") == 1 ]]
	run -0 psql -X -At -d drain2 -c "SELECT body::text FROM ppscale_state"
	[[ $(jq -c '.unrecorded_moves' <<<"$output") == "$intent" ]]
	# nor does host a drain M beside it, or settle mc-g by hand
	run --separate-stderr env PP_STATE_DIR="$H/a" pp-drain \
		--now 2026-11-27T18:02:06Z --node "$M"
	jq_is '.drain.status' busy
	run --separate-stderr env PP_STATE_DIR="$H/a" pp-drain \
		--now 2026-11-27T18:02:07Z --settle mc-g --on "$M"
	assert_failure 1
	assert_stderr_contains "still at work"
	# b's move lands on X and is recorded there
	touch "$H/go"
	wait
	[[ $(cat "$H/b.rc") == 0 ]] || fail "host b: $(cat "$H/b.err")"
	! grep -q "gone from the registry" "$H/b.err"
	[[ $(pp-registry show | jq -r --arg x "$X" '.nodes[] |
		select(.id == $x) | [.containers[].id] | join(",")') == mc-g ]]
	run -0 psql -X -At -d drain2 -c "SELECT body::text FROM ppscale_state"
	jq -e '.unrecorded_moves == null' <<<"$output"
}

@test "a target another host cordons and deletes while this host writes its move's intent is not moved onto" {
	two_host_drain
	touch "$H/go"
	local bin
	bin=$(command -v pp-drain)
	# host b drains M by hand, stopped by gdb where it writes mc-g's
	# intent: X was ready when it looked, and host a cannot see b's
	# target lock (a file of b's) nor, yet, its intent
	# (LeakSanitizer does not run under ptrace)
	(PP_STATE_DIR=$H/b ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		gdb -q -batch -return-child-result -ex 'set breakpoint pending on' \
		-ex 'break pp_dr_write_intent' \
		-ex "run --now 2026-11-27T18:02:00Z --node $M < /dev/null > $H/b.out 2> $H/b.err" \
		-ex "shell touch $H/atbreak" \
		-ex "shell while [ ! -e $H/cont ]; do sleep 0.1; done" \
		-ex delete -ex continue "$bin" > "$H/gdb.out" 2>&1
		echo $? > "$H/b.rc") 3>&- &
	wait_exists "$H/atbreak" 60
	# host a scales X down meanwhile: X is empty and goes
	run --separate-stderr host_a_down "$X" 2026-11-27T18:02:05Z
	assert_success
	jq_is '.drain.empty' true
	jq_is '.provision.status' done
	[[ $(jq '.servers | length' "$H/cloud.json") == 1 ]]
	# b, its intent written, looks at X again: gone, so mc-g stays on
	# M, no hook runs and no intent is left
	touch "$H/cont"
	wait
	wait_exists "$H/b.rc" 60
	[[ $(cat "$H/b.rc") == 0 ]] || fail "host b: $(cat "$H/b.err" "$H/gdb.out")"
	[[ ! -e $HOOK_LOG ]] || fail "hook ran: $(cat "$HOOK_LOG")"
	[[ $(jq -r --arg x "$X" '.drain.skipped[] | select(.to == $x) | .reason' \
		"$H/b.out") == "target '$X' is no longer ready; re-planned next cycle" ]] ||
		fail "b: $(cat "$H/b.out")"
	[[ $(pp-registry show | jq -r --arg m "$M" '.nodes[] |
		select(.id == $m) | [.containers[].id] | join(",")') == mc-g ]]
	run -0 psql -X -At -d drain2 -c "SELECT body::text FROM ppscale_state"
	jq -e '.unrecorded_moves == null' <<<"$output"
}

@test "another host's move older than move_timeout and the slack is settled as one whose pp-drain has ended" {
	two_host_drain
	(PP_STATE_DIR=$H/b pp-drain --now 2026-11-27T18:02:00Z --node "$M" \
		> "$H/b.out" 2> "$H/b.err"; echo $? > "$H/b.rc") &
	wait_exists "$HOOK_LOG.mc-g"
	# 60 s move_timeout + 60 s later: run again (refused by the hook,
	# the move dropped)
	run --separate-stderr env PP_STATE_DIR="$H/a" pp-drain \
		--now 2026-11-27T18:04:01Z --node "$X"
	touch "$H/go"
	wait
	assert_stderr_contains "game server 'mc-g': the move from '$M' to '$X' a pp-drain began was not settled; moving it again"
	[[ $(grep -c '^CALL mc-g' "$HOOK_LOG") == 2 ]]
}
