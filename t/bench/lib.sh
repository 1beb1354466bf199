# Shared by the benchmark scripts: median wall time and peak RSS of five
# runs of a command, measured with t/bench/rusage.c (GNU time's -f and -o,
# to the microsecond rather than cut to hundredths; make bench builds it).
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/ppscale-bench}
mkdir -p "$BENCH_DIR"
TIME=${PP_BUILD:?}/bench/rusage

# the generator's checksum names its cached registries: one made by an
# older generator is not taken for this one's
GEN_SUM=$(cksum < "$(dirname "$0")/genregistry.py" | cut -d' ' -f1)

# registry N C: path of a generated registry with N nodes, C containers
registry() {
	f="$BENCH_DIR/registry-$1-$2-$GEN_SUM.json"
	[ -s "$f" ] || python3 "$(dirname "$0")/genregistry.py" "$1" "$2" > "$f"
	echo "$f"
}

# measure CMD...: prints "WALL_S MAX_RSS_KB CPU_S", medians of five
# runs. CPU (user + system) is printed beside wall time because a busy
# machine stretches wall time but hardly CPU time.
measure() {
	: > "$BENCH_DIR/times"
	for _ in 1 2 3 4 5; do
		$TIME -f '%e %M %U %S' -o "$BENCH_DIR/t1" "$@" > /dev/null ||
			{ echo "bench: command failed: $*" >&2; return 1; }
		cat "$BENCH_DIR/t1" >> "$BENCH_DIR/times"
	done
	t=$(cut -d' ' -f1 "$BENCH_DIR/times" | sort -n | sed -n 3p)
	m=$(cut -d' ' -f2 "$BENCH_DIR/times" | sort -n | sed -n 3p)
	c=$(awk '{ print $3 + $4 }' "$BENCH_DIR/times" | sort -n | sed -n 3p)
	echo "$t $m $c"
}
