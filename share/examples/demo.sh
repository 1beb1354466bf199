#!/bin/sh
# make demo: one whole scaling cycle on the embedded default (the local
# cloud provider and the bundled example fleet), in a scratch state
# directory, then what happened.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="${PP_BUILD:-$top/build/plain}/bin"
PATH="$bin:$PATH"
state=$(mktemp -d "${TMPDIR:-/tmp}/ppscale-demo.XXXXXX")
export PP_STATE_DIR="$state" PP_CONFIG="$state/ppscale.yaml"
export PP_SHARE_DIR="$top/share"
cp "$top/share/examples/registry.json" "$state/registry.json"
# the example config, pointed at the scratch state directory
sed "s|^state_dir:.*|state_dir: $state|" \
	"$top/share/examples/ppscale.yaml.example" > "$PP_CONFIG"
now=${PP_DEMO_NOW:-2026-11-27T18:00:00Z}

echo "== ppscale demo: state in $state, clock $now" >&2
stages="pp-fleetstats"
for t in pp-decide pp-drain pp-provision; do
	[ -x "$bin/$t" ] && stages="$stages | $t --now $now"
done
echo "== $stages" >&2
sh -c "pp-fleetstats --now $now $(echo "$stages" | sed 's/^pp-fleetstats//')" \
	> "$state/cycle.json"
echo "== the document (fleet, decision, drain, provision):" >&2
if command -v jq >/dev/null 2>&1; then
	jq '{fleet: .fleet | {total_ram_mb, allocated_ram_mb, pending_ram_mb,
		capacity_percent, spares, hourly_cost_eur},
		decision: (.decision // null | if . then {action, policy,
		count, server_type, location, node, reason} else . end),
		drain: (.drain // null), provision: (.provision // null)}' \
		"$state/cycle.json"
else
	cat "$state/cycle.json"
fi
if [ -s "$state/events.jsonl" ]; then
	echo "== events:" >&2
	cat "$state/events.jsonl"
fi
echo "== state kept in $state (remove it when done)" >&2
