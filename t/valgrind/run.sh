#!/bin/sh
# make valgrind: the bats suite with every tool and unit program run
# under valgrind memcheck. A wrapper tree (VG_BUILD/bin, VG_BUILD/unit)
# holds one script per program that execs valgrind on the real binary
# of REAL_BUILD; the tests run with PP_BUILD pointing at it, so they
# see each tool's own exit status. Any memcheck error or definite leak
# makes valgrind exit 99 and write a report into VG_BUILD/log; the run
# fails when any report exists, whatever the test made of the status.
# Tests that measure wall time, or that rebuild the tree, are skipped
# by name (t/valgrind/skip, one description or file name a line).
#   REAL_BUILD=build/plain VG_BUILD=build/valgrind sh t/valgrind/run.sh
#   [bats files...]     (default: all of t/, in VG_JOBS parallel shards)
set -u
top=$(pwd)
real=$top/${REAL_BUILD:-build/plain}
vg=$top/${VG_BUILD:-build/valgrind}
jobs=${VG_JOBS:-2}
rm -rf "$vg"
mkdir -p "$vg/bin" "$vg/unit" "$vg/log"
for sub in bin unit; do
	for f in "$real/$sub"/*; do
		case $f in *.d) continue ;; esac
		[ -x "$f" ] || continue
		cat > "$vg/$sub/${f##*/}" <<EOS
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --error-exitcode=99 \\
	--log-file="$vg/log/${f##*/}.%p" "$f" "\$@"
EOS
		chmod +x "$vg/$sub/${f##*/}"
	done
done
if [ $# -eq 0 ]; then
	set -- t/*.bats
fi
# shards: every jobs-th file, so the slow files spread out
i=0
pids=
while [ $i -lt "$jobs" ]; do
	files=$(n=0; for f in "$@"; do
		[ $((n % jobs)) -eq $i ] && echo "$f"; n=$((n + 1)); done)
	PATH="$vg/bin:$PATH" PP_BUILD=$vg PP_TOP=$top \
	PP_VALGRIND_SKIP=$top/t/valgrind/skip \
		sh t/run.sh $files > "$vg/shard$i.tap" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
status=0
for p in $pids; do
	wait "$p" || status=1
done
cat "$vg"/shard*.tap | grep -E '^(not ok|#)' | head -200
passed=$(cat "$vg"/shard*.tap | grep -c '^ok ')
skipped=$(cat "$vg"/shard*.tap | grep -c '^ok .* # skip')
failed=$(cat "$vg"/shard*.tap | grep -c '^not ok ')
runs=$(ls "$vg/log" | wc -l)
reports=$(find "$vg/log" -type f -size +0 | wc -l)
echo "valgrind: $((passed - skipped)) passed, $failed failed," \
	"$skipped skipped; $runs program runs under memcheck," \
	"$reports with errors or definite leaks"
find "$vg/log" -type f -size +0 | head -20 | while read -r f; do
	echo "--- $f"
	head -40 "$f"
done
[ "$reports" -eq 0 ] && [ "$status" -eq 0 ]
