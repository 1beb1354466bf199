#!/usr/bin/env bats
# Shadow mode: pp-decide --shadow keeps its memory (windows, holds,
# decisions), events and metrics as in a real run, but marks the
# decision so that pp-drain and pp-provision act on nothing.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	PROM="$BATS_TEST_TMPDIR/textfile/ppscale.prom"
	printf 'tok\n' > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	# the shipped profile (the unneeded policy scales down), less the
	# headroom policy (the example's spare is too small for its slot,
	# so it would ask for a new spare every cycle), the local cloud
	cat > "$PP_CONFIG" <<EOC
timezone: UTC
policies:
  headroom:
    enabled: false
cloud:
  provider: local
  # the example's booting node was created days before the trial and
  # stays booting in it (shadow mode acts on nothing): still capacity
  join_timeout: 7d
cloud_init:
  join_token_file: $BATS_TEST_TMPDIR/join
  conductor_url: https://conductor.example.net/
  conductor_addresses: [203.0.113.7]
metrics:
  textfile: $PROM
EOC
	# a quiet Monday morning: the cloud workers have nothing to do
	jq '(.nodes[] | select(.kind == "cloud") | .containers) = []' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	# and the local cloud that holds its servers
	cp "$TOP/share/examples/cloud.json" "$PP_STATE_DIR/cloud.json"
}

# trial MODE: the pipeline every 10 minutes, 08:00 to 11:00, with
# pp-decide MODE (--shadow or --dry-run); the decisions, one a line
trial() {
	local t h m
	for h in 08 09 10; do
		for m in 00 10 20 30 40 50; do
			t=2026-11-30T$h:$m:00Z
			pp-fleetstats -q --now "$t" |
				pp-decide -q "$1" --now "$t" |
				pp-drain -q --now "$t" |
				pp-provision -q --now "$t" |
				jq -c '[.decision.action, .decision.node, .decision.shadow,
					.drain.status, .provision.status]' ||
				fail "the cycle at $t failed"
		done
	done
}

@test "a shadow trial shows the scale-down a real run would make, and changes nothing" {
	before=$(files_sum "$PP_STATE_DIR/registry.json" "$PP_STATE_DIR/cloud.json")
	run --separate-stderr trial --shadow
	assert_success
	assert_equal "$stderr" ""
	# the unneeded policy's hold and billing window were tracked across
	# cycles: a scale-down was decided, and marked shadow
	assert_output --regexp '\["scale_down","cloud-[0-9a-f]+",true,'
	refute_output --partial '"success"'
	# nothing was cordoned, moved, created or deleted
	assert_equal "$(files_sum "$PP_STATE_DIR/registry.json" "$PP_STATE_DIR/cloud.json")" "$before"
	run jq -r '[.nodes[].status] | unique | join(",")' "$PP_STATE_DIR/registry.json"
	assert_output provisioning,ready
	# the decision is in the memory, marked, for pp-status
	run --separate-stderr pp-status --now 2026-11-30T10:55:00Z --json
	jq_is '[.last_actions[] | select(.action == "scale_down") | .shadow] | unique | join(",")' true
	run --separate-stderr pp-status --now 2026-11-30T10:55:00Z
	assert_output --regexp "scale_down cloud-[0-9a-f]+ +unneeded +shadow +unneeded: "
	# events marked shadow
	run jq -c 'select(.type == "scaling.triggered") | [.action, .shadow]' \
		"$PP_STATE_DIR/events.jsonl"
	assert_line '["scale_down",true]'
	refute_output --partial 'false'
	run jq -r 'select(.shadow != true) | .type' "$PP_STATE_DIR/events.jsonl"
	assert_output ""
	# and every tool published its run
	for t in pp-fleetstats pp-decide pp-drain pp-provision; do
		grep -qx "pp_last_run_success{tool=\"$t\"} 1" "$PROM"
	done
	grep -q '^pp_decisions_total{action="scale_down",policy="unneeded"} [1-9]' "$PROM"
}

@test "the same trial with --dry-run keeps no memory and never scales down" {
	run --separate-stderr trial --dry-run
	assert_success
	refute_output --partial '"scale_down"'
	[[ ! -e "$PP_STATE_DIR/state.json" ]] ||
		[[ $(jq '.decide // {} | length' "$PP_STATE_DIR/state.json") -eq 0 ]]
}
