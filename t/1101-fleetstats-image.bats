#!/usr/bin/env bats
# pp-fleetstats looks cloud.image up with each catalog fetch (one request
# per cloud.catalog_ttl, cached with the catalog; alone when only the
# image is not known) and warns on every run while the image is
# deprecated, gone, not available or of another architecture: Hetzner
# removes deprecated images, and a create from an image that is gone
# always fails.
bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/fakehcloud'
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
	export HCLOUD_ENDPOINT=$FAKE_URL HCLOUD_TOKEN=${FAKE_TOKEN:-pp-test-token-not-a-secret}
	fake_reset
	T0=2026-11-27T06:00:00Z
	conf
	printf '{"version": 1, "nodes": []}\n' > "$PP_STATE_DIR/registry.json"
}

# conf [KEY: VALUE lines under cloud:]
conf() {
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  catalog_ttl: 1h
	  retries: 0
	$(sed 's/^/  /' <<<"${1:-}")
	EOF
}

# images: the image look-ups the fake saw, "PATH?QUERY" a line
images() {
	fake_log | jq -r '.requests[] | select(.path | startswith("/images"))
		| .path + (if .query != "" then "?" + .query else "" end)'
}

@test "a deprecated cloud.image is a warning on every run, from the look-up cached with the catalog" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-10-01T06:00:00+00:00"}}' >/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	jq_is .server_types.source hetzner
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	assert_stderr_contains "set cloud.image to a current image"
	run images
	assert_output "/images?name=debian-12&architecture=x86&include_deprecated=true"
	# the next runs within catalog_ttl: the same warning, no request
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:59:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	[[ $(images | wc -l) == 1 ]]
	# the catalog's refresh looks again, with it
	run --separate-stderr pp-fleetstats --now 2026-11-27T07:00:00Z
	jq_is .server_types.source hetzner
	[[ $(images | wc -l) == 2 ]]
	[[ $(fake_log | jq '[.requests[] | select(.path ==
		"/server_types")] | length') == 2 ]]
	# the run after the image is changed: looked up anew, no warning
	conf 'image: debian-13'
	run --separate-stderr pp-fleetstats --now 2026-11-27T07:01:00Z
	assert_success
	refute_stderr_contains "cloud.image"
	run images
	assert_line --index 2 "/images?name=debian-13&architecture=x86&include_deprecated=true"
}

# the API lists a deprecated image only with include_deprecated=true
# (t/fakehcloud.py as the API): asked by name without it, a deprecated
# image would be reported as gone, with the wrong advice
@test "a deprecated image named in cloud.image is reported as deprecated, not as missing, for either architecture and by id" {
	fake_config '{"image_deprecations": {"debian-13":
		"2026-10-01T06:00:00+00:00"}, "images_removed":
		["ubuntu-22.04"]}' >/dev/null
	conf $'image: debian-13\narchitecture: arm'
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	assert_stderr_contains "image 'debian-13' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	refute_stderr_contains "not found"
	conf 'image: debian-13'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:01:00Z
	assert_success
	assert_stderr_contains "image 'debian-13' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	refute_stderr_contains "not found"
	# by id (debian-13 for x86): /images/{id} shows it as is
	conf 'image: "310557660"'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:02:00Z
	assert_success
	assert_stderr_contains "image '310557660' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	# a removed image stays not found with include_deprecated too
	conf 'image: ubuntu-22.04'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:03:00Z
	assert_success
	assert_stderr_contains "image 'ubuntu-22.04' (cloud.image) is not found for architecture x86"
	run images
	assert_output "/images?name=debian-13&architecture=arm&include_deprecated=true
/images?name=debian-13&architecture=x86&include_deprecated=true
/images/310557660
/images?name=ubuntu-22.04&architecture=x86&include_deprecated=true"
}

@test "an image that is gone is a warning that every create will fail, by name and by id" {
	fake_config '{"images_removed": ["ubuntu-22.04"]}' >/dev/null
	conf 'image: ubuntu-22.04'
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	assert_stderr_contains "image 'ubuntu-22.04' (cloud.image) is not found for architecture x86: every create will fail"
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:30:00Z
	assert_stderr_contains "image 'ubuntu-22.04' (cloud.image) is not found"
	# a numeric cloud.image is an id (ubuntu-22.04's for x86)
	conf 'image: "67794396"'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:31:00Z
	assert_success
	assert_stderr_contains "image '67794396' (cloud.image) is not found: every create will fail"
	# GET /images/{id} is asked for no architecture
	refute_stderr_contains "for architecture"
	run images
	assert_line --index 1 "/images/67794396"
	# and one that is there is no warning
	conf 'image: "310557660"'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:32:00Z
	assert_success
	refute_stderr_contains "cloud.image"
}

@test "the look-up asks for cloud.architecture's image, and a current one is no warning" {
	fake_config '{"image_deprecations": {"debian-13":
		"2026-10-01T06:00:00+00:00"}}' >/dev/null
	conf 'architecture: arm'
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	refute_stderr_contains "cloud.image"
	run images
	assert_output "/images?name=debian-12&architecture=arm&include_deprecated=true"
}

# nothing known of the image (a failed look-up with no earlier answer
# for it) is not fresh: cached as such for a whole catalog_ttl, no run
# warned while every create failed
@test "a failed look-up with nothing known is a warning, and the next run looks the image up again, alone" {
	fake_config '{"images_removed": ["debian-12"]}' >/dev/null
	fake_fault '{"method": "GET", "path": "/images", "status": 503}' \
		>/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	jq_is .server_types.source hetzner
	assert_stderr_contains "cannot look up image 'debian-12' (cloud.image): GET /images: injected fault 503"
	refute_stderr_contains "(cloud.image) is"
	# the next run: the image's look-up only, the catalog from the cache
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:01:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "image 'debian-12' (cloud.image) is not found for architecture x86: every create will fail"
	refute_stderr_contains "cannot look up"
	[[ $(images | wc -l) == 2 ]]
	[[ $(fake_log | jq '[.requests[] | select(.path == "/server_types"
		or .path == "/pricing")] | length') == 2 ]]
	jq -e '.image.state == "missing" and .image.checked_at ==
		"2026-11-27T06:01:00Z" and .fetched_at == "2026-11-27T06:00:00Z"' \
		"$PP_STATE_DIR/catalog.json"
	# and now it is known: from the cache, warned of, no request
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:30:00Z
	assert_success
	assert_stderr_contains "image 'debian-12' (cloud.image) is not found"
	[[ $(images | wc -l) == 2 ]]
}

@test "a look-up that keeps failing with nothing known is a warning on every run" {
	fake_fault '{"method": "GET", "path": "/images", "status": 500,
		"count": 0}' >/dev/null
	for t in 06:00 06:01 06:02; do
		run --separate-stderr pp-fleetstats --now "2026-11-27T${t}:00Z"
		assert_success
		assert_stderr_contains "cannot look up image 'debian-12' (cloud.image)"
	done
	[[ $(images | wc -l) == 3 ]]
	[[ $(fake_log | jq '[.requests[] | select(.path ==
		"/server_types")] | length') == 1 ]]
}

# a look-up that fails at a refresh must not cache the image as unknown:
# that silenced the warning for a whole catalog_ttl, and the warnings
# alert (PpscaleToolWarns) resolved while the image was still deprecated
@test "a failed look-up at a refresh keeps the deprecated image cached, and the next runs still warn" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-10-01T06:00:00+00:00"}}' >/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	fake_fault '{"method": "GET", "path": "/images", "status": 503}' \
		>/dev/null
	run --separate-stderr pp-fleetstats --now 2026-11-27T07:00:00Z
	assert_success
	jq_is .server_types.source hetzner
	assert_stderr_contains "cannot look up image 'debian-12' (cloud.image)"
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	[[ $(jq -r .image.state "$PP_STATE_DIR/catalog.json") == deprecated ]]
	# the runs in between, from the cache
	run --separate-stderr pp-fleetstats --now 2026-11-27T07:30:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	[[ $(images | wc -l) == 2 ]]
}

@test "a stale cache used when the catalog cannot be fetched still gives its image state" {
	fake_config '{"images_removed": ["debian-12"]}' >/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	assert_stderr_contains "image 'debian-12' (cloud.image) is not found"
	fake_fault '{"method": "GET", "path": "/server_types", "status": 503,
		"count": 0}' >/dev/null
	run --separate-stderr pp-fleetstats --now 2026-11-27T07:00:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "cannot get the server types"
	assert_stderr_contains "older than cloud.catalog_ttl"
	assert_stderr_contains "image 'debian-12' (cloud.image) is not found"
	# an outage (a 5xx): the image, due too, is not looked up alone,
	# which would fail as the catalog did, after as long a wait
	[[ $(images | wc -l) == 1 ]]
	refute_stderr_contains "cannot look up image"
}

@test "a catalog the API refuses does not keep a failed image look-up from being tried again" {
	fake_config '{"images_removed": ["debian-12"]}' >/dev/null
	fake_fault '{"method": "GET", "path": "/images", "status": 503}' \
		>/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	assert_stderr_contains "cannot look up image 'debian-12' (cloud.image)"
	# refused (an answer, not an outage): the image is looked up alone
	fake_fault '{"method": "GET", "path": "/server_types", "status": 403,
		"count": 0}' >/dev/null
	run --separate-stderr pp-fleetstats --now 2026-11-27T07:05:00Z
	assert_success
	assert_stderr_contains "cannot get the server types"
	assert_stderr_contains "image 'debian-12' (cloud.image) is not found"
	jq -e '.image.state == "missing" and .fetched_at ==
		"2026-11-27T06:00:00Z"' "$PP_STATE_DIR/catalog.json"
}

@test "an empty cloud.image is looked up never, and the cache not rewritten for it" {
	conf 'image: ""'
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:01:00Z
	assert_success
	refute_stderr_contains "cloud.image"
	[[ $(images | wc -l) == 0 ]]
	jq -e 'has("image") | not' "$PP_STATE_DIR/catalog.json"
}

@test "a change of cloud.image within catalog_ttl looks the new image up alone" {
	fake_config '{"image_deprecations": {"debian-13":
		"2026-10-01T06:00:00+00:00"}}' >/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	refute_stderr_contains "cloud.image"
	conf 'image: debian-13'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:10:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "image 'debian-13' (cloud.image) is deprecated since 2026-10-01T06:00:00Z"
	run images
	assert_output "/images?name=debian-12&architecture=x86&include_deprecated=true
/images?name=debian-13&architecture=x86&include_deprecated=true"
	[[ $(fake_log | jq '[.requests[] | select(.path ==
		"/server_types")] | length') == 1 ]]
}

# a cache written before the image was looked up has no "image"
@test "a cache without an image look-up has the image looked up alone" {
	fake_config '{"images_removed": ["debian-12"]}' >/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	jq 'del(.image)' "$PP_STATE_DIR/catalog.json" > "$BATS_TEST_TMPDIR/c"
	mv "$BATS_TEST_TMPDIR/c" "$PP_STATE_DIR/catalog.json"
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:10:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "image 'debian-12' (cloud.image) is not found"
	[[ $(images | wc -l) == 2 ]]
	[[ $(fake_log | jq '[.requests[] | select(.path ==
		"/server_types")] | length') == 1 ]]
	jq -e '.image.state == "missing" and .source == "hetzner" and
		(.types | length) > 0' \
		"$PP_STATE_DIR/catalog.json"
}

# the API's image status: "available", "creating" or "unavailable"; a
# server is made only from an available image
@test "an image whose status is not available is a warning on every run, by name and by id" {
	for st in creating unavailable; do
		rm -f "$PP_STATE_DIR/catalog.json"
		fake_config "{\"image_statuses\": {\"debian-12\": \"$st\"}}" \
			>/dev/null
		conf 'image: debian-12'
		run --separate-stderr pp-fleetstats --now "$T0"
		assert_success
		assert_stderr_contains "image 'debian-12' (cloud.image) is not available (status '$st'): every create fails while it is"
		refute_stderr_contains "not found"
		run --separate-stderr pp-fleetstats --now 2026-11-27T06:30:00Z
		assert_success
		jq_is .server_types.source cache
		assert_stderr_contains "image 'debian-12' (cloud.image) is not available (status '$st')"
		# looked up again, the same answer: the cache is not rewritten
		jq -e '.image.checked_at == "2026-11-27T06:00:00Z" and
			.image.status == "'"$st"'"' "$PP_STATE_DIR/catalog.json"
		# debian-12's id for x86
		conf 'image: "114690387"'
		run --separate-stderr pp-fleetstats --now 2026-11-27T06:31:00Z
		assert_success
		assert_stderr_contains "image '114690387' (cloud.image) is not available (status '$st')"
	done
	conf 'image: debian-12'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:32:00Z
	assert_stderr_contains "image 'debian-12' (cloud.image) is not available (status 'unavailable')"
	# an image not available is looked up on every run: the same image
	# available again is no warning at the next run, well within
	# catalog_ttl (a snapshot made for cloud.image is "creating" first)
	fake_config '{"image_statuses": {}}' >/dev/null
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:33:00Z
	assert_success
	jq_is .server_types.source cache
	refute_stderr_contains "cloud.image"
	jq -e '.image.state == "ok"' "$PP_STATE_DIR/catalog.json"
}

@test "an image given by id for another architecture is a warning that every create will fail" {
	# debian-12's id for arm, with the default architecture x86
	conf 'image: "114690389"'
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	assert_stderr_contains "image '114690389' (cloud.image) is for architecture arm, not x86 (cloud.architecture): every create will fail"
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:30:00Z
	assert_stderr_contains "image '114690389' (cloud.image) is for architecture arm, not x86"
	# an empty cloud.architecture is x86 to the look-up, and so to its
	# message
	conf $'image: "114690389"\narchitecture: ""'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:30:30Z
	assert_stderr_contains "image '114690389' (cloud.image) is for architecture arm, not x86 (cloud.architecture)"
	conf $'image: "114690389"\narchitecture: arm'
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:31:00Z
	assert_success
	refute_stderr_contains "cloud.image"
}

# the API's "deprecated" is the time from which an image is deprecated,
# and may lie ahead
@test "a deprecation date still ahead is said as of that date, and since it once past" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-11-27T06:20:00+00:00"}}' >/dev/null
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated as of 2026-11-27T06:20:00Z"
	refute_stderr_contains "since"
	# the same cached look-up, after that date
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:30:00Z
	assert_success
	jq_is .server_types.source cache
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated since 2026-11-27T06:20:00Z"
	refute_stderr_contains "as of"
}

@test "a dry run looks the image up and warns, and caches nothing" {
	fake_config '{"image_deprecations": {"debian-12":
		"2026-10-01T06:00:00+00:00"}}' >/dev/null
	run --separate-stderr pp-fleetstats --dry-run --now "$T0"
	assert_success
	assert_stderr_contains "image 'debian-12' (cloud.image) is deprecated"
	[[ ! -e $PP_STATE_DIR/catalog.json ]]
}

@test "the local provider looks no image up" {
	write_config <<-EOF
	cloud:
	  provider: local
	EOF
	run --separate-stderr pp-fleetstats --now "$T0"
	assert_success
	refute_stderr_contains "cloud.image"
	jq -e 'has("image") | not' "$PP_STATE_DIR/catalog.json"
	[[ $(images | wc -l) == 0 ]]
}
