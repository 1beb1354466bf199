#!/bin/sh
# Times pp-decide on generated fleets of 1,000 and 10,000 nodes: the
# median of five dry runs each, and the growth between them (linear
# would be about 10x). Target: under 250 ms at 10,000 nodes.
#
#   PP_BUILD=build/plain sh t/bench/decide.sh
set -eu

BUILD=${PP_BUILD:-build/plain}
BIN=$BUILD/bin
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
export PP_STATE_DIR="$TMP/state" PP_CONFIG="$TMP/ppscale.yaml"
mkdir -p "$PP_STATE_DIR"
: > "$PP_CONFIG"
NOW=2026-11-27T18:00:00Z

# genregistry N: one dedicated node in ten, the rest cloud workers and
# a few spares, five game servers on most nodes
genregistry() {
	awk -v n="$1" 'BEGIN {
		printf "{\"version\":1,\"nodes\":[\n"
		for (i = 0; i < n; i++) {
			ded = (i % 10 == 0)
			spare = (!ded && i % 97 == 1)
			printf "%s{\"id\":\"n%d\",\"kind\":\"%s\",", \
				i ? "," : "", i, ded ? "dedicated" : "cloud"
			printf "\"status\":\"ready\",\"role\":\"%s\",", \
				spare ? "spare" : "worker"
			printf "\"total_ram_mb\":%d,\"reserved_ram_mb\":512,", \
				ded ? 131072 : 16384
			printf "\"ip\":\"10.%d.%d.%d\",\"location\":\"nbg1\",", \
				int(i / 65536), int(i / 256) % 256, i % 256
			printf "\"labels\":{},"
			if (ded)
				printf "\"cloud\":null,"
			else
				printf "\"cloud\":{\"provider\":\"hetzner\"," \
					"\"server_id\":\"%d\",\"server_type\":" \
					"\"cx43\",\"hourly_cost_eur\":0.0152," \
					"\"created_at\":\"2026-11-27T%02d:%02d:00Z\"},", \
					1000000 + i, i % 17, i % 60
			printf "\"containers\":["
			k = spare ? 0 : (ded ? 20 : 3)
			for (j = 0; j < k; j++)
				printf "%s{\"id\":\"c%d-%d\",\"ram_mb\":%d," \
					"\"state\":\"%s\",\"players\":%d}", \
					j ? "," : "", i, j, 1024 * (1 + (i + j) % 4), \
					(i + j) % 7 ? "running" : "stopped", j % 5
			printf "]}\n"
		}
		printf "]}\n"
	}'
}

# median of five runs: "WALL_MS CPU_MS" (CPU = user + system; on a
# busy machine the wall time also measures the neighbours)
median_ms() {
	doc=$1
	for r in 1 2 3 4 5; do
		t0=$(date +%s%N)
		cpu=$( { /usr/bin/time -f '%U %S' "$BIN/pp-decide" --dry-run \
			-q --now "$NOW" < "$doc" > /dev/null; } 2>&1 | tail -n 1)
		t1=$(date +%s%N)
		echo "$(((t1 - t0) / 1000)) $cpu"
	done | awk '{ printf "%.1f %.1f\n", $1 / 1000, ($2 + $3) * 1000 }' |
		sort -n | sed -n 3p
}

for n in 1000 10000; do
	genregistry "$n" > "$TMP/reg$n.json"
	"$BIN/pp-fleetstats" --no-record -r "$TMP/reg$n.json" --now "$NOW" \
		> "$TMP/doc$n.json"
done
a=$(median_ms "$TMP/doc1000.json")
b=$(median_ms "$TMP/doc10000.json")
size=$(wc -c < "$TMP/doc10000.json")
echo "$a $b" | awk -v kb=$((size / 1024)) '{
	printf "pp-decide   1,000 nodes: %8.1f ms wall, %6.1f ms CPU " \
		"(median of 5)\n", $1, $2
	printf "pp-decide  10,000 nodes: %8.1f ms wall, %6.1f ms CPU " \
		"(median of 5, document %d KB)\n", $3, $4, kb
	printf "pp-decide  growth 1,000 -> 10,000: %.1fx wall, %.1fx CPU " \
		"(linear: 10x)\n", ($1 > 0 ? $3 / $1 : 0), \
		($2 > 0 ? $4 / $2 : 0)
	if ($3 >= 250)
		print "pp-decide: over the 250 ms target (wall)"
}'
