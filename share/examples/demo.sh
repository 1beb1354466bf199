#!/bin/sh
# make demo: one whole scaling cycle,
#
#   pp-fleetstats | pp-decide | pp-drain | pp-provision
#
# on the embedded default: the local cloud provider (a JSON file stands
# for Hetzner; share/examples/cloud.json holds the example fleet's
# servers) and the example fleet (share/examples/registry.json), with
# the example config, in a scratch state directory; then a rush (the
# platform starts PP_DEMO_RUSH_GB, 64, GB of game servers) and a second
# cycle two minutes later. After each cycle, what happened, in words;
# then the events. PP_DEMO_NOW sets the clock (default: a Friday
# evening). Needs jq.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="${PP_BUILD:-$top/build/plain}/bin"
PATH="$bin:$PATH"
if ! command -v jq >/dev/null 2>&1; then
	echo "demo: needs jq (apt-get install jq)" >&2
	exit 2
fi
for t in pp-fleetstats pp-decide pp-drain pp-provision; do
	if [ ! -x "$bin/$t" ]; then
		echo "demo: $bin/$t is missing: run make first" >&2
		exit 2
	fi
done
state=$(mktemp -d "${TMPDIR:-/tmp}/ppscale-demo.XXXXXX")
export PP_STATE_DIR="$state" PP_CONFIG="$state/ppscale.yaml"
export PP_SHARE_DIR="$top/share"
unset HCLOUD_TOKEN HCLOUD_ENDPOINT
now=${PP_DEMO_NOW:-2026-11-27T18:00:00Z}
# the second cycle, two minutes later
later=$(date -u -d "$now + 2 minutes" +%Y-%m-%dT%H:%M:%SZ)
rush_gb=${PP_DEMO_RUSH_GB:-64}
# The example fleet's booting node was created by "an earlier cycle":
# two minutes before the clock, its server ready 90 s later, as the
# local provider boots. Left at the example's morning time it would be
# hours past cloud.join_timeout on an evening clock: no pending
# capacity, not a node booting.
created=$(date -u -d "$now - 2 minutes" +%Y-%m-%dT%H:%M:%SZ)
ready=$(date -u -d "$now - 30 seconds" +%Y-%m-%dT%H:%M:%SZ)
jq --arg c "$created" '(.nodes[] | select(.status == "provisioning" and
	.cloud != null) | .cloud.created_at) = $c' \
	"$top/share/examples/registry.json" > "$state/registry.json"
booting=$(jq -c '[.nodes[] | select(.status == "provisioning" and
	.cloud != null) | .cloud.server_id]' "$state/registry.json")
jq --arg c "$created" --arg r "$ready" --argjson ids "$booting" \
	'(.servers[] | select(.id as $i | $ids | index($i))) |=
	(.created = $c | .ready_at = $r)' \
	"$top/share/examples/cloud.json" > "$state/cloud.json"
# a join token for the new servers' cloud-init (a real one comes from
# the conductor)
(umask 077 && echo "demo-join-token" > "$state/join.token")
# the example config, pointed at the scratch state directory
sed -e "s|^state_dir:.*|state_dir: $state|" \
	-e "s|^  # join_token_file:.*|  join_token_file: $state/join.token|" \
	"$top/share/examples/ppscale.yaml.example" > "$PP_CONFIG"

# cycle TIME N: one whole cycle on the clock TIME, its document kept in
# cycle-N.json, then what happened, in words
cycle() {
	status=0
	pp-fleetstats --now "$1" --reconcile | pp-decide --now "$1" |
		pp-drain --now "$1" | pp-provision --now "$1" \
		> "$state/cycle-$2.json" || status=$?
	if [ ! -s "$state/cycle-$2.json" ]; then
		echo "demo: the cycle wrote no document (status $status)" >&2
		exit 1
	fi
	echo "== what happened"
	jq -r '
	def mb: "\(. / 1024 | floor) GB";
	def say(d): if d.action == "none" then
			"decided: nothing to do (\(d.reason))"
		elif d.action == "scale_down" or d.action == "uncordon" then
			"decided: \(d.action) \(d.node) (\(d.reason))"
		else "decided: \(d.action) \(d.count) x \(d.server_type)" +
			" in \(d.location) (\(d.reason))" end;
	def server(p): if .op == "create" then
			"created \(.name) (\(.server_type) in \(.location)," +
			" server \(.server_id), \(p.provider) provider):" +
			" registered as \(.status)"
		elif .op == "promote" then
			"\(.node): its server runs now, marked \(.status)"
		elif .op == "delete" then
			"deleted the server of \(.node): \(.status)"
		else "\(.op) \(.node): \(.status)" end;
	.fleet as $f | .decision as $d | .drain as $dr | .provision as $p |
	"fleet: \($f.allocated_ram_mb | mb) of \($f.total_ram_mb | mb)" +
	" in use (\($f.capacity_percent)%), \($f.pending_ram_mb | mb)" +
	" still booting, \($f.spares) idle spare(s)," +
	" \($f.hourly_cost_eur) EUR/hour for the cloud nodes",
	(.reconciliation // empty | "cloud, before this cycle: " +
		"\(.servers) server(s) with" +
		" our label, \(.orphans | length) unregistered," +
		" \(.lost | length) lost"),
	(if $d == null then "decision: none (no pp-decide?)"
	 else say($d) end),
	($dr // empty | "drain: \(.node): \(.status) (\(.reason))"),
	(if $p then ($p.servers[]? | server($p)),
		"provision: \($p.status)" +
		(if $p.reason then " (\($p.reason))" else "" end)
	 else "provision: nothing to do" end)
	' "$state/cycle-$2.json"
	[ "$status" -eq 0 ] || exit "$status"
}

# rush GB: the platform starts game servers of 4 GB until GB more are
# in use, each on the ready node with the most room, under the
# registry's lock and replacing it by rename, as the tools do
rush_jq='
def held: [.containers[] | select(.state != "stopped") | .ram_mb] | add // 0;
def free: .total_ram_mb - .reserved_ram_mb - held;
reduce range($n) as $i (.;
	([.nodes | to_entries[] | select(.value.status == "ready") |
	  select((.value | free) >= 4096)] | max_by(.value | free) | .key)
	as $k |
	if $k == null then . else .nodes[$k].containers += [{
		id: "rush-\($i)", ram_mb: 4096, state: "starting",
		players: 0}] end)'
rush() {
	(
		flock 9
		jq --argjson n "$(($1 / 4))" "$rush_jq" "$state/registry.json" \
			> "$state/registry.json.new" &&
			mv "$state/registry.json.new" "$state/registry.json"
	) 9>>"$state/registry.json.lock"
}

echo "== ppscale demo: state in $state, clock $now"
echo "== cycle 1: pp-fleetstats | pp-decide | pp-drain | pp-provision" \
	"(local provider)"
cycle "$now" 1
echo
echo "== a rush: the platform starts $rush_gb GB of game servers"
rush "$rush_gb"
echo "== cycle 2, at $later"
cycle "$later" 2
echo
if [ -s "$state/events.jsonl" ]; then
	echo "== events ($state/events.jsonl)"
	cat "$state/events.jsonl"
fi
echo "== the documents: $state/cycle-1.json, cycle-2.json; pp-status shows the rest:"
echo "   PP_STATE_DIR=$state PP_CONFIG=$PP_CONFIG pp-status"
echo "== remove $state when done"
