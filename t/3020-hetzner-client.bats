#!/usr/bin/env bats
# The Hetzner provider against the fake API (t/fakehcloud.py): one test
# per behaviour and per injected fault, asserting what the caller sees:
# result, error code and message, requests made, and seconds waited.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/common'
	load 'test_helper/fakehcloud'
	export FAKE_TOKEN=pp-secret-token-3020
	fake_start
}

teardown_file() {
	load 'test_helper/fakehcloud'
	fake_stop
}

setup() {
	load 'test_helper/common'
	load 'test_helper/fakehcloud'
	pp_isolate
	export HCLOUD_ENDPOINT=$FAKE_URL HCLOUD_TOKEN=$FAKE_TOKEN
	fake_reset
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  poll_interval: 0.05
	  retry_base: 0.1
	  retries: 3
	  request_timeout: 1s
	EOF
}

cloudctl() { "$BUILD/unit/cloudctl" "$@"; }

# waited_between LOW HIGH: .waited of $output within [LOW, HIGH]
waited_between() {
	local w
	w=$(jq -r .waited <<<"$output")
	jq -en --argjson w "$w" "$w >= $1 and $w <= $2" >/dev/null ||
		fail "waited $w s, expected between $1 and $2"
}

# fake_count FILTER: how many logged requests match a jq filter
fake_count() {
	fake_log | jq "[.requests[] | select($1)] | length"
}

@test "creates a server with our labels and polls its create action and start_server together" {
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_success
	jq_is .result.status initializing
	jq_is .result.location nbg1
	jq_is .result.labels.managed_by ppscale
	jq_is .requests 2
	jq_is '[.log[] | .method + " " + .path] | join(",")' \
		"POST /servers,GET /actions?id=9000001&id=9000002&per_page=50&page=1&sort=id:asc"
	jq_is '.log[0].body.labels.pool' default
	jq_is '.log[0].body.image' debian-12
	[[ $(fake_state | jq -r '.servers[0].status') == running ]]
}

@test "waits until the server is running, polling at the configured interval" {
	fake_config '{"action_polls": 4}' >/dev/null
	fake_seed '{"servers": [{"name": "s", "status": "running"}]}' >/dev/null
	cloudctl create pp-a cx23 nbg1 >/dev/null
	run --separate-stderr cloudctl wait 5000002 10
	assert_success
	jq_is .result.status running
	jq_is .requests 1
	fake_ctl PUT /state "$(fake_state | jq -c \
		'.servers[1].status = "initializing"')" >/dev/null
	run --separate-stderr cloudctl wait 5000002 0.3
	assert_failure 1
	jq_is .error.code timeout
	waited_between 0.2 0.35
}

@test "lists by label selector over more than 50 servers, 50 a page" {
	fake_seed "$(jq -nc '{servers: [range(0; 120) |
		{name: "s\(.)", labels: (if . % 2 == 0
		then {managed_by: "ppscale"} else {team: "web"} end)}]}')" \
		>/dev/null
	run --separate-stderr cloudctl list managed_by=ppscale
	assert_success
	jq_is '.result | length' 60
	jq_is '[.result[].labels.managed_by] | unique | join(",")' ppscale
	jq_is .requests 2
	jq_is '.log[1].path' \
		'/servers?label_selector=managed_by%3Dppscale&per_page=50&page=2&sort=id:asc'
	run --separate-stderr cloudctl list
	jq_is '.result | length' 120
	jq_is .requests 3
}

# Offset paging: a server deleted while page 2 is on its way shifts the
# first server of page 2 onto page 1, already read. The total that
# page 2 gives differs from page 1's: the list is read again.
@test "a server deleted between two pages pushes no live server out of the list" {
	local ids aid
	sed -i 's/request_timeout: 1s/request_timeout: 5s/' "$PP_CONFIG"
	ids=$(fake_seed "$(jq -nc '{servers: [range(0; 60) |
		{name: "pp-s\(. | tostring | if length < 2 then "0" + .
		else . end)", labels: {managed_by: "ppscale"}}]}')" |
		jq -c '[.servers[].id]')
	fake_fault '{"method": "GET", "path": "/servers", "skip": 1,
		"slow": 2}' >/dev/null
	cloudctl list managed_by=ppscale > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" &
	fake_wait_for_log '.method == "GET" and (.query | contains("page=2"))'
	# pp-s09, on page 1, goes while page 2 is delayed (the API lists
	# it, deleting, until its delete action ends: here, when polled)
	aid=$(curl -sS --max-time 5 -X DELETE \
		-H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/servers/$(jq '.[9]' <<<"$ids")" | jq .action.id)
	[[ $aid =~ ^[0-9]+$ ]] || fail "the DELETE answered no action: $aid"
	curl -sS --max-time 5 -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/actions/$aid" >/dev/null
	wait $! || fail "cloudctl failed: $(<"$BATS_TEST_TMPDIR/err")"
	output=$(<"$BATS_TEST_TMPDIR/out")
	jq_is '.result | length' 59
	jq_is '[.result[].name] | index("pp-s50") != null' true
	jq_is '[.result[].name] | index("pp-s09")' null
	# page 1, page 2 (a total of 59, not 60), then both again
	jq_is .requests 4
	jq_is '[.log[].path | capture("&page=(?<p>[0-9]+)").p] | join(",")' \
		1,2,1,2
}

@test "a list whose total changes on every read fails after reading it again 3 times" {
	local pid
	fake_seed "$(jq -nc '{servers: [range(0; 60) | {name: "s\(.)"}]}')" \
		>/dev/null
	# every page takes 0.4 s, and a server is made every 0.3 s
	fake_fault '{"method": "GET", "path": "/servers", "slow": 0.4,
		"count": 0}' >/dev/null
	cloudctl list > "$BATS_TEST_TMPDIR/out" 2>/dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		fake_seed '{"servers": [{}]}' >/dev/null
		sleep 0.3
	done
	wait "$pid" && fail "cloudctl succeeded"
	output=$(<"$BATS_TEST_TMPDIR/out")
	jq_is .error.code bad_answer
	jq_is .error.retryable true
	jq_is '.error.message | contains("changed while its pages were read")' \
		true
	jq_is .requests 8
}

@test "reads server.location first and datacenter.location when it is absent" {
	fake_seed '{"servers": [{"name": "old", "location": "hel1"}]}' >/dev/null
	fake_ctl PUT /state "$(fake_state | jq -c \
		'.servers[0] |= del(.location) | {servers}')" >/dev/null
	run --separate-stderr cloudctl get 5000001
	assert_success
	jq_is .result.location hel1
	fake_seed '{"servers": [{"name": "new", "location": "fsn1"}]}' >/dev/null
	fake_ctl PUT /state "$(fake_state | jq -c \
		'.servers[1].datacenter.location.name = "nbg1" | {servers}')" \
		>/dev/null
	run --separate-stderr cloudctl get 5000002
	jq_is .result.location fsn1
}

@test "server types: orderable only where locations[].available says so" {
	# before cx22's unavailable_after: the API still lists it
	fake_config '{"clock": "2026-01-01T00:00:00Z"}' >/dev/null
	run --separate-stderr cloudctl types
	assert_success
	jq_is .result.source hetzner
	# deprecated at the top level, which ends its orders only at its
	# unavailable_after (kept in each location); what stops them now
	# is that no location has it available
	jq_is '.result.types[] | select(.name == "cx22") | .deprecated' false
	jq_is '.result.types[] | select(.name == "cx22") |
		[.locations[].available] | any' false
	jq_is '.result.types[] | select(.name == "cx22") |
		[.locations[].unavailable_after] | unique | join(",")' \
		2026-01-16T06:00:00Z
	# priced in sin, but not orderable there
	jq_is '.result.types[] | select(.name == "cpx22") |
		.locations[] | select(.name == "sin") | .available' false
	# the server's 0.0161 and its primary IPv4's 0.0008 (GET /pricing)
	jq_is '.result.types[] | select(.name == "cpx22") |
		.locations[] | select(.name == "sin") | .hourly_eur' 0.0169
	jq_is '.result.types[] | select(.name == "cx23") | .memory_gb' 4
	jq_is '.result.types[] | select(.name == "cx23") | .deprecated' false
	run --separate-stderr cloudctl cost cx33 nbg1
	jq_is .result 0.0088
	# the monthly cap too: 4.99 and 0.50
	run --separate-stderr cloudctl types
	jq_is '.result.types[] | select(.name == "cx33") |
		.locations[] | select(.name == "nbg1") | .monthly_eur' 5.49
}

@test "server types: a pricing that cannot be read leaves the servers' prices, and says so" {
	fake_fault '{"method": "GET", "path": "/pricing", "status": 500,
		"count": 0}' >/dev/null
	run --separate-stderr cloudctl types
	assert_success
	jq_is '.result.types[] | select(.name == "cx33") |
		.locations[] | select(.name == "nbg1") | .hourly_eur' 0.008
	assert_stderr_contains "cannot get the price of a primary IPv4: "
	assert_stderr_contains "node costs leave it out"
	fake_ctl DELETE /faults >/dev/null
	# an answer without an IPv4 price: the same
	fake_config '{"ipv4_priced": false}' >/dev/null
	run --separate-stderr cloudctl types
	assert_success
	jq_is '.result.types[] | select(.name == "cx33") |
		.locations[] | select(.name == "nbg1") | .hourly_eur' 0.008
	assert_stderr_contains "the API's pricing has no primary IPv4 price"
}

@test "server types: a type deprecated at the top level is not deprecated, its end kept in every location (the earlier where one has its own)" {
	# cx32 as the API serves a whole type's end: "deprecated": true and
	# a top-level deprecation, every location available, none with a
	# deprecation of its own; orderable until unavailable_after (and
	# listed until then, on the fake's clock)
	fake_config '{"clock": "2026-12-01T10:00:00Z"}' >/dev/null
	run --separate-stderr cloudctl types
	assert_success
	jq_is '.result.types[] | select(.name == "cx32") | .deprecated' false
	jq_is '.result.types[] | select(.name == "cx32") |
		[.locations[] | .name + " " + (.available | tostring) + " " +
		.unavailable_after] | join(",")' \
		'fsn1 true 2027-01-16T06:00:00Z,nbg1 true 2027-01-16T06:00:00Z,hel1 true 2027-01-16T06:00:00Z'
	# a location's own deprecation as well: the earlier of the two
	fake_config '{"deprecations": {"cx32": {"fsn1": {"announced":
		"2026-10-16T06:00:00+00:00", "unavailable_after":
		"2026-12-15T06:00:00+00:00"}, "nbg1": {"announced":
		"2026-10-16T06:00:00+00:00", "unavailable_after":
		"2027-06-01T06:00:00+00:00"}}}}' >/dev/null
	run --separate-stderr cloudctl types
	jq_is '.result.types[] | select(.name == "cx32") |
		[.locations[] | .name + " " + .unavailable_after] | join(",")' \
		'fsn1 2026-12-15T06:00:00Z,nbg1 2027-01-16T06:00:00Z,hel1 2027-01-16T06:00:00Z'
	# a top-level deprecation whose end cannot be read is over already
	fake_config '{"deprecations": {}, "type_deprecations": {"cx43":
		{"announced": "2026-12-01T06:00:00+00:00",
		"unavailable_after": null}}}' >/dev/null
	run --separate-stderr cloudctl types
	jq_is '.result.types[] | select(.name == "cx43") | .deprecated' false
	jq_is '.result.types[] | select(.name == "cx43") |
		[.locations[].unavailable_after] | unique | join(",")' \
		1970-01-01T00:00:01Z
	# the legacy boolean alone says not until when: deprecated, as
	# before
	fake_config '{"type_deprecations": {"cx43": true}}' >/dev/null
	run --separate-stderr cloudctl types
	jq_is '.result.types[] | select(.name == "cx43") | .deprecated' true
	jq_is '.result.types[] | select(.name == "cx43") |
		[.locations[] | select(.unavailable_after)] | length' 0
}

@test "server types: a type deprecated in one location (locations[].deprecation) keeps its end there" {
	run --separate-stderr cloudctl types
	assert_success
	# cpx22: no top-level deprecation, deprecated in hil only; the API
	# sells it there until unavailable_after, which the catalog keeps
	jq_is '.result.types[] | select(.name == "cpx22") | .deprecated' false
	jq_is '.result.types[] | select(.name == "cpx22") |
		.locations[] | select(.name == "hil") |
		[.available, .unavailable_after] | join(" ")' \
		'true 2027-01-01T06:00:00Z'
	jq_is '.result.types[] | select(.name == "cpx22") |
		[.locations[] | select(.unavailable_after) | .name] |
		join(" ")' hil
	# still priced there: servers it has keep their cost
	run --separate-stderr cloudctl cost cpx22 hil
	assert_success
	jq_is '.result > 0' true
}

@test "server types: a type deprecated in every location it has, by location only, keeps each location's end, not deprecated" {
	local dep='{"announced": "2026-12-01T06:00:00+00:00",
		"unavailable_after": "2027-03-01T06:00:00+00:00"}'
	fake_config "{\"deprecations\": {\"cx43\": {\"fsn1\": $dep,
		\"nbg1\": $dep, \"hel1\": $dep}, \"cx33\": {\"fsn1\": $dep}}}" \
		>/dev/null
	run --separate-stderr cloudctl types
	assert_success
	# Hetzner announces a type's end in every location at once: it is
	# ordered in each until then, not cut on the day of the
	# announcement
	jq_is '.result.types[] | select(.name == "cx43") | .deprecated' false
	jq_is '.result.types[] | select(.name == "cx43") |
		[.locations[] | select(.unavailable_after ==
		"2027-03-01T06:00:00Z") | .name] | sort | join(",")' \
		fsn1,hel1,nbg1
	# deprecated in one of three: not deprecated, its end kept there
	jq_is '.result.types[] | select(.name == "cx33") | .deprecated' false
	jq_is '.result.types[] | select(.name == "cx33") |
		[.locations[] | select(.unavailable_after) | .name + " " +
		.unavailable_after] | join(",")' 'fsn1 2027-03-01T06:00:00Z'
	# a deprecation whose end cannot be read is over already
	fake_config '{"deprecations": {"cx33": {"fsn1": {"announced":
		"2026-12-01T06:00:00+00:00", "unavailable_after": null}}}}' \
		>/dev/null
	run --separate-stderr cloudctl types
	jq_is '.result.types[] | select(.name == "cx33") |
		.locations[] | select(.name == "fsn1") | .unavailable_after' \
		1970-01-01T00:00:01Z
}

@test "deletes a server and waits for its delete action; a missing one is not_found" {
	fake_seed '{"servers": [{"name": "s"}]}' >/dev/null
	run --separate-stderr cloudctl delete 5000001
	assert_success
	jq_is .requests 2
	[[ $(fake_state | jq '.servers | length') == 0 ]]
	run --separate-stderr cloudctl delete 5000001
	assert_failure 1
	jq_is .error.code not_found
	jq_is .error.http_status 404
	jq_is .requests 1
}

@test "a delete the API took whose action cannot be read is counted as done, not as failed" {
	fake_seed '{"servers": [{"name": "s"}]}' >/dev/null
	fake_fault '{"method": "GET", "path": "/actions", "status": 500,
		"count": 0}' >/dev/null
	run --separate-stderr cloudctl delete 5000001
	assert_success
	assert_stderr_contains "cannot read action"
	assert_stderr_contains "the delete was accepted: counted as deleted"
	# the API took it: deleting until its action ends
	[[ $(fake_state | jq -r '[.servers[].status] | join(",")') == deleting ]]
}

@test "a delete-protected server (423 protected) is refused at once, not retried as locked is" {
	fake_seed '{"servers": [{"name": "keep", "protection": {"delete": true}}]}' \
		>/dev/null
	run --separate-stderr cloudctl delete 5000001
	assert_failure 1
	jq_is .error.code protected
	jq_is .error.http_status 423
	jq_is .error.retryable false
	jq_is .requests 1
	jq_is .waited 0
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

# The API keeps a server being deleted listed ("deleting") until its
# delete action ends, and answers 423 locked to another DELETE meanwhile:
# someone else's delete, begun since the caller looked, is ours done.
@test "a DELETE answered 423 locked by another's delete of the server is done at once, not retried" {
	fake_seed '{"servers": [{"name": "s"}]}' >/dev/null
	curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/servers/5000001"
	fake_ctl DELETE /log >/dev/null
	run --separate-stderr cloudctl delete 5000001
	assert_success
	jq_is .error null
	# the DELETE (423 locked), one look at the server, nothing more
	jq_is '[.log[] | "\(.method) \(.path) \(.status)"] | join(",")' \
		"DELETE /servers/5000001 423,GET /servers/5000001 200"
	jq_is .waited 0
	assert_stderr_contains "server 5000001 is being deleted already"
	[[ $(fake_state | jq -r '[.servers[].status] | join(",")') == deleting ]]
}

@test "a DELETE answered 423 locked whose server is gone when looked at is not_found, as a delete of a gone server is" {
	fake_seed '{"servers": [{"name": "s"}]}' >/dev/null
	curl -sS -o /dev/null -X DELETE -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/servers/5000001"
	# the other delete ends between our DELETE and our look
	fake_fault '{"method": "GET", "path": "/servers/5000001",
		"status": 404, "code": "not_found"}' >/dev/null
	run --separate-stderr cloudctl delete 5000001
	assert_failure 1
	jq_is .error.code not_found
	jq_is .requests 2
	jq_is .waited 0
}

# The power-on's action (by time, as only those hold a server against a
# DELETE in the fake) is long, and the test ends it after the first 423:
# a short one could end before a slow machine sent the DELETE, which
# would then take at once.
@test "a DELETE answered 423 locked by another action (a power-on) is retried until that action ends" {
	local aid
	fake_seed '{"servers": [{"name": "s", "status": "off"}]}' >/dev/null
	fake_config '{"action_seconds": 600}' >/dev/null
	aid=$(curl -sS --max-time 5 -X POST \
		-H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/servers/5000001/actions/poweron" | jq .action.id)
	[[ $aid =~ ^[0-9]+$ ]] || fail "the power-on answered no action: $aid"
	fake_ctl DELETE /log >/dev/null
	cloudctl delete 5000001 > "$BATS_TEST_TMPDIR/out" \
		2> "$BATS_TEST_TMPDIR/err" &
	fake_wait_for_log '.method == "DELETE" and .status == 423'
	# the delete action that follows ends at once: a 600 s one would
	# hold cloudctl's wait for it to the deadline (two minutes)
	fake_config '{"action_seconds": 0}' >/dev/null
	fake_ctl POST "/actions/$aid/finish" >/dev/null
	wait $! || fail "cloudctl failed: $(<"$BATS_TEST_TMPDIR/err")"
	output=$(<"$BATS_TEST_TMPDIR/out")
	stderr=$(<"$BATS_TEST_TMPDIR/err")
	jq_is .error null
	# locked while the start_server runs (each 423 looked at: not a
	# delete), then the DELETE that took, its action waited for to
	# its end
	[[ $(fake_count '.method == "DELETE" and .status == 423') -ge 1 ]]
	[[ $(fake_count '.method == "DELETE" and .status == 200') == 1 ]]
	[[ $(fake_count '.method == "GET" and .path == "/servers/5000001"') -ge 1 ]]
	refute_stderr_contains "being deleted already"
	refute_stderr_contains "counted as deleted"
	[[ $(fake_state | jq '.servers | length') == 0 ]]
}

# hcloud-go's error.go: resource_locked, "the caller should contact
# support": no wait lifts it, so it is not retried to the budget
@test "a 423 resource_locked is not retried, and says to contact Hetzner support" {
	fake_fault '{"method": "GET", "path": "/servers", "status": 423,
		"code": "resource_locked", "count": 0}' >/dev/null
	run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code resource_locked
	jq_is .error.http_status 423
	jq_is .error.retryable false
	jq_is .requests 1
	jq_is .waited 0
	jq_is .error.message "GET /servers: injected fault 423 (resource_locked, HTTP 423); Hetzner has locked this resource: contact Hetzner support"
}

@test "429: backs off about a second, never until RateLimit-Reset (an hour away), then succeeds" {
	fake_fault '{"method": "GET", "path": "/servers", "status": 429}' \
		>/dev/null
	run --separate-stderr cloudctl list
	assert_success
	jq_is .requests 2
	waited_between 0.9 1.1
}

@test "429 on every request: backs off growing (1, 2, 4 s) and gives up at the deadline" {
	cat >>"$PP_CONFIG" <<-EOF
	  deadline: 5s
	EOF
	fake_fault '{"method": "GET", "status": 429, "count": 0}' >/dev/null
	run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code rate_limit_exceeded
	jq_is .error.http_status 429
	# 1 s, then 2 s; the next wait (4 s) would pass the deadline
	jq_is .requests 3
	waited_between 2.9 3.1
	assert_stderr_contains "deadline"
}

@test "the rate-limit budget is kept in the state directory for the next tool" {
	fake_config '{"rate_remaining": 3}' >/dev/null
	run --separate-stderr cloudctl list
	assert_success
	run jq -r '.limit, .remaining' "$PP_STATE_DIR/ratelimit.json"
	assert_output "$(printf '3600\n2')"
	# the next tool starts knowing the budget is low: it paces its
	# first request instead of spending the reserve
	fake_config '{"rate_remaining": 3600}' >/dev/null
	run --separate-stderr cloudctl list
	assert_success
	waited_between 0.9 1.2
}

@test "pp-fleetstats --dry-run reads the cloud and keeps no budget on disk" {
	echo '{"version": 1, "nodes": []}' > "$BATS_TEST_TMPDIR/registry.json"
	run --separate-stderr pp-fleetstats --dry-run --reconcile \
		-r "$BATS_TEST_TMPDIR/registry.json"
	assert_success
	jq_is '.reconciliation | has("orphans")' true
	[[ ! -e $PP_STATE_DIR/ratelimit.json ]] ||
		fail "a dry run wrote $(cat "$PP_STATE_DIR/ratelimit.json")"
	run --separate-stderr pp-fleetstats --no-record --reconcile \
		-r "$BATS_TEST_TMPDIR/registry.json"
	assert_success
	[[ -e $PP_STATE_DIR/ratelimit.json ]]
}

@test "a low remaining budget paces requests instead of spending the reserve" {
	fake_seed "$(jq -nc '{servers: [range(0; 120) | {name: "s\(.)"}]}')" \
		>/dev/null
	fake_config '{"rate_remaining": 3}' >/dev/null
	run --separate-stderr cloudctl list
	assert_success
	jq_is .requests 3
	jq_is '.result | length' 120
	# the first answer shows 2 left: the next two requests each wait
	# for one request's share of the refill, about a second
	waited_between 1.6 2.4
}

@test "500 is an error, not retried" {
	fake_fault '{"status": 500}' >/dev/null
	run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code server_error
	jq_is .error.http_status 500
	jq_is .error.retryable false
	jq_is .requests 1
	jq_is .waited 0
	assert_stderr_contains "GET /servers: injected fault 500 (server_error, HTTP 500)"
}

@test "502, 503, 504, 409 conflict and 423 locked are retried with exponential backoff" {
	local st
	for st in 502 503 504 409 423; do
		fake_reset
		fake_fault "{\"status\": $st, \"count\": 2, \"code\": \
			\"$([[ $st == 409 ]] && echo conflict || echo x$st)\"}" \
			>/dev/null
		run --separate-stderr cloudctl list
		assert_success
		jq_is .requests 3
		# 0.1 then 0.2, each with half jitter
		waited_between 0.15 0.3
	done
}

@test "gives up after the configured retries and says the error was retryable" {
	fake_fault '{"status": 503, "count": 0}' >/dev/null
	run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code unavailable
	jq_is .error.http_status 503
	jq_is .error.retryable true
	jq_is .requests 4
	# 0.1 + 0.2 + 0.4 with half jitter
	waited_between 0.35 0.7
}

@test "a dropped connection on a read is retried" {
	fake_fault '{"method": "GET", "drop": true}' >/dev/null
	run --separate-stderr cloudctl list
	assert_success
	jq_is .requests 2
	[[ $(fake_count '.status == 0') == 1 ]]
}

@test "a slow answer hits the request timeout and is retried, then fails with timeout" {
	fake_fault '{"method": "GET", "slow": 2}' >/dev/null
	run --separate-stderr cloudctl list
	assert_success
	jq_is .requests 2
	sed -i 's/retries: 3/retries: 1/' "$PP_CONFIG"
	fake_fault '{"method": "GET", "slow": 2, "count": 0}' >/dev/null
	run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code timeout
	jq_is .error.http_status 0
	jq_is .requests 2
}

@test "a create whose answer is lost is looked up by name before it is retried" {
	fake_fault '{"method": "POST", "path": "/servers", "drop": true}' \
		>/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_success
	jq_is '[.log[] | .method + " " + .path] | join(",")' \
		"POST /servers,GET /servers?name=pp-a&per_page=50&page=1&sort=id:asc,POST /servers,GET /actions?id=9000001&id=9000002&per_page=50&page=1&sort=id:asc"
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "a create that took effect although its answer timed out is adopted, not repeated" {
	# the POST answers after the 2 s timeout but creates the server (at
	# 3 s); the look-up, sent at 2 s, is answered after that (3.2 s)
	# and well within its own timeout, however busy the machine
	sed -i 's/request_timeout: 1s/request_timeout: 2s/' "$PP_CONFIG"
	grep -q 'request_timeout: 2s' "$PP_CONFIG"
	fake_fault '{"faults": [
		{"method": "POST", "path": "/servers", "slow": 3},
		{"method": "GET", "path": "/servers", "slow": 1.2}]}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_success
	jq_is .result.name pp-a
	jq_is .result.labels.managed_by ppscale
	jq_is .requests 2
	[[ $(fake_state | jq '.servers | length') == 1 ]]
	[[ $(fake_count '.method == "POST"') == 1 ]]
}

@test "a 503 on create is retried only after the look-up found nothing" {
	fake_fault '{"method": "POST", "status": 503}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_success
	jq_is .requests 4
	[[ $(fake_count '.method == "POST"') == 2 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "resource_unavailable is reported with code, status and message, not retried" {
	run --separate-stderr cloudctl create pp-a cpx22 sin
	assert_failure 1
	jq_is .error.code resource_unavailable
	jq_is .error.http_status 412
	jq_is .error.retryable false
	jq_is .requests 1
	assert_stderr_contains "server type cpx22 is unavailable in sin"
}

@test "resource_limit_exceeded is a clear error without a retry storm" {
	fake_config '{"server_limit": 0}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_failure 1
	jq_is .error.code resource_limit_exceeded
	jq_is .error.http_status 403
	jq_is .requests 1
	assert_stderr_contains "server limit exceeded"
}

@test "uniqueness_error is final" {
	fake_seed '{"servers": [{"name": "pp-a"}]}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_failure 1
	jq_is .error.code uniqueness_error
	# the name is looked up once (an earlier attempt of ours may have
	# taken it): not ours, so final, and never a second POST
	jq_is .requests 2
	assert_stderr_contains "does not carry our labels"
	run jq -r '[.requests[] | .method + " " + .path + "?" + .query] |
		join(",")' <<<"$(fake_log)"
	assert_output "POST /servers?,GET /servers?name=pp-a&per_page=50&page=1&sort=id:asc"
}

@test "a uniqueness_error on a name whose server carries our labels is that server" {
	fake_seed '{"servers": [{"name": "pp-a", "labels": {"managed_by":
		"ppscale", "role": "worker", "pool": "default"}}]}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_success
	jq_is .result.name pp-a
	jq_is .result.labels.pool default
	jq_is .requests 2
	assert_stderr_contains "answer was lost; using it"
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "a failed create action is reported and the broken server deleted again" {
	fake_fault '{"action_error": {"code": "placement_error",
		"message": "no capacity in this placement group"}}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_failure 1
	jq_is .error.code placement_error
	jq_is .result.name pp-a
	assert_stderr_contains "no capacity in this placement group"
	assert_stderr_contains "the server was deleted again"
	[[ $(fake_state | jq '.servers | length') == 0 ]]
}

@test "a create whose actions the API no longer knows is unknown at once, not polled until the timeout, and not deleted" {
	fake_fault '{"action_lost": true}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_failure 1
	jq_is .error.code action_unknown
	jq_is .result.name pp-a
	assert_stderr_contains "is missing from the API's answer to GET /actions"
	# one poll, not one per poll interval until cloud.action_timeout
	[[ $(fake_log | jq '[.requests[] | select(.path == "/actions")]
		| length') == 1 ]]
	# it may still boot: a later look decides, nothing deletes it
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "a wrong token is unauthorized, not retried, and never echoed" {
	HCLOUD_TOKEN=wrong-token-xyz run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code unauthorized
	jq_is .error.http_status 401
	jq_is .requests 1
	refute_stderr_contains wrong-token-xyz
	refute_output --partial wrong-token-xyz
}

@test "the token never appears in output, errors, logs or dry-run records" {
	fake_fault '{"status": 503, "count": 0}' >/dev/null
	run --separate-stderr cloudctl -vv create pp-a cx23 nbg1
	assert_failure 1
	refute_output --partial "$FAKE_TOKEN"
	refute_stderr_contains "$FAKE_TOKEN"
	fake_reset
	run --separate-stderr cloudctl -vv --dry-run create pp-a cx23 nbg1
	assert_success
	refute_output --partial "$FAKE_TOKEN"
	refute_stderr_contains "$FAKE_TOKEN"
	! grep -rq "$FAKE_TOKEN" "$PP_STATE_DIR"
}

@test "dry run records create and delete, sends only reads" {
	run --separate-stderr cloudctl --dry-run create pp-a cx23 nbg1
	assert_success
	jq_is .requests 0
	jq_is '.log | length' 1
	jq_is '.log[0].sent' false
	jq_is '.log[0].body.name' pp-a
	run --separate-stderr cloudctl --dry-run delete 5000001
	assert_success
	jq_is '.log[0].path' /servers/5000001
	[[ $(fake_count 'true') == 0 ]]
}

@test "an invalid selector is refused without spending a request" {
	run --separate-stderr cloudctl list 'role in (a'
	assert_failure 1
	jq_is .error.code invalid_input
	jq_is .requests 0
}

@test "retry classes of failures the fake cannot produce: HTTP/2 stream errors may have acted, a failed TLS handshake sent nothing" {
	# CURLcodes: 6 resolve, 7 connect, 35 TLS handshake, 16 HTTP/2,
	# 92 HTTP/2 stream, 28 timeout, 52 empty reply, 55 send, 56 recv,
	# 18 partial body, 60 certificate not trusted, 3 malformed URL.
	# hcloud-go (hcloud/client_handler_retry.go) repeats conflict,
	# rate_limit_exceeded, timeout, 502, 504 and network timeouts, and
	# no 500; a POST it repeats blind, ppscale only after a look-up
	run "$BUILD/unit/retryclass" curl:6 curl:7 curl:35 curl:16 curl:92 \
		curl:28 curl:52 curl:55 curl:56 curl:18 curl:60 curl:3 \
		http:429 http:423:locked http:423:protected \
		http:423:resource_locked \
		http:409:conflict http:409:uniqueness_error http:502 http:503 \
		http:504 http:500 http:422:invalid_input http:404:not_found
	assert_success
	assert_output "curl:6 safe
curl:7 safe
curl:35 safe
curl:16 ambiguous
curl:92 ambiguous
curl:28 ambiguous
curl:52 ambiguous
curl:55 ambiguous
curl:56 ambiguous
curl:18 ambiguous
curl:60 no
curl:3 no
http:429 safe
http:423:locked safe
http:423:protected no
http:423:resource_locked no
http:409:conflict safe
http:409:uniqueness_error no
http:502 ambiguous
http:503 ambiguous
http:504 ambiguous
http:500 no
http:422:invalid_input no
http:404:not_found no"
}

# json-c keeps an integer beyond 64 bits as the nearest end of int64,
# silently: such an id, recorded, could name another server to delete.
# The API's ids are int64 of 1 or more (hcloud-go: ID int64).
@test "a server id beyond 64 bits, fractional, below 1, a string or null is a malformed answer, never recorded" {
	fake_seed '{"servers": [{"name": "s"}]}' >/dev/null
	for v in 99999999999999999999 -99999999999999999999 1.5 0 -3 \
	    '"5000001"' null; do
		fake_fault "{\"method\": \"GET\", \"path\": \"/servers\",
			\"set_after\": {\"servers.0.id\": $v}}" >/dev/null
		run --separate-stderr cloudctl list
		assert_failure 1
		jq_is .error.code bad_answer
		assert_stderr_contains "GET /servers: the API answered a server whose id is"
		fake_fault "{\"method\": \"GET\", \"path\": \"/servers/5000001\",
			\"set_after\": {\"server.id\": $v}}" >/dev/null
		run --separate-stderr cloudctl get 5000001
		assert_failure 1
		jq_is .error.code bad_answer
		assert_stderr_contains "GET /servers/5000001: the API answered a server whose id is"
	done
	fake_fault '{"method": "GET", "path": "/servers",
		"set_after": {"servers.0.id": 99999999999999999999}}' >/dev/null
	run --separate-stderr cloudctl list
	assert_stderr_contains "whose id is beyond 64 bits"
	run --separate-stderr cloudctl list
	assert_success
	jq_is '.result[0].id' 5000001
}

@test "a create answered with a server id beyond 64 bits is looked up by name, not recorded" {
	fake_fault '{"method": "POST", "path": "/servers",
		"set_after": {"server.id": 99999999999999999999}}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_success
	assert_stderr_contains "was created by a request whose answer was lost"
	jq_is .result.id 5000001
	jq_is .result.name pp-a
}

@test "pagination figures beyond 64 bits or not integers are a malformed answer" {
	fake_seed '{"servers": [{"name": "s"}]}' >/dev/null
	for f in '"meta.pagination.next_page": 99999999999999999999' \
	    '"meta.pagination.next_page": 1.5' \
	    '"meta.pagination.next_page": 0' \
	    '"meta.pagination.total_entries": 99999999999999999999' \
	    '"meta.pagination.total_entries": -1' \
	    '"meta.pagination.total_entries": "1"'; do
		fake_fault "{\"method\": \"GET\", \"path\": \"/servers\",
			\"set_after\": {$f}}" >/dev/null
		run --separate-stderr cloudctl list
		assert_failure 1
		jq_is .error.code bad_answer
		field=${f#\"meta.pagination.}
		assert_stderr_contains "the API answered a malformed meta.pagination.${field%%\"*} "
	done
	# null: the last page, and a total the API did not count
	fake_fault '{"method": "GET", "path": "/servers", "set_after":
		{"meta.pagination.next_page": null,
		 "meta.pagination.total_entries": null}}' >/dev/null
	run --separate-stderr cloudctl list
	assert_success
	jq_is '.result | length' 1
}

# next_page is null on the last page; a number at or before the page
# it came with was taken for the end, dropping the pages after it
@test "a next_page at or before the current page is a malformed answer, not the last page" {
	fake_seed "$(jq -nc '{servers: [range(60) | {name: "s\(.)"}]}')" \
		>/dev/null
	run --separate-stderr cloudctl list
	assert_success
	jq_is '.result | length' 60
	for v in 1; do
		fake_fault "{\"method\": \"GET\", \"path\": \"/servers\",
			\"set_after\": {\"meta.pagination.next_page\": $v}}" \
			>/dev/null
		run --separate-stderr cloudctl list
		assert_failure 1
		jq_is .error.code bad_answer
	done
	# a later page that names itself or an earlier one
	for v in 2 1; do
		fake_fault "{\"method\": \"GET\", \"path\": \"/servers\",
			\"skip\": 1,
			\"set_after\": {\"meta.pagination.next_page\": $v}}" \
			>/dev/null
		run --separate-stderr cloudctl list
		assert_failure 1
		jq_is .error.code bad_answer
		assert_stderr_contains "meta.pagination.next_page $v on page 2: not after it"
	done
}

@test "a create whose running action has an id beyond 64 bits is unknown, not polled by a wrong id, and not deleted" {
	fake_fault '{"method": "POST", "path": "/servers",
		"set_after": {"next_actions.0.id": 99999999999999999999}}' \
		>/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_failure 1
	jq_is .error.code action_unknown
	assert_stderr_contains "the API answered an action whose id is beyond 64 bits"
	[[ $(fake_log | jq '[.requests[] | select(.path == "/actions")]
		| length') == 0 ]]
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "an action id of 1.5 in a poll's answer is a malformed answer: the create is unknown, not deleted" {
	fake_fault '{"method": "GET", "path": "/actions",
		"set_after": {"actions.0.id": 1.5}}' >/dev/null
	run --separate-stderr cloudctl create pp-a cx23 nbg1
	assert_failure 1
	jq_is .error.code action_unknown
	assert_stderr_contains "cannot read its actions: GET /actions?id="
	assert_stderr_contains "the API answered an action whose id is not an integer"
	[[ $(fake_state | jq '.servers | length') == 1 ]]
}

@test "a delete whose running action has no id is counted as done, not polled" {
	fake_seed '{"servers": [{"name": "s"}]}' >/dev/null
	fake_fault '{"method": "DELETE", "set_after": {"action.id": null}}' \
		>/dev/null
	run --separate-stderr cloudctl delete 5000001
	assert_success
	assert_stderr_contains "the API answered an action whose id is missing"
	assert_stderr_contains "the delete was accepted: counted as deleted"
	[[ $(fake_log | jq '[.requests[] | select(.path | startswith("/actions"))]
		| length') == 0 ]]
}
