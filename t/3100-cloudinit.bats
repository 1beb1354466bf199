#!/usr/bin/env bats
# Cloud-init user data: pp-cloudinit, lib/cloud/cloudinit.c, the template in
# share/ and the template renderer (t/unit/template).
bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	TOKEN="tok-$RANDOM$RANDOM-secret"
	printf '%s\n' "$TOKEN" > "$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	UD="$BATS_TEST_TMPDIR/user-data.yaml"
	TEMPLATE="$BUILD/unit/template"
}

# ci_config [YAML lines under cloud_init:]: a config with the token file
# and one conductor address; extra lines override or add keys.
ci_config() {
	{
		echo "cloud_init:"
		[[ "$*" == *conductor_url:* ]] ||
			echo "  conductor_url: https://conductor.example.net/"
		[[ "$*" == *conductor_addresses:* ]] ||
			echo "  conductor_addresses: [203.0.113.7]"
		[[ "$*" == *join_token* ]] ||
			echo "  join_token_file: $BATS_TEST_TMPDIR/token"
		local l
		for l in "$@"; do echo "  $l"; done
	} > "$PP_CONFIG"
}

# schema_ok FILE: Debian's cloud-init accepts FILE as cloud-config.
schema_ok() {
	run cloud-init schema --config-file "$1"
	if [[ $status -ne 0 || "$output" != *"Valid cloud-config"* ]]; then
		fail "cloud-init schema rejects '$1' (status $status): $output
$(cat "$1")"
	fi
}

# explode FILE: splits the YAML in FILE (one python run, they are slow
# to start) into $X: keys (the top-level keys, sorted, comma-separated),
# top/KEY (a top-level value, lists one item a line), files/PATH and
# perm/PATH (content and permissions of write_files, '/' read as '_').
explode() {
	X="$BATS_TEST_TMPDIR/x"
	rm -rf "$X"
	mkdir -p "$X/top" "$X/files" "$X/perm"
	python3 - "$1" "$X" <<-'EOF'
	import os, sys, yaml
	d = yaml.safe_load(open(sys.argv[1]))
	x = sys.argv[2]
	def put(name, text):
	    with open(os.path.join(x, name), "w") as f:
	        f.write(text)
	put("keys", ",".join(sorted(d)))
	for k, v in d.items():
	    if k == "write_files":
	        for f in v:
	            n = f["path"].replace("/", "_")
	            put("files/" + n, f["content"])
	            put("perm/" + n, str(f.get("permissions", "")))
	    else:
	        put("top/" + k, "\n".join(map(str, v)) if isinstance(v, list)
	            else str(v))
	EOF
}

top() {
	cat "$X/top/$1"
}

# wfile PATH: the content write_files puts at PATH.
wfile() {
	cat "$X/files/${1//\//_}"
}

# valid_ud FILE: FILE passes cloud-init schema; explodes it.
valid_ud() {
	schema_ok "$1"
	explode "$1"
}

# ruleset: extracts the nftables ruleset of the user data to
# $RULES, and checks it with nft when nftables is installed. Call it as
# a statement (not in a pipe) so that a rejected ruleset fails the test.
ruleset() {
	RULES="$BATS_TEST_TMPDIR/nft.conf"
	wfile /etc/nftables.conf > "$RULES"
	if command -v nft > /dev/null; then
		run nft -c -f "$RULES"
		[[ $status -eq 0 ]] || fail "nft rejects the ruleset: $output"
	fi
}

# rules_for PORT: the sorted accept rules for a tcp port in $RULES.
rules_for() {
	grep "tcp dport $1 accept" "$RULES" | sed 's/^ *//' | sort
}

render() {
	run --separate-stderr pp-cloudinit "$@"
}

@test "renders user data that passes cloud-init schema and keeps SSH closed without sources" {
	ci_config
	render --node pp-1
	assert_success
	printf '%s' "$output" > "$UD"
	valid_ud "$UD"
	ruleset
	assert_equal "$(rules_for 22)" ""
	grep -q "no ssh_sources configured, closed" "$RULES"
	grep -q "policy drop" "$RULES"
	assert_equal "$(top packages)" \
		"$(printf 'docker.io\nnftables\ncurl\nca-certificates')"
	assert_equal "$(top hostname)" "pp-1"
}

@test "opens SSH to exactly the two configured sources" {
	ci_config 'ssh_sources: [192.0.2.0/24, "2001:db8:1::/48"]'
	render --node pp-1
	assert_success
	printf '%s' "$output" > "$UD"
	valid_ud "$UD"
	ruleset
	assert_equal "$(rules_for 22)" "$(printf '%s\n' \
		'ip saddr 192.0.2.0/24 tcp dport 22 accept' \
		'ip6 saddr 2001:db8:1::/48 tcp dport 22 accept' | sort)"
}

@test "opens the agent port to each conductor address and to nothing else" {
	ci_config 'conductor_addresses: [203.0.113.7, 198.51.100.0/24, "2001:db8::10"]' \
		'agent_port: 9443'
	render --node pp-1
	assert_success
	printf '%s' "$output" > "$UD"
	valid_ud "$UD"
	ruleset
	assert_equal "$(rules_for 9443)" "$(printf '%s\n' \
		'ip saddr 203.0.113.7 tcp dport 9443 accept' \
		'ip saddr 198.51.100.0/24 tcp dport 9443 accept' \
		'ip6 saddr 2001:db8::10 tcp dport 9443 accept' | sort)"
	grep -q 'meta l4proto { tcp, udp } th dport 25565-25665 accept' "$RULES"
	# no source-limited rule other than the three
	assert_equal "$(grep -c 'saddr' "$RULES")" 3
}

@test "writes the token from the file into the 0600 agent settings only" {
	ci_config 'agent_version: 2.3.4' \
		'agent_sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
	render --node pp-7 --hostname pp-7.nodes.example -o "$UD"
	assert_success
	assert_output ""
	refute_stderr_contains "$TOKEN"
	valid_ud "$UD"
	assert_equal "$(stat -c %a "$UD")" 600
	assert_equal "$(grep -c -- "$TOKEN" "$UD")" 1
	wfile /etc/payperplay/agent.env | grep -qx "PP_JOIN_TOKEN='$TOKEN'"
	assert_equal "$(cat "$X/perm/_etc_payperplay_agent.env")" 0600
	wfile /etc/payperplay/agent.env | grep -qx "PP_NODE_ID='pp-7'"
	wfile /etc/payperplay/agent.env |
		grep -qx "PP_CONDUCTOR_URL='https://conductor.example.net'"
	assert_equal "$(top hostname)" "pp-7"
	assert_equal "$(top fqdn)" "pp-7.nodes.example"
	wfile /usr/local/sbin/pp-node-setup |
		grep -qF "url='https://downloads.payperplay.example/agent/2.3.4/pp-agent-linux-amd64'"
	wfile /usr/local/sbin/pp-node-setup | grep -qF "sha256sum -c"
	wfile /usr/local/sbin/pp-node-ready |
		grep -qF "'https://conductor.example.net/api/nodes/pp-7/ready'"
}

@test "--output over another user's file leaves the user data ours, not theirs to read" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to meet a file of another user"
	ci_config
	: > "$UD"
	chown nobody "$UD"
	chmod 644 "$UD"
	render --node pp-7 -o "$UD"
	assert_success
	assert_equal "$(stat -c '%u %a' "$UD")" "0 600"
	assert_equal "$(grep -c -- "$TOKEN" "$UD")" 1
}

@test "runs the token command without a shell, with the node id, for --output" {
	cat > "$BATS_TEST_TMPDIR/mint" <<-'EOF'
	#!/bin/sh
	printf '%s\n' "$@" > "$(dirname "$0")/mint.args"
	echo "minted-$2"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/mint"
	ci_config "join_token_command: [\"$BATS_TEST_TMPDIR/mint\", \"--node\", \"{node}\", \"\$(touch x);{hostname}\"]"
	render --node pp-9 -o "$UD"
	assert_success
	refute_stderr_contains "minted-"
	valid_ud "$UD"
	wfile /etc/payperplay/agent.env | grep -qx "PP_JOIN_TOKEN='minted-pp-9'"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/mint.args")" \
		"$(printf '%s\n' --node pp-9 '$(touch x);pp-9')"
}

@test "a join token command never sees HCLOUD_TOKEN or PGPASSWORD and runs in a process group of its own" {
	cat > "$BATS_TEST_TMPDIR/mint" <<-'EOF'
	#!/bin/sh
	d=$(dirname "$0")
	env > "$d/mint.env"
	# pid and process group (fields 1 and 5 of /proc/self/stat)
	read -r pid _ _ _ pgrp _ < /proc/$$/stat
	echo "$pid $pgrp" > "$d/mint.pg"
	echo minted-token
	EOF
	chmod +x "$BATS_TEST_TMPDIR/mint"
	ci_config "join_token_command: [\"$BATS_TEST_TMPDIR/mint\"]"
	HCLOUD_TOKEN="hc-$RANDOM$RANDOM-secret" PP_PROBE=seen \
		PGPASSWORD="pg-$RANDOM$RANDOM-secret" \
		run --separate-stderr pp-cloudinit --node pp-2 -o "$UD"
	assert_success
	valid_ud "$UD"
	wfile /etc/payperplay/agent.env | grep -qx "PP_JOIN_TOKEN='minted-token'"
	# the environment reached it, minus the secret
	grep -qx PP_PROBE=seen "$BATS_TEST_TMPDIR/mint.env"
	run grep -c '^HCLOUD_TOKEN=' "$BATS_TEST_TMPDIR/mint.env"
	assert_output 0
	run grep -c '^PGPASSWORD=' "$BATS_TEST_TMPDIR/mint.env"
	assert_output 0
	read -r pid pgrp < "$BATS_TEST_TMPDIR/mint.pg"
	assert_equal "$pgrp" "$pid"
}

@test "redacts the token on stdout and does not run the token command for it" {
	cat > "$BATS_TEST_TMPDIR/mint" <<-'EOF'
	#!/bin/sh
	touch "$(dirname "$0")/mint.ran"
	echo minted-token
	EOF
	chmod +x "$BATS_TEST_TMPDIR/mint"
	ci_config "join_token_command: [\"$BATS_TEST_TMPDIR/mint\"]"
	render -v --node pp-1
	assert_success
	[[ ! -e "$BATS_TEST_TMPDIR/mint.ran" ]]
	printf '%s' "$output" > "$UD"
	valid_ud "$UD"
	wfile /etc/payperplay/agent.env | grep -qx "PP_JOIN_TOKEN='<redacted>'"

	ci_config
	render -v --node pp-1
	assert_success
	refute_output --partial "$TOKEN"
	refute_stderr_contains "$TOKEN"
	assert_output --partial "PP_JOIN_TOKEN='<redacted>'"
}

@test "refuses a token file open to group or others" {
	ci_config
	chmod 644 "$BATS_TEST_TMPDIR/token"
	render --node pp-1
	assert_failure 2
	assert_stderr_contains "join token file '$BATS_TEST_TMPDIR/token' has mode 0644: it must not be readable by group or others (chmod 600)"
	refute_stderr_contains "$TOKEN"
	assert_output ""
}

@test "refuses an empty token file and a token with a second line" {
	ci_config
	: > "$BATS_TEST_TMPDIR/token"
	render --node pp-1
	assert_failure 2
	assert_stderr_contains "join token from '$BATS_TEST_TMPDIR/token' is empty"

	printf 'abc\nruncmd: [evil]\n' > "$BATS_TEST_TMPDIR/token"
	render --node pp-1 -o "$UD"
	assert_failure 2
	assert_stderr_contains "holds a character other than"
	refute_stderr_contains "evil"
	[[ ! -e "$UD" ]]
}

# refuses YAML-LINE MESSAGE: a config with that line fails with exit 2.
refuses() {
	ci_config "$1"
	render --node pp-1
	assert_failure 2
	assert_output ""
	assert_stderr_contains "$2"
}

@test "names a missing conductor URL" {
	refuses 'conductor_url: null' "cloud_init.conductor_url is not set"
}

@test "names a missing agent URL" {
	refuses 'agent_url: ""' "cloud_init.agent_url is not set"
}

@test "asks for a join token when neither file nor command is set" {
	# the exact user data needs one
	ci_config 'join_token_file: null'
	render --node pp-1 -o "$UD"
	assert_failure 2
	assert_output ""
	assert_stderr_contains "no join token: set cloud_init.join_token_file or cloud_init.join_token_command"
	[[ ! -e "$UD" ]]
}

@test "a preview without a join token renders, redacted, and warns" {
	ci_config 'join_token_file: null'
	render --node pp-1
	assert_success
	assert_output --partial "PP_JOIN_TOKEN='<redacted>'"
	assert_stderr_contains "no join token: set cloud_init.join_token_file or cloud_init.join_token_command before pp-provision creates a server"
	printf '%s' "$output" > "$UD"
	schema_ok "$UD"
}

@test "refuses both a join token file and a join token command" {
	ci_config "join_token_file: $BATS_TEST_TMPDIR/token" \
		'join_token_command: [/bin/echo, x]'
	render --node pp-1
	assert_failure 2
	assert_stderr_contains "are both set: keep one"
}

@test "refuses a host name as a conductor address" {
	refuses 'conductor_addresses: [conductor.example.net]' \
		"cloud_init.conductor_addresses: 'conductor.example.net' is not an IPv4 or IPv6 address"
}

@test "refuses an SSH source with an nft expression in it" {
	refuses 'ssh_sources: ["0.0.0.0/0 tcp dport 1-65535 accept"]' \
		"cloud_init.ssh_sources: '0.0.0.0/0 tcp dport 1-65535 accept' is not an IPv4 or IPv6 address"
}

@test "refuses an agent port inside the game port range" {
	refuses 'agent_port: 25600' "cloud_init.agent_port 25600 is inside cloud_init.game_ports '25565:25665'"
}

@test "refuses a game port range that holds SSH" {
	refuses 'game_ports: "1:1024"' "cloud_init.game_ports '1:1024' holds port 22"
}

@test "refuses a conductor URL with a newline" {
	refuses 'conductor_url: "https://c.example\nruncmd: [evil]"' \
		"cloud_init.conductor_url holds a newline or another control character"
	refute_stderr_contains "evil"
}

@test "requires --node and a host name that is a host name" {
	ci_config
	render
	assert_failure 2
	assert_stderr_contains "--node is required"
	render --node pp-1 --hostname $'pp-1\nruncmd: [evil]'
	assert_failure 2
	assert_stderr_contains "bad host name '(with a control character)'"
	render --node 'pp 1'
	assert_failure 2
	assert_stderr_contains "bad node id 'pp 1'"
}

@test "refuses user data over 32 KiB and names its size" {
	local sources
	sources=$(for i in $(seq 1 1200); do
		printf '10.%d.%d.0/24,' $((i / 250)) $((i % 250)); done)
	ci_config "ssh_sources: [${sources%,}]"
	render --node pp-1
	assert_failure 2
	assert_output ""
	assert_stderr_contains "over Hetzner's limit of 32768 bytes (32 KiB)"
	[[ "$stderr" =~ "is "([0-9]+)" bytes" ]]
	((BASH_REMATCH[1] > 32768))
}

@test "keeps YAML metacharacters in a URL inside its value" {
	local url='https://c.example/x?a=1&b=*c,[d]#e:f!g'
	ci_config "conductor_url: '$url'"
	render --node pp-1
	assert_success
	printf '%s' "$output" > "$UD"
	valid_ud "$UD"
	assert_equal "$(cat "$X/keys")" \
		"fqdn,hostname,manage_etc_hosts,package_update,packages,preserve_hostname,runcmd,write_files"
	wfile /etc/payperplay/agent.env | grep -qxF "PP_CONDUCTOR_URL='$url'"
}

# The node gets the scheme in lower case, the rest as written: the agent
# or a tool on the node may compare it literally.
@test "takes the URLs' scheme in any case (RFC 3986), as the tools read every other URL, and writes it in lower case" {
	ci_config "conductor_url: HTTPS://C.Example/Path?Q=A" \
		"agent_url: Https://A.Example/Agent-{version}" \
		"agent_version: 1.2.3"
	render --node pp-1
	assert_success
	refute_stderr_contains "is not https"
	printf '%s' "$output" > "$UD"
	valid_ud "$UD"
	wfile /etc/payperplay/agent.env | grep -qxF "PP_CONDUCTOR_URL='https://C.Example/Path?Q=A'"
	wfile /usr/local/sbin/pp-node-setup | grep -qxF "url='https://A.Example/Agent-1.2.3'"
	# the exact user data pp-provision sends: the same
	render --node pp-1 --output "$UD"
	assert_success
	valid_ud "$UD"
	wfile /etc/payperplay/agent.env | grep -qxF "PP_CONDUCTOR_URL='https://C.Example/Path?Q=A'"
	! grep -q HTTPS "$UD" || fail "an upper-case scheme in: $(grep HTTPS "$UD")"
}

@test "fails when the token command fails, and names it" {
	ci_config 'join_token_command: [/bin/sh, -c, "exit 3"]'
	render --node pp-1 -o "$UD"
	assert_failure 1
	assert_stderr_contains "join token command '/bin/sh' exited with status 3"
	[[ ! -e "$UD" ]]
}

@test "stops a token command that outlives its timeout" {
	ci_config 'join_token_command: [/bin/sh, -c, "sleep 30; echo late"]' \
		'join_token_timeout: 1s'
	SECONDS=0
	render --node pp-1 -o "$UD"
	assert_failure 1
	assert_stderr_contains "join token command '/bin/sh' timed out after 1s"
	# the command sleeps 30 s; 20 leaves room for valgrind
	((SECONDS < 20))
}

@test "reads the template from cloud_init.template, else PP_SHARE_DIR" {
	printf '#cloud-config\nhostname: {{hostname}}\n' > "$BATS_TEST_TMPDIR/mini.tmpl"
	ci_config "template: $BATS_TEST_TMPDIR/mini.tmpl"
	render --node pp-3
	assert_success
	assert_output '#cloud-config
hostname: "pp-3"'

	ci_config
	PP_SHARE_DIR="$BATS_TEST_TMPDIR/nowhere" render --node pp-3
	assert_failure 2
	assert_stderr_contains "cannot read cloud-init template '$BATS_TEST_TMPDIR/nowhere/cloud-init.yaml.tmpl'"
}

@test "refuses a template that does not render YAML or misses #cloud-config" {
	printf '#cloud-config\nhostname: {{hostname|raw}}: x\n' > "$BATS_TEST_TMPDIR/bad.tmpl"
	ci_config "template: $BATS_TEST_TMPDIR/bad.tmpl"
	render --node pp-3
	assert_failure 2
	assert_stderr_contains "is not valid YAML: line 2"

	printf 'hostname: {{hostname}}\n' > "$BATS_TEST_TMPDIR/bad.tmpl"
	render --node pp-3
	assert_failure 2
	assert_stderr_contains "does not start with a '#cloud-config' line"
}

# The renderer itself, through t/unit/template.

tmpl() {
	printf '%s' "$1" > "$BATS_TEST_TMPDIR/t.tmpl"
	shift
	run --separate-stderr "$TEMPLATE" "$BATS_TEST_TMPDIR/t.tmpl" "$@"
}

@test "template: quotes a value for YAML so that it cannot add keys" {
	local v='x" : y\ # z: [1] &a *b'
	tmpl $'a: {{v}}\nb: {{w}}\n' "v=$v" 'w=plain'
	assert_success
	printf '%s' "$output" > "$BATS_TEST_TMPDIR/o.yaml"
	explode "$BATS_TEST_TMPDIR/o.yaml"
	assert_equal "$(cat "$X/keys")" "a,b"
	assert_equal "$(top a)" "$v"
}

@test "template: refuses a value with a newline, even where unused" {
	tmpl $'a: {{v}}\n' $'v=x\nevil: true'
	assert_failure 2
	assert_stderr_contains "the value of 'v' holds a newline"
	tmpl $'a: 1\n' 'v=x' $'w=\x1b[1m'
	assert_failure 2
	assert_stderr_contains "the value of 'w' holds a control character"
	tmpl $'{{#l}}- {{.}}\n{{/l}}' 'l+=ok' $'l+=x\ny'
	assert_failure 2
	assert_stderr_contains "item 2 of 'l' holds a newline"
}

@test "template: quotes for the shell with |sh and leaves |raw alone" {
	tmpl $'echo {{v|sh}}\n{{v|raw}}\n' "v=it's \$(x)"
	assert_success
	assert_output "echo 'it'\\''s \$(x)'
it's \$(x)"
	[[ "$(sh -c "$(head -1 <<< "$output")")" == "it's \$(x)" ]]
}

@test "template: repeats list sections, renders inverted ones when empty, drops their lines" {
	tmpl $'top\n  {{#l}}\n  - {{.|raw}}\n  {{/l}}\n{{^l}}\nnone\n{{/l}}\n{{! a comment }}\nend {{#s}}[{{.|raw}}]{{/s}}{{^e}}!{{/e}}\n' \
		'l+=a' 'l+=b' 's=x' 'e='
	assert_success
	assert_output $'top\n  - a\n  - b\nend [x]!'
	tmpl $'{{#l}}\n- {{.}}\n{{/l}}\n{{^l}}\nnone\n{{/l}}\n' 'l[]'
	assert_success
	assert_output 'none'
}

@test "template: names unknown and missing placeholders with their line" {
	tmpl $'a\nb: {{nope}}\n' 'v=1'
	assert_failure 2
	assert_stderr_contains "line 2: unknown placeholder 'nope'"
	# checked even inside a section that renders nothing
	tmpl $'{{#l}}\n{{v}}\n{{/l}}\n' 'l[]' 'v!'
	assert_failure 2
	assert_stderr_contains "line 2: no value for 'v'"
}

@test "template: refuses malformed and unbalanced tags" {
	local -a rows=(
		$'{{#l}}\nx\n'			"line 1: '{{#l}}' is not closed"
		$'{{#l}}{{/m}}'			"'{{/m}}' closes '{{#l}}' of line 1"
		$'{{/l}}'			"'{{/l}}' closes no section"
		$'a {{l}}'			"'l' is a list: use {{#l}}"
		$'{{.}}'			"'{{.}}' outside a section"
		$'{{v|json}}'			"unknown filter 'json'"
		$'{{v w}}'			"malformed placeholder '{{v w}}'"
		$'x\n{{v'			"line 2: '{{' without '}}'"
	)
	local r
	for ((r = 0; r < ${#rows[@]}; r += 2)); do
		tmpl "${rows[r]}" 'l[]' 'm[]' 'v=1'
		assert_failure 2
		assert_stderr_contains "${rows[r + 1]}"
	done
}
