#!/usr/bin/env bats
# The local provider reads its file with the strict scanner, not a
# json-c tree (issue 17: 10,000 servers were parsed three times a
# cycle); json-c still judges whatever the scanner does not take. Both
# readings must give the same servers, and a delete cuts one server's
# text out, leaving the rest as it was.
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
	C=$PP_STATE_DIR/cloud.json
	cloudctl --now "$T0" create pp-a cx23 nbg1 managed_by=ppscale \
		role=spare >/dev/null
	cloudctl --now 2026-11-27T06:05:00Z create pp-b cx33 fsn1 \
		managed_by=ppscale role=worker >/dev/null
	cloudctl --now "$T0" create other cx23 nbg1 team=web >/dev/null
}

cloudctl() { "$BUILD/unit/cloudctl" "$@"; }

# reads: what list and get answer on the file as it is
reads() {
	cloudctl --now 2026-11-27T06:06:00Z list | jq -c .result
	for id in 1 2 3 4; do # 4: not found
		cloudctl --now 2026-11-27T06:06:00Z get $id 2>/dev/null |
			jq -c '[.result, .error.code]'
	done
}

# with_escape: the same servers, with an escape the scanner leaves to
# json-c (in a field the provider does not read)
with_escape() {
	sed 's/"image": *"debian-12"/"image": "debian\\u002d12"/' "$C" > "$C.x"
	mv "$C.x" "$C"
	grep -q 'u002d12' "$C"
}

@test "the scanner and json-c read the same servers, compact or pretty" {
	lean=$(reads)
	[[ $lean == *'"name":"pp-b"'* ]]
	jq -c . "$C" > "$C.x" && mv "$C.x" "$C"
	assert_equal "$(reads)" "$lean"
	with_escape
	assert_equal "$(reads)" "$lean"
}

@test "a repeated key counts as json-c counts it: the last; null and other types are absent" {
	sed -i -e 's/"name": "pp-b"/"name": "x", "name": "pp-b"/' \
		-e 's/"ipv4": "198.51.100.3"/"ipv4": null/' \
		-e 's/"location": "nbg1"/"location": 7/' \
		-e 's/"team": "web"/"team": "x", "team": "web"/' "$C"
	lean=$(reads)
	[[ $lean == *'"name":"pp-b"'* ]]
	[[ $lean == *'"location":""'* ]]
	[[ $lean == *'"ipv4":null'* ]]
	with_escape
	assert_equal "$(reads)" "$lean"
}

@test "labels that are not all strings are json-c's to read" {
	sed -i 's/"team": "web"/"team": 5/' "$C"
	lean=$(reads)
	[[ $lean == *'"team":"5"'* ]]
}

@test "a delete cuts the server out and leaves the rest as it was" {
	before=$(cat "$C")
	run --separate-stderr cloudctl delete 2
	assert_success
	assert_equal "$(jq -S . "$C")" \
		"$(printf '%s' "$before" | jq -S 'del(.servers[1])')"
	# the layout of the rest is the file's own (pretty), not rewritten
	grep -q '"name": "pp-a"' "$C"
	cloudctl delete 1 >/dev/null
	cloudctl delete 3 >/dev/null
	jq -e '.servers == [] and .next_id == 4' "$C"
	run --separate-stderr cloudctl delete 3
	assert_failure 1
	jq_is .error.code not_found
}

@test "the first and the last server are cut with their comma" {
	jq -c . "$C" > "$C.x" && mv "$C.x" "$C"
	before=$(cat "$C")
	cloudctl delete 3 >/dev/null
	assert_equal "$(jq -c . "$C")" \
		"$(printf '%s' "$before" | jq -c 'del(.servers[2])')"
	cloudctl delete 1 >/dev/null
	assert_equal "$(cat "$C")" \
		"$(printf '%s' "$before" | jq -c 'del(.servers[2], .servers[0])')"
}

@test "an invalid file is refused with json-c's message, as before" {
	printf '{"servers": [{"id": "1",}]}' > "$C"
	run --separate-stderr cloudctl list
	assert_failure 1
	jq_is .error.code bad_answer
	jq_is '.error.message | test("is not valid: ")' true
	printf '{"servers": {}}' > "$C"
	run --separate-stderr cloudctl get 1
	jq_is .error.message "local cloud '$C' is not valid: no 'servers' list"
}
