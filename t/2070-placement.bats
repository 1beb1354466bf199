#!/usr/bin/env bats
# The placement module: best fit decreasing with spares last, free
# slots counted node by node, and the engine's scale-down fit check
# agreeing with pp-drain's plan on random fleets.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

@test "placement: the fit, the slot count, the engine agreeing with the drain plan, and the type memo" {
	for c in fit slots agree types; do
		run --separate-stderr "$PP_BUILD/unit/placement" "$c"
		assert_success
		refute_output --partial FAIL
		assert_output --partial "ok "
	done
}
