# The fault matrix (t/9200-fault-matrix.bats, t/slow/9200-fault-matrix.bats):
# one row per fault x request of a clean scale-up or scale-down, run
# against the fake Hetzner API (load test_helper/fakehcloud and
# test_helper/provision first).
#
# fx_setup up|down
#       a fresh fake and state dir for that scenario: config with short
#       cloud timeouts, the dedicated node, and for down a labelled
#       server whose node is drained (empty, draining)
# fx_run up|down
#       one pp-provision run of the scenario's decision; sets $status,
#       $output, $stderr like bats' run --separate-stderr
# fx_record up|down FILE
#       runs the scenario clean and writes its request sequence, one
#       "METHOD PATH" a line, to FILE
# fx_fault NAME METHOD PATH SKIP
#       injects the fault NAME (see FX_FAULTS) on the SKIP+1-th request
#       of METHOD PATH
# fx_expect NAME SCENARIO METHOD PATH
#       the exit status the row must end with (0 or 1)
# fx_orphans
#       fails when a labelled server lacks a registry node or a ready or
#       draining cloud node lacks its server
# fx_converge up|down
#       reruns what the pipeline would run next (the scenario's decision,
#       or a `none` decision when a node is still provisioning) until the
#       end state of a clean run is reached (4 runs at most)
# fx_row SCENARIO NAME STEP METHOD PATH SKIP
#       the whole row; prints "ok"/"FAIL ..." lines naming it

# The faults of issue 9 item 2: a name and the fake's fault fields.
FX_FAULTS=(429 500 502 503 timeout drop action_error \
	resource_unavailable resource_limit_exceeded)

fx_fault_json() {
	case $1 in
	429) echo '{"status": 429}' ;;
	500 | 502 | 503) echo "{\"status\": $1}" ;;
	# longer than cloud.request_timeout below
	timeout) echo '{"slow": 1.6}' ;;
	drop) echo '{"drop": true}' ;;
	action_error) echo '{"action_error": {"code": "action_failed",
		"message": "injected action failure"}}' ;;
	resource_unavailable) echo '{"status": 412,
		"code": "resource_unavailable",
		"message": "injected: server type unavailable"}' ;;
	resource_limit_exceeded) echo '{"status": 403,
		"code": "resource_limit_exceeded",
		"message": "injected: server limit reached"}' ;;
	*) return 1 ;;
	esac
}

fx_config() {
	JOIN_TOKEN="join-$RANDOM$RANDOM-secret"
	printf '%s\n' "$JOIN_TOKEN" > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	cat > "$PP_CONFIG" <<CONF
profile: seed
cloud:
  provider: hetzner
  locations: [nbg1, fsn1, hel1]
  poll_interval: 0.05
  retry_base: 0.05
  retry_max: 0.2
  retries: 2
  connect_timeout: 1s
  request_timeout: 1s
  action_timeout: 5s
  deadline: 20s
  boot_timeout: 10m
cloud_init:
  join_token_file: $BATS_TEST_TMPDIR/join
  conductor_url: https://conductor.example.net/
  conductor_addresses: [203.0.113.7]
CONF
}

fx_setup() {
	local sid
	rm -rf "$PP_STATE_DIR"
	mkdir -p "$PP_STATE_DIR"
	fake_reset
	REG="$PP_STATE_DIR/registry.json"
	fx_config
	echo '{"version": 1, "nodes": [
	  {"id": "ded-1", "kind": "dedicated", "status": "ready",
	   "role": "worker", "total_ram_mb": 65536, "reserved_ram_mb": 2048,
	   "ip": "203.0.113.10", "location": "fsn1", "labels": {},
	   "cloud": null, "containers": []}]}' > "$REG"
	prov_pg_registry
	if [[ $1 == down ]]; then
		sid=$(fake_seed '{"servers": [{"name": "pp-old111",
			"location": "nbg1", "server_type": "cx33",
			"labels": {"managed_by": "ppscale", "role": "worker",
			"pool": "default"}}]}' | jq -r '.servers[0].id')
		registry_add "$(jq -nc --arg sid "$sid" '{id: "pp-old111",
			kind: "cloud", status: "draining", role: "worker",
			total_ram_mb: 8192, reserved_ram_mb: 512,
			ip: "198.51.100.9", location: "nbg1",
			labels: {managed_by: "ppscale"}, cloud: {provider:
			"hetzner", server_id: $sid, server_type: "cx33",
			server_name: "pp-old111", hourly_cost_eur: 0.008,
			created_at: "2026-11-27T06:00:00Z"}, containers: []}')"
	fi
	fake_ctl DELETE /log >/dev/null
}

fx_doc() {
	case $1 in
	up) decision scale_up "${FX_COUNT:-1}" cx23 nbg1 ;;
	down) decision scale_down 1 cx33 nbg1 pp-old111 | jq -c \
		'.drain = {node: "pp-old111", action: "scale_down",
		status: "empty", empty: true, remaining: 0}' ;;
	none) decision none 0 ;;
	esac
}

# The platform's part: the agent of a node whose server runs joins, and
# the conductor marks the node ready.
fx_platform() {
	local n running
	running=$(fake_state | jq -c '[.servers[] |
		select(.status == "running") | .id | tostring]')
	for n in $(jq -r --argjson run "$running" '.nodes[] |
	    select(.kind == "cloud" and .status == "provisioning" and
	    ((.cloud.server_id // "") as $s | $run | index($s))) | .id' \
	    <<<"$(reg .)"); do
		pp-registry status "$n" ready >/dev/null 2>&1 || true
	done
}

fx_run() {
	fx_doc "$1" > "$BATS_TEST_TMPDIR/doc"
	run --separate-stderr pp-provision < "$BATS_TEST_TMPDIR/doc"
	fx_platform
}

fx_record() {
	fx_setup "$1"
	fx_run "$1"
	[[ $status == 0 ]] || { echo "clean $1 run failed: $stderr" >&2
		return 1; }
	fake_log | jq -r '.requests[] | .method + " " + .path' > "$2"
}

fx_fault() {
	local j
	j=$(fx_fault_json "$1") || return 1
	j=$(jq -c --arg m "$2" --arg p "$3" --argjson s "$4" \
		'. + {method: $m, path: $p, skip: $s, count: 1}' <<<"$j")
	fake_fault "$j" >/dev/null
}

# The expected exit status of a row.  What the client does is in
# lib/base/http.c and DESIGN section 8: 429 is retried after about a
# second (never at its reset, an hour away); 502,
# 503, a timeout and a dropped connection are retried (a create only
# after it checked by name that it did not take effect); 500 and every
# other error are not retried and fail the run, except where
# pp-provision works around the failed request: the server types fall
# back to the configured catalog, the boot wait keeps polling the
# server until cloud.boot_timeout, a failed list of our pool on a
# scale-down only skips converging, and a create refused (or whose
# action read) with resource_unavailable moves on to the next location.
fx_expect() {
	local name=$1 scen=$2 method=$3 path=$4
	case $name in
	429 | 502 | 503 | timeout | drop) echo 0; return ;;
	esac
	if [[ $method == GET && ($path == /server_types* ||
		$path == /pricing) ]]; then
		# the catalog falls back (a cache, the config's), the
		# pricing to the servers' prices: warnings
		echo 0
	elif [[ $scen == down && $method == GET && $path == /servers ]]; then
		# converging is best effort: a failed list is a warning,
		# the scale-down goes on
		echo 0
	elif [[ $scen == up && $method == GET && $path == /servers/* ]]; then
		echo 0
	elif [[ $scen == up && $method == GET && $path == /actions* &&
		$name != action_error ]]; then
		# the server exists: a create action that cannot be read
		# leaves it provisioning and the boot wait decides (issue
		# 13: never "failed" for a created server); here it boots
		echo 0

	elif [[ $scen == up && $name == resource_unavailable &&
		$method == POST ]]; then
		echo 0
	elif [[ $scen == down && $method == GET && $path == /actions* ]]; then
		# the API took the DELETE: a delete action that cannot be
		# read is done, the server is deleting (and the rows check
		# that it goes and nothing is left)
		echo 0
	else
		echo 1
	fi
}

# the labelled servers (id name status) and the cloud nodes
# (server_id id status) as sorted lines
fx_servers() {
	fake_state | jq -r '.servers[] | select(.labels.managed_by ==
		"ppscale") | "\(.id) \(.name) \(.status)"' | sort
}

# the same without the servers being deleted: the API keeps one
# (status deleting, with its labels) until its delete action ends, then
# it is gone; a delete whose answer was lost is never waited for, and
# the by-polls fake ends it only when polled
fx_live_servers() {
	fx_servers | grep -v ' deleting$'
}

fx_nodes() {
	reg '.nodes[] | select(.kind == "cloud") |
		"\(.cloud.server_id) \(.id) \(.status)"' | sort
}

fx_orphans() {
	local srv nodes id name st
	reg . >/dev/null || { echo "registry does not parse"; return 1; }
	srv=$(fx_live_servers)
	nodes=$(fx_nodes)
	while read -r id name st; do
		[[ -n $id ]] || continue
		grep -q "^$id $name " <<<"$nodes" ||
			{ echo "orphan server $id $name ($st)"; return 1; }
	done <<<"$srv"
	while read -r id name st; do
		# a node still provisioning may have lost its server; a
		# draining one whose delete failed after it took effect
		# holds nothing: both are removed by the next run
		[[ -n $id && $st != provisioning && $st != draining ]] ||
			continue
		grep -q "^$id $name " <<<"$srv" ||
			{ echo "node $name ($st) has no server $id"; return 1; }
	done <<<"$nodes"
}

# the end state: up = FX_COUNT (default 1) labelled running servers,
# their nodes ready; down = no labelled server, no cloud node (servers
# being deleted are gone but for the API's delete action)
fx_end_ok() {
	local srv nodes n=${FX_COUNT:-1}
	srv=$(fx_live_servers)
	nodes=$(fx_nodes)
	if [[ $1 == down ]]; then
		[[ -z $srv && -z $nodes ]]
		return
	fi
	[[ $(grep -c . <<<"$srv") == "$n" &&
		$(grep -c ' running$' <<<"$srv") == "$n" &&
		$(grep -c . <<<"$nodes") == "$n" &&
		$(grep -c ' ready$' <<<"$nodes") == "$n" &&
		$(cut -d' ' -f1 <<<"$srv") == "$(cut -d' ' -f1 <<<"$nodes")" ]]
}

fx_converge() {
	local i next
	for ((i = 0; i < 4; i++)); do
		fx_end_ok "$1" && return 0
		next=$1
		if [[ $1 == up ]] && [[ -n $(fx_nodes) ]]; then
			next=none
		fi
		fx_run "$next"
		FX_RERUNS+="$next:$status "
	done
	fx_end_ok "$1"
}

# fx_row SCENARIO NAME STEP METHOD PATH SKIP: returns 1 with the
# reason on stdout when the row fails
fx_row() {
	local scen=$1 name=$2 step=$3 method=$4 path=$5 skip=$6 want why
	FX_RERUNS=
	fx_setup "$scen"
	fx_fault "$name" "$method" "$path" "$skip" || {
		echo "cannot inject $name"; return 1; }
	fx_run "$scen"
	want=$(fx_expect "$name" "$scen" "$method" "$path")
	if [[ $status != "$want" ]]; then
		echo "exit $status, want $want; stderr: $stderr"
		return 1
	fi
	if [[ $status != 0 ]] && ! grep -Eq \
		'^pp-provision: .*(failed|error|refused|gave up|timed out|unavailable|limit)' \
		<<<"$stderr"; then
		echo "exit $status without a clear message; stderr: $stderr"
		return 1
	fi
	why=$(fx_orphans) || {
		echo "$why; stderr: $stderr; requests:" \
			"$(fake_log | jq -c '[.requests[] | [.method, .path, .query, .status, .fault]]')"
		return 1
	}
	fake_ctl DELETE /faults >/dev/null
	if ! fx_converge "$scen"; then
		echo "no convergence after reruns ($FX_RERUNS): servers:" \
			"$(fx_servers | tr '\n' ';') nodes:" \
			"$(fx_nodes | tr '\n' ';') last stderr: $stderr"
		return 1
	fi
	why=$(fx_orphans) || { echo "after reruns: $why"; return 1; }
}

# fx_matrix SCENARIO SEQFILE [FAULT[@STEP]...]: every row of those
# faults (default all) over every step of SEQFILE (or only STEP);
# prints one line a row, fails when any row failed
fx_matrix() {
	local scen=$1 seq=$2 name step method path skip why bad=0 n=0 only
	local -a faults=("${@:3}")
	local -a done_m=() done_p=()
	local i
	[[ ${#faults[@]} -gt 0 ]] || faults=("${FX_FAULTS[@]}")
	for name in "${faults[@]}"; do
		only=
		if [[ $name == *@* ]]; then
			only=${name#*@}
			name=${name%@*}
		fi
		step=0
		done_m=()
		done_p=()
		while read -r method path; do
			step=$((step + 1))
			# the fake matches a path prefix: skip every earlier
			# request the fault would match
			skip=0
			for ((i = 0; i < ${#done_m[@]}; i++)); do
				[[ ${done_m[i]} == "$method" &&
					${done_p[i]} == "$path"* ]] &&
					skip=$((skip + 1))
			done
			done_m+=("$method")
			done_p+=("$path")
			if [[ $name == action_error ]] && ! [[
				$method == POST || $method == DELETE ]]; then
				continue        # makes no action
			fi
			[[ -z $only || $only == "$step" ]] || continue
			n=$((n + 1))
			if why=$(fx_row "$scen" "$name" "$step" "$method" \
				"$path" "$skip"); then
				echo "# ok   $scen $name at step $step ($method $path)" >&3
			else
				echo "# FAIL $scen $name at step $step ($method $path): $why" >&3
				bad=$((bad + 1))
			fi
		done < "$seq"
	done
	echo "# $scen: $n rows, $bad failed" >&3
	[[ $bad == 0 ]]
}

# fx_lost SCENARIO SEQFILE: for every request of SEQFILE (the clean
# run's), a fresh scenario whose answer to that request is lost after
# the fake processed it (a create creates, a delete deletes), one run,
# then the next cycle (the decision again while it is unmet, else
# `none`), and the end state: exactly the servers asked for
# (FX_COUNT, or none for down), all registered, no second server, no
# orphan; prints one line a row, fails when any row failed
fx_lost() {
	local scen=$1 seq=$2 step=0 bad=0 method path why next
	while read -r method path; do
		step=$((step + 1))
		why=
		fx_setup "$scen"
		fake_fault "{\"drop_after\": true, \"skip\": $((step - 1))}" \
			>/dev/null
		fx_run "$scen"
		FX_RERUNS="$scen:$status "
		if [[ $(fake_log | jq '[.requests[] | select(.status == 0)]
		    | length') != 1 ]]; then
			why="the fault did not hit request $step"
		fi
		fake_ctl DELETE /faults >/dev/null
		if [[ -z $why ]]; then
			next=none
			[[ $scen == down && -n $(fx_nodes) ]] && next=down
			fx_run "$next"
			FX_RERUNS+="$next:$status "
			fx_end_ok "$scen" || why="not the end state after the next cycle ($FX_RERUNS): servers: $(fx_servers | tr '\n' ';') nodes: $(fx_nodes | tr '\n' ';') stderr: $stderr"
		fi
		[[ -n $why ]] || why=$(fx_orphans) || true
		if [[ -n $why ]]; then
			echo "# FAIL $scen lost answer at step $step ($method $path): $why" >&3
			bad=$((bad + 1))
		else
			echo "# ok   $scen lost answer at step $step ($method $path): $FX_RERUNS" >&3
		fi
	done < "$seq"
	echo "# $scen: $step rows, $bad failed" >&3
	[[ $step -gt 0 && $bad == 0 ]]
}
