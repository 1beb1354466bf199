#!/usr/bin/env bats
# make demo (share/examples/demo.sh), the README's first command: a whole
# cycle on the embedded default, the local provider and the example
# fleet, and what happened in words.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	export TMPDIR="$BATS_TEST_TMPDIR"
}

demo_state() {
	ls -d "$TMPDIR"/ppscale-demo.*
}

@test "the demo runs the four tools on a Friday evening and says what they decided and did" {
	local before
	before=$(files_sum "$TOP"/share/examples/*)
	run --separate-stderr env PP_BUILD="$BUILD" sh "$TOP/share/examples/demo.sh"
	assert_success
	assert_output --partial '== pp-fleetstats | pp-decide | pp-drain | pp-provision (local provider)'
	assert_output --partial 'cloud: 4 server(s) with our label, 0 unregistered, 0 lost'
	assert_output --regexp 'decided: provision_spare 2 x cx[0-9]+ in nbg1 \(spare: 1 spare \(0 provisioning\), 3 wanted on Friday 19:00\)'
	assert_output --regexp 'created pp-[a-z0-9]{6} \(cx[0-9]+ in nbg1, server 4711046, local provider\): registered as provisioning'
	assert_output --partial 'cloud-e05f: its server runs now, marked ready'
	assert_output --partial 'provision: pending'
	# the events of the cycle, one per line
	assert_output --partial '"type":"scaling.triggered","tool":"pp-decide"'
	assert_output --partial '"type":"node.provisioning","tool":"pp-provision"'
	# the cycle's document is kept, with every tool's section
	state=$(demo_state)
	run jq -c '[has("fleet", "decision", "reconciliation", "provision"),
		.decision.action, (.provision.servers | length)]' \
		"$state/cycle.json"
	assert_output '[true,true,true,true,"provision_spare",3]'
	# the scratch state, not the example files, was changed
	[[ $(files_sum "$TOP"/share/examples/*) == "$before" ]]
}

@test "the demo on a quiet Wednesday decides nothing, and says so" {
	PP_DEMO_NOW=2026-11-25T10:00:00Z run --separate-stderr \
		env PP_BUILD="$BUILD" sh "$TOP/share/examples/demo.sh"
	assert_success
	assert_output --partial 'decided: nothing to do (no policy wants a change'
	assert_output --partial 'provision: nothing to do'
}

@test "make demo runs it" {
	command -v make >/dev/null || skip "make is not installed"
	local args=(-s -C "$TOP" BUILD="$BUILD")
	[[ $BUILD == */san ]] && args+=(SANITIZE=1)
	run --separate-stderr make "${args[@]}" demo
	assert_success
	assert_output --partial 'decided: provision_spare'
}
