#!/bin/bash
# Issue 9 item 4: two whole cycles started at the same instant, RUNS
# times, with the README's flock and without it.
#
#   t/concurrency/run.sh flock|noflock [RUNS]
#
# PROFILE (seed unless set) is the config's profile, and FLEET (31x2000
# unless set) the game servers on the node, COUNTxMB: the seed's
# reactive has a cooldown; with the default profile and 8x8192 (no free
# slot of 8 GB) the headroom policy, which has none, decides, and the
# second decision sees that its document is not newer than the first
# one's scale-up.
# Each run starts from a fleet whose one dedicated node is 95 % full
# (the local provider; the clock is the same --now for both cycles) and
# launches two `pp-fleetstats | pp-decide | pp-drain | pp-provision`
# pipelines at once. Then it checks: every file parses; the local
# cloud holds exactly as many servers as ONE cycle's decision asked for
# (a reference run alone, same input, tells how many); every server is
# in the registry. With flock the second cycle is skipped (flock -n);
# without it the tools' own locks serialise pp-decide's state, so the
# second decision sees the first one (its cooldown, or the capacity
# already provisioning) and asks for nothing more.
set -u
mode=${1:?flock or noflock}
runs=${2:-${CONC_RUNS:-50}}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PP_BUILD:-$top/build/plain}/bin
export PATH="$bin:$PATH" PP_SHARE_DIR="$top/share"
work=$(mktemp -d "${TMPDIR:-/tmp}/ppconc.XXXXXX")
trap 'rm -rf "$work"' EXIT
now=2026-11-27T18:00:00Z

setup() {
	local d=$1
	mkdir -p "$d"
	printf 'join-concurrency-not-a-secret\n' > "$d/join"
	chmod 600 "$d/join"
	cat > "$d/ppscale.yaml" <<CONF
profile: ${PROFILE:-seed}
state_dir: $d
cloud:
  provider: local
  server_types: [cx23, cx33, cx43]
  local:
    boot_seconds: 60s
cloud_init:
  join_token_file: $d/join
  conductor_url: https://conductor.example.net/
  conductor_addresses: [203.0.113.7]
policies:
  spare:
    enabled: false
CONF
	local fleet=${FLEET:-31x2000}
	jq -n --argjson n "${fleet%x*}" --argjson mb "${fleet#*x}" '{version: 1,
	  nodes: [{id: "ded-1", kind: "dedicated",
	  status: "ready", role: "worker", total_ram_mb: 65536,
	  reserved_ram_mb: 0, ip: "203.0.113.10", location: "fsn1",
	  labels: {}, cloud: null, containers: [range(0; $n) |
	  {id: "g\(.)", ram_mb: $mb, state: "running", players: 1}]}]}' \
		> "$d/registry.json"
}

pipeline='pp-fleetstats -q --now '$now' | pp-decide -q --now '$now' |
	pp-drain -q --now '$now' | pp-provision -q --now '$now' >/dev/null'

cycle() {
	local d=$1
	if [[ $mode == flock ]]; then
		PP_STATE_DIR=$d PP_CONFIG=$d/ppscale.yaml flock -n \
			"$d/pipeline.lock" bash -o pipefail -c "$pipeline"
	else
		PP_STATE_DIR=$d PP_CONFIG=$d/ppscale.yaml \
			bash -o pipefail -c "$pipeline"
	fi
}

servers() { jq '[.servers[]?] | length' "$1/cloud.json" 2>/dev/null || echo 0; }

# how many servers one cycle alone creates
setup "$work/ref"
PP_STATE_DIR=$work/ref PP_CONFIG=$work/ref/ppscale.yaml \
	bash -o pipefail -c "$pipeline" || { echo "reference cycle failed"; exit 1; }
want=$(servers "$work/ref")
[[ $want -ge 1 ]] || { echo "the reference cycle created no server"; exit 1; }

failed=0 skipped=0 both=0
for ((r = 1; r <= runs; r++)); do
	d=$work/run$r
	setup "$d"
	cycle "$d" & a=$!
	cycle "$d" & b=$!
	wait $a; sa=$?
	wait $b; sb=$?
	[[ $sa -ne 0 || $sb -ne 0 ]] && skipped=$((skipped + 1))
	[[ $sa -eq 0 && $sb -eq 0 ]] && both=$((both + 1))
	why=""
	for f in registry.json state.json cloud.json; do
		jq -e . "$d/$f" >/dev/null 2>&1 || why+=" $f does not parse;"
	done
	got=$(servers "$d")
	[[ $got -eq $want ]] || why+=" $got servers, one decision asks for $want;"
	reg=$(jq '[.nodes[] | select(.kind == "cloud")] | length' "$d/registry.json")
	[[ $reg -eq $got ]] || why+=" registry has $reg cloud nodes, the cloud $got;"
	# with flock one of the two must have been skipped (exit 1 of flock)
	if [[ $mode == flock && $sa -eq 0 && $sb -eq 0 ]]; then
		why+=" both cycles ran despite flock;"
	fi
	if [[ $mode == noflock && ( $sa -ne 0 || $sb -ne 0 ) ]]; then
		why+=" a cycle failed (exit $sa, $sb);"
	fi
	if [[ -n $why ]]; then
		echo "run $r:$why"
		failed=$((failed + 1))
	fi
	rm -rf "$d"
done
echo "concurrency ($mode, profile ${PROFILE:-seed}, fleet ${FLEET:-31x2000}): $runs runs of two cycles at once, one decision asks for $want server(s); both ran: $both, one skipped: $skipped; $((runs - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
