#!/bin/sh
# make bench: every t/bench/bench-*.sh, against the fresh build.
set -eu
dir=$(dirname "$0")
PATH="${PP_BUILD:?}/bin:$PATH"
export PATH
for b in "$dir"/bench-*.sh; do
	sh "$b"
	echo
done
