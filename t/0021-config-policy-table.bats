#!/usr/bin/env bats
# The policies' keys come from the engine's policy table: each policy
# declares its keys next to its code, and the config, pp-config and the
# key list walk the table (issue 18).
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

@test "every key of every policy in the table loads, lands and is type- and range-checked" {
	run "$BUILD/unit/policy_table"
	assert_success
	refute_output --partial FAIL
	assert_output --partial "ok policy predictive has its section"
	assert_output --partial "ok 'policies.reactive.up_threshold' is range-checked"
}

@test "a policy section the table does not hold gets keys, defaults, profile and checks from its rows" {
	run "$BUILD/unit/policy_table"
	assert_success
	assert_output --partial "ok a new section takes its defaults and the default profile's value"
	assert_output --partial "ok a new section's range is checked"
	assert_output --partial "ok pp-config prints a new section"
	assert_output --partial "ok a section not in the table has no keys"
}

@test "pp-config check prints one section per policy in the table, in the table's order" {
	rm -f "$PP_CONFIG"
	unset PP_CONFIG
	run --separate-stderr pp-config check
	assert_success
	diff <("$BUILD/unit/policy_table" names) \
		<(awk '/^policies:/ { on = 1; next } on && /^[a-z]/ { exit }
			on && /^  [a-z_]+:$/ { sub(/^  /, ""); sub(/:$/, ""); print }' \
			<<< "$output")
}

@test "the key list names every policy of the table as a section" {
	diff <("$BUILD/unit/policy_table" names | sed 's/^/policies./') \
		<("$BUILD/unit/config_keys" |
			awk -F'\t' '$2 == "section" && $1 ~ /^policies\./ { print $1 }')
}
