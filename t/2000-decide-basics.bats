#!/usr/bin/env bats
# pp-decide as a tool: the document, the state file, dry runs,
# explanations, switches and errors.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/decide'
	pp_isolate
	write_config <<-EOF
	cloud:
	  server_types: [cx23]
	EOF
	NOW=2026-11-25T12:00:00Z
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 20x1000
	reg_node cloud-a cloud ready worker 8192 2026-11-25T09:00:00Z
	reg_node spare-1 cloud ready spare 8192 2026-11-25T09:00:00Z
}

@test "passes the document through and adds the decision" {
	decide "$NOW"
	assert_success
	jq_is '.fleet.total_ram_mb' 116384
	jq_is '.nodes | length' 3
	jq_is '.decision | keys_unsorted | join(",")' \
		action,policy,priority,urgency,count,server_type,location,node,role,reason,dry_run,continued,evaluations,figures
	jq_is '[.decision.evaluations[].policy] | join(",")' predictive,headroom,reactive,unneeded,spare
	jq_is '.decision.evaluations[0] | keys_unsorted | join(",")' \
		policy,enabled,priority,verdict,action,urgency,count,node,reason,figures
}

@test "dry runs never change the state file, and two give the same answer" {
	decide 2026-11-25T12:00:00Z
	assert_success
	before=$(files_sum "$(state_file)")
	decide 2026-11-25T12:25:00Z --dry-run
	first=$(jq -c .decision <<< "$output")
	decide 2026-11-25T12:25:00Z --dry-run
	assert_success
	[ "$(jq -c .decision <<< "$output")" = "$first" ]
	jq_is .decision.dry_run true
	jq_is .decision.action scale_down
	[ "$(files_sum "$(state_file)")" = "$before" ]
	[ ! -e "$PP_STATE_DIR/events.jsonl" ] || ! grep -q 12:25 "$PP_STATE_DIR/events.jsonl"
}

@test "a dry run without a state file creates none" {
	decide "$NOW" --dry-run
	assert_success
	[ ! -e "$(state_file)" ]
	[ ! -e "$PP_STATE_DIR/events.jsonl" ]
}

@test "the state keeps the down window, the last actions and a counter" {
	decide 2026-11-25T12:00:00Z
	run jq -r '.decide.policies.reactive.below_since' "$(state_file)"
	assert_output 2026-11-25T12:00:00Z
	decide 2026-11-25T12:20:00Z
	jq_is .decision.action scale_down
	run jq -r '[.decide.last_scale_down, .decide.last_decision.node,
		.decide.policies.reactive.last_action, .decide.decisions,
		.counters.pp_decisions_total["action=\"scale_down\",policy=\"reactive\""]]
		| join(" ")' "$(state_file)"
	assert_output '2026-11-25T12:20:00Z cloud-a scale_down 2 1'
}

@test "a corrupt state file is an error that names it; --reset-state starts fresh" {
	echo '{"decide": ' > "$(state_file)"
	decide "$NOW"
	assert_failure 2
	assert_stderr_contains "state file '$(state_file)' is corrupt"
	assert_stderr_contains "--reset-state"
	decide "$NOW" --reset-state
	assert_success
	run jq -r .decide.policies.reactive.below_since "$(state_file)"
	assert_output "$NOW"
}

@test "--reset-state forgets the decide section and keeps the rest" {
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"policies": {"reactive":
	 {"below_since": "2026-11-25T10:00:00Z"}}},
	 "refusals": {"cx23@nbg1": {"until": "2026-11-25T13:00:00Z"}}}
	EOF
	decide "$NOW" --dry-run
	jq_is .decision.action scale_down
	decide "$NOW" --reset-state
	jq_is .decision.action none
	jq_is .decision.server_type null
	run jq -r '.refusals | keys[0]' "$(state_file)"
	assert_output cx23@nbg1
}

@test "a policy switched off in the config is listed as off and does nothing" {
	write_config <<-EOF
	policies:
	  reactive:
	    enabled: false
	EOF
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"policies": {"reactive":
	 {"below_since": "2026-11-25T10:00:00Z"}}}}
	EOF
	decide "$NOW" --dry-run
	jq_is '.decision.evaluations[] | select(.policy=="reactive") | .verdict' off
	jq_is .decision.action none
}

@test "--explain prints every policy, the figures and why nothing scales down" {
	decide "$NOW" --dry-run --explain
	assert_success
	assert_stderr_contains 'POLICY       PRIO  VERDICT URGENCY  COUNT  REASON'
	assert_stderr_contains 'reactive       10  none    -            0  capacity 17.18% < 30.0% for 0 of 20 min'
	assert_stderr_contains 'spare           5  none    -            0  1 spare, 1 wanted on Wednesday 13:00'
	assert_stderr_contains 'below_for_s=0'
	assert_stderr_contains 'DECISION: none (dry run: nothing written)'
	# the figures are folded within 78 columns, no line ending in a space
	run awk '/^    [a-z_]+=/ && (length($0) > 78 || / $/) { print }' \
		<<< "$stderr"
	assert_output ''
	[[ $stderr == *$'\n    '*=*$'\n    '*=* ]]
}

@test "--explain lists the scale-down candidates and why each was refused" {
	cat > "$(state_file)" <<-EOF
	{"version": 1, "decide": {"policies": {"reactive":
	 {"below_since": "2026-11-25T10:00:00Z"}}}}
	EOF
	decide "$NOW" --dry-run --explain
	assert_stderr_contains 'SCALE-DOWN CANDIDATES'
	assert_stderr_contains 'spare-1              no  a spare the pool wants'
	assert_stderr_contains 'cloud-a              yes cloud node'
	assert_stderr_contains 'DECISION: scale_down cloud-a'
}

@test "a scale-up decision is an event; none is not" {
	decide "$NOW"
	[ ! -e "$PP_STATE_DIR/events.jsonl" ]
	reg_start
	reg_node ded-1 dedicated ready worker 100000 - 90x1000
	decide "$NOW"
	jq_is .decision.action scale_up
	run jq -r '"\(.type) \(.tool) \(.action) \(.policy) \(.count) \(.server_type)"' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output 'scaling.triggered pp-decide scale_up reactive 1 cx23'
}

@test "refuses a document without nodes, and bad input" {
	pp-fleetstats --no-record -r "$REG" --now "$NOW" | jq -c 'del(.nodes)' \
		> "$BATS_TEST_TMPDIR/nonodes.json"
	run --separate-stderr pp-decide --now "$NOW" < "$BATS_TEST_TMPDIR/nonodes.json"
	assert_failure 2
	assert_stderr_contains "document has no 'nodes' list"
	run --separate-stderr pp-decide --now "$NOW" <<< '{"version": 1, "nodes": ['
	assert_failure 2
	run --separate-stderr pp-decide --now "$NOW" <<< '{"version": 99, "nodes": []}'
	assert_failure 2
	assert_stderr_contains 'newer than this tool understands'
	[ ! -e "$(state_file)" ]
}

@test "a node figure that is not a number is bad input, never read as 0" {
	pp-fleetstats --no-record -r "$REG" --now "$NOW" > "$BATS_TEST_TMPDIR/doc.json"
	for f in usable_ram_mb allocated_ram_mb total_ram_mb reserved_ram_mb \
	    largest_container_mb containers hourly_cost_eur; do
		for v in '"x"' '{}' '[1]' true; do
			jq -c --argjson v "$v" ".nodes[1].$f = \$v" \
				"$BATS_TEST_TMPDIR/doc.json" > "$BATS_TEST_TMPDIR/bad.json"
			# the lean reader (a pipe) and json-c's (-p) alike
			for p in "" -p; do
				run --separate-stderr pp-decide $p --now "$NOW" \
					< "$BATS_TEST_TMPDIR/bad.json"
				assert_failure 2
				assert_stderr_contains "document node 1: '$f' is not a number"
				assert_output ""
			done
		done
	done
	[ ! -e "$(state_file)" ]
}

@test "a node figure given twice counts as its last value in both readers" {
	pp-fleetstats --no-record -r "$REG" --now "$NOW" > "$BATS_TEST_TMPDIR/doc.json"
	# jq cannot write a key twice: sed puts a string before the number
	sed 's/"usable_ram_mb":/"usable_ram_mb":"x","usable_ram_mb":/2' \
		"$BATS_TEST_TMPDIR/doc.json" > "$BATS_TEST_TMPDIR/twice.json"
	grep -q '"usable_ram_mb":"x","usable_ram_mb":' "$BATS_TEST_TMPDIR/twice.json"
	for p in "" -p; do
		run --separate-stderr pp-decide $p --now "$NOW" --dry-run \
			< "$BATS_TEST_TMPDIR/twice.json"
		assert_success
	done
	# and a number before a string is a string
	sed 's/"usable_ram_mb":\([0-9]*\)/"usable_ram_mb":\1,"usable_ram_mb":"x"/2' \
		"$BATS_TEST_TMPDIR/doc.json" > "$BATS_TEST_TMPDIR/twice.json"
	for p in "" -p; do
		run --separate-stderr pp-decide $p --now "$NOW" --dry-run \
			< "$BATS_TEST_TMPDIR/twice.json"
		assert_failure 2
		assert_stderr_contains "document node 1: 'usable_ram_mb' is not a number"
	done
}

# Compact output (a pipe) reads the nodes with the lean reader and passes
# them through as text; pretty output (-p) parses them with json-c. Both
# must give the same document and decision (t/fuzz/doc.c checks the
# readers field by field).
same_both_ways() {
	local doc=$1 lean
	run --separate-stderr pp-decide --now "$NOW" --dry-run < "$doc"
	assert_success
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ] ||
		fail "compact output is not one line"
	compact=$output
	lean=$(jq -S . <<< "$output")
	run --separate-stderr pp-decide -p --now "$NOW" --dry-run < "$doc"
	assert_success
	[ "$(jq -S . <<< "$output")" = "$lean" ] ||
		fail "compact and pretty output differ for $doc"
	output=$compact
}

@test "compact output passes the nodes through as text, with the same answers" {
	reg_node cloud-b cloud draining worker 16384 2026-11-25T10:30:00Z 4096 2048s
	decide "$NOW" --dry-run
	assert_success
	doc=$BATS_TEST_TMPDIR/doc.json
	same_both_ways "$doc"
	jq_is '.nodes | length' 4
	jq_is '.decision.action + " " + .decision.node' 'scale_down cloud-b'
	# the nodes are the input's text: a key given twice is still there
	# (json-c would keep the last one only)
	sed 's/"players":0,"ip"/"players":7,"players":0,"ip"/' "$doc" > "$doc.dup"
	run --separate-stderr pp-decide --now "$NOW" --dry-run < "$doc.dup"
	assert_success
	assert_output --partial '"players":7,"players":0,'
	# pretty input: compact output all the same
	jq . "$doc" > "$doc.pretty"
	same_both_ways "$doc.pretty"
	jq_is '.decision.action + " " + .decision.node' 'scale_down cloud-b'
	# what the lean reader leaves to json-c: an escaped id, a number of
	# 19 digits; the answers do not change
	sed -e 's/"id":"cloud-a"/"id":"cloud-\\u0061"/' \
		-e 's/"players":0,"ip"/"players":1234567890123456789,"ip"/' \
		"$doc" > "$doc.odd"
	grep -q 'cloud-\\u0061' "$doc.odd" || fail "no escape in $doc.odd"
	same_both_ways "$doc.odd"
	jq_is '.decision.action + " " + .decision.node' 'scale_down cloud-b'
	jq_is '[.nodes[].id] | join(" ")' 'ded-1 cloud-a spare-1 cloud-b'
	# (jq rounds it: look at the text)
	assert_output --partial '"players":1234567890123456789,'
}

@test "usage errors exit 2, --help exits 0" {
	run --separate-stderr pp-decide --bogus
	assert_failure 2
	run --separate-stderr pp-decide extra
	assert_failure 2
	run pp-decide --help
	assert_success
	assert_output --partial '--reset-state'
}

@test "--state-dir puts the state where it says" {
	decide "$NOW" --state-dir "$BATS_TEST_TMPDIR/other"
	assert_success
	[ -e "$BATS_TEST_TMPDIR/other/state.json" ]
	[ ! -e "$(state_file)" ]
}

@test "a state lock file another user keeps unreadable stops pp-decide with exit 2, never an unlocked read or write" {
	[[ $(id -u) = 0 ]] || skip "needs root to play the other user"
	local shared
	shared=$(mktemp -d /tmp/pp-2000.XXXXXX)
	chmod 755 "$shared"
	mkdir -m 777 "$shared/state"
	cp "$PP_CONFIG" "$shared/ppscale.yaml"
	chmod 644 "$shared/ppscale.yaml"
	pp-fleetstats --no-record -r "$REG" --now "$NOW" > "$shared/doc.json"
	chmod 644 "$shared/doc.json"
	echo '{"version": 1}' > "$shared/state/state.json"
	chmod 666 "$shared/state/state.json"
	: > "$shared/state/state.json.lock"
	chmod 600 "$shared/state/state.json.lock"   # root's own
	local path
	path=$(nobody_path "$shared") ||
		{ rm -rf "$shared"; skip "the build is not reachable for an unprivileged user"; }
	local opt
	for opt in --dry-run ""; do
		run --separate-stderr setpriv --reuid=65534 --regid=65534 \
			--clear-groups -- env PATH="$path" \
			PP_CONFIG="$shared/ppscale.yaml" \
			PP_STATE_DIR="$shared/state" HOME="$shared" \
			pp-decide --now "$NOW" $opt < "$shared/doc.json"
		assert_failure 2
		assert_stderr_contains "lock file '$shared/state/state.json.lock': Permission denied"
		assert_output ""
	done
	run cat "$shared/state/state.json"
	assert_output '{"version": 1}'
	rm -rf "$shared"
}

@test "a document without a readable generated_at is bad input: the guard against buying twice needs it" {
	decide "$NOW"
	assert_success
	local doc="$BATS_TEST_TMPDIR/doc.json" f t
	before=$(files_sum "$(state_file)")
	for f in 'del(.generated_at)' '.generated_at = null' \
	    '.generated_at = "yesterday"' '.generated_at = 1764072000'; do
		for t in pp-decide pp-drain pp-provision; do
			run --separate-stderr "$t" --now "$NOW" < <(jq -c "$f" "$doc")
			assert_failure 2
			assert_stderr_contains "$t: bad document on stdin: 'generated_at' is missing or not a time"
			assert_output ""
		done
	done
	[ "$(files_sum "$(state_file)")" = "$before" ]
}

@test "a document more than 30 minutes old decides nothing: none, exit 1, and how to replay it" {
	decide "$NOW"
	assert_success
	local doc="$BATS_TEST_TMPDIR/old.json" state="$(state_file)"
	cp "$BATS_TEST_TMPDIR/doc.json" "$doc"
	before=$(files_sum "$state" "$PP_STATE_DIR/events.jsonl")
	# 30 minutes on, a fresh document scales down; this one is too old
	run --separate-stderr pp-decide --now 2026-11-25T12:30:01Z < "$doc"
	assert_failure 1
	jq_is .decision.action none
	jq_is .decision.reason "nothing decided: the document (generated_at $NOW) is 30m01s old, more than 30m00s: no decision is made or carried out on one this old (pipe a fresh pp-fleetstats; to replay it by hand, give --now $NOW)"
	jq_is '.decision.evaluations | length' 0
	jq_is .fleet.total_ram_mb 116384
	assert_stderr_contains "pp-decide: nothing decided: the document (generated_at $NOW) is 30m01s old"
	# nothing recorded: no window, counter, cost or event from it
	[ "$(files_sum "$state" "$PP_STATE_DIR/events.jsonl")" = "$before" ]
	# days old, and a dry run: the same
	run --separate-stderr pp-decide --dry-run --now 2026-11-30T12:00:00Z < "$doc"
	assert_failure 1
	jq_is .decision.action none
	jq_is .decision.dry_run true
	# 30 minutes old is still judged, and so is an old one at its own time
	run --separate-stderr pp-decide --dry-run --now 2026-11-25T12:30:00Z < "$doc"
	assert_success
	jq_is .decision.action scale_down
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/down.json"
	run --separate-stderr pp-decide --dry-run --now "$NOW" < "$doc"
	assert_success
	# the tools after it do not carry out a decision that old
	run --separate-stderr pp-drain -r "$REG" --now 2026-11-25T12:31:00Z \
		< <(jq -c '.decision.dry_run = false' "$BATS_TEST_TMPDIR/down.json")
	assert_failure 1
	assert_stderr_contains "pp-drain: decision 'scale_down' of node 'cloud-a' not carried out: the document (generated_at $NOW) is 31m00s old"
	jq_is 'has("drain")' false
	jq_is .decision.action scale_down
	[ "$(jq -r '.nodes[] | select(.id == "cloud-a") | .status' "$REG")" = ready ]
}

@test "a document from another time than the clock is warned about, not refused" {
	decide "$NOW" --dry-run
	assert_success
	local doc="$BATS_TEST_TMPDIR/doc.json" msg="the document was generated at $NOW"
	# within 10 minutes: nothing to say
	run --separate-stderr pp-decide --dry-run --now 2026-11-25T12:09:59Z < "$doc"
	assert_success
	refute_stderr_contains "$msg"
	run --separate-stderr pp-decide --dry-run --now 2026-11-25T12:11:00Z < "$doc"
	assert_success
	jq_is .decision.dry_run true
	assert_stderr_contains "$msg, 11m00s before this tool's clock (2026-11-25T12:11:00Z): its figures may no longer hold (pipe a fresh pp-fleetstats, or give --now $NOW to judge it at its own time)"
	run --separate-stderr pp-decide --dry-run --now 2026-11-25T11:54:00Z < "$doc"
	assert_success
	assert_stderr_contains "$msg, 6m00s after this tool's clock (2026-11-25T11:54:00Z)"
	run --separate-stderr pp-decide -q --dry-run --now 2026-11-25T12:30:00Z < "$doc"
	assert_success
	[ -z "$stderr" ]
	# the other readers of the document say it too
	for tool in pp-drain pp-provision; do
		run --separate-stderr "$tool" --dry-run --now 2026-11-25T14:30:00Z < "$doc"
		assert_success
		assert_stderr_contains "$tool: $msg, 2h30m before"
	done
}
