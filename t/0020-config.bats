#!/usr/bin/env bats
# The YAML configuration: defaults, errors that name the key and line.
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	REG="$FIXTURES/small-registry.json"
}

@test "runs with no config file at all on built-in defaults" {
	rm -f "$PP_CONFIG"
	unset PP_CONFIG
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_success
	jq_is '.server_types.types | map(.name) | index("cx33") != null' true
}

@test "an explicitly named config that is missing is an error" {
	run --separate-stderr pp-fleetstats -c "$BATS_TEST_TMPDIR/nope.yaml" -r "$REG"
	assert_failure 2
	assert_stderr_contains "cannot read config '$BATS_TEST_TMPDIR/nope.yaml'"
}

@test "\$PP_CONFIG names the config when -c is absent" {
	printf 'state_dir: %s/elsewhere\n' "$BATS_TEST_TMPDIR" > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats -r "$REG"
	assert_success
	[ -f "$BATS_TEST_TMPDIR/elsewhere/history" ]
	[ ! -e "$PP_STATE_DIR/history" ]
}

# Each row: YAML (\n for newlines) | the message expected on stderr.
@test "bad configs are refused with exit 2 naming the key and the line" {
	while IFS='|' read -r yaml msg; do
		printf -- "$yaml" > "$PP_CONFIG"
		run --separate-stderr pp-fleetstats --no-record -r "$REG"
		assert_failure 2
		assert_stderr_contains "config '$PP_CONFIG' $msg"
		assert_output ""
	done <<'ROWS'
bogus: 1\n|line 1: unknown key 'bogus'
policies:\n  reactive:\n    up_treshold: 80\n|line 3: unknown key 'policies.reactive.up_treshold' (did you mean 'policies.reactive.up_threshold'?)
policies:\n  headroom:\n    slot: 2\n|line 3: unknown key 'policies.headroom.slot' (did you mean 'policies.headroom.slots'?)
polices:\n  reactive: {}\n|line 1: unknown key 'polices' (did you mean 'policies'?)
max_cloud_nodes: 3\n|line 1: unknown key 'max_cloud_nodes' (did you mean 'limits.max_cloud_nodes'?)
policies:\n  unneeded:\n    slots: 2\n|line 3: unknown key 'policies.unneeded.slots' (did you mean 'policies.headroom.slots'?)
policies:\n  headroom:\n    lead_margin: 2048\n|line 3: unknown key 'policies.headroom.lead_margin' (did you mean 'policies.headroom.lead_margin_mb'?)
policies:\n  spare:\n    schedule:\n      - {days: fri, spare: 2}\n|line 4: unknown key 'policies.spare.schedule.spare' (did you mean 'policies.spare.schedule.spares'?)
cloud:\n  catalog:\n    - {name: x1, memory: 4, hourly_eur: 1}\n|line 3: unknown key 'cloud.catalog.memory' (did you mean 'cloud.catalog.memory_gb'?)
policies:\n  reactive:\n    up_threshold: high\n|line 3: 'policies.reactive.up_threshold' must be a number, not 'high'
policies:\n  reactive:\n    up_threshold: "85"\n|line 3: 'policies.reactive.up_threshold' must be a number, not a quoted string
policies:\n  reactive:\n    enabled: maybe\n|line 3: 'policies.reactive.enabled' must be true or false
policies:\n  reactive:\n    cooldown: 5 minutes\n|line 3: 'policies.reactive.cooldown' must be a duration
limits:\n  max_cloud_nodes: 2.5\n|line 2: 'limits.max_cloud_nodes' must be an integer
cloud:\n  locations: nbg1\n|line 2: 'cloud.locations' must be a list of strings
cloud: [1, 2]\n|line 1: 'cloud' must be a mapping
timezone: UTC\ntimezone: UTC\n|line 2: duplicate key 'timezone'
policies:\n  spare:\n    schedule:\n      - {days: fri, spares: 2}\n      - {days: someday, spares: 1}\n|line 5: 'policies.spare.schedule.days': bad weekday 'someday'
policies:\n  spare:\n    schedule:\n      - {days: fri, hours: 20-18, spares: 2}\n|line 4: 'policies.spare.schedule.hours': expected FROM-TO within 0-24
profile: turbo\n|line 1: 'profile' must be default or seed, not 'turbo'
a: [\n|line 2:
- 1\n- 2\n|line 1: the top level must be a mapping of keys
ROWS
}

# A key near none, or as near two as one, or a name several sections
# share, is named without a guess.
@test "an unknown key with no one key it could mean gets no suggestion" {
	while IFS='|' read -r yaml msg; do
		printf -- "$yaml" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "config '$PP_CONFIG' $msg"
		refute_stderr_contains "did you mean"
	done <<'ROWS'
bogus: 1\n|line 1: unknown key 'bogus'
limits:\n  m_cloud_nodes: 3\n|line 2: unknown key 'limits.m_cloud_nodes'
enabled: true\n|line 1: unknown key 'enabled'
policies:\n  reactive:\n    down: 30\n|line 3: unknown key 'policies.reactive.down'
ROWS
}

# Values of the right type but outside what the tools can use. Each
# row: YAML (\n for newlines) | the message expected on stderr.
# refused_row YAML MSG: with YAML (\n for newlines) as the config,
# pp-fleetstats exits 2 with MSG about it and prints nothing
refused_row() {
	echo "row: $1"
	printf -- "$1" > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_failure 2
	assert_stderr_contains "config '$PP_CONFIG' $2"
	assert_output ""
}

@test "values out of range, unknown zones, dates and providers exit 2 naming the key and line" {
	while IFS='|' read -r yaml msg; do
		refused_row "$yaml" "$msg"
	done <<'ROWS'
timezone: Europe/Berln\n|line 1: 'timezone': unknown time zone 'Europe/Berln'
timezone: ../../etc/passwd\n|line 1: 'timezone': unknown time zone
holidays: [2026-12-5, christmas]\n|line 1: 'holidays': '2026-12-5' is not a date (YYYY-MM-DD)
holidays:\n  - 2026-12-24\n  - christmas\n|line 3: 'holidays': 'christmas' is not a date
holidays: [2026-02-30]\n|line 1: 'holidays': '2026-02-30' is not a date
cloud:\n  provider: hetzer\n|line 2: 'cloud.provider' must be local or hetzner, not 'hetzer'
cloud:\n  networks: ['4711', my-net]\n|line 2: 'cloud.networks': 'my-net' is not an id (a positive whole number, as `hcloud network list` shows it)
cloud:\n  firewalls:\n    - 42\n    - -1\n|line 4: 'cloud.firewalls': '-1' is not an id
cloud:\n  placement_group: spread\n|line 2: 'cloud.placement_group': 'spread' is not an id (a positive whole number, as `hcloud placement-group list` shows it)
cloud:\n  placement_group: '0'\n|line 2: 'cloud.placement_group': '0' is not an id
cloud:\n  placement_group_limit: 0\n|line 2: 'cloud.placement_group_limit' must be greater than 0, not '0'
cloud:\n  placement_group: '7'\nlimits:\n  min_cloud_nodes: 11\n|line 4: 'limits.min_cloud_nodes' (11) is more than cloud.placement_group_limit (10): placement group 7 cannot hold that many
cloud:\n  ready_check: health\n|line 2: 'cloud.ready_check' is health: set 'cloud.health_url'
cloud:\n  ready_check: agent\n|line 2: 'cloud.ready_check' must be registry or health, not 'agent'
cloud:\n  health_url: file:///etc/passwd\n|line 2: 'cloud.health_url' must be an http:// or https:// URL
cloud:\n  type_choice: fastest\n|line 2: 'cloud.type_choice' must be cheapest_per_gb, smallest_fit or cheapest, not 'fastest'
limits:\n  max_hourly_eur: -5\n|line 2: 'limits.max_hourly_eur' must be greater than 0, not '-5'
limits:\n  max_hourly_eur: 0\n|line 2: 'limits.max_hourly_eur' must be greater than 0, not '0'
limits:\n  max_hourly_eur: inf\n|line 2: 'limits.max_hourly_eur' must be greater than 0, not 'inf'
policies:\n  reactive:\n    up_threshold: 850\n|line 3: 'policies.reactive.up_threshold' must be above 0 and at most 100, not '850'
policies:\n  reactive:\n    down_threshold: -1\n|line 3: 'policies.reactive.down_threshold' must be at least 0 and at most 100, not '-1'
policies:\n  unneeded:\n    utilisation: 101\n|line 3: 'policies.unneeded.utilisation' must be above 0 and at most 100
policies:\n  predictive:\n    threshold: 0\n|line 3: 'policies.predictive.threshold' must be above 0 and at most 100
policies:\n  spare:\n    max_spares: -1\n|line 3: 'policies.spare.max_spares' must be 0 or more, not '-1'
policies:\n  spare:\n    min_spares: 4\n    max_spares: 2\n|line 4: 'policies.spare.min_spares' (4) must be at most 'policies.spare.max_spares' (2)
policies:\n  reactive:\n    down_threshold: 70\n    up_threshold: 70\n|line 4: 'policies.reactive.down_threshold' (70) must be below 'policies.reactive.up_threshold' (70)
limits:\n  min_cloud_nodes: 5\n  max_cloud_nodes: 3\n|line 3: 'limits.min_cloud_nodes' (5) must be at most 'limits.max_cloud_nodes' (3)
limits:\n  min_cloud_nodes: 25\n|line 2: 'limits.min_cloud_nodes' (25) must be at most 'limits.max_cloud_nodes' (20)
limits:\n  max_cloud_nodes: -1\n|line 2: 'limits.max_cloud_nodes' must be 0 or more, not '-1'
cloud:\n  reserved_ram_mb: -512\n|line 2: 'cloud.reserved_ram_mb' must be 0 or more, not '-512'
cloud:\n  poll_interval: 0\n|line 2: 'cloud.poll_interval' must be above 0 and at most 3600, not '0'
cloud:\n  retries: -1\n|line 2: 'cloud.retries' must be at least 0 and at most 100, not '-1'
cloud:\n  retry_base: 5\n  retry_max: 1\n|line 3: 'cloud.retry_base' (5) must be at most 'cloud.retry_max' (1)
cloud:\n  join_timeout: 5m\n|line 2: 'cloud.boot_timeout' (600s) must be at most 'cloud.join_timeout' (5m)
cloud:\n  boot_timeout: 20m\n|line 2: 'cloud.boot_timeout' (20m) must be at most 'cloud.join_timeout' (900s)
cloud:\n  request_timeout: 0\n|line 2: 'cloud.request_timeout' must be greater than 0, not '0'
cloud_init:\n  agent_port: 70000\n|line 2: 'cloud_init.agent_port' must be at least 1 and at most 65535, not '70000'
history:\n  retention: 0\n|line 2: 'history.retention' must be greater than 0
events:\n  webhook_retries: -2\n|line 2: 'events.webhook_retries' must be at least 0 and at most 100
timezone: UTC\n---\ntimezone: Europe/Berlin\n|line 2: a second YAML document: the config is one document
timezone: UTC\n---\n|line 2: a second YAML document
timezone: UTC\n---\na: [\n|line 4:
cloud:\n  catalog:\n    - {name: x1, cores: 0, memory_gb: 4, hourly_eur: 0.01}\n|line 3: 'cloud.catalog.cores' must be a positive integer
ROWS
}

# The labels every server carries (pp_cloud_labels): cloud.labels,
# cloud.label_key=cloud.label_value and pool=cloud.pool. The API refuses
# every create with a label it does not take, so a bad one would stop
# all scale-up, found only when capacity is needed. Each row: YAML (\n
# for newlines) | the message expected on stderr.
@test "labels the Hetzner API would refuse exit 2 naming the key and line" {
	while IFS='|' read -r yaml msg; do
		refused_row "$yaml" "$msg"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "config '$PP_CONFIG' $msg"
		assert_output ""
	done <<'ROWS'
cloud:\n  labels:\n    team: games\n    my key: x\n|line 4: 'cloud.labels': 'my key' is not a label key ([prefix/]name, the name up to 63 of
cloud:\n  labels:\n    kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: x\n|line 3: 'cloud.labels': 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk' is not a label key
cloud:\n  labels:\n    Example.com/team: x\n|line 3: 'cloud.labels': 'Example.com/team' is not a label key
cloud:\n  labels:\n    team: games\n    hetzner.cloud/owner: ops\n|line 4: 'cloud.labels': 'hetzner.cloud/owner' is under the prefix 'hetzner.cloud/', which Hetzner reserves
cloud:\n  labels:\n    team: a b\n|line 3: 'cloud.labels.team': 'a b' is not a label value (empty, or up to 63 of
cloud:\n  labels:\n    team: games!\n|line 3: 'cloud.labels.team': 'games!' is not a label value
cloud:\n  label_key: managed by\n|line 2: 'cloud.label_key': 'managed by' is not a label key
cloud:\n  label_key: hetzner.cloud/managed-by\n|line 2: 'cloud.label_key': 'hetzner.cloud/managed-by' is under the prefix 'hetzner.cloud/', which Hetzner reserves
cloud:\n  label_key: ""\n|line 2: 'cloud.label_key': '' is not a label key
cloud:\n  label_key: ~\n|line 2: 'cloud.label_key' must be set
cloud:\n  label_value: pp/scale\n|line 2: 'cloud.label_value': 'pp/scale' is not a label value
cloud:\n  label_value: -ppscale\n|line 2: 'cloud.label_value': '-ppscale' is not a label value
cloud:\n  label_value: ~\n|line 2: 'cloud.label_value' must be set
cloud:\n  pool: eu west\n|line 2: 'cloud.pool': 'eu west' is not a label value
cloud:\n  pool: eu_west_\n|line 2: 'cloud.pool': 'eu_west_' is not a label value
cloud:\n  label_key: role\n|line 2: 'cloud.label_key': 'role' is a label ppscale sets itself
cloud:\n  label_key: pool\n|line 2: 'cloud.label_key': 'pool' is a label ppscale sets itself
cloud:\n  labels:\n    role: game\n|line 3: 'cloud.labels': 'role' is set by ppscale on every server
cloud:\n  label_key: owner\n  labels:\n    owner: x\n|line 4: 'cloud.labels': 'owner' is set by ppscale on every server
ROWS
}

@test "a label the API would refuse stops every tool that loads the config" {
	local tool
	printf 'cloud:\n  label_key: hetzner.cloud/managed-by\n' > "$PP_CONFIG"
	for tool in pp-decide pp-provision pp-drain pp-status; do
		run --separate-stderr "$tool" < /dev/null
		assert_failure 2
		assert_output ""
		assert_stderr_contains "$tool: config '$PP_CONFIG' line 2: 'cloud.label_key': 'hetzner.cloud/managed-by' is under the prefix"
	done
}

@test "labels, key, value and pool Hetzner takes load" {
	cat > "$PP_CONFIG" <<'EOF'
cloud:
  labels:
    team: games
    example.com/tier: Gold_1.a-b
    empty: ""
    kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk
  label_key: ppscale.example/managed-by
  label_value: ""
  pool: eu-west.1
EOF
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_success
	run --separate-stderr pp-config check
	assert_success
	assert_line '  label_key: "ppscale.example/managed-by"'
	assert_line '  pool: "eu-west.1"'
}

# cloud.name_prefix makes every new server's name with 6 random letters
# and digits: a name Hetzner refuses (RFC 1123 host names) would fail
# every scale-up. Each row: the prefix | the message expected.
@test "a name prefix that makes no host name, or too long a name, exits 2 from every tool, naming the key" {
	local tool
	while IFS='|' read -r prefix msg; do
		printf 'cloud:\n  name_prefix: "%s"\n' "$prefix" > "$PP_CONFIG"
		for tool in pp-config pp-decide pp-provision pp-fleetstats; do
			if [[ $tool == pp-config ]]; then
				run --separate-stderr pp-config check
			else
				run --separate-stderr "$tool" < /dev/null
			fi
			assert_failure 2
			assert_output ""
			assert_stderr_contains "$tool: config '$PP_CONFIG' line 2: 'cloud.name_prefix'$msg"
		done
	done <<'ROWS'
Game_Srv-|: 'Game_Srv-' makes server names that are no host name (RFC 1123
game srv-|: 'game srv-' makes server names that are no host name
-pp|: '-pp' makes server names that are no host name
pp.-x|: 'pp.-x' makes server names that are no host name
pp..x|: 'pp..x' makes server names that are no host name
.pp-|: '.pp-' makes server names that are no host name
pp-ü-|: 'pp-ü-' makes server names that are no host name
ppppppppppppppppppppppppppppppppppppppppppppppppppppppppp-| is 58 characters long: at most 57
ROWS
}

@test "name prefixes that make host names load" {
	local prefix
	for prefix in pp- Game-Srv- eu.west.game- "" x \
	    ppppppppppppppppppppppppppppppppppppppppppppppppppppppppp; do
		printf 'cloud:\n  name_prefix: "%s"\n' "$prefix" > "$PP_CONFIG"
		run --separate-stderr pp-fleetstats --no-record -r "$REG"
		assert_success
	done
}

@test "a valid time zone, holidays and the limits at their bounds load" {
	cat > "$PP_CONFIG" <<'EOF'
timezone: America/New_York
holidays: [2026-12-24, 2028-02-29]
cloud:
  provider: hetzner
  retries: 0
limits:
  min_cloud_nodes: 3
  max_cloud_nodes: 3
policies:
  reactive:
    up_threshold: 100
    down_threshold: 0
EOF
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_success
}

@test "durations accept seconds and s, m, h, d suffixes" {
	printf 'history:\n  retention: 2d\n' > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-20T00:00:00Z
	assert_success
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-21T23:00:00Z
	assert_success
	jq_is .history.samples 2
	run --separate-stderr pp-fleetstats -r "$REG" --now 2026-11-22T00:00:00Z
	jq_is .history.samples 2
	jq_is .history.oldest 2026-11-21T23:00:00Z
}

@test "an empty config file means all defaults" {
	: > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats --no-record -r "$REG"
	assert_success
}

@test "pp-config check prints the effective config, which loads back to the same" {
	cat > "$PP_CONFIG" <<'EOF'
profile: seed
timezone: UTC
holidays: [2026-12-24]
cloud:
  labels: {team: games}
policies:
  spare:
    schedule:
      - {days: fri-sat, hours: 18-24, spares: 2}
limits:
  max_hourly_eur: 2.5
EOF
	run --separate-stderr pp-config check
	assert_success
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/effective.yaml"
	# the seed profile's values, the file's own on top
	assert_line '    up_threshold: 85'
	assert_line '    hold: 10m'
	assert_line '  max_hourly_eur: 2.5'
	assert_line '  max_cloud_nodes: 20'
	assert_line 'timezone: "UTC"'
	assert_line '      - {days: [fri, sat], hours: 18-24, spares: 2}'
	run --separate-stderr pp-config -c "$BATS_TEST_TMPDIR/effective.yaml" check
	assert_success
	diff <(grep -v '^#' "$BATS_TEST_TMPDIR/effective.yaml") <(grep -v '^#' <<< "$output")
}

@test "pp-config check shows the shipped defaults, not the seed's" {
	rm -f "$PP_CONFIG"
	unset PP_CONFIG
	run --separate-stderr pp-config -c /dev/null check
	assert_success
	assert_line 'profile: "default"'
	assert_line '    up_threshold: 90'
	assert_line '    hold: 5m'
	assert_line '    slots: 1'
	assert_line '    lead: 15m'
}

# flat_yaml: the block YAML pp-config check prints (and ppscale.yaml(5)
# shows) as "path=value" lines, a list's items joined into the value of
# its key; comments and quotes dropped
flat_yaml() {
	awk '
	{ sub(/[ \t]+#.*$/, "") }
	/^[ \t]*(#.*)?$/ { next }
	{
		match($0, /^ */); ind = RLENGTH; line = substr($0, ind + 1)
		if (line ~ /^- /) { val[last] = val[last] line; next }
		k = line; sub(/:.*/, "", k)
		v = line; sub(/^[^:]*:[ ]?/, "", v); gsub(/"/, "", v)
		path[ind] = ind == 0 ? k : path[ind - 2] "." k
		last = path[ind]; order[++n] = last; val[last] = v
	}
	END { for (i = 1; i <= n; i++) print order[i] "=" val[order[i]] }'
}

@test "ppscale.yaml(5) lists every key where the default profile differs from the seed's, and only those" {
	# sorted on the key alone, as join wants ('cloud.local' before
	# 'cloud.local.file'), and every key paired (--check-order)
	export LC_ALL=C
	pp-config -c /dev/null check 2>/dev/null | flat_yaml |
		sort -t= -k1,1 > "$BATS_TEST_TMPDIR/default"
	printf 'profile: seed\n' > "$BATS_TEST_TMPDIR/seed.yaml"
	pp-config -c "$BATS_TEST_TMPDIR/seed.yaml" check 2>/dev/null | flat_yaml |
		sort -t= -k1,1 > "$BATS_TEST_TMPDIR/seed"
	join -t= -j1 --check-order "$BATS_TEST_TMPDIR/default" \
		"$BATS_TEST_TMPDIR/seed" > "$BATS_TEST_TMPDIR/both"
	[[ $(wc -l < "$BATS_TEST_TMPDIR/both") -eq $(wc -l < "$BATS_TEST_TMPDIR/default") ]]
	# the keys whose values differ, lists and sections aside
	differ=$(awk -F= '$2 != $3 && $2 != "" { print $1 }' \
		"$BATS_TEST_TMPDIR/both" | grep -v '^profile$' | sort)
	[[ $(wc -l <<< "$differ") -ge 10 ]]
	awk '/^The default profile differs from the seed in these:$/ { on = 1; next }
		on && /^\.Bd/ { next } on && /^\.Ed/ { exit } on' \
		"$TOP/share/man/man5/ppscale.yaml.5" | flat_yaml > "$BATS_TEST_TMPDIR/man"
	listed=$(awk -F= '$2 != "" { print $1 }' "$BATS_TEST_TMPDIR/man" | sort)
	assert_equal "$listed" "$differ"
	# and each scalar the page shows is the default's
	while IFS== read -r key value; do
		[[ -z $value || $value == *[\[{]* ]] && continue
		grep -qxF -- "$key=$value" "$BATS_TEST_TMPDIR/default" ||
			fail "ppscale.yaml(5) shows $key: $value, pp-config: $(grep "^$key=" "$BATS_TEST_TMPDIR/default")"
	done < "$BATS_TEST_TMPDIR/man"
}

@test "pp-config check redacts secrets in URLs and connection strings" {
	cat > "$PP_CONFIG" <<'EOF'
registry: "postgresql://ppscale@db.example/pp?sslmode=require&passfile=/etc/ppscale/pgpass"
events:
  webhook_url: "https://hooks.example/x?token=s3cr3t&ch=ops"
forecast:
  url: "https://fc.example/api?user=a;password=pw9;x=1"
EOF
	run --separate-stderr pp-config check
	assert_success
	assert_line 'registry: "postgresql://ppscale@db.example/pp?sslmode=require&passfile=/etc/ppscale/pgpass"'
	assert_line '  webhook_url: "https://hooks.example/..."'
	assert_line '  url: "https://fc.example/..."'
	refute_output --partial s3cr3t
	refute_output --partial pw9
}

@test "pp-config check shows a webhook URL as the logs do, never its path token" {
	cat > "$PP_CONFIG" <<'EOF'
events:
  webhook_url: "https://user:pwUSERINFO@hooks.slack.com:443/services/T000/B000/SLACKSECRETXYZ?token=QUERYSECRET"
forecast:
  url: "https://discord.com/api/webhooks/123456/DISCORDSECRETXYZ"
cloud:
  ready_check: health
  health_url: "https://{ip}:8443/health/HEALTHSECRETXYZ"
drain:
  move_command: [curl, "--url=https://ops.example/hook/ARGVSECRETXYZ", "{server}"]
EOF
	run --separate-stderr pp-config check
	assert_success
	assert_line '  webhook_url: "https://hooks.slack.com:443/..."'
	assert_line '  url: "https://discord.com/..."'
	assert_line '  health_url: "https://{ip}:8443/..."'
	assert_line '  move_command: ["curl", "--url=https://ops.example/...", "{server}"]'
	local secret
	for secret in SLACKSECRETXYZ DISCORDSECRETXYZ QUERYSECRET pwUSERINFO \
	    HEALTHSECRETXYZ ARGVSECRETXYZ; do
		refute_output --partial "$secret"
		refute_stderr_contains "$secret"
	done
}

# A password or token setting is redacted wherever it stands in a value:
# after a blank, '?', '&', ';' or ',', in a --option=, with blanks
# around '=' or quoted as libpq takes it, under any name ending in
# password (libpq's sslpassword). A path's own segment is no setting: a
# file path, or a file:// URL's path, is shown whole. Each row: the
# YAML, the line of the effective config expected.
@test "pp-config check redacts every password setting wherever it stands, never a path's segment" {
	cd "$BATS_TEST_TMPDIR"
	while IFS='|' read -r yaml line; do
		printf 'profile: seed\n%s\n' "$yaml" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_success
		assert_line "$line"
		refute_output --partial SECRET-0020
		refute_stderr_contains SECRET-0020
	done <<-'ROWS'
	registry: "file:///srv/reg.json?sslpassword=pw-SECRET-0020"|registry: "file:///srv/reg.json?sslpassword=<redacted>"
	registry: "file:///srv/reg.json?a=b,password=pw-SECRET-0020"|registry: "file:///srv/reg.json?a=b,password=<redacted>"
	registry: "FILE://localhost/srv/reg.json?access_token=pw-SECRET-0020&x=1"|registry: "FILE://localhost/srv/reg.json?access_token=<redacted>&x=1"
	registry: "file://u:pw-SECRET-0020@localhost/srv/reg.json"|registry: "file://u:<redacted>@localhost/srv/reg.json"
	events: {file: "pp host=h sslpassword=pw-SECRET-0020 dbname=pp"}|  file: "pp host=h sslpassword=<redacted> dbname=pp"
	events: {file: "pp host=h password = pw-SECRET-0020 dbname=pp"}|  file: "pp host=h password = <redacted> dbname=pp"
	events: {file: "pp host=h password='pw SECRET-0020' dbname=pp"}|  file: "pp host=h password=<redacted> dbname=pp"
	drain: {move_command: [tool, "--sslpassword=pw-SECRET-0020", "{server}"]}|  move_command: ["tool", "--sslpassword=<redacted>", "{server}"]
	drain: {move_command: [tool, "--db-password=pw-SECRET-0020", "{server}"]}|  move_command: ["tool", "--db-password=<redacted>", "{server}"]
	drain: {move_command: [tool, "x=1;sslpassword=pw-SECRET-0020", "{server}"]}|  move_command: ["tool", "x=1;sslpassword=<redacted>", "{server}"]
	registry: "/srv/rel/password=keep/registry.json"|registry: "/srv/rel/password=keep/registry.json"
	registry: "file:///srv/rel/sslpassword=keep/registry.json"|registry: "file:///srv/rel/sslpassword=keep/registry.json"
	events: {file: "/var/log/pp/db-password=keep.log"}|  file: "/var/log/pp/db-password=keep.log"
	registry: "file:///srv/a,key=pw-SECRET-0020/registry.json"|registry: "file:///srv/a,key=<redacted>/registry.json"
	ROWS
}

@test "a PostgreSQL URL with a password in it is refused, naming the key, never showing the password" {
	local url
	# libpq reads a password up to the last '@' before the path, '?'
	# and '#' in it too
	for url in "postgresql://ppscale:hunter2@db.example/pp" \
		"postgresql://ppscale:hun?ter2@db.example/pp" \
		"postgresql://ppscale:hun#ter2@db.example/pp" \
		"postgresql://ppscale@db.example/pp?password=hunter2" \
		"postgres://db.example/pp?sslmode=require&password=hunter2"; do
		printf 'registry: "%s"\n' "$url" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "line 1: 'registry' holds a password: put it in a password file"
		refute_output --partial hun
		refute_stderr_contains hun
		# pp-registry names the URL it refuses
		printf 'profile: seed\n' > "$BATS_TEST_TMPDIR/seed.yaml"
		run --separate-stderr env PP_CONFIG="$BATS_TEST_TMPDIR/seed.yaml" \
			pp-registry -r "$url" show
		assert_failure 2
		assert_stderr_contains "holds a password"
		refute_stderr_contains hun
		printf 'control:\n  database: "%s"\n' "$url" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "line 2: 'control.database' holds a password"
		refute_stderr_contains hun
	done
	printf 'control:\n  database: /var/lib/ppscale/db\n' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "'control.database' must be a postgresql:// URL"
}

@test "pp-config check refuses a bad config like every tool, naming key and line" {
	printf 'cloud:\n  provider: hetzer\n' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_failure 2
	assert_output ""
	assert_stderr_contains "config '$PP_CONFIG' line 2: 'cloud.provider' must be local or hetzner, not 'hetzer'"
	run --separate-stderr pp-config
	assert_failure 2
	run --separate-stderr pp-config chek
	assert_failure 2
	assert_stderr_contains "unexpected argument 'chek' (the command is check)"
}

# pp-provision refuses these only when it renders the user data of a
# new server, that is when the fleet has to grow: pp-config check, run
# before the config is deployed, is where they must show.
@test "pp-config check refuses cloud_init values pp-provision could not render" {
	while IFS='|' read -r yaml msg; do
		printf -- "$yaml" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_output ""
		assert_stderr_contains "config '$PP_CONFIG': $msg"
	done <<'ROWS'
cloud_init:\n  ssh_sources: [203.0.113.0/33]\n|cloud_init.ssh_sources: '203.0.113.0/33' is not an IPv4 or IPv6 address or network
cloud_init:\n  conductor_addresses: []\n|cloud_init.conductor_addresses is empty
cloud_init:\n  game_ports: "minecraft"\n|cloud_init.game_ports 'minecraft' is not a port range
cloud_init:\n  game_ports: "20:30"\n|cloud_init.game_ports '20:30' holds port 22
cloud_init:\n  agent_url: ftp://example.org/agent\n|cloud_init.agent_url 'ftp://example.org/agent' is not an http(s) URL
cloud_init:\n  template: /nonexistent/ud.tmpl\n|cannot read cloud-init template '/nonexistent/ud.tmpl'
ROWS
	# the example config renders; no token command is run
	printf 'pp-join-SECRET-0020\n' > "$BATS_TEST_TMPDIR/join.token"
	chmod 600 "$BATS_TEST_TMPDIR/join.token"
	sed "s|^  # join_token_file:.*|  join_token_file: $BATS_TEST_TMPDIR/join.token|" \
		"$TOP/share/examples/ppscale.yaml.example" > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	refute_output --partial pp-join-SECRET-0020
	refute_stderr_contains pp-join-SECRET-0020
}

# pp-provision reads the token files only when it creates a server:
# pp-config check holds them to the checks their readers make (there,
# the first scale-up failed with no server bought), never showing them.
@test "pp-config check refuses a token file that is missing, not a file or open to others" {
	local t=$BATS_TEST_TMPDIR/tok key
	mkdir "$BATS_TEST_TMPDIR/dir"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	for key in cloud_init.join_token_file cloud.token_file; do
		while IFS='|' read -r path mode msg; do
			rm -f "$t"
			if [[ $path == "$t" ]]; then
				printf 'pp-tok-SECRET-0020\n' > "$t"
				chmod "$mode" "$t"
			fi
			if [[ $key == cloud.token_file ]]; then
				printf 'cloud:\n  provider: hetzner\n  token_file: %s\ncloud_init:\n  join_token_command: [mint]\n' \
					"$path" > "$PP_CONFIG"
				what="token file"
			else
				printf 'cloud_init:\n  join_token_file: %s\n' "$path" \
					> "$PP_CONFIG"
				what="join token file"
			fi
			run --separate-stderr env -u HCLOUD_TOKEN pp-config check
			assert_failure 2
			assert_output ""
			assert_stderr_contains "config '$PP_CONFIG': $key: "
			assert_stderr_contains "$what '$path'${msg:+ $msg}"
			refute_stderr_contains pp-tok-SECRET-0020
		done <<-ROWS
		/nonexistent/join.token||
		$BATS_TEST_TMPDIR/dir||is not a regular file
		$BATS_TEST_TMPDIR/fifo||is not a regular file
		$t|644|has mode 0644: it must not be readable by group or others
		$t|640|has mode 0640
		$t|604|has mode 0604
		ROWS
	done
	# a missing file: the reason is the system's
	printf 'cloud_init:\n  join_token_file: /nonexistent/join.token\n' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_stderr_contains "cannot read join token file '/nonexistent/join.token': No such file or directory"
	# one only its owner can read passes, and is not shown
	printf 'pp-tok-SECRET-0020\n' > "$t"
	chmod 600 "$t"
	printf 'cloud:\n  provider: hetzner\n  token_file: %s\ncloud_init:\n  join_token_file: %s\n' \
		"$t" "$t" > "$PP_CONFIG"
	run --separate-stderr env -u HCLOUD_TOKEN pp-config check
	assert_success
	refute_output --partial pp-tok-SECRET-0020
	refute_stderr_contains pp-tok-SECRET-0020
	# the local provider reads no token at all
	printf 'cloud:\n  provider: local\n  token_file: /nonexistent/hcloud.token\n' > "$PP_CONFIG"
	run --separate-stderr env -u HCLOUD_TOKEN pp-config check
	assert_success
}

# cron and the unit start the tools without HCLOUD_TOKEN (the shipped
# ones set none), and then the tools read cloud.token_file: the check
# reads it whether its own environment has the variable or not. Without
# it (unset or empty) a bad file is refused; with it, a warning, as a
# unit that gives HCLOUD_TOKEN through EnvironmentFile= works with a
# stale file configured. One row a token file: its content (- for none:
# the file is missing), its mode and what the refusal or warning says
# (empty: the check passes with no word of the file).
@test "pp-config check reads cloud.token_file with or without HCLOUD_TOKEN in its environment" {
	local t=$BATS_TEST_TMPDIR/hcloud.token env
	for env in - '' pp-env-SECRET-0020; do
		while IFS='|' read -r content mode msg; do
			rm -f "$t"
			if [[ $content != - ]]; then
				printf '%b' "$content" > "$t"
				chmod "$mode" "$t"
			fi
			printf 'cloud:\n  provider: hetzner\n  token_file: %s\ncloud_init:\n  join_token_command: [mint]\n' \
				"$t" > "$PP_CONFIG"
			if [[ $env == - ]]; then
				run --separate-stderr env -u HCLOUD_TOKEN pp-config check
			else
				run --separate-stderr env HCLOUD_TOKEN="$env" pp-config check
			fi
			if [[ -z $msg ]]; then
				assert_success
				refute_stderr_contains "cloud.token_file"
			elif [[ -z $env || $env == - ]]; then
				assert_failure 2
				assert_output ""
				assert_stderr_contains "config '$PP_CONFIG': cloud.token_file: "
				assert_stderr_contains "token file '$t'$msg"
				refute_stderr_contains "HCLOUD_TOKEN"
			else
				assert_success
				assert_output --partial "# the effective configuration of $PP_CONFIG"
				assert_stderr_contains "pp-config: config '$PP_CONFIG': cloud.token_file: "
				assert_stderr_contains "token file '$t'$msg"
				assert_stderr_contains "(HCLOUD_TOKEN is set here, and the tools given it work, but a tool run without it reads the file and fails, as under the shipped cron file and unit)"
			fi
			refute_output --partial SECRET-0020
			refute_stderr_contains SECRET-0020
		done <<-ROWS
		-|600|: No such file or directory
		pp-tok-SECRET-0020\n|644| has mode 0644: it must not be readable by group or others
		|600| holds no token: it is empty or holds blanks or control characters
		\n \t\n|600| holds no token
		pp-tok SECRET-0020\n|600| holds no token
		pp-tok-SECRET-0020\n|600|
		pp-tok-SECRET-0020|400|
		ROWS
	done
}

@test "pp-config says which state directory wins: state_dir over PP_STATE_DIR" {
	printf 'state_dir: %s/from-config\n' "$BATS_TEST_TMPDIR" > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	assert_line "# state directory: $BATS_TEST_TMPDIR/from-config (the config's state_dir)"
	: > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_line "# state directory: $PP_STATE_DIR (\$PP_STATE_DIR)"
	# and every tool says so under -v
	printf 'state_dir: %s/from-config\n' "$BATS_TEST_TMPDIR" > "$PP_CONFIG"
	run --separate-stderr pp-fleetstats -v --no-record -r "$REG"
	assert_success
	assert_stderr_contains "the config's state_dir '$BATS_TEST_TMPDIR/from-config' overrides \$PP_STATE_DIR '$PP_STATE_DIR'"
}

# Paths are used as written: cron starts the tools in the home
# directory and the systemd unit in /, and nothing expands "$HOME".
@test "pp-config check warns of a relative path or an unexpanded \$ or ~, and still passes" {
	cd "$BATS_TEST_TMPDIR"
	printf '%s\n' 'state_dir: $HOME/pp' 'registry: reg.json' \
		'events:' '  file: ~/events.jsonl' 'metrics:' \
		"  textfile: $BATS_TEST_TMPDIR/pp.prom" > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	assert_stderr_contains "pp-config: state_dir '\$HOME/pp' is used as written: the config expands no '\$'"
	assert_stderr_contains "pp-config: registry 'reg.json' is a relative path: it resolves against the working directory (the home directory under cron, / under the systemd unit)"
	assert_stderr_contains "pp-config: events.file '~/events.jsonl' is used as written: the config expands no '~'"
	refute_stderr_contains "metrics.textfile"
	# absolute paths and a registry URL: nothing to say
	printf '%s\n' "state_dir: $BATS_TEST_TMPDIR/pp" \
		'registry: http://127.0.0.1:9/registry.json' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	refute_stderr_contains "path"
	refute_stderr_contains "used as written"
	# a registry is a URL by its scheme, as the tools open it: a
	# relative path with "://" further on is a path, relative
	mkdir -p "$BATS_TEST_TMPDIR/data/reg:"
	cp "$REG" "$BATS_TEST_TMPDIR/data/reg:/x.json"
	printf 'registry: %s\n' 'data/reg://x.json' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	assert_stderr_contains "pp-config: registry 'data/reg://x.json' is a relative path"
	run --separate-stderr pp-fleetstats --no-record
	assert_success
	jq_is '.nodes | length' "$(jq '.nodes | length' "$REG")"
}

# RFC 3986 schemes are case-insensitive: a registry, a control database
# and a health URL are what their scheme says in any case, a
# PostgreSQL URL reaches libpq (which takes only "postgresql://" and
# "postgres://") in lower case, and a password in one never shows.
@test "URL schemes are read in any case, and an upper-case one's password never shows" {
	cd "$BATS_TEST_TMPDIR"
	local n
	n=$(jq '.nodes | length' "$REG")
	# a registry of each scheme the tools take: no "unknown URL
	# scheme", no relative-path note
	for url in "FILE://$REG" "File://$REG" HTTP://127.0.0.1:9/registry.json \
	    HTTPS://127.0.0.1:9/registry.json PostgreSQL://db.example/pp \
	    POSTGRES://db.example/pp; do
		printf 'registry: "%s"\n' "$url" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_success
		refute_stderr_contains "scheme"
		refute_stderr_contains "relative path"
	done
	# read as the URL it is: FILE:// by libcurl, with its path shown
	for reg in "FILE://$REG" "-r FILE://$REG"; do
		if [[ $reg == -r* ]]; then
			: > "$PP_CONFIG"
			run --separate-stderr pp-fleetstats --no-record $reg
		else
			printf 'registry: "%s"\n' "$reg" > "$PP_CONFIG"
			run --separate-stderr pp-fleetstats --no-record
		fi
		assert_success
		jq_is '.nodes | length' "$n"
	done
	run --separate-stderr pp-registry -r "FILE://$REG" set x y --players 1
	assert_failure 2
	assert_stderr_contains "registry 'FILE://$REG' is a URL and cannot be written"
	# libpq is handed the URL in lower case: it connects (and fails
	# to, nothing listens on port 1) rather than misreading it as a
	# key=value string
	run --separate-stderr pp-registry -r PostgreSQL://127.0.0.1:1/pp show
	assert_failure 1
	assert_stderr_contains "cannot connect to database 'PostgreSQL://127.0.0.1:1/pp'"
	refute_stderr_contains "bad database URL"
	printf 'control:\n  database: "POSTGRES://db.example/pp"\n' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	refute_stderr_contains "must be a postgresql:// URL"
	printf 'cloud:\n  health_url: "HTTPS://{ip}:8443/health"\n' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	# a password in an upper-case URL: refused, never printed
	for url in POSTGRESQL://ppscale:pw-SECRET-0020@db.example/pp \
	    "Postgres://db.example/pp?password=pw-SECRET-0020"; do
		printf 'registry: "%s"\n' "$url" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "line 1: 'registry' holds a password"
		refute_output --partial pw-SECRET-0020
		refute_stderr_contains pw-SECRET-0020
		run --separate-stderr pp-registry -r "$url" show
		assert_failure 2
		refute_output --partial pw-SECRET-0020
		refute_stderr_contains pw-SECRET-0020
		printf 'control:\n  database: "%s"\n' "$url" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "line 2: 'control.database' holds a password"
		refute_stderr_contains pw-SECRET-0020
		# nor in a command, where every user of the host sees it
		printf 'drain:\n  move_command: ["/bin/true", "--db=%s"]\n' \
			"$url" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "element 2 holds a database password"
		refute_stderr_contains pw-SECRET-0020
	done
	# an http one's user info, path and query, in the effective config
	printf 'registry: "HTTPS://u:pw-SECRET-0020@h.example/r.json?t=pw-SECRET-0020"\n' \
		> "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	assert_line 'registry: "HTTPS://h.example/..."'
	refute_output --partial pw-SECRET-0020
	refute_stderr_contains pw-SECRET-0020
}

# A value with a blank first is no URL to the tools (" postgresql://..."
# is a relative path), but it may carry the URL's or a libpq string's
# password: the note shows it as the effective config does, redacted,
# or not at all. Each row: key, value, what the note says of it.
@test "pp-config check's relative-path note never shows a password in a value" {
	cd "$BATS_TEST_TMPDIR"
	while IFS='|' read -r key value shown; do
		if [[ $key == registry ]]; then
			printf 'registry: "%s"\n' "$value" > "$PP_CONFIG"
		else
			printf 'events:\n  file: "%s"\n' "$value" > "$PP_CONFIG"
		fi
		run --separate-stderr pp-config check
		assert_success
		assert_stderr_contains "pp-config: $key $shown is a relative path"
		refute_stderr_contains pw-SECRET-0020
		if [[ $value != rel/* ]]; then
			refute_output --partial pw-SECRET-0020
		fi
	done <<-'ROWS'
	registry| postgresql://u:pw-SECRET-0020@db.example/pp|' postgresql://u:<redacted>@db.example/pp'
	registry| https://u:pw-SECRET-0020@h.example/reg.json?token=pw-SECRET-0020|' https://h.example/...'
	events.file|pp host=h password=pw-SECRET-0020 dbname=pp|'pp host=h password=<redacted> dbname=pp'
	events.file|rel/password=pw-SECRET-0020|(not shown: it may hold a password)
	events.file|pp host=h sslpassword = pw-SECRET-0020|'pp host=h sslpassword = <redacted>'
	ROWS
}

# With the hetzner provider and no join token every create fails: the
# config alone says so, and the check refuses it (the tools load it).
# No API token here (cloud.token_file unset, no HCLOUD_TOKEN) is a
# warning: cron's or the unit's environment may carry it, and a check
# run in CI has none. Each row: the cloud_init lines, whether
# cloud.token_file is set, HCLOUD_TOKEN (- for unset), the refusal (0:
# passes) and the warning expected (-: none about the token).
@test "pp-config check refuses the hetzner provider with no join token, warns of no API token" {
	local tok=$BATS_TEST_TMPDIR/hcloud.token join=$BATS_TEST_TMPDIR/join
	printf 'pp-tok-SECRET-0020\n' > "$tok"
	printf 'pp-join-SECRET-0020\n' > "$join"
	chmod 600 "$tok" "$join"
	while IFS='|' read -r ci tf env want warn; do
		{
			printf 'cloud:\n  provider: hetzner\n'
			[[ $tf == yes ]] && printf '  token_file: %s\n' "$tok"
			[[ -n $ci ]] && printf 'cloud_init:\n  %s\n' "$ci"
		} > "$PP_CONFIG"
		if [[ $env == - ]]; then
			run --separate-stderr env -u HCLOUD_TOKEN pp-config check
		else
			run --separate-stderr env HCLOUD_TOKEN="$env" pp-config check
		fi
		if [[ $want == 0 ]]; then
			assert_success
		else
			assert_failure 2
			assert_output ""
			assert_stderr_contains "config '$PP_CONFIG' line 2: 'cloud.provider' is hetzner but $want"
		fi
		if [[ $warn == - ]]; then
			refute_stderr_contains "API token"
		else
			assert_stderr_contains "pp-config: $warn"
		fi
		refute_output --partial SECRET-0020
		refute_stderr_contains SECRET-0020
	done <<-ROWS
	join_token_file: $join|no|-|0|no Hetzner API token here: neither cloud.token_file nor HCLOUD_TOKEN is set; unless the tools' cron line or unit gives them HCLOUD_TOKEN (the shipped ones do not), pp-fleetstats cannot reach the cloud, and pp-provision fails every scale-up and scale-down and, on every other run, warns and leaves orphaned servers, lost nodes and nodes still provisioning (booted or failing to boot) as they are: set cloud.token_file
	join_token_file: $join|no||0|no Hetzner API token here
	|no|-|no join token is configured: set 'cloud_init.join_token_file' or 'cloud_init.join_token_command'|-
	|yes|-|no join token is configured|-
	|no|pp-env-SECRET-0020|no join token is configured|-
	join_token_file: $join|yes|-|0|-
	join_token_command: [mint]|yes|-|0|-
	ROWS
	# what the warning says is what pp-provision does with no token: a
	# run with nothing to do warns (its cloud work left) and passes, a
	# scale-up or scale-down fails; pp-provision's own warning says it
	# in the same words
	printf 'cloud:\n  provider: hetzner\ncloud_init:\n  join_token_file: %s\n' \
		"$join" > "$PP_CONFIG"
	run --separate-stderr env -u HCLOUD_TOKEN pp-config check
	assert_success
	local said=${stderr#*pp-fleetstats cannot reach the cloud, and }
	said=${said%%: set cloud.token_file*}
	[[ $said == "pp-provision fails "* ]] || fail "no pp-provision clause in: $stderr"
	printf '{"version":1,"nodes":[{"id":"pp-boot1","kind":"cloud","status":"provisioning","role":"worker","total_ram_mb":4096,"reserved_ram_mb":512,"ip":null,"location":"nbg1","labels":{},"cloud":{"provider":"hetzner","server_id":"77","server_type":"cx23","server_name":"pp-boot1","created_at":"2026-11-27T17:50:00Z"},"containers":[]}]}\n' \
		> "$PP_STATE_DIR/registry.json"
	local now=2026-11-27T18:00:00Z action
	for action in none scale_up scale_down; do
		run --separate-stderr env -u HCLOUD_TOKEN pp-provision --now "$now" \
			<<< '{"version":1,"generated_at":"'$now'","decision":{"action":"'$action'","node":"n","server_type":"cx33","count":1,"reason":"t"}}'
		assert_stderr_contains "pp-provision: cannot use the cloud: no Hetzner API token"
		if [[ $action == none ]]; then
			assert_success
			assert_stderr_contains "pp-provision: cannot use the cloud: no Hetzner API token: set HCLOUD_TOKEN or cloud.token_file; until it can, $said"
			[[ $(jq -r '.nodes[0].status' "$PP_STATE_DIR/registry.json") == provisioning ]]
		else
			assert_failure
		fi
	done
}

# cron and systemd start the tools with their own environment: a token
# only in the check's is not theirs (the shipped cron file and unit set
# none). The check cannot see theirs, so it warns and passes.
@test "pp-config check warns when the Hetzner token is only in its own environment" {
	local tok=$BATS_TEST_TMPDIR/hcloud.token join=$BATS_TEST_TMPDIR/join
	printf 'pp-join-SECRET-0020\n' > "$join"
	printf 'pp-tok-SECRET-0020\n' > "$tok"
	chmod 600 "$join" "$tok"
	printf 'cloud:\n  provider: hetzner\ncloud_init:\n  join_token_file: %s\n' \
		"$join" > "$PP_CONFIG"
	HCLOUD_TOKEN=pp-env-SECRET-0020 run --separate-stderr pp-config check
	assert_success
	assert_stderr_contains "pp-config: the Hetzner API token comes from HCLOUD_TOKEN in this environment only (cloud.token_file is not set): cron and systemd do not pass it on"
	refute_output --partial SECRET-0020
	refute_stderr_contains SECRET-0020
	# a token file the tools read wherever they run: nothing to say
	printf 'cloud:\n  provider: hetzner\n  token_file: %s\ncloud_init:\n  join_token_file: %s\n' \
		"$tok" "$join" > "$PP_CONFIG"
	HCLOUD_TOKEN=pp-env-SECRET-0020 run --separate-stderr pp-config check
	assert_success
	refute_stderr_contains "HCLOUD_TOKEN"
	# the local provider reads no token
	printf 'cloud_init:\n  join_token_file: %s\n' "$join" > "$PP_CONFIG"
	HCLOUD_TOKEN=pp-env-SECRET-0020 run --separate-stderr pp-config check
	assert_success
	refute_stderr_contains "HCLOUD_TOKEN"
}

# The local provider renders user data for its creates too, but the
# built-in defaults have no join token: a warning, not a refusal.
@test "pp-config check warns of no join token with the local provider, and passes" {
	run --separate-stderr pp-config -c /dev/null check
	assert_success
	assert_stderr_contains "pp-config: no join token: set cloud_init.join_token_file or cloud_init.join_token_command before pp-provision creates a server"
	printf 'cloud_init:\n  join_token_command: [mint]\n' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	refute_stderr_contains "no join token"
}

# A token command may mint a token or act otherwise: the check never
# runs it, and says so.
@test "pp-config check does not run the join token command, and says so" {
	local cmd=$BATS_TEST_TMPDIR/mint
	printf '#!/bin/sh\ntouch "%s/ran"\necho pp-join-SECRET-0020\n' \
		"$BATS_TEST_TMPDIR" > "$cmd"
	chmod 755 "$cmd"
	printf 'cloud_init:\n  join_token_command: [%s, "{node}"]\n' "$cmd" \
		> "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	assert_stderr_contains "pp-config: cloud_init.join_token_command was not run (it may mint a token or act otherwise)"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "the token command ran"
	refute_output --partial SECRET-0020
	# no command, no such note
	printf 'pp-join-SECRET-0020\n' > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	printf 'cloud_init:\n  join_token_file: %s\n' "$BATS_TEST_TMPDIR/join" \
		> "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_success
	refute_stderr_contains "join_token_command was not run"
}

# A corrupt state file stops the pipeline's tools; the check, which
# reads it and changes nothing, names it and the way out.
@test "pp-config check warns of a corrupt state file, naming pp-decide --reset-state" {
	# the state file as pp-fleetstats and pp-decide write it, then cut
	pp-fleetstats -r "$REG" --now 2026-11-25T12:00:00Z |
		pp-decide --now 2026-11-25T12:00:00Z > /dev/null
	[[ -s "$PP_STATE_DIR/state.json" ]]
	run --separate-stderr pp-config check
	assert_success
	refute_stderr_contains "state file"
	truncate -s 5 "$PP_STATE_DIR/state.json"
	local before files
	before=$(files_sum "$PP_STATE_DIR/state.json")
	files=$(ls -A "$PP_STATE_DIR")
	run --separate-stderr pp-config check
	assert_success
	assert_stderr_contains "pp-config: state file '$PP_STATE_DIR/state.json' is corrupt: "
	assert_stderr_contains "(pp-decide --reset-state starts it afresh): the pipeline's tools fail on it"
	[ "$before" = "$(files_sum "$PP_STATE_DIR/state.json")" ] ||
		fail "the check changed the state file"
	[ "$files" = "$(ls -A "$PP_STATE_DIR")" ] ||
		fail "the check left a file in the state directory"
}

# A slot no allowed type holds could never be bought: every scale-up
# of the headroom policy would be for nothing. Each row: the types,
# the slot, whether the policy is on, and 0 (taken) or the type named
# as the largest.
@test "pp-config check refuses a headroom slot larger than every allowed built-in type" {
	while IFS='|' read -r types slot on extra want; do
		printf 'cloud:\n  server_types: [%s]\n%bpolicies:\n  headroom:\n    slot_ram_mb: %s\n    enabled: %s\n' \
			"$types" "$extra" "$slot" "$on" > "$PP_CONFIG"
		run --separate-stderr pp-config check
		if [[ $want == 0 ]]; then
			assert_success
			continue
		fi
		assert_failure 2
		assert_stderr_contains "config '$PP_CONFIG' line 5: 'policies.headroom.slot_ram_mb' ($slot) is more than any type in cloud.server_types holds (the largest, $want, 15872 MB usable with cloud.reserved_ram_mb 512): no new node could hold a slot"
		assert_output ""
	done <<'ROWS'
cx23, cx33, cx43|20000|true||cx43
cx23, cx43, cx33|15873|true||cx43
cx23, cx33, cx43|15872|true||0
cx23, cx33, cx53|20000|true||0
cx23, big1|20000|true||0
cx23, cx33, cx43|20000|true|  catalog:\n    - {name: cx43, memory_gb: 64, hourly_eur: 0.1}\n|0
cx23, cx33, cx43|20000|false||0
ROWS
	# the default types: cx53 holds 32256 MB
	printf 'policies:\n  headroom:\n    enabled: true\n    slot_ram_mb: 40000\n' > "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "(the largest, cx53, 32256 MB usable"
}

# The other tools load it as before: refusing it there would stop
# every tool (scale-downs, orphan deletes, pp-status) of an install
# that already runs such a config; pp-decide copes and says so.
@test "the tools still load a config whose headroom slot no allowed type holds" {
	for on in true false; do
		printf 'cloud:\n  server_types: [cx23, cx33, cx43]\npolicies:\n  headroom:\n    enabled: %s\n    slot_ram_mb: 20000\n' \
			"$on" > "$PP_CONFIG"
		run --separate-stderr pp-fleetstats --no-record -r "$REG"
		assert_success
		printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/doc.json"
		run --separate-stderr pp-decide --now 2026-11-25T12:00:00Z \
			< "$BATS_TEST_TMPDIR/doc.json"
		assert_success
		jq_is '.decision.action' none
		run --separate-stderr pp-status
		assert_success
		assert_line --regexp "^headroom +$([[ $on == true ]] && echo yes || echo no) "
	done
}
