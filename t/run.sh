#!/bin/sh
# Runs bats over the given files (default t/), keeps its TAP output and
# ends with one "N passed, N failed" line. Exit status: 0 when tests
# ran and none failed (with --shards or --only, and no file's bats
# failed).
#
# --shards N: each file (a directory stands for its *.bats) in a bats
# of its own, N at once (t/shards.sh, largest file first), each file's
# TAP printed whole once all have ended. For make check-slow, whose few
# long files would leave a core idle one after the other, and make
# check CHECK_JOBS=N; a file whose bats fails without a "not ok" (it
# could not be read) is a failure all the same.
#
# --only LIST (may be given again): of the files, only what a LIST
# names, one a line: a file's name runs the whole file, a test's
# description that test alone (bats --filter). A file LIST names
# nothing of is not run; a description no file runs is an error (a
# renamed test). For make check-novalgrind: t/valgrind/skip and slow
# are what make valgrind leaves out, so the two together run every
# test on the plain build. Implies a bats per file (--shards 1 unless
# given).
out=$(mktemp)
dir=
trap 'rm -f "$out"; [ -z "$dir" ] || rm -rf "$dir"' EXIT
jobs=
only=
while :; do
	case ${1:-} in
	--shards) jobs=$2; shift 2 ;;
	--only) only="$only $2"; shift 2 ;;
	*) break ;;
	esac
done
[ -z "$only" ] || [ -n "$jobs" ] || jobs=1
if [ -n "$jobs" ]; then
	[ $# -gt 0 ] || set -- t
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
	if [ -n "$only" ]; then
		for l in $only; do
			[ -r "$l" ] && continue
			echo "t/run.sh: --only: cannot read $l" >&2
			exit 1
		done
		# shellcheck disable=SC2086
		cat $only | grep -v '^$' > "$dir/only"
		# a file's descriptions as bats reads them (bats-preprocess's
		# pattern: blanks around, either quote), raw, as its --filter
		# sees them
		descs() {
			sed -n 's/^[[:blank:]]*@test[[:blank:]]\{1,\}\(.*[^[:blank:]]\)[[:blank:]]\{1,\}{.*$/\1/p' "$@" |
				sed "s/^[\"']//; s/[\"']\$//"
		}
		grep '\.bats$' "$dir/only" > "$dir/only-files"
		grep -v '\.bats$' "$dir/only" > "$dir/only-tests"
		kept=
		for f in $files; do
			if grep -qxF "${f##*/}" "$dir/only-files"; then
				kept="$kept $f"
				continue
			fi
			descs "$f" | grep -xF -f "$dir/only-tests" > "$dir/want"
			[ -s "$dir/want" ] || continue
			# bats --filter is a regular expression over the
			# description: each one whole and quoted
			sed 's/[][\\.*^$(){}?+|]/\\&/g' "$dir/want" |
				paste -sd'|' | sed 's/^/^(/; s/$/)$/' \
				> "$dir/filter-${f##*/}"
			cat "$dir/want" >> "$dir/expected"
			kept="$kept $f"
		done
		files=$kept
		# a description no test of t/ has (renamed since): valgrind
		# runs the renamed test, so this is only the list gone stale
		descs "$(dirname "$0")"/*.bats > "$dir/all-tests"
		while IFS= read -r d; do
			grep -qxF -e "$d" "$dir/all-tests" && continue
			printf 't/run.sh: --only: no test of t/ is "%s"\n' "$d" >&2
			exit 1
		done < "$dir/only-tests"
		while IFS= read -r f; do
			[ -f "$(dirname "$0")/$f" ] && continue
			echo "t/run.sh: --only: no file t/$f" >&2
			exit 1
		done < "$dir/only-files"
		if [ -z "$files" ]; then
			echo "t/run.sh: --only names nothing in these files" >&2
			exit 1
		fi
	fi
	# shellcheck source=t/shards.sh
	. "$(dirname "$0")/shards.sh"
	one() {
		t0=$(date +%s)
		filter=$dir/filter-${1##*/}
		if [ -s "$filter" ]; then
			bats --formatter tap --filter "$(cat "$filter")" "$1"
		else
			bats --formatter tap "$1"
		fi > "$dir/tap/${1##*/}" 2>&1 || echo "$1" >> "$dir/failed"
		echo "$(($(date +%s) - t0)) s $1" >> "$dir/times"
	}
	# shellcheck disable=SC2046,SC2086
	shards "$jobs" "$dir/claim" one $(ls -SL $files)
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
	# every description --only asked for ran: a filter that matched
	# nothing would pass with the test never run
	if [ -s "$dir/expected" ]; then
		sed -n 's/^\(not \)\{0,1\}ok [0-9]* \(.*\)$/\2/p' "$out" |
			sed 's/ # skip.*$//' > "$dir/ran"
		while IFS= read -r d; do
			grep -qxF -e "$d" "$dir/ran" && continue
			printf 't/run.sh: --only: "%s" did not run\n' "$d"
			status=1
		done < "$dir/expected"
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
