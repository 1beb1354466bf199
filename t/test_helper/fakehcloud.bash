# Helpers to run t/fakehcloud.py, the fake Hetzner Cloud API, from bats.
#
#   setup_file()    { load test_helper/fakehcloud; fake_start; }
#   teardown_file() { fake_stop; }
#
# fake_start [fakehcloud.py options...]
#       starts the fake on 127.0.0.1 with a free port, parented to the bats
#       file process (it exits when that goes, or after its idle timeout),
#       and exports
#         FAKE_URL=http://127.0.0.1:PORT/v1   HCLOUD_ENDPOINT=$FAKE_URL
#         FAKE_CTL=http://127.0.0.1:PORT/_fake
#         HCLOUD_TOKEN   (FAKE_TOKEN if set, else a fixed test token)
#         FAKE_PID FAKE_DIR
#       Options go to the fake, e.g. fake_start --action-polls 3.
# fake_stop
#       stops it.
# fake_ctl METHOD PATH [JSON]
#       calls a control endpoint (PATH relative to /_fake, e.g. /faults),
#       prints the JSON answer, fails when the answer is not 2xx.
# fake_reset, fake_fault JSON, fake_config JSON, fake_seed JSON,
# fake_state, fake_log
#       short forms of fake_ctl.
# fake_wait_for_log FILTER
#       waits until a logged request matches the jq FILTER (over one
#       request; 5 s at most), else fails the test.

FAKE_HCLOUD_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/fakehcloud.py

fake_start() {
	local dir port i
	dir=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/fakehcloud.XXXXXX")
	export FAKE_DIR=$dir
	export HCLOUD_TOKEN=${FAKE_TOKEN:-pp-test-token-not-a-secret}
	# fd 3 is bats' output channel: a background child holding it would
	# keep bats waiting, so close it for the fake
	FAKE_HCLOUD_TOKEN=$HCLOUD_TOKEN python3 "$FAKE_HCLOUD_PY" \
		--port-file "$dir/port" --parent-pid "$$" "$@" \
		>"$dir/out" 2>"$dir/err" 3>&- </dev/null &
	export FAKE_PID=$!
	for ((i = 0; i < 100; i++)); do
		if [[ -s $dir/port ]]; then
			break
		fi
		if ! kill -0 "$FAKE_PID" 2>/dev/null; then
			echo "fakehcloud did not start:" >&2
			cat "$dir/err" >&2
			return 1
		fi
		sleep 0.05
	done
	if [[ ! -s $dir/port ]]; then
		echo "fakehcloud did not write its port in 5 s" >&2
		return 1
	fi
	port=$(<"$dir/port")
	export FAKE_PORT=$port
	export FAKE_URL=http://127.0.0.1:$port/v1
	export FAKE_CTL=http://127.0.0.1:$port/_fake
	export HCLOUD_ENDPOINT=$FAKE_URL
}

fake_stop() {
	local i
	if [[ -z ${FAKE_PID:-} ]]; then
		return 0
	fi
	kill "$FAKE_PID" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		kill -0 "$FAKE_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$FAKE_PID" 2>/dev/null || true
	wait "$FAKE_PID" 2>/dev/null || true
	unset FAKE_PID
}

fake_ctl() {
	local method=$1 path=$2 body=${3-}
	local args=(-sS --max-time 10 -X "$method" -w '\n%{http_code}')
	local out code
	if [[ -n $body ]]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	out=$(curl "${args[@]}" "$FAKE_CTL$path") || return 1
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	printf '%s\n' "$out"
	if [[ $code != 2?? ]]; then
		echo "fake_ctl: $method $path answered $code" >&2
		return 1
	fi
}

fake_reset() { fake_ctl POST /reset >/dev/null; }
fake_fault() { fake_ctl POST /faults "$1"; }
fake_config() { fake_ctl POST /config "$1"; }
fake_seed() { fake_ctl POST /servers "$1"; }
fake_state() { fake_ctl GET /state; }
fake_log() { fake_ctl GET /log; }

# fake_log_count JQ_PREDICATE: how many requests in the fake's log match
fake_log_count() {
	fake_log | jq "[.requests[] | select($1)] | length"
}

# fake_wait_for_log JQ_PREDICATE [TRIES [BEFORE]]: until the fake's log
# has more than BEFORE (0) requests matching the predicate, TRIES looks
# 0.05 s apart (100), else the test fails. BEFORE, the fake_log_count
# taken before the tool started, waits for that tool's request when an
# earlier run made one like it.
fake_wait_for_log() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		[[ $(fake_log_count "$1") -gt ${3:-0} ]] && return 0
		sleep 0.05
	done
	fail "no request matching $1"
}
