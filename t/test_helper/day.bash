# Runs a scripted stretch of days through the whole pipeline (t/9xxx).
#
#   day_run PROVIDER DIR [SCENARIO] [CONFIG LINES...]
#       a fresh state directory DIR/state with the day fleet
#       (t/fixtures/day/registry.json), a config for PROVIDER (hetzner:
#       the fake started by fake_start; local), and then
#       t/test_helper/day.py SCENARIO DIR/out; its exit status lands in
#       DIR/rc and its stderr in DIR/err.  Runs in the background happily
#       (nothing on fd 3).  With hetzner the platform records the moves
#       itself (the hook writes the registry); with local it leaves that
#       to pp-drain: both paths of pp-drain(1) get their day.
#       Extra arguments are appended to the config's top level.
# day_summary DIR FILTER, day_cycles DIR FILTER
#       jq -c FILTER over DIR/out/summary.json, or over the cycles (slurped)

DAY_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DAY_SCENARIO="$DAY_HELPERS/../fixtures/day/week.txt"

day_config() {
	local provider=$1 dir=$2
	shift 2
	cat <<CONF
profile: seed
timezone: UTC
cloud:
  provider: $provider
  poll_interval: 0.05
  retry_base: 0.1
  request_timeout: 5s
  locations: [nbg1]
  server_types: [cx33]
  reconcile: true
  local:
    boot_seconds: ${DAY_BOOT:-0s}
cloud_init:
  join_token_file: $dir/join
  conductor_url: https://conductor.example.net/
  conductor_addresses: [203.0.113.7]
drain:
  move_command: [python3, "$DAY_HELPERS/platform_player.py", move,
    "$dir/state/registry.json", "{server}", "{from}", "{to}"]
  player_grace: 30m
CONF
	local l
	for l in "$@"; do
		printf '%s\n' "$l"
	done
}

day_run() {
	local provider=$1 dir=$2 scenario=${3:-$DAY_SCENARIO}
	shift 3 2>/dev/null || shift $#
	mkdir -p "$dir/state"
	cp "$DAY_HELPERS/../fixtures/day/registry.json" "$dir/state/"
	printf 'join-%s-secret\n' "$RANDOM$RANDOM" > "$dir/join"
	chmod 600 "$dir/join"
	day_config "$provider" "$dir" "$@" > "$dir/ppscale.yaml"
	(
		export PP_STATE_DIR="$dir/state" PP_CONFIG="$dir/ppscale.yaml"
		if [[ $provider == hetzner ]]; then
			export PLATFORM_RECORDS_MOVES=1
		else
			unset HCLOUD_TOKEN HCLOUD_ENDPOINT FAKE_CTL
			export PLATFORM_RECORDS_MOVES=0
		fi
		python3 "$DAY_HELPERS/day.py" "$scenario" "$dir/out" \
			> "$dir/stdout" 2> "$dir/err"
		echo $? > "$dir/rc"
	) 3>&- </dev/null
}

day_summary() {
	jq -c "$2" "$1/out/summary.json"
}

day_cycles() {
	jq -sc "$2" "$1/out/cycles.jsonl"
}

# day_ok DIR: the run finished and wrote its summary, or fail with why
day_ok() {
	[[ -e $1/rc ]] || fail "the day in $1 did not finish"
	[[ $(<"$1/rc") == 0 ]] || fail "day.py failed: $(cat "$1/err")"
	[[ -s $1/out/summary.json ]] || fail "no summary in $1"
}
