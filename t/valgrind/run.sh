#!/bin/sh
# make valgrind: the bats suite with every tool and unit program run
# under valgrind memcheck. A wrapper tree (VG_BUILD/bin, VG_BUILD/unit)
# holds one script per program that execs valgrind on the real binary
# of REAL_BUILD; the tests run with PP_BUILD pointing at it, so they
# see each tool's own exit status. Any memcheck error or definite leak
# makes valgrind exit 99 and write a report into VG_BUILD/log; the run
# fails when any report exists, whatever the test made of the status.
# t/valgrind/skip names the tests or files that cannot run under
# valgrind; t/valgrind/slow the files and tests left out unless
# VG_SLOW=1 (see t/valgrind/README why). Files run one by one in VG_JOBS parallel shards that
# each take the next unclaimed file, and each file's wall time is
# printed, slowest first.
#   REAL_BUILD=build/plain VG_BUILD=build/valgrind sh t/valgrind/run.sh
#   [bats files...]     (default: all of t/)
set -u
top=$(pwd)
real=$top/${REAL_BUILD:-build/plain}
vg=$top/${VG_BUILD:-build/valgrind}
jobs=${VG_JOBS:-2}
rm -rf "$vg"
mkdir -p "$vg/bin" "$vg/unit" "$vg/log" "$vg/tap" "$vg/lib"
# Reading glibc's detached debug info (libc6-dbg) is the largest part
# of memcheck's start-up: about 0.25 s of the 0.7 s every program run
# costs, 4,000 times a run. Valgrind needs it for ld.so only (its strlen must be
# redirected), so the programs get a copy of libc and libm whose
# build-id is zeroed: valgrind finds no debug file for them and reads
# their own symbols, which name every exported function. Checking is
# the same; a frame in libc's internals reads ??? in a report, one of
# ours keeps its file and line.
for lib in libc.so.6 libm.so.6; do
	path=$(ldd "$real/bin/pp-decide" | awk -v l="$lib" '$1 == l { print $3 }')
	[ -n "$path" ] || continue
	cp "$path" "$vg/lib/$lib"
	# the note's offset and size: namesz, descsz, type (4 bytes
	# each) and "GNU\0", then the id, the rest of the section
	note=$(readelf -SW "$vg/lib/$lib" | awk '
		{ sub(/^ *\[ *[0-9]+\] */, "") }
		$1 == ".note.gnu.build-id" { print $4, $5 }')
	off=${note% *} size=${note#* }
	[ -n "$note" ] && [ $((0x$size)) -gt 16 ] &&
		dd if=/dev/zero of="$vg/lib/$lib" bs=1 seek=$((0x$off + 16)) \
		count=$((0x$size - 16)) conv=notrunc 2>/dev/null ||
		rm -f "$vg/lib/$lib"
done
# --vex-guest-chase=no: the JIT translates block by block, not
# following branches into longer superblocks; most of a short run is
# translating code that runs once (t/0020 under valgrind, alone on one
# core each side by side: 199 s with it, 220 s without). Every block is
# still instrumented; lost is memcheck's rewriting of an "A && B" over
# two blocks, so -O2 code may get a false uninitialised-value report
# (a failure, never a miss: t/valgrind/README)
for sub in bin unit; do
	for f in "$real/$sub"/*; do
		case $f in *.d) continue ;; esac
		[ -x "$f" ] || continue
		cat > "$vg/$sub/${f##*/}" <<EOS
#!/bin/sh
LD_LIBRARY_PATH=$vg/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} \\
exec valgrind -q --read-inline-info=no --vex-guest-chase=no --leak-check=full \\
	--show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --error-exitcode=99 \\
	--log-file="$vg/log/${f##*/}.%p" "$f" "\$@"
EOS
		chmod +x "$vg/$sub/${f##*/}"
	done
done
if [ $# -eq 0 ]; then
	for f in t/*.bats; do
		if [ "${VG_SLOW:-0}" != 1 ] &&
		    grep -qxF "${f##*/}" t/valgrind/slow; then
			echo "valgrind: leaving out $f (t/valgrind/slow)"
			continue
		fi
		set -- "$@" "$f"
	done
fi
# the slow tests named by description are skipped by pp_isolate
slow=$top/t/valgrind/slow
[ "${VG_SLOW:-0}" != 1 ] || slow=
start=$(date +%s)
. "$top/t/shards.sh"
# one FILE: the bats file under the wrapper tree, its TAP kept
one() {
	t0=$(date +%s)
	PATH="$vg/bin:$PATH" PP_BUILD=$vg PP_TOP=$top \
	PP_VALGRIND_SKIP=$top/t/valgrind/skip \
	PP_VALGRIND_SLOW=$slow \
		bats --formatter tap "$1" > "$vg/tap/${1##*/}.tap" 2>&1
	echo "$(($(date +%s) - t0)) $1" >> "$vg/times"
}
# largest files first, so that no shard is left with the slow ones at
# the end while the other idles
# shellcheck disable=SC2046
shards "$jobs" "$vg/claim" one $(ls -SL "$@")
# make demo under the wrapper tree (t/9020) points build/bin at it, as
# "the last build": point it back at the real one, so that build/bin
# after make valgrind is not every tool under valgrind
if [ "$(readlink "$top/build/bin" 2>/dev/null)" = "${vg#"$top"/build/}/bin" ]; then
	ln -sfn "${real#"$top"/build/}/bin" "$top/build/bin"
fi
cat "$vg"/tap/*.tap > "$vg/all.tap"
grep -E '^not ok' -A12 "$vg/all.tap" | head -200
echo "valgrind: slowest files (s):"
sort -rn "$vg/times" | head -8
passed=$(grep -c '^ok ' "$vg/all.tap")
skipped=$(grep -c '^ok .* # skip' "$vg/all.tap")
failed=$(grep -c '^not ok ' "$vg/all.tap")
runs=$(ls "$vg/log" | wc -l)
reports=$(find "$vg/log" -type f -size +0 | wc -l)
echo "valgrind: $# files, $((passed - skipped)) tests passed, $failed" \
	"failed, $skipped skipped; $runs program runs under memcheck," \
	"$reports with errors or definite leaks;" \
	"$(($(date +%s) - start)) s"
find "$vg/log" -type f -size +0 | head -20 | while read -r f; do
	echo "--- $f"
	head -40 "$f"
done
[ "$reports" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
