#!/usr/bin/env bats
# pp-registry: the platform's edits of the registry under its protocol.
# t/1051-pp-registry-pg.bats is a link to this file: the same tests on
# the PostgreSQL backend (test_helper/pg.bash).
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/common'
	load 'test_helper/pg'
	pg_backend_from_name
	[[ $PP_REG_BACKEND == pg ]] && pg_start
	return 0
}

teardown_file() {
	load 'test_helper/pg'
	pg_stop
}

setup() {
	load 'test_helper/common'
	load 'test_helper/drain'
	load 'test_helper/pg'
	pp_isolate
	reg_init
	reg_node DED dedicated ready 64000 a:4000:running:3
	reg_node S cloud ready 8000 b:2000:running:5
	reg_node P cloud provisioning 8000
	reg_node D cloud draining 8000 d:1000:running:2
	reg_write
}

@test "place adds a game server to a ready node, keeping every other field" {
	run --separate-stderr pp-registry place S mc-1 1500 --players 4
	assert_success
	assert_output ""
	reg_is '[.nodes[1].containers[] | "\(.id):\(.ram_mb):\(.state):\(.players)"] | join(",")' \
		b:2000:running:5,mc-1:1500:running:4
	reg_is '.nodes[1].containers[0].extra.keep' me
	reg_is '.nodes[1].labels.team' x
	run --separate-stderr pp-registry place S mc-2 100 --state stopped
	assert_success
	reg_is '.nodes[1].containers[2].state' stopped
	reg_is '.nodes[1].containers[2].players' 0
}

@test "an edit keeps the platform's own null fields: on the node, its cloud object and its game servers" {
	REG=$(jq -c '.nodes[1] += {x_null: null, x_obj: {a: null, b: 1}} |
		.nodes[1].cloud += {x_cnull: null} |
		.nodes[1].containers[0] += {x_gnull: null}' <<<"$REG")
	reg_write
	run --separate-stderr pp-registry set S b --players 4
	assert_success
	reg_is '.nodes[1].containers[0].players' 4
	reg_is '.nodes[1] | has("x_null")' true
	reg_is '.nodes[1].x_obj | tojson' '{"a":null,"b":1}'
	reg_is '.nodes[1].cloud | has("x_cnull")' true
	reg_is '.nodes[1].containers[0] | has("x_gnull")' true
}

@test "place refuses a node that is draining or provisioning, a duplicate and one that does not fit, even with -q saying why" {
	local before
	before=$(reg_sum)
	run --separate-stderr pp-registry -q place D mc-1 100
	assert_failure 1
	assert_stderr_contains "node 'D' is draining: it takes no new game servers"
	run --separate-stderr pp-registry place P mc-1 100
	assert_failure 1
	assert_stderr_contains "node 'P' is provisioning"
	run --separate-stderr pp-registry place S a 100
	assert_failure 1
	assert_stderr_contains "game server 'a' is already on node 'DED'"
	run --separate-stderr pp-registry place S big 6001
	assert_failure 1
	assert_stderr_contains "does not fit on node 'S' (6000 of 8000 MB free)"
	run --separate-stderr pp-registry place nope mc-1 100
	assert_failure 1
	assert_stderr_contains "no node 'nope'"
	[ "$(reg_sum)" = "$before" ]
	# exactly full is a fit
	run --separate-stderr pp-registry place S fits 6000
	assert_success
}

@test "remove takes a game server off its node, and says when it is not there" {
	run --separate-stderr pp-registry remove D d
	assert_success
	reg_is '.nodes[3].containers | length' 0
	reg_is '.nodes[3].status' draining
	run --separate-stderr pp-registry remove D d
	assert_failure 1
	assert_stderr_contains "no game server 'd' on node 'D'"
}

@test "set changes a game server's players, state and RAM" {
	run --separate-stderr pp-registry set S b --players 12
	assert_success
	reg_is '.nodes[1].containers[0].players' 12
	reg_is '.nodes[1].containers[0].state' running
	run --separate-stderr pp-registry set S b --state stopping --ram 2500
	assert_success
	reg_is '"\(.nodes[1].containers[0].state) \(.nodes[1].containers[0].ram_mb) \(.nodes[1].containers[0].players)"' \
		"stopping 2500 12"
	run --separate-stderr pp-registry set S nope --players 1
	assert_failure 1
	run --separate-stderr pp-registry set S b
	assert_failure 2
	assert_stderr_contains "nothing to set"
}

@test "status marks a node ready or unhealthy, never undoes ppscale's draining" {
	run --separate-stderr pp-registry status P ready
	assert_success
	reg_is '.nodes[2].status' ready
	run --separate-stderr pp-registry status S unhealthy
	assert_success
	reg_is '.nodes[1].status' unhealthy
	run --separate-stderr pp-registry status D ready
	assert_failure 1
	assert_stderr_contains "node 'D' is draining"
	reg_is '.nodes[3].status' draining
	run --separate-stderr pp-registry status S draining
	assert_failure 2
	assert_stderr_contains "ppscale's to set"
}

@test "show prints a node or the whole registry as JSON" {
	run --separate-stderr pp-registry show S
	assert_success
	jq_is '.id' S
	jq_is '[.containers[].id] | join(",")' b
	run --separate-stderr pp-registry show
	assert_success
	jq_is '[.nodes[].id] | join(",")' DED,S,P,D
	run --separate-stderr pp-registry show nope
	assert_failure 1
	assert_output ""
}

@test "import adds a file's nodes to a registry that has nodes, and refuses one it holds" {
	local f="$BATS_TEST_TMPDIR/more.json" before
	echo '{"version": 1, "nodes": [
	  {"id": "N1", "kind": "cloud", "status": "ready", "role": "worker",
	   "total_ram_mb": 8192, "reserved_ram_mb": 512, "ip": "198.51.100.9",
	   "location": "nbg1", "cloud": {"provider": "hetzner",
	     "server_id": "4711", "server_type": "cx33"},
	   "containers": [{"id": "n1-a", "ram_mb": 1000, "state": "running",
	     "players": 2}]}]}' > "$f"
	run --separate-stderr pp-registry import "$f"
	assert_success
	reg_is '[.nodes[].id] | join(",")' DED,S,P,D,N1
	reg_is '.nodes[4].containers[0].id' n1-a
	# again: N1 is there already, and nothing changes
	before=$(reg_sum)
	run --separate-stderr pp-registry import "$f"
	assert_failure 1
	assert_stderr_contains "node 'N1' of '$f' is in the registry already"
	[ "$(reg_sum)" = "$before" ]
}

@test "import of the registry itself is refused at once, not after the lock's wait" {
	file_backend_only
	local before link="$BATS_TEST_TMPDIR/same.json"
	before=$(reg_sum)
	ln -s "$REGISTRY" "$link"
	for f in "$REGISTRY" "$link"; do
		run --separate-stderr timeout 20 pp-registry import "$f"
		assert_failure 2
		assert_stderr_contains "'$f' is the registry itself"
	done
	[ "$(reg_sum)" = "$before" ]
}

@test "-r and the config's registry key choose the file" {
	file_backend_only
	local other="$BATS_TEST_TMPDIR/other.json"
	cp "$REGISTRY" "$other"
	run --separate-stderr pp-registry -r "$other" status P ready
	assert_success
	[ "$(jq -r '.nodes[2].status' "$other")" = ready ]
	reg_is '.nodes[2].status' provisioning
	printf 'registry: %s\n' "$other" >> "$PP_CONFIG"
	run --separate-stderr pp-registry set S b --players 1
	assert_success
	[ "$(jq -r '.nodes[1].containers[0].players' "$other")" = 1 ]
}

@test "a registry URL's scheme is taken in any case (RFC 3986)" {
	local url
	if [[ $PP_REG_BACKEND == pg ]]; then
		# libpq takes only "postgresql://": it is handed that
		url="POSTGRESQL${REG_URL#postgresql}"
		run --separate-stderr pp-registry -r "$url" status P ready
		assert_success
		reg_is '.nodes[2].status' ready
	else
		# read-only, as any file:// registry
		url="FILE://$REGISTRY"
	fi
	run --separate-stderr pp-registry -r "$url" show S
	assert_success
	jq_is '.id' S
	# the config's registry key (the pg backend's tests set one)
	{
		grep -v '^registry:' "$PP_CONFIG"
		printf 'registry: "%s"\n' "$url"
	} > "$BATS_TEST_TMPDIR/conf" && mv "$BATS_TEST_TMPDIR/conf" "$PP_CONFIG"
	run --separate-stderr pp-registry show
	assert_success
	jq_is '[.nodes[].id] | join(",")' DED,S,P,D
}

@test "bad usage exits 2 and changes nothing" {
	local before
	before=$(reg_sum)
	run --separate-stderr pp-registry
	assert_failure 2
	run --separate-stderr pp-registry frob S
	assert_failure 2
	run --separate-stderr pp-registry place S mc-1
	assert_failure 2
	run --separate-stderr pp-registry place S mc-1 lots
	assert_failure 2
	run --separate-stderr pp-registry place S 'a;b' 100
	assert_failure 2
	assert_stderr_contains "bad game server id"
	run --separate-stderr pp-registry place S -- -x 100
	assert_failure 2
	run --separate-stderr pp-registry place S mc-1 100 --state gone
	assert_failure 2
	run --separate-stderr pp-registry remove S b --players 1
	assert_failure 2
	run --separate-stderr pp-registry show S extra
	assert_failure 2
	run --separate-stderr pp-registry --now yesterday show
	assert_failure 2
	[ "$(reg_sum)" = "$before" ]
	run --separate-stderr pp-registry --version
	assert_success
	assert_output --partial "pp-registry (ppscale)"
	run --separate-stderr pp-registry -h
	assert_success
	assert_output --partial "usage: pp-registry"
}

@test "a lock file that cannot be opened is exit 2; a held lock is waited for" {
	file_backend_only
	ln -s registry.json.lock "$REGISTRY.lock"
	run --separate-stderr pp-registry place S mc-1 100
	assert_failure 2
	assert_stderr_contains "lock file '$REGISTRY.lock'"
	run --separate-stderr pp-registry show S
	assert_failure 2
	rm "$REGISTRY.lock"
	# ppscale holds the lock while it marks S draining (read first,
	# written 1 s later): the placement waits, then sees draining
	flock "$REGISTRY.lock" sh -c '
		jq ".nodes[1].status = \"draining\"" "$1" > "$1.new"
		touch "$1.held"; sleep 1
		mv "$1.new" "$1"' sh "$REGISTRY" &
	local holder=$!
	while [[ ! -e $REGISTRY.held ]]; do sleep 0.05; done
	run --separate-stderr pp-registry place S mc-1 100
	wait "$holder"
	assert_failure 1
	assert_stderr_contains "node 'S' is draining"
	reg_is '[.nodes[1].containers[].id] | join(",")' b
}

@test "through a symlink the edit lands in the target and the link stays" {
	file_backend_only
	local target="$BATS_TEST_TMPDIR/platform.json"
	mv "$REGISTRY" "$target"
	ln -s "$target" "$REGISTRY"
	run --separate-stderr pp-registry place S mc-1 100
	assert_success
	[ -L "$REGISTRY" ]
	[ "$(jq -r '.nodes[1].containers[1].id' "$target")" = mc-1 ]
	[ -e "$target.lock" ]
}
