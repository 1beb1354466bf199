#!/usr/bin/env bats
# pp-provision scale-up against the fake Hetzner API: create, register,
# wait until it runs, provisioning until the platform marks it ready;
# fallback, retries, failures that leave nothing behind,
# partial success, adoption of orphans. Every test that sends a create
# checks its user data with `cloud-init schema`.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/provision'
	prov_fake_file pp-secret-token-3200
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/provision'
	prov_fake_test "  ssh_keys: [ops, '1234', '99999999999999999999']
  networks: ['4711']
  firewalls: ['42']
  placement_group: '7'"
}

posts() {
	fake_log | jq '[.requests[] | select(.method == "POST" and
		.path == "/servers")] | length'
}

@test "scale_up: creates a labelled server, registers it, waits until it runs; ready is the platform's mark" {
	run --separate-stderr pp-provision < <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is .decision.action scale_up
	jq_is .provision.status done
	jq_is .provision.errors 0
	jq_is '.provision.servers | length' 1
	jq_is '.provision.servers[0].op' create
	jq_is '.provision.servers[0].status' provisioning
	jq_is '.provision.servers[0].location' nbg1
	jq_is '.provision.servers[0].server_type' cx23
	jq_is '.provision.servers[0].ipv4 | test("^[0-9.]+$")' true
	jq_is '.provision.servers[0].seconds_to_running >= 0' true
	jq_is '.provision.servers[0].error' null
	jq_is '.provision.servers[0].name | startswith("pp-")' true
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	id=$(jq -r '.provision.servers[0].server_id' <<<"$output")
	[[ $name =~ ^pp-[a-z0-9]{6}$ ]]
	# the registry: DESIGN section 3 shape
	[[ $(reg '.nodes | length') == 2 ]]
	[[ $(reg ".nodes[1] | [.id, .kind, .status, .role] | join(\",\")") == \
		"$name,cloud,provisioning,worker" ]]
	[[ $(reg '.nodes[1].total_ram_mb') == 4096 ]]
	[[ $(reg '.nodes[1].reserved_ram_mb') == 512 ]]
	[[ $(reg '.nodes[1].ip') == $(jq -r '.provision.servers[0].ipv4' <<<"$output") ]]
	[[ $(reg '.nodes[1].cloud.server_id') == "$id" ]]
	[[ $(reg '.nodes[1].cloud.provider') == hetzner ]]
	# the cx23's 0.0048 and its primary IPv4's 0.0008
	[[ $(reg '.nodes[1].cloud.hourly_cost_eur') == 0.0056 ]]
	[[ $(reg '.nodes[1].containers') == '[]' ]]
	# what was sent
	body=$(fake_log | jq -c '.requests[] | select(.method == "POST") | .body')
	[[ $(jq -r .labels.managed_by <<<"$body") == ppscale ]]
	[[ $(jq -r .labels.role <<<"$body") == worker ]]
	[[ $(jq -r .labels.pool <<<"$body") == default ]]
	[[ $(jq -r .image <<<"$body") == debian-12 ]]
	# an id is a number: sent as a string it would be a key's name
	# (digits past int64 are no id)
	[[ $(jq -c .ssh_keys <<<"$body") == \
		'["ops",1234,"99999999999999999999"]' ]]
	[[ $(jq -c .networks <<<"$body") == '[4711]' ]]
	[[ $(jq -c .firewalls <<<"$body") == '[{"firewall":42}]' ]]
	[[ $(jq -c .placement_group <<<"$body") == 7 ]]
	[[ $(fake_state | jq -r '.servers[0].status') == running ]]
	# events, in order
	run jq -r '[.type, .node, .server_id, .server_type, .location,
		.result] | join(",")' "$EVENTS"
	assert_output "node.provisioning,$name,$id,cx23,nbg1,success"
	assert_stderr_contains "stays provisioning until its agent joins"
	ud_valid
	# the agent joins: the platform marks the node; the next cycle
	# leaves it as it is and spends no request on it
	pp-registry status "$name" ready
	run --separate-stderr pp-provision < <(decision none)
	assert_success
	[[ $(reg ".nodes[1].status") == ready ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "provision_spare: two spares at once, each its own name and role label" {
	run --separate-stderr pp-provision < <(decision provision_spare 2 cx23 fsn1)
	assert_success
	jq_is .provision.status done
	jq_is '[.provision.servers[].status] | join(",")' provisioning,provisioning
	jq_is '[.provision.servers[].role] | join(",")' spare,spare
	jq_is '[.provision.servers[].name] | unique | length' 2
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .role + "/" +
		.status + "/" + .location] | join(",")') == \
		"spare/provisioning/fsn1,spare/provisioning/fsn1" ]]
	[[ $(fake_state | jq -r '[.servers[].labels.role] | join(",")') == \
		spare,spare ]]
	[[ $(posts) == 2 ]]
	ud_valid
}

@test "resource_unavailable in the first location: falls back to the next, remembers the refusal" {
	fake_fault '{"method": "POST", "path": "/servers", "location": "nbg1",
		"status": 412, "count": 0}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is '.provision.servers[0].location' fsn1
	jq_is '.provision.servers[0].status' provisioning
	jq_is '[.provision.servers[0].tried[] | .location + ":" +
		(.code // "ok")] | join(",")' \
		"nbg1:resource_unavailable,fsn1:ok"
	jq_is '.provision.refusals["cx23@nbg1"].until' 2026-11-27T10:30:00Z
	run jq -r '.refusals["cx23@nbg1"] | .until + " " + .code' "$STATE"
	assert_output "2026-11-27T10:30:00Z resource_unavailable"
	# pp-decide reads exactly this
	[[ $(reg '.nodes[1].location') == fsn1 ]]
	# while the refusal holds, a fallback skips the refused location
	fake_ctl DELETE /log >/dev/null
	fake_fault '{"method": "POST", "path": "/servers", "location": "hel1",
		"status": 412}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:10:00Z \
		< <(decision scale_up 1 cx23 hel1)
	assert_success
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | join(",")') == hel1,fsn1 ]]
	run jq -r '.refusals | keys | join(",")' "$STATE"
	assert_output cx23@hel1,cx23@nbg1
	ud_valid
}

# the API answers a type not sold in a location with invalid_input,
# "unsupported location for server type" (trellis-cli issue 622): a
# catalog cached before Hetzner stopped selling it there still offers
# it, and failing the order would refuse every scale-up until the
# cache is refreshed
@test "a type Hetzner stopped selling in a location since the catalog was cached: its invalid_input there falls back to the next location, remembered, and the next catalog leaves the location out" {
	DOC_AT=2026-11-27T10:00:00Z
	run --separate-stderr pp-provision --now "$DOC_AT" \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is '.provision.servers[0].location' nbg1
	fake_config '{"withdrawn": {"cx23": ["nbg1"]}}' >/dev/null
	fake_ctl DELETE /log >/dev/null
	# within cloud.catalog_ttl: the cache still offers nbg1
	DOC_AT=2026-11-27T10:20:00Z
	run --separate-stderr pp-provision --now "$DOC_AT" \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is '[.provision.servers[] | select(.op == "create") | .tried[] | .location + ":" +
		(.code // "ok")] | join(",")' \
		"nbg1:unsupported_location,fsn1:ok"
	assert_stderr_contains "in 'nbg1': POST /servers: unsupported location for server type (invalid_input, HTTP 422)"
	run jq -r '.refusals["cx23@nbg1"] | .until + " " + .code' "$STATE"
	assert_output "2026-11-27T10:50:00Z unsupported_location"
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | join(",")') == nbg1,fsn1 ]]
	# past the catalog's cloud.catalog_ttl and the refusal: the new
	# catalog does not offer cx23 in nbg1 (the type's locations[] no
	# longer has it), and no create goes there (the decision names
	# none: pp-decide, reading the same catalog, would not name it)
	DOC_AT=2026-11-27T12:00:00Z
	run --separate-stderr pp-fleetstats --now "$DOC_AT"
	assert_success
	jq_is '[.server_types.types[] | select(.name == "cx23") |
		.locations[] | .name + ":" + (.available | tostring)] |
		join(",")' fsn1:true,nbg1:false,hel1:true
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision --now "$DOC_AT" \
		< <(decision scale_up 1 cx23 | jq -c '.decision.location = null')
	assert_success
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | join(",")') == fsn1 ]]
	# an invalid_input about anything else is no location's refusal:
	# the order fails, and no other location is tried with it; so too
	# a location that does not exist (the field is the location, but
	# no other location corrects a typo)
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision --now "$DOC_AT" \
		< <(decision scale_up 1 cx23 nbgx)
	assert_failure 1
	jq_is '[.provision.servers[] | select(.op == "create") | .tried[] |
		.location + ":" + (.code // "ok")] | join(",")' nbgx:invalid_input
	assert_stderr_contains "location nbgx not found (invalid_input, HTTP 422)"
	[[ $(posts) == 1 ]]
	fake_config '{"images_removed": ["debian-12"]}' >/dev/null
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision --now "$DOC_AT" \
		< <(decision scale_up 1 cx23 fsn1)
	assert_failure 1
	jq_is '[.provision.servers[] | select(.op == "create") | .tried[] | .location + ":" +
		(.code // "ok")] | join(",")' fsn1:invalid_input
	[[ $(posts) == 1 ]]
}

@test "a 503 unavailable in the first location: once the name look-up finds nothing made, falls back to the next and remembers the refusal" {
	fake_fault '{"method": "POST", "path": "/servers", "location": "nbg1",
		"status": 503, "code": "unavailable", "message":
		"A service or product is currently not available", "count": 0}' \
		>/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is '.provision.status' done
	jq_is '.provision.servers[0].location' fsn1
	jq_is '[.provision.servers[0].tried[] | .location + ":" +
		(.code // "ok")] | join(",")' "nbg1:unavailable,fsn1:ok"
	run jq -r '.refusals["cx23@nbg1"] | .until + " " + .code' "$STATE"
	assert_output "2026-11-27T10:30:00Z unavailable"
	# the name was looked up before nbg1 was given up: nothing made there
	name=$(reg '.nodes[1].id')
	[[ $(fake_log | jq --arg n "$name" '[.requests[] | select(.method ==
		"GET" and .path == "/servers" and (.query | contains("name=" +
		$n)))] |
		length') -ge 1 ]]
	[[ $(fake_state | jq -r '[.servers[] | .location.name] |
		join(",")') == fsn1 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .location] |
		join(",")') == fsn1 ]]
	# the next cycle does not ask nbg1 again while the refusal holds
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:05:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | join(",")') == fsn1 ]]
}

@test "a type deprecated in a location is ordered there until its unavailable_after (a note, a warning in its last 30 days), and skipped after" {
	# cpx22 is deprecated in hil only, unavailable after 2027-01-01T06:00
	sed -i 's/locations: \[nbg1, fsn1, hel1\]/locations: [hil]/' \
		"$PP_CONFIG"
	sed -i 's/^cloud:$/cloud:\n  server_types: [cpx22]/' "$PP_CONFIG"
	run --separate-stderr pp-fleetstats --now 2026-12-01T10:00:00Z
	assert_success
	jq_is '.server_types.types[] | select(.name == "cpx22") |
		.locations[] | select(.name == "hil") |
		[.available, .unavailable_after] | join(" ")' \
		"true 2027-01-01T06:00:00Z"
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/before"
	run --separate-stderr pp-decide --now 2026-12-01T10:00:00Z \
		< "$BATS_TEST_TMPDIR/before"
	assert_success
	jq_is .decision.figures.worker_type cpx22
	assert_stderr_contains "server type 'cpx22' is deprecated in 'hil': ordered there until 2027-01-01T06:00:00Z"
	# a note months ahead (no warning counted: PpscaleToolWarns would
	# fire for months), a warning in the last 30 days
	local prom=$BATS_TEST_TMPDIR/pp.prom
	printf 'metrics:\n  textfile: %s\n' "$prom" >> "$PP_CONFIG"
	for t in 2026-12-01T10:00:00Z:0 2026-12-03T10:00:00Z:1; do
		pp-fleetstats -q --now "${t%:*}" > "$BATS_TEST_TMPDIR/doc"
		run --separate-stderr pp-decide --now "${t%:*}" \
			< "$BATS_TEST_TMPDIR/doc"
		assert_success
		assert_stderr_contains "server type 'cpx22' is deprecated in 'hil': ordered there until 2027-01-01T06:00:00Z"
		run awk '$1 == "pp_last_run_warnings{tool=\"pp-decide\"}" {
			print $2 }' "$prom"
		assert_output "${t##*:}"
	done
	# pp-provision orders it there
	run --separate-stderr pp-provision --now 2026-12-01T10:00:00Z \
		< <(decision scale_up 1 cpx22 hil)
	assert_success
	jq_is '.provision.servers[0].location' hil
	[[ $(fake_state | jq -r '[.servers[] | .server_type.name + "@" +
		.location.name] | join(",")') == cpx22@hil ]]
	# after its unavailable_after: skipped there, and said so
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-fleetstats --now 2027-01-01T06:00:01Z
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/after"
	run --separate-stderr pp-decide --now 2027-01-01T06:00:01Z \
		< "$BATS_TEST_TMPDIR/after"
	assert_success
	jq_is .decision.figures.worker_type null
	assert_stderr_contains "server type 'cpx22' is deprecated in 'hil' and no longer orderable there (since 2027-01-01T06:00:00Z): skipped there"
	run --separate-stderr pp-provision --now 2027-01-01T06:00:01Z \
		< <(DOC_AT=2027-01-01T06:00:01Z decision scale_up 1 cpx22 hil)
	assert_failure 1
	jq_is '.provision.servers[] | select(.op == "create") | .error.message' \
		"no location left to try: every configured one refused this type lately or does not sell it now"
	[[ $(posts) == 0 ]]
}

@test "a type deprecated in every location is ordered until its unavailable_after, not from the announcement" {
	local dep='{"announced": "2026-12-01T06:00:00+00:00",
		"unavailable_after": "2027-03-01T06:00:00+00:00"}'
	fake_config "{\"deprecations\": {\"cx43\": {\"fsn1\": $dep,
		\"nbg1\": $dep, \"hel1\": $dep}}}" >/dev/null
	sed -i 's/^cloud:$/cloud:\n  server_types: [cx43]/' "$PP_CONFIG"
	local t
	for t in 2026-12-02T10:00:00Z:cx43 2027-03-01T06:00:01Z:null; do
		pp-fleetstats -q --now "${t%:*}" > "$BATS_TEST_TMPDIR/doc"
		run --separate-stderr pp-decide --now "${t%:*}" \
			< "$BATS_TEST_TMPDIR/doc"
		assert_success
		jq_is .decision.figures.worker_type "${t##*:}"
		[[ $stderr != *"'cx43' is deprecated: skipped"* ]]
	done
	assert_stderr_contains "server type 'cx43' is deprecated in 'nbg1' and no longer orderable there (since 2027-03-01T06:00:00Z): skipped there"
}

@test "a type deprecated at the top level is ordered until its unavailable_after (a note, a warning in its last 30 days), not from the announcement, and skipped after" {
	# cx32 as the API serves a whole type's end: deprecated at the top
	# level (announced 2026-10-16), available in every location, no
	# longer for order as of 2027-01-16T06:00; the fake's clock keeps
	# it listed throughout
	fake_config '{"clock": "2026-12-01T10:00:00Z"}' >/dev/null
	sed -i 's/^cloud:$/cloud:\n  server_types: [cx32]/' "$PP_CONFIG"
	local prom=$BATS_TEST_TMPDIR/pp.prom t l
	printf 'metrics:\n  textfile: %s\n' "$prom" >> "$PP_CONFIG"
	for t in 2026-12-01T10:00:00Z:0 2026-12-20T10:00:00Z:3; do
		run --separate-stderr pp-fleetstats --now "${t%:*}"
		assert_success
		printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/doc"
		jq_is '.server_types.types[] | select(.name == "cx32") |
			[.deprecated, (.locations[] | .available,
			.unavailable_after)] | map(tostring) | unique |
			join(",")' 2027-01-16T06:00:00Z,false,true
		run --separate-stderr pp-decide --now "${t%:*}" \
			< "$BATS_TEST_TMPDIR/doc"
		assert_success
		jq_is .decision.figures.worker_type cx32
		for l in nbg1 fsn1 hel1; do
			assert_stderr_contains "server type 'cx32' is deprecated in '$l': ordered there until 2027-01-16T06:00:00Z"
		done
		refute_stderr_contains "'cx32' is deprecated: skipped"
		# a note months ahead, a warning (counted) in the last 30
		# days, one for each configured location
		run awk '$1 == "pp_last_run_warnings{tool=\"pp-decide\"}" {
			print $2 }' "$prom"
		assert_output "${t##*:}"
	done
	# pp-provision orders it
	run --separate-stderr pp-provision --now 2026-12-01T10:00:00Z \
		< <(DOC_AT=2026-12-01T10:00:00Z decision scale_up 1 cx32 nbg1)
	assert_success
	[[ $(fake_state | jq -r '[.servers[] | .server_type.name + "@" +
		.location.name] | join(",")') == cx32@nbg1 ]]
	# after its unavailable_after, on the tool's clock: skipped
	# everywhere, and said so
	fake_ctl DELETE /log >/dev/null
	t=2027-01-16T06:00:01Z
	pp-fleetstats -q --now "$t" > "$BATS_TEST_TMPDIR/doc"
	run --separate-stderr pp-decide --now "$t" < "$BATS_TEST_TMPDIR/doc"
	assert_success
	jq_is .decision.figures.worker_type null
	assert_stderr_contains "server type 'cx32' is deprecated in 'nbg1' and no longer orderable there (since 2027-01-16T06:00:00Z): skipped there"
	run --separate-stderr pp-provision --now "$t" \
		< <(DOC_AT=$t decision scale_up 1 cx32 nbg1)
	assert_failure 1
	jq_is '.provision.servers[] | select(.op == "create") | .error.message' \
		"no location left to try: every configured one refused this type lately or does not sell it now"
	[[ $(posts) == 0 ]]
}

@test "a 503 unavailable in every location is no refusal: the next cycle asks again once the API is back" {
	fake_fault '{"method": "POST", "path": "/servers", "status": 503,
		"code": "unavailable", "message":
		"A service or product is currently not available", "count": 0}' \
		>/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_failure 1
	jq_is '.provision.servers[0].status' failed
	# every location was asked, and none is avoided for refusal_ttl
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | unique | join(",")') == fsn1,hel1,nbg1 ]]
	run jq -c '.refusals // {} | keys' "$STATE"
	assert_output '[]'
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	# the API is back two minutes later: the decision's location takes it
	fake_ctl DELETE /faults >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:02:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is '.provision.servers[0].location' nbg1
}

@test "a 503 unavailable is no refusal when the location that took the create made no server either" {
	fake_fault '{"faults": [
		{"method": "POST", "path": "/servers", "location": "nbg1",
		 "status": 503, "code": "unavailable", "count": 0},
		{"method": "POST", "path": "/servers", "location": "hel1",
		 "status": 503, "code": "unavailable", "count": 0},
		{"method": "POST", "path": "/servers", "location": "fsn1",
		 "action_error": {"code": "placement_error",
		 "message": "no capacity in this placement group"}}]}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_failure 1
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	# fsn1's own refusal stands; the 503s are not taken for refusals
	run jq -c '.refusals // {} | keys' "$STATE"
	assert_output '["cx23@fsn1"]'
}

@test "server types of another architecture than the image's are not in the catalog and never ordered" {
	run --separate-stderr pp-fleetstats
	assert_success
	jq_is '[.server_types.types[].name] | index("cax11")' null
	jq_is '[.server_types.types[].name] | index("cx23") != null' true
	run --separate-stderr pp-provision < <(decision scale_up 1 cax11)
	assert_failure 2
	assert_stderr_contains "server type 'cax11' is not in the catalog"
	[[ $(posts) == 0 ]]
	sed -i 's/^cloud:$/cloud:\n  architecture: arm/' "$PP_CONFIG"
	rm -f "$PP_STATE_DIR/catalog.json"
	run --separate-stderr pp-fleetstats
	jq_is '[.server_types.types[].name] | join(",")' cax11
}

# a catalog refresh in the middle of a scale-up: GET /images, with its
# retries, only delayed the create, and pp-provision warns of no image
@test "a catalog refresh of pp-provision looks no image up and keeps the cache's image state" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-10-01T06:00:00+00:00"}}' >/dev/null
	then=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
	run --separate-stderr pp-fleetstats --now "$then"
	assert_success
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated"
	fake_ctl DELETE /log >/dev/null
	# the cache is older than catalog_ttl: pp-provision fetches it anew
	run --separate-stderr pp-provision < <(decision scale_up 1 cx23 nbg1)
	assert_success
	run fake_log
	run jq -r '[.requests[] | .method + " " + .path] | .[0:4] | join(",")' \
		<<<"$output"
	assert_output "GET /servers,GET /server_types,GET /pricing,POST /servers"
	[[ $(fake_log | jq '[.requests[] | select(.path |
		startswith("/images"))] | length') == 0 ]]
	jq -e --arg t0 "$then" '.fetched_at > $t0 and
		.image.state == "deprecated" and .image.key == "debian-12" and
		.image.checked_at == $t0' "$PP_STATE_DIR/catalog.json"
	# pp-fleetstats looks the image up when its look-up is older than
	# catalog_ttl, though the catalog is not
	run --separate-stderr pp-fleetstats
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	[[ $(fake_log | jq '[.requests[] | select(.path |
		startswith("/images"))] | length') == 1 ]]
	[[ $(fake_log | jq '[.requests[] | select(.path ==
		"/server_types")] | length') == 1 ]]
}

@test "a location with a recorded refusal is not tried first, even when the decision names it" {
	fake_fault '{"method": "POST", "path": "/servers", "location": "nbg1",
		"status": 412}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	fake_ctl DELETE /log >/dev/null
	# a decision made before the refusal was recorded still says nbg1
	run --separate-stderr pp-provision --now 2026-11-27T10:10:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | join(",")') == fsn1 ]]
}

@test "a refusal recorded at a clock since stepped back holds nothing" {
	# a clock a day ahead, then corrected: the refusal was made after
	# now, and would otherwise avoid nbg1 for the day and a half hour
	fake_fault '{"method": "POST", "path": "/servers", "location": "nbg1",
		"status": 412}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-28T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	run jq -r '.refusals["cx23@nbg1"] | .at + " " + .until' "$STATE"
	assert_output "2026-11-28T10:00:00Z 2026-11-28T10:30:00Z"
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:10:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | join(",")') == nbg1 ]]
	# and the state keeps no refusal dated after its clock
	run jq -r '.refusals | keys | join(",")' "$STATE"
	assert_output ""
}

@test "a create action ending in placement_error falls back to the next location and is remembered" {
	fake_fault '{"method": "POST", "path": "/servers", "location": "nbg1",
		"action_error": {"code": "placement_error",
		"message": "no capacity in this placement group"}}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is '[.provision.servers[0].tried[] | .location + ":" +
		(.code // "ok")] | join(",")' "nbg1:placement_error,fsn1:ok"
	run jq -r '.refusals["cx23@nbg1"].code' "$STATE"
	assert_output placement_error
	# one server, in fsn1, registered under the name both tries used
	[[ $(fake_state | jq -r '[.servers[] | .location.name] |
		join(",")') == fsn1 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .location + ":" +
		.status] | join(",")') == fsn1:provisioning ]]
}

@test "a create answered 422 placement_error at once falls back to the next location and is remembered" {
	# the API's create error code, answered to the POST itself rather
	# than in its action
	fake_fault '{"method": "POST", "path": "/servers", "location": "nbg1",
		"status": 422, "code": "placement_error",
		"message": "error during placement", "count": 0}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is '[.provision.servers[0].tried[] | .location + ":" +
		(.code // "ok")] | join(",")' "nbg1:placement_error,fsn1:ok"
	run jq -r '.refusals["cx23@nbg1"] | .until + " " + .code' "$STATE"
	assert_output "2026-11-27T10:30:00Z placement_error"
	# one POST to nbg1 (a definite answer: neither retried nor looked
	# up), one to fsn1
	[[ $(fake_log | jq -r '[.requests[] | select(.method == "POST") |
		.body.location] | join(",")') == nbg1,fsn1 ]]
	[[ $(fake_log | jq '[.requests[] | select(.method == "GET" and
		.path == "/servers" and (.query | contains("name=")))] |
		length') == 0 ]]
	[[ $(fake_state | jq -r '[.servers[] | .location.name] |
		join(",")') == fsn1 ]]
}

@test "a 429 in the middle of a create backs off about a second, not until the reset an hour away, and succeeds" {
	fake_fault '{"method": "POST", "path": "/servers", "status": 429}' \
		>/dev/null
	SECONDS=0
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	# the reset is an hour away; a minute leaves room for valgrind
	(( SECONDS < 60 )) || fail "took $SECONDS s"
	jq_is '.provision.servers[0].status' provisioning
	[[ $(posts) == 2 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 1 ]]
	ud_valid
}

@test "one 429 in a 5-server scale-up: all 5 are created within the deadline" {
	fake_fault '{"method": "POST", "path": "/servers", "status": 429,
		"skip": 2}' >/dev/null
	SECONDS=0
	run --separate-stderr pp-provision < <(decision scale_up 5)
	assert_success
	(( SECONDS < 120 ))
	jq_is '[.provision.servers[] | select(.status == "provisioning")] | length' 5
	[[ $(posts) == 6 ]]
	[[ $(fake_state | jq '.servers | length') == 5 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud" and
		.status == "provisioning")] | length') == 5 ]]
}

@test "parallel creates: the count's creates are all sent first, then their actions and start_servers are polled together" {
	# actions by time, as the real API: create_server 1 s, then
	# start_server 1 s; one after the other would take 10 s and more
	fake_config '{"action_seconds": 1}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 5)
	assert_success
	# told by the order of the requests, not by the clock: every create
	# is sent before the first poll, and the first poll asks for all
	# twenty actions (five create_server, start_server,
	# attach_to_network and apply_firewall each) at once
	fake_log | jq -e '[.requests[] | .method + " " + .path] as $r
		| ($r | map(. == "POST /servers") | rindex(true))
		  < ($r | map(. == "GET /actions") | index(true))' >/dev/null ||
		fail "a poll came before the last create"
	[[ $(fake_log | jq '[.requests[] | select(.method == "GET" and
		.path == "/actions")][0].query | [scan("id=[0-9]+")] | length') == 20 ]]
	jq_is '[.provision.servers[] | select(.status == "provisioning")] | length' 5
	[[ $(posts) == 5 ]]
	[[ $(fake_state | jq '[.servers[] | select(.status == "running")] | length') == 5 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud" and .status ==
		"provisioning" and .cloud.server_id != null)] | length') == 5 ]]
	# the five POSTs come before the first action poll
	run jq -r '[.requests[] | select(.path == "/actions" or .method ==
		"POST") | .method + " " + .path] | .[0:6] | join(",")' \
		<<<"$(fake_log)"
	assert_output "POST /servers,POST /servers,POST /servers,POST /servers,POST /servers,GET /actions"
	# one poll asks for the twenty actions
	run jq -r '[.requests[] | select(.path == "/actions")][0].query |
		[scan("id=[0-9]+")] | length' <<<"$(fake_log)"
	assert_output 20
	# no action polled alone
	[[ $(fake_log | jq '[.requests[] | select(.path |
		startswith("/actions/"))] | length') == 0 ]]
}

@test "a slow create action is reported with the time waited, and its server stays registered until it runs" {
	sed -i 's/^cloud:$/cloud:\n  action_timeout: 1s/' "$PP_CONFIG"
	fake_config '{"action_polls": 12}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	assert_stderr_contains "still running after"
	assert_stderr_contains "s (cloud.action_timeout): it stays provisioning"
	# the time actually waited, not the deadline's
	jq_is '.provision.servers[0].actions_waited_seconds |
		. >= 0.5 and . < 5' true
	jq_is .provision.status done
	jq_is '.provision.servers[0].status' provisioning
	jq_is '.provision.servers[0].error' null
	[[ $(posts) == 1 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == provisioning ]]
}

@test "a create action that ends in error leaves no server behind" {
	fake_fault '{"method": "POST", "path": "/servers",
		"action_error": {"code": "server_error", "message": "boom"}}' \
		>/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_failure 1
	jq_is .provision.status failed
	jq_is .provision.errors 1
	jq_is '.provision.servers[0].status' failed
	jq_is '.provision.servers[0].error.code' server_error
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r .type "$EVENTS"
	assert_output scaling.failed
	ud_valid
}

# Hetzner attaches a server to at most 3 networks and applies at most 5
# firewalls to it: a create naming them all has 10 actions
# (create_server, start_server, 3 attach_to_network, 5 apply_firewall)
many_actions_setup() {
	prov_setup hetzner "  networks: ['11', '12', '13']
  firewalls: ['21', '22', '23', '24', '25']"
}

@test "a create with ten actions is tracked until every one of them has ended" {
	many_actions_setup
	fake_config '{"action_polls": 2}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	jq_is '.provision.servers[0].status' provisioning
	# the first poll names all ten, and none is left running
	[[ $(fake_log | jq -r '[.requests[] | select(.path == "/actions")][0]
		.query | [scan("id=[0-9]+")] | length') == 10 ]]
	[[ $(fake_state | jq '[.actions[] | select(.status == "running")]
		| length') == 0 ]]
}

@test "a create whose last of ten actions fails is a failed create, its server deleted" {
	many_actions_setup
	fake_fault '{"method": "POST", "path": "/servers",
		"action_error": {"code": "firewall_resource_not_found",
		"message": "firewall 25 is gone"},
		"action_command": "apply_firewall"}' >/dev/null
	fake_config '{"action_polls": 2}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_failure 1
	jq_is '.provision.servers[0].status' failed
	jq_is '.provision.servers[0].error.code' firewall_resource_not_found
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r .type "$EVENTS"
	assert_output scaling.failed
}

@test "a create whose actions the API has lost stays provisioning and the boot wait finds it running" {
	fake_fault '{"method": "POST", "path": "/servers",
		"action_lost": true}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	jq_is '.provision.servers[0].status' provisioning
	jq_is '.provision.servers[0].error' null
	assert_stderr_contains "is missing from the API's answer"
	assert_stderr_contains "stays provisioning and the boot wait decides"
	[[ $(fake_log | jq '[.requests[] | select(.path == "/actions")]
		| length') == 1 ]]
	[[ $(fake_state | jq -r '[.servers[] | .status] | join(",")') \
		== running ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == provisioning ]]
	ud_valid
}

@test "a server not running within cloud.boot_timeout is deleted and the failure recorded" {
	prov_setup hetzner "  boot_timeout: 1s"
	fake_config '{"status_after_create": "starting"}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_failure 1
	jq_is '.provision.servers[0].status' deleted
	jq_is '.provision.servers[0].error.code' boot_timeout
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r .type "$EVENTS"
	assert_output "node.provisioning
scaling.failed
node.removed"
	ud_valid
}

# a server whose create's actions all succeeded but that stays off (as
# cluster-api-provider-hetzner and kube-hetzner users report): the fake
# leaves it off (status_after_create); cloud.boot_timeout is long, so a
# wait that runs into it is told by its error code, not by the clock
@test "a server left off after its create's actions all ended is powered on once, after two looks with nothing running on it" {
	prov_setup hetzner "  boot_timeout: 60s"
	fake_config '{"status_after_create": "off"}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	jq_is '.provision.servers[0].status' provisioning
	jq_is '.provision.servers[0].powered_on' true
	jq_is '.provision.servers[0].error' null
	assert_stderr_contains "powering it on (once)"
	sid=$(fake_state | jq -r '.servers[0].id')
	[[ $(fake_state | jq -r '.servers[0].status') == running ]]
	# one power-on, after two looks at its running actions found none
	run jq -r --arg p "/servers/$sid/actions" '[.requests[] |
		select(.path == $p or .path == $p + "/poweron") | .method +
		(.query | split("&") | map(select(startswith("status=")))
		| map("?" + .) | join(""))] | .[0:4] | join(",")' \
		<<<"$(fake_log)"
	# (the GET between: its start actions counted, for a power-on
	# whose answer would be lost)
	assert_output "GET?status=running,GET?status=running,GET,POST"
	[[ $(fake_log | jq '[.requests[] | select(.path | endswith(
		"/actions/poweron"))] | length') == 1 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == provisioning ]]
	run jq -r .type "$EVENTS"
	assert_output node.provisioning
}

@test "a server still off after its power-on is deleted as a failed boot, without waiting for cloud.boot_timeout" {
	prov_setup hetzner "  boot_timeout: 60s"
	fake_config '{"status_after_create": "off"}' >/dev/null
	fake_fault '{"method": "POST", "path": "/servers/",
		"action_error": {"code": "server_error",
		"message": "cannot start"}}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_failure 1
	jq_is '.provision.servers[0].status' deleted
	jq_is '.provision.servers[0].error.code' server_off
	jq_is '.provision.servers[0].powered_on' true
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(fake_log | jq '[.requests[] | select(.path | endswith(
		"/actions/poweron"))] | length') == 1 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r .type "$EVENTS"
	assert_output "node.provisioning
scaling.failed
node.removed"
	run jq -r '.counters.pp_scaling_events_total["action=failed_boot,result=failed"]' "$STATE"
	assert_output 1
}

@test "a power-on refused with a definite answer does not count: the looks after it try once more, and the server runs" {
	prov_setup hetzner "  boot_timeout: 60s"
	fake_config '{"status_after_create": "off"}' >/dev/null
	fake_fault '{"method": "POST", "path": "/servers/", "status": 403,
		"code": "forbidden", "message": "insufficient permissions"}' \
		>/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	assert_stderr_contains "tried again after more looks"
	jq_is '.provision.servers[0] | [.status, .powered_on] |
		map(tostring) | join(",")' "provisioning,true"
	[[ $(fake_state | jq -r '.servers[0].status') == running ]]
	[[ $(fake_log | jq '[.requests[] | select(.path | endswith(
		"/actions/poweron"))] | length') == 2 ]]
}

# the connection dropped before the fake acted on the power-on: no
# start action since it, so the next look sends it again, once
@test "a new server's power-on lost before the API took it is sent again at the next look, and the server runs" {
	prov_setup hetzner "  boot_timeout: 60s"
	fake_config '{"status_after_create": "off"}' >/dev/null
	fake_fault '{"method": "POST", "path": "/servers/", "drop": true}' \
		>/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	assert_stderr_contains "never got the power-on whose answer was lost"
	jq_is '.provision.servers[0] | [.status, .powered_on,
		.powered_on_again] | map(tostring) | join(",")' \
		"provisioning,true,true"
	[[ $(fake_state | jq -r '.servers[0].status') == running ]]
	[[ $(fake_log | jq '[.requests[] | select(.path | endswith(
		"/actions/poweron"))] | length') == 2 ]]
}

# SIGTERM while a new server this run powered on still boots: its
# power-on is kept in the state, so that no later run sends another
@test "a power-on of an interrupted run is kept: later runs do not power its server on again" {
	prov_setup hetzner "  boot_timeout: 60s"
	fake_config '{"status_after_create": "off"}' >/dev/null
	fake_fault '{"method": "POST", "path": "/servers/",
		"action_error": {"code": "server_error",
		"message": "cannot start"}}' >/dev/null
	# every look at the server takes 1.5 s, so the run is still at its
	# first look after the power-on when the signal comes, however slow
	# this host is to see the power-on in the log (the looks are 0.05 s
	# apart: two of them came before the signal on a busy host)
	fake_fault '{"method": "GET", "path": "/servers/", "slow": 1.5,
		"count": 0}' >/dev/null
	decision scale_up 1 > "$BATS_TEST_TMPDIR/doc"
	pp-provision < "$BATS_TEST_TMPDIR/doc" > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	# the looks before the power-on are slow too: up to a minute
	# (valgrind), and the run is not left behind if it never comes
	fake_wait_for_log '.method == "POST" and
		(.path | endswith("/actions/poweron"))' 1200 ||
		{ kill -KILL "$pid"; wait "$pid"; false; }
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	fake_ctl DELETE /faults >/dev/null
	[[ $rc == 1 ]] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	sid=$(fake_state | jq -r '.servers[0].id')
	[[ $(fake_state | jq -r '.servers[0].status') == off ]]
	run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
		(.powered_on | type)]' "$STATE"
	assert_output '[0,"string"]'
	for t in 10:00 10:01; do
		run --separate-stderr pp-provision --now "2026-11-27T${t}:00Z" \
			< <(decision none)
		assert_success
	done
	[[ $(fake_log | jq '[.requests[] | select(.path | endswith(
		"/actions/poweron"))] | length') == 1 ]]
	jq_is '.provision.servers[0] | [.op, .status, .error.code] |
		join(",")' "expire,deleted,server_off"
}

# a node an earlier run left provisioning whose server sits off with
# nothing running on it (off_node, test_helper/provision): each run
# looks once, the looks and the one power-on are kept in the state
# (off_servers), and the clock is --now

# look HH:MM [STATUS]: a pp-provision run at that minute of 2026-11-27
# with no decision (it looks at the servers it waits for), which must
# exit STATUS (0); its output and stderr are left as run leaves them
look() {
	run --separate-stderr pp-provision --now "2026-11-27T$1:00Z" \
		< <(decision none)
	[[ $status == "${2:-0}" ]] ||
		fail "pp-provision at $1: exit $status, not ${2:-0}: $stderr"
}

poweron_posts() {
	fake_log | jq '[.requests[] | select(.path | endswith(
		"/actions/poweron"))] | length'
}

@test "a server of an earlier run that stays off is powered on once, after two runs' looks with nothing running on it" {
	sid=$(off_node)
	look 10:00
	[[ $(poweron_posts) == 0 ]]
	run jq -c --arg s "$sid" '.off_servers[$s] | [.node, .looks, .since,
		.powered_on]' "$STATE"
	assert_output '["pp-off111",1,"2026-11-27T10:00:00Z",null]'
	# a run again in the same second is no second look
	look 10:00
	[[ $(poweron_posts) == 0 ]]
	# a dry run says what it would do, and does not
	cp "$STATE" "$BATS_TEST_TMPDIR/state.before"
	run --separate-stderr pp-provision --dry-run \
		--now 2026-11-27T10:01:00Z < <(decision none)
	assert_success
	assert_stderr_contains "would power it on (once) (dry run)"
	[[ $(poweron_posts) == 0 ]]
	cmp "$STATE" "$BATS_TEST_TMPDIR/state.before"
	look 10:01
	[[ $(poweron_posts) == 1 ]]
	jq_is '.provision.servers[0] | [.op, .status, .powered_on,
		.off_since] | map(tostring) | join(",")' \
		"power_on,provisioning,true,2026-11-27T10:00:00Z"
	assert_stderr_contains "powering it on (once)"
	run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
		.powered_on]' "$STATE"
	assert_output '[0,"2026-11-27T10:01:00Z"]'
	# its power-on's action ends when looked at: the server runs, the
	# node waits for its agent, and the state forgets it
	look 10:02
	look 10:03
	[[ $(fake_state | jq -r '.servers[0].status') == running ]]
	[[ $(poweron_posts) == 1 ]]
	[[ $(reg '.nodes[1].status') == provisioning ]]
	run jq -c '.off_servers' "$STATE"
	assert_output null
	[[ ! -s $EVENTS ]]
}

@test "a server of an earlier run still off after its power-on is deleted as a failed boot, before cloud.boot_timeout" {
	sid=$(off_node)
	fake_fault '{"method": "POST", "path": "/servers/",
		"action_error": {"code": "server_error",
		"message": "cannot start"}}' >/dev/null
	for t in 10:00 10:01 10:02; do
		look "$t"
	done
	[[ $(poweron_posts) == 1 ]]
	[[ $(fake_state | jq -r '.servers[0].status') == off ]]
	# a failed boot of an earlier run, as one past cloud.boot_timeout:
	# this run's work was done
	look 10:03
	jq_is '.provision.servers[0] | [.op, .status, .error.code,
		.powered_on] | map(tostring) | join(",")' \
		"expire,deleted,server_off,true"
	[[ $(poweron_posts) == 1 ]]
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r .type "$EVENTS"
	assert_output "scaling.failed
node.removed"
	run jq -r '.counters.pp_scaling_events_total["action=failed_boot,result=failed"]' "$STATE"
	assert_output 1
	run jq -c '.off_servers' "$STATE"
	assert_output null
}

@test "a server of an earlier run seen starting after its power-on and off again gets no second power-on" {
	sid=$(off_node)
	fake_fault '{"method": "POST", "path": "/servers/",
		"action_error": {"code": "server_error",
		"message": "cannot start"}}' >/dev/null
	for t in 10:00 10:01; do
		look "$t"
	done
	[[ $(poweron_posts) == 1 ]]
	# its start runs for a while (the API's "starting"), then fails
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].status =
		"starting" | {servers}')" >/dev/null
	look 10:02
	run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
		.powered_on]' "$STATE"
	assert_output '[0,"2026-11-27T10:01:00Z"]'
	fake_ctl PUT /state "$(fake_state | jq -c '.servers[0].status =
		"off" | {servers}')" >/dev/null
	for t in 10:03 10:04; do
		look "$t"
	done
	[[ $(poweron_posts) == 1 ]]
	jq_is '.provision.servers[0] | [.op, .status, .error.code] |
		join(",")' "expire,deleted,server_off"
}

@test "a server of an earlier run whose power-on is refused is powered on again after two more looks" {
	sid=$(off_node)
	fake_fault '{"method": "POST", "path": "/servers/", "status": 403,
		"code": "forbidden", "message": "insufficient permissions"}' \
		>/dev/null
	look 10:00
	# the refused power-on is this run's error
	look 10:01 1
	[[ $(poweron_posts) == 1 ]]
	jq_is '.provision.servers[0] | [.op, .error.code, .powered_on] |
		map(tostring) | join(",")' "power_on,forbidden,false"
	run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
		.powered_on]' "$STATE"
	assert_output '[0,null]'
	[[ $(fake_state | jq -r '.servers[0].status') == off ]]
	for t in 10:02 10:03; do
		look "$t"
	done
	[[ $(poweron_posts) == 2 ]]
	jq_is '.provision.servers[0] | [.op, .status, .powered_on] |
		map(tostring) | join(",")' "power_on,provisioning,true"
	run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
		.powered_on]' "$STATE"
	assert_output '[0,"2026-11-27T10:03:00Z"]'
}

# lost before the API acted on it (a dropped connection, a 503 the API
# gave without acting): no start action since it, so the next look
# sends it again instead of counting toward server_off
@test "a server of an earlier run whose power-on never reached the API is powered on again at the next look, not deleted" {
	for fault in '"drop": true' '"status": 503'; do
		fake_ctl POST /reset >/dev/null
		rm -f "$STATE" "$EVENTS"
		prov_setup hetzner
		sid=$(off_node)
		fake_fault "{\"method\": \"POST\", \"path\": \"/servers/\",
			$fault}" >/dev/null
		look 10:00
		look 10:01 1
		[[ $(poweron_posts) == 1 ]] || fail "$fault: $(poweron_posts)"
		run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
			.powered_on, .starts_before]' "$STATE"
		assert_output '[0,"2026-11-27T10:01:00Z",0]'
		look 10:02
		assert_stderr_contains "never got the power-on"
		[[ $(poweron_posts) == 2 ]]
		jq_is '.provision.servers[0] | [.op, .status,
			.powered_on_again] | map(tostring) | join(",")' \
			"power_on,provisioning,true"
		run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
			.powered_on, .powered_on_again, .starts_before]' "$STATE"
		assert_output '[0,"2026-11-27T10:02:00Z",true,null]'
		for t in 10:03 10:04; do
			look "$t"
		done
		[[ $(fake_state | jq -r '.servers[0].status') == running ]]
		[[ $(poweron_posts) == 2 ]]
		[[ $(reg '.nodes[1].status') == provisioning ]]
		run jq -c '.off_servers' "$STATE"
		assert_output null
		[[ ! -s $EVENTS ]]
	done
}

# the API acted on it and the answer was lost on the way back: its start
# action is there, so it counts, and a start that failed leads to
# server_off two looks later with no second power-on
@test "a server of an earlier run whose power-on was taken but its answer lost gets no second one" {
	sid=$(off_node)
	fake_fault '{"faults": [
		{"method": "POST", "path": "/servers/", "drop_after": true},
		{"method": "POST", "path": "/servers/",
		 "action_error": {"code": "server_error",
		 "message": "cannot start"}}]}' >/dev/null
	look 10:00
	look 10:01 1
	[[ $(poweron_posts) == 1 ]]
	look 10:02
	assert_stderr_contains "took the power-on whose answer was lost"
	[[ $(poweron_posts) == 1 ]]
	run jq -c --arg s "$sid" '.off_servers[$s] | [.looks,
		.powered_on, .starts_before]' "$STATE"
	assert_output '[1,"2026-11-27T10:01:00Z",null]'
	look 10:03
	[[ $(poweron_posts) == 1 ]]
	jq_is '.provision.servers[0] | [.op, .status, .error.code] |
		join(",")' "expire,deleted,server_off"
}

@test "a lost power-on whose start actions cannot be counted again counts as done, and says so" {
	sid=$(off_node)
	fake_fault '{"method": "POST", "path": "/servers/", "drop": true}' \
		>/dev/null
	for t in 10:00 10:01; do
		run --separate-stderr pp-provision --now "2026-11-27T${t}:00Z" \
			< <(decision none)
	done
	[[ $(poweron_posts) == 1 ]]
	# the look's GET .../actions?status=running passes, the count fails
	fake_fault "{\"method\": \"GET\", \"path\": \"/servers/$sid/actions\",
		\"skip\": 1, \"status\": 403, \"code\": \"forbidden\"}" >/dev/null
	look 10:02
	assert_stderr_contains "cannot tell whether the API took the power-on of server $sid whose answer was lost"
	assert_stderr_contains "counted as done"
	[[ $(poweron_posts) == 1 ]]
	look 10:03
	[[ $(poweron_posts) == 1 ]]
	jq_is '.provision.servers[0] | [.op, .status, .error.code] |
		join(",")' "expire,deleted,server_off"
}

@test "a run again in the same second asks the API nothing about a server of an earlier run seen off" {
	sid=$(off_node)
	look 10:00
	fake_ctl DELETE /log >/dev/null
	look 10:00
	run jq -r --arg p "/servers/$sid/actions" '[.requests[] |
		select(.path == $p)] | length' <<<"$(fake_log)"
	assert_output 0
	run jq -c --arg s "$sid" '.off_servers[$s] | [.looks, .at]' "$STATE"
	assert_output '[1,"2026-11-27T10:00:00Z"]'
}

@test "a server of an earlier run off with an action running on it is not counted as stuck" {
	sid=$(off_node)
	# by time: the power-on someone else sent runs for a minute
	fake_config '{"action_seconds": 60}' >/dev/null
	curl -sS --max-time 5 -X POST -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/servers/$sid/actions/poweron" >/dev/null
	fake_ctl DELETE /log >/dev/null
	for t in 10:00 10:01 10:02; do
		look "$t"
	done
	[[ $(poweron_posts) == 0 ]]
	run jq -c '.off_servers' "$STATE"
	assert_output null
}

@test "a server an operator deletes while it boots: its node is removed, with the events of a failed boot" {
	provision_booting
	sid=$(fake_state | jq -r '.servers[0].id')
	# hcloud server delete: the API keeps it deleting until its delete
	# action ends (nobody polls it here)
	curl -sS --max-time 5 -X DELETE -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/servers/$sid" >/dev/null
	rc=0
	wait "$pid" || rc=$?
	[[ $rc == 1 ]] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	jq_is '.provision.servers[0].error.code' deleting
	jq_is '.provision.servers[0].status' removed
	grep -q "its server is being deleted while booting" \
		"$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	# no second DELETE, and the server still deleting
	[[ $(fake_log | jq '[.requests[] | select(.method == "DELETE")] |
		length') == 1 ]]
	[[ $(fake_state | jq -r '.servers[0].status') == deleting ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
	# every node.provisioning ends in node.added or node.removed
	run jq -r '.type + " " + (.server_id // "")' "$EVENTS"
	assert_output "node.provisioning $sid
scaling.failed $sid
node.removed $sid"
}

@test "the second of three creates fails: the first stays registered, partial, exit 1" {
	fake_fault '{"method": "POST", "path": "/servers", "skip": 1,
		"status": 422, "code": "invalid_input", "count": 0}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 3)
	assert_failure 1
	jq_is .provision.status partial
	jq_is '[.provision.servers[].status] | join(",")' provisioning,failed
	jq_is '.provision.servers[1].error.code' invalid_input
	# no retry storm: the third is not tried
	[[ $(posts) == 2 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .status] |
		join(",")') == provisioning ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	ud_valid
}

# Exit 2 is "bad input: nothing was done"; converging has acted by the
# time the user data is rendered, so a render that fails is a failed
# create, and the rest of the run goes on.
@test "a cloud-init that cannot be rendered fails the create, not the run: nothing bought, the rest done, the document written, exit 1" {
	# an earlier run's node, its server gone since: this run's
	# converging removes it
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	node=$(reg '.nodes[] | select(.kind == "cloud") | .id')
	pp-registry status "$node" ready
	fake_ctl PUT /state '{"servers": []}' >/dev/null
	before=$(posts)
	: > "$EVENTS"
	chmod 644 "$BATS_TEST_TMPDIR/join"
	run --separate-stderr pp-provision -q < <(decision scale_up 2)
	assert_failure 1
	jq_is .decision.action scale_up
	jq_is .provision.status failed
	jq_is '[.provision.servers[] | select(.op == "create") |
		.status + ":" + (.error.code // "-")] | join(",")' \
		failed:cloud_init
	jq_is '[.provision.servers[] | select(.op == "create")][0].error.message |
		contains("has mode 0644")' true
	assert_stderr_contains "pp-provision: cannot render cloud-init for 'pp-"
	assert_stderr_contains "join token file '$BATS_TEST_TMPDIR/join' has mode 0644"
	refute_stderr_contains "$JOIN_TOKEN"
	refute_output --partial "$JOIN_TOKEN"
	# nothing bought, no node recorded for it; the converging stands
	[[ $(posts) == "$before" ]]
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
	run jq -r 'select(.type == "node.removed") | .node' "$EVENTS"
	assert_output "$node"
	run jq -c 'select(.type == "scaling.failed") | [.action, .result, .stage]' "$EVENTS"
	assert_output '["scale_up","failed","provision"]'
	run jq -r '.counters.pp_scaling_events_total["action=scale_up,result=failed"]' "$STATE"
	assert_output 1
}

@test "a corrupt state file: the run goes on, says so under -q naming pp-decide --reset-state, exit 1; a dry run says it too" {
	printf '{"refusals": ' > "$STATE"
	sum=$(prov_store_sum "$STATE" "$REG")
	run --separate-stderr pp-provision -q --dry-run < <(decision scale_up 1)
	assert_failure 1
	jq_is '.provision.servers[0].status' dry_run
	assert_stderr_contains "state file '$STATE' is corrupt"
	assert_stderr_contains "(pp-decide --reset-state starts it afresh)"
	assert_stderr_contains "a run would not record its refusals and counters"
	refute_stderr_contains "(use --reset-state"
	[[ $(prov_store_sum "$STATE" "$REG") == "$sum" ]]
	run --separate-stderr pp-provision -q < <(decision none)
	assert_failure 1
	assert_stderr_contains "state file '$STATE' is corrupt"
	assert_stderr_contains "(pp-decide --reset-state starts it afresh)"
	assert_stderr_contains "refusals and counters not recorded"
	jq_is .decision.action none
	# pp-provision does not replace it: that is pp-decide's to do
	[[ $(cat "$STATE") == '{"refusals": ' ]]
}

@test "resource_limit_exceeded: one clear error and an event, no retry" {
	fake_config '{"server_limit": 0}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 2)
	assert_failure 1
	jq_is '.provision.servers[0].error.code' resource_limit_exceeded
	assert_stderr_contains "server limit"
	[[ $(posts) == 1 ]]
	run jq -r '.type + " " + .result' "$EVENTS"
	assert_output "scaling.failed failed"
}

@test "a full placement group: one clear error that names the limit, no retry, nothing left" {
	# Hetzner's limit, lowered; two servers of someone else's in group 7
	fake_config '{"placement_group_limit": 2}' >/dev/null
	fake_seed '{"servers": [
		{"name": "web-1", "placement_group": 7, "labels": {"team": "web"}},
		{"name": "web-2", "placement_group": 7, "labels": {"team": "web"}}]}' \
		>/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 3 cx23 nbg1)
	assert_failure 1
	jq_is '.provision.servers[0].error.code' placement_group_member_limit_reached
	assert_stderr_contains "placement group with ID 7 contains already 2 servers"
	assert_stderr_contains "placement group 7 is full: servers other than ppscale's are in it, or cloud.placement_group_limit (10)"
	# the other locations would answer the same: one POST in all
	[[ $(posts) == 1 ]]
	run jq -r '.type + " " + .result' "$EVENTS"
	assert_output "scaling.failed failed"
	[[ $(fake_state | jq '.servers | length') == 2 ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud")] | length') == 0 ]]
}

@test "adopts a server of ours the registry lacks instead of creating another" {
	fake_seed '{"servers": [{"name": "pp-orphan", "status": "running",
		"location": "hel1", "labels": {"managed_by": "ppscale",
		"pool": "default", "role": "worker"}},
		{"name": "other-box", "labels": {"managed_by": "ppscale"}},
		{"name": "pp-foreign", "labels": {"team": "web"}}]}' >/dev/null
	run --separate-stderr pp-provision < <(decision scale_up 2)
	assert_success
	jq_is '[.provision.servers[] | .op + ":" + .status] | join(",")' \
		adopt:provisioning,create:provisioning
	jq_is '.provision.servers[0].name' pp-orphan
	# like any new node: provisioning, with its address, until the
	# platform marks it ready (no node.added of our own)
	[[ $(reg '.nodes[] | select(.id == "pp-orphan") | .status') == \
		provisioning ]]
	[[ $(reg '.nodes[] | select(.id == "pp-orphan") | .ip') == \
		$(fake_state | jq -r '.servers[] | select(.name ==
		"pp-orphan") | .public_net.ipv4.ip') ]]
	run jq -r 'select(.type == "node.added") | .node' "$EVENTS"
	assert_output ""
	assert_stderr_contains "adopting server 'pp-orphan'"
	[[ $(posts) == 1 ]]
	[[ $(reg '[.nodes[].id] | map(select(. == "pp-orphan" or
		. == "other-box" or . == "pp-foreign")) | join(",")') == \
		pp-orphan ]]
	[[ $(reg '.nodes[] | select(.id == "pp-orphan") | .location') == hel1 ]]
}

@test "an adopted server of a type the API no longer lists gets its RAM from its own server_type" {
	# cx22 is past its unavailable_after: GET /server_types leaves it out
	fake_config '{"clock": "2026-11-27T10:00:00Z"}' >/dev/null
	fake_seed '{"servers": [{"name": "pp-old001", "status": "running",
		"server_type": "cx22", "location": "fsn1",
		"created": "2026-11-27T09:59:00Z", "labels": {"managed_by":
		"ppscale", "pool": "default", "role": "worker"}}]}' >/dev/null
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	jq_is '[.provision.servers[] | .op + ":" + .name] | join(",")' \
		adopt:pp-old001
	[[ $(reg '.nodes[] | select(.id == "pp-old001") |
		[.total_ram_mb, .reserved_ram_mb, .cloud.server_type] |
		join(",")') == 4096,512,cx22 ]]
}

@test "a host whose clock runs 20 minutes ahead of the API's counts a server's age on its own clock: an adopted server is not a failed boot" {
	# the API's clock (its Date header, "created") 1200 s behind this
	# host's; pp-provision writes what it orders with this host's time,
	# but an orphan's age, and an adopted server's, come from the API
	fake_config '{"skew": -1200}' >/dev/null
	fake_seed '{"servers": [{"name": "pp-late", "status": "running",
		"server_type": "cx23", "labels": {"managed_by": "ppscale",
		"pool": "default", "role": "worker"}}]}' >/dev/null
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	# a young orphan is capacity on its way (within cloud.boot_timeout)
	run --separate-stderr pp-fleetstats --reconcile --no-record \
		--now "$now"
	assert_success
	jq_is .fleet.pending_ram_mb 3584
	assert_stderr_contains "this host's clock is 1"
	assert_stderr_contains "s ahead of the Hetzner API's"
	run --separate-stderr pp-provision --now "$now" \
		< <(decision scale_up 1)
	assert_success
	jq_is '[.provision.servers[] | .op + ":" + .status] | join(",")' \
		adopt:provisioning
	created=$(reg '.nodes[] | select(.id == "pp-late") | .cloud.created_at')
	(( $(date -d "$now" +%s) - $(date -d "$created" +%s) < 60 ))
	# the next cycles, within cloud.join_timeout: booting capacity,
	# not expired
	pp-fleetstats --now "$now" > "$BATS_TEST_TMPDIR/fs" 2>/dev/null
	[[ $(jq .fleet.pending_ram_mb "$BATS_TEST_TMPDIR/fs") == 3584 ]]
	run --separate-stderr pp-provision --now "$now" < <(decision none)
	assert_success
	jq_is '[(.provision.servers // [])[] | select(.op == "expire")] | length' 0
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(reg '.nodes[] | select(.id == "pp-late") | .status') == \
		provisioning ]]
}

@test "a server whose node was removed while it was created is recorded anew, dated on this host's clock" {
	fake_config '{"skew": -1200}' >/dev/null
	fake_fault '{"method": "POST", "path": "/servers", "slow": 2}' \
		>/dev/null
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	pp-provision --now "$now" < <(decision scale_up 1) \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	fake_wait_for_log '.method == "POST" and .path == "/servers"'
	# the node recorded before the create goes (an operator, a
	# platform's clean-up) while the create runs
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		psql -X -q -v ON_ERROR_STOP=1 -d "$REG_DB" -c "DELETE FROM
			ppscale_nodes WHERE kind = 'cloud' AND server_id IS NULL"
	else
		flock -x "$REG.lock" sh -c 'jq "del(.nodes[1])" "$1" \
			> "$1.tmp" && mv "$1.tmp" "$1"' sh "$REG"
	fi
	[[ $(reg '.nodes | length') == 1 ]]
	wait $! || fail "pp-provision failed: $(<"$BATS_TEST_TMPDIR/err")"
	[[ $(reg '.nodes | length') == 2 ]]
	created=$(reg '.nodes[1].cloud.created_at')
	(( $(date -d "$now" +%s) - $(date -d "$created" +%s) < 60 ))
}

@test "a node whose agent never joins is deleted after cloud.join_timeout, a failed boot, and stops counting as capacity" {
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	jq_is '.provision.servers[0].status' provisioning
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	[[ $(reg ".nodes[1].ip") =~ ^[0-9.]+$ ]]
	# within cloud.join_timeout (15m): waits, one list, no GET of it
	look 10:14
	[[ $(reg ".nodes[1].status") == provisioning ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	# pp-decide counts it as booting capacity until then, not after
	pp-fleetstats --now 2026-11-27T10:14:00Z > "$BATS_TEST_TMPDIR/fs"
	[[ $(pp-decide --now 2026-11-27T10:14:00Z < "$BATS_TEST_TMPDIR/fs" \
		2>/dev/null | jq .decision.figures.pending_ram_mb) == 3584 ]]
	# and so do pp-fleetstats' figures and pp-status
	[[ $(jq .fleet.pending_ram_mb "$BATS_TEST_TMPDIR/fs") == 3584 ]]
	[[ $(pp-status --json --now 2026-11-27T10:14:00Z |
		jq .fleet.pending_ram_mb) == 3584 ]]
	pp-fleetstats --now 2026-11-27T10:16:00Z > "$BATS_TEST_TMPDIR/fs"
	[[ $(pp-decide --now 2026-11-27T10:16:00Z < "$BATS_TEST_TMPDIR/fs" \
		2>/dev/null | jq .decision.figures.pending_ram_mb) == 0 ]]
	[[ $(jq .fleet.pending_ram_mb "$BATS_TEST_TMPDIR/fs") == 0 ]]
	[[ $(pp-status --json --now 2026-11-27T10:16:00Z |
		jq .fleet.pending_ram_mb) == 0 ]]
	: > "$EVENTS"
	look 10:16
	assert_stderr_contains "its agent has not joined"
	jq_is '.provision.servers[0] | .op + ":" + .status' expire:deleted
	jq_is '.provision.servers[0].error.code' join_timeout
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r '.type + " " + .node' "$EVENTS"
	assert_output "scaling.failed $name
node.removed $name"
	run jq -r '.counters.pp_scaling_events_total["action=failed_boot,result=failed"]' "$STATE"
	assert_output 1
}

@test "cloud.ready_check health: a new node is ready once its agent's health endpoint answers 2xx" {
	local www="$BATS_TEST_TMPDIR/www"
	mkdir -p "$www"
	http_serve "$www"
	prov_setup hetzner "  ready_check: health
  health_url: http://127.0.0.1:$HTTP_PORT/{name}/health"
	run --separate-stderr pp-provision < <(decision scale_up 1)
	assert_success
	jq_is '.provision.servers[0].status' provisioning
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	assert_stderr_contains "health endpoint http://127.0.0.1:$HTTP_PORT/$name/health does not answer 2xx yet (HTTP 404)"
	[[ $(reg ".nodes[1].status") == provisioning ]]
	# not yet: the next cycle asks again and leaves it
	run --separate-stderr pp-provision < <(decision none)
	assert_success
	[[ $(reg ".nodes[1].status") == provisioning ]]
	# the agent answers: ready, with its node.added
	mkdir -p "$www/$name"
	echo ok > "$www/$name/health"
	: > "$EVENTS"
	run --separate-stderr pp-provision < <(decision none)
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' promote:ready
	[[ $(reg ".nodes[1].status") == ready ]]
	run jq -r '.type + " " + .node' "$EVENTS"
	assert_output "node.added $name"
	grep -q "GET /$name/health" "$BATS_TEST_TMPDIR/http.log"
	kill "$HTTP_PID" 2>/dev/null || true
}

@test "cloud.health_url: {ip} is the public address, else the private one; an unknown one, no probe" {
	prov_setup hetzner "  ready_check: health
  health_url: https://{ip}:8443/{name}/health?p={private_ip}"
	run --separate-stderr "$PP_BUILD/unit/cloudctl" healthurl n1 \
		203.0.113.5 10.0.0.5
	assert_output "https://203.0.113.5:8443/n1/health?p=10.0.0.5"
	# a server without a public address (private network only)
	run --separate-stderr "$PP_BUILD/unit/cloudctl" healthurl n1 - 10.0.0.5
	assert_output "https://10.0.0.5:8443/n1/health?p=10.0.0.5"
	run --separate-stderr "$PP_BUILD/unit/cloudctl" healthurl n1 \
		203.0.113.5 -
	assert_output none
	run --separate-stderr "$PP_BUILD/unit/cloudctl" healthurl n1 - -
	assert_output none
}

@test "cloud.ready_check health: the agents of every booting node are asked at once" {
	# the endpoints answer only when all three are asked together: one
	# after the other, each probe would wait out its timeout
	local port="$BATS_TEST_TMPDIR/health.port" open="$BATS_TEST_TMPDIR/open"
	python3 "$PP_TOP/t/test_helper/health_barrier.py" 3 "$port" \
		"$BATS_TEST_TMPDIR/health.log" "$open" &
	for _ in $(seq 100); do [[ -s $port ]] && break; sleep 0.05; done
	prov_setup hetzner "  ready_check: health
  health_url: http://127.0.0.1:$(cat "$port")/{name}/health"
	run --separate-stderr pp-provision < <(decision scale_up 3)
	assert_success
	jq_is '[.provision.servers[].status] | unique | join(",")' provisioning
	# the agents are up: one cycle asks all three and marks them ready
	touch "$open"
	: > "$BATS_TEST_TMPDIR/health.log"
	run --separate-stderr pp-provision -v < <(decision none)
	assert_success
	assert_stderr_contains "asking 3 agents' health endpoints at once"
	jq_is '[.provision.servers[] | .op + ":" + .status] | join(",")' \
		promote:ready,promote:ready,promote:ready
	[[ $(reg '[.nodes[] | select(.status == "ready")] | length') == 4 ]]
	[[ $(grep -c "GET /.*/health" "$BATS_TEST_TMPDIR/health.log") == 3 ]]
}

@test "cloud.ready_check health: a scale-up's new servers that run are asked at once" {
	local port="$BATS_TEST_TMPDIR/health.port"
	python3 "$PP_TOP/t/test_helper/health_barrier.py" 3 "$port" \
		"$BATS_TEST_TMPDIR/health.log" &
	for _ in $(seq 100); do [[ -s $port ]] && break; sleep 0.05; done
	prov_setup hetzner "  ready_check: health
  health_url: http://127.0.0.1:$(cat "$port")/{name}/health"
	run --separate-stderr pp-provision -v < <(decision scale_up 3)
	assert_success
	assert_stderr_contains "asking 3 agents' health endpoints at once"
	jq_is '[.provision.servers[].status] | join(",")' ready,ready,ready
	[[ $(grep -c "GET /.*/health" "$BATS_TEST_TMPDIR/health.log") == 3 ]]
}

@test "cloud.ready_check health: nodes seen running for the first time are asked at once too" {
	local port="$BATS_TEST_TMPDIR/health.port" ids i
	python3 "$PP_TOP/t/test_helper/health_barrier.py" 3 "$port" \
		"$BATS_TEST_TMPDIR/health.log" &
	for _ in $(seq 100); do [[ -s $port ]] && break; sleep 0.05; done
	prov_setup hetzner "  ready_check: health
  health_url: http://127.0.0.1:$(cat "$port")/{name}/health"
	# three servers of ours that run, their nodes recorded before any
	# address was (a run that ended while they booted)
	ids=$(fake_seed '{"servers": [
	  {"name": "pp-aaa111", "location": "nbg1", "labels":
	    {"managed_by": "ppscale", "role": "worker", "pool": "default"}},
	  {"name": "pp-bbb222", "location": "nbg1", "labels":
	    {"managed_by": "ppscale", "role": "worker", "pool": "default"}},
	  {"name": "pp-ccc333", "location": "nbg1", "labels":
	    {"managed_by": "ppscale", "role": "worker", "pool": "default"}}]}' |
		jq -c '[.servers[] | {name, id: (.id | tostring)}]')
	for i in 0 1 2; do
		registry_add "$(jq -c --argjson i "$i" '.[$i] | {id: .name,
			kind: "cloud", status: "provisioning", role: "worker",
			total_ram_mb: 4096, reserved_ram_mb: 512, ip: null,
			location: "nbg1", labels: {managed_by: "ppscale"},
			cloud: {provider: "hetzner", server_id: .id,
			server_type: "cx23", server_name: .name,
			created_at: "2026-11-27T09:59:00Z"}, containers: []}' \
			<<<"$ids")"
	done
	run --separate-stderr pp-provision -v --now 2026-11-27T10:00:00Z \
		< <(decision none)
	assert_success
	assert_stderr_contains "asking 3 agents' health endpoints at once"
	jq_is '[.provision.servers[] | .op + ":" + .status] | join(",")' \
		promote:ready,promote:ready,promote:ready
	[[ $(reg '[.nodes[] | select(.status == "ready" and .ip != null)] |
		length') == 4 ]]
}

@test "a node the platform marked ready before cloud.join_timeout is left alone" {
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	pp-registry status "$name" ready
	look 11:00
	[[ $(reg ".nodes[1].status") == ready ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "a node the platform marks ready after pp-fleetstats read it is not expired from that snapshot" {
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	# the snapshot: still provisioning, past cloud.join_timeout (15m)
	pp-fleetstats --now 2026-11-27T10:16:00Z | jq -c '.decision =
		{action: "none", count: 0, reason: "test", dry_run: false}' \
		> "$BATS_TEST_TMPDIR/doc"
	[[ $(jq -r --arg n "$name" '.nodes[] | select(.id == $n) |
		.status' "$BATS_TEST_TMPDIR/doc") == provisioning ]]
	# then the agent joins and the platform places a game server
	pp-registry status "$name" ready
	pp-registry place "$name" mc-live 1024 --players 7
	: > "$EVENTS"
	run --separate-stderr pp-provision --now 2026-11-27T10:16:00Z \
		< "$BATS_TEST_TMPDIR/doc"
	assert_success
	jq_is '.provision.servers[0] | .op + ":" + .status' expire:joined
	jq_is '.provision.servers[0].error' null
	jq_is .provision.errors 0
	assert_stderr_contains "node '$name' is ready now"
	refute_stderr_contains "deleting it"
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(fake_log | jq '[.requests[] | select(.method ==
		"DELETE")] | length') == 0 ]]
	[[ $(reg ".nodes[1].status") == ready ]]
	[[ $(reg ".nodes[1].containers[0].id") == mc-live ]]
	run jq -r '.type' "$EVENTS"
	assert_output ""
}

# A copy of the node's row taken while it booted (a platform's restore,
# a migration) stays provisioning under its own id after the node joins
# and takes players: past cloud.join_timeout its server looks like one
# that never joined, and it is the node's.
@test "a copied row still provisioning past cloud.join_timeout does not delete the server a ready node names" {
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	sid=$(jq -r '.provision.servers[0].server_id' <<<"$output")
	copy_row "$name" pp-copy provisioning
	pp-registry -q status "$name" ready
	pp-registry -q place "$name" mc-live 1024 --players 7
	fake_ctl DELETE /log >/dev/null
	: > "$EVENTS"
	look 10:16 1
	jq_is '.provision.servers[0] | [.op, .node, .server_id, .status,
		.error.code] | join(",")' "expire,pp-copy,$sid,refused,duplicate_server"
	assert_stderr_contains "refusing to delete: server $sid of node 'pp-copy' is named by node '$name' too (a registry row copied under another id?): its delete would take that node's server; remove the duplicated row from the registry"
	refute_stderr_contains "deleting it"
	[[ $(fake_log | jq '[.requests[] | select(.method ==
		"DELETE")] | length') == 0 ]]
	[[ $(fake_state | jq -r '[.servers[] | .id | tostring] |
		join(",")') == "$sid" ]]
	[[ $(reg ".nodes[] | select(.id == \"$name\") |
		\"\(.status) \(.containers[0].id)\"") == "ready mc-live" ]]
	# left as it was, not marked for a later run to delete
	[[ $(reg '.nodes[] | select(.id == "pp-copy") | .status') == \
		provisioning ]]
	run jq -r '[.type, .node, .result] | join(",")' "$EVENTS"
	assert_output "scaling.failed,pp-copy,refused"
}

# reset_status NODE STATUS: the registry goes back to an older copy of
# node NODE (status STATUS, no game servers), as a restore from a
# backup made while it booted does, on either backend
reset_status() {
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		psql -X -q -d "$REG_DB" -v ON_ERROR_STOP=1 -v id="$1" \
			-v st="$2" <<-'SQL'
			DELETE FROM ppscale_containers WHERE node_id = :'id';
			UPDATE ppscale_nodes SET status = :'st' WHERE id = :'id';
		SQL
		return
	fi
	jq --arg n "$1" --arg s "$2" '(.nodes[] | select(.id == $n)) |=
		(.status = $s | .containers = [])' "$REG" > "$REG.tmp" &&
		mv "$REG.tmp" "$REG"
}

@test "a node seen ready that reads provisioning again is not deleted past cloud.join_timeout, its server having joined once: held, said every run" {
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 2)
	assert_success
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	sid=$(jq -r '.provision.servers[0].server_id' <<<"$output")
	other=$(jq -r '.provision.servers[1].name' <<<"$output")
	osid=$(jq -r '.provision.servers[1].server_id' <<<"$output")
	pp-registry -q status "$name" ready
	pp-registry -q place "$name" mc-live 2048 --players 9
	# a cycle sees it ready: the state remembers its server joined
	look 10:05
	run jq -r --arg s "$sid" --arg o "$osid" \
		'.node_servers[$s] | .joined_since + " " + .joined_node,
		.node_servers[$o].joined_since' "$STATE"
	assert_output "2026-11-27T10:05:00Z $name
null"
	# a copy of its row, ready, does not take its place in that memory,
	# not even once it reads provisioning itself
	copy_row "$name" pp-copy ready
	look 10:06
	run jq -r --arg s "$sid" '.node_servers[$s] | .joined_since + " " +
		.joined_node' "$STATE"
	assert_output "2026-11-27T10:05:00Z $name"
	# the registry goes back to a copy of 10:00: provisioning, no game
	# servers; past cloud.join_timeout (15m) its server runs on; the
	# ready copy goes after the first run
	reset_status "$name" provisioning
	fake_ctl DELETE /log >/dev/null
	: > "$EVENTS"
	for t in 10:16 10:30; do
		run --separate-stderr pp-provision -q \
			--now "2026-11-27T$t:00Z" < <(decision none)
		assert_success
		assert_stderr_contains "node '$name' reads provisioning, but its server $sid (running) joined as a node before (seen since 2026-11-27T10:05:00Z)"
		assert_stderr_contains "or if it will not come back delete its server by hand ('hcloud server delete $sid'"
		assert_stderr_contains "'pp-registry status $name ready'"
		jq_is '[.provision.servers[] | select(.node == "'"$name"'") |
			.op + ":" + .status + ":" + .error.code] | join(",")' \
			expire:held:was_ready
		[[ $(reg ".nodes[] | select(.id == \"$name\") | .status") == \
			provisioning ]]
		run jq -r --arg s "$sid" '.node_servers[$s].joined_node' \
			"$STATE"
		assert_output "$name"
		drop_row pp-copy
	done
	# the one that never joined is deleted as a failed boot, as before
	[[ $(fake_log | jq -r '[.requests[] | select(.method ==
		"DELETE") | .path] | join(",")') == "/servers/$osid" ]]
	[[ $(fake_state | jq -r '[.servers[] | .id | tostring] |
		join(",")') == "$sid" ]]
	run jq -r '[.type, .node] | join(",")' "$EVENTS"
	refute_output --partial "$name"
	# whatever its server's status (off, after a person's power-off):
	# neither powered on nor deleted as a failed boot
	fake_ctl PUT /state "$(fake_state | jq -c --arg s "$sid" '{servers:
		[.servers[] | if (.id | tostring) == $s then .status = "off"
		else . end]}')" >/dev/null
	for t in 10:40 10:42 10:44 10:46 10:48; do
		run --separate-stderr pp-provision -q \
			--now "2026-11-27T$t:00Z" < <(decision none)
		assert_success
		assert_stderr_contains "its server $sid (off) joined as a node before"
		assert_stderr_contains "(power it on by hand if it is off: 'hcloud server poweron $sid')"
	done
	[[ $(fake_log | jq '[.requests[] | select(.method == "POST" and
		(.path | endswith("/actions/poweron")))] | length') == 0 ]]
	# nor while the state, which remembers it, cannot be read
	cp "$STATE" "$BATS_TEST_TMPDIR/state.good"
	printf '{"version": 1,' > "$STATE"
	run --separate-stderr pp-provision -q --now 2026-11-27T10:50:00Z \
		< <(decision none)
	assert_failure 1
	assert_stderr_contains "node '$name' reads provisioning past its boot or join time, but whether it joined before is unknown (the state cannot be read: "
	assert_stderr_contains "): not deleting its server $sid this run"
	jq_is '[.provision.servers[] | select(.node == "'"$name"'") |
		.op + ":" + .status + ":" + .error.code] | join(",")' \
		expire:held:state_unread
	cp "$BATS_TEST_TMPDIR/state.good" "$STATE"
	[[ $(fake_log | jq -r '[.requests[] | select(.method ==
		"DELETE") | .path] | join(",")') == "/servers/$osid" ]]
	# marked ready again: nothing held, said no more
	pp-registry -q status "$name" ready
	look 10:52
	refute_stderr_contains "reads provisioning"
	[[ $(fake_state | jq -r '[.servers[] | .id | tostring] |
		join(",")') == "$sid" ]]
}

# On PostgreSQL the lock is the session's: a server setting that ends
# a session idle in a transaction (idle_in_transaction_session_timeout)
# must not end it while pp-provision holds the node across the delete.
@test "a database's idle-in-transaction timeout does not let the platform in between the look and the delete" {
	[[ ${PP_REG_BACKEND:-file} == pg ]] || skip "PostgreSQL's sessions"
	sed -i 's/request_timeout: 2s/request_timeout: 10s/' "$PP_CONFIG"
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	psql -X -q -d "$REG_DB" -c "ALTER ROLE CURRENT_USER IN DATABASE
		$REG_DB SET idle_in_transaction_session_timeout = '1s'"
	fake_fault '{"method": "DELETE", "path": "/servers", "slow": 4}' \
		>/dev/null
	pp-provision --now 2026-11-27T10:16:00Z < <(decision none) \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	local pid=$! rc=0
	fake_wait_for_log '.method == "DELETE"'
	sleep 1.5
	# the agent joins late and the platform places a game server
	pp-registry status "$name" ready || true
	psql -X -q -d "$REG_DB" -c "INSERT INTO ppscale_containers (id,
		node_id, ram_mb, state, players) SELECT 'mc-live', id, 1024,
		'running', 7 FROM ppscale_nodes WHERE id = '$name' AND
		status = 'ready' FOR SHARE"
	wait "$pid" || rc=$?
	psql -X -q -d "$REG_DB" -c "ALTER ROLE CURRENT_USER IN DATABASE
		$REG_DB RESET idle_in_transaction_session_timeout"
	[[ $rc == 0 ]] || fail "pp-provision: $(<"$BATS_TEST_TMPDIR/err")"
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	[[ $(psql -X -At -d "$REG_DB" -c "SELECT count(*) FROM
		ppscale_containers") == 0 ]]
}

# expire_slowly: a node whose server never joined ($name), and a
# pp-provision in the background ($pid, output in $BATS_TEST_TMPDIR/out
# and err) that expires it, in its 3-second DELETE when this returns
expire_slowly() {
	sed -i 's/request_timeout: 2s/request_timeout: 10s/' "$PP_CONFIG"
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	fake_fault '{"method": "DELETE", "path": "/servers", "slow": 3}' \
		>/dev/null
	pp-provision --now 2026-11-27T10:16:00Z < <(decision none) \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	fake_wait_for_log '.method == "DELETE"'
}

# The expire of a server whose agent never joined: the node is marked
# draining (by expire) and that mark committed before the DELETE, so the
# platform can neither mark the node ready nor place on it while the
# server goes, and no lock is held across the request.
@test "an expired server's node is marked draining by expire, committed, before its delete" {
	local rc=0
	expire_slowly
	[[ $(reg ".nodes[] | select(.id == \"$name\") |
		\"\(.status) \(.draining_by)\"") == "draining expire" ]] ||
		fail "during the delete: $(reg ".nodes[1]")"
	# the platform's late ready mark and a placement are refused
	run --separate-stderr pp-registry status "$name" ready
	assert_failure 1
	assert_stderr_contains "node '$name' is draining: pp-provision is deleting its server, which did not boot or join in time"
	run --separate-stderr pp-registry place "$name" mc-late 1024
	assert_failure 1
	wait "$pid" || rc=$?
	[[ $rc == 0 ]] || fail "pp-provision: $(<"$BATS_TEST_TMPDIR/err")"
	output=$(<"$BATS_TEST_TMPDIR/out")
	jq_is '.provision.servers[0] | .op + ":" + .status' expire:deleted
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
}

# The mark outlives the lock: on PostgreSQL a session ended by a restart
# or a failover frees its row locks, and the platform must still find
# the node closed to it while the server goes.
@test "a lost database session during an expire's delete does not let the platform place on the node" {
	[[ ${PP_REG_BACKEND:-file} == pg ]] || skip "PostgreSQL's sessions"
	expire_slowly
	# whatever session holds a lock on the nodes ends (a failover)
	psql -X -q -At -d "$REG_DB" -c "SELECT count(pg_terminate_backend(
		l.pid)) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE c.relname = 'ppscale_nodes' AND l.pid <>
		pg_backend_pid()" > /dev/null
	# the agent joins late and the platform places a game server, as
	# ppscale-registry(5) tells it to
	pp-registry status "$name" ready 2>/dev/null || true
	psql -X -q -d "$REG_DB" -c "INSERT INTO ppscale_containers (id,
		node_id, ram_mb, state, players) SELECT 'mc-live', id, 1024,
		'running', 7 FROM ppscale_nodes WHERE id = '$name' AND
		status = 'ready' FOR SHARE"
	wait "$pid" || true
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(psql -X -At -d "$REG_DB" -c "SELECT count(*) FROM
		ppscale_containers") == 0 ]] || fail "a game server was placed on a deleted server"
	# whatever the run could not finish, the next one does
	look 10:18
	[[ $(reg '.nodes | length') == 1 ]]
}

# A run that fails after the mark (the delete refused, the run killed)
# leaves the node draining by expire: no decision continues or uncordons
# it, pp-drain and pp-registry leave it alone, and the next run of
# pp-provision finishes the delete.
@test "an expire whose delete failed is finished by the next run, and nothing returns its node meanwhile" {
	run --separate-stderr pp-provision --now 2026-11-27T10:00:00Z \
		< <(decision scale_up 1)
	assert_success
	name=$(jq -r '.provision.servers[0].name' <<<"$output")
	fake_fault '{"method": "DELETE", "path": "/servers", "status": 503,
		"count": 0}' >/dev/null
	look 10:16 1
	jq_is '.provision.servers[0] | .op + ":" + .status' expire:draining
	assert_stderr_contains "the node stays draining (expire) and a later run deletes it"
	[[ $(reg ".nodes[] | select(.id == \"$name\") |
		\"\(.status) \(.draining_by)\"") == "draining expire" ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	# load comes back: the decision buys, it does not uncordon it
	local i
	for i in 1 2 3 4 5 6 7 8; do
		pp-registry -q place ded-1 "big-$i" 7500
	done
	run --separate-stderr bash -c 'pp-fleetstats --no-record \
		--now 2026-11-27T10:17:00Z | pp-decide --dry-run \
		--now 2026-11-27T10:17:00Z'
	assert_success
	jq_is .decision.action scale_up
	jq_is .decision.node null
	for i in 1 2 3 4 5 6 7 8; do
		pp-registry -q remove ded-1 "big-$i"
	done
	run --separate-stderr bash -c 'pp-fleetstats --no-record \
		--now 2026-11-27T10:17:00Z | pp-decide --dry-run \
		--now 2026-11-27T10:17:00Z'
	jq_is .decision.action none
	run --separate-stderr pp-drain --node "$name" --uncordon
	assert_failure 1
	jq_is .drain.reason "node '$name' is being deleted by pp-provision: its server did not boot or join in time"
	run --separate-stderr pp-drain --node "$name" --dry-run
	jq_is .drain.status refused
	fake_ctl DELETE /faults >/dev/null
	: > "$EVENTS"
	run --separate-stderr bash -c 'pp-fleetstats --no-record \
		--now 2026-11-27T10:18:00Z | pp-provision \
		--now 2026-11-27T10:18:00Z'
	assert_success
	jq_is '[.provision.servers[] | .op + ":" + .status] | join(",")' \
		expire:deleted
	jq_is '.provision.servers[0].error.code' expire_resumed
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	[[ $(reg '.nodes | length') == 1 ]]
	run jq -r '.type' "$EVENTS"
	assert_output node.removed
}

@test "actions that finish by time: the create waits for its action, the boot wait for initializing and starting" {
	fake_config '{"action_seconds": 1}' >/dev/null
	SECONDS=0
	run --separate-stderr pp-provision < <(decision scale_up 2)
	assert_success
	(( SECONDS < 30 ))
	jq_is '[.provision.servers[] | .op + ":" + .status] | join(",")' \
		create:provisioning,create:provisioning
	jq_is '[.provision.servers[] | .seconds_to_running >= 1] | all' true
	[[ $(fake_state | jq -r '[.servers[].status] | unique | join(",")') \
		== running ]]
	[[ $(reg '[.nodes[] | select(.kind == "cloud") | .ip != null] |
		all') == true ]]
	[[ $(posts) == 2 ]]
}

@test "the join token command gets no descriptor of ours beyond stdin, stdout and stderr" {
	cat > "$BATS_TEST_TMPDIR/mint" <<-EOF
	#!/bin/sh
	ls /proc/self/fd > "$BATS_TEST_TMPDIR/fds"
	echo "\$1-minted"
	EOF
	chmod 755 "$BATS_TEST_TMPDIR/mint"
	sed -i "s|^  join_token_file: .*|  join_token_command: [$BATS_TEST_TMPDIR/mint, '{node}']|" \
		"$PP_CONFIG"
	run --separate-stderr pp-provision < <(decision scale_up 1 cx23 nbg1)
	assert_success
	jq_is .provision.status done
	# ls has one of its own open: the directory it lists
	assert_equal "$(sort -n "$BATS_TEST_TMPDIR/fds" | head -3 | tr '\n' ' ')" "0 1 2 "
	assert_equal "$(wc -l < "$BATS_TEST_TMPDIR/fds")" 4
}
