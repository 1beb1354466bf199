#!/bin/sh
# Each tool and the whole cycle (pp-fleetstats | pp-decide | pp-drain |
# pp-provision, local provider, a scale-down with a drain of about 20
# game servers) and an idle cycle (nothing to do) against jq computing
# the same fleet totals from the same registry, at 1,000, 10,000 and
# 100,000 nodes with 20 game servers a node. The local cloud holds every
# cloud node's server (genregistry.py writes it beside the registry), so
# pp-provision's convergence finds what it would find in a real fleet. CPU seconds (user + system) are medians of BENCH_RUNS runs (5;
# three at 100,000 nodes, BENCH_RUNS_BIG, to stay within minutes: one
# was too noisy, as a 155 MB rewrite's system time can triple on a
# virtual machine whose host backs freed memory again), peak RSS in MB; the
# state and the registry are reset before each run. Ratios are against
# jq's CPU; growth is 10,000 -> 100,000 nodes (linear: 10x).
#
# CPU time is less stretched than wall time by a busy machine, but not
# immune to it: note the load average printed with the table.
set -eu
. "$(dirname "$0")/lib.sh"
dir=$(cd "$(dirname "$0")" && pwd)
runs=${BENCH_RUNS:-5}
sizes=${BENCH_SIZES:-1000 10000 100000}
now=2026-11-27T18:00:00Z
work="$BENCH_DIR/cycle"
mkdir -p "$work"
cat > "$work/ppscale.yaml" <<'YAML'
# capacity about 80 %: the reactive policy scales down at once
cloud:
  provider: local
  local:
    boot_seconds: 0s
policies:
  reactive:
    up_threshold: 99
    down_threshold: 95
    down_window: 0s
    down_margin: 0
  spare:
    enabled: false
  predictive:
    enabled: false
limits:
  max_cloud_nodes: 1000000
  max_hourly_eur: 1000000
drain:
  move_command: ["true"]
  player_grace: 0s
YAML
# the same, with a fleet that is neither too full nor too empty
sed 's/down_threshold: 95/down_threshold: 10/' "$work/ppscale.yaml" \
	> "$work/idle.yaml"
export PP_CONFIG="$work/ppscale.yaml" PP_STATE_DIR="$work/state"

# tcpu FILE: "CPU_S RSS_MB" of one rusage record
tcpu() { awk '{ printf "%.3f %d\n", $2 + $3, $1 / 1024 }' "$1"; }

# one cycle on a fresh copy of registry $1 (with config $3, default
# the scale-down's); appends a line
# "fs_cpu fs_rss decide_cpu decide_rss drain_cpu drain_rss prov_cpu
# prov_rss total_cpu total_user" to $2
cycle() {
	rm -rf "$PP_STATE_DIR"
	mkdir -p "$PP_STATE_DIR"
	cp "$1" "$PP_STATE_DIR/registry.json"
	cp "${1%.json}.cloud.json" "$PP_STATE_DIR/cloud.json"
	# a registry in service has its lock file (any write made it),
	# where pp-fleetstats leaves the stamp of the file it checked
	: > "$PP_STATE_DIR/registry.json.lock"
	line=""
	user=0
	in=/dev/null
	i=0
	for tool in pp-fleetstats pp-decide pp-drain pp-provision; do
		i=$((i + 1))
		PP_CONFIG=${3:-$PP_CONFIG} $TIME -f '%M %U %S' -o "$work/t" $tool -q --now "$now" \
			< "$in" > "$work/out$i" ||
			{ echo "bench: $tool failed" >&2; return 1; }
		line="$line $(tcpu "$work/t")"
		user=$(awk -v u="$user" '{ printf "%.3f", u + $2 }' \
			"$work/t")
		in="$work/out$i"
	done
	echo "$line" | awk -v u="$user" '{ $1 = $1; print $0,
		$1 + $3 + $5 + $7, u }' >> "$2"
}

med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "whole cycle vs jq on the same totals (CPU s median of $runs, ${BENCH_RUNS_BIG:-3} at" \
	"100k; peak RSS MB)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf '%-7s %6s %13s %11s %11s %11s %8s %8s %13s %8s %8s %8s\n' \
	nodes reg_mb fleetstats decide drain provision cycle idle jq fs/jq \
	cycle/jq idle/jq
prev=""
for n in $sizes; do
	f="$BENCH_DIR/registry-local-$n-$GEN_SUM.json"
	[ -s "$f" ] && [ -s "${f%.json}.cloud.json" ] ||
		python3 "$dir/genregistry.py" "$n" $((n * 20)) 42 local \
			"${f%.json}.cloud.json" > "$f"
	# the idle cycle's registry: no drain in progress to continue
	g="${f%.json}.idle.json"
	[ -s "$g" ] || sed 's/"status":"draining"/"status":"ready"/' "$f" > "$g"
	cp "${f%.json}.cloud.json" "${g%.json}.cloud.json"
	r=$runs
	[ "$n" -ge 100000 ] && r=${BENCH_RUNS_BIG:-3}
	: > "$work/runs"
	: > "$work/idle"
	: > "$work/jq"
	k=0
	while [ $k -lt $r ]; do
		cycle "$g" "$work/idle" "$work/idle.yaml"
		jq -e '.decision.action == "none"' "$work/out4" > /dev/null ||
			{ echo "bench: the idle cycle acted at $n" >&2; exit 1; }
		cycle "$f" "$work/runs"
		$TIME -f '%M %U %S' -o "$work/t" jq --argjson now \
			"$(date -u -d "$now" +%s)" --argjson join 900 \
			-f "$dir/fleettotals.jq" "$f" > "$work/jq.out"
		tcpu "$work/t" >> "$work/jq"
		k=$((k + 1))
	done
	# the cycle did what it is measured for, and agrees with jq
	jq -e '.decision.action == "scale_down" and .drain.empty and
		.provision.status == "done"' "$work/out4" > /dev/null ||
		{ echo "bench: no scale-down with a drain at $n" >&2; exit 1; }
	a=$(jq -c '.fleet | [.total_ram_mb, .allocated_ram_mb]' "$work/out1")
	b=$(jq -c '[.total_ram_mb, .allocated_ram_mb]' "$work/jq.out")
	[ "$a" = "$b" ] || { echo "bench: $a vs jq $b" >&2; exit 1; }
	col() { cut -d' ' -f"$1" "$work/runs" | med; }
	fs=$(col 1) dc=$(col 3) dr=$(col 5) pv=$(col 7) cy=$(col 9) us=$(col 10)
	id=$(cut -d' ' -f9 "$work/idle" | med)
	jc=$(cut -d' ' -f1 "$work/jq" | med)
	jm=$(cut -d' ' -f2 "$work/jq" | med)
	printf '%-7s %6s %7s %4sMB %6s %3s %6s %3s %6s %3s %8s %8s %7s %4sMB %7sx %7sx %7sx\n' \
		"$n" $(($(wc -c < "$f") / 1048576)) "$fs" "$(col 2)" "$dc" \
		"$(col 4)" "$dr" "$(col 6)" "$pv" "$(col 8)" "$cy" "$id" "$jc" \
		"$jm" "$(awk "BEGIN { printf \"%.2f\", $fs / $jc }")" \
		"$(awk "BEGIN { printf \"%.2f\", $cy / $jc }")" \
		"$(awk "BEGIN { printf \"%.2f\", $id / $jc }")"
	[ -n "$prev" ] && growth="$(awk "BEGIN { printf \"%.1f\", \
		$cy / ($prev > 0 ? $prev : 0.001) }")x" &&
		ugrowth="$(awk "BEGIN { printf \"%.1f\", \
		$us / ($uprev > 0 ? $uprev : 0.001) }")x"
	prev=$cy uprev=$us
done
echo "cycle CPU growth, last two sizes: ${growth:-n/a} (linear: 10x)"
# the user time alone: what the tools compute, without the kernel's
# share, which on a virtual machine follows the host's memory (README,
# Performance)
echo "cycle user-time growth, last two sizes: ${ugrowth:-n/a}"
