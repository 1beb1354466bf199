#!/bin/bash
# Issue 9 item 3: SIGKILL the whole cycle at random points and check
# that nothing is lost or torn.
#
#   t/kill/run.sh [RUNS]        (env KILL_RUNS, KILL_SEED, KILL_MAX_MS,
#                                KILL_PROVIDER=local|hetzner)
#
# With KILL_PROVIDER=hetzner the cloud is the fake Hetzner API
# (t/fakehcloud.py, started here on 127.0.0.1, its clock set to each
# cycle's --now), the scale-up asks for 3 servers, and the load drops
# after half of the runs: from then on the cycle after the kill wants
# no capacity, so a server the killed run made must be registered or
# deleted, never adopted into a scale-up that no longer comes.
#
# Each run copies one of two prepared fleets (the local provider, so no
# HTTP): "up", a dedicated node nearly full, whose cycle scales up; and
# "down", a nearly idle fleet with one cloud node whose cycle drains it
# (a move hook that sleeps briefly) and, a cycle later, deletes it.  It
# starts `pp-fleetstats | pp-decide | pp-drain | pp-provision` in its own
# process group, sends SIGKILL to the group after a random delay (seeded,
# seed printed), then checks: every file parses (registry, state,
# cloud.json, events; the history through pp-fleetstats); every server
# of the local cloud has a registry node or our label (so the next run
# adopts it); no game server lost (the set of container ids is
# unchanged: no platform runs here); and up to 5 clean cycles later the
# registry matches the cloud.  Exit 0 when every run passed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PP_BUILD:-$top/build/plain}/bin
export PATH="$bin:$PATH" PP_SHARE_DIR="$top/share"
runs=${1:-${KILL_RUNS:-100}}
seed=${KILL_SEED:-$(( $(date +%s) % 100000 ))}
provider=${KILL_PROVIDER:-local}
# a kill lands anywhere in the cycle: a Hetzner cycle (3 creates, their
# actions and boots) lasts seconds, a local one a fraction of one
if [[ $provider == hetzner ]]; then
	max_ms=${KILL_MAX_MS:-1000}
else
	max_ms=${KILL_MAX_MS:-400}
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ppkill.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "kill harness: $runs runs, seed $seed (KILL_SEED=$seed to repeat)," \
	"provider $provider"
RANDOM=$seed

# The clock of run r's cycle k: cycles are 10 minutes apart, so
# cooldowns and boot times pass between them.
at() { date -u -d "@$((1795860000 + $1 * 600))" +%Y-%m-%dT%H:%M:%SZ; }

if [[ $provider == hetzner ]]; then
	BATS_FILE_TMPDIR=$work
	# shellcheck source=../test_helper/fakehcloud.bash
	. "$top/t/test_helper/fakehcloud.bash"
	fake_start || exit 1
	trap 'fake_stop; rm -rf "$work"' EXIT
fi

# the fake's clock follows the cycles' --now (servers' "created")
clock() {
	[[ $provider == hetzner ]] || return 0
	fake_config "{\"clock\": \"$1\"}" >/dev/null
}

# the fake's servers, saved with a prepared fleet and put back per run
fake_save() {
	[[ $provider == hetzner ]] || return 0
	fake_state | jq -c '{servers: .servers}' > "$1"
}
fake_load() {
	[[ $provider == hetzner ]] || return 0
	fake_reset
	fake_ctl PUT /state "$(cat "$1")" >/dev/null
}

# with Hetzner the workers are cx33: the scale-up asks for 3
types="cx23, cx33, cx43"
[[ $provider == hetzner ]] && types="cx23, cx33"

config() {
	printf 'join-kill-harness-not-a-secret\n' > "$1/join"
	chmod 600 "$1/join"
	cat > "$1/ppscale.yaml" <<CONF
profile: seed
state_dir: $1
cloud:
  provider: $provider
  poll_interval: 0.05
  retry_base: 0.05
  retry_max: 0.2
  request_timeout: 2s
  locations: [nbg1, fsn1, hel1]
  server_types: [$types]
  boot_timeout: 15m
  local:
    boot_seconds: 60s
cloud_init:
  join_token_file: $1/join
  conductor_url: https://conductor.example.net/
  conductor_addresses: [203.0.113.7]
policies:
  spare:
    enabled: false
drain:
  move_command: ["$top/t/kill/move-hook", "{server}", "{to}"]
  move_timeout: 5s
  player_grace: 0s
CONF
}

# ded NODE_ID USED_MB NCONTAINERS: a dedicated node of 64 GB
ded() {
	jq -nc --arg id "$1" --argjson used "$2" --argjson n "$3" \
		'{id: $id, kind: "dedicated", status: "ready", role: "worker",
		  total_ram_mb: 65536, reserved_ram_mb: 0, ip: "203.0.113.10",
		  location: "fsn1", labels: {}, cloud: null,
		  containers: [range(0; $n) | {id: ($id + "-g\(.)"),
		    ram_mb: ($used / $n | floor), state: "running",
		    players: 0}]}'
}

prepare() {
	local d=$work/$1 t
	mkdir -p "$d"
	config "$d"
	export PP_STATE_DIR=$d PP_CONFIG=$d/ppscale.yaml
	case $1 in
	up)
		if [[ $provider == hetzner ]]; then
			# two full nodes: the scale-up asks for 3 servers
			jq -n --argjson a "$(ded ded-1 64000 32)" \
				--argjson b "$(ded ded-2 64000 32)" \
				'{version: 1, nodes: [$a, $b]}' > "$d/registry.json"
		else
			jq -n --argjson a "$(ded ded-1 62000 31)" \
				'{version: 1, nodes: [$a]}' > "$d/registry.json"
		fi ;;
	down)
		jq -n --argjson a "$(ded ded-1 8000 4)" \
			'{version: 1, nodes: [$a]}' > "$d/registry.json"
		# a cloud node of ours, made and booted by the tools
		t=$(at 0)
		clock "$t"
		jq -nc --arg t "$t" '{version: 1, generated_at: $t,
		  decision: {action: "scale_up", count: 1,
		  server_type: "cx33", location: "nbg1", role: "worker",
		  reason: "kill harness", dry_run: false}}' |
			pp-provision -q --now "$t" >/dev/null || return 1
		platform
		clock "$(at 1)"
		pp-provision -q --now "$(at 1)" < <(jq -nc --arg t "$(at 1)" \
		  '{version: 1, generated_at: $t,
		  decision: {action: "none"}}') >/dev/null || return 1
		# two game servers on it, then a quiet fleet
		jq '(.nodes[] | select(.kind == "cloud")).containers =
		  [{id: "c-a", ram_mb: 1024, state: "running", players: 0},
		   {id: "c-b", ram_mb: 1024, state: "running", players: 0}]' \
			"$d/registry.json" > "$d/r" && mv "$d/r" "$d/registry.json"
		# two quiet cycles of history: the next one scales down
		run_cycle "$(at 2)" >/dev/null &&
			run_cycle "$(at 3)" >/dev/null || return 1
		;;
	esac
	fake_save "$work/$1.fake"
}

cycle() {
	local now=$1
	pp-fleetstats -q --now "$now" | pp-decide -q --now "$now" |
		pp-drain -q --now "$now" | pp-provision -q --now "$now"
}

# The platform's part (Hetzner; the local provider simulates it): the
# agent of a node whose server runs joins, the conductor marks it ready.
platform() {
	local n running
	[[ $provider == hetzner ]] || return 0
	running=$(fake_state | jq -c '[.servers[] |
		select(.status == "running") | .id | tostring]')
	for n in $(jq -r --argjson run "$running" '.nodes[] |
	    select(.kind == "cloud" and .status == "provisioning" and
	    ((.cloud.server_id // "") as $s | $run | index($s))) | .id' \
	    "$PP_STATE_DIR/registry.json"); do
		pp-registry status "$n" ready >/dev/null 2>&1 || true
	done
}

run_cycle() {
	local rc=0
	clock "$1"
	cycle "$1" || rc=$?
	platform
	return $rc
}

containers() { jq -r '[.nodes[].containers[].id] | sort | join(",")' "$1"; }

# servers of the local cloud: "id name" and the registry's cloud nodes
cloud_ids() {
	if [[ $provider == hetzner ]]; then
		# a server being deleted is going, as for pp-provision: the
		# API lists it (deleting) until its delete action ends, and
		# by polls the fake ends it only when polled, which a killed
		# pp-provision no longer does
		fake_state | jq -r '.servers[] | select(.labels.managed_by ==
			"ppscale" and .status != "deleting") |
			"\(.id) \(.name)"' | sort
		return
	fi
	[[ -e $1/cloud.json ]] || return 0
	jq -r '(.servers // [])[] | select(.labels.managed_by == "ppscale")
		| "\(.id) \(.name)"' "$1/cloud.json" | sort
}
node_ids() {
	jq -r '.nodes[] | select(.kind == "cloud") |
		"\(.cloud.server_id) \(.id)"' "$1/registry.json" | sort
}

# check RUN DIR WANT_CONTAINERS: prints the failures
check() {
	local d=$2 f
	for f in registry.json state.json cloud.json; do
		[[ ! -e $d/$f ]] || jq -e . "$d/$f" >/dev/null 2>&1 ||
			echo "$f does not parse"
	done
	[[ ! -e $d/events.jsonl ]] || jq -e . "$d/events.jsonl" \
		>/dev/null 2>&1 || echo "events.jsonl does not parse"
	pp-fleetstats -q --no-record --now "$(at 9)" >/dev/null 2>"$d/fs.err" ||
		echo "pp-fleetstats cannot read the files: $(cat "$d/fs.err")"
	[[ $(containers "$d/registry.json") == "$3" ]] ||
		echo "game servers lost or duplicated: $(containers \
			"$d/registry.json")"
	# every server of the local cloud carries our label (orphans are
	# allowed: the label finds them)
	if [[ -e $d/cloud.json ]] && [[ $(jq '[(.servers // [])[] |
		select(.labels.managed_by != "ppscale")] | length' \
		"$d/cloud.json") != 0 ]]; then
		echo "a server without our label"
	fi
	if [[ $provider == hetzner ]] && [[ $(fake_state | jq '[.servers[] |
		select(.labels.managed_by != "ppscale")] | length') != 0 ]]; then
		echo "a server without our label"
	fi
}

pass=0 failed=0 orphans=0 mid=0 slow=0 dropped=0 upn=
prepare up && cp -a "$work/up" "$work/up.0" || { echo "cannot prepare"; exit 1; }
prepare down && cp -a "$work/down" "$work/down.0" || { echo "cannot prepare"; exit 1; }
for ((r = 1; r <= runs; r++)); do
	if ((r % 2)); then scen=up; else scen=down; fi
	d=$work/run
	rm -rf "$d"
	cp -a "$work/$scen.0" "$d"
	config "$d"
	fake_load "$work/$scen.fake"
	export PP_STATE_DIR=$d PP_CONFIG=$d/ppscale.yaml
	want=$(containers "$d/registry.json")
	# the cycle that scales up, or drains and deletes
	k=2
	[[ $scen == down ]] && k=4
	delay=$(( RANDOM % max_ms ))
	clock "$(at "$k")"
	setsid bash -c "$(declare -f cycle); cycle $(at "$k")" \
		>/dev/null 2>"$d/cycle.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null && mid=$((mid + 1))
	fi
	wait "$pid" 2>/dev/null
	why=$(check "$r" "$d" "$want")
	[[ -n $(comm -23 <(cloud_ids "$d") <(node_ids "$d")) ]] &&
		orphans=$((orphans + 1))
	# after half of the runs the load drops: the next cycles want no
	# capacity, whatever the killed one was making
	if [[ $scen == up ]] && ((r > runs / 2)); then
		jq '(.nodes[] | select(.kind == "dedicated")).containers |=
			.[0:2]' "$d/registry.json" > "$d/r" &&
			mv "$d/r" "$d/registry.json"
		want=$(containers "$d/registry.json")
		dropped=$((dropped + 1))
	fi
	# the next cycles converge: the registry matches the cloud
	for ((c = k + 1; c <= k + 5; c++)); do
		run_cycle "$(at "$c")" >/dev/null 2>>"$d/cycle.err"
		[[ $(cloud_ids "$d") == "$(node_ids "$d")" ]] &&
			[[ $(jq '[.nodes[] | select(.status ==
			"provisioning")] | length' "$d/registry.json") == 0 ]] &&
			break
	done
	# with Hetzner, converged within 2 clean cycles
	if [[ $provider == hetzner ]] && ((c > k + 2)); then
		slow=$((slow + 1))
		why+="converged only after $((c - k)) clean cycles"$'\n'
	fi
	# how many servers the scale-up left (first half: load kept)
	if [[ $scen == up ]] && ((r <= runs / 2)); then
		upn+="$(cloud_ids "$d" | grep -c .) "
	fi
	[[ $(cloud_ids "$d") == "$(node_ids "$d")" ]] ||
		why+="no convergence: cloud [$(cloud_ids "$d" | tr '\n' ' ')] registry [$(node_ids "$d" | tr '\n' ' ')]"$'\n'
	why+=$(check "$r" "$d" "$want")
	if [[ -n $why ]]; then
		failed=$((failed + 1))
		echo "FAIL run $r ($scen, kill after ${delay} ms of cycle $k):"
		printf '  %s\n' "$why"
		sed 's/^/  | /' "$d/cycle.err" | tail -5
	else
		pass=$((pass + 1))
	fi
done
echo "kill harness: seed $seed, provider $provider, $runs runs, $mid" \
	"killed mid-cycle, $orphans left an orphan the next cycles" \
	"adopted or deleted, $dropped with the load dropped after the kill," \
	"$slow converged after more than 2 clean cycles, $pass passed," \
	"$failed failed; servers after each scale-up: ${upn:-none}"
[[ $failed == 0 ]]
