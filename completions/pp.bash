# bash completion for the ppscale tools.
#
# Options come from each tool's own --help (read once per shell), so the
# completion always matches the installed tool. An option's argument is
# completed by the placeholder its --help shows: FILE, PATH and SOURCE complete
# files, DIR directories, TIME the current time, KEY and KEY=VALUE the
# configuration keys, and pp-drain's --node and any NODE the node ids in
# the registry (read through pp-registry show, which reads the registry
# alone: no cloud, no history, no cache written). pp-registry's commands
# complete, then a node id, and status's ready or unhealthy; pp-sim's
# trace is a file.

# Every configuration key (t/6400-completion.bats keeps this in step
# with lib/conf/config.c).
_pp_config_keys="profile state_dir registry timezone holidays cloud.provider cloud.token_file cloud.endpoint cloud.locations cloud.image cloud.architecture cloud.ssh_keys cloud.networks cloud.firewalls cloud.placement_group cloud.placement_group_limit cloud.labels cloud.label_key cloud.label_value cloud.pool cloud.name_prefix cloud.reserved_ram_mb cloud.min_usable_ram_mb cloud.server_types cloud.type_choice cloud.reconcile cloud.catalog_ttl cloud.boot_timeout cloud.join_timeout cloud.ready_check cloud.health_url cloud.refusal_ttl cloud.orphan_grace cloud.orphan_delete_max cloud.connect_timeout cloud.request_timeout cloud.action_timeout cloud.poll_interval cloud.retries cloud.retry_base cloud.retry_max cloud.rate_reserve cloud.deadline cloud.local.file cloud.local.boot_seconds cloud.local.server_limit cloud.local.agent_joins cloud.catalog cloud_init.template cloud_init.agent_version cloud_init.agent_url cloud_init.conductor_url cloud_init.conductor_addresses cloud_init.join_token_file cloud_init.join_token_command cloud_init.join_token_timeout cloud_init.agent_sha256 cloud_init.agent_port cloud_init.game_ports cloud_init.ssh_sources policies.reactive.enabled policies.reactive.priority policies.reactive.up_threshold policies.reactive.down_threshold policies.reactive.cooldown policies.reactive.down_window policies.reactive.down_after_up policies.reactive.urgency_high policies.reactive.urgency_critical policies.reactive.down_margin policies.spare.enabled policies.spare.priority policies.spare.min_spares policies.spare.max_spares policies.spare.schedule policies.spare.type_choice policies.unneeded.enabled policies.unneeded.priority policies.unneeded.utilisation policies.unneeded.hold policies.unneeded.billing_window policies.unneeded.hold_after_up policies.unneeded.unhealthy_after policies.headroom.enabled policies.headroom.priority policies.headroom.slots policies.headroom.slot_ram_mb policies.headroom.memory policies.headroom.rise_window policies.headroom.max_slots policies.headroom.down_slots policies.headroom.lead policies.headroom.lead_margin_mb policies.headroom.step_window policies.headroom.step_margin_mb policies.predictive.enabled policies.predictive.priority policies.predictive.threshold policies.predictive.horizon policies.predictive.provisioning_time policies.predictive.margin limits.min_cloud_nodes limits.max_cloud_nodes limits.max_hourly_eur drain.deadline drain.move_command drain.move_timeout drain.player_grace events.file events.webhook_url events.webhook_timeout events.webhook_retries control.database metrics.textfile history.retention forecast.url forecast.timeout forecast.horizons"

declare -gA _pp_spec_cache 2>/dev/null

# "SHORT LONG ARG" per option of tool $1, "-" for an absent field.
_pp_spec() {
	local tool=$1
	type -P "$tool" >/dev/null || return
	if [[ -z ${_pp_spec_cache[$tool]+set} ]]; then
		_pp_spec_cache[$tool]=$("$tool" --help 2>/dev/null | awk '
			/^ +-/ {
				s = "-"; l = "-"; a = "-"
				n = split($0, w, " ")
				for (i = 1; i <= n; i++) {
					x = w[i]; sub(/,$/, "", x)
					if (x ~ /^-[A-Za-z0-9]$/ && l == "-")
						s = x
					else if (x ~ /^--[A-Za-z0-9][A-Za-z0-9-]*$/)
						l = x
					else if ((x ~ /^[A-Z][A-Z0-9_|=.:,]*$/ || x ~ /^[A-Z]+x[A-Z]+$/) && a == "-")
						a = x
					else
						break
				}
				print s, l, a
			}')
	fi
	printf '%s\n' "${_pp_spec_cache[$tool]}"
}

# The words before the current one that are neither options nor their
# arguments (pp-registry's command and its operands); $1 is the spec.
_pp_operands() {
	local i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--*=*) ;;
		=) ((i++)) ;;
		-*)
			# an option that takes an argument: skip it (and a
			# '=' bash split off between them)
			if awk -v p="$w" '($1 == p || $2 == p) && $3 != "-" { f = 1 }
				END { exit !f }' <<< "$1"; then
				((i++))
				[[ ${COMP_WORDS[i]:-} == = ]] && ((i++))
			fi ;;
		*) printf '%s\n' "$w" ;;
		esac
	done
}

# pp-registry's commands, and what each one's operands are.
_pp_registry_words() {
	local spec=$1 cur=$2 ops
	ops=($(_pp_operands "$spec"))
	case ${#ops[@]}:${ops[0]:-} in
	0:*)
		COMPREPLY=($(compgen -W "show place remove set status import" -- "$cur")) ;;
	1:show|1:place|1:remove|1:set|1:status)
		COMPREPLY=($(compgen -W "$(_pp_node_ids)" -- "$cur")) ;;
	1:import)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	2:status)
		COMPREPLY=($(compgen -W "ready unhealthy" -- "$cur")) ;;
	esac
}

# The node ids of the registry the command line points at.
_pp_node_ids() {
	local i args=() w
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-c|--config|-r|--registry|--state-dir)
			if [[ -n ${COMP_WORDS[i+1]:-} && $((i + 1)) -ne $COMP_CWORD ]]; then
				case $w in
				-c|--config) args+=(--config "${COMP_WORDS[i+1]}") ;;
				-r|--registry) args+=(--registry "${COMP_WORDS[i+1]}") ;;
				*) args+=(--state-dir "${COMP_WORDS[i+1]}") ;;
				esac
			fi ;;
		esac
	done
	# pretty-printed, a node's own id is the one six spaces in
	pp-registry show -p -q "${args[@]}" 2>/dev/null |
		sed -n 's/^      "id": "\([^"]*\)",\{0,1\}$/\1/p'
}

_pp_complete() {
	local cur prev tool spec arg
	COMPREPLY=()
	tool=${COMP_WORDS[0]##*/}
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
	# --opt=value, split by bash at '=' or not
	if [[ $cur == =* && $prev == -* ]]; then
		cur=${cur#=}
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi
	spec=$(_pp_spec "$tool")
	if [[ $prev == -* ]]; then
		# the option's long name (so that -n is --node) and placeholder
		read -r long arg < <(awk -v p="$prev" \
			'($1 == p || $2 == p) { print $2, $3; exit }' <<< "$spec")
		if [[ -n $arg && $arg != - ]]; then
			# pp-cloudinit's --node is a new node's: no existing id
			case $tool:$long:$arg in
			pp-drain:--node:*|*:NODE)
				COMPREPLY=($(compgen -W "$(_pp_node_ids)" -- "$cur")) ;;
			*:DIR)
				COMPREPLY=($(compgen -d -- "$cur")) ;;
			*:FILE|*:PATH*|*:SOURCE)
				COMPREPLY=($(compgen -f -- "$cur")) ;;
			*:TIME)
				COMPREPLY=($(date -u +%Y-%m-%dT%H:%M:%SZ)) ;;
			*:KEY=*)
				COMPREPLY=($(compgen -S = -W "$_pp_config_keys" -- "$cur"))
				compopt -o nospace 2>/dev/null ;;
			*:KEY)
				COMPREPLY=($(compgen -W "$_pp_config_keys" -- "$cur")) ;;
			*:--state:STATE)
				COMPREPLY=($(compgen -W "starting running stopping stopped" -- "$cur")) ;;
			esac
			return 0
		fi
	fi
	# pp-config's command; pp-registry's commands and their operands
	if [[ $tool == pp-config && $cur != -* ]]; then
		COMPREPLY=($(compgen -W check -- "$cur"))
		return 0
	fi
	if [[ $tool == pp-registry && $cur != -* ]]; then
		_pp_registry_words "$spec" "$cur"
		return 0
	fi
	# pp-sim's operand, the trace, is a file
	if [[ $tool == pp-sim && -n $cur && $cur != -* ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
	fi
	if [[ $cur == -* || -z $cur ]]; then
		COMPREPLY=($(compgen -W "$(awk '{ if ($1 != "-") print $1; if ($2 != "-") print $2 }' <<< "$spec")" -- "$cur"))
	fi
	return 0
}

complete -F _pp_complete pp-fleetstats
complete -F _pp_complete pp-decide
complete -F _pp_complete pp-drain
complete -F _pp_complete pp-provision
complete -F _pp_complete pp-sim
complete -F _pp_complete pp-status
complete -F _pp_complete pp-registry
complete -F _pp_complete pp-cloudinit
complete -F _pp_complete pp-config
complete -F _pp_complete pp-cycle
