#!/usr/bin/env bats
# The Prometheus textfile: contents, validity, ownership of parts,
# counters, node_exporter, and the example alerting rules.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	cp "$TOP/share/examples/registry.json" "$PP_STATE_DIR/registry.json"
	# the local cloud that holds the example fleet's servers
	cp "$TOP/share/examples/cloud.json" "$PP_STATE_DIR/cloud.json"
	PROM="$BATS_TEST_TMPDIR/textfile/ppscale.prom"
	# the example's booting node (created 07:58) is pending capacity
	# at 18:00 only with a cloud.join_timeout that long
	write_config <<EOC
metrics:
  textfile: $PROM
cloud:
  join_timeout: 1d
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

# promtool check metrics on the textfile as it is: nothing filtered
check_metrics() {
	local out rc=0
	out=$(promtool check metrics < "$1" 2>&1) || rc=$?
	if [[ -n "$out" ]] || (( rc != 0 )); then
		fail "promtool check metrics (rc $rc): $out"
	fi
}

@test "writes the fleet gauges from the document" {
	run --separate-stderr pp-fleetstats --now 2026-11-27T18:00:00Z
	assert_success
	# base units: a 0-1 ratio, bytes (the document's MB x 2^20)
	[[ $(value pp_fleet_capacity_ratio) == 0.7304 ]]
	[[ $(value 'pp_fleet_ram_bytes{state="total"}') == 432181084160 ]]
	[[ $(value 'pp_fleet_ram_bytes{state="allocated"}') == 315680096256 ]]
	[[ $(value 'pp_fleet_ram_bytes{state="free"}') == 116500987904 ]]
	[[ $(value 'pp_fleet_ram_bytes{state="pending"}') == 16642998272 ]]
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
	grep -q '^# TYPE pp_fleet_capacity_ratio gauge$' "$PROM"
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
	[[ $(value pp_fleet_capacity_ratio) == 0.7304 ]]
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
	[[ $(value pp_fleet_capacity_ratio) == 0.7304 ]]
	[[ -z $(find "$(dirname "$PROM")" -name '*.tmp.*') ]]
}

@test "pp-fleetstats's forecast becomes pp_forecast_allocated_ram_bytes" {
	# two days of history, a sample a minute, a daily sine (as t/1500)
	awk -v from=1793577600 -v hours=48 'BEGIN {
		print "# ppscale history 1"
		for (t = from; t < from + hours * 3600; t += 60)
			printf "%d %d 400000 0\n", t,
				301056 + 20480 * sin(2 * 3.14159265 * (t % 86400) / 86400)
	}' > "$PP_STATE_DIR/history"
	run --separate-stderr pp-fleetstats --now 2026-11-04T00:00:00Z
	assert_success
	doc=$output
	n=$(jq '.forecast.at | length' <<< "$doc")
	(( n >= 2 ))
	for h in $(jq -r '.forecast.at[].horizon_s' <<< "$doc"); do
		mb=$(jq --argjson h "$h" '.forecast.at[] | select(.horizon_s == $h) | .allocated_ram_mb' <<< "$doc")
		got=$(value "pp_forecast_allocated_ram_bytes{horizon_seconds=\"$h\"}")
		[[ -n $got ]] || fail "no forecast sample for horizon $h"
		awk -v g="$got" -v mb="$mb" 'BEGIN { exit !(g == mb * 1048576) }' ||
			fail "horizon $h: $got bytes for $mb MB"
	done
	[[ $(grep -c '^pp_forecast_allocated_ram_bytes{' "$PROM") -eq $n ]]
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
	grep -q '^pp_fleet_capacity_ratio 0.7304$' <<< "$body"
	grep -q '^pp_fleet_ram_bytes{state="total"} 4.3218108416e+11$' <<< "$body"
	grep -q '^pp_last_run_success{tool="pp-fleetstats"} 1$' <<< "$body"
	# node_exporter found no fault with the file
	grep -q '^node_textfile_scrape_error 0$' <<< "$body"
}

@test "the example alerting rules pass promtool check rules" {
	run promtool check rules "$TOP/share/prometheus/ppscale-alerts.yml"
	assert_success
	assert_output --partial "SUCCESS: 9 rules found"
}

# The pipeline at minute K on promtool's clock (1970-01-01T00:K:00Z),
# its textfile kept as $SNAP/K.prom for t/test_helper/prom_series.py.
cycle_at() {
	local k=$1 t
	t=$(printf '1970-01-01T%02d:%02d:00Z' $((k / 60)) $((k % 60)))
	pp-fleetstats -q --now "$t" | pp-decide -q --now "$t" |
		pp-drain -q --now "$t" | pp-provision -q --now "$t" \
		> /dev/null 2>> "$BATS_TEST_TMPDIR/cycles.err" || true
	mkdir -p "$SNAP"
	cp "$PROM" "$SNAP/$k.prom"
}

# rules_test N <<EOF alert_rule_test entries EOF: promtool test rules
# over the shipped rules, the series from the snapshots of minutes 0..N
rules_test() {
	{
		echo "rule_files:"
		echo "  - $TOP/share/prometheus/ppscale-alerts.yml"
		echo "evaluation_interval: 1m"
		echo "tests:"
		echo "  - interval: 1m"
		python3 "$TOP/t/test_helper/prom_series.py" "$SNAP" "$1"
		echo "    alert_rule_test:"
		cat
	} > "$BATS_TEST_TMPDIR/rules-test.yml"
	run promtool test rules "$BATS_TEST_TMPDIR/rules-test.yml"
	assert_success
}

# failed_alerts TOOL...: the exp_alerts entries PpscaleLastRunFailed
# fires for these tools, in order
failed_alerts() {
	local t
	for t; do
		cat <<EOA
          - exp_labels: {severity: warning, tool: $t}
            exp_annotations:
              summary: "$t keeps failing"
              description: >-
                The last run of $t failed and no run has
                succeeded for 10 minutes.
EOA
	done
}

# warns_alert TOOL: the exp_alerts entry PpscaleToolWarns fires for TOOL
# whose last run gave one warning
warns_alert() {
	cat <<EOA
          - exp_labels: {severity: warning, tool: $1}
            exp_annotations:
              summary: "$1 warns on every run"
              description: >-
                For 30 minutes every run of $1 has ended well
                but given warnings (1 in the last), which -q keeps
                from cron's mail: a deprecated server type, a cloud.image
                that is deprecated, missing, not available (its status not
                "available") or for another architecture (change it), a
                webhook or events file that cannot be written, a state or
                history file set aside, an orphan server left for later, this
                host's clock off the Hetzner API's. Run the tool by hand
                without -q, or read the journal, to see them.
EOA
}

# local_config [LINE...]: metrics into $PROM, the local cloud that holds
# the example fleet (its booting node pending for a day), then LINEs
# under cloud:
local_config() {
	write_config <<EOC
metrics:
  textfile: $PROM
cloud:
  provider: local
  join_timeout: 1d
$(printf '%s\n' "$@")
EOC
}

# tokenless_config [LINE...]: metrics into $PROM, the Hetzner cloud
# without a token (pp-provision cannot open it), then LINEs under cloud:
tokenless_config() {
	write_config <<EOC
metrics:
  textfile: $PROM
cloud:
  provider: hetzner
  token_file: $BATS_TEST_TMPDIR/no-such-token
$(printf '%s\n' "$@")
EOC
}

@test "a cycle with a failing tool flips its metrics and fires the shipped alerts" {
	SNAP="$BATS_TEST_TMPDIR/snap"
	# a full fleet whose scale-ups the node limit blocks, on the local cloud
	jq '(.nodes[] | select(.id == "ded-fsn1-1") | .containers) += [range(0; 12) |
		{id: ("x\(.)"), ram_mb: 8192, state: "running", players: 1}]' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	write_config <<EOC
metrics:
  textfile: $PROM
limits:
  max_cloud_nodes: 2
cloud:
  provider: local
EOC
	for k in 1 2 3; do cycle_at "$k"; done
	[[ $(value 'pp_cycle_last_success_timestamp_seconds') == 180 ]]
	for t in pp-fleetstats pp-decide pp-drain pp-provision; do
		[[ $(value "pp_last_run_success{tool=\"$t\"}") == 1 ]]
	done
	[[ $(value 'pp_scaling_blocked_total{action="scale_up",reason="max_cloud_nodes"}') == 3 ]]
	check_metrics "$PROM"
	# then the state file is corrupt: pp-decide fails, and the tools
	# after it read no document
	echo '{"decide": ' > "$PP_STATE_DIR/state.json"
	for k in $(seq 4 16); do cycle_at "$k"; done
	[[ $(value 'pp_last_run_success{tool="pp-fleetstats"}') == 1 ]]
	for t in pp-decide pp-drain pp-provision; do
		[[ $(value "pp_last_run_success{tool=\"$t\"}") == 0 ]]
		[[ $(value "pp_last_run_exit_code{tool=\"$t\"}") == 2 ]]
		[[ $(value "pp_last_success_timestamp_seconds{tool=\"$t\"}") == 180 ]]
	done
	[[ $(value 'pp_cycle_last_success_timestamp_seconds') == 180 ]]
	check_metrics "$PROM"
	{
		cat <<'EOT'
      - eval_time: 2m
        alertname: PpscaleScaleUpBlocked
        exp_alerts:
          - exp_labels:
              severity: critical
              action: scale_up
              reason: max_cloud_nodes
            exp_annotations:
              summary: "ppscale wants to scale_up but cannot (max_cloud_nodes)"
              description: >-
                A policy wanted capacity in the last 10 minutes that could not
                be ordered: max_cloud_nodes (no_server_type: no allowed
                server type can be ordered in any configured location; otherwise
                the limit that is reached). Players may be turned away. The events file
                has the scaling.failed event with the reason.
      - eval_time: 5m
        alertname: PpscaleFleetFull
        exp_alerts: []
      - eval_time: 6m
        alertname: PpscaleFleetFull
        exp_alerts:
          - exp_labels:
              severity: critical
            exp_annotations:
              summary: "Game-server fleet is 96.89% full"
              description: >-
                Allocated RAM has been above 95% of the ready nodes' RAM for
                5 minutes: new game servers may not find room. Check that
                pp-provision is creating nodes (pp-status, the events file)
                and the limits (limits.max_cloud_nodes, limits.max_hourly_eur).
      - eval_time: 3m
        alertname: PpscaleCycleStalled
        exp_alerts: []
      - eval_time: 14m
        alertname: PpscaleCycleStalled
        exp_alerts: []
      - eval_time: 15m
        alertname: PpscaleCycleStalled
        exp_alerts:
          - exp_labels:
              severity: critical
            exp_annotations:
              summary: "No ppscale cycle has succeeded for 10 minutes"
              description: >-
                No run of the whole pipeline (pp-fleetstats, pp-decide,
                pp-drain, pp-provision) has succeeded for more than 10
                minutes: the fleet is not being scaled. The
                PpscaleLastRunFailed and PpscaleToolNotRunning alerts name
                the tool; the cron mail or the journal has its message.
      - eval_time: 13m
        alertname: PpscaleLastRunFailed
        exp_alerts: []
      - eval_time: 14m
        alertname: PpscaleLastRunFailed
        exp_alerts:
EOT
		failed_alerts pp-decide pp-drain pp-provision
		cat <<'EOT'
      - eval_time: 14m
        alertname: PpscaleToolNotRunning
        exp_alerts: []
      - eval_time: 15m
        alertname: PpscaleToolNotRunning
        exp_alerts:
          - exp_labels: {severity: critical, tool: pp-decide}
            exp_annotations:
              summary: "pp-decide has not completed a run for 10 minutes"
              description: >-
                pp-decide has not finished successfully for more
                than 10 minutes, or has never published a run: check the cron
                job or systemd timer and its log.
          - exp_labels: {severity: critical, tool: pp-drain}
            exp_annotations:
              summary: "pp-drain has not completed a run for 10 minutes"
              description: >-
                pp-drain has not finished successfully for more
                than 10 minutes, or has never published a run: check the cron
                job or systemd timer and its log.
          - exp_labels: {severity: critical, tool: pp-provision}
            exp_annotations:
              summary: "pp-provision has not completed a run for 10 minutes"
              description: >-
                pp-provision has not finished successfully for more
                than 10 minutes, or has never published a run: check the cron
                job or systemd timer and its log.
EOT
	} | rules_test 16
}

@test "a failed provisioning fires PpscaleScalingFailed; a tool that never ran fires PpscaleToolNotRunning" {
	SNAP="$BATS_TEST_TMPDIR/snap"
	jq '(.nodes[] | select(.id == "ded-fsn1-1") | .containers) += [range(0; 12) |
		{id: ("x\(.)"), ram_mb: 8192, state: "running", players: 1}]' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	# the Hetzner cloud without a token: pp-provision fails before any
	# request, every cycle
	tokenless_config
	# the first minute only pp-fleetstats: the counters start at 0, so
	# the first failure is an increase
	pp-fleetstats -q --now 1970-01-01T00:01:00Z > /dev/null
	mkdir -p "$SNAP"
	cp "$PROM" "$SNAP/1.prom"
	[[ $(value 'pp_scaling_events_total{action="scale_up",result="failed"}') == 0 ]]
	cycle_at 2
	[[ $(value 'pp_scaling_events_total{action="scale_up",result="failed"}') == 1 ]]
	[[ $(value 'pp_last_run_success{tool="pp-provision"}') == 0 ]]
	[[ $(value 'pp_last_run_exit_code{tool="pp-provision"}') == 2 ]]
	grep -q "pp-provision: cannot use the cloud: cannot read token file" \
		"$BATS_TEST_TMPDIR/cycles.err"
	run jq -c 'select(.type == "scaling.failed") | [.tool, .action, .result, .stage]' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output '["pp-provision","scale_up","failed","provision"]'
	for k in 3 4; do cycle_at "$k"; done
	# pp-drain alone is never run: its part is removed
	rm "$PP_STATE_DIR/metrics/run.pp-drain.json"
	pp-fleetstats -q --now 1970-01-01T00:05:00Z > /dev/null
	cp "$PROM" "$SNAP/5.prom"
	! grep -q 'tool="pp-drain"' "$PROM"
	# (a vanished series counts for Prometheus's 5-minute lookback)
	rules_test 12 <<'EOT'
      - eval_time: 4m
        alertname: PpscaleScalingFailed
        exp_alerts:
          - exp_labels:
              severity: warning
              action: scale_up
              result: failed
            exp_annotations:
              summary: ppscale scale_up failed
              description: >-
                A scaling action (scale_up) failed in the last 15
                minutes. The events file has the scaling.failed event with
                the reason.
      - eval_time: 7m
        alertname: PpscaleToolNotRunning
        exp_alerts: []
      - eval_time: 11m
        alertname: PpscaleToolNotRunning
        exp_alerts:
          - exp_labels: {severity: critical, tool: pp-drain}
            exp_annotations:
              summary: "pp-drain has not completed a run for 10 minutes"
              description: >-
                pp-drain has not finished successfully for more
                than 10 minutes, or has never published a run: check the cron
                job or systemd timer and its log.
EOT
}

@test "a cloud node unhealthy for 30 minutes fires PpscaleCloudNodeUnhealthy; ready again, it stops" {
	SNAP="$BATS_TEST_TMPDIR/snap"
	local_config
	# the platform marks cloud-91be unhealthy (its agent stopped
	# answering) before minute 1, and ready again after minute 36;
	# a cycle every 2 minutes, as the shipped cron line runs them
	pp-registry -q status cloud-91be unhealthy
	for k in $(seq 1 2 35); do cycle_at "$k"; done
	[[ $(value 'pp_fleet_nodes{kind="cloud",status="unhealthy",role="worker"}') == 1 ]]
	# nothing of the pipeline's touched it: still there, unhealthy
	[[ $(jq -r '.nodes[] | select(.id == "cloud-91be") | .status' \
		"$PP_STATE_DIR/registry.json") == unhealthy ]]
	pp-registry -q status cloud-91be ready
	for k in $(seq 37 2 39); do cycle_at "$k"; done
	[[ $(value 'pp_fleet_nodes{kind="cloud",status="unhealthy",role="worker"}') == 0 ]]
	rules_test 40 <<'EOT'
      - eval_time: 30m
        alertname: PpscaleCloudNodeUnhealthy
        exp_alerts: []
      - eval_time: 32m
        alertname: PpscaleCloudNodeUnhealthy
        exp_alerts:
          - exp_labels:
              severity: warning
            exp_annotations:
              summary: "1 cloud node(s) unhealthy for 30 minutes"
              description: >-
                The platform has marked a cloud node unhealthy for 30
                minutes. ppscale counts no capacity on it and never fills
                it; one with a game server recorded on it is never drained
                or deleted (game worlds may be on it, and it may come back),
                but its server bills by the hour. One that holds no game
                server is retired in the last minutes of its paid hour
                (policies.unneeded.unhealthy_after), within the hour that
                follows, and this clears by itself. pp-status names it. If its
                agent does not come back, drain it by hand (pp-drain --node
                NODE --wait) and delete its server: the next cycle forgets
                the node.
      - eval_time: 39m
        alertname: PpscaleCloudNodeUnhealthy
        exp_alerts: []
EOT
}

@test "every tool publishes its run, also when it fails before reading anything" {
	for t in pp-decide pp-drain pp-provision; do
		run --separate-stderr "$t" --now 2026-11-27T18:00:00Z <<< 'not json'
		assert_failure 2
		[[ $(value "pp_last_run_success{tool=\"$t\"}") == 0 ]]
		[[ $(value "pp_last_run_exit_code{tool=\"$t\"}") == 2 ]]
		[[ $(value "pp_last_run_timestamp_seconds{tool=\"$t\"}") == 1795802400 ]]
		run --separate-stderr "$t" --now 2026-11-27T18:00:00Z < /dev/null
		assert_failure 2
		[[ $(value "pp_last_run_success{tool=\"$t\"}") == 0 ]]
	done
	# and a good run flips it back, with the build's version
	pp-fleetstats --now 2026-11-27T18:01:00Z > "$BATS_TEST_TMPDIR/doc"
	for t in pp-decide pp-drain pp-provision; do
		run --separate-stderr "$t" --now 2026-11-27T18:01:00Z < "$BATS_TEST_TMPDIR/doc"
		assert_success
		[[ $(value "pp_last_run_success{tool=\"$t\"}") == 1 ]]
		[[ $(value "pp_last_run_exit_code{tool=\"$t\"}") == 0 ]]
	done
	version=$(pp-decide --version | awk '{ print $NF }')
	[[ $(value "pp_build_info{version=\"$version\"}") == 1 ]]
	check_metrics "$PROM"
	# dry runs publish nothing
	rm -r "$PP_STATE_DIR/metrics" "$PROM"
	for t in pp-decide pp-drain pp-provision; do
		"$t" --dry-run < /dev/null 2> /dev/null || true
	done
	[[ ! -e "$PROM" ]]
}

@test "a corrupt state file flips pp-decide's metric and leaves the cycle's last success" {
	pp-fleetstats --now 2026-11-23T10:00:00Z | pp-decide --now 2026-11-23T10:00:00Z |
		pp-drain --now 2026-11-23T10:00:00Z | pp-provision --now 2026-11-23T10:00:00Z > /dev/null
	[[ $(value pp_cycle_last_success_timestamp_seconds) == 1795428000 ]]
	echo '{"decide": ' > "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-decide --now 2026-11-23T10:02:00Z < <(pp-fleetstats --now 2026-11-23T10:02:00Z)
	assert_failure 2
	[[ $(value 'pp_last_run_success{tool="pp-decide"}') == 0 ]]
	[[ $(value 'pp_last_run_exit_code{tool="pp-decide"}') == 2 ]]
	[[ $(value 'pp_last_success_timestamp_seconds{tool="pp-decide"}') == 1795428000 ]]
	# pp-provision cannot record its counters in it either (exit 1)
	run --separate-stderr pp-provision --now 2026-11-23T10:02:00Z < <(pp-fleetstats --now 2026-11-23T10:02:00Z)
	assert_failure 1
	[[ $(value 'pp_last_run_success{tool="pp-provision"}') == 0 ]]
	[[ $(value pp_cycle_last_success_timestamp_seconds) == 1795428000 ]]
	# pp-provision alone succeeding does not make a good cycle
	rm "$PP_STATE_DIR/state.json"
	run --separate-stderr pp-provision --now 2026-11-23T10:02:00Z < <(pp-fleetstats --now 2026-11-23T10:02:00Z)
	assert_success
	[[ $(value pp_cycle_last_success_timestamp_seconds) == 1795428000 ]]
}

@test "a scale-up that cannot happen is counted, sent as an event and said under -q" {
	jq '(.nodes[] | select(.id == "ded-fsn1-1") | .containers) += [range(0; 12) |
		{id: ("x\(.)"), ram_mb: 8192, state: "running", players: 1}]' \
		"$TOP/share/examples/registry.json" > "$PP_STATE_DIR/registry.json"
	# no allowed type can be ordered: both are deprecated
	write_config <<EOC
metrics:
  textfile: $PROM
cloud:
  server_types: [cx23, cx33]
  catalog:
    - {name: cx23, memory_gb: 4, hourly_eur: 0.0056, deprecated: true}
    - {name: cx33, memory_gb: 8, hourly_eur: 0.0088, deprecated: true}
EOC
	pp-fleetstats --now 2026-11-27T18:00:00Z > "$BATS_TEST_TMPDIR/doc"
	run --separate-stderr pp-decide -q --now 2026-11-27T18:00:00Z < "$BATS_TEST_TMPDIR/doc"
	assert_success
	jq_is .decision.action none
	assert_stderr_contains "pp-decide: scale_up cannot happen: reactive wants"
	[[ $(value 'pp_scaling_blocked_total{action="scale_up",reason="no_server_type"}') == 1 ]]
	run jq -c 'select(.type == "scaling.failed") | [.tool, .action, .result, .stage, .kind, .policy]' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output '["pp-decide","scale_up","failed","decide","no_server_type","reactive"]'
}

@test "reconciliation's orphans and lost nodes are published" {
	write_config <<EOC
metrics:
  textfile: $PROM
cloud:
  provider: local
EOC
	# a server with our label that the registry lacks; the example's
	# cloud nodes have no server in this local cloud: lost
	rm -f "$PP_STATE_DIR/cloud.json"
	"$BUILD/unit/cloudctl" --now 2026-11-27T05:30:00Z create pp-orphan cx33 nbg1 > /dev/null
	run --separate-stderr pp-fleetstats --now 2026-11-27T06:00:00Z --reconcile
	assert_success
	orphans=$(jq '.reconciliation.orphans | length' <<< "$output")
	lost=$(jq '.reconciliation.lost | length' <<< "$output")
	(( orphans == 1 && lost >= 1 ))
	[[ $(value pp_reconcile_orphan_servers) == "$orphans" ]]
	[[ $(value pp_reconcile_lost_nodes) == "$lost" ]]
	check_metrics "$PROM"
}

@test "a cloud pp-provision cannot list is published and fires PpscaleCloudNotListed, while its runs succeed" {
	SNAP="$BATS_TEST_TMPDIR/snap"
	# nothing to do: the example fleet, as it is
	local_config
	for k in 1 2; do cycle_at "$k"; done
	[[ $(value 'pp_cloud_listed{tool="pp-provision"}') == 1 ]]
	# the Hetzner cloud without a token: a warning, hidden by -q
	tokenless_config '  join_timeout: 1d'
	for k in $(seq 3 15); do cycle_at "$k"; done
	# nothing was to do: no scaling event in any cycle
	[[ ! -e "$PP_STATE_DIR/events.jsonl" ]] || [[ $(jq -s \
		'[.[] | select(.type | startswith("scaling"))] | length' \
		"$PP_STATE_DIR/events.jsonl") == 0 ]]
	[[ $(value 'pp_cloud_listed{tool="pp-provision"}') == 0 ]]
	[[ $(value 'pp_last_run_success{tool="pp-provision"}') == 1 ]]
	[[ ! -s "$BATS_TEST_TMPDIR/cycles.err" ]]
	check_metrics "$PROM"
	rules_test 15 <<'EOT'
      - eval_time: 12m
        alertname: PpscaleCloudNotListed
        exp_alerts: []
      - eval_time: 13m
        alertname: PpscaleCloudNotListed
        exp_alerts:
          - exp_labels: {severity: warning, tool: pp-provision}
            exp_annotations:
              summary: "pp-provision cannot list the cloud's servers"
              description: >-
                For 10 minutes pp-provision could not list our servers
                in the cloud, though its runs end well when there is nothing
                to do: orphan servers (which bill) are not found or deleted,
                booting nodes are not followed, and the next scale-up will
                fail. Run the pipeline by hand without -q to see why (the
                token, the API, the local cloud file).
EOT
	# a dry run leaves the gauge alone
	pp-fleetstats -q --no-record --now 1970-01-01T00:16:00Z |
		pp-decide -q --dry-run --now 1970-01-01T00:16:00Z |
		pp-provision -q --dry-run --now 1970-01-01T00:16:00Z > /dev/null
	[[ $(value 'pp_cloud_listed{tool="pp-provision"}') == 0 ]]
}

@test "warnings hidden by -q are counted and fire PpscaleToolWarns; a clean run counts none" {
	SNAP="$BATS_TEST_TMPDIR/snap"
	local_config
	cycle_at 2
	for t in pp-fleetstats pp-decide pp-drain pp-provision; do
		[[ $(value "pp_last_run_warnings{tool=\"$t\"}") == 0 ]]
	done
	# a deprecated server type: pp-decide warns on every run
	local_config '  server_types: [cx22, cx23, cx33, cx43, cx53]'
	for k in $(seq 4 2 36); do cycle_at "$k"; done
	[[ ! -s "$BATS_TEST_TMPDIR/cycles.err" ]]
	[[ $(value 'pp_last_run_warnings{tool="pp-decide"}') == 1 ]]
	[[ $(value 'pp_last_run_success{tool="pp-decide"}') == 1 ]]
	for t in pp-fleetstats pp-drain pp-provision; do
		[[ $(value "pp_last_run_warnings{tool=\"$t\"}") == 0 ]]
	done
	check_metrics "$PROM"
	# the first warning at minute 4: held for 30 minutes at minute 34
	{
		cat <<'EOT'
      - eval_time: 33m
        alertname: PpscaleToolWarns
        exp_alerts: []
      - eval_time: 34m
        alertname: PpscaleToolWarns
        exp_alerts:
EOT
		warns_alert pp-decide
	} | rules_test 36
	# the operator's view: without -q the warning is there
	run --separate-stderr pp-decide --dry-run --now 1970-01-01T00:37:00Z \
		< <(pp-fleetstats -q --no-record --now 1970-01-01T00:37:00Z)
	assert_success
	assert_stderr_contains "server type 'cx22' is deprecated: skipped"
	# that dry run left the gauge as the last real run set it
	[[ $(value 'pp_last_run_warnings{tool="pp-decide"}') == 1 ]]
	[[ $(value 'pp_last_run_timestamp_seconds{tool="pp-decide"}') == 2160 ]]
	# a corrupt state file from minute 38 on: pp-decide and the tools
	# after it fail, and their errors count too, but failing runs are
	# PpscaleLastRunFailed's; pp-fleetstats still succeeds and warns
	# about the state file on every run: that one is PpscaleToolWarns'
	echo '{"decide": ' > "$PP_STATE_DIR/state.json"
	for k in $(seq 38 2 72); do cycle_at "$k"; done
	[[ $(value 'pp_last_run_success{tool="pp-decide"}') == 0 ]]
	(( $(value 'pp_last_run_warnings{tool="pp-decide"}') >= 1 ))
	[[ $(value 'pp_last_run_success{tool="pp-fleetstats"}') == 1 ]]
	(( $(value 'pp_last_run_warnings{tool="pp-fleetstats"}') >= 1 ))
	{
		cat <<'EOT'
      - eval_time: 67m
        alertname: PpscaleToolWarns
        exp_alerts: []
      - eval_time: 72m
        alertname: PpscaleToolWarns
        exp_alerts:
EOT
		warns_alert pp-fleetstats
		cat <<'EOT'
      - eval_time: 72m
        alertname: PpscaleLastRunFailed
        exp_alerts:
EOT
		failed_alerts pp-decide pp-drain pp-provision
	} | rules_test 72
}

# The query pp-fleetstats(1) and the README give for --import-history,
# as the man page has it on one line.
IMPORT_QUERY='max(pp_fleet_ram_bytes{state="allocated"} and on(instance, job) time() - pp_last_success_timestamp_seconds{tool="pp-fleetstats"} < 300) / 1048576'

@test "the documented import query takes one host's figure, not the sum, and drops a stale textfile" {
	grep -qF "$IMPORT_QUERY" "$TOP/share/man/man1/pp-fleetstats.1"
	grep -qF "$IMPORT_QUERY" "$TOP/README.md"
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b k t
	mkdir -p "$a" "$b"
	# host a runs every minute; at minute 10 a dedicated node's game
	# servers end
	for k in $(seq 1 15); do
		[ "$k" = 10 ] && jq '.nodes[0].containers = []' \
			"$PP_STATE_DIR/registry.json" > "$BATS_TEST_TMPDIR/r" &&
			mv "$BATS_TEST_TMPDIR/r" "$PP_STATE_DIR/registry.json"
		t=$(printf '1970-01-01T00:%02d:00Z' "$k")
		pp-fleetstats -q --now "$t" > "$BATS_TEST_TMPDIR/doc.$k"
		cp "$PROM" "$a/$k.prom"
	done
	# host b stopped after minute 5: node_exporter keeps serving its
	# last textfile
	for k in 1 2 3 4 5; do cp "$a/$k.prom" "$b/$k.prom"; done
	before=$(jq .fleet.allocated_ram_mb "$BATS_TEST_TMPDIR/doc.5")
	after=$(jq .fleet.allocated_ram_mb "$BATS_TEST_TMPDIR/doc.15")
	[ "$after" -lt "$before" ]
	{
		echo "evaluation_interval: 1m"
		echo "tests:"
		echo "  - interval: 1m"
		python3 "$TOP/t/test_helper/prom_series.py" "$a" 15 \
			'instance="a",job="node"'
		python3 "$TOP/t/test_helper/prom_series.py" "$b" 15 \
			'instance="b",job="node"' | tail -n +2
		cat <<EOT
    promql_expr_test:
      # both hosts fresh: one figure, not twice it
      - expr: '$IMPORT_QUERY'
        eval_time: 3m
        exp_samples:
          - labels: '{}'
            value: $before
      # b's figure is 10 minutes old: a's is taken, b's left out
      - expr: '$IMPORT_QUERY'
        eval_time: 15m
        exp_samples:
          - labels: '{}'
            value: $after
      # what a plain max() would have imported
      - expr: 'max(pp_fleet_ram_bytes{state="allocated"}) / 1048576'
        eval_time: 15m
        exp_samples:
          - labels: '{}'
            value: $before
EOT
	} > "$BATS_TEST_TMPDIR/query-test.yml"
	run promtool test rules "$BATS_TEST_TMPDIR/query-test.yml"
	assert_success
}
