#!/usr/bin/env bats
# Shell completion: bash is sourced and asked; zsh and fish are checked
# for syntax and exercised as far as a non-interactive shell allows.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	printf 'profile: seed\n' > "$PP_CONFIG"
	cp "$TOP/share/examples/registry.json" "$PP_STATE_DIR/registry.json"
	COMP="$TOP/completions"
	# a stand-in pp-drain (the real one may not be built in this tree)
	# whose --help shows the --node option it will have
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat > "$BATS_TEST_TMPDIR/bin/pp-drain" <<'EOS'
#!/bin/sh
cat <<'EOH'
usage: pp-drain [-pqv] [-c FILE] [--node ID]

  -n, --node ID       drain this node
      --settle SERVER settle a game server's moves
      --on NODE       with --settle: the node it runs on
  -c, --config FILE   configuration file
      --set KEY=VALUE override a configuration key
      --key KEY       a configuration key
EOH
EOS
	chmod +x "$BATS_TEST_TMPDIR/bin/pp-drain"
	if [[ ! -x "$BUILD/bin/pp-drain" ]]; then
		export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	fi
	# Under SANITIZE=1, LeakSanitizer's exit-time check in the
	# pp-fleetstats that zsh's command substitution starts sometimes
	# never returns (its tracer and the traced process wait on each
	# other); the leak check of that same call runs in 1xxx and in the
	# bash tests here, so the shells other than bash skip it.
	SHELL_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	# every tool, from the sources: a new cmd/ file must get completions
	TOOLS=$(cd "$TOP/cmd" && ls pp-*.c | sed 's/\.c$//')
	[[ $(wc -w <<< "$TOOLS") -ge 8 ]]
	NODES="cloud-2c4d cloud-7f3a cloud-91be cloud-e05f ded-fsn1-1 ded-fsn1-2 ded-nbg1-3"
}

# bash_complete WORD...: the completions bash offers for the last word
bash_complete() {
	bash -c '
		source "$1"; shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_pp_complete
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' bash "$COMP/pp.bash" "$@"
}

@test "bash: one complete line per tool" {
	for t in $TOOLS; do
		[[ $(grep -c "^complete -F _pp_complete $t\$" "$COMP/pp.bash") -eq 1 ]] ||
			fail "pp.bash has no complete line for $t"
	done
}

@test "bash: completes pp-cloudinit's and pp-config's options" {
	run bash_complete pp-cloudinit --host
	assert_output "--hostname"
	run bash_complete pp-cloudinit -o ''
	refute_output ""
	run bash_complete pp-config --ver
	assert_output $'--verbose\n--version'
	run bash_complete pp-config ''
	assert_output check
	run bash_complete pp-config -c
	refute_output check
}

@test "zsh and fish: complete pp-config's command" {
	run zsh_complete pp-config ''
	assert_line check
	assert_line --config
	run fish -c 'source $argv[1]; complete -C"pp-config ch"' "$COMP/pp.fish"
	assert_output check
}

@test "bash: completes options from the tool's --help" {
	run bash_complete pp-status --js
	assert_output "--json"
	run bash_complete pp-fleetstats --no
	assert_output $'--no-record\n--now'
	run bash_complete pp-fleetstats -
	assert_line -- -r
	assert_line -- --registry
	assert_line -- --state-dir
	assert_line -- --version
}

@test "bash: every option of every built tool is offered" {
	for tool in "$BUILD"/bin/*; do
		name=$(basename "$tool")
		want=$("$tool" --help | grep -oE '^ +(-[A-Za-z0-9], )?--[a-z][a-z-]*' |
			grep -oE -- '--?[A-Za-z0-9][a-z-]*' | sort)
		got=$(bash_complete "$name" - | sort)
		for o in $want; do
			grep -qx -- "$o" <<< "$got" || fail "$name: $o not offered"
		done
	done
}

@test "bash: completes option arguments by kind" {
	mkdir -p "$BATS_TEST_TMPDIR/w/sub.d"
	touch "$BATS_TEST_TMPDIR/w/conf.yaml"
	cd "$BATS_TEST_TMPDIR/w"
	run bash_complete pp-fleetstats --state-dir s
	assert_output sub.d
	run bash_complete pp-fleetstats -c con
	assert_output conf.yaml
	run bash_complete pp-fleetstats --config=con
	assert_output conf.yaml
	# a history SOURCE is a file (or a URL, or -)
	touch "$BATS_TEST_TMPDIR/w/hist.csv"
	run bash_complete pp-fleetstats --import-history hi
	assert_output hist.csv
	run bash_complete pp-fleetstats --now ''
	assert_output --regexp '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
	# an option without an argument is followed by options again
	run bash_complete pp-status --json --st
	assert_output --state-dir
}

@test "bash: pp-drain --node completes the registry's node ids" {
	run bash_complete pp-drain --node ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	run bash_complete pp-drain --node cloud-7
	assert_output cloud-7f3a
}

@test "bash: pp-drain --settle's --on completes the registry's node ids" {
	run bash_complete pp-drain --settle mc-1 --on ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	run bash_complete pp-drain --settle mc-1 --on ded-
	assert_output "$(printf 'ded-fsn1-1\nded-fsn1-2\nded-nbg1-3')"
}

@test "pp-cloudinit --node, a new node's id, completes no registry node id (bash, zsh, fish)" {
	run bash_complete pp-cloudinit --node ''
	assert_output ""
	run bash_complete pp-cloudinit --node=cloud-
	assert_output ""
	run zsh_complete pp-cloudinit --node ''
	assert_output ""
	ASAN_OPTIONS=$SHELL_ASAN run fish -c 'source $argv[1]; complete -C"pp-cloudinit --node cloud-"' "$COMP/pp.fish"
	assert_output ""
	# pp-drain's still does, in the same shells
	run bash_complete pp-drain --node=cloud-7
	assert_output cloud-7f3a
}

@test "bash: a short option completes as its long one; NxGB and GB:W,... take a value" {
	run bash_complete pp-drain -n ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	run bash_complete pp-drain -n cloud-9
	assert_output cloud-91be
	# a value is wanted, not the options again
	run bash_complete pp-sim --mix ''
	assert_output ''
	run bash_complete pp-sim --dedicated ''
	assert_output ''
	run bash_complete pp-sim --boot ''
	assert_output ''
}

@test "bash: --node reads the registry the command line names" {
	jq '.nodes |= map(select(.kind == "dedicated"))' \
		"$TOP/share/examples/registry.json" > "$BATS_TEST_TMPDIR/reg.json"
	run bash_complete pp-drain -r "$BATS_TEST_TMPDIR/reg.json" --node ''
	# pp-drain's stand-in has no -r, but the registry option is passed on
	assert_output $'ded-fsn1-1\nded-fsn1-2\nded-nbg1-3'
}

@test "bash: completing node ids changes nothing and asks no cloud" {
	before=$(files_sum "$PP_STATE_DIR/registry.json")
	run bash_complete pp-drain --node ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	[[ $(files_sum "$PP_STATE_DIR/registry.json") == "$before" ]]
	[[ ! -e "$PP_STATE_DIR/history" ]]
	[[ ! -e "$PP_STATE_DIR/last.json" ]]
	[[ ! -e "$PP_STATE_DIR/events.jsonl" ]]
	# no catalog fetched or cached, no reconciliation: a key press is
	# not worth an API request of the project's hourly budget
	[[ ! -e "$PP_STATE_DIR/catalog.json" ]]
	printf 'profile: seed\ncloud:\n  reconcile: true\n  local:\n    file: %s\n' \
		"$BATS_TEST_TMPDIR/no-such-dir/cloud.json" > "$PP_CONFIG"
	run bash_complete pp-drain --node ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	[[ ! -e "$BATS_TEST_TMPDIR/no-such-dir" ]]
}

@test "bash: pp-registry completes its commands, then a node id, status's values and --state's" {
	run bash_complete pp-registry ''
	assert_output $'import\nplace\nremove\nset\nshow\nstatus'
	run bash_complete pp-registry st
	assert_output status
	# options and their arguments are not the command
	run bash_complete pp-registry -p --state-dir "$PP_STATE_DIR" sh
	assert_output show
	for cmd in show place remove set status; do
		run bash_complete pp-registry "$cmd" cloud-7
		assert_output cloud-7f3a
	done
	run bash_complete pp-registry -r "$PP_STATE_DIR/registry.json" place ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	run bash_complete pp-registry status cloud-7f3a ''
	assert_output $'ready\nunhealthy'
	run bash_complete pp-registry set cloud-7f3a mc-1 --state st
	assert_output $'starting\nstopped\nstopping'
	run bash_complete pp-registry --pl
	assert_output --players
	mkdir -p "$BATS_TEST_TMPDIR/w"
	touch "$BATS_TEST_TMPDIR/w/old-registry.json"
	cd "$BATS_TEST_TMPDIR/w"
	run bash_complete pp-registry import old
	assert_output old-registry.json
}

@test "bash: options taking a configuration key complete the keys" {
	# no shipped option takes a configuration key yet: the stand-in
	# pp-drain above has one, so the key completion stays exercised
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	run bash_complete pp-drain --key policies.reactive.cool
	assert_output policies.reactive.cooldown
	run bash_complete pp-drain --set metrics.
	assert_output metrics.textfile=
}

@test "the key lists in all three completions match lib/conf/config.c" {
	want=$("$BUILD/unit/config_keys" | awk -F'\t' '$2 != "section" { print $1 }')
	bash_keys=$(bash -c 'source "$1"; printf "%s\n" $_pp_config_keys' bash "$COMP/pp.bash")
	zsh_keys=$(zsh -fc 'source "$1"; print -l $_pp_config_keys' zsh "$COMP/_pp")
	fish_keys=$(fish -c 'source $argv[1]; printf "%s\n" $__pp_config_keys' "$COMP/pp.fish")
	diff <(echo "$want") <(echo "$bash_keys")
	diff <(echo "$want") <(echo "$zsh_keys")
	diff <(echo "$want") <(echo "$fish_keys")
}

@test "zsh: the completion file parses and starts with #compdef for every tool" {
	run zsh -n "$COMP/_pp"
	assert_success
	run head -1 "$COMP/_pp"
	assert_output --regexp '^#compdef( pp-[a-z]+)+$'
	diff <(tr ' ' '\n' <<< "$TOOLS" | sort) \
		<(head -1 "$COMP/_pp" | tr ' ' '\n' | grep '^pp-' | sort)
	# and the compdef call for a zsh that sources the file
	diff <(tr ' ' '\n' <<< "$TOOLS" | sort) \
		<(sed -n '/^\tcompdef _pp/,/^[^\t]/p' "$COMP/_pp" | tr ' \t\\' '\n\n\n' |
			grep '^pp-' | sort)
}

# zsh_complete WORD...: runs _pp with compadd stubbed to print its words
zsh_complete() {
	ASAN_OPTIONS=$SHELL_ASAN zsh -fc '
		source "$1"; shift
		compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -l -- "$@"; }
		_files() { print _files; }
		_directories() { print _directories; }
		words=("$@"); CURRENT=$#
		_pp | sort
	' zsh "$COMP/_pp" "$@"
}

@test "zsh: completes options, arguments and node ids" {
	# no shipped option takes a configuration key yet: the stand-in
	# pp-drain above has one, so the key completion stays exercised
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	run zsh_complete pp-status ''
	assert_line --json
	assert_line --state-dir
	assert_line -- -n
	run zsh_complete pp-status --state-dir ''
	assert_output _directories
	run zsh_complete pp-fleetstats -c ''
	assert_output _files
	run zsh_complete pp-fleetstats --import-history ''
	assert_output _files
	run zsh_complete pp-drain --node ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	run zsh_complete pp-drain -n ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	run zsh_complete pp-drain --set ''
	assert_line metrics.textfile
}

@test "zsh: pp-registry completes its commands, then a node id, status's values and --state's" {
	run zsh_complete pp-registry ''
	assert_output $'import\nplace\nremove\nset\nshow\nstatus'
	run zsh_complete pp-registry -r "$PP_STATE_DIR/registry.json" place ''
	assert_output "$(tr ' ' '\n' <<< "$NODES")"
	run zsh_complete pp-registry status cloud-7f3a ''
	assert_output $'ready\nunhealthy'
	run zsh_complete pp-registry set cloud-7f3a mc-1 --state ''
	assert_output $'running\nstarting\nstopped\nstopping'
	run zsh_complete pp-registry import ''
	assert_output _files
}

@test "fish: the completion file parses and completes options" {
	run fish -n "$COMP/pp.fish"
	assert_success
	diff <(tr ' ' '\n' <<< "$TOOLS" | sort) \
		<(grep '^for t in ' "$COMP/pp.fish" | tr ' ' '\n' | grep '^pp-' | sort)
	run fish -c 'source $argv[1]; complete -C"pp-cloudinit --no"' "$COMP/pp.fish"
	assert_output --regexp '^--node'
	run fish -c 'source $argv[1]; complete -C"pp-config --ver"' "$COMP/pp.fish"
	assert_output --regexp '^--verbose'
	run fish -c 'source $argv[1]; complete -C"pp-status --js"' "$COMP/pp.fish"
	assert_output --regexp '^--json'
	run fish -c 'source $argv[1]; complete -C"pp-fleetstats --no-"' "$COMP/pp.fish"
	assert_output --regexp '^--no-record'
}

@test "fish: completes node ids and keys" {
	# no shipped option takes a configuration key yet: the stand-in
	# pp-drain above has one, so the key completion stays exercised
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	ASAN_OPTIONS=$SHELL_ASAN run fish -c 'source $argv[1]; complete -C"pp-drain --node cloud-"' "$COMP/pp.fish"
	assert_output $'cloud-2c4d\ncloud-7f3a\ncloud-91be\ncloud-e05f'
	ASAN_OPTIONS=$SHELL_ASAN run fish -c 'source $argv[1]; complete -C"pp-drain -n cloud-"' "$COMP/pp.fish"
	assert_output $'cloud-2c4d\ncloud-7f3a\ncloud-91be\ncloud-e05f'
	run fish -c 'source $argv[1]; complete -C"pp-drain --key limits.max_"' "$COMP/pp.fish"
	assert_output $'limits.max_cloud_nodes\nlimits.max_hourly_eur'
}

@test "fish: pp-registry completes its commands, then a node id, status's values and --state's" {
	run fish -c 'source $argv[1]; complete -C"pp-registry "' "$COMP/pp.fish"
	assert_output $'import\nplace\nremove\nset\nshow\nstatus'
	run fish -c 'source $argv[1]; complete -C"pp-registry -p st"' "$COMP/pp.fish"
	assert_output status
	ASAN_OPTIONS=$SHELL_ASAN run fish -c 'source $argv[1]; complete -C"pp-registry --state-dir $argv[2] place cloud-"' \
		"$COMP/pp.fish" "$PP_STATE_DIR"
	assert_output $'cloud-2c4d\ncloud-7f3a\ncloud-91be\ncloud-e05f'
	run fish -c 'source $argv[1]; complete -C"pp-registry status cloud-7f3a "' "$COMP/pp.fish"
	assert_output $'ready\nunhealthy'
	run fish -c 'source $argv[1]; complete -C"pp-registry set cloud-7f3a mc-1 --state st"' "$COMP/pp.fish"
	assert_output $'starting\nstopped\nstopping'
}

@test "pp-sim's trace operand completes files, an option's value does not (bash, zsh, fish)" {
	mkdir -p "$BATS_TEST_TMPDIR/w"
	touch "$BATS_TEST_TMPDIR/w/trace.csv"
	cd "$BATS_TEST_TMPDIR/w"
	run bash_complete pp-sim tr
	assert_output trace.csv
	run bash_complete pp-sim --seed 3 tr
	assert_output trace.csv
	run bash_complete pp-sim --seed tr
	assert_output ''
	run bash_complete pp-sim --no-s
	assert_output --no-static
	run zsh_complete pp-sim tr
	assert_output _files
	run zsh_complete pp-sim --no-s
	assert_line --no-static
	run fish -c 'source $argv[1]; complete -C"pp-sim tr"' "$COMP/pp.fish"
	assert_output trace.csv
	run fish -c 'source $argv[1]; complete -C"pp-sim --no-s"' "$COMP/pp.fish"
	assert_output --regexp '^--no-static'
}
