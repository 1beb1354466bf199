#!/usr/bin/env bats
# Issue 9 item 2, representative rows of the fault matrix (the whole
# matrix is t/slow/9200-fault-matrix.bats, `make check-slow`): a fault
# of the fake Hetzner API at one request of a scale-up or scale-down;
# each row checks the exit status, a clear message, no orphan, and
# reruns that reach the clean run's end state (test_helper/faults.bash).
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/provision'
	prov_fake_file pp-secret-token-9200
}

teardown_file() {
	load 'test_helper/provision'
	prov_fake_file_end
}

setup() {
	load 'test_helper/common'
	load 'test_helper/fakehcloud'
	load 'test_helper/provision'
	load 'test_helper/faults'
	pp_isolate
	export HCLOUD_ENDPOINT=$FAKE_URL HCLOUD_TOKEN=$FAKE_TOKEN
}

@test "the clean runs make the request sequences the matrix walks" {
	fx_record up "$BATS_TEST_TMPDIR/up"
	fx_record down "$BATS_TEST_TMPDIR/down"
	run paste -sd, "$BATS_TEST_TMPDIR/up"
	# pp-provision looks no image up: GET /images would delay the create
	assert_output "GET /servers,GET /server_types,GET /pricing,POST /servers,GET /actions,GET /servers/5000001"
	run paste -sd, "$BATS_TEST_TMPDIR/down"
	assert_output "GET /servers,GET /servers/5000001,DELETE /servers/5000001,GET /actions/9000001"
}

@test "scale-up rows: 503 and a timeout at the create, a drop at the action poll, 500 at the list and the pricing, resource_unavailable and an action error at the create" {
	fx_record up "$BATS_TEST_TMPDIR/seq"
	fx_matrix up "$BATS_TEST_TMPDIR/seq" 503@4 timeout@4 drop@5 500@1 \
		500@3 resource_unavailable@4 action_error@4 \
		resource_limit_exceeded@4
}

@test "scale-down rows: 429 at the delete, a drop at its poll, an action error and 500 at the delete, 500 at the delete guard's look" {
	fx_record down "$BATS_TEST_TMPDIR/seq"
	fx_matrix down "$BATS_TEST_TMPDIR/seq" 429@3 drop@4 action_error@3 \
		500@3 500@2
}
