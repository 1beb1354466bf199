#!/usr/bin/env bats
# The fake Hetzner Cloud API (t/fakehcloud.py) itself, driven with curl + jq.

bats_require_minimum_version 1.5.0

setup_file() {
	load test_helper/fakehcloud
	fake_start
}

teardown_file() {
	load test_helper/fakehcloud
	fake_stop
}

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	load test_helper/fakehcloud
	export HOME=$BATS_TEST_TMPDIR
	B=$BATS_TEST_TMPDIR/body
	H=$BATS_TEST_TMPDIR/headers
	fake_reset
}

# api METHOD PATH [JSON]: call the fake API with the test token; prints the
# HTTP status; the body is in $B, the headers in $H.
api() {
	local method=$1 path=$2 body=${3-}
	local args=(-sS --max-time 10 -X "$method" -o "$B" -D "$H"
		-w '%{http_code}' -H "Authorization: Bearer $HCLOUD_TOKEN")
	if [[ -n $body ]]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	curl "${args[@]}" "$FAKE_URL$path"
}

header() {
	sed -n "s/^$1: *//Ip" "$H" | tr -d '\r'
}

# create_cx23 NAME: POST /servers of a cx23 in nbg1; prints the status
create_cx23() {
	api POST /servers "{\"name\": \"$1\", \"server_type\": \"cx23\",
		\"image\": \"debian-12\", \"location\": \"nbg1\"}"
}

create_body() {
	jq -nc --arg n "$1" --arg t "${2:-cx23}" --arg l "${3:-nbg1}" \
		'{name: $n, server_type: $t, image: "debian-12", location: $l,
		  labels: {managed_by: "ppscale", role: "worker"}}'
}

@test "answers 401 unauthorized to a wrong or missing token" {
	fake_config '{"rate_refill": 0}' >/dev/null
	run --separate-stderr curl -sS -o "$B" -D "$H" -w '%{http_code}' \
		-H 'Authorization: Bearer wrong' "$FAKE_URL/servers"
	assert_success
	assert_output 401
	run jq -r '.error.code' "$B"
	assert_output unauthorized
	run header RateLimit-Limit
	assert_output 3600
	# every request counts, authenticated or not (the real API's rule)
	run header RateLimit-Remaining
	assert_output 3599

	run --separate-stderr curl -sS -o /dev/null -w '%{http_code}' \
		"$FAKE_URL/server_types"
	assert_output 401
	run api GET /servers
	assert_output 200
	run header RateLimit-Remaining
	assert_output 3597
}

@test "pages through 60 servers 50 at a time with meta.pagination" {
	fake_seed "$(jq -nc '{servers: [range(60) |
		{name: "seed-\(.)", labels: {managed_by: "ppscale"}}]}')" >/dev/null

	run api GET '/servers?per_page=50'
	assert_output 200
	run jq -c '.meta.pagination' "$B"
	assert_output '{"page":1,"per_page":50,"previous_page":null,"next_page":2,"last_page":2,"total_entries":60}'
	run jq -r '.servers | length, .[0].name, .[49].name' "$B"
	assert_output $'50\nseed-0\nseed-49'

	run api GET '/servers?per_page=50&page=2'
	run jq -c '.meta.pagination' "$B"
	assert_output '{"page":2,"per_page":50,"previous_page":1,"next_page":null,"last_page":2,"total_entries":60}'
	run jq -r '.servers | length, .[0].name, .[9].name' "$B"
	assert_output $'10\nseed-50\nseed-59'

	# default 25, capped at 50
	api GET '/servers' >/dev/null
	run jq -r '.meta.pagination | "\(.per_page) \(.last_page)"' "$B"
	assert_output '25 3'
	api GET '/servers?per_page=500' >/dev/null
	run jq -r '.meta.pagination.per_page, (.servers | length)' "$B"
	assert_output $'50\n50'
}

@test "selects servers by label with = != k !k in and notin" {
	fake_seed '{"servers": [
		{"name": "a", "labels": {"managed_by": "ppscale", "role": "worker"}},
		{"name": "b", "labels": {"managed_by": "ppscale", "role": "spare"}},
		{"name": "c", "labels": {"managed_by": "other"}},
		{"name": "d", "labels": {}}]}' >/dev/null
	local sel want
	while IFS='|' read -r sel want; do
		run api GET "/servers?label_selector=$(jq -rn --arg s "$sel" '$s|@uri')"
		assert_output 200
		run jq -r '[.servers[].name] | join(" ")' "$B"
		assert_output "$want"
	done <<-'EOF'
		managed_by=ppscale|a b
		managed_by==ppscale|a b
		managed_by!=ppscale|c d
		role|a b
		!role|c d
		role in (spare,gone)|b
		managed_by notin (ppscale)|c d
		managed_by=ppscale,role=worker|a
		managed_by in (ppscale,other),!role|c
	EOF
}

@test "refuses a malformed label selector with invalid_input" {
	run api GET "/servers?label_selector=role%20in%20(a"
	assert_output 400
	run jq -r .error.code "$B"
	assert_output invalid_input
}

@test "finds a server by exact name" {
	fake_seed '{"servers": [{"name": "one"}, {"name": "one-two"}]}' >/dev/null
	api GET '/servers?name=one' >/dev/null
	run jq -r '[.servers[].name] | join(" ")' "$B"
	assert_output one
}

@test "creates a server with its action, next action and a documentation IP" {
	run api POST /servers "$(create_body web-1)"
	assert_output 201
	run jq -r '.server.status, .server.name, .server.location.name,
		.server.datacenter.location.name, .server.server_type.name,
		.server.labels.managed_by, .action.command, .action.status,
		.next_actions[0].command, (.root_password | type)' "$B"
	assert_output $'initializing\nweb-1\nnbg1\nnbg1\ncx23\nppscale\ncreate_server\nrunning\nstart_server\nstring'
	run jq -r '.server.public_net.ipv4.ip' "$B"
	assert_output --regexp '^(198\.51\.100|203\.0\.113)\.[0-9]+$'
	run jq -r '.server.created' "$B"
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+00:00$'

	run fake_state
	run jq -r '[.servers[].name] | join(" ")' <<<"$output"
	assert_output web-1
}

@test "refuses a second server with the same name with 409 uniqueness_error" {
	run api POST /servers "$(create_body dup)"
	assert_output 201
	run api POST /servers "$(create_body dup)"
	assert_output 409
	run jq -r '.error.code, .error.details.fields[0].name' "$B"
	assert_output $'uniqueness_error\nname'
}

@test "refuses a bad label with 422 invalid_input" {
	local body
	for body in '{"-bad": "x"}' '{"ok": "not valid!"}' \
		"{\"$(printf 'k%.0s' {1..64})\": \"v\"}" \
		'{"hetzner.cloud/managed-by": "ppscale"}'; do
		run api POST /servers "$(jq -nc --argjson l "$body" \
			'{name: "l", server_type: "cx23", image: "debian-12",
			  labels: $l}')"
		assert_output 422
		run jq -r '.error.code, .error.details.fields[0].name' "$B"
		assert_output $'invalid_input\nlabels'
	done
}

@test "refuses user data over 32 KiB with 422 invalid_input and takes 32 KiB" {
	local big
	big=$(head -c 32769 /dev/zero | tr '\0' a)
	jq -nc --arg u "$big" '{name: "ud", server_type: "cx23",
		image: "debian-12", location: "nbg1", user_data: $u}' \
		>"$BATS_TEST_TMPDIR/req"
	run api POST /servers "@$BATS_TEST_TMPDIR/req"
	assert_output 422
	run jq -r '.error.code, .error.details.fields[0].name' "$B"
	assert_output $'invalid_input\nuser_data'

	jq -nc --arg u "${big:1}" '{name: "ud", server_type: "cx23",
		image: "debian-12", location: "nbg1", user_data: $u}' \
		>"$BATS_TEST_TMPDIR/req"
	run api POST /servers "@$BATS_TEST_TMPDIR/req"
	assert_output 201
}

@test "refuses a create without a required field with 422 invalid_input" {
	local f
	for f in name server_type image; do
		run api POST /servers "$(create_body req | jq -c "del(.$f)")"
		assert_output 422
		run jq -r '.error.code, .error.details.fields[0].name' "$B"
		assert_output "invalid_input"$'\n'"$f"
	done
}

@test "answers removed endpoints with 410 deprecated_api_endpoint as the real API does now" {
	run api GET /datacenters
	assert_output 410
	run jq -r '.error | keys | join(" ")' "$B"
	assert_output 'code details message'
	run jq -r '.error.code, (.error.details.announcement |
		test("^https://docs.hetzner.cloud/changelog#"))' "$B"
	assert_output $'deprecated_api_endpoint\ntrue'
	# listing arbitrary actions was removed on 2025-01-30: ids only
	run api GET /actions
	assert_output 410
	run jq -r .error.code "$B"
	assert_output deprecated_api_endpoint
	run api PATCH /servers
	assert_output 405
	run jq -r .error.code "$B"
	assert_output method_not_allowed
}

@test "serves the server type catalog with prices and per-location availability" {
	# before cx22's unavailable_after: still listed
	fake_config '{"clock": "2026-01-01T00:00:00Z"}' >/dev/null
	run api GET '/server_types?per_page=50'
	assert_output 200
	run jq -r '[.server_types[].name] | sort | join(" ")' "$B"
	assert_output 'cax11 cpx22 cx22 cx23 cx32 cx33 cx43'
	run jq -r '.server_types[] | select(.name == "cx23") |
		.memory, .cores, (.prices[] | select(.location == "nbg1") |
		.price_hourly.net, .price_monthly.gross),
		([.locations[] | select(.available) | .name] | join(" "))' "$B"
	assert_output $'4\n2\n0.0048000000\n3.5581000000\nfsn1 nbg1 hel1'
	# cx22: deprecated, priced, orderable nowhere (Hetzner no longer
	# sells it: locations[].available); cx types are EU only
	run jq -r '.server_types[] | select(.name == "cx22") |
		.deprecated, (.prices | length),
		([.locations[] | select(.available)] | length)' "$B"
	assert_output $'true\n3\n0'
	# cx32: deprecated at the top level only and still available in
	# every location, as the API served cx22..cx52 between the
	# announcement (2025-10-16) and their end (2025-12-31)
	run jq -r '.server_types[] | select(.name == "cx32") |
		.deprecated, .deprecation.unavailable_after,
		([.locations[] | select(.available and .deprecation == null) |
		.name] | join(" "))' "$B"
	assert_output $'true\n2027-01-16T06:00:00+00:00\nfsn1 nbg1 hel1'
	run jq -r '[.server_types[] | select(.name | startswith("cx")) |
		.locations[].name] | unique | join(" ")' "$B"
	assert_output 'fsn1 hel1 nbg1'

	run api GET '/server_types?name=cpx22'
	run jq -r '.server_types[0].locations[] | select(.name == "sin") |
		.available' "$B"
	assert_output false
	# deprecation is per location since 2025-09 (the top-level one is
	# being phased out): cpx22 is deprecated in hil only, still orderable
	run jq -r '.server_types[0] | .deprecated, .deprecation,
		(.locations[] | select(.deprecation != null) |
		.name, .available, .deprecation.unavailable_after)' "$B"
	assert_output $'false\nnull\nhil\ntrue\n2027-01-01T06:00:00+00:00'
	run api GET '/images?name=debian-12&architecture=arm'
	run jq -r '.images | length, .[0].architecture' "$B"
	assert_output $'1\narm'
	run api GET '/locations?name=hil'
	run jq -r '.locations[0].network_zone' "$B"
	assert_output us-west
}

@test "stops listing a type after its unavailable_after, on the fake's clock; by id and on its servers it stays" {
	fake_config '{"clock": "2026-01-16T06:00:01Z"}' >/dev/null
	run api GET '/server_types?per_page=50'
	assert_output 200
	run jq -r '[.server_types[].name] | sort | join(" ")' "$B"
	assert_output 'cax11 cpx22 cx23 cx32 cx33 cx43'
	run api GET '/server_types?name=cx22'
	run jq -r '.server_types | length' "$B"
	assert_output 0
	run api GET /server_types/22
	assert_output 200
	run jq -r '.server_type.name' "$B"
	assert_output cx22
	fake_seed '{"servers": [{"name": "old", "server_type": "cx22"}]}' \
		>/dev/null
	run api GET '/servers?name=old'
	run jq -r '.servers[0].server_type | .name + " " + (.memory | tostring)' \
		"$B"
	assert_output 'cx22 4'
	# the fake's own clock when none is set
	fake_config '{"clock": null, "skew": 0}' >/dev/null
	run api GET '/server_types?name=cx22'
	run jq -r '.server_types | length' "$B"
	if (( $(date +%s) > $(date -d 2026-01-16T06:00:00Z +%s) )); then
		assert_output 0
	else
		assert_output 1
	fi
}

@test "deprecates a type per location through the control interface, the top level untouched" {
	fake_config '{"deprecations": {"cx43": {"fsn1": {"announced":
		"2026-12-01T06:00:00+00:00", "unavailable_after":
		"2027-03-01T06:00:00+00:00"}, "hel1": null}}}' >/dev/null
	run api GET '/server_types?name=cx43'
	run jq -r '.server_types[0] | .deprecation,
		([.locations[] | select(.deprecation != null) | .name] |
		join(" "))' "$B"
	assert_output $'null\nfsn1'
	# deprecated, not yet unavailable: still orderable there
	run api POST /servers "$(create_body dep cx43 fsn1)"
	assert_output 201
	fake_reset
	run api GET '/server_types?name=cx43'
	run jq -r '[.server_types[0].locations[] |
		select(.deprecation != null)] | length' "$B"
	assert_output 0
}

# the API's GET /images lists a deprecated image only with
# include_deprecated=true (default false); by id it is there as is, and
# a removed one is gone either way
@test "lists a deprecated image only with include_deprecated=true; by id and for a create it stays" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-10-01T06:00:00+00:00"}, "images_removed":
		["ubuntu-22.04"]}' >/dev/null
	run api GET '/images?name=debian-12&architecture=x86'
	assert_output 200
	run jq -r '.images | length' "$B"
	assert_output 0
	run api GET '/images?name=debian-12&architecture=x86&include_deprecated=false'
	assert_output 200
	run jq -r '.images | length' "$B"
	assert_output 0
	run api GET '/images?name=debian-12&architecture=x86&include_deprecated=true'
	assert_output 200
	run jq -r '.images | length, .[0].id, .[0].deprecated' "$B"
	assert_output $'1\n114690387\n2026-10-01T06:00:00+00:00'
	run api GET '/images?per_page=50'
	run jq -r '[.images[].name] | unique | join(" ")' "$B"
	assert_output 'debian-13 ubuntu-24.04'
	run api GET '/images?per_page=50&include_deprecated=true'
	run jq -r '[.images[].name] | unique | join(" ")' "$B"
	assert_output 'debian-12 debian-13 ubuntu-24.04'
	run api GET '/images?name=ubuntu-22.04&include_deprecated=true'
	run jq -r '.images | length' "$B"
	assert_output 0
	run api GET /images/114690387
	assert_output 200
	run jq -r '.image.deprecated' "$B"
	assert_output 2026-10-01T06:00:00+00:00
	run api GET '/images?include_deprecated=yes'
	assert_output 400
	run jq -r '.error.code' "$B"
	assert_output invalid_input
	# a deprecated image still makes servers
	run api POST /servers "$(create_body dep cx23 nbg1)"
	assert_output 201
	run jq -r '.server.image.name' "$B"
	assert_output debian-12
}

# a type Hetzner stops selling in a location leaves its locations[],
# and a create there gets the API's answer for a type never sold there
@test "withdraws a type from a location: gone from its locations, a create there refused as unsupported, one without a location placed elsewhere" {
	fake_config '{"withdrawn": {"cx23": ["nbg1", "fsn1"]}}' >/dev/null
	run api GET '/server_types?name=cx23'
	assert_output 200
	run jq -r '[.server_types[0].locations[].name] | join(" ")' "$B"
	assert_output hel1
	run api POST /servers "$(create_body gone cx23 nbg1)"
	assert_output 422
	run jq -r '.error.code, .error.message,
		.error.details.fields[0].name' "$B"
	assert_output $'invalid_input\nunsupported location for server type\nlocation'
	run api POST /servers '{"name": "anywhere", "server_type": "cx23",
		"image": "debian-12"}'
	assert_output 201
	run jq -r '.server.datacenter.location.name' "$B"
	assert_output hel1
	run fake_config '{"withdrawn": {"cx23": "nbg1"}}'
	assert_failure
	assert_output --partial 'withdrawn must map type names'
}

# the API's image status: "available", "creating" or "unavailable"
@test "serves an image's status set through image_statuses, and refuses a create from an image not available" {
	fake_config '{"image_statuses": {"debian-12": "creating"}}' >/dev/null
	run api GET '/images?name=debian-12&architecture=arm'
	assert_output 200
	run jq -r '.images[0].status' "$B"
	assert_output creating
	run api GET /images/114690387
	run jq -r '.image.status' "$B"
	assert_output creating
	run api GET '/images?status=available&per_page=50'
	run jq -r '[.images[].name] | unique | join(" ")' "$B"
	assert_output 'debian-13 ubuntu-22.04 ubuntu-24.04'
	run api POST /servers "$(create_body notyet cx23 nbg1)"
	assert_output 422
	run jq -r '.error.code, .error.message' "$B"
	assert_output $'invalid_input\nimage debian-12 is not available'
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	run fake_config '{"image_statuses": {"debian-12": "gone"}}'
	assert_failure
	assert_output --partial 'image_statuses must map image names'
	fake_config '{"image_statuses": {}}' >/dev/null
	run api POST /servers "$(create_body notyet cx23 nbg1)"
	assert_output 201
}

@test "a type deprecated at the top level is ordered until its unavailable_after, then no longer listed" {
	fake_config '{"clock": "2026-12-01T10:00:00Z"}' >/dev/null
	run api POST /servers "$(create_body dep cx32 nbg1)"
	assert_output 201
	fake_config '{"clock": "2027-01-16T06:00:01Z"}' >/dev/null
	run api GET '/server_types?name=cx32'
	run jq -r '.server_types | length' "$B"
	assert_output 0
}

@test "deprecates a type at the top level through the control interface, the locations untouched" {
	# before cx43's unavailable_after, so the list still has it
	fake_config '{"clock": "2026-12-01T10:00:00Z"}' >/dev/null
	fake_config '{"type_deprecations": {"cx43": {"announced":
		"2026-12-01T06:00:00+00:00", "unavailable_after":
		"2027-03-01T06:00:00+00:00"}, "cx32": null, "cx33": true}}' \
		>/dev/null
	run api GET '/server_types?per_page=50'
	run jq -r '.server_types[] | select(.name | IN("cx43", "cx32",
		"cx33")) | [.name, .deprecated, .deprecation.unavailable_after,
		([.locations[] | select(.deprecation != null)] | length)] |
		join(" ")' "$B"
	assert_output $'cx32 false  0\ncx33 true  0\ncx43 true 2027-03-01T06:00:00+00:00 0'
	fake_reset
	run api GET '/server_types?name=cx43'
	run jq -r '.server_types[0].deprecated' "$B"
	assert_output false
}

@test "refuses a type its location cannot order with 412 resource_unavailable" {
	run api POST /servers "$(create_body old cx22 fsn1)"
	assert_output 412
	run jq -r .error.code "$B"
	assert_output resource_unavailable
	run api POST /servers "$(create_body far cpx22 sin)"
	assert_output 412
	run api POST /servers "$(create_body us cx23 ash)"
	assert_output 422
}

@test "moves an action from running to success after the configured polls" {
	fake_config '{"action_polls": 3}' >/dev/null
	api POST /servers "$(create_body slow-boot)" >/dev/null
	local id aid
	id=$(jq -r .server.id "$B")
	aid=$(jq -r .action.id "$B")
	run jq -r .action.status "$B"
	assert_output running

	api GET "/actions/$aid" >/dev/null
	run jq -r '.action.status, .action.progress' "$B"
	assert_output $'running\n33'
	api GET "/actions/$aid" >/dev/null
	run jq -r .action.status "$B"
	assert_output running
	run fake_state
	run jq -r '.servers[0].status' <<<"$output"
	assert_output initializing
	api GET "/actions?id=$aid" >/dev/null
	run jq -r '.actions[0] | .status, .progress, (.finished | type)' "$B"
	assert_output $'success\n100\nstring'
	api GET "/servers/$id" >/dev/null
	run jq -r .server.status "$B"
	assert_output running
}

@test "with action_seconds, actions finish by time, not by polls: initializing, starting, running" {
	fake_config '{"action_seconds": 3}' >/dev/null
	api POST /servers "$(create_body timed)" >/dev/null
	local id aid sid
	id=$(jq -r .server.id "$B")
	aid=$(jq -r .action.id "$B")
	sid=$(jq -r '.next_actions[0].id' "$B")
	# polls do not hurry it
	for _ in 1 2 3; do api GET "/actions/$aid" >/dev/null; done
	run jq -r .action.status "$B"
	assert_output running
	api GET "/servers/$id" >/dev/null
	run jq -r .server.status "$B"
	assert_output initializing
	sleep 1
	api GET "/actions/$aid" >/dev/null
	run jq -r '.action.progress > 0 and .action.progress < 100' "$B"
	assert_output true
	# the create is done after 3 s, then the start runs 3 s more
	sleep 2.5
	api GET "/servers/$id" >/dev/null
	run jq -r .server.status "$B"
	assert_output starting
	api GET "/actions?id=$aid&id=$sid" >/dev/null
	run jq -r '[.actions[] | "\(.command):\(.status)"] | join(" ")' "$B"
	assert_output 'create_server:success start_server:running'
	sleep 3
	api GET "/servers?name=timed" >/dev/null
	run jq -r '.servers[0].status' "$B"
	assert_output running
}

@test "with action_seconds, a delete while start_server runs is 423 locked; then deleting until its action is done" {
	fake_config '{"action_seconds": 1}' >/dev/null
	api POST /servers "$(create_body locked-1)" >/dev/null
	local id
	id=$(jq -r .server.id "$B")
	run api DELETE "/servers/$id"
	assert_output 423
	run jq -r '.error.code, (.error.message | test("create_server"))' "$B"
	assert_output $'locked\ntrue'
	sleep 2.1
	run api DELETE "/servers/$id"
	assert_output 200
	api GET "/servers/$id" >/dev/null
	run jq -r .server.status "$B"
	assert_output deleting
	run api DELETE "/servers/$id"
	assert_output 423
	sleep 1.1
	run api GET "/servers/$id"
	assert_output 404
}

@test "the control interface ends a long action when asked, and the server it held takes a DELETE" {
	fake_seed '{"servers": [{"name": "held", "status": "off"}]}' >/dev/null
	fake_config '{"action_seconds": 600}' >/dev/null
	api POST /servers/5000001/actions/poweron >/dev/null
	local aid
	aid=$(jq -r .action.id "$B")
	run api DELETE /servers/5000001
	assert_output 423
	run fake_ctl POST "/actions/$aid/finish"
	assert_success
	[[ $(jq -r .action.status <<<"$output") == success ]]
	api GET /servers/5000001 >/dev/null
	run jq -r .server.status "$B"
	assert_output running
	run api DELETE /servers/5000001
	assert_output 200
	run fake_ctl POST "/actions/$aid/finish"
	assert_failure
	run fake_ctl POST /actions/1/finish
	assert_failure
}

@test "refuses to delete a delete-protected server with 423 protected" {
	fake_seed '{"servers": [{"name": "keep", "protection": {"delete": true}}]}' \
		>/dev/null
	run api DELETE /servers/5000001
	assert_output 423
	run jq -r .error.code "$B"
	assert_output protected
	run api GET /servers/5000001
	assert_output 200
	run jq -r .server.protection.delete "$B"
	assert_output true
}

@test "lists actions by several ids" {
	api POST /servers "$(create_body multi)" >/dev/null
	local a1 a2
	a1=$(jq -r .action.id "$B")
	a2=$(jq -r '.next_actions[0].id' "$B")
	run api GET "/actions?id=$a1&id=$a2"
	assert_output 200
	run jq -r '[.actions[] | "\(.command):\(.status)"] | join(" ")' "$B"
	assert_output 'create_server:success start_server:success'
	run api GET /actions/424242
	assert_output 404
}

@test "a create naming networks and firewalls has an attach_to_network and an apply_firewall each in next_actions" {
	api POST /servers "$(create_body wired | jq -c '.networks = [11, 12]
		| .firewalls = [{firewall: 21}]')" >/dev/null
	run jq -r '[.next_actions[] | .command + ":" + ([.resources[] |
		select(.type != "server") | "\(.type)=\(.id)"] | join(""))]
		| join(" ")' "$B"
	assert_output 'start_server: attach_to_network:network=11 attach_to_network:network=12 apply_firewall:firewall=21'
	# start_after_create false: no start_server, the others stay
	api POST /servers "$(create_body cold | jq -c '.networks = [11]
		| .start_after_create = false')" >/dev/null
	run jq -r '[.next_actions[].command] | join(" ")' "$B"
	assert_output attach_to_network
}

@test "lists a server's actions, by status, a page at a time with meta.pagination" {
	fake_config '{"action_polls": 3}' >/dev/null
	api POST /servers "$(create_body listed | jq -c '.networks = [11]')" \
		>/dev/null
	local id
	id=$(jq -r .server.id "$B")
	run api GET "/servers/$id/actions?status=running&sort=id:asc"
	assert_output 200
	run jq -r '([.actions[].command] | join(" ")), .meta.pagination.total_entries' "$B"
	assert_output $'create_server start_server attach_to_network\n3'
	run api GET "/servers/$id/actions?per_page=2&page=2"
	assert_output 200
	run jq -r '(.actions | length), .meta.pagination.page,
		.meta.pagination.last_page, .meta.pagination.next_page' "$B"
	assert_output $'1\n2\n2\nnull'
	# each look is a poll: the third ends them
	api GET "/servers/$id/actions" >/dev/null
	run api GET "/servers/$id/actions?status=running"
	assert_output 200
	run jq -r '.actions | length' "$B"
	assert_output 0
	run api GET "/servers/$id/actions?status=success&status=error"
	run jq -r '.meta.pagination.total_entries' "$B"
	assert_output 3
	# the fields an Action has in the API reference
	run jq -r '.actions[0] | keys | join(",")' "$B"
	assert_output command,error,finished,id,progress,resources,started,status
	# no filter by command: the API has none (a client counts them)
	run api GET "/servers/$id/actions?command=start_server"
	run jq -r '.meta.pagination.total_entries' "$B"
	assert_output 3
	run api GET "/servers/$id/actions?status=done"
	assert_output 400
	run api GET /servers/424242/actions
	assert_output 404
}

@test "powers on a server that is off; a failed start leaves it off; locked while an action runs" {
	fake_seed '{"servers": [{"name": "cold", "status": "off"}]}' >/dev/null
	local id
	id=$(fake_state | jq -r '.servers[0].id')
	run api POST "/servers/$id/actions/poweron"
	assert_output 201
	run jq -r '.action.command, .action.resources[0].id' "$B"
	assert_output $'start_server\n'"$id"
	api GET "/actions/$(jq -r .action.id "$B")" >/dev/null
	run jq -r '.servers[0].status' <<<"$(fake_state)"
	assert_output running
	fake_ctl PUT /state '{"servers": [{"name": "cold", "status": "off"}]}' \
		>/dev/null
	id=$(fake_state | jq -r '.servers[0].id')
	fake_fault '{"path": "/servers/", "action_error": true}' >/dev/null
	api POST "/servers/$id/actions/poweron" >/dev/null
	api GET "/actions/$(jq -r .action.id "$B")" >/dev/null
	run jq -r '.action.status' "$B"
	assert_output error
	run jq -r '.servers[0].status' <<<"$(fake_state)"
	assert_output off
	fake_config '{"action_seconds": 5}' >/dev/null
	api POST "/servers/$id/actions/poweron" >/dev/null
	run api POST "/servers/$id/actions/poweron"
	assert_output 423
	run jq -r '.error.code' "$B"
	assert_output locked
}

@test "a server whose create status_after_create leaves off has every create action succeeded" {
	fake_config '{"status_after_create": "off"}' >/dev/null
	api POST /servers "$(create_body stuck)" >/dev/null
	local id
	id=$(jq -r .server.id "$B")
	api GET "/servers/$id/actions" >/dev/null
	run jq -r '[.actions[] | .command + ":" + .status] | join(" ")' "$B"
	assert_output 'create_server:success start_server:success'
	run jq -r '.servers[0].status' <<<"$(fake_state)"
	assert_output off
}

@test "deletes a server with an action: deleting, listed with its labels, until the action is done, then 404" {
	api POST /servers "$(create_body gone)" >/dev/null
	local id aid
	id=$(jq -r .server.id "$B")
	run api DELETE "/servers/$id"
	assert_output 200
	run jq -r '.action.command, .action.resources[0].id, .action.status' "$B"
	assert_output $'delete_server\n'"$id"$'\nrunning'
	aid=$(jq -r .action.id "$B")
	api GET "/servers/$id" >/dev/null
	run jq -r .server.status "$B"
	assert_output deleting
	api GET "/servers?label_selector=managed_by%3Dppscale" >/dev/null
	run jq -r --argjson id "$id" \
		'.servers[] | select(.id == $id) | .status + " " + .labels.managed_by' "$B"
	assert_output 'deleting ppscale'
	# a second DELETE while the first runs: 423 locked, as the API
	run api DELETE "/servers/$id"
	assert_output 423
	run jq -r .error.code "$B"
	assert_output locked
	run api GET "/actions/$aid"
	assert_output 200
	run jq -r .action.status "$B"
	assert_output success
	run api GET "/servers/$id"
	assert_output 404
	run jq -r .error.code "$B"
	assert_output not_found
}

@test "injects a 429 as the real API sends it (reset when the budget is full again) for the next matching request only" {
	# RateLimit-Reset against this host's clock: the fake's is it here
	fake_config '{"skew": 0}' >/dev/null
	run fake_ctl POST /faults '{"status": 429, "reset": 1}'
	assert_failure
	fake_fault '{"method": "GET", "path": "/servers", "status": 429}' \
		>/dev/null
	local t0
	t0=$(date +%s)
	run api GET /server_types
	assert_output 200
	run api GET /servers
	assert_output 429
	run jq -r .error.code "$B"
	assert_output rate_limit_exceeded
	run header RateLimit-Remaining
	assert_output 0
	run header RateLimit-Reset
	(( output >= t0 + 3599 && output <= t0 + 3602 ))
	run api GET /servers
	assert_output 200
}

@test "injects 5xx errors after skipping requests and for a count" {
	fake_fault '{"path": "/servers", "status": 503, "skip": 1,
		"count": 2}' >/dev/null
	fake_fault '{"path": "/actions", "status": 502}' >/dev/null
	local got=()
	for _ in 1 2 3 4; do
		got+=("$(api GET /servers)")
	done
	assert_equal "${got[*]}" '200 503 503 200'
	run jq -r .error.code "$B"
	run api GET /actions/1
	assert_output 502
	run jq -r .error.code "$B"
	assert_output bad_gateway
	run fake_ctl GET /faults
	run jq -r '.faults | length' <<<"$output"
	assert_output 0
}

@test "injects resource_unavailable for one server type in one location" {
	fake_fault '{"server_type": "cx33", "location": "fsn1", "status": 412,
		"count": 0}' >/dev/null
	run api POST /servers "$(create_body x1 cx33 fsn1)"
	assert_output 412
	run jq -r .error.code "$B"
	assert_output resource_unavailable
	run api POST /servers "$(create_body x2 cx33 fsn1)"
	assert_output 412
	run api POST /servers "$(create_body x3 cx33 nbg1)"
	assert_output 201
	run api POST /servers "$(create_body x4 cx23 fsn1)"
	assert_output 201
}

@test "answers resource_limit_exceeded when injected or over the server limit" {
	fake_fault '{"method": "POST", "path": "/servers", "status": 403,
		"code": "resource_limit_exceeded",
		"message": "server limit reached"}' >/dev/null
	run api POST /servers "$(create_body lim-1)"
	assert_output 403
	run jq -r .error.code "$B"
	assert_output resource_limit_exceeded

	fake_config '{"server_limit": 1}' >/dev/null
	run api POST /servers "$(create_body lim-2)"
	assert_output 201
	run api POST /servers "$(create_body lim-3)"
	assert_output 403
	run jq -r .error.code "$B"
	assert_output resource_limit_exceeded
}

@test "prices a primary IPv4 apart from the servers, in every location (GET /pricing)" {
	run api GET /pricing
	assert_output 200
	run jq -r '.pricing.currency, (.pricing.primary_ips[] |
		select(.type == "ipv4") | .prices[] |
		select(.location == "nbg1") |
		.price_hourly.net, .price_monthly.net)' "$B"
	assert_output $'EUR\n0.0008000000\n0.5000000000'
	run jq -r '[.pricing.primary_ips[] | select(.type == "ipv4") |
		.prices[].location] | length' "$B"
	assert_output 6
	# the server types' own prices are the catalog's, without it
	run jq -r '.pricing.server_types[] | select(.name == "cx33") |
		.prices[] | select(.location == "nbg1") | .price_hourly.net' "$B"
	assert_output 0.0080000000
	fake_config '{"ipv4_priced": false}' >/dev/null
	api GET /pricing >/dev/null
	run jq -r '[.pricing.primary_ips[].type] | join(",")' "$B"
	assert_output ipv6
}

@test "a placement group holds placement_group_limit servers (10), as the API's" {
	pg_body() {
		create_body "$1" | jq -c --argjson g "$2" '.placement_group = $g'
	}
	fake_config '{"placement_group_limit": 2}' >/dev/null
	api POST /servers "$(pg_body pg-1 5)" >/dev/null
	local a b
	a=$(jq -r .server.id "$B")
	run jq -c '.server.placement_group | [.id, .type, .servers]' "$B"
	assert_output "[5,\"spread\",[$a]]"
	api POST /servers "$(pg_body pg-2 5)" >/dev/null
	b=$(jq -r .server.id "$B")
	# a server outside the group counts for no group
	run api POST /servers "$(create_body free-1)"
	assert_output 201
	run jq -c .server.placement_group "$B"
	assert_output null
	run api POST /servers "$(pg_body pg-3 5)"
	assert_output 422
	run jq -r '.error.code, .error.message' "$B"
	assert_output $'placement_group_member_limit_reached\nplacement group with ID 5 contains already 2 servers'
	# every member shows the group's members; another group has room
	api GET "/servers/$a" >/dev/null
	run jq -c .server.placement_group.servers "$B"
	assert_output "[$a,$b]"
	run api POST /servers "$(pg_body pg-4 6)"
	assert_output 201
	# a member deleted makes room again
	fake_config '{"action_polls": 0}' >/dev/null
	run api DELETE "/servers/$b"
	assert_output 200
	api GET "/servers/$a" >/dev/null
	run jq -c .server.placement_group.servers "$B"
	assert_output "[$a]"
	run api POST /servers "$(pg_body pg-3 5)"
	assert_output 201
	fake_reset
	run fake_config '{}'
	run jq -r .placement_group_limit <<<"$output"
	assert_output 10
}

@test "ends the next create action in error when told to" {
	fake_fault '{"action_error": {"code": "server_create_failed",
		"message": "boom"}}' >/dev/null
	api POST /servers "$(create_body broken)" >/dev/null
	local aid id
	aid=$(jq -r .action.id "$B")
	id=$(jq -r .server.id "$B")
	api GET "/actions/$aid" >/dev/null
	run jq -r '.action.status, .action.error.code, .action.error.message' "$B"
	assert_output $'error\nserver_create_failed\nboom'
	api GET "/servers/$id" >/dev/null
	run jq -r .server.status "$B"
	assert_output off

	fake_fault '{"method": "DELETE", "action_error": true}' >/dev/null
	api DELETE "/servers/$id" >/dev/null
	aid=$(jq -r .action.id "$B")
	api GET "/actions/$aid" >/dev/null
	run jq -r '.action.status, .action.error.code' "$B"
	assert_output $'error\naction_failed'
	run api GET "/servers/$id"
	assert_output 200
}

@test "loses the next create's actions when told to, and only those" {
	fake_fault '{"action_lost": true}' >/dev/null
	api POST /servers "$(create_body lost)" >/dev/null
	local aid nid id
	aid=$(jq -r .action.id "$B")
	nid=$(jq -r '.next_actions[0].id' "$B")
	id=$(jq -r .server.id "$B")
	run api GET "/actions/$aid"
	assert_output 404
	run jq -r .error.code "$B"
	assert_output not_found
	api GET "/actions?id=$aid&id=$nid" >/dev/null
	run jq -r '.actions | length' "$B"
	assert_output 0
	# the server is made all the same and runs, and the next
	# create's actions are there again
	api GET "/servers/$id" >/dev/null
	run jq -r '.server.name, .server.status' "$B"
	assert_output $'lost\nrunning'
	api POST /servers "$(create_body found)" >/dev/null
	aid=$(jq -r .action.id "$B")
	api GET "/actions?id=$aid" >/dev/null
	run jq -r '.actions[0].id' "$B"
	assert_output "$aid"
}

@test "answers slowly when told to" {
	fake_fault '{"path": "/locations", "slow": 1.2}' >/dev/null
	local t0 t1
	t0=$(date +%s%N)
	run api GET /locations
	t1=$(date +%s%N)
	assert_output 200
	(( (t1 - t0) / 1000000 >= 1200 ))
	t0=$(date +%s%N)
	api GET /locations >/dev/null
	t1=$(date +%s%N)
	(( (t1 - t0) / 1000000 < 1000 ))
}

@test "a slow create still asleep at a reset is dropped, not done in the fresh state" {
	# a client that gave up on it (a test's timeout row) must not leave
	# a server in the next test's state (t/9200 found it)
	fake_fault '{"method": "POST", "path": "/servers", "slow": 1}' >/dev/null
	api POST /servers "$(create_body late-one)" > "$BATS_TEST_TMPDIR/late" &
	local pid=$!
	sleep 0.3
	fake_reset
	wait "$pid" || true
	[ "$(cat "$BATS_TEST_TMPDIR/late")" = 000 ]
	run api GET /servers
	assert_output 200
	run jq -r '.servers | length' "$B"
	assert_output 0
	# without a reset, the same slow create is done
	fake_fault '{"method": "POST", "path": "/servers", "slow": 1}' >/dev/null
	run api POST /servers "$(create_body on-time)"
	assert_output 201
}

@test "drops the connection without an answer when told to" {
	fake_fault '{"path": "/servers", "drop": true}' >/dev/null
	run --separate-stderr api GET /servers
	assert_failure 52
	run api GET /servers
	assert_output 200
	run fake_log
	run jq -r '[.requests[] | "\(.status)/\(.fault != null)"] | join(" ")' \
		<<<"$output"
	assert_output '0/true 200/false'
}

@test "a power-on dropped before it is acted on starts nothing; one dropped after it leaves its start action" {
	fake_seed '{"servers": [{"name": "cold", "status": "off"}]}' >/dev/null
	local id
	id=$(fake_state | jq -r '.servers[0].id')
	fake_fault '{"method": "POST", "path": "/servers/", "drop": true}' \
		>/dev/null
	run --separate-stderr api POST "/servers/$id/actions/poweron"
	assert_failure 52
	run api GET "/servers/$id/actions"
	run jq -r '.meta.pagination.total_entries' "$B"
	assert_output 0
	[[ $(fake_state | jq -r '.servers[0].status') == off ]]
	fake_fault '{"method": "POST", "path": "/servers/",
		"drop_after": true}' >/dev/null
	run --separate-stderr api POST "/servers/$id/actions/poweron"
	assert_failure 52
	run api GET "/servers/$id/actions"
	run jq -r '[.actions[].command] | join(" ")' "$B"
	assert_output start_server
}

@test "counts the rate limit down in headers and answers 429 when it is out" {
	# RateLimit-Reset against this host's clock: the fake's is it here
	fake_config '{"rate_refill": 0, "rate_limit": 100,
		"rate_remaining": 3, "skew": 0}' >/dev/null
	local t0
	t0=$(date +%s)
	api GET /locations >/dev/null
	run header RateLimit-Limit
	assert_output 100
	run header RateLimit-Remaining
	assert_output 2
	api GET /locations >/dev/null
	run header RateLimit-Remaining
	assert_output 1
	api GET /locations >/dev/null
	run header RateLimit-Remaining
	assert_output 0
	run api GET /locations
	assert_output 429
	run jq -r .error.code "$B"
	assert_output rate_limit_exceeded
	run header RateLimit-Reset
	(( output > t0 ))

	# refilling at 1/s: full again at RateLimit-Reset
	fake_config '{"rate_refill": 1, "rate_limit": 3600,
		"rate_remaining": 3590}' >/dev/null
	t0=$(date +%s)
	api GET /locations >/dev/null
	run header RateLimit-Reset
	(( output >= t0 + 10 && output <= t0 + 12 ))
}

@test "logs method, path, query, auth and status but never the token" {
	api GET '/servers?label_selector=role%3Dworker' >/dev/null
	curl -s -o /dev/null -H 'Authorization: Bearer nope' "$FAKE_URL/locations"
	api POST /servers "$(create_body logged)" >/dev/null
	run fake_log
	assert_success
	refute_output --partial "$HCLOUD_TOKEN"
	run jq -c '[.requests[] | [.method, .path, .query, .auth, .status]]' \
		<<<"$output"
	assert_output '[["GET","/servers","label_selector=role%3Dworker",true,200],["GET","/locations","",false,401],["POST","/servers","",true,201]]'
	fake_ctl DELETE /log >/dev/null
	run fake_log
	assert_output --partial '"requests": []'
}

@test "replaces and reads the whole server state" {
	fake_seed '{"servers": [{"name": "old"}]}' >/dev/null
	run fake_ctl PUT /state '{"servers": [
		{"id": 77, "name": "pre-a", "server_type": "cpx22", "location": "ash",
		 "status": "off", "labels": {"managed_by": "ppscale"}},
		{"name": "pre-b", "created": "2026-01-02T03:04:05+00:00"}]}'
	assert_success
	api GET /servers/77 >/dev/null
	run jq -r '.server | .name, .status, .location.name,
		.datacenter.name, .server_type.name' "$B"
	assert_output $'pre-a\noff\nash\nash-dc1\ncpx22'
	run fake_state
	run jq -r '[.servers[] | "\(.id):\(.name):\(.created)"] | join(" ")' \
		<<<"$output"
	assert_output --regexp '^77:pre-a:[^ ]+ [0-9]+:pre-b:2026-01-02T03:04:05\+00:00$'
}

@test "exits when its parent process is gone" {
	local parent dir pid
	sleep 30 3>&- &
	parent=$!
	dir=$BATS_TEST_TMPDIR/orphan
	mkdir -p "$dir"
	python3 "$FAKE_HCLOUD_PY" --port-file "$dir/port" \
		--parent-pid "$parent" 3>&- &
	pid=$!
	for _ in {1..100}; do [[ -s $dir/port ]] && break; sleep 0.05; done
	run curl -s "http://127.0.0.1:$(<"$dir/port")/_fake/health"
	assert_output --partial '"ok": true'
	kill "$parent"
	for _ in {1..40}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$pid"
	assert_failure
	wait "$parent" "$pid" || true
}

@test "exits after its idle timeout" {
	local dir pid
	dir=$BATS_TEST_TMPDIR/idle
	mkdir -p "$dir"
	python3 "$FAKE_HCLOUD_PY" --port-file "$dir/port" \
		--idle-timeout 0.5 3>&- &
	pid=$!
	sleep 0.2
	run kill -0 "$pid"
	assert_success
	for _ in {1..40}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$pid"
	assert_failure
	wait "$pid" || true
}

@test "a clock set through the control interface dates new servers and actions; reset forgets it" {
	run fake_config '{"clock": "2026-11-26T16:00:00Z"}'
	assert_success
	assert_output --partial '"clock": "2026-11-26T16:00:00Z"'
	run create_cx23 clocked
	assert_output 201
	[[ $(jq -r .server.created "$B") == 2026-11-26T16:00:00Z ]]
	[[ $(jq -r .action.started "$B") == 2026-11-26T16:00:00Z ]]
	run fake_config '{"clock": "next tuesday"}'
	assert_failure
	fake_reset
	run create_cx23 now
	assert_output 201
	[[ $(jq -r .server.created "$B") != 2026-11-26T16:00:00Z ]]
}

@test "skew puts the fake's own clock off this host's: the Date header every answer has, created, RateLimit-Reset; reset forgets it" {
	# the skew it started with (FAKE_HCLOUD_SKEW, 0 when unset)
	local s0
	s0=$(fake_ctl GET /config | jq .skew)
	fake_config '{"skew": 0}' >/dev/null
	run api GET /servers
	assert_output 200
	# the API's answers carry a Date, as every HTTP/1.1 origin server's
	d=$(date -d "$(header Date)" +%s)
	(( d - $(date +%s) <= 2 && $(date +%s) - d <= 2 ))
	run fake_config '{"skew": -1200}'
	assert_success
	assert_output --partial '"skew": -1200'
	run create_cx23 late
	assert_output 201
	now=$(date +%s)
	d=$(date -d "$(header Date)" +%s)
	c=$(date -d "$(jq -r .server.created "$B")" +%s)
	(( now - d >= 1198 && now - d <= 1202 ))
	(( now - c >= 1198 && now - c <= 1202 ))
	# (when the budget is full again: a few seconds on the fake's clock)
	(( $(header RateLimit-Reset) >= d && $(header RateLimit-Reset) < d + 60 ))
	run fake_config '{"skew": "20m"}'
	assert_failure
	fake_reset
	run api GET /servers
	d=$(date -d "$(header Date)" +%s)
	(( d - $(date +%s) - s0 <= 2 && $(date +%s) + s0 - d <= 2 ))
}
