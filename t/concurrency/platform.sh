#!/bin/bash
# Issue 16: the platform writes the registry while real pipeline cycles
# run, and loses nothing.
#
#   t/concurrency/platform.sh SECONDS
#
# The registry is a symlink to the platform's own file. For SECONDS,
# three loops run at once: pipeline cycles (pp-fleetstats | pp-decide |
# pp-drain | pp-provision, local provider, the clock 5 minutes on per
# cycle), a platform loop that edits through pp-registry (marks new
# nodes ready, places game servers on ready nodes, removes old ones,
# changes players), and one that edits with flock(1) and jq as
# ppscale-registry(5) shows. Each platform loop keeps a ledger of the
# game servers it has, written after each edit it made. At the end:
# every ledger matches the registry exactly (0 lost updates: no
# placement undone, no removal undone), no game server sits on a node
# that is gone, and the link is still a link.
set -u
secs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PP_BUILD:-$top/build/plain}/bin
export PATH="$bin:$PATH" PP_SHARE_DIR="$top/share"
d=$(mktemp -d "${TMPDIR:-/tmp}/ppplat.XXXXXX")
[[ -n ${PP_KEEP:-} ]] || trap 'rm -rf "$d"' EXIT
export PP_STATE_DIR=$d PP_CONFIG=$d/ppscale.yaml

printf 'join-platform-not-a-secret\n' > "$d/join"
chmod 600 "$d/join"
cat > "$d/ppscale.yaml" <<CONF
profile: seed
state_dir: $d
cloud:
  provider: local
  server_types: [cx23, cx33]
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
mkdir "$d/platform"
# the platform's own file, its dedicated node 92 % full: the first
# cycle scales up; these game servers are the pp-registry loop's, which
# removes them when the load goes down
jq -n '{version: 1, nodes: [{id: "ded-1", kind: "dedicated",
  status: "ready", role: "worker", total_ram_mb: 32768,
  reserved_ram_mb: 0, ip: "203.0.113.10", location: "fsn1",
  labels: {}, cloud: null, containers: [range(0; 10) |
  {id: "tb\(.)", ram_mb: 3000, state: "running", players: 4}]}]}' \
	> "$d/platform/nodes.json"
ln -s platform/nodes.json "$d/registry.json"
target=$d/platform/nodes.json
end=$((SECONDS + secs))

cycles() {
	local t=$(date -u -d 2026-11-27T18:00:00Z +%s) n=0 now
	while ((SECONDS < end)); do
		now=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)
		bash -o pipefail -c "pp-fleetstats -q --now $now |
			pp-decide -q --now $now | pp-drain -q --now $now |
			pp-provision -q --now $now > /dev/null" 2>> "$d/cycles.err" ||
			echo "cycle at $now failed" >> "$d/cycles.err"
		t=$((t + 300)) n=$((n + 1))
	done
	echo "$n" > "$d/cycles.n"
}

# ledger FILE: "server node" lines; the loop's own view of the registry
ready_nodes() {
	pp-registry show 2>/dev/null |
		jq -r '.nodes[] | select(.status == "ready") | .id' | shuf
}

# the load follows a wave: up to 30 game servers of 2 GB, down to 4
target_count() {
	local phase=$(( (SECONDS / 5) % 2 ))
	case $phase in 0) echo 30 ;; *) echo 2 ;; esac
}

with_tool() {
	local led=$d/ledger.tool i=0 n s node drain
	jq -r '.nodes[] | .id as $n | .containers[] | "\(.id) \($n)"' \
		"$target" > "$led"
	while ((SECONDS < end)); do
		for n in $(pp-registry show 2>/dev/null | jq -r \
		    '.nodes[] | select(.status == "provisioning") | .id'); do
			pp-registry -q status "$n" ready 2>/dev/null
		done
		# game servers on a draining node are stopped first, as
		# a platform would once ppscale drains the node
		drain=$(pp-registry show 2>/dev/null | jq -r '.nodes[] |
			select(.status == "draining") | .id' | paste -sd'|')
		if [[ -n $drain ]] && grep -Eq " ($drain)\$" "$led"; then
			read -r s node < <(grep -E " ($drain)\$" "$led" | head -1)
			pp-registry remove "$node" "$s" 2>> "$d/tool.err" ||
				echo "remove $s from $node failed" >> "$d/tool.err"
			grep -v "^$s " "$led" > "$led.new"; mv "$led.new" "$led"
		elif (( $(wc -l < "$led") < $(target_count) )); then
			s=t$i; i=$((i + 1))
			for node in $(ready_nodes); do
				if pp-registry -q place "$node" "$s" 3000 \
				    --players 3 2>/dev/null; then
					echo "$s $node" >> "$led"
					break
				fi
			done
		elif [[ -s $led ]]; then
			read -r s node < "$led"
			pp-registry remove "$node" "$s" 2>> "$d/tool.err" ||
				echo "remove $s from $node failed" >> "$d/tool.err"
			sed -i 1d "$led"
		fi
		if [[ -s $led ]]; then
			read -r s node < <(shuf -n1 "$led")
			pp-registry -q set "$node" "$s" --players $((RANDOM % 10 + 1)) \
				2>> "$d/tool.err" ||
				echo "set $s on $node failed" >> "$d/tool.err"
		fi
	done
}

# the documented way: flock on the target's lock file, jq, rename
# (PP_PLATFORM_UNLOCKED=1 leaves the lock out, to show that the check
# catches the updates that loses)
fl() {
	if [[ -n ${PP_PLATFORM_UNLOCKED:-} ]]; then
		sh -c "$1" sh "$target" "${@:2}"
	else
		flock -w 60 "$target.lock" sh -c "$1" sh "$target" "${@:2}"
	fi
}

with_flock() {
	local led=$d/ledger.flock i=0 s node drain
	: > "$led"
	while ((SECONDS < end)); do
		drain=$(jq -r '.nodes[] | select(.status == "draining") |
			.id' "$target" | paste -sd'|')
		if [[ -n $drain ]] && grep -Eq " ($drain)\$" "$led"; then
			read -r s node < <(grep -E " ($drain)\$" "$led" | head -1)
			fl 'jq --arg s "$2" "(.nodes[].containers) |= (. // [] |
			    map(select(.id != \$s)))" "$1" > "$1.tmp" &&
			  sleep 0.1 && sync "$1.tmp" && mv "$1.tmp" "$1"' "$s" ||
				echo "flock remove $s failed" >> "$d/flock.err"
			grep -v "^$s " "$led" > "$led.new"; mv "$led.new" "$led"
		elif (( $(wc -l < "$led") < $(target_count) / 2 )); then
			s=f$i; i=$((i + 1))
			node=$(fl 'jq -r "[.nodes[] | select(.status == \"ready\")
			    | select(([.containers[]? | select(.state != \"stopped\")
			    | .ram_mb] | add // 0) + 3000 <= .total_ram_mb
			    - (.reserved_ram_mb // 0)) | .id] | .[0] // empty" "$1" \
			    > "$1.pick" || exit 1
			  n=$(cat "$1.pick"); [ -n "$n" ] || exit 3
			  jq --arg n "$n" --arg s "$2" "(.nodes[] | select(.id == \$n)
			    | .containers) += [{id: \$s, ram_mb: 3000,
			    state: \"running\", players: 2}]" "$1" > "$1.tmp" &&
			  sleep 0.1 && sync "$1.tmp" && mv "$1.tmp" "$1" &&
			  echo "$n"' "$s")
			[[ -n $node ]] && echo "$s $node" >> "$led"
		elif [[ -s $led ]]; then
			read -r s node < "$led"
			fl 'jq --arg s "$2" "(.nodes[].containers) |= (. // [] |
			    map(select(.id != \$s)))" "$1" > "$1.tmp" &&
			  sleep 0.1 && sync "$1.tmp" && mv "$1.tmp" "$1"' "$s" ||
				echo "flock remove $s failed" >> "$d/flock.err"
			sed -i 1d "$led"
		fi
		sleep 0.05
	done
}

cycles & c=$!
with_tool & a=$!
with_flock & b=$!
wait $c $a $b

fail=0
[[ -L $d/registry.json ]] || { echo "the registry link was replaced"; fail=1; }
jq -e . "$target" > /dev/null || { echo "the registry does not parse"; exit 1; }
for who in tool flock; do
	want=$(sort "$d/ledger.$who")
	got=$(jq -r --arg p "${who:0:1}" '.nodes[] | .id as $n |
		.containers[]? | select(.id | startswith($p)) | "\(.id) \($n)"' \
		"$target" | sort)
	lost=$(comm -23 <(echo "$want") <(echo "$got") | grep -c . || true)
	back=$(comm -13 <(echo "$want") <(echo "$got") | grep -c . || true)
	if [[ $lost -ne 0 || $back -ne 0 ]]; then
		echo "$who: $lost placements lost, $back removals undone"
		comm -3 <(echo "$want") <(echo "$got") | head -5
		fail=1
	fi
	echo "$who: $(wc -l < "$d/ledger.$who") game servers held at the end"
done
for f in tool flock; do
	[[ -s $d/$f.err ]] && { echo "$f edits failed:"; head -5 "$d/$f.err"; fail=1; }
done
# no game server on a node that is gone: every ledger node is there
gone=$(cat "$d/ledger.tool" "$d/ledger.flock" | while read -r s n; do
	jq -e --arg n "$n" 'any(.nodes[]; .id == $n)' "$target" > /dev/null ||
		echo "$s on $n"
done | grep -c . || true)
[[ $gone -eq 0 ]] || { echo "$gone game servers on deleted nodes"; fail=1; }
created=$(jq '[.servers[]?] | length' "$d/cloud.json" 2>/dev/null || echo 0)
events=$(jq -r .type "$d/events.jsonl" 2>/dev/null | sort | uniq -c |
	awk '{printf "%s%s %s", sep, $2, $1; sep = ", "}')
[[ -s $d/cycles.err ]] && { echo "cycle errors:"; head -5 "$d/cycles.err"; }
echo "platform: $secs s, $(cat "$d/cycles.n") cycles, cloud servers now $created, events: ${events:-none}; lost updates: $([[ $fail = 0 ]] && echo 0 || echo some)"
exit $fail
