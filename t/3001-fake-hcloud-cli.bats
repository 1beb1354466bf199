#!/usr/bin/env bats
# Keeps the fake honest: the official hcloud CLI (Debian's hcloud-cli 1.30.3)
# lists, creates, describes and deletes servers against it, and what it shows
# is what the fake holds.

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
	if ! command -v hcloud >/dev/null; then
		skip "hcloud CLI not installed (Debian package hcloud-cli)"
	fi
	export HOME=$BATS_TEST_TMPDIR
	export HCLOUD_CONFIG=$BATS_TEST_TMPDIR/cli.toml
	fake_reset
}

seed_two() {
	fake_ctl PUT /state '{"servers": [
		{"name": "ours-1", "server_type": "cx33", "location": "fsn1",
		 "labels": {"managed_by": "ppscale", "role": "worker"}},
		{"name": "theirs", "labels": {"managed_by": "someone-else"}}]}' \
		>/dev/null
}

# the requests the CLI made, one "METHOD PATH?QUERY STATUS" a line
requests() {
	fake_log | jq -r '.requests[] |
		"\(.method) \(.path)\(if .query != "" then "?" + .query
		  else "" end) \(.status)"'
}

@test "hcloud server-type list shows the fake's catalog" {
	run --separate-stderr hcloud server-type list \
		-o columns=name,cores,memory,disk
	assert_success
	assert_equal "$stderr" ""
	assert_line --regexp '^cx23 +2 +4\.0 GB +40 GB$'
	assert_line --regexp '^cx43 +8 +16\.0 GB +160 GB$'
	assert_line --regexp '^cax11 +2 +4\.0 GB +40 GB$'

	# cx22 until its unavailable_after, not after (the API's list)
	fake_config '{"clock": "2026-01-01T00:00:00Z"}' >/dev/null
	run --separate-stderr hcloud server-type list -o json
	assert_success
	run jq -r '[.[] | "\(.name):\(.prices[0].price_monthly.net)"] | join(" ")' \
		<<<"$output"
	assert_output 'cx22:3.7900000000 cx32:6.8000000000 cax11:3.7900000000 cx23:2.9900000000 cx33:4.9900000000 cx43:8.9900000000 cpx22:5.9900000000'
	fake_config '{"clock": "2026-11-27T10:00:00Z"}' >/dev/null
	run --separate-stderr hcloud server-type list -o json
	assert_success
	run jq -r '[.[].name] | join(" ")' <<<"$output"
	assert_output 'cx32 cax11 cx23 cx33 cx43 cpx22'
}

@test "hcloud server-type describe shows a type deprecated at the top level, and server create orders it until then" {
	fake_config '{"clock": "2026-12-01T10:00:00Z"}' >/dev/null
	# CLI 1.30.3's text and its hcloud-go know no deprecation: its JSON
	# is the API's answer as is
	run --separate-stderr hcloud server-type describe cx32
	assert_success
	assert_line --regexp '^Name:[[:space:]]+cx32$'
	run --separate-stderr hcloud server-type describe cx32 -o json
	assert_success
	run jq -r '.deprecated, .deprecation.announced,
		.deprecation.unavailable_after,
		([.locations[] | select(.available and .deprecation == null) |
		.name] | join(" "))' <<<"$output"
	assert_output $'true\n2026-10-16T06:00:00+00:00\n2027-01-16T06:00:00+00:00\nfsn1 nbg1 hel1'
	run --separate-stderr hcloud server create --name old-1 --type cx32 \
		--image debian-12 --location nbg1
	assert_success
	run jq -r '.servers[0] | .server_type.name, .server_type.deprecated,
		.location.name' <<<"$(fake_state)"
	assert_output $'cx32\ntrue\nnbg1'
	# after it, the API's list has it no more
	fake_config '{"clock": "2027-01-16T06:00:01Z"}' >/dev/null
	run --separate-stderr hcloud server-type describe cx32
	assert_failure
	assert_equal "$stderr" "hcloud: serverType not found: cx32"
}

@test "hcloud server-type describe leaves out a location the fake withdrew, and server create there is refused as unsupported" {
	run --separate-stderr hcloud server-type describe cx23 -o json
	assert_success
	run jq -r '[.locations[].name] | join(" ")' <<<"$output"
	assert_output 'fsn1 nbg1 hel1'
	fake_config '{"withdrawn": {"cx23": ["nbg1"]}}' >/dev/null
	run --separate-stderr hcloud server-type describe cx23 -o json
	assert_success
	run jq -r '[.locations[].name] | join(" ")' <<<"$output"
	assert_output 'fsn1 hel1'
	run --separate-stderr hcloud server create --name gone-1 --type cx23 \
		--image debian-12 --location nbg1
	assert_failure
	assert_regex "$stderr" 'unsupported location for server type.*\(invalid_input\)'
	run --separate-stderr hcloud server create --name kept-1 --type cx23 \
		--image debian-12 --location fsn1
	assert_success
	run jq -r '[.servers[] | .name + "@" + .location.name] | join(" ")' \
		<<<"$(fake_state)"
	assert_output kept-1@fsn1
}

@test "hcloud server create makes the server the fake then holds" {
	printf '#cloud-config\nruncmd:\n  - [echo, hello]\n' >"$BATS_TEST_TMPDIR/ud"
	run --separate-stderr hcloud server create --name game-1 --type cx23 \
		--image debian-12 --location nbg1 --label managed_by=ppscale \
		--label role=worker --user-data-from-file "$BATS_TEST_TMPDIR/ud"
	assert_success
	run fake_state
	local state=$output id
	run jq -r '.servers | length' <<<"$state"
	assert_output 1
	id=$(jq -r '.servers[0].id' <<<"$state")
	run jq -r '.servers[0] | .name, .status, .server_type.name,
		.location.name, .labels.managed_by, .labels.role,
		.image.name' <<<"$state"
	assert_output $'game-1\nrunning\ncx23\nnbg1\nppscale\nworker\ndebian-12'
	run fake_log
	run jq -r '.requests[] | select(.method == "POST") | .body |
		.user_data, .location, .server_type' <<<"$output"
	assert_line --index 0 '#cloud-config'
	assert_line --index 3 nbg1
	assert_line --index 4 cx23
	run requests
	assert_line --index 0 'GET /images?name=debian-12 200'
	assert_line --index 1 'POST /servers 201'
	assert_line --partial "GET /servers/$id 200"
	refute_line --regexp ' [45][0-9][0-9]$'

	run --separate-stderr hcloud server create --name game-1 --type cx23 \
		--image debian-12 --location nbg1
	assert_failure
	assert_regex "$stderr" '\(uniqueness_error\)$'
}

@test "hcloud server create prints the id and address the fake gave" {
	run --separate-stderr hcloud server create --name game-2 --type cpx22 \
		--image ubuntu-24.04 --location hel1
	assert_success
	local id ip
	id=$(fake_state | jq -r '.servers[0].id')
	ip=$(fake_state | jq -r '.servers[0].public_net.ipv4.ip')
	assert_line "Server $id created"
	assert_line "IPv4: $ip"
}

@test "hcloud server list -l managed_by=ppscale shows only our servers" {
	seed_two
	run --separate-stderr hcloud server list -l managed_by=ppscale \
		-o columns=name,status,ipv4,location,datacenter,type,labels
	assert_success
	local ip
	ip=$(fake_state | jq -r '.servers[] | select(.name == "ours-1") |
		.public_net.ipv4.ip')
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp "^ours-1 +running +${ip//./\\.} +fsn1 +fsn1-dc14 +cx33 +managed_by=ppscale, role=worker\$"

	run --separate-stderr hcloud server list -o json -l 'role in (worker)'
	assert_success
	run jq -r '.[] | .name, .id, .datacenter.location.name,
		.server_type.name, .labels.role' <<<"$output"
	assert_output "ours-1"$'\n'"$(fake_state | jq -r '.servers[0].id')"$'\nfsn1\ncx33\nworker'
	run requests
	assert_line 'GET /servers?label_selector=managed_by%3Dppscale&page=1&per_page=50&sort=id%3Aasc 200'
}

# a pool-less ppscale lists with "!pool" (the label absent): the CLI
# sends it as it is, and the fake answers it as the API does
@test "hcloud server list -l 'managed_by=ppscale,!pool' leaves out the servers with a pool label" {
	fake_ctl PUT /state '{"servers": [
		{"name": "pp-nopool", "labels": {"managed_by": "ppscale"}},
		{"name": "pp-batch", "labels": {"managed_by": "ppscale",
		 "pool": "batch"}},
		{"name": "theirs", "labels": {"managed_by": "someone-else"}}]}' \
		>/dev/null
	run --separate-stderr hcloud server list -o json \
		-l 'managed_by=ppscale,!pool'
	assert_success
	run jq -r '[.[].name] | join(",")' <<<"$output"
	assert_output pp-nopool
	run requests
	assert_line 'GET /servers?label_selector=managed_by%3Dppscale%2C%21pool&page=1&per_page=50&sort=id%3Aasc 200'
}

@test "hcloud server describe shows what the fake holds" {
	seed_two
	run --separate-stderr hcloud server describe ours-1
	assert_success
	local ip
	ip=$(fake_state | jq -r '.servers[0].public_net.ipv4.ip')
	assert_line --regexp '^Name:[[:space:]]+ours-1$'
	assert_line --regexp '^Status:[[:space:]]+running$'
	assert_line --regexp '^Server Type:[[:space:]]+cx33 \(ID: 105\)$'
	assert_line --regexp "^ +IP:[[:space:]]+${ip//./\\.}\$"
	assert_line --regexp '^ +Name:[[:space:]]+fsn1-dc14$'
	assert_line --regexp '^ +role: worker$'
	run requests
	assert_output 'GET /servers?name=ours-1 200'

	run --separate-stderr hcloud server describe nope
	assert_failure
	assert_regex "$stderr" 'server not found: nope$'
}

@test "hcloud server delete leaves the server deleting until its action is done, then gone" {
	seed_two
	run --separate-stderr hcloud server delete ours-1
	assert_success
	assert_output 'Server ours-1 deleted'
	run requests
	assert_line --index 1 --regexp '^DELETE /servers/[0-9]+ 200$'
	# the CLI does not wait: the server is deleting, as on the API
	run --separate-stderr hcloud server describe ours-1
	assert_success
	assert_line --regexp '^Status:[[:space:]]+deleting$'
	run --separate-stderr hcloud server list -o columns=name,status
	assert_success
	assert_line --regexp '^ours-1 +deleting$'
	run --separate-stderr hcloud server delete ours-1
	assert_failure
	assert_regex "$stderr" '\(locked\)$'
	# its action, polled as any client does, ends it
	local aid
	aid=$(fake_state | jq -r '[.actions[] | select(.command ==
		"delete_server")][0].id')
	run curl -sS -H "Authorization: Bearer $HCLOUD_TOKEN" \
		"$FAKE_URL/actions/$aid"
	assert_success
	run jq -r .action.status <<<"$output"
	assert_output success
	run --separate-stderr hcloud server describe ours-1
	assert_failure
	assert_regex "$stderr" 'server not found: ours-1$'
	run fake_state
	run jq -r '[.servers[].name] | join(" ")' <<<"$output"
	assert_output theirs
}

@test "hcloud reports the fake's error for a wrong token" {
	HCLOUD_TOKEN=wrong run --separate-stderr hcloud server list
	assert_failure
	assert_regex "$stderr" '\(unauthorized\)$'
	run fake_log
	run jq -r '.requests[0].auth' <<<"$output"
	assert_output false
}

@test "hcloud server enable-protection protects the server the fake holds" {
	seed_two
	run --separate-stderr hcloud server enable-protection ours-1 delete
	assert_success
	run fake_state
	run jq -c '.servers[] | select(.name == "ours-1") | .protection' \
		<<<"$output"
	assert_output '{"delete":true,"rebuild":true}'
	run --separate-stderr hcloud server describe ours-1 -o json
	assert_success
	run jq -r '.protection.delete' <<<"$output"
	assert_output true
	# the API refuses the delete as long as the protection holds
	run --separate-stderr hcloud server delete ours-1
	assert_failure
	assert_regex "$stderr" '\(protected\)$'
	run --separate-stderr hcloud server disable-protection ours-1 delete
	assert_success
	run --separate-stderr hcloud server delete ours-1
	assert_success
	run requests
	assert_line --regexp '^POST /servers/[0-9]+/actions/change_protection 201$'
}

@test "hcloud server poweron starts a server the fake holds off, and waits for its action" {
	fake_ctl PUT /state '{"servers": [{"name": "stuck", "status": "off",
		"labels": {"managed_by": "ppscale"}}]}' >/dev/null
	run --separate-stderr hcloud server poweron stuck
	assert_success
	run jq -r '.servers[0].status' <<<"$(fake_state)"
	assert_output running
	run requests
	assert_line --regexp '^POST /servers/[0-9]+/actions/poweron 201$'
	refute_line --regexp ' [45][0-9][0-9]$'
	# the action it answered is one the CLI can wait for: start_server
	run jq -r '[.actions[] | .command + ":" + .status] | join(",")' \
		<<<"$(fake_state)"
	assert_output start_server:success
}

@test "hcloud server poweron reports a power-on whose action fails; the server stays off" {
	fake_ctl PUT /state '{"servers": [{"name": "stuck", "status": "off"}]}' \
		>/dev/null
	fake_fault '{"method": "POST", "path": "/servers/",
		"action_error": {"code": "server_error",
		"message": "cannot start"}}' >/dev/null
	run --separate-stderr hcloud server poweron stuck
	assert_failure
	assert_regex "$stderr" 'cannot start'
	run jq -r '.servers[0].status' <<<"$(fake_state)"
	assert_output off
}

# the way out pp-provision's delete guard names when cloud.pool was
# unset or changed on a running install: relabel the server
@test "hcloud server add-label and remove-label change the labels the fake holds" {
	seed_two
	run --separate-stderr hcloud server add-label ours-1 pool=default
	assert_success
	run --separate-stderr hcloud server add-label ours-1 pool=batch
	assert_failure
	run --separate-stderr hcloud server add-label --overwrite ours-1 \
		pool=batch
	assert_success
	run jq -r '.servers[] | select(.name == "ours-1") | .labels |
		to_entries | map(.key + "=" + .value) | sort | join(",")' \
		<<<"$(fake_state)"
	assert_output managed_by=ppscale,pool=batch,role=worker
	run --separate-stderr hcloud server remove-label ours-1 pool
	assert_success
	run jq -r '.servers[] | select(.name == "ours-1") | .labels |
		keys | join(",")' <<<"$(fake_state)"
	assert_output managed_by,role
	run requests
	assert_line --regexp '^PUT /servers/[0-9]+ 200$'
	refute_line --regexp ' [45][0-9][0-9]$'
}

# the image look-up pp-fleetstats makes of cloud.image: a deprecated
# image as the CLI shows one, and a removed one gone.  The API lists a
# deprecated image only with include_deprecated=true: the CLI's list
# sends it, its describe by name does not (GET /images?name=N: "image
# not found"), by id it shows the image
@test "hcloud image list and describe by id show an image the fake marks deprecated, describe by name does not, and a removed one is gone" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-10-01T06:00:00+00:00"}, "images_removed":
		["ubuntu-22.04"]}' >/dev/null
	run --separate-stderr hcloud image describe debian-12
	assert_failure
	assert_regex "$stderr" 'image not found: debian-12'
	run --separate-stderr hcloud image describe debian-13
	assert_success
	refute_line --regexp '^Deprecated:'
	run --separate-stderr hcloud image list --type system \
		-o columns=name,deprecated
	assert_success
	assert_line --regexp '^debian-12 +Thu Oct  1 06:00:00 UTC 2026$'
	assert_line --regexp '^debian-13 +-$'
	refute_line --partial ubuntu-22.04
	run --separate-stderr hcloud image describe ubuntu-22.04
	assert_failure
	assert_regex "$stderr" 'image not found: ubuntu-22.04'
	# by id too (114690389: debian-12 for arm)
	run --separate-stderr hcloud image describe 114690389
	assert_success
	assert_line --regexp '^Deprecated:[[:space:]]+Thu Oct  1 06:00:00 UTC 2026'
	assert_line 'Attention: This image is deprecated and will be removed in the future.'
	run --separate-stderr hcloud image describe 67794396
	assert_failure
	run requests
	assert_line 'GET /images?name=debian-12 200'
	assert_line --regexp '^GET /images\?include_deprecated=true&.*type=system 200$'
	assert_line 'GET /images/114690389 200'
}

# the status pp-fleetstats warns of when it is not "available"
@test "hcloud image describe and list show an image status the fake sets" {
	fake_config '{"image_statuses": {"debian-12": "creating"}}' >/dev/null
	run --separate-stderr hcloud image describe debian-12
	assert_success
	assert_line --regexp '^Status:[[:space:]]+creating$'
	run --separate-stderr hcloud image describe 310557660
	assert_success
	assert_line --regexp '^Status:[[:space:]]+available$'
	run --separate-stderr hcloud image list --type system \
		-o columns=id,name,status
	assert_success
	assert_line --regexp '^114690387 +debian-12 +creating$'
	assert_line --regexp '^310557660 +debian-13 +available$'
}

# server create asks by name, then again with include_deprecated=true,
# and makes a server from a deprecated image only when allowed to
@test "hcloud server create finds a deprecated image with include_deprecated and needs --allow-deprecated-image" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-10-01T06:00:00+00:00"}}' >/dev/null
	run --separate-stderr hcloud server create --name old-image \
		--type cx23 --image debian-12 --location nbg1
	assert_failure
	assert_regex "$stderr" 'image debian-12 is deprecated, please use --allow-deprecated-image'
	run --separate-stderr hcloud server create --name old-image \
		--type cx23 --image debian-12 --location nbg1 \
		--allow-deprecated-image
	assert_success
	run fake_state
	run jq -r '.servers[] | .name + " " + .image.name' <<<"$output"
	assert_output 'old-image debian-12'
	run requests
	assert_line --index 0 'GET /images?name=debian-12 200'
	assert_line --index 1 'GET /images?include_deprecated=true&name=debian-12&page=1 200'
	assert_line 'POST /servers 201'
}
