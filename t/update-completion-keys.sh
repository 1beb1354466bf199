#!/bin/sh
# Rewrites the configuration-key lists in completions/ from the key rows
# (lib/conf/config_keys.c and each policy's in lib/engine/policy_*.c,
# through the built config_keys program). Run after adding a key;
# t/6400-completion.bats fails until you do.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
keys=$("${PP_BUILD:-$top/build/plain}/unit/config_keys" | awk -F"\t" "\$2 != \"section\"" | cut -f1 | tr '\n' ' ' | sed 's/ $//')
sed -i "s|^_pp_config_keys=\".*\"$|_pp_config_keys=\"$keys\"|" "$top/completions/pp.bash"
sed -i "s|^_pp_config_keys=(.*)$|_pp_config_keys=($keys)|" "$top/completions/_pp"
sed -i "s|^set -g __pp_config_keys .*$|set -g __pp_config_keys $keys|" "$top/completions/pp.fish"
