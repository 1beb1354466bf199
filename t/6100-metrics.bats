#!/usr/bin/env bats
# The Prometheus textfile: contents, validity, ownership of parts,
# counters, node_exporter, and the example alerting rules.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	cp "$TOP/share/examples/registry.json" "$PP_STATE_DIR/registry.json"
	PROM="$BATS_TEST_TMPDIR/textfile/ppscale.prom"
	write_config <<EOC
metrics:
  textfile: $PROM
EOC
	METRICS="$BUILD/unit/metrics"
}

teardown() {
	if [[ -n "${NE_PID:-}" ]]; then
		kill "$NE_PID" 2>/dev/null || true
		wait "$NE_PID" 2>/dev/null || true
	fi
}

# value NAME{LABELS}: the sample's value in the textfile
value() {
	awk -v k="$1" '$1 == k { print $2 }' "$PROM"
}

# promtool check metrics, allowing only the lint about the "_mb" unit
# in the names the project fixed (pp_fleet_ram_mb, pp_forecast_ram_mb)
check_metrics() {
	local out rc=0
	out=$(promtool check metrics < "$1" 2>&1) || rc=$?
	out=$(grep -v -e '^pp_fleet_ram_mb metric names should not contain abbreviated units$' \
		-e '^pp_forecast_ram_mb metric names should not contain abbreviated units$' \
		<<< "$out" || true)
	if [[ -n "$out" ]] || { (( rc != 0 )) && (( rc != 3 )); }; then
		fail "promtool check metrics (rc $rc): $out"
	fi
}

@test "writes the fleet gauges from the document" {
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	[[ $(value pp_fleet_capacity_percent) == 73.04 ]]
	[[ $(value 'pp_fleet_ram_mb{state="total"}') == 412160 ]]
	[[ $(value 'pp_fleet_ram_mb{state="allocated"}') == 301056 ]]
	[[ $(value 'pp_fleet_ram_mb{state="free"}') == 111104 ]]
	[[ $(value 'pp_fleet_ram_mb{state="pending"}') == 15872 ]]
	[[ $(value pp_fleet_hourly_cost_eur) == 0.048 ]]
	[[ $(value pp_fleet_spares) == 1 ]]
	[[ $(value 'pp_fleet_nodes{kind="dedicated",status="ready",role="worker"}') == 3 ]]
	[[ $(value 'pp_fleet_nodes{kind="cloud",status="ready",role="spare"}') == 1 ]]
	[[ $(value 'pp_fleet_nodes{kind="cloud",status="provisioning",role="worker"}') == 1 ]]
	# absent combinations are an explicit 0
	[[ $(value 'pp_fleet_nodes{kind="cloud",status="draining",role="worker"}') == 0 ]]
	[[ $(grep -c '^pp_fleet_nodes{' "$PROM") -eq 16 ]]
}

@test "writes last-run gauges for the tool at the tool's clock" {
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	[[ $(value 'pp_last_run_timestamp_seconds{tool="pp-fleetstats"}') == 1795802400 ]]
	[[ $(value 'pp_last_success_timestamp_seconds{tool="pp-fleetstats"}') == 1795802400 ]]
	[[ $(value 'pp_last_run_success{tool="pp-fleetstats"}') == 1 ]]
	grep -q '^pp_last_run_duration_seconds{tool="pp-fleetstats"} ' "$PROM"
}

@test "every family has one HELP and one TYPE line before its samples" {
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	run "$METRICS" --now 2026-11-27T18:01:00Z count scale_up success
	assert_success
	for fam in $(grep -v '^#' "$PROM" | sed 's/[{ ].*//' | sort -u); do
		[[ $(grep -c "^# HELP $fam " "$PROM") -eq 1 ]]
		[[ $(grep -c "^# TYPE $fam " "$PROM") -eq 1 ]]
		# HELP, TYPE, then the samples, in one block
		first=$(grep -n "^$fam[{ ]" "$PROM" | head -1 | cut -d: -f1)
		type=$(grep -n "^# TYPE $fam " "$PROM" | cut -d: -f1)
		(( type == first - 1 ))
	done
	grep -q '^# TYPE pp_scaling_events_total counter$' "$PROM"
	grep -q '^# TYPE pp_fleet_capacity_percent gauge$' "$PROM"
}

@test "the textfile passes promtool check metrics" {
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	run "$METRICS" count scale_down failed
	assert_success
	check_metrics "$PROM"
}

@test "counters come from the state file and only grow" {
	run "$METRICS" count scale_up success 2
	assert_success
	[[ $(value 'pp_scaling_events_total{action="scale_up",result="success"}') == 2 ]]
	run "$METRICS" count scale_up failed
	assert_success
	# pp-fleetstats republishes them from the state without changing them
	run --separate-stderr pp-fleetstats
	assert_success
	[[ $(value 'pp_scaling_events_total{action="scale_up",result="success"}') == 2 ]]
	[[ $(value 'pp_scaling_events_total{action="scale_up",result="failed"}') == 1 ]]
	run "$METRICS" count scale_up success
	assert_success
	[[ $(value 'pp_scaling_events_total{action="scale_up",result="success"}') == 3 ]]
	run jq -r '.counters.pp_scaling_events_total["action=scale_up,result=success"]' \
		"$PP_STATE_DIR/state.json"
	assert_output 3
}

@test "one tool's run keeps the other tools' metrics" {
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	run "$METRICS" --now 2026-11-27T18:00:30Z count scale_up success
	assert_success
	# both tools' gauges, and the fleet's, are in the one file
	[[ $(value 'pp_last_run_success{tool="pp-fleetstats"}') == 1 ]]
	[[ $(value 'pp_last_run_success{tool="pp-unit-metrics"}') == 1 ]]
	[[ $(value pp_fleet_capacity_percent) == 73.04 ]]
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:01:00Z
	assert_success
	[[ $(value 'pp_last_run_timestamp_seconds{tool="pp-unit-metrics"}') == 1795802430 ]]
	[[ $(value 'pp_last_run_timestamp_seconds{tool="pp-fleetstats"}') == 1795802460 ]]
}

@test "a tool that dies reports its run as failed and keeps its last success time" {
	run --separate-stderr "$METRICS" --now 2026-11-27T18:00:00Z count scale_up success
	assert_success
	run --separate-stderr "$METRICS" --now 2026-11-27T18:05:00Z die
	assert_failure 1
	[[ $(value 'pp_last_run_success{tool="pp-unit-metrics"}') == 0 ]]
	[[ $(value 'pp_last_run_timestamp_seconds{tool="pp-unit-metrics"}') == 1795802700 ]]
	[[ $(value 'pp_last_success_timestamp_seconds{tool="pp-unit-metrics"}') == 1795802400 ]]
	check_metrics "$PROM"
}

@test "a failed pp-fleetstats run is recorded as failed" {
	echo '{"version": 1, "nodes": [{"id": 5}]}' > "$PP_STATE_DIR/registry.json"
	run --separate-stderr pp-fleetstats
	assert_failure 2
	[[ $(value 'pp_last_run_success{tool="pp-fleetstats"}') == 0 ]]
}

@test "dry runs and --no-record leave the metrics alone" {
	for flag in --dry-run --no-record; do
		run --separate-stderr pp-fleetstats "$flag"
		assert_success
		[[ ! -e "$PROM" ]]
	done
}

@test "without metrics.textfile nothing is written" {
	printf 'profile: seed\n' > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats
	assert_success
	[[ ! -e "$PP_STATE_DIR/metrics" ]]
	[[ -z $(find "$BATS_TEST_TMPDIR" -name '*.prom') ]]
}

@test "an unwritable textfile is a warning, not a failure" {
	write_config <<EOC
metrics:
  textfile: /proc/ppscale-no/ppscale.prom
EOC
	run --separate-stderr pp-fleetstats
	assert_success
	assert_stderr_contains "cannot write metrics textfile '/proc/ppscale-no/ppscale.prom'"
	jq_is .fleet.capacity_percent 73.04
}

@test "concurrent tools never leave a torn or partial textfile" {
	for i in $(seq 1 8); do
		pp-fleetstats >/dev/null 2>&1 &
		"$METRICS" count scale_up success >/dev/null 2>&1 &
	done
	wait
	check_metrics "$PROM"
	[[ $(value 'pp_scaling_events_total{action="scale_up",result="success"}') == 8 ]]
	[[ $(value 'pp_last_run_success{tool="pp-fleetstats"}') == 1 ]]
	[[ $(value pp_fleet_capacity_percent) == 73.04 ]]
	[[ -z $(find "$(dirname "$PROM")" -name '*.tmp.*') ]]
}

@test "forecast horizons become pp_forecast_ram_mb" {
	# pp-fleetstats does not forecast yet: feed the metrics a document
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	doc=$(jq -c '.forecast = {"method": "seasonal",
		"horizons": [{"horizon": "1h", "allocated_ram_mb": 320000},
			{"horizon": 7200, "allocated_ram_mb": 350000.5}]}' \
		<<< "$output")
	run "$BUILD/unit/metrics_doc" <<< "$doc"
	assert_success
	[[ $(value 'pp_forecast_ram_mb{horizon="1h"}') == 320000 ]]
	[[ $(value 'pp_forecast_ram_mb{horizon="7200s"}') == 350000.5 ]]
	check_metrics "$PROM"
}

@test "node_exporter's textfile collector serves the metrics" {
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	timeout 30 prometheus-node-exporter \
		--web.listen-address="127.0.0.1:$port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$(dirname "$PROM")" \
		>"$BATS_TEST_TMPDIR/ne.log" 2>&1 3>&- &
	NE_PID=$!
	for i in $(seq 1 100); do
		body=$(curl -sf "http://127.0.0.1:$port/metrics") && break
		sleep 0.1
	done
	[[ -n "$body" ]] || fail "node_exporter did not answer: $(cat "$BATS_TEST_TMPDIR/ne.log")"
	grep -q '^pp_fleet_capacity_percent 73.04$' <<< "$body"
	grep -q '^pp_fleet_ram_mb{state="total"} 412160$' <<< "$body"
	grep -q '^pp_last_run_success{tool="pp-fleetstats"} 1$' <<< "$body"
	# node_exporter found no fault with the file
	grep -q '^node_textfile_scrape_error 0$' <<< "$body"
}

@test "the example alerting rules pass promtool check rules" {
	run promtool check rules "$TOP/share/prometheus/ppscale-alerts.yml"
	assert_success
	assert_output --partial "SUCCESS: 4 rules found"
}

@test "the example alerts fire when they should" {
	run promtool test rules "$TOP/t/fixtures/prometheus/alerts-test.yml"
	assert_success
}
