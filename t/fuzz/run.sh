#!/bin/sh
# Runs each libFuzzer harness for FUZZ_TIME seconds from its seed corpus
# (t/fuzz/corpus/NAME, read-only) into a grown corpus in the build
# (FUZZ_BUILD/corpus/NAME), and prints one line per harness: runs,
# executions, coverage, result. Any crash, leak, sanitizer report or
# timeout leaves its input in FUZZ_BUILD/findings/ and fails the run.
#   FUZZ_TIME=60 FUZZ_BUILD=build/fuzz sh t/fuzz/run.sh doc config ...
time=${FUZZ_TIME:-60}
build=${FUZZ_BUILD:-build/fuzz}
# FUZZ_JOBS harnesses at once (default 2, one a core): each still runs
# FUZZ_TIME seconds on a core of its own, the lines print in the order
# given
jobs=${FUZZ_JOBS:-2}
dir=$(dirname "$0")
mkdir -p "$build/findings" "$build/log"

# one NAME: runs the harness, leaves its table line in $build/log/NAME.line
# and its executions and 0/1 (finding) in $build/log/NAME.sum
one() {
	name=$1
	mkdir -p "$build/corpus/$name"
	log="$build/log/$name.log"
	case $name in
	config) dict=-dict=$dir/dict/yaml.dict ;;
	template) dict=-dict=$dir/dict/template.dict ;;
	history|trace) dict= ;;
	*) dict=-dict=$dir/dict/json.dict ;;
	esac
	# -close_fd_mask=3: the library's messages (every one is formatted
	# at debug level) are not the fuzzer's report
	"$build/bin/$name" -max_total_time="$time" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-close_fd_mask=3 -artifact_prefix="$build/findings/$name-" \
		$dict "$build/corpus/$name" "$dir/corpus/$name" \
		>"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	result=ok
	found=0
	if [ "$rc" -ne 0 ]; then
		result="FINDING (exit $rc): $(grep -m1 -E \
			'ERROR|runtime error|Sanitizer|libFuzzer: ' "$log")"
		found=1
	fi
	printf '%-10s %6s %12s %8s %8s  %s\n' "$name" "$time" \
		"${execs:-?}" "${rate:-?}" "${cov:-?}" "$result" \
		> "$build/log/$name.line"
	echo "${execs:-0} $found" > "$build/log/$name.sum"
}

printf '%-10s %6s %12s %8s %8s  %s\n' harness secs executions exec/s \
	cov result
for name in "$@"; do
	rm -f "$build/log/$name.line" "$build/log/$name.sum"
done
rm -rf "$build/claim"
. "$dir/../shards.sh"
shards "$jobs" "$build/claim" one "$@"
failed=0
total=0
for name in "$@"; do
	if [ ! -s "$build/log/$name.sum" ]; then
		echo "$name: no result (the harness did not run)"
		failed=$((failed + 1))
		continue
	fi
	cat "$build/log/$name.line"
	read -r execs found < "$build/log/$name.sum"
	total=$((total + execs))
	failed=$((failed + found))
done
echo "fuzz: $# harnesses, $total executions, $failed with findings" \
	"(logs in $build/log, inputs in $build/findings)"
[ "$failed" -eq 0 ]
