#!/usr/bin/env bats
# libcurl and libpq are loaded when first used (lib/base/dynlib.c), not
# linked: a cycle on the local provider and the file registry starts
# without their 35 dependencies, and one that needs them loads them,
# or says why it cannot.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
}

@test "calls reach the real libcurl and libpq with their arguments" {
	run --separate-stderr "$BUILD/unit/dynlib" real
	assert_success
	refute_output --partial FAIL
	assert_line "ok a long option arrives"
	assert_line "ok a pointer option arrives and comes back"
	assert_line "ok libpq's own error"
}

@test "a library that cannot be loaded fails each call as the library would, said once" {
	run --separate-stderr "$BUILD/unit/dynlib" missing
	assert_success
	refute_output --partial FAIL
	assert_line "ok no connection"
	[ "$(grep -c 'cannot load libppscale-test-missing-curl.so.4' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c 'cannot load libppscale-test-missing-pq.so.5' <<<"$stderr")" -eq 1 ]
}

@test "no tool is linked with libcurl or libpq" {
	command -v readelf >/dev/null || skip "readelf is not installed"
	for t in "$BUILD"/bin/pp-*; do
		run readelf -d "$t"
		assert_success
		assert_output --partial "libjson-c"
		refute_output --partial "libcurl"
		refute_output --partial "libpq"
	done
}

@test "a local cycle loads neither library; a postgresql:// registry loads libpq" {
	LD_DEBUG=files PP_BUILD="$BUILD" run --separate-stderr \
		sh "$TOP/share/examples/demo.sh"
	assert_success
	# the loader's own log: the control below shows it names them
	[[ $stderr == *"file=libjson-c.so.5"* ]]
	[[ $stderr != *"file=libcurl.so"* ]]
	[[ $stderr != *"file=libpq.so"* ]]
	write_config <<-'EOF'
	registry: postgresql://ppscale@127.0.0.1:1/none
	EOF
	LD_DEBUG=files run --separate-stderr pp-config check
	[[ $stderr == *"file=libpq.so.5"* ]]
	[[ $stderr != *"file=libcurl.so"* ]]
}
