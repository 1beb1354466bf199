# Two control hosts against one PostgreSQL database (test_helper/pg
# must be loaded and the server started). Each host has its own state
# directory; the registry, the control state and the local cloud's
# file (standing in for the Hetzner project) are shared.
#
#   hosts_setup DB       an empty database DB, the registry of
#                        t/fixtures/day moved into it, $HOSTS/{a,b}
#   host_cycle H NOW     the shipped pipeline under pp-cycle on host H
#                        at NOW; its document in $HOSTS/H/out.json, its
#                        exit status in $HOSTS/H/rc

hosts_setup() {
	HOSTS_DB=$1
	HOSTS="$BATS_TEST_TMPDIR/hosts"
	rm -rf "$HOSTS"
	mkdir -p "$HOSTS/a" "$HOSTS/b"
	pg_emptydb "$HOSTS_DB" || return 1
	HOSTS_URL=$(pg_url "$HOSTS_DB")
	printf 'join-%s-secret\n' "$RANDOM" > "$HOSTS/join"
	chmod 600 "$HOSTS/join"
	cat > "$HOSTS/ppscale.yaml" <<-EOF
	profile: seed
	registry: "$HOSTS_URL"
	control:
	  database: "$HOSTS_URL"
	cloud:
	  provider: local
	  local:
	    file: $HOSTS/cloud.json
	    boot_seconds: 0s
	cloud_init:
	  join_token_file: $HOSTS/join
	  conductor_addresses: [203.0.113.7]
	EOF
	PP_CONFIG="$HOSTS/ppscale.yaml" pp-registry -q -r "$HOSTS_URL" \
		import "$FIXTURES/day/registry.json"
}

host_cycle() {
	local h=$1 now=$2 rc=0
	rm -f "$HOSTS/$h/out.json"
	PP_CONFIG="$HOSTS/ppscale.yaml" PP_STATE_DIR="$HOSTS/$h" \
		pp-cycle -q -- bash -o pipefail -c "pp-fleetstats -q --now $now |
		pp-decide -q --now $now | pp-drain -q --now $now |
		pp-provision -q --now $now > '$HOSTS/$h/out.json'" \
		2> "$HOSTS/$h/err" || rc=$?
	echo "$rc" > "$HOSTS/$h/rc"
}

# host_rounds N: N rounds of both hosts starting the Friday-evening
# cycle at once on a fresh database and cloud; fails on the first
# round where a server was created that no single decision asked for,
# or a decision was acted on twice.
host_rounds() {
	local n=$1 i asked made acted busy
	for ((i = 1; i <= n; i++)); do
		hosts_setup hosts || fail "round $i: setup failed"
		host_cycle a 2026-11-27T18:00:00Z &
		host_cycle b 2026-11-27T18:00:00Z &
		wait
		acted=0 busy=0 asked=0
		for h in a b; do
			case $(cat "$HOSTS/$h/rc") in
			0) acted=$((acted + 1))
			   asked=$((asked + $(jq '.decision |
				if .action == "provision_spare" or
				   .action == "scale_up" then .count else 0 end' \
				"$HOSTS/$h/out.json"))) ;;
			75) busy=$((busy + 1)) ;;
			*) fail "round $i: host $h: $(cat "$HOSTS/$h/err")" ;;
			esac
		done
		made=$(jq '.servers | length' "$HOSTS/cloud.json")
		# Friday 19:00 wants three spares: one decision asks for
		# them all; a host that runs after the other finds them
		[[ $asked == 3 && $made == 3 ]] ||
			fail "round $i: decisions asked for $asked, the cloud has $made (acted $acted, skipped $busy)"
		[[ $(psql -X -At -d hosts -c "SELECT count(*) FROM
			ppscale_nodes WHERE kind = 'cloud'") == 3 ]] ||
			fail "round $i: the registry does not hold 3 cloud nodes"
		ROUNDS_SKIPPED=$((${ROUNDS_SKIPPED:-0} + busy))
	done
}
