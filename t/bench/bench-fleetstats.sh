#!/bin/sh
# pp-fleetstats against jq computing the same totals, at 1,000 and
# 10,000 nodes (20 game servers a node), median of five runs.
set -eu
. "$(dirname "$0")/lib.sh"
echo "pp-fleetstats vs jq on the same totals (median of 5; seconds, peak RSS MB;"
echo "speedup = jq CPU / pp-fleetstats CPU)"
# the clock in the middle of the generated nodes' creation day: some nodes still
# provisioning are past cloud.join_timeout (15 minutes), some not
NOW=2026-11-27T12:00:00Z
JQARGS="--argjson now $(date -u -d "$NOW" +%s) --argjson join 900"
printf '%-7s %-8s %8s %6s %7s %8s %6s %7s %8s\n' nodes servers fleet_s \
	cpu_s rss_mb jq_s cpu_s rss_mb speedup
for n in 1000 10000; do
	c=$((n * 20))
	reg=$(registry "$n" "$c")
	set -- $(measure pp-fleetstats --no-record --now "$NOW" -r "$reg")
	ft=$1 fm=$2 fc=$3
	set -- $(measure jq $JQARGS -f "$(dirname "$0")/fleettotals.jq" "$reg")
	jt=$1 jm=$2 jc=$3
	printf '%-7s %-8s %8s %6s %7s %8s %6s %7s %7sx\n' "$n" "$c" "$ft" \
		"$fc" $((fm / 1024)) "$jt" "$jc" $((jm / 1024)) \
		"$(awk "BEGIN { printf \"%.1f\", $jc / ($fc > 0 ? $fc : 0.01) }")"
done
# the two must agree
reg=$(registry 1000 20000)
a=$(pp-fleetstats --no-record --now "$NOW" -r "$reg" | jq -c '.fleet | [.total_ram_mb, .allocated_ram_mb, .pending_ram_mb, .spares]')
b=$(jq -c $JQARGS -f "$(dirname "$0")/fleettotals.jq" "$reg" | jq -c '[.total_ram_mb, .allocated_ram_mb, .pending_ram_mb, .spares]')
[ "$a" = "$b" ] || { echo "bench: pp-fleetstats $a and jq $b disagree" >&2; exit 1; }
echo "totals agree with jq: $a"
