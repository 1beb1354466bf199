#!/usr/bin/env bats
# The shipped ways to run the whole cycle: the cron line
# (share/cron/ppscale.cron) and the systemd service and timer
# (share/systemd/), run here as written, with /var/lib/ppscale pointed at
# the test's state directory; and the README shows them as shipped.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	CRON="$TOP/share/cron/ppscale.cron"
	SERVICE="$TOP/share/systemd/ppscale.service"
	TIMER="$TOP/share/systemd/ppscale.timer"
	cp "$TOP/t/fixtures/day/registry.json" "$PP_STATE_DIR/registry.json"
	printf 'join-%s-secret\n' "$RANDOM" > "$BATS_TEST_TMPDIR/join"
	chmod 600 "$BATS_TEST_TMPDIR/join"
	write_config <<EOF
cloud:
  provider: local
  local:
    boot_seconds: 0s    # the clock runs: do not wait 90 s for a boot
cloud_init:
  join_token_file: $BATS_TEST_TMPDIR/join
  conductor_addresses: [203.0.113.7]
EOF
}

# the command of the cron line (after the five time fields and the user)
cron_cmd() {
	grep -v '^#' "$CRON" | grep '^\*/2' |
		awk '{ for (i = 7; i <= NF; i++) printf "%s%s", $i,
			(i < NF ? " " : "\n") }' |
		sed "s|/var/lib/ppscale|$PP_STATE_DIR|g"
}

# the service's ExecStart, continuation lines joined
service_cmd() {
	sed -n '/^ExecStart=/,/[^\\]$/p' "$SERVICE" |
		sed 's/^ExecStart=//; s/\\$//' | paste -sd' ' | tr -s ' \t' '  ' |
		sed "s|/var/lib/ppscale|$PP_STATE_DIR|g"
}

@test "the cron line runs a whole cycle: fleetstats, decide, drain and provision" {
	run cron_cmd
	assert_output --partial 'flock -n'
	assert_output --partial 'pp-fleetstats -q | pp-decide -q | pp-drain -q | pp-provision -q'
	run --separate-stderr sh -c "$(cron_cmd)"
	assert_success
	# quiet: nothing for cron to mail when all went well
	assert_output ''
	[[ -z $stderr ]]
	# on the real clock: the pool wants one spare, or three on a
	# Friday or Saturday; they were created and registered
	run jq -r '[.nodes[] | select(.kind == "cloud") | .role] | unique |
		join(",")' "$PP_STATE_DIR/registry.json"
	assert_output spare
	run jq -sr '[.[] | .type] | unique | join(",")' \
		"$PP_STATE_DIR/events.jsonl"
	assert_output --partial 'node.provisioning'
	assert_output --partial 'scaling.triggered'
}

@test "a failing first tool fails the cron pipeline, and its message is what cron mails" {
	echo '{"version": 1, "nodes": [' > "$PP_STATE_DIR/registry.json"
	run --separate-stderr sh -c "$(cron_cmd)"
	assert_failure
	assert_stderr_contains 'pp-fleetstats: '
	assert_stderr_contains 'registry'
	# nothing was decided or created
	[[ ! -e $PP_STATE_DIR/cloud.json ]] ||
		[[ $(jq '.servers | length' "$PP_STATE_DIR/cloud.json") == 0 ]]
}

@test "pipefail: a failing middle tool fails the pipeline even when the last one succeeds" {
	# a pp-decide that writes a document and then fails: plain sh would
	# report pp-provision's 0
	mkdir "$BATS_TEST_TMPDIR/bin"
	cat > "$BATS_TEST_TMPDIR/bin/pp-decide" <<'EOF'
#!/bin/sh
cat
exit 1
EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/pp-decide"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run sh -c "$(cron_cmd)"
	assert_failure 1
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run sh -c \
		'pp-fleetstats -q | pp-decide -q | pp-drain -q | pp-provision -q >/dev/null'
	assert_success
}

@test "a cycle due while another runs is skipped and changes nothing" {
	local before
	exec 8>"$PP_STATE_DIR/pipeline.lock"
	flock 8
	before=$(files_sum "$PP_STATE_DIR/registry.json" \
		"$PP_STATE_DIR/state.json")
	run --separate-stderr sh -c "$(cron_cmd)"
	assert_failure 1
	[[ -z $stderr ]]
	[[ $(files_sum "$PP_STATE_DIR/registry.json" \
		"$PP_STATE_DIR/state.json") == "$before" ]]
	# the systemd service skips with 75, which it counts as success
	run sh -c "$(service_cmd)"
	assert_failure 75
	grep -qx 'SuccessExitStatus=75' "$SERVICE"
	exec 8>&-
}

@test "the systemd service runs the same pipeline, with the tools' notes for the journal" {
	run service_cmd
	assert_output --partial "flock -n -E 75 $PP_STATE_DIR/pipeline.lock /bin/bash -o pipefail -c"
	run --separate-stderr sh -c "$(service_cmd)"
	assert_success
	assert_stderr_contains 'pp-decide: provision_spare'
	run jq -r '[.nodes[] | select(.kind == "cloud")] | length > 0' \
		"$PP_STATE_DIR/registry.json"
	assert_output true
}

@test "systemd-analyze verify accepts the service and the timer" {
	# systemd is in .ci/packages: a missing one fails, never skips
	command -v systemd-analyze >/dev/null ||
		fail "systemd-analyze is not installed (package systemd)"
	# man pages are not installed here; the units themselves must pass
	run systemd-analyze verify --man=no "$SERVICE" "$TIMER"
	assert_success
	run systemd-analyze calendar "$(sed -n 's/^OnCalendar=//p' "$TIMER")"
	assert_success
}

@test "the README shows the cron file and the units as shipped" {
	local f line
	for f in "$CRON" "$SERVICE" "$TIMER"; do
		while IFS= read -r line; do
			[[ -z $line || $line == '#'* ]] && continue
			grep -qxF -- "$line" "$TOP/README.md" ||
				fail "README lacks '$line' of $(basename "$f")"
		done < "$f"
	done
}

@test "ppscale(7) shows the shipped cron line" {
	local line
	line=$(grep '^\*/2' "$CRON")
	grep -qxF -- "$line" "$TOP/share/man/man7/ppscale.7"
}

# The lines of FILE... that start as a cron line does (five time fields,
# or an @ nickname; commented out or not), as FILE:LINE:TEXT, the man
# pages' escapes for - and \ undone
cron_lines() {
	local f
	for f; do
		sed 's/\\-/-/g; s/\\e/\\/g; s/\\&//g' "$f" |
			grep -nE '^[[:space:]]*(#[[:space:]]*)?(@[a-z]+|[*0-9][-*/,0-9]*([[:space:]]+[-*/,0-9]+){4})[[:space:]]' |
			sed "s|^|${f#"$TOP/"}:|"
	done
}

@test "every cron line of the man pages and the README is one line of /etc/cron.d's format, as shipped" {
	local docs=("$TOP/README.md" "$TOP"/share/man/man[157]/*.[157])
	local f l where text cmd line shipped field
	local -a w
	# the pages that show one must be found to show one
	for f in README.md share/man/man7/ppscale.7 share/man/man1/pp-cycle.1; do
		[[ -n $(cron_lines "$TOP/$f") ]] || fail "no cron line found in $f"
	done
	shipped=$(sed -nE 's/^(# )?(\*\/)/\2/p' "$CRON")
	[[ $(wc -l <<<"$shipped") == 2 ]] || fail "cron lines of $CRON: $shipped"
	while IFS= read -r l; do
		where=${l%%:*}:$(cut -d: -f2 <<<"$l")
		text=$(cut -d: -f3- <<<"$l")
		# crontab(5): no line continuation; a % ends the command
		[[ $text != *\\ ]] || fail "$where continues on the next line: $text"
		line=$(sed -E 's/^[[:space:]]*(#[[:space:]]*)?//' <<<"$text")
		read -ra w <<<"$line"
		((${#w[@]} >= 7)) || fail "$where: not 5 times, a user and a command: $text"
		for field in "${w[@]:0:5}"; do
			[[ $field =~ ^(\*|[0-9]+(-[0-9]+)?|[A-Za-z]{3})(/[0-9]+)?(,([0-9]+(-[0-9]+)?|[A-Za-z]{3})(/[0-9]+)?)*$ ]] ||
				fail "$where: time field '$field' of $text"
		done
		[[ ${w[5]} =~ ^[a-z_][a-z0-9_-]*$ ]] || fail "$where: user '${w[5]}' of $text"
		cmd=$(awk '{ for (i = 7; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "\n") }' <<<"$line")
		[[ $cmd != *%* ]] || fail "$where: a % in the command: $text"
		bash -n -c "$cmd" || fail "$where: the command does not parse: $cmd"
		grep -qxF -- "$line" <<<"$shipped" ||
			fail "$where: not a line of $(basename "$CRON"): $line"
	done < <(cron_lines "${docs[@]}" "$CRON")
}

@test "the cron file offers a MAILTO line, above the job so that cron applies it" {
	local mailto job
	mailto=$(grep -nE '^#[[:space:]]*MAILTO=[^[:space:]]+@' "$CRON" | cut -d: -f1)
	job=$(grep -n '^\*/2' "$CRON" | cut -d: -f1)
	[[ -n $mailto ]] || fail "no MAILTO= line in $(basename "$CRON")"
	((mailto < job)) || fail "MAILTO= (line $mailto) below the job (line $job)"
	grep -q 'MAILTO=' "$TOP/README.md"
}
