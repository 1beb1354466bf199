#!/usr/bin/env bats
# Issue 9 item 2, the whole matrix: every fault of test_helper/faults.bash
# at every request of a clean scale-up and a clean scale-down against
# the fake Hetzner API.  Each row: the exit status, a clear message, no
# orphan, and reruns that reach the clean run's end state.  One line a
# row on the TAP output ("# ok up 503 at step 3 (POST /servers)").
bats_require_minimum_version 1.5.0

setup_file() {
	load '../test_helper/provision'
	prov_fake_file pp-secret-token-9200
}

teardown_file() {
	load '../test_helper/provision'
	prov_fake_file_end
}

setup() {
	load '../test_helper/common'
	load '../test_helper/fakehcloud'
	load '../test_helper/provision'
	load '../test_helper/faults'
	pp_isolate
	export HCLOUD_ENDPOINT=$FAKE_URL HCLOUD_TOKEN=$FAKE_TOKEN
}

@test "scale-up: every fault at every request ends as the clean run does" {
	fx_record up "$BATS_TEST_TMPDIR/seq"
	fx_matrix up "$BATS_TEST_TMPDIR/seq"
}

@test "scale-down: every fault at every request ends as the clean run does" {
	fx_record down "$BATS_TEST_TMPDIR/seq"
	fx_matrix down "$BATS_TEST_TMPDIR/seq"
}
