#!/bin/sh
# pp-fleetstats against jq computing the same totals, at 1,000 and
# 10,000 nodes (20 game servers a node), median of five runs.
set -eu
. "$(dirname "$0")/lib.sh"
echo "pp-fleetstats (median of 5; wall seconds, peak RSS MB)"
printf '%-8s %-9s %10s %9s %10s %9s %8s\n' nodes servers fleetstats rss_mb \
	jq rss_mb speedup
for n in 1000 10000; do
	c=$((n * 20))
	reg=$(registry "$n" "$c")
	set -- $(measure pp-fleetstats --no-record -r "$reg")
	ft=$1 fm=$2
	set -- $(measure jq -f "$(dirname "$0")/fleettotals.jq" "$reg")
	jt=$1 jm=$2
	printf '%-8s %-9s %10s %9s %10s %9s %7sx\n' "$n" "$c" "$ft" \
		$((fm / 1024)) "$jt" $((jm / 1024)) \
		"$(awk "BEGIN { printf \"%.1f\", $jt / ($ft > 0 ? $ft : 0.01) }")"
done
# the two must agree
reg=$(registry 1000 20000)
a=$(pp-fleetstats --no-record -r "$reg" | jq -c '.fleet | [.total_ram_mb, .allocated_ram_mb, .pending_ram_mb, .spares]')
b=$(jq -c -f "$(dirname "$0")/fleettotals.jq" "$reg" | jq -c '[.total_ram_mb, .allocated_ram_mb, .pending_ram_mb, .spares]')
[ "$a" = "$b" ] || { echo "bench: pp-fleetstats $a and jq $b disagree" >&2; exit 1; }
echo "totals agree with jq: $a"
