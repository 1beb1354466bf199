#!/usr/bin/env bats
# Where the Hetzner provider takes its token and endpoint from, and what
# it refuses.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/common'
	load 'test_helper/fakehcloud'
	export FAKE_TOKEN=pp-secret-token-3021
	fake_start
}

teardown_file() {
	load 'test_helper/fakehcloud'
	fake_stop
}

setup() {
	load 'test_helper/common'
	pp_isolate
	TOKEN_FILE=$BATS_TEST_TMPDIR/token
	printf '%s\n' "$FAKE_TOKEN" >"$TOKEN_FILE"
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  endpoint: $FAKE_URL
	  token_file: $TOKEN_FILE
	EOF
}

cloudctl() { "$BUILD/unit/cloudctl" "$@"; }

@test "reads the token from a file only its owner can read" {
	chmod 600 "$TOKEN_FILE"
	run --separate-stderr cloudctl list
	assert_success
	jq_is .requests 1
}

@test "refuses a token file readable by group or others, naming file and mode" {
	local mode
	for mode in 640 604 644; do
		chmod "$mode" "$TOKEN_FILE"
		run --separate-stderr cloudctl list
		assert_failure 2
		jq_is .error.code config
		assert_stderr_contains "token file '$TOKEN_FILE' has mode 0$mode"
		refute_stderr_contains "$FAKE_TOKEN"
	done
}

@test "HCLOUD_TOKEN wins over the token file" {
	chmod 644 "$TOKEN_FILE"
	HCLOUD_TOKEN=$FAKE_TOKEN run --separate-stderr cloudctl list
	assert_success
}

@test "without any token it says how to give one" {
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  endpoint: $FAKE_URL
	EOF
	run --separate-stderr cloudctl list
	assert_failure 2
	assert_stderr_contains "set HCLOUD_TOKEN or cloud.token_file"
}

@test "HCLOUD_ENDPOINT wins over cloud.endpoint" {
	chmod 600 "$TOKEN_FILE"
	sed -i "s|endpoint: .*|endpoint: https://api.hetzner.cloud/v1|" \
		"$PP_CONFIG"
	HCLOUD_ENDPOINT=$FAKE_URL run --separate-stderr cloudctl list
	assert_success
	jq_is .requests 1
}

@test "refuses plain http to anything but this machine" {
	local ep
	chmod 600 "$TOKEN_FILE"
	for ep in http://api.hetzner.cloud/v1 http://10.0.0.1:8080/v1 \
		http://localhost.evil.example/v1 ftp://127.0.0.1/v1; do
		HCLOUD_ENDPOINT=$ep run --separate-stderr cloudctl list
		assert_failure 2
		jq_is .error.code config
		assert_stderr_contains "refusing API endpoint '$ep'"
	done
}

# RFC 3986: a scheme and a host are read in any case, so the loopback
# rule takes this machine's names in any case too.
@test "takes plain http to this machine whatever the case of its scheme and host" {
	local ep
	chmod 600 "$TOKEN_FILE"
	for ep in "HTTP://LOCALHOST:$FAKE_PORT/v1" \
		"http://LocalHost:$FAKE_PORT/v1" "Http://127.0.0.1:$FAKE_PORT/v1"; do
		HCLOUD_ENDPOINT=$ep run --separate-stderr cloudctl list
		assert_success
		jq_is .requests 1
	done
	HCLOUD_ENDPOINT=HTTP://LOCALHOST.EVIL.EXAMPLE/v1 \
		run --separate-stderr cloudctl list
	assert_failure 2
	assert_stderr_contains "refusing API endpoint 'HTTP://LOCALHOST.EVIL.EXAMPLE/v1'"
}

@test "refuses an endpoint with a user name and password, without showing them" {
	chmod 600 "$TOKEN_FILE"
	HCLOUD_ENDPOINT="https://ops:ep-pass-secret@127.0.0.1:1/v1" \
		run --separate-stderr pp-provision < <(jq -nc '{version: 1,
		generated_at: "2026-11-27T10:00:00Z", decision: {action:
		"scale_up", count: 1, server_type: "cx23", location: "nbg1",
		node: null, role: "worker", reason: "test", dry_run: false}}') \
		--now 2026-11-27T10:00:00Z
	assert_failure 2
	assert_stderr_contains "refusing API endpoint 'https://127.0.0.1:1/v1'"
	[[ $stderr$output != *secret* ]] || fail "password shown: $stderr"
	! grep -rq secret "$PP_STATE_DIR" ||
		fail "password written: $(grep -r secret "$PP_STATE_DIR")"
}

@test "an unreachable endpoint is a transport error after retries" {
	chmod 600 "$TOKEN_FILE"
	cat >>"$PP_CONFIG" <<-EOF
	  retries: 2
	  retry_base: 0.01
	EOF
	HCLOUD_ENDPOINT=http://127.0.0.1:9/v1 run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code transport
	jq_is .error.http_status 0
	jq_is .requests 3
}
