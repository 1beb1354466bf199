# Helpers for the pp-provision tests (t/32xx-provision-*.bats).
#
# prov_setup [hetzner|local] [CLOUD_YAML]
#       a join token file ($JOIN_TOKEN), a registry with one dedicated
#       node, and a config for that provider (fast polls); CLOUD_YAML
#       holds more lines under cloud: (each indented two spaces).
# decision ACTION [COUNT] [TYPE] [LOCATION] [NODE]
#       prints a document holding only that decision
# registry_add JSON
#       appends a node to the registry
# reg FILTER
#       jq -r FILTER over the registry
# ud_valid
#       the user data of the first POST /servers in the fake's log
#       passes `cloud-init schema` (the others differ in the node name)
# off_node
#       a node an earlier run left provisioning (pp-off111) whose server
#       the fake holds "off" with nothing running on it; prints the
#       server's id
# copy_row NODE COPY [STATUS]
#       the platform's copy of NODE's row under the id COPY, naming
#       NODE's server, with no game server recorded (and STATUS)
#
# A file whose tests all run pp-provision against one fake Hetzner API:
#   setup_file()    { load test_helper/provision; prov_fake_file TOKEN; }
#   teardown_file() { load test_helper/provision; prov_fake_file_end; }
#   setup()         { load test_helper/provision; prov_fake_test; }
# prov_fake_file TOKEN
#       starts the fake, with TOKEN as the API token
# prov_fake_test [CLOUD_YAML]
#       an isolated test (pp_isolate) pointed at a reset fake, and
#       prov_setup hetzner [CLOUD_YAML]

prov_setup() {
	local provider=${1:-hetzner}
	JOIN_TOKEN="join-$RANDOM$RANDOM-secret"
	printf '%s\n' "$JOIN_TOKEN" > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	REG="$PP_STATE_DIR/registry.json"
	EVENTS="$PP_STATE_DIR/events.jsonl"
	STATE="$PP_STATE_DIR/state.json"
	echo '{"version": 1, "nodes": [
	  {"id": "ded-1", "kind": "dedicated", "status": "ready",
	   "role": "worker", "total_ram_mb": 65536, "reserved_ram_mb": 2048,
	   "ip": "203.0.113.10", "location": "fsn1", "labels": {},
	   "cloud": null, "containers": []}]}' > "$REG"
	{
		echo "cloud:"
		echo "  provider: $provider"
		echo "  poll_interval: 0.05"
		echo "  retry_base: 0.1"
		echo "  retries: 3"
		echo "  request_timeout: 2s"
		echo "  locations: [nbg1, fsn1, hel1]"
		[[ -z ${2:-} ]] || printf '%s\n' "$2"
		echo "cloud_init:"
		echo "  join_token_file: $BATS_TEST_TMPDIR/join"
		echo "  conductor_url: https://conductor.example.net/"
		echo "  conductor_addresses: [203.0.113.7]"
	} > "$PP_CONFIG"
	prov_pg_registry
}

# On the PostgreSQL backend (a *-pg.bats link, test_helper/pg.bash) the
# same nodes become rows of an emptied database, and the config names
# it: reg and registry_add read and add there.
prov_pg_registry() {
	[[ ${PP_REG_BACKEND:-file} == pg ]] || return 0
	load "$PROV_HELPERS/pg"
	REG_DB=reg
	pg_emptydb "$REG_DB" >/dev/null || return 1
	REG_URL=$(pg_url "$REG_DB")
	pp-registry -q -r "$REG_URL" import "$REG" || return 1
	printf 'registry: "%s"\n' "$REG_URL" >> "$PP_CONFIG"
}

# decision ACTION [COUNT TYPE LOCATION NODE]: pp-decide's output as the
# tools after it read it, made at DOC_AT (default: the real clock, as a
# run without --now has it; a document more than 30 minutes older than
# the tool's clock is not acted on)
decision() {
	jq -nc --arg a "$1" --argjson n "${2:-1}" --arg t "${3:-cx23}" \
		--arg l "${4:-nbg1}" --arg node "${5:-}" \
		--arg at "${DOC_AT:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" '{version: 1,
		generated_at: $at,
		decision: {action: $a, count: $n, server_type: $t,
		location: $l, node: (if $node == "" then null else $node end),
		role: (if $a == "provision_spare" then "spare" else "worker"
		end), reason: "test", dry_run: false}}'
}

# prov_store_sum FILE...: a checksum of the files and, on the
# PostgreSQL backend, of every row of the database (registry, state,
# history, events)
prov_store_sum() {
	{
		files_sum "$@"
		if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
			# (less the dump's own random \restrict key)
			pg_dump -a -d "$REG_DB" | grep -v '^--\|^\\'
		fi
	} | sha256sum
}

registry_add() {
	local tmp="$REG.tmp"
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		jq -n --argjson n "$1" '{version: 1, nodes: [$n]}' > "$tmp" &&
			pp-registry -q -r "$REG_URL" import "$tmp"
		return
	fi
	jq --argjson n "$1" '.nodes += [$n]' "$REG" > "$tmp" && mv "$tmp" "$REG"
}

reg() {
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		pp-registry -r "$REG_URL" show | jq -r "$1"
	else
		jq -r "$1" "$REG"
	fi
}

off_node() {
	local id
	id=$(fake_seed '{"servers": [{"name": "pp-off111", "location": "nbg1",
	  "status": "off", "labels": {"managed_by": "ppscale",
	  "role": "worker", "pool": "default"}}]}' | jq -r '.servers[0].id')
	registry_add "$(jq -nc --arg id "$id" '{id: "pp-off111",
		kind: "cloud", status: "provisioning", role: "worker",
		total_ram_mb: 4096, reserved_ram_mb: 512, ip: null,
		location: "nbg1", labels: {managed_by: "ppscale"},
		cloud: {provider: "hetzner", server_id: $id,
		server_type: "cx23", server_name: "pp-off111",
		created_at: "2026-11-27T09:59:00Z"}, containers: []}')"
	echo "$id"
}

# drop_row ID: the registry loses node ID alone, game servers and all
# (a platform's bad write), on either backend
drop_row() {
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		psql -X -q -d "$REG_DB" -v ON_ERROR_STOP=1 -v id="$1" <<-'SQL'
			DELETE FROM ppscale_containers WHERE node_id = :'id';
			DELETE FROM ppscale_nodes WHERE id = :'id';
		SQL
		return
	fi
	jq --arg id "$1" '.nodes |= map(select(.id != $id))' "$REG" \
		> "$REG.tmp" && mv "$REG.tmp" "$REG"
}

# The file takes the whole row. PostgreSQL's unique index on (provider,
# server_id) refuses that (checked here); it takes the row with its
# provider unset (NULLs are distinct to a unique index), which the tools
# read as the configured provider: the same server.
copy_row() {
	local tmp="$REG.tmp" sql st
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		st=${3:+"'$3'"}
		sql="INSERT INTO ppscale_nodes (id, pool, kind, status, role,
			total_ram_mb, reserved_ram_mb, ip, location, labels,
			provider, server_id, server_name, server_type,
			hourly_cost_eur, created_at, extra)
			SELECT '$2', pool, kind, ${st:-status}, role,
			total_ram_mb, reserved_ram_mb, ip, location, labels, %s,
			server_id, server_name, server_type, hourly_cost_eur,
			created_at, extra FROM ppscale_nodes WHERE id = '$1'"
		# shellcheck disable=SC2059
		! psql -X -q -v ON_ERROR_STOP=1 -d "$REG_DB" \
			-c "$(printf "$sql" provider)" 2> "$tmp" ||
			fail "the unique index took a copy naming its provider"
		grep -q ppscale_nodes_server "$tmp" || fail "$(<"$tmp")"
		# shellcheck disable=SC2059
		psql -X -q -v ON_ERROR_STOP=1 -d "$REG_DB" \
			-c "$(printf "$sql" NULL)"
		return
	fi
	jq --arg n "$1" --arg c "$2" --arg s "${3:-}" '.nodes += [.nodes[] |
		select(.id == $n) | .id = $c | .containers = [] |
		if $s == "" then . else .status = $s end]' "$REG" > "$tmp" &&
		mv "$tmp" "$REG"
}

ud_valid() {
	local f="$BATS_TEST_TMPDIR/ud.yaml" out
	fake_log | jq -r '[.requests[] | select(.method == "POST" and
		.path == "/servers")][0].body.user_data // empty' > "$f"
	[[ -s $f ]] || fail "no POST /servers with user data in the log"
	out=$(cloud-init schema --config-file "$f" 2>&1) ||
		fail "cloud-init schema rejects the user data: $out"
	[[ $out == *"Valid cloud-config"* ]] || fail "$out"
}

# (loaded from t/ and t/slow/ alike)
# provision_booting: a pp-provision in the background ($pid; its output
# in $BATS_TEST_TMPDIR/out and err) that bought one server and is waiting
# for it to boot (the fake leaves it "starting") when this returns
provision_booting() {
	fake_config '{"status_after_create": "starting"}' >/dev/null
	decision scale_up 1 > "$BATS_TEST_TMPDIR/doc"
	pp-provision < "$BATS_TEST_TMPDIR/doc" > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	fake_wait_for_log '.method == "GET" and (.path | startswith("/servers/"))'
}

PROV_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

prov_fake_file() {
	load "$PROV_HELPERS/common"
	load "$PROV_HELPERS/fakehcloud"
	load "$PROV_HELPERS/pg"
	pg_backend_from_name
	if [[ $PP_REG_BACKEND == pg ]]; then
		pg_start || return 1
	fi
	export FAKE_TOKEN=$1
	shift
	fake_start "$@"
}

prov_fake_file_end() {
	load "$PROV_HELPERS/fakehcloud"
	load "$PROV_HELPERS/pg"
	fake_stop
	pg_stop
}

prov_fake_test() {
	load "$PROV_HELPERS/common"
	load "$PROV_HELPERS/fakehcloud"
	load "$PROV_HELPERS/pg"
	pp_isolate
	export HCLOUD_ENDPOINT=$FAKE_URL HCLOUD_TOKEN=$FAKE_TOKEN
	fake_reset
	prov_setup hetzner "$@"
}

# hand_delete ID: a DELETE sent by someone else (a person, an earlier
# run whose wait was cut short); its action is not polled, so the fake
# (actions by polls) keeps the server deleting, listed with its labels,
# as the API does until the delete is done
hand_delete() {
	curl -sS -o /dev/null -X DELETE \
		-H "Authorization: Bearer $FAKE_TOKEN" "$FAKE_URL/servers/$1"
	[[ $(fake_state | jq -r --arg id "$1" \
		'.servers[] | select((.id | tostring) == $id) | .status') == \
		deleting ]]
}

# strand NAME POOL: relabels the fake's server NAME with pool POOL
# ("" for none)
strand() {
	fake_ctl PUT /state "$(fake_state | jq -c --arg n "$1" --arg p "$2" \
		'.servers |= map(if .name == $n then (if $p == "" then
		del(.labels.pool) else .labels.pool = $p end) else . end) |
		{servers}')" >/dev/null
}
