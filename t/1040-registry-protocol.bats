#!/usr/bin/env bats
# The registry file protocol (ppscale-registry(5)): a lock that cannot
# be taken stops the tool, a symlinked registry is written through to
# its target, mode and owner survive a rewrite, and ids and addresses
# are checked when read.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	load 'test_helper/drain'
	pp_isolate
	reg_init
	drain_config
	reg_node DED dedicated ready 64000 a:4000:running:3
	reg_node S cloud ready 8000 b:2000:running:5
	reg_node T cloud ready 8000
}

# as_nobody CMD...: runs CMD as an unprivileged user (root ignores file
# modes, so EACCES can only be shown as someone else)
as_nobody() {
	if [[ $(id -u) = 0 ]]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			env PATH="${NOBODY_PATH:-$PATH}" \
			PP_CONFIG="$SHARED/ppscale.yaml" \
			PP_STATE_DIR="$SHARED/state" HOME="$SHARED" "$@"
	else
		env PP_CONFIG="$SHARED/ppscale.yaml" \
			PP_STATE_DIR="$SHARED/state" HOME="$SHARED" "$@"
	fi
}

# a directory both root and the unprivileged user can use
shared_dir() {
	SHARED=$(mktemp -d /tmp/pp-1040.XXXXXX)
	chmod 1777 "$SHARED"
	mkdir -m 777 "$SHARED/state"   # not sticky: both rename over the file
	cp "$PP_CONFIG" "$SHARED/ppscale.yaml"
	chmod 644 "$SHARED/ppscale.yaml"
	REGISTRY="$SHARED/state/registry.json"
	reg_write
	chmod 666 "$REGISTRY"
	NOBODY_PATH=$(nobody_path "$SHARED") ||
		skip "the build is not reachable for an unprivileged user"
	as_nobody pp-fleetstats --version > /dev/null ||
		fail "the tools do not run as an unprivileged user"
}

teardown() {
	[[ -n ${SHARED:-} && -d $SHARED ]] && rm -rf "$SHARED"
	return 0
}

@test "a lock file that cannot be opened stops readers and writers with exit 2, naming it and why" {
	reg_write
	ln -s registry.json.lock "$REGISTRY.lock"   # a loop: ELOOP
	local before
	before=$(files_sum "$REGISTRY")
	run --separate-stderr pp-fleetstats --no-record
	assert_failure 2
	assert_stderr_contains "lock file '$REGISTRY.lock'"
	assert_stderr_contains "Too many levels of symbolic links"
	assert_output ""
	run --separate-stderr pp-drain --node S < /dev/null
	assert_failure 2
	assert_stderr_contains "lock file '$REGISTRY.lock'"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
	[ ! -e "$HOOK_LOG" ]
}

# A reader never creates the lock file (writers replace the registry
# by rename, so a reader without one reads a whole file either way): a
# registry in a directory the reader cannot write (the platform's, a
# read-only mount) is read, with the platform's lock file or without.
@test "readers leave no lock file and read a registry in a directory they cannot write" {
	local tool lock
	reg_write
	for tool in "pp-fleetstats --no-record" "pp-registry show S" \
		"pp-drain --dry-run --node S"; do
		run --separate-stderr $tool < /dev/null
		[[ $status = 0 ]] || fail "$tool: $stderr"
		[[ ! -e $REGISTRY.lock ]] || fail "$tool created the lock file"
	done
	shared_dir
	[[ $(id -u) = 0 ]] || skip "needs root to play the other user"
	mkdir -m 755 "$SHARED/ro"
	mv "$REGISTRY" "$SHARED/ro/registry.json"
	chmod 644 "$SHARED/ro/registry.json"
	for lock in none platform; do
		[[ $lock = platform ]] && : > "$SHARED/ro/registry.json.lock"
		for tool in "pp-fleetstats --no-record" "pp-registry show S" \
			"pp-drain --dry-run --node S"; do
			run --separate-stderr as_nobody $tool \
				-r "$SHARED/ro/registry.json" < /dev/null
			[[ $status = 0 ]] || fail "$tool ($lock): $stderr"
		done
		run ls -A "$SHARED/ro"
		if [[ $lock = none ]]; then
			assert_output "registry.json"
		else
			assert_output "registry.json
registry.json.lock"
		fi
	done
}

@test "a lock file another user keeps unreadable stops the tool with exit 2, never an unlocked read or write" {
	shared_dir
	: > "$REGISTRY.lock"
	chmod 600 "$REGISTRY.lock"      # root's, like a platform's own
	[[ $(id -u) = 0 ]] || skip "needs root to play the other user"
	local before
	before=$(files_sum "$REGISTRY")
	run --separate-stderr as_nobody pp-fleetstats --no-record
	assert_failure 2
	assert_stderr_contains "lock file '$REGISTRY.lock': Permission denied"
	run --separate-stderr as_nobody pp-drain --node S < /dev/null
	assert_failure 2
	assert_stderr_contains "lock file '$REGISTRY.lock': Permission denied"
	[ "$(files_sum "$REGISTRY")" = "$before" ]
}

@test "a writer uses the platform's read-only lock file and waits for the platform's lock" {
	shared_dir
	[[ $(id -u) = 0 ]] || skip "needs root to play the other user"
	: > "$REGISTRY.lock"
	chmod 644 "$REGISTRY.lock"      # the platform's, 0644
	# the platform holds the lock while it places a game server
	# (read, then write 1.5 s later: an unlocked write in between
	# would be lost)
	flock "$REGISTRY.lock" sh -c '
		jq ".nodes[2].containers += [{id: \"p1\", ram_mb: 1000,
			state: \"running\", players: 7}]" "$1" > "$1.new"
		touch "$1.held"; sleep 1.5
		mv "$1.new" "$1"' sh "$REGISTRY" &
	local platform=$!
	while [[ ! -e $REGISTRY.held ]]; do sleep 0.05; done
	run --separate-stderr as_nobody pp-drain --node S < /dev/null
	wait "$platform"
	[[ $status = 0 ]] || echo "$stderr" >&3
	assert_success
	reg_is '.nodes[1].status' draining
	reg_is '[.nodes[2].containers[].id] | join(",")' p1
}

@test "a symlinked registry is written through to its target, and both sides see each other's edits" {
	mkdir "$BATS_TEST_TMPDIR/platform"
	local target="$BATS_TEST_TMPDIR/platform/nodes.json"
	REGISTRY=$target reg_write
	ln -s "../platform/nodes.json" "$PP_STATE_DIR/registry.json.tmp"
	mv "$PP_STATE_DIR/registry.json.tmp" "$REGISTRY"
	# ppscale drains S through the link
	run --separate-stderr pp-drain --node S < /dev/null
	assert_success
	[ -L "$REGISTRY" ] || fail "the link was replaced by a file"
	[ "$(jq -r '.nodes[1].status' "$target")" = draining ]
	# the lock sits beside the target, where the platform locks too
	[ -e "$target.lock" ]
	[ ! -e "$REGISTRY.lock" ]
	# the platform places a game server on T in its own file, as
	# ppscale-registry(5) says (flock(1) and jq)
	flock "$target.lock" sh -c 'jq ".nodes[2].containers += [{id: \"p1\",
		ram_mb: 1000, state: \"running\", players: 9}]" "$1" > "$1.new" &&
		mv "$1.new" "$1"' sh "$target"
	run --separate-stderr pp-fleetstats --no-record
	assert_success
	jq_is '.nodes[] | select(.id == "T") | .players' 9
	# and ppscale's next write keeps it
	run --separate-stderr pp-drain --node S --uncordon < /dev/null
	assert_success
	[ -L "$REGISTRY" ]
	[ "$(jq -r '.nodes[1].status' "$target")" = ready ]
	[ "$(jq -r '.nodes[2].containers[0].players' "$target")" = 9 ]
}

@test "a rewrite keeps the registry's mode, owner and group" {
	reg_write
	chmod 640 "$REGISTRY"
	if [[ $(id -u) = 0 ]]; then
		chown 65534:65534 "$REGISTRY"
	fi
	local before
	before=$(stat -c '%a %u %g' "$REGISTRY")
	run --separate-stderr pp-drain --node S < /dev/null
	assert_success
	reg_is '.nodes[1].status' draining
	[ "$(stat -c '%a %u %g' "$REGISTRY")" = "$before" ] ||
		fail "mode/owner $(stat -c '%a %u %g' "$REGISTRY"), was $before"
}

# bad_value FILTER WHAT: the registry with FILTER applied is refused
# with exit 2 naming WHAT, and the move hook never runs
bad_value() {
	reg_write
	jq "$1" "$REGISTRY" > "$REGISTRY.new"
	mv "$REGISTRY.new" "$REGISTRY"
	run --separate-stderr pp-fleetstats --no-record
	assert_failure 2
	assert_stderr_contains "$2"
	assert_output ""
	run --separate-stderr pp-drain --node DED < /dev/null
	assert_failure 2
	assert_stderr_contains "$2"
	[ ! -e "$HOOK_LOG" ] || fail "the move hook ran"
}

@test "an ip that is not an address is refused when read, naming node and field" {
	bad_value '.nodes[2].ip = "-oProxyCommand=touch /tmp/x"' \
		"node 'T': field 'ip' is not an IPv4 or IPv6 address"
	bad_value '.nodes[2].ip = "example.org"' "node 'T': field 'ip'"
	bad_value '.nodes[2].ip = "10.0.0.1 "' "node 'T': field 'ip'"
	bad_value '.nodes[2].ip = ""' "node 'T': field 'ip'"
	bad_value '.nodes[2].ip = 10' "node 'T': field 'ip'"
	bad_value '.nodes[1].ip = "fe80::1%eth0"' "node 'S': field 'ip'"
}

@test "ids outside [A-Za-z0-9._-] or starting with '-' are refused when read" {
	bad_value '.nodes[2].id = "-rf"' "node 2: field 'id' is not a safe id"
	bad_value '.nodes[2].id = "a/b"' "node 2: field 'id' is not a safe id"
	bad_value '.nodes[2].id = ".."' "node 2: field 'id' is not a safe id"
	bad_value '.nodes[2].id = "a b"' "node 2: field 'id' is not a safe id"
	bad_value '.nodes[1].containers[0].id = "--delete"' \
		"node 'S': container 0: field 'id' is not a safe id"
	bad_value '.nodes[1].containers[0].id = "x;y"' \
		"node 'S': container 0: field 'id' is not a safe id"
}

@test "IPv4 and IPv6 addresses, a null ip and ids of the safe set are taken" {
	reg_write
	jq '.nodes[0].ip = "2001:db8::10" | .nodes[1].ip = "10.1.2.3" |
	    .nodes[2].ip = null | .nodes[2].id = "T_9.x-1" |
	    .nodes[1].containers[0].id = "mc.4711_a-B"' "$REGISTRY" \
		> "$REGISTRY.new"
	mv "$REGISTRY.new" "$REGISTRY"
	run --separate-stderr pp-fleetstats --no-record
	assert_success
	jq_is '[.nodes[].id] | join(",")' DED,S,T_9.x-1
}

@test "the platform editing with pp-registry and with flock+jq during pipeline cycles loses no update (20 s)" {
	run bash "$TOP/t/concurrency/platform.sh" "${PLATFORM_SECONDS:-20}"
	echo "# ${lines[-1]}" >&3
	assert_success
	assert_output --partial "lost updates: 0"
	assert_output --partial "scaling.triggered"   # the cycles acted
	refute_output --partial "game servers on deleted nodes"
}

@test "the platform check notices lost updates when the flock+jq loop leaves the lock out" {
	PP_PLATFORM_UNLOCKED=1 run bash "$TOP/t/concurrency/platform.sh" 20
	echo "# ${lines[-1]}" >&3
	assert_failure
	assert_output --partial "lost updates: some"
}
