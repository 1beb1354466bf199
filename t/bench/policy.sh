#!/bin/sh
# make bench-policy: pp-sim over every trace in ../shared/traces (or
# $PP_TRACES) with four policy sets, one table on stdout.
#   seed        profile: seed (the seed's values, all three policies)
#   reactive    the shipped defaults, reactive alone (with the unneeded
#               rule, the shipped way down)
#   react+spare reactive and the spare pool (and the unneeded rule)
#   all         the shipped defaults, all three policies
set -eu
BUILD=${PP_BUILD:-build/plain}
TRACES=${PP_TRACES:-../shared/traces}
[ -d "$TRACES" ] || TRACES=/work/shared/traces
SIM="$BUILD/bin/pp-sim"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'profile: seed\n' > "$tmp/seed.yaml"
printf 'policies:\n  spare:\n    enabled: false\n  predictive:\n    enabled: false\n' \
	> "$tmp/reactive.yaml"
printf 'policies:\n  predictive:\n    enabled: false\n' > "$tmp/react+spare.yaml"
: > "$tmp/all.yaml"

printf '%-22s %-12s %9s %8s %8s %8s %9s %8s %6s %15s\n' trace "policy set" \
	"cost EUR" "/oracle" "/static" refused "unmet GBm" actions flaps \
	"fc err 1h/naive"
for f in "$TRACES"/*.csv; do
	for set in seed reactive react+spare all; do
		"$SIM" -q --no-progress -c "$tmp/$set.yaml" "$f" \
			> "$tmp/out.json"
		jq -r --arg t "$(basename "$f" .csv)" --arg s "$set" '
			[$t, $s, .cost_eur, .cost_over_oracle,
			 .cost_over_static, .refused_starts,
			 .unmet_gb_minutes, .actions_total, .flaps,
			 "\(.forecast_error.mape_1h)%/\(.forecast_error.naive_mape_1h)%",
			 .starts, .elapsed_s] | @tsv' "$tmp/out.json" |
		awk -F'\t' '{ printf "%-22s %-12s %9.2f %8.2f %8.2f %8d %9.1f %8d %6d %15s\n",
			$1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
	done
done
