#!/bin/sh
# The layers of lib/, lowest first. A file may include headers of its
# own folder and of folders listed before it, never of a later one (and
# engine and cloud, which share a rank, not each other). Prints each
# include that runs back up and exits 1 when there is one.
cd "${PP_TOP:-$(dirname "$0")/..}" || exit 2
rank() {
	case $1 in
	base) echo 0 ;; conf) echo 1 ;; store) echo 2 ;; doc) echo 3 ;;
	engine|cloud) echo 4 ;; run) echo 5 ;; *) echo 99 ;;
	esac
}
bad=0
for f in lib/*/*.[ch]; do
	dir=${f#lib/}; dir=${dir%%/*}
	r=$(rank "$dir")
	[ "$r" = 99 ] && { echo "$f: folder '$dir' has no layer"; bad=1; }
	for inc in $(sed -n 's/^#include "\([a-z]*\)\/[a-z_]*\.h"$/\1/p' "$f"); do
		ri=$(rank "$inc")
		if [ "$inc" != "$dir" ] && [ "$ri" -ge "$r" ]; then
			echo "$f: includes $inc/ (layer $ri) from $dir/ (layer $r)"
			bad=1
		fi
	done
	if grep -q '^#include "[a-z_]*\.h"' "$f"; then
		echo "$f: an include without its folder"
		bad=1
	fi
done
exit $bad
