#!/usr/bin/env bats
# The local provider: a JSON file in the state directory stands for the
# cloud; boot time runs on the --now clock.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	write_config <<-EOF
	cloud:
	  provider: local
	  local:
	    boot_seconds: 90s
	EOF
	T0=2026-11-27T06:00:00Z
}

cloudctl() { "$BUILD/unit/cloudctl" "$@"; }

@test "a created server is initializing until the boot time has passed on the --now clock" {
	run --separate-stderr cloudctl --now "$T0" create pp-a cx33 nbg1
	assert_success
	jq_is .result.status initializing
	jq_is .result.id 1
	jq_is .result.labels.managed_by ppscale
	jq_is .result.labels.role worker
	jq_is .result.created "$T0"
	jq_is .requests 0
	run --separate-stderr cloudctl --now 2026-11-27T06:01:29Z status 1
	jq_is .result initializing
	run --separate-stderr cloudctl --now 2026-11-27T06:01:30Z status 1
	jq_is .result running
}

@test "the cloud file lives in the state directory, private, and survives as valid JSON" {
	cloudctl --now "$T0" create pp-a cx23 fsn1 >/dev/null
	[[ -f $PP_STATE_DIR/cloud.json ]]
	[[ $(stat -c %a "$PP_STATE_DIR/cloud.json") == 600 ]]
	jq -e '.servers[0].name == "pp-a"' "$PP_STATE_DIR/cloud.json"
}

@test "lists servers by label selector with the API's semantics" {
	cloudctl --now "$T0" create pp-a cx23 nbg1 managed_by=ppscale \
		role=spare >/dev/null
	cloudctl --now "$T0" create pp-b cx23 nbg1 managed_by=ppscale \
		role=worker >/dev/null
	cloudctl --now "$T0" create other cx23 nbg1 team=web >/dev/null
	run --separate-stderr cloudctl --now "$T0" list managed_by=ppscale
	assert_success
	jq_is '[.result[].name] | join(",")' pp-a,pp-b
	run --separate-stderr cloudctl list 'managed_by=ppscale,role=spare'
	jq_is '[.result[].name] | join(",")' pp-a
	run --separate-stderr cloudctl list '!managed_by'
	jq_is '[.result[].name] | join(",")' other
	run --separate-stderr cloudctl list 'role notin (spare)'
	jq_is '[.result[].name] | join(",")' pp-b,other
	run --separate-stderr cloudctl list
	jq_is '.result | length' 3
	run --separate-stderr cloudctl list 'role in (a'
	assert_failure 1
	jq_is .error.code invalid_input
}

@test "refuses what Hetzner refuses, with its codes" {
	local row args code hs
	write_config <<-EOF
	cloud:
	  provider: local
	  local:
	    server_limit: 2
	EOF
	cloudctl --now "$T0" create pp-a cx23 nbg1 >/dev/null
	# args | code | http status
	while IFS='|' read -r args code hs; do
		# shellcheck disable=SC2086
		run --separate-stderr cloudctl --now "$T0" create $args
		assert_failure 1
		jq_is .error.code "$code"
		jq_is .error.http_status "$hs"
	done <<-'ROWS'
	pp-a cx23 nbg1|uniqueness_error|409
	pp-b cx99 nbg1|invalid_input|422
	pp-b cx23 sin|resource_unavailable|412
	pp-b cx22 nbg1|resource_unavailable|412
	pp_b cx23 nbg1|invalid_input|422
	pp-b cx23 nbg1 hetzner.cloud/managed-by=ppscale|invalid_input|422
	ROWS
	cloudctl --now "$T0" create pp-b cx23 nbg1 >/dev/null
	run --separate-stderr cloudctl --now "$T0" create pp-c cx23 nbg1
	assert_failure 1
	jq_is .error.code resource_limit_exceeded
	jq_is .error.http_status 403
	assert_stderr_contains "server limit exceeded"
}

@test "deletes a server; a second delete says not_found" {
	cloudctl --now "$T0" create pp-a cx23 nbg1 >/dev/null
	run --separate-stderr cloudctl delete 1
	assert_success
	run --separate-stderr cloudctl get 1
	assert_failure 1
	jq_is .error.code not_found
	run --separate-stderr cloudctl delete 1
	assert_failure 1
	jq_is .error.code not_found
}

@test "waiting on the --now clock answers at once instead of sleeping" {
	cloudctl --now "$T0" create pp-a cx23 nbg1 >/dev/null
	run --separate-stderr cloudctl --now 2026-11-27T06:00:30Z wait 1 600
	assert_failure 1
	jq_is .error.code timeout
	assert_stderr_contains "running at 2026-11-27T06:01:30Z"
	run --separate-stderr cloudctl --now 2026-11-27T06:05:00Z wait 1 600
	assert_success
	jq_is .result.status running
}

@test "offers the configured catalog with prices as source local" {
	run --separate-stderr cloudctl types
	assert_success
	jq_is .result.source local
	jq_is '.result.types[] | select(.name == "cx33") | .memory_gb' 8
	jq_is '.result.types[] | select(.name == "cx33") |
		.locations[] | select(.name == "nbg1") | .hourly_eur' 0.0088
	run --separate-stderr cloudctl cost cx33 nbg1
	jq_is .result 0.0088
	run --separate-stderr cloudctl cost cx33 sin
	assert_failure 1
	jq_is .error.code not_found
}

@test "dry run records create and delete and changes nothing" {
	run --separate-stderr cloudctl --dry-run --now "$T0" create pp-a cx23 nbg1
	assert_success
	jq_is .result.id dry-run-1
	jq_is '.log[0].method' POST
	jq_is '.log[0].path' /servers
	jq_is '.log[0].sent' false
	jq_is '.log[0].body.server_type' cx23
	jq_is '.log[0].body.labels.managed_by' ppscale
	run --separate-stderr cloudctl --dry-run delete 7
	jq_is '.log[0].method' DELETE
	jq_is '.log[0].path' /servers/7
	[[ ! -e $PP_STATE_DIR/cloud.json ]]
}

# json-c keeps 99999999999999999999 as the end of int64: the next
# server would get an id of its own choosing, not the file's.
@test "a next_id beyond 64 bits, fractional, below 1, a string or none makes the cloud file not valid, and creates nothing" {
	cloudctl --now "$T0" create pp-a cx23 fsn1 >/dev/null
	for v in 99999999999999999999 1.5 0 '"2"' null; do
		jq -c ".next_id = $v" "$PP_STATE_DIR/cloud.json" >"$BATS_TEST_TMPDIR/c"
		cp "$BATS_TEST_TMPDIR/c" "$PP_STATE_DIR/cloud.json"
		run --separate-stderr cloudctl --now "$T0" create pp-b cx23 fsn1
		assert_failure 1
		jq_is .error.code bad_answer
		assert_stderr_contains "is not valid: next_id is not an integer of 1 or more"
		[[ $(jq '.servers | length' "$PP_STATE_DIR/cloud.json") == 1 ]]
	done
	jq -c '.next_id = 2' "$PP_STATE_DIR/cloud.json" >"$BATS_TEST_TMPDIR/c"
	cp "$BATS_TEST_TMPDIR/c" "$PP_STATE_DIR/cloud.json"
	run --separate-stderr cloudctl --now "$T0" create pp-b cx23 fsn1
	assert_success
	jq_is .result.id 2
}
