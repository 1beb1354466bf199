# Registries, documents and config for the pp-drain tests (4xxx).
#
#   reg_init
#   reg_node ID KIND STATUS USABLE_MB [CID:RAM[:STATE[:PLAYERS]] ...]
#       a cloud node is the configured provider's (cloud.provider,
#       local by default): a scale-down drains no other; its server
#       type holds its RAM (pp-drain counts no more than 5 % over the
#       type's memory)
#   reg_write            -> $REGISTRY
#   decision_doc ACTION NODE [DRY_RUN]   -> the document on stdout
#   drain_config [EXTRA YAML LINES]      -> $PP_CONFIG with the test hook

REGISTRY_FILE() { printf '%s/registry.json' "$PP_STATE_DIR"; }

reg_init() {
	REG='{"version":1,"nodes":[]}'
	REG_N=0
	REGISTRY=$(REGISTRY_FILE)
	HOOK_LOG="$BATS_TEST_TMPDIR/hook.log"
	export HOOK_LOG
}

reg_node() {
	local id=$1 kind=$2 status=$3 usable=$4 cs='[]' c cid ram st pl type
	shift 4
	# the smallest built-in type the total fits within 5 %; a larger
	# node is of a type the catalog does not list, not checked
	if ((usable + 512 <= 8601)); then
		type=cx33
	elif ((usable + 512 <= 17203)); then
		type=cx43
	elif ((usable + 512 <= 34406)); then
		type=cx53
	else
		type=cx-big
	fi
	for c in "$@"; do
		IFS=: read -r cid ram st pl <<<"$c"
		cs=$(jq -c --arg id "$cid" --argjson ram "$ram" \
			--arg st "${st:-running}" --argjson pl "${pl:-0}" \
			'. + [{id: $id, ram_mb: $ram, state: $st,
			  players: $pl, image: "paper-1.21",
			  extra: {keep: "me"}}]' <<<"$cs")
	done
	REG_N=$((REG_N + 1))
	REG=$(jq -c --arg id "$id" --arg kind "$kind" --arg st "$status" \
		--argjson usable "$usable" --argjson cs "$cs" \
		--arg ip "192.0.2.$REG_N" --arg type "$type" \
		'.nodes += [{id: $id, kind: $kind, status: $st,
		  role: "worker", total_ram_mb: ($usable + 512),
		  reserved_ram_mb: 512, ip: $ip, location: "nbg1",
		  labels: {team: "x"},
		  cloud: (if $kind == "cloud" then {provider: "local",
		    server_id: ("9" + ($ip | split(".") | last)),
		    server_type: $type} else null end),
		  containers: $cs}]' <<<"$REG")
}

reg_write() {
	printf '%s\n' "$REG" | jq . > "$REGISTRY"
	[[ ${PP_REG_BACKEND:-file} == pg ]] || return 0
	# the same nodes as rows of an emptied database, put there by
	# pp-registry import (the way a file registry moves to one)
	REG_DB=reg
	pg_emptydb "$REG_DB" || return 1
	REG_URL=$(pg_url "$REG_DB")
	pp-registry -q -r "$REG_URL" import "$REGISTRY" || return 1
	grep -q '^registry:' "$PP_CONFIG" ||
		printf 'registry: "%s"\n' "$REG_URL" >> "$PP_CONFIG"
}

# reg_get FILTER: jq -r FILTER on the registry (file, or rows)
reg_get() {
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		pp-registry -r "$REG_URL" show | jq -r "$1"
	else
		jq -r "$1" "$REGISTRY"
	fi
}

# reg_sum: a checksum of the registry as stored (file, or rows)
reg_sum() {
	if [[ ${PP_REG_BACKEND:-file} == pg ]]; then
		pg_rows "$REG_DB" | sha256sum
	else
		files_sum "$REGISTRY"
	fi
}

# reg_is FILTER EXPECTED
reg_is() {
	local got
	got=$(reg_get "$1")
	if [[ "$got" != "$2" ]]; then
		batslib_print_kv_single_or_multi 8 'filter' "$1" \
			'expected' "$2" 'actual' "$got" |
			batslib_decorate 'registry field differs' | fail
	fi
}

# decision_doc ACTION NODE [DRY_RUN]: made at DOC_AT (default: the real
# clock; see decision in provision.bash)
decision_doc() {
	jq -cn --arg a "$1" --arg n "$2" --argjson d "${3:-false}" \
		--arg at "${DOC_AT:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" \
		'{version: 1, generated_at: $at,
		  fleet: {total_ram_mb: 1}, nodes: [],
		  decision: {action: $a, node: $n, reason: "test",
		    dry_run: $d, evaluations: []}}'
}

# drain_config [LINES]: the test hook as move_command; MOVE_TIMEOUT and
# PLAYER_GRACE override those keys; extra lines are appended as given
drain_config() {
	cat > "$PP_CONFIG" <<CONF
drain:
  move_command: ["$FIXTURES/drain/move-hook", "{server}", "--from={from}", "{to}", "{to_ip}", "literal a b;c \$HOME"]
  move_timeout: ${MOVE_TIMEOUT:-5s}
  player_grace: ${PLAYER_GRACE:-10m}
$*
CONF
}

# events of a type, one JSON per line
events_of() {
	local f="$PP_STATE_DIR/events.jsonl"
	[[ -e "$f" ]] || return 0
	jq -c --arg t "$1" 'select(.type == $t)' "$f"
}

# the calls the hook received, as "server>to" joined by commas
hook_calls() {
	[[ -e "$HOOK_LOG" ]] || { echo ""; return; }
	awk '/^CALL /{s=$2; n=0; next} /^ARG=/{n++; if (n==3) print s ">" substr($0,5)}' \
		"$HOOK_LOG" | paste -sd, -
}
