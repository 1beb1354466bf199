#!/usr/bin/env bats
# make demo (share/examples/demo.sh), the README's first command: whole
# cycles on the embedded default, the local provider and the example
# fleet, before and after a rush, and what happened in words.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	export TMPDIR="$BATS_TEST_TMPDIR"
}

demo_state() {
	ls -d "$TMPDIR"/ppscale-demo.*
}

@test "the demo runs two whole cycles around a rush and says what they decided and did" {
	local before
	before=$(files_sum "$TOP"/share/examples/*)
	run --separate-stderr env PP_BUILD="$BUILD" sh "$TOP/share/examples/demo.sh"
	assert_success
	assert_output --partial '== cycle 1: pp-fleetstats | pp-decide | pp-drain | pp-provision (local provider)'
	assert_output --partial 'cloud, before this cycle: 4 server(s) with our label, 0 unregistered, 0 lost'
	# cycle 1 finishes the node an earlier cycle left booting
	assert_output --partial 'cloud-e05f: its server runs now, marked ready'
	# and has four free 16 GB slots (the headroom's), one wanted (no
	# history yet, so no forecast of a rise): the default profile
	# keeps no spare, so the example's cx33 is no worry
	assert_output --partial 'headroom: 4 free slots of 16384 MB on ready and booting nodes, 1 wanted;'
	# cycle 2: the rush took the free slots, and rose by 64 GB in two
	# minutes, 32 GB over the step margin: a cx53 restores the slot and
	# two more hold what the step may take next
	assert_output --partial '== a rush: the platform starts 64 GB of game servers'
	assert_output --partial 'decided: scale_up 3 x cx53 in nbg1 (headroom: 0 free slots of 16384 MB on ready and booting nodes, 3 wanted for a rise of 65536 MB within the last 10 min)'
	assert_output --regexp 'created pp-[a-z0-9]{6} \(cx53 in nbg1, server 4711046, local provider\): registered as provisioning'
	assert_output --regexp 'created pp-[a-z0-9]{6} \(cx53 in nbg1, server 4711048, local provider\): registered as provisioning'
	assert_output --partial 'provision: pending'
	# the events of the cycles, one per line
	assert_output --partial '"type":"scaling.triggered","tool":"pp-decide"'
	assert_output --partial '"type":"node.provisioning","tool":"pp-provision"'
	# the documents are kept, with every tool's section
	state=$(demo_state)
	run jq -c '[has("fleet", "decision", "reconciliation", "provision"),
		.decision.action, (.provision.servers | length)]' \
		"$state/cycle-1.json"
	# the booting node it finished, nothing decided
	assert_output '[true,true,true,true,"none",1]'
	# the rush went through the registry's lock file, as the tools' writes
	run jq '[.nodes[].containers[] | select(.id | startswith("rush-"))] |
		length' "$state/registry.json"
	assert_output 16
	# the scratch state, not the example files, was changed
	[[ $(files_sum "$TOP"/share/examples/*) == "$before" ]]
}

# The README's `make demo` block, normalised: random server names and
# the scratch directory vary from run to run.
demo_norm() {
	sed -E -e 's/pp-[a-z0-9]{6}\b/pp-NAME/g' \
		-e 's#[^ (]*/ppscale-demo\.[A-Za-z0-9]{6}#STATE#g'
}

# line_matches WANT GOT: WANT is GOT, where each "..." in WANT stands
# for any text
line_matches() {
	local want=$1 rest=$2 piece first=1
	while [[ $want == *...* ]]; do
		piece=${want%%...*}
		want=${want#*...}
		if [[ $first ]]; then
			[[ $rest == "$piece"* ]] || return 1
			rest=${rest#"$piece"}
			first=
		else
			[[ $rest == *"$piece"* ]] || return 1
			rest=${rest#*"$piece"}
		fi
	done
	if [[ $first ]]; then
		[[ $rest == "$want" ]]
	else
		[[ $rest == *"$want" ]]
	fi
}

# assert_like_readme CMD: $output is what the README shows after its
# console line "$ CMD" (up to the block's end). The README's first line
# is looked for; each line after it must be the next line printed,
# except after a line "..." (some lines left out).
assert_like_readme() {
	assert_like "README" < <(awk -v cmd="\$ $1" '$0 == cmd { on = 1; next }
		on && /^```/ { exit } on' "$TOP/README.md")
}

# assert_like_man PAGE CMD: the same for the literal display after
# "$ CMD" in the man page PAGE (share/man/...), up to its .Ed. A line
# indented four spaces or more continues the one before it (long lines
# are folded there), an indented "..." is "...", and \& and \e are
# what mandoc prints.
assert_like_man() {
	assert_like "$1" < <(awk -v cmd="\$ $2" '
		$0 == cmd { on = 1; next }
		on && /^\.Ed/ { exit }
		!on { next }
		{ gsub(/\\&/, ""); gsub(/\\e/, "\\") }
		/^ *\.\.\.$/ { line[++n] = "..."; next }
		/^    / && n { sub(/^ +/, ""); line[n] = line[n] " " $0; next }
		{ line[++n] = $0 }
		END { for (i = 1; i <= n; i++) print line[i] }' "$TOP/share/man/$1")
}

# assert_like WHERE: $output against the lines WHERE shows (on stdin),
# as assert_like_readme says.
assert_like() {
	local -a want got
	local i=0 w search=1
	mapfile -t want < <(demo_norm)
	(( ${#want[@]} > 10 )) || fail "$1: no output shown"
	mapfile -t got < <(printf '%s\n' "$output" | demo_norm)
	for w in "${want[@]}"; do
		if [[ $w == ... ]]; then
			search=1
			continue
		fi
		while (( i < ${#got[@]} )); do
			line_matches "$w" "${got[i]}" && break
			if [[ ! $search ]]; then
				fail "$1: '$w'"$'\n'"printed: '${got[i]}'"
			fi
			i=$((i + 1))
		done
		(( i < ${#got[@]} )) || fail "$1 line not printed: '$w'"
		i=$((i + 1))
		search=
	done
}

@test "the README's make demo output, and pp-status after it, are what they print" {
	run env PP_BUILD="$BUILD" sh "$TOP/share/examples/demo.sh"
	assert_success
	assert_like_readme "make demo"
	export PP_STATE_DIR PP_CONFIG
	PP_STATE_DIR=$(demo_state)
	PP_CONFIG=$PP_STATE_DIR/ppscale.yaml
	run pp-status --now 2026-11-27T18:02:30Z
	assert_success
	assert_like_readme "pp-status --now 2026-11-27T18:02:30Z"
}

@test "the README's pp-decide --explain is what it prints on the demo's quiet state" {
	PP_DEMO_RUSH_GB=0 run env PP_BUILD="$BUILD" \
		sh "$TOP/share/examples/demo.sh"
	assert_success
	export PP_STATE_DIR PP_CONFIG
	PP_STATE_DIR=$(demo_state)
	PP_CONFIG=$PP_STATE_DIR/ppscale.yaml
	now=2026-11-27T18:06:00Z
	run --separate-stderr bash -c 'pp-fleetstats --no-record --now $0 |
		pp-decide --dry-run --explain --now $0 > /dev/null' "$now"
	assert_success
	output=$stderr
	assert_like_readme 'pp-fleetstats --no-record --now $now | pp-decide --dry-run --explain --now $now > /dev/null'
}

@test "pp-status(1)'s example is what it prints on the demo's quiet state" {
	PP_DEMO_RUSH_GB=0 run env PP_BUILD="$BUILD" \
		sh "$TOP/share/examples/demo.sh"
	assert_success
	export PP_STATE_DIR PP_CONFIG
	PP_STATE_DIR=$(demo_state)
	PP_CONFIG=$PP_STATE_DIR/ppscale.yaml
	run --separate-stderr pp-status --now 2026-11-27T18:03:00Z
	assert_success
	assert_like_man man1/pp-status.1 "pp-status --now 2026-11-27T18:03:00Z"
}

@test "the README's preview of the requests to Hetzner changes nothing, as it says" {
	run env PP_BUILD="$BUILD" sh "$TOP/share/examples/demo.sh"
	assert_success
	export PP_STATE_DIR PP_CONFIG
	PP_STATE_DIR=$(demo_state)
	PP_CONFIG=$PP_STATE_DIR/ppscale.yaml
	# the line after the comment that promises it
	cmd=$(grep -A1 '^# what would be sent to Hetzner, tokens redacted; nothing changes$' \
		"$TOP/README.md" | sed -n 2p)
	[[ $cmd == *'pp-provision --dry-run | jq .provision.requests' ]]
	before=$(cd "$PP_STATE_DIR" && files_sum $(find . -type f | sort))
	run --separate-stderr bash -o pipefail -c "$cmd"
	assert_success
	[[ $(cd "$PP_STATE_DIR" && files_sum $(find . -type f | sort)) == "$before" ]] ||
		fail "the preview changed: $(cd "$PP_STATE_DIR" && diff <(echo "$before") <(files_sum $(find . -type f | sort)))"
}

@test "the demo on a quiet Wednesday: the first cycle decides nothing, the rush is met by the headroom, and it says so" {
	PP_DEMO_NOW=2026-11-25T10:00:00Z run --separate-stderr \
		env PP_BUILD="$BUILD" sh "$TOP/share/examples/demo.sh"
	assert_success
	assert_output --partial 'decided: nothing to do (no policy wants a change (capacity 70.33%'
	refute_output --partial 'decided: provision_spare'
	assert_output --partial 'decided: scale_up 3 x cx53 in nbg1 (headroom: 0 free slots'
}

@test "without a rush the second cycle decides nothing either" {
	PP_DEMO_NOW=2026-11-25T10:00:00Z PP_DEMO_RUSH_GB=0 run \
		--separate-stderr env PP_BUILD="$BUILD" \
		sh "$TOP/share/examples/demo.sh"
	assert_success
	refute_output --partial 'decided: scale_up'
}

@test "make demo runs it" {
	command -v make >/dev/null || skip "make is not installed"
	local args=(-s -C "$TOP" BUILD="$BUILD")
	[[ $BUILD == */san ]] && args+=(SANITIZE=1)
	run --separate-stderr make "${args[@]}" demo
	assert_success
	assert_output --partial 'decided: scale_up'
}
