#!/usr/bin/env bats
# The YAML configuration: defaults, errors that name the key and line.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	REG="$FIXTURES/small-registry.json"
}

@test "runs with no config file at all on built-in defaults" {
	rm -f "$PP_CONFIG"
	unset PP_CONFIG
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_success
	jq_is '.server_types.types | map(.name) | index("cx33") != null' true
}

@test "an explicitly named config that is missing is an error" {
	run --separate-stderr pp-fleetstats -c "$BATS_TEST_TMPDIR/nope.yaml" -r "$REG"
	assert_failure 2
	assert_stderr_contains "cannot read config '$BATS_TEST_TMPDIR/nope.yaml'"
}

@test "\$PP_CONFIG names the config when -c is absent" {
	printf 'state_dir: %s/elsewhere\n' "$BATS_TEST_TMPDIR" > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats -r "$REG"
	assert_success
	[ -f "$BATS_TEST_TMPDIR/elsewhere/history" ]
	[ ! -e "$PP_STATE_DIR/history" ]
}

# Each row: YAML (\n for newlines) | the message expected on stderr.
@test "bad configs are refused with exit 2 naming the key and the line" {
	while IFS='|' read -r yaml msg; do
		printf -- "$yaml" > "$PP_CONFIG"
		run --separate-stderr pp-fleetstats --no-record -r "$REG"
		assert_failure 2
		assert_stderr_contains "config '$PP_CONFIG' $msg"
		assert_output ""
	done <<'ROWS'
bogus: 1\n|line 1: unknown key 'bogus'
policies:\n  reactive:\n    up_treshold: 80\n|line 3: unknown key 'policies.reactive.up_treshold'
policies:\n  reactive:\n    up_threshold: high\n|line 3: 'policies.reactive.up_threshold' must be a number, not 'high'
policies:\n  reactive:\n    up_threshold: "85"\n|line 3: 'policies.reactive.up_threshold' must be a number, not a quoted string
policies:\n  reactive:\n    enabled: maybe\n|line 3: 'policies.reactive.enabled' must be true or false
policies:\n  reactive:\n    cooldown: 5 minutes\n|line 3: 'policies.reactive.cooldown' must be a duration
limits:\n  max_cloud_nodes: 2.5\n|line 2: 'limits.max_cloud_nodes' must be an integer
cloud:\n  locations: nbg1\n|line 2: 'cloud.locations' must be a list of strings
cloud: [1, 2]\n|line 1: 'cloud' must be a mapping
timezone: UTC\ntimezone: UTC\n|line 2: duplicate key 'timezone'
policies:\n  spare:\n    schedule:\n      - {days: fri, spares: 2}\n      - {days: someday, spares: 1}\n|line 5: 'policies.spare.schedule.days': bad weekday 'someday'
policies:\n  spare:\n    schedule:\n      - {days: fri, hours: 20-18, spares: 2}\n|line 4: 'policies.spare.schedule.hours': expected FROM-TO within 0-24
profile: turbo\n|line 1: 'profile' must be default or seed, not 'turbo'
a: [\n|line 2:
- 1\n- 2\n|line 1: the top level must be a mapping of keys
ROWS
}

@test "durations accept seconds and s, m, h, d suffixes" {
	printf 'history:\n  retention: 2d\n' > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-20T00:00:00Z
	assert_success
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-21T23:00:00Z
	assert_success
	jq_is .history.samples 2
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-22T00:00:00Z
	jq_is .history.samples 2
	jq_is .history.oldest 2026-11-21T23:00:00Z
}

@test "an empty config file means all defaults" {
	: > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_success
}
