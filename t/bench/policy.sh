#!/bin/sh
# make bench-policy: pp-sim over the traces in ../shared/traces (or
# $PP_TRACES).
#
#  1. speed: CPU seconds of pp-sim for 4 weeks of osrs at one-minute
#     steps (target 0.5 s), at the shipped 2-minute cycle and at 1.
#  2. the matrix: every trace x seeds 1-5 x boot 90s, 3m, 6m x cycle 1m,
#     2m for the shipped profile (default) and the seed's (profile:
#     seed); one line per cell, then per profile and trace the worst
#     refused-game-server share, the cells over 0.05 %, the median
#     and worst cost over the equal-refusal static fleet, the median
#     flaps (a removal bought back soon, or the reverse: each a drain)
#     and the median game servers moved a day (each a live migration).
#  3. the comparison: seed 1, boot 3m, cycle 2m, the shipped profile
#     beside target tracking (70 %), the cluster autoscaler and the
#     cluster autoscaler with a pause pod (flaps and moves a day too).
#
# make bench-unseen runs it on the demand shapes of
# t/bench/unseen-traces.py (PP_TRACES; no speed figures there).
#
# PP_MATRIX=quick runs seed 1 only (18 cells a profile). The machine is
# shared: the cells run one at a time. Results also land in
# $PP_BENCH_OUT (default build/bench-policy.tsv).
set -eu
BUILD=${PP_BUILD:-build/plain}
TRACES=${PP_TRACES:-../shared/traces}
[ -d "$TRACES" ] || TRACES=/work/shared/traces
SIM="$BUILD/bin/pp-sim"
OUT=${PP_BENCH_OUT:-build/bench-policy.tsv}
SEEDS="1 2 3 4 5"
[ "${PP_MATRIX:-full}" = quick ] && SEEDS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'profile: default\n' > "$tmp/default.yaml"
printf 'profile: seed\n' > "$tmp/seed.yaml"

cpu() {
	# CPU seconds (user + system) of a pp-sim run, the median of three:
	# on a virtual machine one run's CPU time wanders by a third
	: > "$tmp/times"
	for _ in 1 2 3; do
		"$BUILD/bench/rusage" -f '%U %S' -o "$tmp/time" \
			"$SIM" -q --no-progress --no-static "$@" > /dev/null
		awk '{ printf "%.3f\n", $1 + $2 }' "$tmp/time" >> "$tmp/times"
	done
	sort -n "$tmp/times" | awk 'NR == 2 { printf "%.2f", $1 }'
}

# PP_TRACES without an osrs trace (make bench-unseen): no speed figures
for f in "$TRACES"/osrs*.csv; do
	[ -f "$f" ] || continue
	echo "== speed: pp-sim, osrs 4 weeks at one-minute steps (target <= 0.5 s CPU)"
	head -8065 "$f" > "$tmp/osrs4w.csv"
	printf 'cycle 2m (shipped)  %s s CPU\n' "$(cpu -c "$tmp/default.yaml" \
		"$tmp/osrs4w.csv")"
	printf 'cycle 1m            %s s CPU\n' "$(cpu -c "$tmp/default.yaml" \
		--cycle 1m "$tmp/osrs4w.csv")"
done

echo
echo "== matrix: traces x seeds ($SEEDS) x boot 90s/3m/6m x cycle 1m/2m"
printf 'profile\ttrace\tseed\tboot\tcycle\tservers\trefused\trefused_pct\tcost_eur\tover_static_eq\tover_static\tflaps\tmoves_day\n' > "$OUT"
for prof in default seed; do
	for f in "$TRACES"/*.csv; do
		t=$(basename "$f" .csv)
		for seed in $SEEDS; do
			for boot in 90s 3m 6m; do
				for cycle in 1m 2m; do
					"$SIM" -q --no-progress -c "$tmp/$prof.yaml" \
						--seed "$seed" --boot "$boot" \
						--cycle "$cycle" "$f" |
					jq -r --arg p "$prof" --arg t "$t" \
						--arg s "$seed" --arg b "$boot" \
						--arg c "$cycle" '[$p, $t, $s, $b, $c,
						.servers, .refused_servers,
						.refused_servers_percent, .cost_eur,
						.cost_over_static_equal,
						.cost_over_static, .flaps,
						.moves_per_day] | @tsv' >> "$OUT"
				done
			done
		done
	done
done
column -t -s "$(printf '\t')" "$OUT"

echo
echo "== per profile and trace: worst refused share, cells over 0.05 %, cost / equal-refusal static, flaps, moves a day"
printf "%-8s %-18s %6s %10s %6s %8s %8s %6s %8s\n" profile trace cells "worst %" \
	over median worst flaps moves/d
awk -F'\t' 'NR > 1 {
	k = $1 "\t" $2; n[k]++
	if ($8 > worst[k]) worst[k] = $8
	if ($8 > 0.05) over[k]++
	c[k, n[k]] = $10
	fl[k, n[k]] = $12
	mv[k, n[k]] = $13
	if ($10 > cw[k]) cw[k] = $10
}
END {
	for (k in n) {
		m = n[k]
		for (i = 1; i <= m; i++) v[i] = c[k, i]
		for (i = 2; i <= m; i++) {
			x = v[i]
			for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
			v[j + 1] = x
		}
		med = v[int((m + 1) / 2)]
		for (i = 1; i <= m; i++) v[i] = fl[k, i]
		for (i = 2; i <= m; i++) {
			x = v[i]
			for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
			v[j + 1] = x
		}
		mf = v[int((m + 1) / 2)]
		for (i = 1; i <= m; i++) v[i] = mv[k, i]
		for (i = 2; i <= m; i++) {
			x = v[i]
			for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
			v[j + 1] = x
		}
		split(k, kk, "\t")
		printf "%-8s %-18s %6d %10.3f %6d %8.3f %8.3f %6d %8.1f\n", kk[1], kk[2],
			m, worst[k], over[k], med, cw[k], mf, v[int((m + 1) / 2)]
	}
}' "$OUT" | sort

echo
echo "== comparison: seed 1, boot 3m, cycle 2m"
printf '%-18s %-12s %8s %8s %10s %9s %8s %8s %6s %8s\n' trace strategy servers \
	refused "waited min" "cost EUR" "/st.eq" "/static" flaps moves/d
for f in "$TRACES"/*.csv; do
	for st in shipped target ca ca-headroom; do
		"$SIM" -q --no-progress -c "$tmp/default.yaml" --strategy "$st" \
			"$f" |
		jq -r --arg t "$(basename "$f" .csv)" --arg s "$st" '[$t, $s,
			.servers, .refused_servers, .waited_server_minutes,
			.cost_eur, .cost_over_static_equal, .cost_over_static,
			.flaps, .moves_per_day] | @tsv' |
		awk -F'\t' '{ printf "%-18s %-12s %8d %8d %10d %9.2f %8.3f %8.3f %6d %8.1f\n",
			$1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
	done
done
