# Small hand-made fleets for the pp-decide tests.
#
#   reg_start
#   reg_node ID KIND STATUS ROLE TOTAL_MB CREATED [RAM[s] ...]
#       one node; each RAM is a game server of that many MB, running,
#       or stopped with a trailing "s". Reserved RAM is 0, so usable
#       RAM equals TOTAL_MB. CREATED is the cloud created_at ("-" for
#       dedicated nodes). NxRAM stands for N game servers of RAM MB.
#   decide NOW [pp-decide options]   fleetstats | pp-decide, via run
#   state_file                       path of the state file

REG="$BATS_TEST_TMPDIR/registry.json"

reg_start() {
	echo '{"version":1,"nodes":[]}' > "$REG"
}

reg_node() {
	local id=$1 kind=$2 status=$3 role=$4 total=$5 created=$6 a n type
	local rams=()
	shift 6
	for a in "$@"; do
		if [[ $a == *x* ]]; then
			for ((n = 0; n < ${a%%x*}; n++)); do
				rams+=("${a#*x}")
			done
		else
			rams+=("$a")
		fi
	done
	set -- "${rams[@]}"
	# a cloud node's type holds its RAM: pp-fleetstats counts no more
	# than 5 % over the type's memory (a larger node than the built-in
	# types is of a type the catalog does not list, not checked)
	if ((total <= 8601)); then
		type=cx33
	elif ((total <= 17203)); then
		type=cx43
	elif ((total <= 34406)); then
		type=cx53
	else
		type=cx-big
	fi
	jq --arg id "$id" --arg kind "$kind" --arg status "$status" \
		--arg role "$role" --argjson total "$total" \
		--arg created "$created" --arg type "$type" '
		.nodes += [{id: $id, kind: $kind, status: $status, role: $role,
		  total_ram_mb: $total, reserved_ram_mb: 0, ip: null,
		  location: "nbg1", labels: {},
		  cloud: (if $kind == "cloud" then {provider: "local",
		    server_id: ("s-" + $id), server_type: $type,
		    hourly_cost_eur: 0.0088, created_at: $created}
		    else null end),
		  containers: [$ARGS.positional | to_entries[] |
		    {id: ($id + "-c" + (.key | tostring)),
		     ram_mb: (.value | rtrimstr("s") | tonumber),
		     state: (if (.value | endswith("s")) then "stopped"
		       else "running" end), players: 0}]}]' \
		--args "$@" < "$REG" > "$REG.new" && mv "$REG.new" "$REG"
}

state_file() {
	echo "$PP_STATE_DIR/state.json"
}

# decide NOW [options]: the document for NOW through pp-decide
decide() {
	local now=$1
	shift
	pp-fleetstats --no-record -r "$REG" --now "$now" > "$BATS_TEST_TMPDIR/doc.json" ||
		fail "pp-fleetstats failed"
	run --separate-stderr pp-decide --now "$now" "$@" \
		< "$BATS_TEST_TMPDIR/doc.json"
}

# policy_config TYPE LINE...: the seed config in which the reactive
# policy never scales down and the spare and predictive policies are
# off, new nodes of TYPE, and LINEs (YAML as under "policies:", one
# line each) for the policies under test.
policy_config() {
	local type=$1
	shift
	write_config <<-EOF
	policies:
	  reactive:
	    down_threshold: 0
	  spare:
	    enabled: false
	  predictive:
	    enabled: false
	$(printf '  %s\n' "$@")
	cloud:
	  server_types: [$type]
	EOF
}

# no_spare_config [LINE...]: the seed config without the spare pool,
# new nodes of type cx23, then LINEs of YAML (top level), one each.
no_spare_config() {
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	cloud:
	  server_types: [cx23]
	$(printf '%s\n' "$@")
	EOF
}
