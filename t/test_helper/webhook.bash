# start_webhook MODE [IDLE]: starts t/test_helper/webhook.py (ok, 500 or
# hang) on 127.0.0.1 and a free port; sets WEBHOOK_URL, WEBHOOK_BODIES
# and WEBHOOK_PID. stop_webhook (call it from teardown) ends it; it
# also ends by itself when idle or orphaned.
start_webhook() {
	local dir="$BATS_TEST_TMPDIR/webhook" i
	mkdir -p "$dir"
	WEBHOOK_BODIES="$dir/bodies"
	: > "$WEBHOOK_BODIES"
	# a receiver started before in this test left its port
	rm -f "$dir/port"
	python3 "$TOP/t/test_helper/webhook.py" "$1" "$dir/port" \
		"$WEBHOOK_BODIES" "${2:-20}" 3>&- &
	WEBHOOK_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s "$dir/port" ]] && break
		sleep 0.05
	done
	[[ -s "$dir/port" ]] || fail "webhook receiver did not start"
	WEBHOOK_URL="http://127.0.0.1:$(cat "$dir/port")/hook"
}

stop_webhook() {
	if [[ -n "${WEBHOOK_PID:-}" ]]; then
		kill "$WEBHOOK_PID" 2>/dev/null || true
		wait "$WEBHOOK_PID" 2>/dev/null || true
		WEBHOOK_PID=
	fi
}
