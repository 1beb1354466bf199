# shellcheck shell=sh
# Sourced by t/fuzz/run.sh, t/valgrind/run.sh and t/run.sh (--shards).
#
# shards JOBS DIR FUNC ITEM...: runs FUNC ITEM for every ITEM, JOBS at
# once, and waits for all. Each of the JOBS shards takes the next item
# nobody has claimed (mkdir DIR/NAME is atomic; DIR must not hold the
# claims of an earlier run), so a shard that drew a slow item does not
# leave the others idle with work queued behind it.
shards() {
	_sh_jobs=$1 _sh_dir=$2 _sh_fn=$3
	shift 3
	mkdir -p "$_sh_dir"
	_sh_i=0
	_sh_pids=
	while [ "$_sh_i" -lt "$_sh_jobs" ]; do
		(
			for _sh_item in "$@"; do
				mkdir "$_sh_dir/${_sh_item##*/}" 2>/dev/null ||
					continue
				"$_sh_fn" "$_sh_item"
			done
		) &
		_sh_pids="$_sh_pids $!"
		_sh_i=$((_sh_i + 1))
	done
	for _sh_p in $_sh_pids; do
		wait "$_sh_p"
	done
}
