# A throwaway PostgreSQL server for one test file: a cluster made by
# initdb in a temporary directory, listening on a Unix socket in that
# directory only (no TCP), on a port number chosen at run time (it only
# names the socket). Call pg_start in setup_file and pg_stop in
# teardown_file. A watchdog stops the server after PP_PG_MAX_S seconds
# (default 1800) even when teardown never runs.
#
# As root the cluster belongs to the postgres user (initdb refuses root);
# otherwise to the user running the tests. Exports PGHOST, PGPORT,
# PGDATABASE and PGUSER for psql and libpq; no password is used (trust
# on the socket, which only the cluster's owner and root can reach).

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb ]] && { echo "$d"; return 0; }
	done
	return 1
}

pg_as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	local bin port
	bin=$(pg_bindir) || { echo "pg_start: no PostgreSQL server installed" >&2; return 1; }
	PP_PG_DIR=$(mktemp -d /tmp/pp-pg.XXXXXX)
	chmod 700 "$PP_PG_DIR"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$PP_PG_DIR"
	pg_as_owner "$bin/initdb" -D "$PP_PG_DIR/data" -A trust -U ppscale \
		--no-sync >"$PP_PG_DIR/initdb.log" 2>&1 || {
		cat "$PP_PG_DIR/initdb.log" >&2; return 1; }
	port=$(python3 -c 'import random; print(random.randint(20000, 60000))')
	pg_as_owner "$bin/pg_ctl" -D "$PP_PG_DIR/data" -l "$PP_PG_DIR/server.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$PP_PG_DIR' -p $port -c fsync=off" \
		-w -t 60 start >/dev/null || { cat "$PP_PG_DIR/server.log" >&2; return 1; }
	export PP_PG_DIR PP_PG_BIN="$bin" PGHOST="$PP_PG_DIR" PGPORT="$port" \
		PGUSER=ppscale PGDATABASE=postgres
	# the watchdog: a server never outlives the run that started it
	# (every descriptor closed: bats waits for whoever holds fd 3)
	( trap 'exit 0' TERM
	  sleep "${PP_PG_MAX_S:-1800}" &
	  echo $! > "$PP_PG_DIR.sleep"
	  wait $!
	  pg_as_owner "$bin/pg_ctl" -D "$PP_PG_DIR/data" -m immediate stop
	) >/dev/null 2>&1 </dev/null 3>&- 4>&- &
	PP_PG_WATCHDOG=$!
	export PP_PG_WATCHDOG
}

pg_stop() {
	[[ -n ${PP_PG_DIR:-} && -d $PP_PG_DIR/data ]] || return 0
	pg_as_owner "$PP_PG_BIN/pg_ctl" -D "$PP_PG_DIR/data" -m fast -w stop \
		>/dev/null 2>&1 || true
	[[ -n ${PP_PG_WATCHDOG:-} ]] && kill "$PP_PG_WATCHDOG" 2>/dev/null
	[[ -s $PP_PG_DIR.sleep ]] && kill "$(cat "$PP_PG_DIR.sleep")" 2>/dev/null
	rm -rf "$PP_PG_DIR" "$PP_PG_DIR.sleep"
}

# pg_newdb NAME: an empty database of that name, the registry schema
# applied to it.
pg_newdb() {
	createdb "$1" &&
	psql -q -X -v ON_ERROR_STOP=1 -d "$1" -f "$TOP/share/sql/registry.sql" >/dev/null
}

# pg_emptydb NAME: database NAME with the schema and no rows: made the
# first time, emptied after (cheaper than a new database per test)
pg_emptydb() {
	if psql -X -At -d "$1" -c 'SELECT 1' >/dev/null 2>&1; then
		psql -X -q -d "$1" -c 'TRUNCATE ppscale_containers,
			ppscale_nodes, ppscale_state, ppscale_history,
			ppscale_events RESTART IDENTITY'
	else
		pg_newdb "$1"
	fi
}

# pg_url DB: the libpq URL of database DB on the test server (no
# password: trust on the socket)
pg_url() {
	printf 'postgresql:///%s?host=%s&port=%s&user=%s' "$1" "$PGHOST" \
		"$PGPORT" "$PGUSER"
}

# pg_rows DB: both registry tables, in order, as text (to compare)
pg_rows() {
	psql -X -q -At -d "$1" -c "SELECT id, kind, status, role,
		total_ram_mb, reserved_ram_mb, ip, location, labels, provider,
		server_id, server_name, server_type, hourly_cost_eur,
		created_at, extra FROM ppscale_nodes ORDER BY seq" \
		-c "SELECT id, node_id, ram_mb, state, players, extra
		FROM ppscale_containers ORDER BY seq"
}

# The registry suites run on both backends: a test file whose name
# ends in -pg.bats (a link to the file suite) sets PP_REG_BACKEND=pg,
# and the helpers in drain.bash then keep the registry in a database
# of the file's server.
pg_backend_from_name() {
	if [[ ${BATS_TEST_FILENAME##*/} == *-pg.bats ]]; then
		export PP_REG_BACKEND=pg
	else
		export PP_REG_BACKEND=file
	fi
}

# file_backend_only: skips a test about the file's own protocol (lock
# file, symlink, rename) on the PostgreSQL backend
file_backend_only() {
	[[ ${PP_REG_BACKEND:-file} == file ]] ||
		skip "the file backend's own protocol"
}
