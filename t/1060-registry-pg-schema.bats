#!/usr/bin/env bats
# The PostgreSQL registry schema (share/sql/registry.sql) against a real
# PostgreSQL server: it applies cleanly and idempotently, and it refuses
# what the file registry refuses.
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
}

sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"
}

insert_node() {
	sql "INSERT INTO ppscale_nodes (id, kind, status, total_ram_mb,
		reserved_ram_mb, ip) VALUES ('$1', 'cloud', 'ready', 8192, 512,
		'198.51.100.7')"
}

@test "the schema applies, records version 2, and applying it again changes nothing" {
	run sql "SELECT version FROM ppscale_schema"
	assert_success
	assert_output 2
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
	assert_stderr_contains "has schema version 1, this ppscale needs 2"
	assert_stderr_contains "registry.sql again (it migrates in place)"
	run psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$TOP/share/sql/registry.sql"
	assert_success
	run sql "SELECT version FROM ppscale_schema"
	assert_output 2
	run --separate-stderr pp-registry -r "$(pg_url "$DB")" show
	assert_success
	jq_is '[.nodes[].id] | join(",")' cloud-1,cloud-2
	run sql "SELECT count(*) FROM ppscale_state"
	assert_output 0
}

@test "a database without the schema, or with a newer one, is refused with exit 2" {
	createdb "${DB}_empty"
	run --separate-stderr pp-registry -r "$(pg_url "${DB}_empty")" show
	assert_failure 2
	assert_stderr_contains "has no ppscale schema: apply"
	sql "UPDATE ppscale_schema SET version = 3"
	run --separate-stderr pp-fleetstats --no-record -r "$(pg_url "$DB")"
	assert_failure 2
	assert_stderr_contains "schema version 3, newer than this ppscale knows (2)"
	assert_output ""
}
