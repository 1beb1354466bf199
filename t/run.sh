#!/bin/sh
# Runs bats over the given files (default t/), keeps its TAP output and
# ends with one "N passed, N failed" line. Exit status: 0 when tests
# ran and none failed (with --shards, and no file's bats failed).
#
# --shards N first: each file (a directory stands for its *.bats) in a
# bats of its own, N at once (t/shards.sh, largest file first), each
# file's TAP printed whole once all have ended. For make check-slow,
# whose few long files would leave a core idle one after the other; a
# file whose bats fails without a "not ok" (it could not be read) is a
# failure all the same.
out=$(mktemp)
dir=
trap 'rm -f "$out"; [ -z "$dir" ] || rm -rf "$dir"' EXIT
if [ "${1:-}" = --shards ]; then
	jobs=$2
	shift 2
	files=
	for a in "$@"; do
		if [ -d "$a" ]; then
			files="$files $(ls "$a"/*.bats)"
		else
			files="$files $a"
		fi
	done
	dir=$(mktemp -d)
	mkdir "$dir/tap"
	# shellcheck source=t/shards.sh
	. "$(dirname "$0")/shards.sh"
	one() {
		t0=$(date +%s)
		bats --formatter tap "$1" > "$dir/tap/${1##*/}" 2>&1 ||
			echo "$1" >> "$dir/failed"
		echo "$(($(date +%s) - t0)) s $1" >> "$dir/times"
	}
	# shellcheck disable=SC2046,SC2086
	shards "$jobs" "$dir/claim" one $(ls -S $files)
	for f in $files; do
		cat "$dir/tap/${f##*/}"
	done | tee "$out"
	echo "each file's wall time:"
	sort -rn "$dir/times"
	status=0
	if [ -s "$dir/failed" ]; then
		status=1
		# bats failed where no test did: say which file
		for f in $(cat "$dir/failed"); do
			grep -q '^not ok ' "$dir/tap/${f##*/}" ||
				echo "$f: bats failed with no test failing"
		done
	fi
else
	bats --formatter tap "$@" | tee "$out"
	status=0
fi
# POSIX sh has no PIPESTATUS: recompute from the TAP lines
passed=$(grep -c '^ok ' "$out")
skipped=$(grep -c '^ok .* # skip' "$out")
failed=$(grep -c '^not ok ' "$out")
passed=$((passed - skipped))
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ "$status" -eq 0 ] && exit 0
exit 1
