#!/usr/bin/env bats
# pp-drain on scale_down: cordon, moves through the hook, the registry
# after each move, failures, timeouts, player grace.
# t/4011-drain-moves-pg.bats is a link to this file: the same tests on
# the PostgreSQL backend (test_helper/pg.bash).
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/common'
	load 'test_helper/pg'
	pg_backend_from_name
	[[ $PP_REG_BACKEND == pg ]] && pg_start
	return 0
}

teardown_file() {
	load 'test_helper/pg'
	pg_stop
}

setup() {
	load 'test_helper/common'
	load 'test_helper/drain'
	load 'test_helper/pg'
	pp_isolate
	reg_init
	drain_config
}

T0=2026-11-27T18:00:00Z

teardown() {
	[[ -x $BATS_TEST_TMPDIR/readonly ]] && "$BATS_TEST_TMPDIR/readonly" off
	return 0
}

# readonly_registry: $REGISTRY in a directory of its own (the state
# stays writable), and $BATS_TEST_TMPDIR/readonly on|off, which makes
# the registry refuse writes or take them again: the file's directory
# immutable (chattr; root writes anywhere else) or not writable, the
# database's registry tables behind a trigger that refuses every write.
# Call before reg_write.
readonly_registry() {
	local ro=$BATS_TEST_TMPDIR/readonly
	if [[ $PP_REG_BACKEND == pg ]]; then
		cat > "$ro" <<RO
#!/bin/sh
if [ "\$1" = on ]; then
	psql -X -q -v ON_ERROR_STOP=1 -d reg -c "CREATE OR REPLACE FUNCTION pp_test_deny() RETURNS trigger LANGUAGE plpgsql AS \\\$\\\$ BEGIN RAISE EXCEPTION 'registry read-only (test)'; END \\\$\\\$" \\
		-c 'CREATE TRIGGER pp_test_deny BEFORE INSERT OR UPDATE OR DELETE ON ppscale_nodes EXECUTE FUNCTION pp_test_deny()' \\
		-c 'CREATE TRIGGER pp_test_deny BEFORE INSERT OR UPDATE OR DELETE ON ppscale_containers EXECUTE FUNCTION pp_test_deny()'
else
	psql -X -q -d reg -c 'DROP TRIGGER IF EXISTS pp_test_deny ON ppscale_nodes' \\
		-c 'DROP TRIGGER IF EXISTS pp_test_deny ON ppscale_containers' 2>/dev/null
fi
RO
	else
		mkdir -p "$BATS_TEST_TMPDIR/reg"
		REGISTRY=$BATS_TEST_TMPDIR/reg/registry.json
		printf 'registry: "%s"\n' "$REGISTRY" >> "$PP_CONFIG"
		if [[ $(id -u) == 0 ]]; then
			chattr +i "$BATS_TEST_TMPDIR/reg" 2>/dev/null &&
				chattr -i "$BATS_TEST_TMPDIR/reg" ||
				skip "chattr +i does not work here"
			printf '#!/bin/sh\nif [ "$1" = on ]; then chattr +i "%s"; else chattr -i "%s"; fi\n' \
				"$BATS_TEST_TMPDIR/reg" "$BATS_TEST_TMPDIR/reg" > "$ro"
		else
			printf '#!/bin/sh\nif [ "$1" = on ]; then chmod a-w "%s"; else chmod u+w "%s"; fi\n' \
				"$BATS_TEST_TMPDIR/reg" "$BATS_TEST_TMPDIR/reg" > "$ro"
		fi
	fi
	chmod +x "$ro"
}

@test "moves every game server through the hook and records each move, keeping unknown fields" {
	reg_node S cloud ready 8000 a:3000 b:1000 c:2000:stopped
	reg_node T cloud ready 4000
	reg_node U cloud ready 1500
	reg_write
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	jq_is '.drain.empty' true
	jq_is '.drain.remaining' 0
	jq_is '.drain.draining_since' "$T0"
	# b fits T exactly after a; stopped c goes where most is free
	jq_is '[.drain.moved[] | "\(.server)>\(.to)"] | join(",")' 'a>T,b>T,c>U'
	jq_is '.drain.failed | length' 0
	jq_is '.decision.action' scale_down
	[ "$(hook_calls)" = 'a>T,b>T,c>U' ]
	reg_is '.nodes[0].status' draining
	reg_is '.nodes[0].draining_since' "$T0"
	reg_is '.nodes[0].draining_by' scale_down
	reg_is '.nodes[0].containers | length' 0
	reg_is '[.nodes[1].containers[].id] | join(",")' 'a,b'
	reg_is '[.nodes[2].containers[].id] | join(",")' c
	reg_is '.nodes[1].containers[0] | "\(.ram_mb) \(.state) \(.image) \(.extra.keep)"' \
		'3000 running paper-1.21 me'
	reg_is '.nodes[0].labels.team' x
	[ "$(events_of node.draining | jq -r '"\(.node) \(.by) \(.reason)"')" = 'S scale_down test' ]
	[ "$(events_of server.moved | jq -r .server | paste -sd,)" = 'a,b,c' ]
	[ "$(events_of node.drained | jq -r .node)" = S ]
}

@test "a node's moves are recorded together, in one rewrite of the registry after the hooks" {
	reg_node S cloud ready 8000 a:3000 b:1000 c:2000:stopped
	reg_node T cloud ready 4000
	reg_node U cloud ready 1500
	reg_write
	# each hook sees the registry as it is while it runs
	export HOOK_ALSO='md5sum < "$PP_STATE_DIR/registry.json" >> "$BATS_TEST_TMPDIR/seen"'
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	[ "$(hook_calls)" = 'a>T,b>T,c>U' ]
	# cordoned once, then no rewrite until all three had moved
	[ "$(sort -u "$BATS_TEST_TMPDIR/seen" | wc -l)" = 1 ]
	reg_is '.nodes[0].status' draining
	reg_is '.nodes[0].containers | length' 0
	reg_is '[.nodes[1].containers[].id] | join(",")' 'a,b'
	reg_is '[.nodes[2].containers[].id] | join(",")' c
	[ "$(events_of server.moved | jq -r .server | paste -sd,)" = 'a,b,c' ]
	jq_is '[.drain.moved[].server] | join(",")' 'a,b,c'
}

@test "the hook gets each placeholder expanded inside its own argument, with no shell" {
	reg_node S cloud ready 8000 "mc-1:1000"
	reg_node T cloud ready 4000
	reg_write
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	run cat "$HOOK_LOG"
	assert_output "CALL mc-1
ARG=mc-1
ARG=--from=S
ARG=T
ARG=192.0.2.2
ARG=literal a b;c \$HOME"
}

@test "the hook's environment has no HCLOUD_TOKEN or PGPASSWORD and its output stays off stdout" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 4000
	reg_write
	# the test clusters trust local connections: libpq ignores it there
	export HCLOUD_TOKEN=secret-token-do-not-leak OTHER_SETTING=kept \
		PGPASSWORD=pg-password-do-not-leak
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	grep -q '^OTHER_SETTING=kept$' "$HOOK_LOG.env"
	# refute, not `! grep`: a negated command does not fail a bats test;
	# anchored, since bats exports this test's name (BATS_TEST_NAME)
	refute grep -q '^HCLOUD_TOKEN=' "$HOOK_LOG.env"
	refute grep -q 'secret-token' "$HOOK_LOG.env"
	refute grep -q '^PGPASSWORD=' "$HOOK_LOG.env"
	refute grep -q 'pg-password' "$HOOK_LOG.env"
	assert_stderr_contains "move-hook: moving a"
	refute_stderr_contains "secret-token"
	refute_stderr_contains "pg-password"
	[[ "$output" != *move-hook* ]]
}

@test "a failing hook is reported, the node stays draining, and the move is retried next cycle" {
	reg_node S cloud ready 8000 a:3000 b:1000
	reg_node T cloud ready 8000
	reg_write
	HOOK_FAIL=b run --separate-stderr pp-drain --now "$T0" \
		<<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' in_progress
	jq_is '.drain.empty' false
	jq_is '.drain.remaining' 1
	jq_is '[.drain.moved[].server] | join(",")' a
	jq_is '.drain.failed[0] | "\(.server) \(.to) \(.error)"' 'b T exit status 3'
	jq_is '.drain.reason' "1 game server left on 'S', 1 move failed (retried next cycle)"
	assert_stderr_contains "cannot move game server 'b' to 'T': move hook failed: exit status 3"
	reg_is '.nodes[0].status' draining
	reg_is '[.nodes[0].containers[].id] | join(",")' b
	[ "$(events_of drain.move_failed | jq -r '"\(.server) \(.error)"')" = 'b exit status 3' ]

	run --separate-stderr pp-drain --now 2026-11-27T18:02:00Z \
		<<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	jq_is '.drain.draining_since' "$T0"
	jq_is '[.drain.moved[].server] | join(",")' b
	reg_is '[.nodes[1].containers[].id] | join(",")' a,b
	[ "$(hook_calls)" = 'a>T,b>T,b>T' ]
}

@test "a hook that outlives move_timeout is killed with everything it started" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	MOVE_TIMEOUT=1s drain_config
	start=$SECONDS
	HOOK_SLEEP=30 run --separate-stderr pp-drain \
		<<<"$(decision_doc scale_down S)"
	# the game server may be mid-move: the run fails (see below)
	assert_failure 1
	# the hook sleeps 30 s; 20 leaves room for valgrind
	(( SECONDS - start < 20 ))
	jq_is '.drain.status' in_progress
	jq_is '.drain.failed[0].error' 'timed out after 1 s (killed)'
	reg_is '.nodes[0].containers[0].id' a
	child=$(cat "$HOOK_LOG.child")
	hook=$(cat "$HOOK_LOG.pid")
	! kill -0 "$child" 2>/dev/null
	! kill -0 "$hook" 2>/dev/null
}

@test "a hook that cannot be run is a failed move with the reason" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	# keep the registry line: t/4011 runs this on PostgreSQL
	sed -i '/^registry:/!d' "$PP_CONFIG"
	cat >> "$PP_CONFIG" <<-CONF
	drain:
	  move_command: ["$BATS_TEST_TMPDIR/no-such-hook", "{server}"]
	CONF
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.failed[0].error' \
		"cannot run '$BATS_TEST_TMPDIR/no-such-hook': No such file or directory"
	reg_is '.nodes[0].containers[0].id' a
}

@test "a hook script without #! runs under /bin/sh, as execvp ran it" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	printf 'echo "$1>$2" >> "%s"\n' "$BATS_TEST_TMPDIR/plain.log" \
		> "$BATS_TEST_TMPDIR/plain-hook"
	chmod +x "$BATS_TEST_TMPDIR/plain-hook"
	sed -i '/^registry:/!d' "$PP_CONFIG"
	cat >> "$PP_CONFIG" <<-CONF
	drain:
	  move_command: ["$BATS_TEST_TMPDIR/plain-hook", "{server}", "{to}"]
	CONF
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.failed | length' 0
	[ "$(cat "$BATS_TEST_TMPDIR/plain.log")" = 'a>T' ]
	reg_is '.nodes[1].containers[0].id' a
}

@test "game servers with players are left to finish for the grace time" {
	reg_node S cloud ready 8000 p:1000:running:3 q:1000:running:0
	reg_node T cloud ready 8000
	reg_write
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' in_progress
	jq_is '[.drain.moved[].server] | join(",")' q
	jq_is '.drain.waiting[0] | "\(.server) \(.players) \(.until)"' \
		'p 3 2026-11-27T18:10:00Z'
	jq_is '.drain.reason' \
		"1 game server left on 'S', 1 waiting for players until 2026-11-27T18:10:00Z"

	run --separate-stderr pp-drain --now 2026-11-27T18:09:59Z \
		<<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' in_progress
	jq_is '.drain.moved | length' 0
	jq_is '.drain.waiting[0].server' p
	[ "$(hook_calls)" = 'q>T' ]

	run --separate-stderr pp-drain --now 2026-11-27T18:10:00Z \
		<<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	jq_is '[.drain.moved[].server] | join(",")' p
	[ "$(hook_calls)" = 'q>T,p>T' ]
}

@test "a node that holds nothing is cordoned and reported empty" {
	reg_node S cloud ready 8000
	reg_node T cloud ready 8000 a:1000
	reg_write
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	jq_is '.drain.empty' true
	jq_is '.drain.planned | length' 0
	reg_is '.nodes[0].status' draining
	[ ! -e "$HOOK_LOG" ]
	[ "$(events_of node.draining | jq -r .containers)" = 0 ]
}

@test "without a move command the node is cordoned and the drain is blocked with the reason" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	# no drain section: only the registry stays (on PostgreSQL)
	sed -i '/^registry:/!d' "$PP_CONFIG"
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' blocked
	jq_is '.drain.empty' false
	jq_is '.drain.planned | length' 1
	jq_is '.drain.reason | startswith("drain.move_command is not configured")' true
	reg_is '.nodes[0].status' draining
	reg_is '.nodes[0].containers | length' 1
}

@test "a target that filled up while a hook ran is not overfilled; the move is re-planned next cycle" {
	reg_node S cloud ready 8000 a:3000 b:3000
	reg_node T cloud ready 6000
	reg_write
	# while moving a, the platform places z (3000 MB) on T
	if [[ $PP_REG_BACKEND == pg ]]; then
		# in the database the platform's placement is its own
		# transaction
		export HOOK_ALSO="[ \"\$1\" = a ] && pp-registry -q -r '$REG_URL' place T z 3000"
	else
		export HOOK_ALSO='[ "$1" = a ] && jq ".nodes[1].containers += [{id: \"z\", ram_mb: 3000}]" "$PP_STATE_DIR/registry.json" > "$PP_STATE_DIR/r.tmp" && mv "$PP_STATE_DIR/r.tmp" "$PP_STATE_DIR/registry.json"'
	fi
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' in_progress
	jq_is '[.drain.moved[].server] | join(",")' a
	jq_is '.drain.skipped[0] | "\(.server) \(.to) \(.reason)"' \
		"b T target 'T' has 0 MB free now, 'b' needs 3000 MB; re-planned next cycle"
	[ "$(hook_calls)" = 'a>T' ]
	reg_is '[.nodes[1].containers[].id] | sort | join(",")' a,z
	reg_is '[.nodes[0].containers[].id] | join(",")' b

	unset HOOK_ALSO
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' blocked
	reg_is '[.nodes[0].containers[].id] | join(",")' b
}

@test "a scale-down drain in progress that no longer fits returns the node to service" {
	reg_node S cloud ready 8000 a:3000 b:3000
	reg_node T cloud ready 4000
	reg_node U cloud ready 4000
	reg_write
	# a goes to T, b's move fails: S is left draining with b on it
	HOOK_FAIL=b run --separate-stderr pp-drain --now "$T0" \
		<<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' in_progress
	reg_is '.nodes[0].status' draining
	# meanwhile the platform fills U: b (3000 MB) fits nowhere now
	if [[ $PP_REG_BACKEND == pg ]]; then
		pp-registry -q -r "$REG_URL" place U z 2000
	else
		pp-registry -q place U z 2000
	fi
	# pp-decide continues a drain in progress every cycle: left
	# draining, S would stand there for good, billed and taking no
	# game server, since nothing would ever move b
	run --separate-stderr pp-drain --now 2026-11-27T18:02:00Z \
		<<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' blocked
	jq_is '.drain.empty' false
	jq_is '.drain.draining_since' null
	jq_is '.drain.reason | endswith("; node '"'S'"' is ready again: a scale-down that does not fit leaves its node in service")' true
	reg_is '.nodes[0].status' ready
	reg_is '.nodes[0] | has("draining_since") or has("draining_by")' false
	reg_is '[.nodes[0].containers[].id] | join(",")' b
	[ "$(events_of node.uncordoned | jq -r .node)" = S ]
}

@test "a game server the platform moved meanwhile counts as moved and is not duplicated" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 6000
	reg_write
	# the hook itself records the move, as a platform API might
	if [[ $PP_REG_BACKEND == pg ]]; then
		export HOOK_ALSO="pp-registry -q -r '$REG_URL' remove S a && pp-registry -q -r '$REG_URL' place T a 1000"
	else
		export HOOK_ALSO='jq ".nodes[1].containers += .nodes[0].containers | .nodes[0].containers = []" "$PP_STATE_DIR/registry.json" > "$PP_STATE_DIR/r.tmp" && mv "$PP_STATE_DIR/r.tmp" "$PP_STATE_DIR/registry.json" && stat -c %i "$PP_STATE_DIR/registry.json" > "$BATS_TEST_TMPDIR/ino"'
	fi
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	reg_is '[.nodes[].containers[].id] | join(",")' a
	reg_is '[.nodes[1].containers[].id] | join(",")' a
	# nothing left to record: the file the platform wrote is not
	# rewritten (a rewrite of a big registry for nothing)
	if [[ $PP_REG_BACKEND != pg ]]; then
		assert_equal "$(stat -c %i "$PP_STATE_DIR/registry.json")" \
			"$(cat "$BATS_TEST_TMPDIR/ino")"
	fi
}

@test "SIGTERM stops the drain, kills the running hook and still writes the document" {
	reg_node S cloud ready 8000 a:1000 b:1000
	reg_node T cloud ready 8000
	reg_write
	HOOK_SLEEP=30 pp-drain < <(decision_doc scale_down S) \
		> "$BATS_TEST_TMPDIR/out" 2>/dev/null &
	drain=$!
	wait_exists "$HOOK_LOG.child"
	kill -TERM "$drain"
	rc=0
	wait "$drain" || rc=$?
	[ "$rc" = 1 ] || fail "pp-drain exited $rc, not 1"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	jq_is '.drain.status' in_progress
	jq_is '.drain.failed[0].error' 'interrupted (killed)'
	jq_is '.drain.failed | length' 1
	[ "$(hook_calls)" = 'a>T' ]
	! kill -0 "$(cat "$HOOK_LOG.child")" 2>/dev/null
	reg_is '[.nodes[0].containers[].id] | join(",")' a,b
}

# slow_hook ID SECONDS [MORE]: the hook for game server ID (only) runs
# for up to SECONDS, looking at the registry meanwhile: as soon as it
# sees a game server recorded on T, it writes what it saw on T (ids
# joined by commas, "" for none) to $BATS_TEST_TMPDIR/seen-by-ID, then
# runs MORE seconds on (default 0). The other hooks return at once.
slow_hook() {
	cat > "$BATS_TEST_TMPDIR/slow" <<SLOW
end=\$((SECONDS + $2))
on=
while [ \$SECONDS -lt \$end ]; do
	on=\$(pp-registry show T | jq -r '[.containers[].id] | join(",")')
	[ -n "\$on" ] && break
	sleep 0.1
done
printf '%s\n' "\$on" > "\$BATS_TEST_TMPDIR/seen.tmp"
mv "\$BATS_TEST_TMPDIR/seen.tmp" "\$BATS_TEST_TMPDIR/seen-by-\$1"
sleep ${3:-0}
SLOW
	export HOOK_ALSO="[ \"\$1\" = $1 ] && . \"\$BATS_TEST_TMPDIR/slow\""
}

@test "a move carried out is recorded within 2 seconds while the next, slow hook still runs" {
	MOVE_TIMEOUT=30s drain_config
	reg_node S cloud ready 8000 g1:3000 g2:1000
	reg_node T cloud ready 4000
	reg_write
	slow_hook g2 6
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	jq_is '[.drain.moved[].server] | join(",")' g1,g2
	[ "$(hook_calls)" = 'g1>T,g2>T' ]
	# g2's hook saw g1 on T before it ended (and g2 itself not yet:
	# a move is recorded after its hook)
	[ "$(cat "$BATS_TEST_TMPDIR/seen-by-g2")" = g1 ]
	reg_is '[.nodes[1].containers[].id] | join(",")' g1,g2
	reg_is '.nodes[0].containers | length' 0
	[ "$(events_of server.moved | jq -r .server | paste -sd,)" = g1,g2 ]
}

@test "a move recorded during the next hook onto the same target leaves that target locked until the hook ends" {
	MOVE_TIMEOUT=30s drain_config
	reg_node S1 cloud ready 8000 a:2000 b:1000
	reg_node S2 cloud ready 8000 c:2000
	reg_node T cloud ready 4000
	reg_write
	# b's hook sees a on T, then runs 6 s on
	slow_hook b 6 6
	pp-drain < <(decision_doc scale_down S1) \
		> "$BATS_TEST_TMPDIR/first.out" 2>/dev/null &
	first=$!
	wait_exists "$BATS_TEST_TMPDIR/seen-by-b"
	[ "$(cat "$BATS_TEST_TMPDIR/seen-by-b")" = a ]
	kill -0 "$first" || fail "the first pp-drain ended before b's hook did"
	# b is under way: the registry shows 2000 MB free on T, but the
	# second drain waits for T's lock, which b holds until recorded
	unset HOOK_ALSO
	run --separate-stderr pp-drain < <(decision_doc scale_down S2)
	assert_success
	wait "$first"
	jq_is '.drain.planned[0].to' T
	jq_is '.drain.moved | length' 0
	jq_is '.drain.skipped[0].reason' \
		"target 'T' has 1000 MB free now, 'c' needs 2000 MB; re-planned next cycle"
	[ "$(hook_calls)" = 'a>T,b>T' ]
	[ "$(jq -r .drain.status "$BATS_TEST_TMPDIR/first.out")" = empty ]
	reg_is '[.nodes[2].containers[].id] | join(",")' a,b
	reg_is '[.nodes[1].containers[].id] | join(",")' c
}

@test "a move the registry cannot record fails the run and keeps both nodes from counting empty until a later run records it" {
	readonly_registry
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	# a's hook waits until T's own drain has begun, then the registry
	# refuses writes before the hook ends
	export HOOK_ALSO='[ "$1" = a ] && { while [ ! -e "$BATS_TEST_TMPDIR/go" ]; do sleep 0.05; done; "$BATS_TEST_TMPDIR/readonly" on; }'
	pp-drain --now "$T0" < <(decision_doc scale_down S) \
		> "$BATS_TEST_TMPDIR/first.out" 2> "$BATS_TEST_TMPDIR/first.err" &
	first=$!
	wait_exists "$HOOK_LOG"
	# T is scaled down meanwhile: cordoned, and not empty while a is
	# on its way there
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_success
	jq_is '.drain.status' in_progress
	touch "$BATS_TEST_TMPDIR/go"
	rc=0
	wait "$first" || rc=$?
	# a runs on T now, and the registry still says S: exit 1
	[ "$rc" = 1 ] || fail "pp-drain exited $rc, not 1"
	output=$(cat "$BATS_TEST_TMPDIR/first.out")
	jq_is '.drain.status' in_progress
	jq_is '.drain.empty' false
	jq_is '.drain.moved | length' 0
	jq_is '.drain.failed[0].server' a
	jq_is '.drain.failed[0].error | startswith("moved, but not recorded: ")' true
	grep -q "game server 'a': moved, but not recorded" "$BATS_TEST_TMPDIR/first.err"
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	reg_is '.nodes[1].containers | length' 0
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to)"' \
		"$PP_STATE_DIR/state.json")" = 'a S>T' ]
	# pp-status says so
	run --separate-stderr pp-status
	assert_output --partial "unrecorded a (S -> T at 2026-11-27T18:0"
	assert_output --partial "): moved, but the registry could not record it; the next pp-drain that acts records it"

	# T's drain goes on with nothing recorded on it: not empty, so
	# pp-provision leaves its server (and a) alone; still exit 1
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_failure 1
	jq_is '.drain.status' in_progress
	jq_is '.drain.empty' false
	jq_is '.drain.remaining' 0
	jq_is '.drain.reason' "no game server recorded on 'T', but game server 'a' was moved onto or off it and the registry could not record the move; pp-drain records it once the registry can be written"
	assert_stderr_contains "1 move carried out earlier still not recorded"
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' false

	# once the registry takes writes again, the next run records it
	"$BATS_TEST_TMPDIR/readonly" off
	unset HOOK_ALSO
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_success
	reg_is '[.nodes[1].containers[].id] | join(",")' a
	reg_is '.nodes[0].containers | length' 0
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	[ "$(events_of server.moved | jq -r '"\(.server) \(.node)>\(.to) \(.late)"')" = 'a S>T true' ]
	assert_stderr_contains "game server 'a', moved to 'T' earlier, is recorded there now"
	# T is draining with a on it now: its drain moves it, not deletes it
	jq_is '.drain.empty' false
	[ "$(hook_calls)" = 'a>T' ]
}

@test "a hook that outlives a pp-drain killed with SIGKILL keeps its node busy and its target not empty until it ends" {
	reg_node S cloud ready 8000 a:1000 b:1000
	reg_node T cloud ready 8000
	reg_write
	HOOK_SLEEP=60 pp-drain < <(decision_doc scale_down S) \
		> /dev/null 2>&1 &
	drain=$!
	wait_exists "$HOOK_LOG.child"
	kill -KILL "$drain"
	wait "$drain" || true
	hook=$(cat "$HOOK_LOG.pid")
	kill -0 "$hook" || fail "the hook did not outlive pp-drain"
	# a is still being moved: the next run does not move it again
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' busy
	jq_is '.drain.reason' "the move hook of a pp-drain that has ended (pid $drain) still runs on node 'S'; the node is drained again once it has ended"
	[ "$(hook_calls)" = 'a>T' ]
	# nor is T empty while a may be on its way there
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' false
	jq_is '.drain.status' in_progress
	# the hook ends (its group: the hook and its sleep); then the node
	# is drained again, a's move redone (the hook contract: a game
	# server already there is a success)
	kill -TERM -- "-$hook"
	for ((i = 0; i < 200; i++)); do
		flock -n "$PP_STATE_DIR/drain-S.lock" true && break
		sleep 0.05
	done
	run --separate-stderr pp-drain <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	[ "$(hook_calls)" = 'a>T,a>T,b>T' ]
	reg_is '[.nodes[1].containers[].id] | join(",")' a,b
}

@test "a move whose pp-drain was killed while its hook ran keeps both nodes from counting empty until the next run settles it" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	# a's first hook outlives its pp-drain, killed with SIGKILL, and
	# completes the move after it; a later one finds a there (success)
	export HOOK_ALSO='[ "$1" = a ] && [ ! -e "$BATS_TEST_TMPDIR/moved" ] && { while [ ! -e "$BATS_TEST_TMPDIR/go" ]; do sleep 0.05; done; touch "$BATS_TEST_TMPDIR/moved"; }'
	pp-drain --now "$T0" < <(decision_doc scale_down S) > /dev/null 2>&1 &
	drain=$!
	wait_exists "$HOOK_LOG"
	kill -KILL "$drain"
	wait "$drain" || true
	touch "$BATS_TEST_TMPDIR/go"
	wait_exists "$BATS_TEST_TMPDIR/moved"
	for ((i = 0; i < 200; i++)); do
		flock -n "$PP_STATE_DIR/drain-S.lock" true &&
			flock -n "$PP_STATE_DIR/drain-target-T.lock" true && break
		sleep 0.05
	done
	# a runs on T now, the registry still says S, and no lock is left:
	# the move's intent, written before its hook, keeps T from
	# counting empty (pp-provision would delete a's server)
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	reg_is '.nodes[1].containers | length' 0
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	assert_success
	jq_is '.drain.empty' false
	jq_is '.drain.status' in_progress
	jq_is '.drain.reason' "dry run: no game server recorded on 'T', but a pp-drain that has ended was moving game server 'a' onto or off it and nothing says whether it moved; the next pp-drain that acts settles the move"
	run --separate-stderr pp-status
	assert_output --partial "unsettled  a (S -> T at 2026-11-27T18:00:00Z): a pp-drain that ended was moving it"

	# the next run (a scale-down of T) settles it first: the move run
	# again, the hook finding a on T, and recorded there
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_success
	[ "$(hook_calls)" = 'a>T,a>T' ]
	reg_is '[.nodes[1].containers[].id] | join(",")' a
	reg_is '.nodes[0].containers | length' 0
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	[ "$(events_of server.moved | jq -r '"\(.server) \(.node)>\(.to) \(.late)"')" = 'a S>T true' ]
	jq_is '.drain.empty' false
	jq_is '.drain.remaining' 1
	# and S, with nothing on it and nothing unsettled, is empty
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
}

@test "a move whose hook exits non-zero leaves no intent behind; one timed out keeps it until a later run settles it" {
	MOVE_TIMEOUT=1s drain_config
	reg_node S cloud ready 8000 a:1000 b:1000
	reg_node T cloud ready 8000
	reg_write
	HOOK_FAIL=a HOOK_SLEEP=5 run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_failure 1
	jq_is '[.drain.failed[].server] | join(",")' a,b
	# a's hook said it did not move; b's was killed mid-move
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"' \
		"$PP_STATE_DIR/state.json")" = 'b S>T intent' ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' false
	# the next run settles b (moved again, recorded), then moves a
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	[ "$(hook_calls)" = 'a>T,b>T,b>T,a>T' ]
	jq_is '.drain.status' empty
	reg_is '[.nodes[1].containers[].id] | sort | join(",")' a,b
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

@test "a move whose intent cannot be written to the state is not started and fails the run" {
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	printf '{"broken' > "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_failure 1
	[ "$(hook_calls)" = '' ]
	jq_is '.drain.moved | length' 0
	jq_is '.drain.failed[0].server' a
	jq_is '.drain.failed[0].error | startswith("not moved: the move cannot be written to the state first: ")' true
	jq_is '.drain.empty' false
	reg_is '[.nodes[0].containers[].id] | join(",")' a
}

@test "a hook that times out fails the run in the pipeline as its re-run does: a game server may be mid-move" {
	a_on_s T V
	# the run that starts the move
	drain_s_times_out
	jq_is '.drain.failed[0] | "\(.server) \(.error)"' 'a timed out after 1 s (killed)'
	jq_is '.drain.status' in_progress
	# a run that settles its intent (acting on another node), its hook
	# timing out again
	HOOK_SLEEP=5 run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down V)"
	assert_failure 1
	jq_is '.drain.status' empty
	[ "$(hook_calls)" = 'a>T,a>T' ]
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	# a hook that exits non-zero says where the game server is: 0
	HOOK_FAIL=a run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.failed[0] | "\(.server) \(.error)"' 'a exit status 3'
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

# a_on_s NODE...: game server a (1000 MB) on S, each NODE empty, every
# node ready, and a move hook that times out after 1 s
a_on_s() {
	local n

	MOVE_TIMEOUT=1s drain_config
	reg_node S cloud ready 8000 a:1000
	for n in "$@"; do
		reg_node "$n" cloud ready 8000
	done
	reg_write
}

# drain_s_times_out: a scale-down of S whose move hook outlives
# move_timeout (HOOK_SLEEP 5 s): exit 1, the move's intent kept
drain_s_times_out() {
	HOOK_SLEEP=5 run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_failure 1
}

# intent_unfit ROW: a's move S>T left as an intent (its hook timed
# out), T then unfit as ROW says; U has room. overreported: T a cx33
# (8192 MB) its platform reports at 16512 MB, then given z (7000): 9000
# MB free as reported, 680 as pp-fleetstats counts it
intent_unfit() {
	if [[ $1 == overreported ]]; then
		MOVE_TIMEOUT=1s drain_config
		reg_node S cloud ready 8000 a:1000
		reg_node T cloud ready 16000
		reg_node U cloud ready 8000
		reg_node V cloud ready 8000
		REG=$(jq -c '(.nodes[] | select(.id == "T")).cloud.server_type
			= "cx33"' <<<"$REG")
		reg_write
	else
		a_on_s T U V
	fi
	drain_s_times_out
	case $1 in
	unhealthy) pp-registry -q status T unhealthy ;;
	full) pp-registry -q place T z 7500 ;;
	overreported) pp-registry -q place T z 7000 ;;
	esac
	# a run that acts elsewhere settles what it can: not a's move,
	# which is kept, its hook not run again
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down V)"
	assert_success
	jq_is '.drain.status' empty
	[ "$(hook_calls)" = 'a>T' ]
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	assert_stderr_contains "game server 'a': the move from 'S' to 'T' a pp-drain began is not run again: "
	# T is not empty while a may be there (and, with nothing recorded
	# on it, the reason says what settles a's move, which no pp-drain
	# runs again as things are)
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' false
	[[ $1 != unhealthy ]] ||
		jq_is '.drain.reason' "dry run: no game server recorded on 'T', but a pp-drain that has ended was moving game server 'a' onto or off it and nothing says whether it moved; it is not moved again while 'T' is unhealthy: it settles once the registry has 'a' off 'S' (a drain of 'S' moves it where it fits) or 'T' can take it, or by hand: pp-drain --settle a --on NODE"
	# nor moved back to S, which is draining: T's drain waits for S's,
	# and does not fail
	if [[ $1 == unhealthy ]]; then
		run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
		assert_success
		jq_is '.drain.status' in_progress
		[ "$(hook_calls)" = 'a>T' ]
	fi
	# S's drain moves a where it fits: a hook that says a did not
	# reach U says nothing of T, and the intent onto T stays
	HOOK_FAIL=a run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	[ "$(hook_calls)" = 'a>T,a>U' ]
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state) \(.at)"' \
		"$PP_STATE_DIR/state.json")" = "a S>T intent $T0" ]
	# once it does, the registry records a there, which settles it
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	[ "$(hook_calls)" = 'a>T,a>U,a>U' ]
	jq_is '.drain.status' empty
	reg_is '[.nodes[2].containers[].id] | join(",")' a
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

@test "an intent whose target is no longer ready is not run again; the node's drain moves the game server elsewhere" {
	intent_unfit unhealthy
	reg_is '.nodes[1].containers | length' 0
}

@test "an intent whose target has no room left is not run again; the node's drain moves the game server elsewhere" {
	intent_unfit full
	reg_is '[.nodes[1].containers[].id] | join(",")' z
}

@test "an intent whose target has room only in RAM its platform over-reports is not run again; the node's drain moves the game server elsewhere" {
	intent_unfit overreported
	reg_is '[.nodes[1].containers[].id] | join(",")' z
	reg_is '.nodes[1].total_ram_mb' 16512
}

@test "an intent whose target is gone from the registry is dropped, not run again; the node's drain moves the game server elsewhere" {
	a_on_s T U
	drain_s_times_out
	# T is removed (by hand: pp-provision deletes no node an intent
	# names)
	if [[ $PP_REG_BACKEND == pg ]]; then
		psql -X -q -v ON_ERROR_STOP=1 -d reg \
			-c "DELETE FROM ppscale_nodes WHERE id = 'T'"
	else
		jq 'del(.nodes[] | select(.id == "T"))' "$REGISTRY" > "$REGISTRY.new"
		mv "$REGISTRY.new" "$REGISTRY"
	fi
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	[ "$(hook_calls)" = 'a>T,a>U' ]
	jq_is '.drain.status' empty
	reg_is '[.nodes[] | select(.id == "U") | .containers[].id] | join(",")' a
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

@test "a game server's intents are all kept until the registry shows where it is: a replacement move that times out keeps the older one" {
	a_on_s T U
	drain_s_times_out
	pp-registry -q status T unhealthy
	# S's drain moves a onto U (T cannot take it), and that hook times
	# out too: a may be on S, T or U
	drain_s_times_out
	[ "$(hook_calls)" = 'a>T,a>U' ]
	[ "$(jq -r '[.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent,a S>U intent' ]
	# neither target counts empty
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' false
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down U)"
	jq_is '.drain.empty' false
	# with both targets fit again, the next run moves a once, by its
	# newest intent, and the registry having it on U settles both
	pp-registry -q status T ready
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	[ "$(hook_calls)" = 'a>T,a>U,a>U' ]
	jq_is '.drain.status' empty
	reg_is '[.nodes[] | select(.id == "U") | .containers[].id] | join(",")' a
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' true
}

@test "an intent whose target cannot take the game server while its source can is settled by moving it back; the target's drain then finishes" {
	a_on_s T U
	drain_s_times_out
	pp-registry -q status T unhealthy
	run --separate-stderr pp-drain --node S --uncordon
	assert_success
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' false
	jq_is '.drain.reason' "dry run: no game server recorded on 'T', but a pp-drain that has ended was moving game server 'a' onto or off it and nothing says whether it moved; the next pp-drain that acts settles the move: 'T' is unhealthy, and it moves 'a' back to 'S', where the registry has it"
	# T cannot take a, S (where the registry has it) can: the hook
	# moves it back there, its own intent written first, and T's
	# drain finds T empty
	export HOOK_ALSO='[ "$3" = S ] && jq -r "[.unrecorded_moves[] | \"\(.from)>\(.to) \(.state)\"] | join(\",\")" "$PP_STATE_DIR/state.json" > "$BATS_TEST_TMPDIR/during"; true'
	run --separate-stderr pp-drain --node T
	assert_success
	[ "$(hook_calls)" = 'a>T,a>S' ]
	[ "$(cat "$BATS_TEST_TMPDIR/during")" = 'S>T intent,T>S intent' ]
	[ -z "$(events_of server.moved)" ]
	assert_stderr_contains "game server 'a': the move from 'S' to 'T' a pp-drain began is settled by moving it back to 'S'"
	jq_is '.drain.status' empty
	jq_is '.drain.empty' true
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	reg_is '.nodes[1].containers | length' 0
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

# intents_u_t: a's moves S>U and then S>T left as intents, each by a
# drain of S whose hook timed out while the other target could not take
# a; then T unhealthy, and S (returned to service while neither target
# could take a: nothing run again), U and V ready
intents_u_t() {
	a_on_s T U V
	pp-registry -q status T unhealthy
	pp-registry -q status V unhealthy
	drain_s_times_out
	pp-registry -q status T ready
	pp-registry -q status U unhealthy
	drain_s_times_out
	pp-registry -q status T unhealthy
	run --separate-stderr pp-drain --node S --uncordon
	assert_success
	pp-registry -q status U ready
	pp-registry -q status V ready
	[ "$(hook_calls)" = 'a>U,a>T' ]
	[ "$(jq -r '[.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'a S>U intent,a S>T intent' ]
}

@test "a game server with an intent onto a target that can take it is moved there, not back, though a newer intent's target cannot" {
	intents_u_t
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down U)"
	jq_is '.drain.empty' false
	# a may be on U: its move there runs again (not a move back to S,
	# which would leave U counting empty while a may run there), and
	# once recorded there settles the intent onto T too
	export HOOK_ALSO='jq -r "[.unrecorded_moves[] | \"\(.from)>\(.to) \(.state)\"] | join(\",\")" "$PP_STATE_DIR/state.json" > "$BATS_TEST_TMPDIR/during"; true'
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down V)"
	assert_success
	[ "$(hook_calls)" = 'a>U,a>T,a>U' ]
	[ "$(cat "$BATS_TEST_TMPDIR/during")" = 'S>U intent,S>T intent' ]
	assert_stderr_contains "game server 'a': the move from 'S' to 'U' a pp-drain began was not settled; moving it again"
	refute_stderr_contains "moving it back"
	reg_is '[.nodes[] | select(.id == "U") | .containers[].id] | join(",")' a
	reg_is '[.nodes[] | select(.id == "S") | .containers[].id] | join(",")' ''
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	unset HOOK_ALSO
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down V)"
	assert_success
	[ "$(hook_calls)" = 'a>U,a>T,a>U' ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down S)"
	jq_is '.drain.empty' true
}

@test "a game server none of whose intents' targets can take it is moved back from one target a run; the other intent keeps its target from counting empty until its own move back" {
	intents_u_t
	pp-registry -q status U unhealthy
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down V)"
	assert_success
	[ "$(hook_calls)" = 'a>U,a>T,a>S' ]
	assert_stderr_contains "game server 'a': the move from 'S' to 'T' a pp-drain began is settled by moving it back to 'S'"
	[ "$(jq -r '[.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'a S>U intent' ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down U)"
	jq_is '.drain.empty' false
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down V)"
	assert_success
	[ "$(hook_calls)" = 'a>U,a>T,a>S,a>S' ]
	assert_stderr_contains "game server 'a': the move from 'S' to 'U' a pp-drain began is settled by moving it back to 'S'"
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	reg_is '[.nodes[] | select(.id == "S") | .containers[].id] | join(",")' a
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down U)"
	jq_is '.drain.empty' true
}

@test "an intent moved back whose hook times out stays, and fails the run; the next run settles it" {
	a_on_s T
	drain_s_times_out
	pp-registry -q status T unhealthy
	run --separate-stderr pp-drain --node S --uncordon
	assert_success
	HOOK_SLEEP=5 run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_failure 1
	[ "$(hook_calls)" = 'a>T,a>S' ]
	jq_is '.drain.empty' false
	[ "$(jq -r '[.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_success
	[ "$(hook_calls)" = 'a>T,a>S,a>S' ]
	jq_is '.drain.status' empty
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

@test "an intent whose target and source both cannot take the game server is kept; a drain it keeps from finishing fails with the reason" {
	a_on_s T
	drain_s_times_out
	pp-registry -q status T unhealthy
	run --separate-stderr pp-drain --node S --uncordon
	assert_success
	pp-registry -q status S unhealthy
	# no drain of S re-plans a, and nothing moves it: T's drain fails
	# and says what settles it
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_failure 1
	[ "$(hook_calls)" = 'a>T' ]
	jq_is '.drain.status' in_progress
	jq_is '.drain.empty' false
	assert_stderr_contains "node 'T': no game server recorded on 'T', but a pp-drain that has ended was moving game server 'a' onto or off it"
	assert_stderr_contains "pp-drain --settle a --on NODE"
	# the replay says so too, not that a drain of S moves it
	assert_stderr_contains "game server 'a': the move from 'S' to 'T' a pp-drain began is not run again: 'T' is unhealthy and 'S' is unhealthy; neither node is empty until either can take it, or by hand: pp-drain --settle a --on NODE"
	refute_stderr_contains "a drain of 'S' moves it"
	# a dry run exits as the real run does, in the pipeline and with
	# --node
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	assert_failure 1
	jq_is '.drain.status' in_progress
	assert_stderr_contains "node 'T': dry run: no game server recorded on 'T'"
	run --separate-stderr pp-drain --node T --dry-run
	assert_failure 1
	assert_stderr_contains "pp-drain --settle a --on NODE"
	[ "$(jq -r '.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	# once S can take a again, T's next drain moves it back there
	pp-registry -q status S ready
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down T)"
	assert_success
	[ "$(hook_calls)" = 'a>T,a>S' ]
	jq_is '.drain.status' empty
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

# stuck_intent: a's move S>T left as an intent (its hook timed out), T
# then unhealthy and S returned to service: the intent waits, and T
# never counts empty
stuck_intent() {
	a_on_s T
	drain_s_times_out
	pp-registry -q status T unhealthy
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc uncordon S)"
	assert_success
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' false
	run --separate-stderr pp-status
	assert_output --partial "unsettled  a (S -> T at $T0): "
	assert_output --partial "or back to the node it left while that one can), or, once you have seen where it runs, pp-drain --settle SERVER --on NODE"
}

@test "pp-drain --settle SERVER --on NODE records a stuck intent's game server where the operator found it and drops the intent" {
	stuck_intent
	# bad usage changes nothing
	run --separate-stderr pp-drain --settle a
	assert_failure 2
	assert_stderr_contains "--settle needs --on NODE"
	run --separate-stderr pp-drain --on T
	assert_failure 2
	run --separate-stderr pp-drain --settle a --on T --node S
	assert_failure 2
	run --separate-stderr pp-drain --settle a --on X
	assert_failure 2
	assert_stderr_contains "game server 'a': its moves name no node 'X'"
	# a pp-drain (or a hook) still holding a lock of the move: not yet
	run --separate-stderr flock "$PP_STATE_DIR/drain-target-T.lock" \
		pp-drain --settle a --on T
	assert_failure 1
	assert_stderr_contains "still at work on 'T'"
	run --separate-stderr pp-drain --dry-run --settle a --on T
	assert_success
	assert_output ''
	assert_stderr_contains "dry run: game server 'a': recording it on 'T' (the registry had it on 'S')"
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	[ "$(jq -r '.unrecorded_moves | length' "$PP_STATE_DIR/state.json")" = 1 ]
	run --separate-stderr pp-drain --settle a --on T
	assert_success
	assert_output ''
	reg_is '.nodes[0].containers | length' 0
	reg_is '[.nodes[1].containers[] | "\(.id) \(.ram_mb) \(.extra.keep)"] | join(",")' 'a 1000 me'
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	[ "$(events_of server.moved | jq -r '"\(.server) \(.node)>\(.to) \(.settled)"')" = 'a S>T true' ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down S)"
	jq_is '.drain.empty' true
	# nothing left to settle
	run --separate-stderr pp-drain --settle a --on T
	assert_success
	assert_stderr_contains "game server 'a': no move of it to settle"
}

@test "pp-drain --settle on the node the registry has the game server on drops the intent alone, and its target counts empty" {
	stuck_intent
	run --separate-stderr pp-drain --settle a --on S
	assert_success
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	reg_is '.nodes[1].containers | length' 0
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	[ -z "$(events_of server.moved)" ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' true
}

@test "pp-drain --settle drops every intent of a game server, onto each target" {
	a_on_s T U
	drain_s_times_out
	pp-registry -q status T unhealthy
	drain_s_times_out
	[ "$(jq -r '.unrecorded_moves | length' "$PP_STATE_DIR/state.json")" = 2 ]
	run --separate-stderr pp-drain --settle a --on U
	assert_success
	reg_is '[.nodes[] | select(.id == "U") | .containers[].id] | join(",")' a
	reg_is '[.nodes[] | select(.id != "U") | .containers[]] | length' 0
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down T)"
	jq_is '.drain.empty' true
}

# hold_until LOCK HELD GO: LOCK's lock held in the background, HELD
# made once it is, until GO exists
hold_until() {
	# shellcheck disable=SC2016
	flock "$1" sh -c 'touch "$1"; while [ ! -e "$2" ]; do sleep 0.05; done' \
		sh "$2" "$3" &
	wait_exists "$2"
}

# racing_settle [HOLD_LOCK]: pp-drain --settle a --on T started while
# the test holds the registry's lock (its rows' in a database; and
# HOLD_LOCK, a node lock a pp-drain at work would hold); once the
# settle has read a's moves and taken their nodes' locks, the state
# becomes $BATS_TEST_TMPDIR/two: a move of a begun and ended meanwhile,
# as a pp-drain of S that ran between the settle's first read and its
# locks leaves it (no pp-drain can run there now: the settle holds S's
# lock). Sets $status and $stderr.
racing_settle() {
	local go=$BATS_TEST_TMPDIR/go held=$BATS_TEST_TMPDIR/held settle i
	local hold=${1:-} done=$BATS_TEST_TMPDIR/done

	rm -f "$go" "$done" "$held"*
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		# the rows pp-drain locks FOR UPDATE
		{
			printf 'BEGIN;\nLOCK TABLE ppscale_nodes IN EXCLUSIVE MODE;\n\\! touch %s\n' "$held"
			while [[ ! -e $go ]]; do sleep 0.05; done
			echo 'COMMIT;'
		} | psql -X -q -v ON_ERROR_STOP=1 -d reg &
		wait_exists "$held"
	else
		hold_until "$REGISTRY.lock" "$held" "$go"
	fi
	[[ -z $hold ]] || hold_until "$hold" "$held.2" "$done"
	pp-drain --settle a --on T > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" &
	settle=$!
	# its pid in S's lock file: S's lock is its own
	for ((i = 0; i < 200; i++)); do
		[[ $(cat "$PP_STATE_DIR/drain-S.lock" 2>/dev/null) == "$settle" ]] &&
			break
		sleep 0.05
	done
	flock "$PP_STATE_DIR/state.json.lock" sh -c \
		'cp "$1" "$2.new" && mv "$2.new" "$2"' \
		sh "$BATS_TEST_TMPDIR/two" "$PP_STATE_DIR/state.json"
	touch "$go"
	status=0
	wait "$settle" || status=$?
	touch "$done"
	wait
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
}

@test "pp-drain --settle reads the moves again under their nodes' locks: one begun meanwhile is dropped too, or refused with nothing changed while its node is at work" {
	a_on_s T U
	drain_s_times_out
	cp "$PP_STATE_DIR/state.json" "$BATS_TEST_TMPDIR/one"
	pp-registry -q status T unhealthy
	drain_s_times_out
	cp "$PP_STATE_DIR/state.json" "$BATS_TEST_TMPDIR/two"
	[ "$(jq -r '[.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"] | join(",")' \
		"$BATS_TEST_TMPDIR/two")" = 'a S>T intent,a S>U intent' ]
	cp "$BATS_TEST_TMPDIR/one" "$PP_STATE_DIR/state.json"
	# U's target lock held: the new move's target may be at work
	racing_settle "$PP_STATE_DIR/drain-target-U.lock"
	[ "$status" -eq 1 ]
	assert_stderr_contains "game server 'a': a pp-drain or its move hook is still at work on 'U': not settled"
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	[ "$(jq -r '[.unrecorded_moves[] | "\(.from)>\(.to)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'S>T,S>U' ]
	[ -z "$(events_of server.moved)" ]
	# U free: both moves dropped
	cp "$BATS_TEST_TMPDIR/one" "$PP_STATE_DIR/state.json"
	racing_settle
	[ "$status" -eq 0 ]
	reg_is '[.nodes[] | select(.id == "T") | .containers[].id] | join(",")' a
	reg_is '[.nodes[] | select(.id != "T") | .containers[]] | length' 0
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down U)"
	jq_is '.drain.empty' true
}

# readonly_state: $BATS_TEST_TMPDIR/readonly on|off makes the state
# directory refuse new files (the state's temporary) or take them again;
# a file registry moved to a directory of its own first. Call after
# the state's and the registry's first writes.
readonly_state() {
	local ro=$BATS_TEST_TMPDIR/readonly
	if [[ ${PP_REG_BACKEND:-file} == file ]]; then
		mkdir -p "$BATS_TEST_TMPDIR/reg"
		mv "$REGISTRY" "$BATS_TEST_TMPDIR/reg/registry.json"
		REGISTRY=$BATS_TEST_TMPDIR/reg/registry.json
		printf 'registry: "%s"\n' "$REGISTRY" >> "$PP_CONFIG"
	fi
	if [[ $(id -u) == 0 ]]; then
		chattr +i "$PP_STATE_DIR" 2>/dev/null &&
			chattr -i "$PP_STATE_DIR" ||
			skip "chattr +i does not work here"
		printf '#!/bin/sh\nif [ "$1" = on ]; then chattr +i "%s"; else chattr -i "%s"; fi\n' \
			"$PP_STATE_DIR" "$PP_STATE_DIR" > "$ro"
	else
		printf '#!/bin/sh\nif [ "$1" = on ]; then chmod a-w "%s"; else chmod u+w "%s"; fi\n' \
			"$PP_STATE_DIR" "$PP_STATE_DIR" > "$ro"
	fi
	chmod +x "$ro"
}

@test "pp-drain --settle whose state cannot be written leaves the game server recorded where it runs and its moves kept, says so, and the next pp-drain settles them" {
	stuck_intent
	readonly_state
	"$BATS_TEST_TMPDIR/readonly" on
	run --separate-stderr pp-drain --settle a --on T
	assert_failure 1
	assert_stderr_contains "game server 'a': recorded on 'T' in registry '"
	assert_stderr_contains "', but its moves are kept: cannot write state file '$PP_STATE_DIR/state.json': "
	assert_stderr_contains "; they keep no node from counting empty (the registry has 'a' off the nodes they leave), and the next pp-drain that acts drops them"
	reg_is '[.nodes[1].containers[].id] | join(",")' a
	reg_is '.nodes[0].containers | length' 0
	[ "$(jq -r '[.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	[ "$(events_of server.moved | jq -r '"\(.server) \(.node)>\(.to) \(.settled)"')" = 'a S>T true' ]
	run --separate-stderr pp-drain --dry-run <<<"$(decision_doc scale_down S)"
	jq_is '.drain.empty' true
	"$BATS_TEST_TMPDIR/readonly" off
	# the registry has a off S: the next run drops the move, no hook
	run --separate-stderr pp-drain --now "$T0" <<<"$(decision_doc scale_down S)"
	assert_success
	jq_is '.drain.status' empty
	[ "$(hook_calls)" = 'a>T' ]
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
	reg_is '[.nodes[1].containers[].id] | join(",")' a
}

@test "pp-drain --settle whose state cannot be written before the registry changes changes nothing" {
	stuck_intent
	readonly_state
	"$BATS_TEST_TMPDIR/readonly" on
	# the registry has a on S already: nothing to record there
	run --separate-stderr pp-drain --settle a --on S
	assert_failure 1
	assert_stderr_contains "game server 'a': not settled: cannot write state file '$PP_STATE_DIR/state.json': "
	assert_stderr_contains "; nothing changed"
	reg_is '[.nodes[0].containers[].id] | join(",")' a
	[ "$(jq -r '[.unrecorded_moves[] | "\(.from)>\(.to)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'S>T' ]
	"$BATS_TEST_TMPDIR/readonly" off
	run --separate-stderr pp-drain --settle a --on S
	assert_success
	[ "$(jq -r 'has("unrecorded_moves")' "$PP_STATE_DIR/state.json")" = false ]
}

@test "pp-drain --settle with a state it cannot read is refused with exit 2 and changes nothing" {
	reg_node S cloud ready 8000 a:1000
	reg_write
	printf '{"broken' > "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-drain --settle a --on S
	assert_failure 2
	assert_stderr_contains "game server 'a': not settled: "
	[ "$(cat "$PP_STATE_DIR/state.json")" = '{"broken' ]
}

@test "pp-drain --settle with a registry it cannot read is refused with exit 2 and changes nothing" {
	[[ ${PP_REG_BACKEND:-file} == file ]] || skip "a file registry's content"
	a_on_s T
	drain_s_times_out
	[ "$(jq -r '[.unrecorded_moves[] | "\(.server) \(.from)>\(.to) \(.state)"] | join(",")' \
		"$PP_STATE_DIR/state.json")" = 'a S>T intent' ]
	local before
	before=$(cat "$PP_STATE_DIR/state.json")
	printf '{"version": 1, "nodes": [' > "$REGISTRY"
	run --separate-stderr pp-drain --settle a --on T
	assert_failure 2
	assert_stderr_contains "game server 'a': not settled: "
	[ "$(cat "$PP_STATE_DIR/state.json")" = "$before" ]
}

# settle_unknown_on ROW: pp-drain --settle of a game server with no
# move kept, --on a node the registry lacks: refused with exit 2 naming
# the node, the registry and the state as they were, no event; a dry
# run too. ROW: the game server's (recorded, no move kept), another's
# (no such game server), or an empty registry's.
settle_unknown_on() {
	case $1 in
	recorded | unknown) reg_node S cloud ready 8000 a:1000 ;;
	empty) ;;
	esac
	reg_write
	local srv=a before
	[[ $1 == unknown ]] && srv=zz
	before=$(reg_sum; files_sum "$PP_STATE_DIR/state.json")
	run --separate-stderr pp-drain --settle "$srv" --on nosuch
	assert_failure 2
	assert_output ''
	assert_stderr_contains "game server '$srv': no node 'nosuch' in registry "
	run --separate-stderr pp-drain --dry-run --settle "$srv" --on nosuch
	assert_failure 2
	assert_stderr_contains "game server '$srv': no node 'nosuch' in registry "
	[ "$(reg_sum; files_sum "$PP_STATE_DIR/state.json")" = "$before" ]
	[ -z "$(events_of server.moved)" ]
}

@test "pp-drain --settle of a game server with no move kept refuses --on a node the registry lacks with exit 2" {
	settle_unknown_on recorded
}

@test "pp-drain --settle of a game server no node holds refuses --on a node the registry lacks with exit 2" {
	settle_unknown_on unknown
}

@test "pp-drain --settle on an empty registry refuses --on any node with exit 2" {
	settle_unknown_on empty
}

@test "pp-drain --settle of a game server with no move kept is nothing to do on a node the registry has" {
	reg_node S cloud ready 8000 a:1000
	reg_write
	run --separate-stderr pp-drain --settle zz --on S
	assert_success
	assert_stderr_contains "game server 'zz': no move of it to settle"
	run --separate-stderr pp-drain --settle a --on S
	assert_success
	assert_stderr_contains "game server 'a': no move of it to settle"
}

@test "pp-drain --settle refuses with exit 2 a third node of the registry, and a node its moves name that the registry has lost" {
	a_on_s T U
	drain_s_times_out
	pp-registry -q status T unhealthy
	local before
	before=$(reg_sum; files_sum "$PP_STATE_DIR/state.json")
	run --separate-stderr pp-drain --settle a --on U
	assert_failure 2
	assert_stderr_contains "game server 'a': its moves name no node 'U'"
	[ "$(reg_sum; files_sum "$PP_STATE_DIR/state.json")" = "$before" ]
	[[ ${PP_REG_BACKEND:-file} == file ]] || return 0
	# T, which a's move names, gone from the registry
	jq -c 'del(.nodes[] | select(.id == "T"))' "$REGISTRY" > "$REGISTRY.new"
	mv "$REGISTRY.new" "$REGISTRY"
	before=$(reg_sum; files_sum "$PP_STATE_DIR/state.json")
	run --separate-stderr pp-drain --settle a --on T
	assert_failure 2
	assert_stderr_contains "game server 'a': no node 'T' in registry "
	run --separate-stderr pp-drain --dry-run --settle a --on T
	assert_failure 2
	[ "$(reg_sum; files_sum "$PP_STATE_DIR/state.json")" = "$before" ]
	[ -z "$(events_of server.moved)" ]
}
