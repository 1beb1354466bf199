#!/usr/bin/env bats
# The history store: one sample per run (per minute at most), windows
# over irregular gaps, bounded retention, corrupt stores set aside.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	REG="$BATS_TEST_TMPDIR/registry.json"
}

# run_at TIME RAM: one pp-fleetstats run at TIME with container e (on
# cloud-a) holding RAM MB, so allocated = 17408 + RAM
run_at() {
	jq --argjson ram "$2" \
		'(.nodes[] | select(.id=="cloud-a") | .containers[0].ram_mb) = $ram' \
		"$FIXTURES/small-registry.json" > "$REG"
	run --separate-stderr pp-fleetstats -r "$REG" --now "$1"
	assert_success
}

@test "1 h and 24 h windows over irregular gaps, by hand" {
	run_at 2026-11-27T10:00:00Z 8192    # 25600
	run_at 2026-11-27T10:10:30Z 2048    # 19456
	run_at 2026-11-27T10:45:00Z 10240   # 27648
	run_at 2026-11-27T11:05:00Z 6144    # 23552
	# 1 h window (10:05, 11:05]: 19456, 27648, 23552
	jq_is .history.samples_1h 3
	jq_is .history.avg_1h_allocated_mb 23552
	# 24 h: all four, mean 24064, peak 27648
	jq_is .history.samples_24h 4
	jq_is .history.avg_24h_allocated_mb 24064
	jq_is .history.peak_24h_allocated_mb 27648
	jq_is .history.samples 4
	jq_is .history.oldest 2026-11-27T10:00:00Z
}

@test "hours without runs leave the 1 h window with only the current sample" {
	run_at 2026-11-27T01:00:00Z 8192
	run_at 2026-11-27T09:00:00Z 2048
	jq_is .history.samples_1h 1
	jq_is .history.avg_1h_allocated_mb 19456
	jq_is .history.samples_24h 2
	jq_is .history.avg_24h_allocated_mb 22528
}

@test "a second run in the same minute replaces that minute's sample" {
	run_at 2026-11-27T10:00:05Z 8192
	run_at 2026-11-27T10:00:50Z 2048
	jq_is .history.samples 1
	jq_is .history.avg_1h_allocated_mb 19456
	[ "$(grep -vc '^#' "$PP_STATE_DIR/history")" -eq 1 ]
}

@test "samples older than the retention are pruned, 15 days are kept" {
	run_at 2026-11-02T00:00:00Z 8192
	run_at 2026-11-11T00:00:00Z 8192
	run_at 2026-11-16T00:00:00Z 8192
	jq_is .history.samples 3
	run_at 2026-11-27T00:00:00Z 8192
	# 11-02 and 11-11 are over 15 days old now; 11-16 is 11 days old
	jq_is .history.samples 2
	jq_is .history.oldest 2026-11-16T00:00:00Z
}

@test "the store stays bounded with a run every 10 seconds" {
	# write 6 h of per-10 s samples through the store's own code path
	run "$BUILD/unit/histtool" fill "$PP_STATE_DIR/history" \
		2026-11-27T00:00:00Z 10 2160
	assert_success
	[ "$(grep -vc '^#' "$PP_STATE_DIR/history")" -eq 360 ]
}

@test "--no-record computes the same figures and writes nothing" {
	run_at 2026-11-27T10:00:00Z 8192
	local before
	before=$(files_sum "$PP_STATE_DIR/history")
	jq '(.nodes[] | select(.id=="cloud-a") | .containers[0].ram_mb) = 2048' \
		"$FIXTURES/small-registry.json" > "$REG"
	run --separate-stderr pp-fleetstats -r "$REG" --no-record \
		--now 2026-11-27T10:30:00Z
	assert_success
	jq_is .history.samples_1h 2
	jq_is .history.avg_1h_allocated_mb 22528
	[ "$before" = "$(files_sum "$PP_STATE_DIR/history")" ]
	run --separate-stderr pp-fleetstats -r "$REG" --dry-run \
		--now 2026-11-27T10:31:00Z
	assert_success
	[ "$before" = "$(files_sum "$PP_STATE_DIR/history")" ]
}

@test "a corrupt history store is reported and set aside, never truncated" {
	printf '# ppscale history 1\n1795766400 1 2 3\ngarbage here\n' \
		> "$PP_STATE_DIR/history"
	local sum
	sum=$(sha256sum < "$PP_STATE_DIR/history")
	run_at 2026-11-27T10:00:00Z 8192
	assert_stderr_contains "history '$PP_STATE_DIR/history' is corrupt: line 3"
	assert_stderr_contains "set aside as '$PP_STATE_DIR/history.corrupt."
	jq_is .history.samples 1
	local aside
	aside=$(ls "$PP_STATE_DIR"/history.corrupt.*)
	[ "$(sha256sum < "$aside")" = "$sum" ]
}

@test "with --no-record a corrupt store is reported and left alone" {
	printf 'not a history\n' > "$PP_STATE_DIR/history"
	run --separate-stderr pp-fleetstats --no-record -r "$FIXTURES/small-registry.json"
	assert_success
	assert_stderr_contains "is corrupt: line 1: not a ppscale history file"
	[ "$(cat "$PP_STATE_DIR/history")" = "not a history" ]
	[ -z "$(ls "$PP_STATE_DIR" | grep corrupt)" ]
}

@test "a lock held past the wait is named as held, not as a network timeout (15 s)" {
	run_at 2026-11-27T10:00:00Z 8192
	# the test holds the snapshot's lock and the server-type cache's
	# for longer than pp-fleetstats waits (10 s and 5 s); the run still
	# writes its document
	[[ -s "$PP_STATE_DIR/catalog.json" ]]
	rm "$PP_STATE_DIR/catalog.json"
	exec 9> "$PP_STATE_DIR/last.json.lock"
	flock -x 9
	exec 8> "$PP_STATE_DIR/catalog.json.lock"
	flock -x 8
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:02:00Z
	exec 9>&- 8>&-
	assert_success
	assert_stderr_contains "cannot lock snapshot '"
	assert_stderr_contains "last.json': still held by another process when the wait ran out"
	assert_stderr_contains "cannot cache the server types in '"
	assert_stderr_contains "catalog.json': still held by another process when the wait ran out"
	refute_stderr_contains "timed out"
	jq_is .history.samples_1h 2
	[[ ! -e "$PP_STATE_DIR/catalog.json" ]]
}

@test "a history lock file that cannot be opened is the setup's: exit 2, no document" {
	run_at 2026-11-27T10:00:00Z 8192
	# a directory in its place: root cannot open it either
	rm -f "$PP_STATE_DIR/history.lock"
	mkdir "$PP_STATE_DIR/history.lock"
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:02:00Z
	assert_failure 2
	assert_stderr_contains "cannot lock history '"
	assert_stderr_contains "history.lock'"
	assert_output ""
	# --no-record takes no lock
	run --separate-stderr pp-fleetstats --no-record -r "$REG" \
		--now 2026-11-27T10:02:00Z
	assert_success
	jq_is .history.samples 2
}
