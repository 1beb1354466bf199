#!/bin/sh
# pp-decide on the documents pp-fleetstats makes of the benchmark
# registries (1,000 and 10,000 nodes, 20 game servers a node): median of
# five dry runs. Target: under 250 ms at 10,000 nodes, linear growth.
# The last line is -p, which parses the whole document with json-c
# (the lean reader's saving).
set -eu
. "$(dirname "$0")/lib.sh"
state="$BENCH_DIR/decide-state"
mkdir -p "$state"
# the registries' cloud nodes are Hetzner's: pp-decide weighs them as
# its own (another provider's are never chosen to go, and cost nothing
# to look at)
export PP_STATE_DIR="$state" PP_CONFIG="$BENCH_DIR/hetzner.yaml"
printf 'cloud:\n  provider: hetzner\n' > "$PP_CONFIG"
: > "$BENCH_DIR/empty.yaml"
now=2026-11-27T18:00:00Z
echo "pp-decide --dry-run (median of 5; wall seconds, peak RSS MB)"
printf '%-10s %8s %8s %7s %7s\n' nodes doc_mb wall_s cpu_s rss_mb
prev=""
for n in 1000 10000; do
	reg=$(registry "$n" $((n * 20)))
	doc="$BENCH_DIR/doc-$n.json"
	PP_CONFIG="$BENCH_DIR/empty.yaml" pp-fleetstats --no-record \
		--now "$now" -r "$reg" > "$doc"
	set -- $(measure sh -c "pp-decide -q --dry-run --now $now < '$doc'")
	printf '%-10s %8s %8s %7s %7s\n' "$n" \
		"$(awk "BEGIN { printf \"%.1f\", $(wc -c < "$doc") / 1048576 }")" \
		"$1" "$3" $(($2 / 1024))
	[ -n "$prev" ] && echo "CPU growth 1,000 -> 10,000 nodes: $(awk "BEGIN { printf \"%.1f\", $3 / ($prev > 0 ? $prev : 0.01) }")x (linear: 10x)"
	prev=$3
done
set -- $(measure sh -c "pp-decide -p -q --dry-run --now $now < '$doc'")
printf '%-10s %8s %8s %7s %7s\n' "$n (-p)" \
	"$(awk "BEGIN { printf \"%.1f\", $(wc -c < "$doc") / 1048576 }")" \
	"$1" "$3" $(($2 / 1024))
