#!/usr/bin/env bats
# pp-status: the scaling status from the state file and the last snapshot.

bats_require_minimum_version 1.5.0

# the fake Hetzner API, for a server that sits off (the local cloud
# has no such state)
setup_file() {
	load 'test_helper/provision'
	# most of this file's tests never ask the fake: under valgrind the
	# file outlasts the default idle timeout (300 s); the fake still
	# ends with this file's process
	prov_fake_file pp-secret-token-6200 --idle-timeout 3600
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/common'
	pp_isolate
	cp "$TOP/share/examples/registry.json" "$PP_STATE_DIR/registry.json"
	# the local cloud that holds the example fleet's servers: without
	# it pp-provision finds them gone and forgets their nodes
	cp "$TOP/share/examples/cloud.json" "$PP_STATE_DIR/cloud.json"
	printf 'profile: seed\n' > "$PP_CONFIG"
}

# The state and the snapshot come from real cycles: the platform's
# registry (the example, with LOAD more 8 GB game servers placed on a
# dedicated node), then pp-fleetstats | pp-decide | pp-provision on the
# local cloud at each time given.
cycles() {
	local load=$1 t
	shift
	jq --argjson n "$load" '(.nodes[] | select(.id == "ded-fsn1-1") |
		.containers) += [range(0; $n) | {id: ("x\(.)"), ram_mb: 8192,
		state: "running", players: 1}]' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	for t in "$@"; do
		pp-fleetstats --now "$t" | pp-decide -q --now "$t" |
			pp-provision -q --now "$t" > /dev/null ||
			fail "the cycle at $t failed"
	done
}

# decides TIME...: pp-fleetstats | pp-decide at each time (no provision)
decides() {
	local t
	for t in "$@"; do
		pp-fleetstats --now "$t" | pp-decide -q --now "$t" > /dev/null ||
			fail "the decision at $t failed"
	done
}

local_cloud() {
	printf 'tok\n' > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	write_config <<EOC
cloud:
  provider: local
  locations: [nbg1]
cloud_init:
  join_token_file: $BATS_TEST_TMPDIR/join
  conductor_url: https://conductor.example.net/
  conductor_addresses: [203.0.113.7]
$(cat)
EOC
}

with_history() {
	local_cloud </dev/null
	cycles 8 2026-11-27T17:59:00Z
	pp-fleetstats --now 2026-11-27T18:00:00Z > /dev/null
}

@test "without state or snapshot it says there is no decision yet" {
	# (and that the directory holds no state: exit 3)
	run --separate-stderr pp-status --now 2026-11-27T18:00:00Z
	assert_failure 3
	assert_output --partial "decision   no decision yet"
	assert_output --partial "snapshot   none yet"
	assert_output --partial "WARNING    state directory '$PP_STATE_DIR' holds no state"
	run --separate-stderr pp-status --json
	assert_failure 3
	jq_is .decision null
	jq_is .fleet null
	jq_is '.last_actions | length' 0
	jq_is '.policies | map(.name) | join(",")' predictive,headroom,reactive,unneeded,spare
	jq_is '.policies[0].reason' "no snapshot yet"
}

@test "lists every policy of the engine's table, as pp-decide evaluates them" {
	for profile in seed default; do
		printf 'profile: %s\n' "$profile" > "$PP_CONFIG"
		pp-fleetstats --now 2026-11-27T18:00:00Z > "$BATS_TEST_TMPDIR/doc"
		want=$(pp-decide --dry-run --now 2026-11-27T18:00:00Z \
			< "$BATS_TEST_TMPDIR/doc" |
			jq -c '.decision.evaluations | map([.policy, .verdict, .reason])')
		run --separate-stderr pp-status --now 2026-11-27T18:00:00Z --json
		assert_success
		jq_is '.policies | map([.name, .verdict, .reason])' "$want"
		jq_is '.policies | map(select(.name == "unneeded")) | length' 1
	done
}

@test "says which nodes the unneeded policy holds and when each goes" {
	# the shipped profile with one spare and the unneeded rule at 70 %
	# held 30 min, less the headroom policy: with it the example's
	# spare is too small for a slot and is unneeded too; the example's
	# booting node (created 07:58) still counts as booting at 18:00
	# only with a cloud.join_timeout that long
	printf 'timezone: UTC\npolicies:\n  headroom:\n    enabled: false\n  spare:\n    enabled: true\n  unneeded:\n    utilisation: 70\n    hold: 30m\ncloud:\n  join_timeout: 1d\n' \
		> "$PP_CONFIG"
	jq '(.nodes[] | select(.kind == "cloud") | .containers) = []' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	decides 2026-11-27T18:00:00Z 2026-11-27T18:12:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:12:30Z
	assert_success
	assert_output --regexp "unneeded +yes +[0-9]+ +none .*2 nodes unneeded, for less than the hold of 30 min"
	# created 06:00: held until 18:30, then the last 10 min of the hour
	# that ends at 19:00; created 05:12: the hour that ends at 19:12
	assert_output --partial "  cloud-7f3a unneeded for 12 of 30 min, then the last 10 min of its paid hour at 18:50"
	assert_output --partial "  cloud-91be unneeded for 12 of 30 min, then the last 10 min of its paid hour at 19:02"
	run --separate-stderr pp-status --now 2026-11-27T18:12:30Z --json
	jq_is '.policies[] | select(.name == "unneeded") | .holds | map(.node + "@" + .goes_at) | join(" ")' \
		"cloud-7f3a@2026-11-27T18:50:00Z cloud-91be@2026-11-27T19:02:00Z"
}

@test "a hold that hold_after_up lengthens: its length now, and when the node goes" {
	printf 'profile: default\ntimezone: UTC\npolicies:\n  headroom:\n    enabled: false\n  spare:\n    enabled: true\n  unneeded:\n    utilisation: 70\n    hold: 10m\n    hold_after_up: 45m\n' |
		local_cloud
	# a real scale-up at 17:40, then the load goes
	cycles 12 2026-11-27T17:40:00Z
	run jq -r .decide.last_scale_up "$PP_STATE_DIR/state.json"
	assert_output 2026-11-27T17:40:00Z
	jq '(.nodes[] | select(.id == "ded-fsn1-1") | .containers) |=
		map(select(.id | startswith("x") | not)) |
		(.nodes[] | select(.kind == "cloud") | .containers) = []' \
		"$PP_STATE_DIR/registry.json" > "$BATS_TEST_TMPDIR/r" &&
		cat "$BATS_TEST_TMPDIR/r" > "$PP_STATE_DIR/registry.json"
	decides 2026-11-27T18:00:00Z 2026-11-27T18:05:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:05:00Z
	assert_success
	assert_output --regexp "unneeded +yes .*for less than the hold of 45 min \(hold_after_up: the last scale-up was 25 min ago\)"
	# held until 17:40 + 45 min = 18:25 (10 min from 18:00 would be
	# 18:10); created 05:12, its hour's last 10 min start at 19:02
	assert_output --partial "  cloud-91be unneeded for 5 of 45 min, then the last 10 min of its paid hour at 19:02"
	run --separate-stderr pp-status --now 2026-11-27T18:05:00Z --json
	jq_is '.policies[] | select(.name == "unneeded") | .holds[] | select(.node == "cloud-91be") | [.hold_seconds, .goes_at] | @tsv' \
		"2700	2026-11-27T19:02:00Z"
	# an hour after the scale-up the hold is 10 min again
	run --separate-stderr pp-status --now 2026-11-27T18:41:00Z --json
	jq_is '.policies[] | select(.name == "unneeded") | .holds[] | select(.node == "cloud-91be") | .hold_seconds' 600
}

@test "an unhealthy node with no game server: held for unhealthy_after, and when it goes" {
	printf 'timezone: UTC\npolicies:\n  headroom:\n    enabled: false\n  unneeded:\n    hold: 5m\ncloud:\n  join_timeout: 1d\n' \
		> "$PP_CONFIG"
	# the platform marked cloud-91be (created 05:12) unhealthy and
	# cleared it
	jq '(.nodes[] | select(.id == "cloud-91be")) |=
		(.status = "unhealthy" | .containers = [])' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	decides 2026-11-27T18:00:00Z 2026-11-27T18:12:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:12:30Z
	assert_success
	# held until 18:30, then the last 10 min of the hour ending 19:12
	assert_output --partial "  cloud-91be unhealthy and empty for 12 of 30 min, then the last 10 min of its paid hour at 19:02"
	run --separate-stderr pp-status --now 2026-11-27T18:12:30Z --json
	jq_is '.policies[] | select(.name == "unneeded") | .holds[] |
		select(.node == "cloud-91be") | [.unhealthy, .hold_seconds,
		.goes_at] | @tsv' "true	1800	2026-11-27T19:02:00Z"
	run --separate-stderr bash -c 'pp-fleetstats --now "$1" |
		pp-decide --now "$1"' _ 2026-11-27T19:02:00Z
	assert_success
	jq_is '[.decision.action, .decision.node] | join(" ")' \
		"scale_down cloud-91be"
}

@test "shows the cost accrued today and this month beside the rate" {
	decides 2026-11-27T10:00:00Z 2026-11-27T11:00:00Z 2026-11-27T12:00:00Z
	run --separate-stderr pp-status --now 2026-11-27T12:01:00Z --json
	assert_success
	jq_is .cost.rate_eur_h 0.048
	# every hour each server started since it was made (before the
	# first cycle too): cx43 from 06:00 and 07:58, 7 and 5 hours at
	# 0.0152; cx33 from 05:12 and 04:40, 7 and 8 hours at 0.0088
	jq_is .cost.today_eur 0.3144
	jq_is .cost.month_eur 0.3144
	run --separate-stderr pp-status --now 2026-11-27T12:01:00Z
	assert_output --partial "cost       0.0480 EUR/hour (cloud nodes); 0.31 EUR today, 0.31 EUR this month"
	# a gap of hours does not matter: the servers were there; a new
	# day starts at midnight: by 00:30 the servers made at 06:00 and
	# 05:12 started an hour on it (0.0152 + 0.0088), those made at
	# 04:40 and 07:58 are still in the hour they started before
	decides 2026-11-27T23:30:00Z 2026-11-28T00:30:00Z
	run --separate-stderr pp-status --now 2026-11-28T00:31:00Z --json
	jq_is .cost.today_eur 0.024
	# 19, 20, 20 and 17 hours
	jq_is .cost.month_eur 0.8992
	# a dry run accrues nothing
	pp-fleetstats --now 2026-11-28T01:30:00Z |
		pp-decide -q --dry-run --now 2026-11-28T01:30:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-28T01:31:00Z --json
	jq_is .cost.today_eur 0.024
}

# one_cloud NODE CREATED...: the example's dedicated nodes and, for each
# pair, a cx33 cloud node (0.0088 EUR/h, 5.49 EUR a month) made then
one_cloud() {
	local args=()
	while (($#)); do
		args+=("{\"id\": \"$1\", \"created\": \"$2\"}")
		shift 2
	done
	jq --argjson want "[$(IFS=,; echo "${args[*]}")]" '
		(.nodes | map(select(.id == "cloud-91be"))[0]) as $c |
		.nodes = [.nodes[] | select(.kind == "dedicated")] +
			[$want[] as $w | $c | .id = $w.id |
			 .cloud.created_at = $w.created]' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
}

@test "a server that runs all month costs at most its monthly price, and a new month starts at nothing" {
	printf 'profile: seed\ntimezone: UTC\n' > "$PP_CONFIG"
	one_cloud cloud-a 2026-11-01T00:00:00Z
	# a cycle a day: a server seen by two cycles is billed every hour
	# between them (as the next test's overnight gap shows), and a
	# month of cycles as cron runs them would be 40,000 tool runs
	local t times=()
	for ((t = $(date -u -d 2026-11-01T00:00:00Z +%s);
	    t <= $(date -u -d 2026-11-30T00:00:00Z +%s); t += 24 * 3600)); do
		times+=("$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)")
	done
	times+=(2026-11-30T18:00:00Z)
	decides "${times[@]:0:10}"
	# 9 days and the hour started at 00:00: 217 hours at 0.0088
	run --separate-stderr pp-status --now 2026-11-10T00:01:00Z --json
	jq_is .cost.month_eur 1.9096
	jq_is .cost.today_eur 0.0088
	decides "${times[@]:10}"
	# 714 started hours at 0.0088 would be 6.2832: capped
	run --separate-stderr pp-status --now 2026-11-30T18:01:00Z --json
	jq_is .cost.month_eur 5.49
	jq_is .cost.today_eur 0
	run --separate-stderr pp-status --now 2026-11-30T18:01:00Z
	assert_output --partial "; 0.00 EUR today, 5.49 EUR this month"
	# December: the hour started at 00:00, uncapped again
	decides 2026-12-01T00:00:00Z
	run --separate-stderr pp-status --now 2026-12-01T00:01:00Z --json
	jq_is .cost.month_eur 0.0088
	jq_is .cost.today_eur 0.0088
}

@test "a server gone is billed every hour it started up to the last cycle that saw it" {
	printf 'profile: seed\ntimezone: UTC\n' > "$PP_CONFIG"
	one_cloud cloud-a 2026-11-27T10:10:00Z
	decides 2026-11-27T10:20:00Z 2026-11-27T10:40:00Z \
		2026-11-27T11:00:00Z 2026-11-27T11:20:00Z
	# the hours from 10:10 and 11:10
	run --separate-stderr pp-status --now 2026-11-27T11:21:00Z --json
	jq_is .cost.month_eur 0.0176
	# it is deleted; another is made at 11:50
	one_cloud cloud-b 2026-11-27T11:50:00Z
	decides 2026-11-27T11:40:00Z 2026-11-27T12:00:00Z
	run --separate-stderr pp-status --now 2026-11-27T12:01:00Z --json
	jq_is .cost.month_eur 0.0264
	jq_is .cost.today_eur 0.0264
	# the next day: the gone one's hours stay in the month; the new
	# one's hour from 23:50 was started the day before
	decides 2026-11-28T00:05:00Z
	run --separate-stderr pp-status --now 2026-11-28T00:06:00Z --json
	jq_is .cost.today_eur 0
	# 0.0176 and 13 hours from 11:50
	jq_is .cost.month_eur 0.132
}

@test "a cost section from before servers were kept counts what it had beyond the servers there now as gone" {
	decides 2026-11-27T10:00:00Z
	# the shape an older pp-decide left: totals only
	jq '.cost |= {at, day, today_eur: 1, month, month_eur: 2}' \
		"$PP_STATE_DIR/state.json" > "$BATS_TEST_TMPDIR/old.json"
	mv "$BATS_TEST_TMPDIR/old.json" "$PP_STATE_DIR/state.json"
	decides 2026-11-27T11:00:00Z
	run --separate-stderr pp-status --now 2026-11-27T11:01:00Z --json
	jq_is .cost.today_eur 1
	jq_is .cost.month_eur 2
	# an hour more of each of the four servers
	decides 2026-11-27T12:00:00Z
	run --separate-stderr pp-status --now 2026-11-27T12:01:00Z --json
	jq_is .cost.month_eur 2.048
}

@test "warns and exits 3 for a state directory that does not exist or holds nothing" {
	run --separate-stderr pp-status -q --state-dir "$BATS_TEST_TMPDIR/typo"
	assert_failure 3
	assert_output --partial "WARNING    state directory '$BATS_TEST_TMPDIR/typo' cannot be read"
	assert_stderr_contains "pp-status: state directory '$BATS_TEST_TMPDIR/typo' cannot be read: No such file or directory (a mistyped --state-dir?)"
	mkdir "$BATS_TEST_TMPDIR/empty"
	run --separate-stderr pp-status -q --json --state-dir "$BATS_TEST_TMPDIR/empty"
	assert_failure 3
	jq_is '.warnings[0]' "state directory '$BATS_TEST_TMPDIR/empty' holds no state: no pipeline has run with it"
	assert_stderr_contains "holds no state"
	# a registry alone is no state: the platform writes it, and a
	# pipeline that never ran leaves the directory so
	run --separate-stderr pp-status -q
	assert_failure 3
	assert_output --partial "WARNING    state directory '$PP_STATE_DIR' holds no state: no pipeline has run with it"
	assert_stderr_contains "holds no state"
	# nor is a snapshot file that holds no snapshot
	printf '{"version":1}\n' > "$PP_STATE_DIR/last.json"
	run --separate-stderr pp-status -q --json
	assert_failure 3
	jq_is '.warnings[0]' "state directory '$PP_STATE_DIR' holds no state: no pipeline has run with it"
	# once the pipeline has run, the directory is fine
	pp-fleetstats -q > /dev/null
	run --separate-stderr pp-status -q
	assert_success
	assert_equal "$stderr" ""
}

@test "warns and exits 3 for a snapshot made after its clock, as the pipeline's tools do" {
	pp-fleetstats --now 2026-11-27T18:00:00Z > /dev/null
	# within the pipeline's tolerance of 5 minutes: said as it is
	run --separate-stderr pp-status --now 2026-11-27T17:56:00Z
	assert_success
	assert_output --partial "snapshot   2026-11-27T18:00:00Z (4m00s after this tool's clock)"
	run --separate-stderr pp-status -q --now 2026-11-27T17:50:00Z
	assert_failure 3
	assert_output --partial "snapshot   2026-11-27T18:00:00Z (10m00s after this tool's clock)"
	assert_output --partial "WARNING    the snapshot was generated at 2026-11-27T18:00:00Z, 10m00s after this tool's clock (2026-11-27T17:50:00Z): a clock set back, or --now before the snapshot's time?"
	assert_stderr_contains "pp-status: the snapshot was generated at 2026-11-27T18:00:00Z, 10m00s after"
	refute_output --partial "ago)"
	run --separate-stderr pp-status -q --json --now 2026-11-27T17:50:00Z
	assert_failure 3
	jq_is .fleet.age_seconds -600
}

@test "warns and exits 3 for a stale snapshot; --max-age sets how old is stale" {
	pp-fleetstats --now 2026-11-27T18:00:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T18:10:00Z --json
	assert_success
	jq_is '.warnings | length' 0
	run --separate-stderr pp-status -q --now 2026-11-27T18:11:00Z
	assert_failure 3
	assert_stderr_contains "the snapshot is 11m00s old (more than 10m00s): is pp-fleetstats running?"
	assert_output --partial "WARNING    the snapshot is 11m00s old"
	run --separate-stderr pp-status --now 2026-11-27T20:00:00Z --max-age 2h
	assert_success
	run --separate-stderr pp-status --now 2026-12-02T18:00:00Z --max-age 0
	assert_success
	run --separate-stderr pp-status --max-age soon
	assert_failure 2
	assert_stderr_contains "bad --max-age 'soon'"
}

@test "pp-fleetstats records its snapshot for pp-status, dry runs do not" {
	run --separate-stderr pp-fleetstats --dry-run
	assert_success
	[[ ! -e "$PP_STATE_DIR/last.json" ]]
	run --separate-stderr pp-fleetstats --no-record
	[[ ! -e "$PP_STATE_DIR/last.json" ]]
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	diff <(jq -S . <<< "$output") <(jq -S . "$PP_STATE_DIR/last.json")
}

@test "shows capacity, cost and the snapshot's age" {
	# the example's booting node (created 07:58) is pending capacity
	# at 18:00 only with a cloud.join_timeout that long
	printf 'profile: seed\ncloud:\n  join_timeout: 1d\n' > "$PP_CONFIG"
	pp-fleetstats --now 2026-11-27T18:00:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z --json
	assert_success
	jq_is .fleet.capacity_percent 73.04
	jq_is .fleet.hourly_cost_eur 0.048
	jq_is .fleet.age_seconds 120
	jq_is .fleet.pending_ram_mb 15872
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z
	assert_output --partial "capacity   73.04 %  (301056 of 412160 MB allocated, 15872 MB provisioning)"
	assert_output --partial "cost       0.0480 EUR/hour"
	assert_output --partial "(2m00s ago)"
}

@test "after cycles that decided nothing it says so, not that there is no decision yet" {
	local_cloud </dev/null
	cycles 0 2026-11-25T10:00:00Z 2026-11-25T10:02:00Z
	run --separate-stderr pp-status --now 2026-11-25T10:02:30Z --json
	assert_success
	jq_is .decision null
	jq_is .decisions 2
	jq_is '.last_actions | length' 0
	run --separate-stderr pp-status --now 2026-11-25T10:02:30Z
	assert_success
	assert_output --partial "decision   none acted: nothing to do in the 2 cycles decided"
	assert_output --regexp $'LAST ACTIONS\nnone yet\n'
	refute_output --partial "no decision yet"
}

@test "after a cycle that scales up it shows the decision and its time" {
	with_history
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z --json
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.policy reactive
	jq_is .decision.at 2026-11-27T17:59:00Z
	jq_is .decision.result success
	jq_is '.last_actions | length' 1
	jq_is '.last_actions[0].at' 2026-11-27T17:59:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z
	assert_output --regexp "decision   scale_up by reactive at 2026-11-27T17:59:00Z: reactive: capacity [0-9.]+% > 85.0%"
	refute_output --partial "no decision yet"
	refute_output --partial "at ?"
}

@test "lists what pp-drain and pp-provision did after the snapshot, not before it" {
	# pp-provision creates its node after pp-fleetstats' snapshot: the
	# snapshot does not show it, the events do
	with_history
	run --separate-stderr pp-status --now 2026-11-27T18:00:30Z --json
	assert_success
	jq_is '.since_snapshot.events | length' 0
	jq_is .since_snapshot.more 0
	# the next cycle, with 6 more 8 GB game servers: its snapshot,
	# and what came after it
	jq '(.nodes[] | select(.id == "ded-fsn1-2") | .containers) +=
		[range(0; 6) | {id: ("y\(.)"), ram_mb: 8192,
		state: "running", players: 1}]' "$PP_STATE_DIR/registry.json" \
		> "$BATS_TEST_TMPDIR/reg" &&
		mv "$BATS_TEST_TMPDIR/reg" "$PP_STATE_DIR/registry.json"
	t=2026-11-27T18:02:00Z
	pp-fleetstats --now $t | pp-decide -q --now $t |
		pp-provision -q --now $t > /dev/null
	# its pp-provision created nodes and found the 17:59 one ready
	want=$(jq -rs '[.[] | select(.time == "2026-11-27T18:02:00Z" and
		.tool == "pp-provision") | .type + " " + .node] | reverse |
		join(",")' "$PP_STATE_DIR/events.jsonl")
	[[ $want == *"node.provisioning "* && $want == *"node.added "* ]] ||
		fail "the cycle at 18:02 did not provision: $want"
	node=$(jq -r 'select(.type == "node.provisioning" and
		.time == "2026-11-27T18:02:00Z") | .node' \
		"$PP_STATE_DIR/events.jsonl" | tail -n 1)
	run --separate-stderr pp-status --now 2026-11-27T18:02:30Z --json
	assert_success
	jq_is .since_snapshot.source "$PP_STATE_DIR/events.jsonl"
	# newest first; pp-decide's own event is its decision, above; the
	# 17:59 cycle's events came before the snapshot
	jq_is '.since_snapshot.events | map(.type + " " + .node) | join(",")' \
		"$want"
	run --separate-stderr pp-status --now 2026-11-27T18:02:30Z
	assert_output --regexp $'\nAFTER THE SNAPSHOT\nTIME +EVENT +NODE +RESULT +WHAT\n2026-11-27T18:02:00Z  node.provisioning '"$node"' +success  [a-z0-9]+ in nbg1, server [0-9]+: [a-z]+: '
	# a later snapshot shows that node; nothing came after it
	pp-fleetstats --now 2026-11-27T18:04:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T18:04:30Z
	assert_output --regexp $'\nAFTER THE SNAPSHOT\nnone$'
}

# An event as pp-provision writes it (from a real cycle, before the
# snapshot with_history takes at 18:00), as a template: like EVENT
# TIME NODE [REASON] prints it with those fields changed.
like() {
	jq -c --arg t "$2" --arg n "$3" --arg r "${4-}" \
		'.time = $t | .node = $n | if $r != "" then .reason = $r
		else . end' <<< "$1"
}

provision_event() {
	with_history
	jq -c 'select(.tool == "pp-provision" and
		.type == "node.provisioning")' "$PP_STATE_DIR/events.jsonl" |
		head -n 1
}

@test "after the snapshot: the newest 20 events, lines that are not events skipped" {
	ev=$(provision_event)
	[[ -n $ev ]] || fail "the cycle wrote no node.provisioning event"
	{
		for i in $(seq 10 34); do
			like "$ev" "2026-11-27T18:00:${i}Z" "n$i" "r$i"
		done
		echo 'not an event'
		jq -c 'del(.time)' <<< "$ev"
		like "$ev" 2026-11-27T17:59:59Z old
		printf '%s' "$(like "$ev" 2026-11-27T18:00:50Z cut)" | head -c 40
	} >> "$PP_STATE_DIR/events.jsonl"
	run --separate-stderr pp-status --now 2026-11-27T18:01:00Z --json
	assert_success
	jq_is '.since_snapshot.events | length' 20
	jq_is '.since_snapshot.events[0].node' n34
	jq_is '.since_snapshot.events[19].node' n15
	jq_is .since_snapshot.more 5
	run --separate-stderr pp-status --now 2026-11-27T18:01:00Z
	assert_output --regexp "2026-11-27T18:00:34Z  node.provisioning n34         success  cx[0-9]+ in nbg1, server [0-9]+: r34"
	assert_output --partial "and 5 earlier (pp-status --json lists 20; the events file has them all)"
	refute_output --regexp "old|cut"
}

# sized EVENT TIME NODE: like, with the reason padded so that the line
# is 64 KiB with its newline (few events to parse under valgrind)
sized() {
	local l
	l=$(like "$1" "$2" "$3" x)
	like "$1" "$2" "$3" "$(printf "%0$((65536 - ${#l}))d" 0)"
}

@test "after the snapshot: a big events file is read from its last 4 MiB only" {
	ev=$(provision_event)
	[[ -n $ev ]] || fail "the cycle wrote no node.provisioning event"
	# 6 MiB of 64 KiB events after the snapshot, the last n-last: the
	# last 4 MiB start on a line's first byte, so they hold 64 whole
	# events, 20 shown and 44 more
	yes "$(sized "$ev" 2026-11-27T18:00:30Z n-old)" | head -n 95 \
		> "$PP_STATE_DIR/events.jsonl"
	sized "$ev" 2026-11-27T18:00:40Z n-last >> "$PP_STATE_DIR/events.jsonl"
	[[ $(stat -c %s "$PP_STATE_DIR/events.jsonl") == $((6 << 20)) ]] ||
		fail "the file is not 6 MiB"
	run --separate-stderr pp-status --now 2026-11-27T18:01:00Z --json
	assert_success
	jq_is '.since_snapshot.events[0].node' n-last
	jq_is '.since_snapshot.events | length' 20
	jq_is .since_snapshot.more 44
	# one byte more in the last line: the tail starts a byte into a
	# line, which is cut and skipped
	sed -i '$s/^{/{ /' "$PP_STATE_DIR/events.jsonl"
	run --separate-stderr pp-status --now 2026-11-27T18:01:00Z --json
	jq_is .since_snapshot.more 43
}

@test "an unreadable events file costs that section and a warning, not the report" {
	pp-fleetstats --now 2026-11-27T18:00:00Z > /dev/null
	# a directory where the file should be: it opens, reading fails
	# (for root too, unlike a mode of 000)
	mkdir "$PP_STATE_DIR/events.jsonl"
	run --separate-stderr pp-status --now 2026-11-27T18:01:00Z --json
	assert_success
	jq_is .since_snapshot null
	[[ $stderr == *"cannot read events file '$PP_STATE_DIR/events.jsonl'"* ]] ||
		fail "no warning on stderr: $stderr"
	run --separate-stderr pp-status --now 2026-11-27T18:01:00Z
	assert_success
	refute_output --partial "AFTER THE SNAPSHOT"
}

@test "shows the cooldown and the windows with the time left" {
	with_history
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z --json
	assert_success
	jq_is '.policies[] | select(.name == "reactive") | .cooldown.left_seconds' 120
	jq_is '.policies[] | select(.name == "reactive") | .cooldown.until' 2026-11-27T18:04:00Z
	jq_is '.windows[] | select(.name == "reactive.down_after_up") | .left_seconds' 420
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z
	assert_output --regexp "reactive +yes +10 +[a-z]+ +2m00s left"
	assert_output --partial "since 2026-11-27T17:59:00Z, 7m00s left"
	# once over, they say so
	run --separate-stderr pp-status --now 2026-11-27T19:00:00Z --json
	jq_is '.policies[] | select(.name == "reactive") | .cooldown.left_seconds' 0
	jq_is '.policies[] | select(.name == "reactive") | .cooldown.active' false
}

@test "shows since when capacity has been below the scale-down threshold" {
	jq '.nodes[].containers = []' "$TOP/share/examples/registry.json" \
		> "$PP_STATE_DIR/registry.json"
	decides 2026-11-27T17:50:00Z 2026-11-27T18:00:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z --json
	assert_success
	jq_is '.windows[] | select(.name == "reactive.down_window") | .since' 2026-11-27T17:50:00Z
	jq_is '.windows[] | select(.name == "reactive.down_window") | .left_seconds' 480
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z
	assert_output --partial "since 2026-11-27T17:50:00Z, 8m00s left"
}

@test "a changed cooldown in the config changes the time left" {
	local_cloud <<'EOC'
policies:
  reactive:
    cooldown: 10m
EOC
	cycles 8 2026-11-27T17:59:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z --json
	jq_is '.policies[] | select(.name == "reactive") | .cooldown.left_seconds' 420
}

@test "lists the last actions newest first with their results" {
	local_cloud </dev/null
	# a scale-up acted on, one decided but never provisioned, another
	cycles 8 2026-11-27T17:00:00Z
	cycles 14
	pp-fleetstats --now 2026-11-27T17:30:00Z |
		pp-decide -q --now 2026-11-27T17:30:00Z > /dev/null
	cycles 20 2026-11-27T17:59:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z --json
	jq_is '.last_actions | map(.at) | join(",")' \
		2026-11-27T17:59:00Z,2026-11-27T17:30:00Z,2026-11-27T17:00:00Z
	jq_is '.last_actions | map(.result // "-") | join(",")' success,-,success
	jq_is '.last_actions | map(.action) | unique | join(",")' scale_up
	jq_is .decision.at 2026-11-27T17:59:00Z
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z -n 1 --json
	jq_is '.last_actions | length' 1
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z
	assert_output --regexp "2026-11-27T17:59:00Z +scale_up( x[0-9]+)? +reactive +success +reactive: capacity"
	assert_output --regexp "2026-11-27T17:30:00Z +scale_up( x[0-9]+)? +reactive +- +"
}

@test "the spare target follows the schedule, holidays and limits" {
	# now (UTC)            config                          wanted
	while IFS='|' read -r now cfg want; do
		printf 'profile: seed\n%b' "$cfg" > "$PP_CONFIG"
		run --separate-stderr pp-status --now "$now" --json
		# (no pipeline has run: a report not to be believed)
		assert_failure 3
		jq_is .spares.wanted "$want"
	done <<'EOT'
2026-11-27T18:00:00Z||3
2026-11-23T10:00:00Z||1
2026-11-22T22:30:00Z||1
2026-11-21T23:30:00Z||1
2026-11-23T10:00:00Z|holidays: [2026-11-23]\n|3
2026-11-27T18:00:00Z|policies:\n  spare:\n    max_spares: 2\n|2
2026-11-23T10:00:00Z|policies:\n  spare:\n    min_spares: 2\n|2
2026-11-27T18:00:00Z|policies:\n  spare:\n    enabled: false\n|0
2026-11-23T18:00:00Z|policies:\n  spare:\n    schedule:\n      - {days: mon, hours: 17-23, spares: 4}\n      - {spares: 0}\n|4
2026-11-23T10:00:00Z|policies:\n  spare:\n    schedule:\n      - {days: mon, hours: 17-23, spares: 4}\n      - {spares: 0}\n|0
EOT
}

@test "shows the spares present from the snapshot" {
	with_history
	run --separate-stderr pp-status --now 2026-11-27T18:00:00Z --json
	jq_is .spares.present 1
	run --separate-stderr pp-status --now 2026-11-27T18:00:00Z
	assert_output --partial "spares     1 present, 3 wanted now"
}

@test "evaluates with the slot size pp-decide remembers, not only the one running now" {
	printf 'timezone: UTC\n' > "$PP_CONFIG"
	# a cycle sees 16 GB game servers, and the headroom remembers
	# their size for policies.headroom.memory; then they are gone
	pp-fleetstats --now 2026-11-27T18:00:00Z |
		pp-decide -q --now 2026-11-27T18:00:00Z > /dev/null
	jq '(.nodes[].containers[]? | select(.ram_mb == 16384) |
		.ram_mb) = 12288' "$TOP/share/examples/registry.json" \
		> "$PP_STATE_DIR/registry.json"
	pp-fleetstats --now 2026-11-27T18:02:00Z > "$BATS_TEST_TMPDIR/doc"
	want=$(pp-decide --dry-run --now 2026-11-27T18:02:00Z \
		< "$BATS_TEST_TMPDIR/doc" |
		jq -c '.decision.evaluations | map([.policy, .verdict, .reason])')
	[[ $want == *"free slots of 16384 MB"* ]] ||
		fail "pp-decide did not remember the slot: $want"
	run --separate-stderr pp-status --now 2026-11-27T18:02:00Z --json
	assert_success
	jq_is '.policies | map([.name, .verdict, .reason])' "$want"
}

@test "counts spares as the engine does: one too small for a slot apart" {
	# the shipped profile: the example's idle spare (a cx33, 8 GB) is
	# too small for the headroom's 16 GB slot, so the engine does not
	# count it as a spare
	printf 'timezone: UTC\n' > "$PP_CONFIG"
	pp-fleetstats --now 2026-11-27T18:00:00Z > "$BATS_TEST_TMPDIR/doc"
	pp-decide --dry-run --now 2026-11-27T18:00:00Z \
		< "$BATS_TEST_TMPDIR/doc" > "$BATS_TEST_TMPDIR/dec"
	spares=$(jq .decision.figures.spares "$BATS_TEST_TMPDIR/dec")
	small=$(jq '.decision.evaluations[] | select(.policy == "headroom") |
		.figures.small_spares' "$BATS_TEST_TMPDIR/dec")
	[[ $spares == 0 && $small == 1 ]] ||
		fail "pp-decide counts $spares spares and $small small ones"
	run --separate-stderr pp-status --now 2026-11-27T18:00:00Z --json
	assert_success
	jq_is .spares.present "$spares"
	jq_is .spares.too_small "$small"
	jq_is .spares.slot_mb 16384
	run --separate-stderr pp-status --now 2026-11-27T18:00:00Z
	assert_output --partial "spares     0 present (and 1 idle, too small for a 16384 MB slot), 0 wanted now"
}

@test "shows drains in progress" {
	jq '(.nodes[] | select(.id == "cloud-91be") | .status) = "draining"' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	pp-fleetstats > /dev/null
	run --separate-stderr pp-status --json
	jq_is '.drains | map(.node) | join(",")' cloud-91be
	jq_is '.drains[0].containers' 2
	run --separate-stderr pp-status
	assert_output --partial "drains     cloud-91be (2 game servers"
}

@test "says which drains the pipeline leaves as they are, and why" {
	# cordoned by hand, its game servers still on it (no move command)
	pp-drain -q --node ded-fsn1-2 > /dev/null || true
	pp-fleetstats > /dev/null
	run --separate-stderr pp-status --json
	jq_is '.drains | map(.node) | join(",")' ded-fsn1-2
	jq_is '.drains[0].left' "drained by hand for maintenance: the pipeline neither finishes nor returns it ('pp-drain --node ded-fsn1-2 --uncordon' does)"
	jq_is '.unrecorded_moves' '[]'
	run --separate-stderr pp-status
	assert_output --partial "drains     ded-fsn1-2 (14 game servers"
	assert_output --partial " players left; drained by hand for maintenance: the pipeline neither finishes nor returns it ('pp-drain --node ded-fsn1-2 --uncordon' does))"
	refute_output --partial "unrecorded"
}

@test "names unhealthy nodes, which have no capacity and the pipeline leaves alone; none, no line" {
	pp-fleetstats > /dev/null
	run --separate-stderr pp-status
	refute_output --partial "unhealthy"
	run --separate-stderr pp-status --json
	jq_is '.unhealthy' '[]'
	pp-registry -q status cloud-91be unhealthy
	pp-registry -q status ded-fsn1-2 unhealthy
	pp-fleetstats > /dev/null
	run --separate-stderr pp-status --json
	jq_is '[.unhealthy[] | "\(.node):\(.kind):\(.containers)"] | join(",")' \
		ded-fsn1-2:dedicated:14,cloud-91be:cloud:2
	jq_is '.unhealthy[1].allocated_ram_mb' 3072
	run --separate-stderr pp-status
	assert_output --partial "unhealthy  ded-fsn1-2 (dedicated, 14 game servers"
	assert_output --partial ", cloud-91be (cloud, 2 game servers, 3072 MB, 1 players): no capacity, left alone by the pipeline"
}

@test "shows each server of an earlier run that pp-provision saw off, its looks and its power-on; none, no line" {
	load 'test_helper/provision'
	prov_fake_test
	pp-fleetstats --now 2026-11-27T10:00:00Z > /dev/null
	run --separate-stderr pp-status --now 2026-11-27T10:00:00Z
	refute_line --regexp "^off "
	run --separate-stderr pp-status --json --now 2026-11-27T10:00:00Z
	jq_is '.off_servers' '[]'
	# a node an earlier run left provisioning, its server off with
	# nothing running on it (as in t/3200)
	sid=$(off_node)
	pp-provision -q --now 2026-11-27T10:00:00Z < <(decision none) >/dev/null
	run --separate-stderr pp-status --json --now 2026-11-27T10:00:00Z
	jq_is '.off_servers | length' 1
	jq_is '.off_servers[0] | [.server_id, .node, .since, .at, .looks,
		.powered_on] | map(tostring) | join(",")' \
		"$sid,pp-off111,2026-11-27T10:00:00Z,2026-11-27T10:00:00Z,1,null"
	run --separate-stderr pp-status --now 2026-11-27T10:00:00Z
	assert_output --partial "off        pp-off111 (server $sid) since 2026-11-27T10:00:00Z, 1 look in a row: still booting from an earlier run, off with nothing running; pp-provision powers it on once if it stays so"
	# the second look powers it on; kept off, its looks start again
	fake_fault '{"method": "POST", "path": "/servers/",
		"action_error": {"code": "server_error",
		"message": "cannot start"}}' >/dev/null
	pp-provision -q --now 2026-11-27T10:01:00Z < <(decision none) >/dev/null
	pp-provision -q --now 2026-11-27T10:02:00Z < <(decision none) >/dev/null
	run --separate-stderr pp-status --json --now 2026-11-27T10:02:00Z
	jq_is '.off_servers[0] | [.looks, .powered_on] | map(tostring) |
		join(",")' "1,2026-11-27T10:01:00Z"
	run --separate-stderr pp-status --now 2026-11-27T10:02:00Z
	assert_output --partial "off        pp-off111 (server $sid) since 2026-11-27T10:00:00Z, 1 look in a row since its power-on at 2026-11-27T10:01:00Z: still off; pp-provision deletes it as a failed boot if it stays so"
}

@test "tolerates state sections it does not know or that have the wrong shape" {
	echo '{"version": 1, "decide": [1, 2], "provision": {"x": 1}}' \
		> "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-status
	assert_success
	assert_output --partial "no decision yet"
}

@test "refuses a corrupt state file and names it" {
	echo '{"decide": ' > "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-status
	assert_failure 2
	assert_stderr_contains "state file '$PP_STATE_DIR/state.json' is corrupt"
}

@test "refuses a state file or snapshot of a newer version, as pp-decide does" {
	local_cloud </dev/null
	cycles 0 2026-11-27T18:00:00Z
	cp "$PP_STATE_DIR/state.json" "$BATS_TEST_TMPDIR/state.json"
	jq '.version = 99' "$BATS_TEST_TMPDIR/state.json" > "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-status --now 2026-11-27T18:00:00Z
	assert_failure 2
	assert_stderr_contains "state file '$PP_STATE_DIR/state.json' has unsupported version '99'"
	assert_output ""
	cp "$BATS_TEST_TMPDIR/state.json" "$PP_STATE_DIR/state.json"
	jq '.version = 99' "$PP_STATE_DIR/last.json" > "$BATS_TEST_TMPDIR/last.json"
	mv "$BATS_TEST_TMPDIR/last.json" "$PP_STATE_DIR/last.json"
	run --separate-stderr pp-status --now 2026-11-27T18:00:00Z
	assert_failure 2
	assert_stderr_contains "snapshot '$PP_STATE_DIR/last.json' has unsupported version '99'"
	assert_output ""
}

@test "rejects a bad --actions count and a stray argument" {
	run --separate-stderr pp-status -n lots
	assert_failure 2
	assert_stderr_contains "bad --actions 'lots'"
	run --separate-stderr pp-status extra
	assert_failure 2
}

@test "--state-dir picks another state directory" {
	with_history
	mv "$PP_STATE_DIR" "$BATS_TEST_TMPDIR/other"
	mkdir "$PP_STATE_DIR"
	run --separate-stderr pp-status --state-dir "$BATS_TEST_TMPDIR/other" --json
	jq_is .decision.action scale_up
}
