#!/usr/bin/env bats
# Security hygiene: no core dumps, history values in range, an open state
# directory named, file modes and owners kept when a file is rewritten,
# temporaries of killed writers cleaned, no leak on a corrupt state file.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	REG="$FIXTURES/small-registry.json"
}

# core_limit_of TOOL ARGS...: the core size limit the running tool has,
# started with core dumps allowed and HCLOUD_TOKEN in its environment
core_limit_of() {
	local fifo="$BATS_TEST_TMPDIR/in" pid limit= i exe
	rm -f "$fifo"
	mkfifo "$fifo"
	exec 3<>"$fifo"   # a writer, so the tool blocks reading stdin
	(exec 3>&-
	 ulimit -S -c unlimited 2>/dev/null || ulimit -S -c 4096
	 HCLOUD_TOKEN=tok-secret exec "$@" <"$fifo" >/dev/null 2>&1) &
	pid=$!
	# until the subshell has become the tool
	exe=$(readlink -f "$(command -v "$1")")
	for ((i = 0; i < 200; i++)); do
		[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] && break
		sleep 0.05
	done
	for ((i = 0; i < 40; i++)); do
		limit=$(awk '/^Max core file size/ { print $5 }' \
			"/proc/$pid/limits" 2>/dev/null)
		[[ $limit == 0 ]] && break
		sleep 0.05
	done
	exec 3>&-
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	echo "$limit"
}

@test "tools that can hold a token run with core dumps off" {
	local t
	for t in pp-provision pp-decide pp-drain; do
		run core_limit_of "$t"
		assert_output 0
	done
	# the check sees a limit that was not turned off
	run core_limit_of cat
	refute_output 0
}

# Each row: a value written over the second sample's allocated MB.
@test "a history value out of range is reported and set aside, never clamped" {
	local v
	for v in 99999999999999999999 9223372036854775807 1099511627777; do
		rm -f "$PP_STATE_DIR"/history*
		run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:00:00Z
		assert_success
		run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:05:00Z
		assert_success
		sed -i "3s/^\([0-9]*\) [0-9]*/\1 $v/" "$PP_STATE_DIR/history"
		grep -q " $v " "$PP_STATE_DIR/history"
		run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:10:00Z
		assert_success
		assert_stderr_contains "history '$PP_STATE_DIR/history' is corrupt: line 3: allocated MB '$v' out of range"
		ls "$PP_STATE_DIR"/history.corrupt.* >/dev/null
		jq_is .history.samples 1
	done
}

@test "a world-writable state directory draws a warning" {
	chmod 0777 "$PP_STATE_DIR"
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:00:00Z
	assert_success
	assert_stderr_contains "directory '$PP_STATE_DIR' is writable by everyone (mode 0777)"
	chmod 0755 "$PP_STATE_DIR"
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:05:00Z
	assert_success
	refute_stderr_contains "writable by everyone"
}

@test "a rewritten registry keeps its mode and owner" {
	load 'test_helper/drain'
	reg_init
	reg_node S cloud ready 8000 a:1000
	reg_node T cloud ready 8000
	reg_write
	chmod 0664 "$REGISTRY"
	if [[ $(id -u) == 0 ]]; then
		chown 65534:65534 "$REGISTRY"
	fi
	owner=$(stat -c %u:%g "$REGISTRY")
	drain_config
	# cordons S: the registry is rewritten
	run --separate-stderr pp-drain --node S --now 2026-11-27T10:00:00Z
	reg_is '(.nodes[] | select(.id == "S")).status' draining
	[[ $(stat -c %a "$REGISTRY") == 664 ]] ||
		fail "mode $(stat -c %a "$REGISTRY"), not 664"
	[[ $(stat -c %u:%g "$REGISTRY") == "$owner" ]] ||
		fail "owner $(stat -c %u:%g "$REGISTRY"), not $owner"
}

@test "a private file rewritten stays private, however it was before" {
	printf 'tok-1234\n' > "$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	printf 'cloud_init:\n  conductor_addresses: [203.0.113.7]\n  join_token_file: %s\n' \
		"$BATS_TEST_TMPDIR/token" > "$PP_CONFIG"
	echo old > "$BATS_TEST_TMPDIR/ud"
	chmod 0644 "$BATS_TEST_TMPDIR/ud"
	run --separate-stderr pp-cloudinit --node pp-1 -o "$BATS_TEST_TMPDIR/ud"
	assert_success
	[[ $(stat -c %a "$BATS_TEST_TMPDIR/ud") == 600 ]]
	grep -q tok-1234 "$BATS_TEST_TMPDIR/ud"
}

@test "temporaries left by a killed writer are removed under the lock; fresh ones stay" {
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:00:00Z
	assert_success
	local old="$PP_STATE_DIR/history.tmp.Ab12Cd" new="$PP_STATE_DIR/history.tmp.Xy34Zw"
	local other="$PP_STATE_DIR/history.tmp.not-ours"
	# what pp_write_atomic leaves when killed before its rename
	echo "# ppscale history 1" | tee "$old" "$new" "$other" >/dev/null
	touch -d '-2 hours' "$old" "$other"
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-27T10:05:00Z
	assert_success
	[[ ! -e $old ]] || fail "the stale temporary is still there"
	[[ -e $new ]] || fail "a fresh temporary (a writer at work) was removed"
	[[ -e $other ]] || fail "a file not named like our temporaries was removed"
	assert_stderr_contains "removed '$old', left by a writer that was killed"
}

@test "pp-provision on a corrupt state file says so, fails and leaks nothing" {
	load 'test_helper/provision'
	prov_setup local
	# the state file as pp-provision writes it, then cut short
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	[[ -s "$PP_STATE_DIR/state.json" ]]
	truncate -s 5 "$PP_STATE_DIR/state.json"
	# under SANITIZE=1 a leak fails the run (LeakSanitizer's exit
	# status); the counters it cannot record fail it with 1
	run --separate-stderr pp-provision --now 2026-11-27T10:05:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_failure 1
	assert_stderr_contains "state file '$PP_STATE_DIR/state.json' is corrupt"
}
