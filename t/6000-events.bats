#!/usr/bin/env bats
# The event bus: JSON lines in the events file, and the webhook.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/webhook'
	pp_isolate
	EVENTS="$BUILD/unit/events"
}

teardown() {
	stop_webhook
}

webhook_config() {
	write_config <<EOC
events:
  webhook_url: $1
  webhook_timeout: ${2:-1}
  webhook_retries: ${3:-2}
EOC
}

@test "every event carries the schema fields, absent ones as null" {
	printf 'profile: seed\n' > "$PP_CONFIG"
	run --separate-stderr "$EVENTS" emit scaling.triggered \
		'{"action":"scale_up","reason":"capacity 91% > 85%","count":2}' \
		node.removed '{"node":"cloud-7f3a","result":"ok"}'
	assert_success
	[[ $(wc -l < "$PP_STATE_DIR/events.jsonl") -eq 2 ]]
	output=$(sed -n 1p "$PP_STATE_DIR/events.jsonl")
	jq_is '[keys_unsorted[]] | .[0:7] | join(",")' \
		'time,type,tool,node,action,result,reason'
	jq_is .type scaling.triggered
	jq_is .tool pp-unit-events
	jq_is .node null
	jq_is .action scale_up
	jq_is .count 2
	output=$(sed -n 2p "$PP_STATE_DIR/events.jsonl")
	jq_is .node cloud-7f3a
	jq_is .result ok
	jq_is .reason null
}

@test "the event time is the tool's clock" {
	printf 'profile: seed\n' > "$PP_CONFIG"
	run --separate-stderr "$EVENTS" --now 2026-11-27T18:00:00+01:00 \
		emit node.added '{"node":"n1"}'
	assert_success
	output=$(cat "$PP_STATE_DIR/events.jsonl")
	jq_is .time 2026-11-27T17:00:00Z
}

@test "a caller cannot overwrite time, type or tool" {
	printf 'profile: seed\n' > "$PP_CONFIG"
	run --separate-stderr "$EVENTS" emit node.added \
		'{"type":"x","tool":"y","time":"z"}'
	assert_success
	output=$(cat "$PP_STATE_DIR/events.jsonl")
	jq_is .type node.added
	jq_is .tool pp-unit-events
}

@test "events.file moves the events file" {
	write_config <<EOC
events:
  file: $BATS_TEST_TMPDIR/elsewhere.jsonl
EOC
	run --separate-stderr "$EVENTS" emit node.draining '{"node":"c1"}'
	assert_success
	[[ -s "$BATS_TEST_TMPDIR/elsewhere.jsonl" ]]
	[[ ! -e "$PP_STATE_DIR/events.jsonl" ]]
}

@test "an unwritable events file is a warning, not a failure" {
	write_config <<EOC
events:
  file: $BATS_TEST_TMPDIR/no/such/dir/events.jsonl
EOC
	run --separate-stderr "$EVENTS" emit node.added '{"node":"n1"}'
	assert_success
	assert_stderr_contains "cannot append to events file"
}

@test "posts each event as JSON to the webhook" {
	start_webhook ok
	webhook_config "$WEBHOOK_URL"
	run --separate-stderr "$EVENTS" emit node.added '{"node":"n1"}' \
		node.removed '{"node":"n2"}'
	assert_success
	[[ -z "$stderr" ]]
	[[ $(wc -l < "$WEBHOOK_BODIES") -eq 2 ]]
	output=$(sed -n 2p "$WEBHOOK_BODIES")
	jq_is .type node.removed
	jq_is .node n2
	# the same event as in the file
	diff <(sed -n 2p "$WEBHOOK_BODIES") \
		<(sed -n 2p "$PP_STATE_DIR/events.jsonl")
}

@test "a webhook answering 500 is retried, then the event is dropped with a warning" {
	start_webhook 500
	webhook_config "$WEBHOOK_URL" 1 2
	run --separate-stderr "$EVENTS" emit scaling.failed \
		'{"action":"scale_up","result":"error"}'
	assert_success
	[[ $(wc -l < "$WEBHOOK_BODIES") -eq 3 ]]
	assert_stderr_contains "dropping event 'scaling.failed' after 3 attempt(s): HTTP status 500"
	# the file still has it
	[[ $(wc -l < "$PP_STATE_DIR/events.jsonl") -eq 1 ]]
}

@test "a hanging webhook costs at most timeout times attempts and never fails the tool" {
	# The receiver would hang for 60 s; it measures how long the tool
	# held each request open, so the check does not depend on how fast
	# the tool starts (valgrind, a loaded CI machine).
	start_webhook hang 60
	webhook_config "$WEBHOOK_URL" 0.5 1
	run --separate-stderr "$EVENTS" emit node.added '{"node":"a"}' \
		node.added '{"node":"b"}' node.added '{"node":"c"}'
	assert_success
	# the receiver notes a close within 0.05 s of it
	for ((i = 0; i < 100; i++)); do
		[[ $(wc -l < "$WEBHOOK_BODIES.held" 2>/dev/null) -ge 2 ]] && break
		sleep 0.1
	done
	[[ $(wc -l < "$WEBHOOK_BODIES.held") -eq 2 ]]
	# a 0.5 s timeout; 5 s leaves room for a slow machine, and a tool
	# that ignored the timeout would hold the request the whole 60 s
	awk '$1 == "idle" || $1 + 0 >= 5 { bad = 1 } END { exit bad }' \
		"$WEBHOOK_BODIES.held"
	assert_stderr_contains "dropping event 'node.added' after 2 attempt(s)"
	assert_stderr_contains "2 later event(s) not sent to the webhook"
	[[ $(wc -l < "$PP_STATE_DIR/events.jsonl") -eq 3 ]]
	# only the first event was tried: the webhook is down for this run
	[[ $(wc -l < "$WEBHOOK_BODIES") -eq 2 ]]
}

@test "a webhook that refuses the connection is a warning" {
	start_webhook ok
	url=$WEBHOOK_URL
	stop_webhook
	webhook_config "$url" 1 1
	run --separate-stderr "$EVENTS" emit node.added '{"node":"a"}'
	assert_success
	assert_stderr_contains "dropping event 'node.added'"
}

@test "the webhook's credentials never reach the log" {
	start_webhook 500
	port=${WEBHOOK_URL#http://127.0.0.1:}
	port=${port%%/*}
	webhook_config "http://hookuser:s3cr3tpass@127.0.0.1:$port/hooks/T0K3N?key=abc" 1 0
	run --separate-stderr "$EVENTS" emit node.added '{"node":"a"}'
	assert_success
	assert_stderr_contains "webhook 'http://127.0.0.1:$port/...'"
	refute_stderr_contains s3cr3tpass
	refute_stderr_contains T0K3N
	refute_stderr_contains key=abc
	refute_stderr_contains hookuser
}

@test "redacts URLs down to scheme, host and port" {
	while read -r url want; do
		run "$EVENTS" redact "$url"
		assert_output "$want"
	done <<'EOT'
https://hooks.example/services/T0/B1/XYZ https://hooks.example/...
http://u:p@h.example:8080/x?token=1 http://h.example:8080/...
https://a@b@h.example https://h.example
http://h.example:9 http://h.example:9
not-a-url (url)
EOT
}

# A fleet that needs a scale-up now, through the whole pipeline under -q
# as the shipped cron line runs it; prints the tools' stderr.
full_cycle() {
	jq '(.nodes[] | select(.id == "ded-fsn1-1") | .containers) += [range(0; 12) |
		{id: ("x\(.)"), ram_mb: 8192, state: "running", players: 1}]' \
		"${BASE:-$TOP/share/examples/registry.json}" > "$PP_STATE_DIR/registry.json"
	pp-fleetstats -q --now 2026-11-27T18:00:00Z |
		pp-decide -q --now 2026-11-27T18:00:00Z |
		pp-drain -q --now 2026-11-27T18:00:00Z |
		pp-provision -q --now 2026-11-27T18:00:00Z > /dev/null
}

# provisioning_fails CLOUD_LINES WHY [CLOUD_INIT_LINES] [STATUS]: the
# cycle fails in pp-provision (exit STATUS, default 2) before any
# request, says WHY on stderr under -q, and records it
provisioning_fails() {
	rm -f "$PP_STATE_DIR"/*
	printf 'profile: seed\ncloud:\n%b\ncloud_init:\n  join_token_file: %s\n  conductor_url: https://c.example.net/\n  conductor_addresses: [203.0.113.7]\n%b\n' \
		"$1" "$BATS_TEST_TMPDIR/join" "${3:-}" > "$PP_CONFIG"
	run --separate-stderr full_cycle
	assert_failure "${4:-2}"
	assert_stderr_contains "pp-provision: $2"
	run jq -c 'select(.type == "scaling.failed") | [.tool, .action, .result, .stage]' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output '["pp-provision","scale_up","failed","provision"]'
	run jq -c '[.counters.pp_scaling_events_total["action=scale_up,result=failed"],
		.decide.last_decision.result, .decide.recent[-1].result]' \
		"$PP_STATE_DIR/state.json"
	assert_output '[1,"failed","failed"]'
}

@test "a scale-up that fails before any request (no template, no token) is an event, a count and a line under -q" {
	printf 'tok\n' > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	# the run has converged the pool by then: a failed create, exit 1
	provisioning_fails '  provider: local' "cannot render cloud-init for" \
		"  template: $BATS_TEST_TMPDIR/no-such.tmpl" 1
	provisioning_fails '  provider: hetzner\n  token_file: /nonexistent/token' \
		"cannot use the cloud: cannot read token file '/nonexistent/token'"
}

@test "a scale-up that failed leaves no cooldown: the next cycle tries again" {
	printf 'tok\n' > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	provisioning_fails '  provider: hetzner\n  token_file: /nonexistent/token' \
		"cannot use the cloud: cannot read token file '/nonexistent/token'"
	run jq -r '.decide.policies.reactive.last_action_result' "$PP_STATE_DIR/state.json"
	assert_output failed
	# two minutes later, within the 5-minute cooldown of an action
	# that had happened, the fleet is as full and the scale-up is
	# decided again
	run --separate-stderr sh -c 'pp-fleetstats -q --now 2026-11-27T18:02:00Z |
		pp-decide -q --now 2026-11-27T18:02:00Z'
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.policy reactive
	# once it succeeds, the cooldown holds again
	run jq -r '.decide.policies.reactive | has("last_action_result")' "$PP_STATE_DIR/state.json"
	assert_output false
	run --separate-stderr sh -c 'pp-fleetstats -q --now 2026-11-27T18:03:00Z |
		pp-decide -q --explain --now 2026-11-27T18:03:00Z'
	assert_success
	refute [ "$(jq -r .decision.action <<< "$output")" = scale_up ] 
	assert_stderr_contains "cooldown"
}

@test "a scale-up no allowed type can be ordered for is a scaling.failed event and a line under -q" {
	# cx23, the one allowed, is deprecated: nothing can be ordered
	printf 'profile: seed\ncloud:\n  provider: local\n  server_types: [cx23]\n  catalog:\n    - {name: cx23, memory_gb: 4, hourly_eur: 0.0056, deprecated: true}\n' > "$PP_CONFIG"
	jq '(.nodes[] | select(.id == "ded-fsn1-2") | .containers[0].ram_mb) = 65536' \
		"$TOP/share/examples/registry.json" > "$BATS_TEST_TMPDIR/reg"
	BASE="$BATS_TEST_TMPDIR/reg" run --separate-stderr full_cycle
	assert_success
	assert_stderr_contains "pp-decide: scale_up cannot happen: reactive wants"
	# the reason names no type it does not have
	refute_stderr_contains "x ?"
	run jq -c 'select(.type == "scaling.failed") | [.tool, .action, .stage, .kind]' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output '["pp-decide","scale_up","decide","no_server_type"]'
	# a dry run says it too, and records nothing
	rm "$PP_STATE_DIR/events.jsonl"
	run --separate-stderr bash -c 'pp-fleetstats -q --dry-run --now 2026-11-27T18:00:00Z |
		pp-decide -q --dry-run --now 2026-11-27T18:00:00Z > /dev/null'
	assert_stderr_contains "pp-decide: scale_up (dry run) cannot happen"
	[[ ! -e "$PP_STATE_DIR/events.jsonl" ]]
}
