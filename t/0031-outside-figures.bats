#!/usr/bin/env bats
# Figures from outside (document, registry, config, catalog, forecast)
# that no real fleet has are refused with a message instead of being
# converted out of range: the fuzzers' first finding (t/fuzz/regress/
# catalog/memory-gb-huge.json) and its siblings.

bats_require_minimum_version 1.5.0

setup() { load 'test_helper/common'; pp_isolate; }

NOW=2026-11-27T18:00:00Z

doc_with() {
	jq -c "$1" <<'EOF_DOC'
{"version":1,"generated_at":"2026-11-27T18:00:00Z",
 "nodes":[{"id":"d1","kind":"dedicated","status":"ready","role":"worker",
  "usable_ram_mb":16384,"allocated_ram_mb":8000,"containers":2}]}
EOF_DOC
}

@test "a server type of 4e116 GB in the document is refused, not converted" {
	doc=$(doc_with '.server_types = {"types":[{"name":"cx33",
		"memory_gb":4e116,"locations":[{"name":"nbg1",
		"hourly_eur":0.01}]}]}')
	run --separate-stderr pp-decide --now $NOW --dry-run <<< "$doc"
	assert_failure 2
	assert_stderr_contains "positive 'memory_gb' (at most 65536)"
}

@test "a price beyond a million EUR an hour in the document is refused" {
	doc=$(doc_with '.server_types = {"types":[{"name":"cx33",
		"memory_gb":8,"locations":[{"name":"nbg1",
		"hourly_eur":1e300}]}]}')
	run --separate-stderr pp-decide --now $NOW --dry-run <<< "$doc"
	assert_failure 2
	assert_stderr_contains "prices must lie in 0 to 1000000 EUR"
}

@test "a document node claiming more than 1 PB allocated is refused" {
	for f in allocated_ram_mb usable_ram_mb largest_container_mb; do
		doc=$(doc_with ".nodes[0].$f = 9223372036854775807")
		run --separate-stderr pp-decide --now $NOW --dry-run <<< "$doc"
		assert_failure 2
		assert_stderr_contains "document node 0: a RAM figure is"
	done
}

@test "two document nodes whose RAM would overflow a sum are refused" {
	doc=$(doc_with '.nodes += [.nodes[0] | .id = "d2"] |
		.nodes[].allocated_ram_mb = 5e18')
	run --separate-stderr pp-decide --now $NOW --dry-run <<< "$doc"
	assert_failure 2
	assert_stderr_contains "above 1 PB"
}

@test "a registry node with more than 1 PB of RAM is refused" {
	cat > "$BATS_TEST_TMPDIR/r.json" <<'EOF_REG'
{"version":1,"nodes":[{"id":"d1","kind":"dedicated","status":"ready",
 "total_ram_mb":9223372036854775807,"containers":[]}]}
EOF_REG
	run --separate-stderr pp-fleetstats --now $NOW --dry-run \
		--registry "$BATS_TEST_TMPDIR/r.json"
	assert_failure 2
	assert_stderr_contains "'total_ram_mb' must be a non-negative integer (MB, at most 1 PB)"
}

@test "a configured catalog type with infinite memory or price is refused" {
	for row in "memory_gb: inf|memory_gb' must be a positive number" \
	    "memory_gb: 8, hourly_eur: inf|hourly_eur' must be a number"; do
		write_config <<EOF_CFG
cloud:
  catalog:
    - {name: big, ${row%%|*}, hourly_eur: 0.01, locations: [nbg1]}
EOF_CFG
		run --separate-stderr pp-decide --now $NOW --dry-run \
			<<< "$(doc_with .)"
		assert_failure 2
		assert_stderr_contains "${row#*|}"
	done
}

@test "a forecast above 1 PB is no forecast: the predictive policy ignores it" {
	doc=$(doc_with '.forecast = {"at":[{"horizon_s":3600,
		"allocated_ram_mb":1e300}]}')
	run --separate-stderr pp-decide --now $NOW --dry-run <<< "$doc"
	assert_success
	jq_is '[.decision.evaluations[] | select(.policy=="predictive")][0] |
		[.verdict, .reason]' '["none","no forecast: it has no figures"]'
	jq_is '.decision.figures.capacity_percent' '48.828' 
}

@test "a decisions counter of 1e308 in the state file saturates, never wraps" {
	printf '{"version":1,"decide":{"decisions":1e308},"counters":{"pp_decisions_total":{"action=\\"provision_spare\\",policy=\\"spare\\"":9223372036854775807}}}\n' \
		> "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-decide --now $NOW <<< "$(doc_with .)"
	assert_success
	# (jq reads integers as doubles: look at the text)
	run tr -d ' \n' < "$PP_STATE_DIR/state.json"
	assert_output --partial '"decisions":9223372036854775807,'
	assert_output --partial 'spare\"":9223372036854775807}'
}

@test "'{{.}}' in an inverted section outside any list section is refused" {
	# the template fuzzer's finding: rendered with no item, it crashed
	printf 'a\n{{^dns}}\n  - {{.}}\n{{/dns}}\n' > "$BATS_TEST_TMPDIR/t"
	run --separate-stderr "$BUILD/unit/template" "$BATS_TEST_TMPDIR/t" \
		'dns[]'
	assert_failure 2
	assert_stderr_contains "line 3: '{{.}}' outside a section"
	# inside a list section it is that section's item, inverted or not
	printf '{{#k}}{{^dns}}{{.}};{{/dns}}{{/k}}\n' > "$BATS_TEST_TMPDIR/t"
	run --separate-stderr "$BUILD/unit/template" "$BATS_TEST_TMPDIR/t" \
		'dns[]' k+=a k+=b
	assert_success
	assert_output '"a";"b";'
}
