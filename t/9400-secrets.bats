#!/usr/bin/env bats
# Secrets (README "Reliability", issue 9 item 7): the Hetzner token and
# the agent join token never reach stdout, stderr (even at debug
# level), events, metrics, the state directory, the document, the
# argv or environment of a child process. Elsewhere, not repeated here:
# the token file's mode (t/3021 "refuses a token file readable by group
# or others", t/3100 "refuses a token file open to group or others"),
# no HCLOUD_TOKEN in a hook's environment (t/4010), hooks run without
# a shell with placeholders inside their own argument (t/4010, t/3100
# "runs the token command without a shell"), plain http only to this
# machine (t/3021 "refuses plain http to anything but this machine").
#
# The cycle is a function (cycle): a tool added to it is covered by
# every check below.

bats_require_minimum_version 1.5.0

setup_file() {
	load 'test_helper/common'
	load 'test_helper/fakehcloud'
	export FAKE_TOKEN=pp-hcloud-SECRET-9200-c0ffee
	fake_start
}

teardown_file() {
	load 'test_helper/fakehcloud'
	fake_stop
}

JOIN_TOKEN=pp-join-SECRET-9200-beef

setup() {
	load 'test_helper/common'
	pp_isolate
	# the tests know the token; the tools' environment must not
	export -n FAKE_TOKEN
	export DUMP_DIR=$BATS_TEST_TMPDIR/dump OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$DUMP_DIR" "$OUT"
	printf '%s\n' "$FAKE_TOKEN" > "$BATS_TEST_TMPDIR/hcloud.token"
	printf '%s\n' "$JOIN_TOKEN" > "$BATS_TEST_TMPDIR/join.token"
	chmod 600 "$BATS_TEST_TMPDIR/hcloud.token" "$BATS_TEST_TMPDIR/join.token"
	export JOIN_SECRET_FILE=$BATS_TEST_TMPDIR/join.token
	HOOK=$TOP/t/fixtures/secrets/dump-hook
	write_config <<-EOF
	cloud:
	  provider: hetzner
	  endpoint: $FAKE_URL
	  token_file: $BATS_TEST_TMPDIR/hcloud.token
	  reconcile: true
	  retries: 0
	cloud_init:
	  join_token_file: $BATS_TEST_TMPDIR/join.token
	policies:
	  spare:
	    enabled: false
	events:
	  file: $PP_STATE_DIR/events.jsonl
	metrics:
	  textfile: $PP_STATE_DIR/ppscale.prom
	drain:
	  move_command: ["$HOOK", "{server}", "{from}", "{to}"]
	EOF
	# a cloud worker with one small game server, the rest idle: after
	# the down window the cycle drains it (the hook moves the server)
	cat > "$PP_STATE_DIR/registry.json" <<-'EOF'
	{"version": 1, "nodes": [
	 {"id": "ded-1", "kind": "dedicated", "status": "ready",
	  "role": "worker", "total_ram_mb": 65536, "reserved_ram_mb": 4096,
	  "ip": "203.0.113.10", "location": "fsn1", "labels": {},
	  "cloud": null, "containers": [
	   {"id": "mc-1", "ram_mb": 2048, "state": "running", "players": 3}]},
	 {"id": "cloud-1", "kind": "cloud", "status": "ready",
	  "role": "worker", "total_ram_mb": 8192, "reserved_ram_mb": 512,
	  "ip": "198.51.100.2", "location": "nbg1",
	  "labels": {"managed_by": "ppscale"},
	  "cloud": {"provider": "hetzner", "server_id": "4711",
	   "server_type": "cx33", "hourly_cost_eur": 0.0088,
	   "created_at": "2026-11-24T05:00:00Z"},
	  "containers": [
	   {"id": "mc-2", "ram_mb": 1024, "state": "running", "players": 0}]}]}
	EOF
}

# cycle NOW: one cron cycle at NOW, every tool at debug level; each
# tool's stdout and stderr kept in $OUT
cycle() {
	local now=$1
	pp-fleetstats -vv --now "$now" > "$OUT/fleetstats.$now.json" \
		2> "$OUT/fleetstats.$now.err" &&
	pp-decide -vv --now "$now" < "$OUT/fleetstats.$now.json" \
		> "$OUT/decide.$now.json" 2> "$OUT/decide.$now.err" &&
	pp-drain -vv --now "$now" < "$OUT/decide.$now.json" \
		> "$OUT/drain.$now.json" 2> "$OUT/drain.$now.err" &&
	pp-provision -vv --now "$now" < "$OUT/drain.$now.json" \
		> "$OUT/provision.$now.json" 2> "$OUT/provision.$now.err"
	pp-status -vv --now "$now" > "$OUT/status.$now.txt" \
		2> "$OUT/status.$now.err"
	pp-cloudinit -vv --node cloud-2 > "$OUT/cloudinit.$now.yaml" \
		2> "$OUT/cloudinit.$now.err"
}

# no_secret_in DIR...: neither token in any file below DIR
no_secret_in() {
	local hits
	hits=$(grep -rlF -e "$FAKE_TOKEN" -e "$JOIN_TOKEN" "$@" || true)
	[[ -z $hits ]] || fail "a secret is in: $hits"
}

@test "a full cycle writes neither token to any output, log, event, metric or state file" {
	cycle 2026-11-24T10:00:00Z
	cycle 2026-11-24T10:25:00Z
	# the cycle did what it is for: reconciled with the API, decided,
	# drained through the hook
	run jq -r '.reconciliation.status' "$OUT/fleetstats.2026-11-24T10:25:00Z.json"
	assert_output ok
	run jq -r '[.decision.action, .drain.status] | join(" ")' \
		"$OUT/provision.2026-11-24T10:25:00Z.json"
	assert_output --regexp '^scale_down '
	ls "$DUMP_DIR"/hook-*.argv > /dev/null
	grep -q "PP_JOIN_TOKEN='<redacted>'" "$OUT"/cloudinit.*.yaml
	[[ -s $PP_STATE_DIR/events.jsonl && -s $PP_STATE_DIR/ppscale.prom ]]
	# and left no secret anywhere it writes
	no_secret_in "$OUT" "$PP_STATE_DIR" "$DUMP_DIR"
	grep -q "$FAKE_TOKEN" "$BATS_TEST_TMPDIR/hcloud.token" # (the check can fail)
}

@test "the join token reaches only the exact user data file, never the command line" {
	write_config < <(sed "s|join_token_file: .*|join_token_command: [\"$HOOK\", mint, \"{node}\"]|" "$PP_CONFIG")
	run --separate-stderr pp-cloudinit -vv --node cloud-2 -o "$OUT/user-data"
	assert_success
	grep -qF "$JOIN_TOKEN" "$OUT/user-data"
	[[ $(stat -c %a "$OUT/user-data") == 600 ]]
	rm "$OUT/user-data"
	[[ $output != *"$JOIN_TOKEN"* && $stderr != *"$JOIN_TOKEN"* ]]
	# the command got the node, not a secret, and its parent's argv and
	# environment hold no token either
	run cat "$DUMP_DIR"/hook-*.argv
	assert_output "$HOOK
mint
cloud-2"
	no_secret_in "$DUMP_DIR" "$PP_STATE_DIR"
}

# the API answers a create without SSH keys with the server's root
# password (root_password): a secret of the API's own
@test "the root password the API answers a create without SSH keys with reaches no output, log, event or state file" {
	[[ $(grep -c ssh_keys "$PP_CONFIG") == 0 ]]
	local now=2026-11-24T10:00:00Z id pw
	jq -nc --arg at "$now" '{version: 1, generated_at: $at,
		decision: {action: "scale_up", count: 1, server_type: "cx23",
		location: "nbg1", role: "worker", reason: "test",
		dry_run: false}}' > "$OUT/decision.json"
	run --separate-stderr pp-provision -vv --now "$now" \
		< "$OUT/decision.json"
	assert_success
	printf '%s\n' "$output" > "$OUT/provision.json"
	printf '%s\n' "$stderr" > "$OUT/provision.err"
	id=$(jq -r '.provision.servers[] | select(.op == "create") |
		.server_id' "$OUT/provision.json")
	[[ $id =~ ^[0-9]+$ ]]
	# the fake's password for that server (t/fakehcloud.py), sent:
	# the create had no ssh_keys
	pw=$(printf 'fAkE%06dPw' $((id % 1000000)))
	fake_log | jq -e '[.requests[] | select(.method == "POST" and
		.path == "/servers")][0].body | has("ssh_keys") | not' >/dev/null
	pp-status -vv --now "$now" > "$OUT/status.txt" 2>&1
	hits=$(grep -rlF -e "$pw" "$OUT" "$PP_STATE_DIR" || true)
	[[ -z $hits ]] || fail "the root password is in: $hits"
	# (the check can fail: the password is what the fake answers)
	[[ $(curl -sS -X POST -H "Authorization: Bearer $FAKE_TOKEN" \
		-H 'Content-Type: application/json' -d '{"name": "pw-check",
		"server_type": "cx23", "image": "debian-12"}' \
		"$FAKE_URL/servers" | jq -r .root_password) == fAkE*Pw ]]
}

@test "a token from HCLOUD_TOKEN stays out of the hook's environment and argv" {
	# the token in the environment (cron's way): pp-drain's children do
	# not inherit it (t/4010 checks the move hook; here the whole cycle)
	write_config < <(grep -v '^  token_file' "$PP_CONFIG")
	export HCLOUD_TOKEN=$FAKE_TOKEN
	cycle 2026-11-24T10:00:00Z
	cycle 2026-11-24T10:25:00Z
	run jq -r '.reconciliation.status' "$OUT/fleetstats.2026-11-24T10:25:00Z.json"
	assert_output ok
	ls "$DUMP_DIR"/hook-*.env > /dev/null
	no_secret_in "$OUT" "$PP_STATE_DIR" "$DUMP_DIR"/hook-*.argv \
		"$DUMP_DIR"/hook-*.env "$DUMP_DIR"/hook-*.parent-argv
}

@test "TLS verification is always on: a self-signed https endpoint is refused" {
	# a TLS server on 127.0.0.1 with a certificate nobody signed
	local d=$BATS_TEST_TMPDIR/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key" \
		-out "$d/cert" -subj /CN=127.0.0.1 -days 1 \
		-addext subjectAltName=IP:127.0.0.1 2>/dev/null
	python3 - "$d" 3>&- <<-'EOF' &
	import http.server, ssl, sys, os, threading
	d = sys.argv[1]
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        open(os.path.join(d, "reached"), "w").write(self.path)
	        self.send_response(200); self.end_headers()
	        self.wfile.write(b'{"servers": []}')
	    def log_message(self, *a): pass
	s = http.server.HTTPServer(("127.0.0.1", 0), H)
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
	ctx.load_cert_chain(os.path.join(d, "cert"), os.path.join(d, "key"))
	s.socket = ctx.wrap_socket(s.socket, server_side=True)
	open(os.path.join(d, "port.tmp"), "w").write(str(s.server_port))
	os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
	threading.Timer(30, s.shutdown).start()
	s.serve_forever()
	EOF
	local pid=$! i
	for ((i = 0; i < 100; i++)); do
		[[ -s $d/port ]] && break
		sleep 0.05
	done
	[[ -s $d/port ]] || fail "the TLS server did not start"
	export HCLOUD_TOKEN=$FAKE_TOKEN
	HCLOUD_ENDPOINT=https://127.0.0.1:$(<"$d/port")/v1 \
		run --separate-stderr "$BUILD/unit/cloudctl" list
	kill "$pid" 2>/dev/null || true
	assert_failure
	assert_stderr_contains "certificate"
	[[ ! -e $d/reached ]] || fail "a request went through: $(<"$d/reached")"
	refute_stderr_contains "$FAKE_TOKEN"
	# and no code path, config key or option turns it off
	! grep -nE 'SSL_VERIFY(PEER|HOST), *0' "$TOP"/lib/*.c
	! "$BUILD/unit/config_keys" | cut -f1 | grep -iE 'insecure|verify|tls|ssl'
}

@test "user info in the endpoint cannot smuggle plain http past the loopback rule" {
	# found in this campaign: a prefix test took
	# http://127.0.0.1:1@elsewhere/ for this machine, and libcurl then
	# sent the token in clear to elsewhere
	export HCLOUD_TOKEN=$FAKE_TOKEN
	for ep in "http://127.0.0.1:1@198.51.100.1/v1" \
	    "http://localhost:80@example.invalid/v1" \
	    "http://[::1]:1@example.invalid/v1" \
	    "https://user:pw@api.hetzner.cloud/v1"; do
		HCLOUD_ENDPOINT=$ep run --separate-stderr "$BUILD/unit/cloudctl" list
		assert_failure 2
		jq_is '[.error.code, (.requests // 0)]' '["config",0]'
		# named by the host it would reach, without the user info
		# (a password in it would reach the events and webhook)
		assert_stderr_contains "refusing API endpoint '${ep%%//*}//${ep#*@}'"
		refute_stderr_contains "pw@"
	done
	# the fake on 127.0.0.1 over plain http is still fine
	HCLOUD_ENDPOINT=$FAKE_URL run --separate-stderr "$BUILD/unit/cloudctl" list
	assert_success
}

DB_SECRET=pp-db-SECRET-9400-f00d

# refused_everywhere KEY ELEMENT WHAT: pp-config check and every tool
# that loads the config refuse it (exit 2) naming KEY's ELEMENT and
# WHAT it holds, never the value; nothing ran, no hook either
refused_everywhere() {
	local t args rc
	run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "'$1': element $2 holds $3 (not shown)"
	assert_stderr_contains "every user of this host sees a command's arguments"
	for t in pp-config pp-fleetstats pp-decide pp-drain pp-provision \
	    pp-status pp-cloudinit pp-registry pp-cycle; do
		case $t in
		pp-config) args=(check) ;;
		pp-cloudinit) args=(--node cloud-2) ;;
		pp-registry) args=(show) ;;
		pp-cycle) args=(-- touch "$OUT/cycle-ran") ;;
		*) args=() ;;
		esac
		"$t" -vv "${args[@]}" < "$OUT/scale-down.json" \
			> "$OUT/$t.out" 2> "$OUT/$t.err" && rc=0 || rc=$?
		((rc == 2)) || fail "$t exited $rc: $(<"$OUT/$t.err")"
		grep -qF "'$1': element $2 holds $3" "$OUT/$t.err" ||
			fail "$t: $(<"$OUT/$t.err")"
	done
	[[ ! -e $OUT/cycle-ran ]]
	[[ -z $(ls "$DUMP_DIR") ]] || fail "a hook ran"
	local hits
	hits=$(grep -rlF -e "$FAKE_TOKEN" -e "$JOIN_TOKEN" -e "$DB_SECRET" \
		"$OUT" "$PP_STATE_DIR" "$DUMP_DIR" || true)
	[[ -z $hits ]] || fail "a secret is in: $hits"
	[[ $stderr != *SECRET* ]]
}

# with_command KEY VALUE: the config with KEY (drain.move_command or
# cloud_init.join_token_command) set to the YAML flow list VALUE
with_command() {
	local cfg
	cfg=$(grep -v -e '^  move_command:' -e '^  join_token_file:' "$PP_CONFIG")
	case $1 in
	drain.move_command)
		cfg=$(sed "s|^drain:|drain:\n  move_command: $2|" <<<"$cfg")
		cfg=$(sed "s|^cloud_init:|cloud_init:\n  join_token_file: $JOIN_SECRET_FILE|" <<<"$cfg") ;;
	cloud_init.join_token_command)
		cfg=$(sed "s|^cloud_init:|cloud_init:\n  join_token_command: $2|" <<<"$cfg") ;;
	esac
	write_config <<<"$cfg"
}

@test "a secret written into a hook's command line is refused by every tool, which never shows it" {
	# a document pp-drain would act on: the refusal comes first
	pp-fleetstats --now 2026-11-24T10:00:00Z > "$OUT/fs.json"
	jq -c '.decision = {action: "scale_down", node: "cloud-1",
		reason: "test", dry_run: false, evaluations: []}' \
		"$OUT/fs.json" > "$OUT/scale-down.json"
	rm "$OUT/fs.json"
	# one row per secret and where it comes from; the value inside a
	# longer argument counts as much as the whole argument
	with_command drain.move_command "[\"$HOOK\", \"--token=$FAKE_TOKEN\", \"{server}\"]"
	refused_everywhere drain.move_command 2 "the Hetzner API token (cloud.token_file)"
	with_command drain.move_command "[\"$HOOK\", \"{server}\", \"$JOIN_TOKEN\"]"
	refused_everywhere drain.move_command 3 "the join token (cloud_init.join_token_file)"
	with_command cloud_init.join_token_command "[\"$HOOK\", mint, \"Bearer $FAKE_TOKEN\"]"
	write_config < <(grep -v '^  token_file' "$PP_CONFIG")
	HCLOUD_TOKEN=$FAKE_TOKEN refused_everywhere \
		cloud_init.join_token_command 3 "the Hetzner API token (\$HCLOUD_TOKEN)"
	with_command drain.move_command "[\"$HOOK\", \"{server}\", \"PGPASSWORD=$DB_SECRET\"]"
	PGPASSWORD=$DB_SECRET refused_everywhere drain.move_command 3 \
		"the database password (\$PGPASSWORD)"
	# any database's password in a URL or key=value string
	with_command drain.move_command "[\"$HOOK\", \"postgresql://ppscale:$DB_SECRET@db.example/reg\"]"
	refused_everywhere drain.move_command 2 "a database password"
	with_command drain.move_command "[\"$HOOK\", \"host=db.example password=$DB_SECRET\"]"
	refused_everywhere drain.move_command 2 "a database password"
	# a password of the password file libpq reads for our database
	printf '*:*:*:ppscale:%s\n' "$DB_SECRET" > "$BATS_TEST_TMPDIR/pgpass"
	chmod 600 "$BATS_TEST_TMPDIR/pgpass"
	with_command drain.move_command "[\"$HOOK\", \"{server}\", \"$DB_SECRET\"]"
	printf 'registry: "postgresql://ppscale@127.0.0.1:1/reg?passfile=%s"\n' \
		"$BATS_TEST_TMPDIR/pgpass" >> "$PP_CONFIG"
	refused_everywhere drain.move_command 3 "a database password (password file)"
}

@test "a secret shorter than 8 bytes counts only as a whole element of a command" {
	# inside a word it is more likely a coincidence than a leak
	write_config < <(sed "s|^  move_command: .*|  move_command: [\"$HOOK\", \"--mode=abcdefg\", \"{server}\"]|" "$PP_CONFIG")
	PGPASSWORD=abcdefg run --separate-stderr pp-config check
	assert_success
	write_config < <(sed "s|^  move_command: .*|  move_command: [\"$HOOK\", abcdefg, \"{server}\"]|" "$PP_CONFIG")
	PGPASSWORD=abcdefg run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "'drain.move_command': element 2 holds the database password (\$PGPASSWORD) (not shown)"
	refute_stderr_contains abcdefg
	refute_output --partial abcdefg
}

# check_with PASSFILE_LINE MODE ELEMENT...: pp-config check of a
# postgresql registry for user ppscale, database reg, on db.example,
# whose password file holds PASSFILE_LINE with MODE, and a move_command
# of the hook and the ELEMENTs
check_with() {
	local line=$1 mode=$2 list el
	shift 2
	printf '%s\n' "$line" > "$BATS_TEST_TMPDIR/pgpass"
	chmod "$mode" "$BATS_TEST_TMPDIR/pgpass"
	list="\"$HOOK\""
	for el in "$@"; do list+=", \"$el\""; done
	write_config < <(grep -v '^registry:' "$PP_CONFIG")
	with_command drain.move_command "[$list]"
	printf 'registry: "postgresql://ppscale@db.example:5432/reg?passfile=%s"\n' \
		"$BATS_TEST_TMPDIR/pgpass" >> "$PP_CONFIG"
	run --separate-stderr pp-config check
}

@test "only the password libpq would take for our database counts, and an ordinary word holding it does not" {
	# a developer's catch-all line for another user: not ours
	check_with '*:*:*:postgres:postgres' 600 \
		/usr/lib/postgresql/16/bin/psql "postgresql://ppscale@db.example/games" postgres
	assert_success
	# a line for another database or host of the same user: not ours
	check_with 'db.example:5432:other:ppscale:pp-db-SECRET-9400-f00d' 600 pp-db-SECRET-9400-f00d
	assert_success
	check_with 'elsewhere:*:*:ppscale:pp-db-SECRET-9400-f00d' 600 pp-db-SECRET-9400-f00d
	assert_success
	# ours, but a file open to others libpq ignores: so does the check
	check_with '*:*:reg:ppscale:pp-db-SECRET-9400-f00d' 640 pp-db-SECRET-9400-f00d
	assert_success
	# ours: as the whole element, as a word, inside a longer word
	check_with 'db.example:5432:reg:ppscale:pp-db-SECRET-9400-f00d' 600 pp-db-SECRET-9400-f00d
	assert_failure 2
	assert_stderr_contains "element 2 holds a database password (password file) (not shown)"
	check_with '*:*:*:ppscale:hunter2pw' 600 --db-password=hunter2pw
	assert_failure 2
	assert_stderr_contains "element 2 holds a database password (password file)"
	check_with '*:*:*:ppscale:pp-db-SECRET-9400-f00d' 600 xpp-db-SECRET-9400-f00dx
	assert_failure 2
	# a password of 8 to 15 bytes inside a word is not (the path and URL
	# hold "postgres" as part of a longer word); libpq's password ends at
	# an unescaped ':'
	check_with '*:*:*:ppscale:postgres:ignored' 600 \
		/usr/lib/postgresql/16/bin/psql "postgresql://ppscale@db.example/games" ignored
	assert_success
	check_with '*:*:*:ppscale:postgres:ignored' 600 postgres
	assert_failure 2
	refute_stderr_contains postgres:
}

@test "a libpq password= setting anywhere in an argument is refused, a --password= option's value only if it is a known secret" {
	with_command drain.move_command "[\"$HOOK\", \"--conninfo=host=db dbname=games password=$DB_SECRET\"]"
	run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "element 2 holds a database password (not shown)"
	refute_stderr_contains "$DB_SECRET"
	with_command drain.move_command "[\"$HOOK\", \"--password=$DB_SECRET\"]"
	run --separate-stderr pp-config check
	assert_success
	with_command drain.move_command "[\"$HOOK\", \"--password=$DB_SECRET\"]"
	PGPASSWORD=$DB_SECRET run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "element 2 holds the database password (\$PGPASSWORD) (not shown)"
}

@test "a password file line for a socket directory counts, by its path or as localhost; a setting with blanks around '=' counts" {
	local line reg="postgresql:///reg?host=/run/pp-sock&user=ppscale&passfile=$BATS_TEST_TMPDIR/pgpass"
	for line in "/run/pp-sock:5432:reg:ppscale:$DB_SECRET" \
	    "localhost:*:reg:ppscale:$DB_SECRET"; do
		printf '%s\n' "$line" > "$BATS_TEST_TMPDIR/pgpass"
		chmod 600 "$BATS_TEST_TMPDIR/pgpass"
		write_config < <(grep -v '^registry:' "$PP_CONFIG")
		with_command drain.move_command "[\"$HOOK\", \"$DB_SECRET\"]"
		printf 'registry: "%s"\n' "$reg" >> "$PP_CONFIG"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "element 2 holds a database password (password file) (not shown)"
	done
	# another socket directory's line is not ours
	printf '/run/other:5432:reg:ppscale:%s\n' "$DB_SECRET" > "$BATS_TEST_TMPDIR/pgpass"
	run --separate-stderr pp-config check
	assert_success
	write_config < <(grep -v '^registry:' "$PP_CONFIG")
	for el in "host=db password = $DB_SECRET" "--conninfo=host=db password =$DB_SECRET"; do
		with_command drain.move_command "[\"$HOOK\", \"$el\"]"
		run --separate-stderr pp-config check
		assert_failure 2
		assert_stderr_contains "element 2 holds a database password (not shown)"
		refute_stderr_contains "$DB_SECRET"
	done
}

@test "a password file with a NUL byte is read up to it, and no further" {
	# a stray NUL (a file written by a broken tool) once had the check
	# wipe its copy of the file past the copy's end
	{ printf 'localhost:*:reg:ppscale:%s\n' "$DB_SECRET"; printf '\0'
	  head -c 60000 /dev/zero | tr '\0' x; } > "$BATS_TEST_TMPDIR/pgpass"
	chmod 600 "$BATS_TEST_TMPDIR/pgpass"
	write_config < <(grep -v '^registry:' "$PP_CONFIG")
	with_command drain.move_command "[\"$HOOK\", \"$DB_SECRET\"]"
	printf 'registry: "postgresql:///reg?host=/run/pp-sock&user=ppscale&passfile=%s"\n' \
		"$BATS_TEST_TMPDIR/pgpass" >> "$PP_CONFIG"
	run --separate-stderr pp-config check
	assert_failure 2
	assert_stderr_contains "element 2 holds a database password (password file) (not shown)"
}
