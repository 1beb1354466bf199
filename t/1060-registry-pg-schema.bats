#!/usr/bin/env bats
# The PostgreSQL registry against a real PostgreSQL server: the schema
# (share/sql/registry.sql) applies cleanly and idempotently, migrates,
# and refuses what the file registry refuses; then the backend: secrets
# in the URL, an unreachable database, ppscale's check-then-delete
# against a concurrent placement, the platform's concurrent SQL writes,
# and a tool killed inside its transaction. (The registry suite itself
# runs on both backends: t/1051-pp-registry-pg.bats.)
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
	pp_isolate
	DB="t$BATS_TEST_NUMBER"
	pg_newdb "$DB"
	URL=$(pg_url "$DB")
}

sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"
}

insert_node() {
	sql "INSERT INTO ppscale_nodes (id, kind, status, total_ram_mb,
		reserved_ram_mb, ip) VALUES ('$1', 'cloud', 'ready', 8192, 512,
		'198.51.100.7')"
}

@test "the schema applies, records version 3, and applying it again changes nothing" {
	run sql "SELECT version FROM ppscale_schema"
	assert_success
	assert_output 3
	insert_node cloud-1
	run psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$TOP/share/sql/registry.sql"
	assert_success
	run sql "SELECT count(*) FROM ppscale_schema"
	assert_output 1
	run sql "SELECT id FROM ppscale_nodes"
	assert_output cloud-1
}

@test "refuses node rows the file registry refuses" {
	local bad
	for bad in \
		"('-rf', 'cloud', 'ready', 8192, 0, NULL)" \
		"('a b', 'cloud', 'ready', 8192, 0, NULL)" \
		"('n1', 'vm', 'ready', 8192, 0, NULL)" \
		"('n1', 'cloud', 'booting', 8192, 0, NULL)" \
		"('n1', 'cloud', 'ready', -1, 0, NULL)" \
		"('n1', 'cloud', 'ready', 8192, 9000, NULL)" \
		"('n1', 'cloud', 'ready', 8192, 0, '-oProxyCommand=x')"; do
		run -1 sql "INSERT INTO ppscale_nodes (id, kind, status,
			total_ram_mb, reserved_ram_mb, ip) VALUES $bad"
		assert_output --partial ERROR
	done
	run sql "SELECT count(*) FROM ppscale_nodes"
	assert_output 0
}

# the reader's ranges (ppscale-registry(5)): what it would refuse to
# read, the server refuses to write, an UPDATE of the platform included
@test "refuses players, hourly costs, RAM and a schema version out of the reader's range" {
	insert_node cloud-1
	sql "INSERT INTO ppscale_containers (id, node_id, ram_mb, state)
		VALUES ('mc-1', 'cloud-1', 4096, 'running')"
	local bad
	for bad in \
		"INSERT INTO ppscale_containers (id, node_id, ram_mb, state, players) VALUES ('mc-2', 'cloud-1', 1, 'running', -1)" \
		"INSERT INTO ppscale_containers (id, node_id, ram_mb, state, players) VALUES ('mc-2', 'cloud-1', 1, 'running', 1000001)" \
		"UPDATE ppscale_containers SET players = 1000001 WHERE id = 'mc-1'" \
		"UPDATE ppscale_containers SET ram_mb = 1073741825 WHERE id = 'mc-1'" \
		"UPDATE ppscale_nodes SET hourly_cost_eur = -0.01" \
		"UPDATE ppscale_nodes SET hourly_cost_eur = 'NaN'" \
		"UPDATE ppscale_nodes SET total_ram_mb = 1073741825" \
		"UPDATE ppscale_schema SET version = 0"; do
		run -1 sql "$bad"
		assert_output --partial 'violates check constraint'
	done
	run sql "SELECT version FROM ppscale_schema"
	assert_output 3
	# the edges are taken, by the server and by the reader
	sql "UPDATE ppscale_nodes SET total_ram_mb = 1073741824,
		reserved_ram_mb = 1073741824, provider = 'hetzner',
		server_id = '1', hourly_cost_eur = 0"
	sql "UPDATE ppscale_containers SET players = 1000000,
		ram_mb = 1073741824"
	run --separate-stderr pp-registry -r "$URL" show cloud-1
	assert_success
	jq_is '.containers[0].players' 1000000
	jq_is '.cloud.hourly_cost_eur' 0
}

@test "a node with a game server recorded on it cannot be deleted, a stopped one included" {
	insert_node cloud-1
	sql "INSERT INTO ppscale_containers (id, node_id, ram_mb, state)
		VALUES ('mc-1', 'cloud-1', 4096, 'stopped')"
	run -1 sql "DELETE FROM ppscale_nodes WHERE id = 'cloud-1'"
	assert_output --partial 'violates foreign key constraint'
	sql "DELETE FROM ppscale_containers WHERE id = 'mc-1'"
	run sql "DELETE FROM ppscale_nodes WHERE id = 'cloud-1' RETURNING id"
	assert_success
	assert_output cloud-1
}

@test "the README's placement inserts on a ready node and nothing on a draining one" {
	local place
	# the SQL block of the README's "What the platform does"
	place=$(awk '/What the platform does/ {on = 1}
		on && /```sql/ {in_sql = 1; next}
		in_sql && /```/ {exit}
		in_sql' "$TOP/README.md")
	[[ $place == *"INSERT INTO ppscale_containers"* ]]
	insert_node cloud-7f3a
	run psql -X -v ON_ERROR_STOP=1 -d "$DB" -c "$place"
	assert_success
	assert_output "INSERT 0 1"
	sql "DELETE FROM ppscale_containers"
	sql "UPDATE ppscale_nodes SET status = 'draining'"
	run psql -X -v ON_ERROR_STOP=1 -d "$DB" -c "$place"
	assert_success
	assert_output "INSERT 0 0"
	run sql "SELECT count(*) FROM ppscale_containers"
	assert_output 0
}

@test "a placement waits for a delete that holds the node's row, and then fails" {
	insert_node cloud-1
	# ppscale's delete: lock the node, check it is empty, delete it;
	# the platform's placement starts while the lock is held
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >"$BATS_TEST_TMPDIR/del.out" 2>&1 <<-'SQL' &
	BEGIN;
	SELECT id FROM ppscale_nodes WHERE id = 'cloud-1' FOR UPDATE;
	SELECT count(*) FROM ppscale_containers WHERE node_id = 'cloud-1';
	SELECT pg_sleep(1);
	DELETE FROM ppscale_nodes WHERE id = 'cloud-1';
	COMMIT;
	SQL
	local del=$!
	sleep 0.3
	run -1 sql "INSERT INTO ppscale_containers (id, node_id, ram_mb, state)
		VALUES ('mc-2', 'cloud-1', 4096, 'starting')"
	assert_output --partial 'violates foreign key constraint'
	wait "$del"
	run sql "SELECT count(*) FROM ppscale_nodes"
	assert_output 0
}

@test "the shipped schema migrates a version 1 database in place, keeping its rows" {
	sql "DROP TABLE ppscale_containers, ppscale_nodes, ppscale_schema,
		ppscale_state, ppscale_history, ppscale_events"
	psql -q -X -v ON_ERROR_STOP=1 -d "$DB" \
		-f "$TOP/t/fixtures/sql/registry-v1.sql" >/dev/null
	insert_node cloud-1
	insert_node cloud-2
	# a tool refuses the old version and names the file to apply
	run --separate-stderr pp-registry -r "$(pg_url "$DB")" show
	assert_failure 2
	assert_stderr_contains "has schema version 1, this ppscale needs 2 or later"
	assert_stderr_contains "registry.sql again (it migrates in place to 3)"
	run psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$TOP/share/sql/registry.sql"
	assert_success
	run sql "SELECT version FROM ppscale_schema"
	assert_output 3
	run --separate-stderr pp-registry -r "$(pg_url "$DB")" show
	assert_success
	jq_is '[.nodes[].id] | join(",")' cloud-1,cloud-2
	run sql "SELECT count(*) FROM ppscale_state"
	assert_output 0
}

# the database $DB made anew at an older schema version ($1), with the
# platform's nodes and game servers in it
old_schema() {
	dropdb "$DB"
	createdb "$DB"
	psql -q -X -v ON_ERROR_STOP=1 -d "$DB" \
		-f "$TOP/t/fixtures/sql/registry-v$1.sql" >/dev/null
	sql "INSERT INTO ppscale_nodes (id, kind, status, total_ram_mb,
		reserved_ram_mb, provider, server_id, server_type,
		hourly_cost_eur) VALUES
		('cloud-1', 'cloud', 'ready', 8192, 512, 'hetzner', '71',
		 'cx33', 0.0128),
		('cloud-2', 'cloud', 'draining', 8192, 512, 'hetzner', '72',
		 'cx33', 0.0128)"
	sql "INSERT INTO ppscale_containers (id, node_id, ram_mb, state,
		players) VALUES ('mc-1', 'cloud-1', 4096, 'running', 7),
		('mc-2', 'cloud-2', 1024, 'stopped', 0)"
}

# every row of both registry tables, every column (version 1 has no seq)
all_rows() {
	sql "SELECT n::text FROM ppscale_nodes n ORDER BY id;
		SELECT c::text FROM ppscale_containers c ORDER BY id"
}

@test "the shipped schema migrates a version 2 database to 3, keeping its rows" {
	old_schema 2
	sql "INSERT INTO ppscale_state (pool, body) VALUES
		('default', '{\"decide\": {}}')"
	local before
	before=$(all_rows)
	# a tool reads and writes version 2 as it is: an upgrade of ppscale
	# does not stop the pipeline until the migration runs
	run --separate-stderr pp-registry -r "$URL" show cloud-1
	assert_success
	jq_is '.containers[0].players' 7
	run --separate-stderr pp-registry -r "$URL" set cloud-1 mc-1 --players 8
	assert_success
	run sql "SELECT players FROM ppscale_containers WHERE id = 'mc-1'"
	assert_output 8
	run sql "UPDATE ppscale_containers SET players = 7 WHERE id = 'mc-1'"
	before=$(all_rows)
	run psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$TOP/share/sql/registry.sql"
	assert_success
	run sql "SELECT version FROM ppscale_schema"
	assert_output 3
	[ "$(all_rows)" = "$before" ]
	run sql "SELECT body FROM ppscale_state"
	assert_output '{"decide": {}}'
	run --separate-stderr pp-registry -r "$URL" show cloud-1
	assert_success
	jq_is '.containers[0].players' 7
	# and the ranges hold from now on
	run -1 sql "UPDATE ppscale_containers SET players = 1000001 WHERE id = 'mc-1'"
	assert_output --partial 'violates check constraint "ppscale_containers_players_range"'
	run -1 sql "UPDATE ppscale_nodes SET hourly_cost_eur = -1"
	assert_output --partial 'violates check constraint "ppscale_nodes_hourly_cost_range"'
}

# The migration is one transaction: a row it cannot take stops all of
# it, names the row, and leaves the database as it was (a version 1
# one without the tables of version 2 too).
@test "a migration that meets a row out of range changes nothing and names the row" {
	local from before
	for from in 1 2; do
		old_schema "$from"
		# what a platform wrote that ppscale cannot read
		sql "UPDATE ppscale_nodes SET hourly_cost_eur = -0.5
			WHERE id = 'cloud-1';
			UPDATE ppscale_containers SET players = 2000000
			WHERE id = 'mc-1'"
		before=$(all_rows)
		run --separate-stderr psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
			-f "$TOP/share/sql/registry.sql"
		assert_failure 3
		assert_stderr_contains "cannot migrate to schema version 3: 2 row(s) hold values ppscale refuses (ppscale_nodes.hourly_cost_eur, ppscale_containers.players)"
		assert_stderr_contains "nothing was changed, the schema stays at version $from"
		assert_stderr_contains "ppscale_nodes.hourly_cost_eur must be from 0 to 1000000 (EUR), or NULL: id 'cloud-1' (-0.500000)"
		assert_stderr_contains "ppscale_containers.players must be an integer from 0 to 1000000: id 'mc-1' (2000000)"
		run sql "SELECT version FROM ppscale_schema;
			SELECT count(*) FROM pg_constraint
			WHERE conname LIKE '%\_range';
			SELECT count(*) FROM pg_tables
			WHERE tablename = 'ppscale_state'"
		assert_output "$from"$'\n0\n'$((from - 1))
		[ "$(all_rows)" = "$before" ]
		# without ON_ERROR_STOP psql carries on (and exits 0), but
		# the transaction is spoilt: its COMMIT rolls back
		run --separate-stderr psql -X -q -d "$DB" \
			-f "$TOP/share/sql/registry.sql"
		assert_stderr_contains "cannot migrate to schema version 3"
		run sql "SELECT version FROM ppscale_schema"
		assert_output "$from"
		[ "$(all_rows)" = "$before" ]
		# corrected, it migrates
		sql "UPDATE ppscale_nodes SET hourly_cost_eur = 0.5
			WHERE id = 'cloud-1';
			UPDATE ppscale_containers SET players = 20
			WHERE id = 'mc-1'"
		run psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
			-f "$TOP/share/sql/registry.sql"
		assert_success
		run sql "SELECT version FROM ppscale_schema"
		assert_output 3
	done
}

@test "a database without the schema, or with a newer one, is refused with exit 2" {
	createdb "${DB}_empty"
	run --separate-stderr pp-registry -r "$(pg_url "${DB}_empty")" show
	assert_failure 2
	assert_stderr_contains "has no ppscale schema: apply"
	sql "UPDATE ppscale_schema SET version = 4"
	run --separate-stderr pp-fleetstats --no-record -r "$(pg_url "$DB")"
	assert_failure 2
	assert_stderr_contains "schema version 4, newer than this ppscale knows (3)"
	assert_output ""
}

# a registry file made by pp-registry, moved into the database
fleet() {
	local f="$BATS_TEST_TMPDIR/fleet.json"
	echo '{"version": 1, "nodes": [
	  {"id": "DED", "kind": "dedicated", "status": "ready",
	   "role": "worker", "total_ram_mb": 65536, "reserved_ram_mb": 0,
	   "ip": "203.0.113.10", "location": "fsn1", "containers": []},
	  {"id": "S", "kind": "cloud", "status": "ready", "role": "worker",
	   "total_ram_mb": 8192, "reserved_ram_mb": 512,
	   "ip": "198.51.100.7", "location": "nbg1",
	   "cloud": {"provider": "local", "server_id": "71",
	     "server_type": "cx33"}, "containers": []}]}' > "$f"
	pp-registry -r "$f" place S a 1000 --players 0
	pp-registry -r "$URL" import "$f"
}

@test "a password in the URL is refused before any connection and never shown" {
	local u
	for u in "postgresql://ppscale:hunter2@localhost/$DB" \
		"postgresql:///$DB?host=$PGHOST&password=hunter2"; do
		run --separate-stderr pp-fleetstats --no-record -r "$u"
		assert_failure 2
		assert_stderr_contains "holds a password: put it in a password file"
		refute_stderr_contains hunter2
		assert_output ""
		run --separate-stderr pp-registry -r "$u" place S a 100
		assert_failure 2
		refute_stderr_contains hunter2
	done
}

# libpq's parse errors quote the token they stop at, or the whole URL;
# sslpassword (the client key's) is shown whole in every message that
# names the registry
@test "a password in a URL libpq cannot parse, or an sslpassword, is never shown" {
	local u
	for u in "postgresql://ppscale:hunter2@[::1]x/$DB" \
		"postgresql://ppscale:hun%zzter2@localhost/$DB" \
		"postgresql:///$DB?host=$PGHOST&password=hun%zzter2" \
		"postgresql:///$DB?host=$PGHOST&sslpassword=hunter2"; do
		run --separate-stderr pp-registry -r "$u" show nosuch
		assert_failure 2
		refute_stderr_contains hunter2
		refute_stderr_contains hun%zzter2
		run --separate-stderr pp-fleetstats --no-record -r "$u"
		assert_failure 2
		refute_stderr_contains hunter2
		refute_stderr_contains hun%zzter2
		assert_output ""
	done
	# a URL libpq refuses without a secret in it keeps libpq's reason
	run --separate-stderr pp-registry -r "$URL&bogus=1" show
	assert_failure 2
	assert_stderr_contains 'invalid URI query parameter: "bogus"'
	printf 'registry: "%s"\n' "$u" >> "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "'registry' holds a password"
	assert_output ""
}

# libpq also takes "host=... password=..."; ppscale takes a URL only,
# and would have read that as a file name and echoed it in every
# message about the registry.
@test "a libpq key=value string as the registry is refused without being shown" {
	local kv="host=$PGHOST dbname=$DB password=hunter2"
	run --separate-stderr pp-registry -r "$kv" show
	assert_failure 2
	assert_stderr_contains "libpq key=value string"
	refute_stderr_contains hunter2
	run --separate-stderr pp-fleetstats --no-record -r "  user = x"
	assert_failure 2
	assert_stderr_contains "libpq key=value string"
	assert_output ""
	for key in registry control.database; do
		printf '%s: "%s"\n' "$key" "$kv" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "'$key' is a libpq key=value string"
		refute_stderr_contains hunter2
		run --separate-stderr pp-status
		assert_failure 2
		refute_stderr_contains hunter2
		refute_output --partial hunter2
	done
	# a file whose name merely has an = in it is still a file
	: > "$PP_CONFIG"
	echo '{"version": 1, "nodes": []}' > "$BATS_TEST_TMPDIR/fleet=a.json"
	run --separate-stderr pp-registry -r "$BATS_TEST_TMPDIR/fleet=a.json" show
	assert_success
}

@test "an unreachable database is exit 1 with a clear message, and nothing is written" {
	local u="postgresql:///$DB?host=$BATS_TEST_TMPDIR/nosuchdir&port=1"
	run --separate-stderr pp-fleetstats -r "$u"
	assert_failure 1
	assert_stderr_contains "cannot connect to database 'postgresql:///$DB'"
	assert_output ""
	printf 'registry: "%s"\n' "$u" >> "$PP_CONFIG"
	run --separate-stderr pp-drain --node S < /dev/null
	assert_failure 1
	assert_stderr_contains "cannot connect to database"
	run --separate-stderr pp-registry place S a 100
	assert_failure 1
	# nothing recorded: no history, no snapshot, no events, no state
	# (the state directory itself need not exist)
	local f
	for f in history last.json events.jsonl state.json; do
		assert [ ! -e "$PP_STATE_DIR/$f" ]
	done
}

@test "a placement that lands first stops ppscale's delete of the drained node" {
	JOIN="$BATS_TEST_TMPDIR/join"
	echo "join-secret-$RANDOM" > "$JOIN"
	chmod 600 "$JOIN"
	cat >> "$PP_CONFIG" <<-EOF
	registry: "$URL"
	cloud:
	  provider: local
	  local:
	    boot_seconds: 0s
	cloud_init:
	  join_token_file: $JOIN
	  conductor_addresses: [203.0.113.7]
	EOF
	echo '{"version": 1, "nodes": [
	  {"id": "DED", "kind": "dedicated", "status": "ready",
	   "role": "worker", "total_ram_mb": 65536, "reserved_ram_mb": 0,
	   "containers": []}]}' > "$BATS_TEST_TMPDIR/fleet.json"
	pp-registry -r "$URL" import "$BATS_TEST_TMPDIR/fleet.json"
	local doc node
	doc='{"version": 1, "generated_at": "2026-11-27T10:00:00Z",
	  "decision": {"action": "scale_up", "count": 1, "server_type": "cx23",
	  "location": "nbg1", "node": null, "role": "worker", "reason": "t",
	  "dry_run": false}}'
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z <<<"$doc"
	assert_success
	node=$(jq -r '.provision.servers[0].name' <<<"$output")
	pp-provision --now 2026-11-27T10:01:00Z \
		<<<"$(jq '.decision.action = "none"' <<<"$doc")" >/dev/null
	[ "$(sql "SELECT status FROM ppscale_nodes WHERE id = '$node'")" = ready ]
	# the pipeline's scale-down drains it (a drain by hand is the
	# operator's and never deleted)
	pp-drain --now 2026-11-27T10:02:00Z <<<"$(jq -c --arg n "$node" \
		'.decision = {action: "scale_down", count: 1, node: $n,
		role: "worker", reason: "t", dry_run: false}' <<<"$doc")" \
		>/dev/null
	[ "$(sql "SELECT status FROM ppscale_nodes WHERE id = '$node'")" = draining ]
	# the platform places on the node (it read 'ready' a moment ago)
	# and holds its transaction open while ppscale comes to delete
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null 2>&1 <<-SQL &
	BEGIN;
	INSERT INTO ppscale_containers (id, node_id, ram_mb, state)
		VALUES ('late-1', '$node', 1024, 'starting');
	SELECT pg_sleep(1.5);
	COMMIT;
	SQL
	local platform=$!
	until [[ $(sql "SELECT count(*) FROM pg_locks l JOIN pg_class c
		ON c.oid = l.relation WHERE c.relname = 'ppscale_containers'
		AND l.mode = 'RowExclusiveLock'") -gt 0 ]]; do sleep 0.05; done
	doc=$(jq -c --arg n "$node" '.decision = {action: "scale_down",
		count: 1, node: $n, role: "worker", reason: "t",
		dry_run: false} | .drain = {node: $n, empty: true,
		status: "empty"}' <<<"$doc")
	run --separate-stderr pp-provision --now 2026-11-27T10:03:00Z <<<"$doc"
	wait "$platform"
	jq_is '.provision.status' refused
	assert_stderr_contains "node '$node' still has 1 game server(s) recorded on it"
	# the server, the node and the game server are all still there
	[ "$(jq '.servers | length' "$PP_STATE_DIR/cloud.json")" = 1 ]
	[ "$(sql "SELECT node_id FROM ppscale_containers WHERE id = 'late-1'")" = "$node" ]
}

@test "the platform's SQL writes while ppscale edits the same rows: none lost" {
	fleet
	printf 'registry: "%s"\n' "$URL" >> "$PP_CONFIG"
	# the platform: 300 player updates of game server a and 30
	# placements, each its own transaction
	local script="$BATS_TEST_TMPDIR/platform.sql" i
	for ((i = 1; i <= 300; i++)); do
		echo "UPDATE ppscale_containers SET players = players + 1 WHERE id = 'a';"
		((i % 10)) || echo "INSERT INTO ppscale_containers (id, node_id, ram_mb, state) VALUES ('p$i', 'DED', 10, 'running');"
		echo "SELECT pg_sleep(0.003);"
	done > "$script"
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$script" >/dev/null &
	local platform=$! n=0
	# ppscale's edits meanwhile, on the same node and game server
	while kill -0 "$platform" 2>/dev/null; do
		n=$((n + 1))
		pp-registry -q set S a --ram $((1000 + n)) || fail "set failed"
		# S keeps game server a (no move hook): drained, not empty
		pp-drain -q --node S </dev/null >/dev/null 2>&1 || true
		[[ $(pp-registry show S | jq -r .status) == draining ]] ||
			fail "cordon failed"
		pp-drain -q --node S --uncordon </dev/null >/dev/null ||
			fail "uncordon failed"
	done
	wait "$platform"
	echo "# ppscale made $((3 * n)) edits while the platform wrote" >&3
	((n >= 3)) || skip "too few overlapping edits to tell"
	[ "$(sql "SELECT players FROM ppscale_containers WHERE id = 'a'")" = 300 ]
	[ "$(sql "SELECT ram_mb FROM ppscale_containers WHERE id = 'a'")" = $((1000 + n)) ]
	[ "$(sql "SELECT count(*) FROM ppscale_containers WHERE id LIKE 'p%'")" = 30 ]
	[ "$(sql "SELECT status FROM ppscale_nodes WHERE id = 'S'")" = ready ]
}

@test "a tool killed inside its transaction leaves nothing of it" {
	# every game-server insert waits 3 s: the import is then inside
	# its transaction, nodes written, game servers half
	sql "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS
		\$\$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END \$\$;
		CREATE TRIGGER slow AFTER INSERT ON ppscale_containers
		FOR EACH ROW EXECUTE FUNCTION slow();
		ALTER DATABASE $DB SET client_connection_check_interval = '100ms'"
	local f="$BATS_TEST_TMPDIR/fleet.json"
	echo '{"version": 1, "nodes": [
	  {"id": "N1", "kind": "cloud", "status": "ready",
	   "total_ram_mb": 8192, "containers": [
	    {"id": "g1", "ram_mb": 100, "state": "running"},
	    {"id": "g2", "ram_mb": 100, "state": "running"}]},
	  {"id": "N2", "kind": "cloud", "status": "ready",
	   "total_ram_mb": 8192}]}' > "$f"
	pp-registry -r "$URL" import "$f" &
	local tool=$!
	until [[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE
		application_name = 'ppscale' AND wait_event = 'PgSleep'") == 1 ]]
	do
		kill -0 "$tool" 2>/dev/null || fail "the import ended early"
		sleep 0.05
	done
	kill -KILL "$tool"
	wait "$tool" || true
	# the server notices the lost client and rolls back
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE
			application_name = 'ppscale'") == 0 ]] && break
		sleep 0.05
	done
	[ "$(sql "SELECT count(*) FROM ppscale_nodes")" = 0 ]
	[ "$(sql "SELECT count(*) FROM ppscale_containers")" = 0 ]
	# and nothing is left locked: the next edit goes through
	sql "DROP TRIGGER slow ON ppscale_containers"
	run --separate-stderr pp-registry -r "$URL" import "$f"
	assert_success
	[ "$(sql "SELECT string_agg(id, ',' ORDER BY seq) FROM ppscale_nodes")" = N1,N2 ]
}
