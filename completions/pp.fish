# fish completion for the ppscale tools.
#
# As in pp.bash: options come from each tool's --help; an option's
# argument is completed by its placeholder (FILE, PATH, DIR, TIME, KEY,
# KEY=VALUE), and pp-drain's --node and any NODE by the registry's node
# ids read through pp-registry show; pp-registry's commands, then a node id, and
# status's ready or unhealthy; pp-sim's trace is a file.

# Every configuration key (t/6400-completion.bats keeps this in step
# with lib/conf/config.c).
set -g __pp_config_keys profile state_dir registry timezone holidays cloud.provider cloud.token_file cloud.endpoint cloud.locations cloud.image cloud.architecture cloud.ssh_keys cloud.networks cloud.firewalls cloud.placement_group cloud.placement_group_limit cloud.labels cloud.label_key cloud.label_value cloud.pool cloud.name_prefix cloud.reserved_ram_mb cloud.min_usable_ram_mb cloud.server_types cloud.type_choice cloud.reconcile cloud.catalog_ttl cloud.boot_timeout cloud.join_timeout cloud.ready_check cloud.health_url cloud.refusal_ttl cloud.orphan_grace cloud.orphan_delete_max cloud.connect_timeout cloud.request_timeout cloud.action_timeout cloud.poll_interval cloud.retries cloud.retry_base cloud.retry_max cloud.rate_reserve cloud.deadline cloud.local.file cloud.local.boot_seconds cloud.local.server_limit cloud.local.agent_joins cloud.catalog cloud_init.template cloud_init.agent_version cloud_init.agent_url cloud_init.conductor_url cloud_init.conductor_addresses cloud_init.join_token_file cloud_init.join_token_command cloud_init.join_token_timeout cloud_init.agent_sha256 cloud_init.agent_port cloud_init.game_ports cloud_init.ssh_sources policies.reactive.enabled policies.reactive.priority policies.reactive.up_threshold policies.reactive.down_threshold policies.reactive.cooldown policies.reactive.down_window policies.reactive.down_after_up policies.reactive.urgency_high policies.reactive.urgency_critical policies.reactive.down_margin policies.spare.enabled policies.spare.priority policies.spare.min_spares policies.spare.max_spares policies.spare.schedule policies.spare.type_choice policies.unneeded.enabled policies.unneeded.priority policies.unneeded.utilisation policies.unneeded.hold policies.unneeded.billing_window policies.unneeded.hold_after_up policies.unneeded.unhealthy_after policies.headroom.enabled policies.headroom.priority policies.headroom.slots policies.headroom.slot_ram_mb policies.headroom.memory policies.headroom.rise_window policies.headroom.max_slots policies.headroom.down_slots policies.headroom.lead policies.headroom.lead_margin_mb policies.headroom.step_window policies.headroom.step_margin_mb policies.predictive.enabled policies.predictive.priority policies.predictive.threshold policies.predictive.horizon policies.predictive.provisioning_time policies.predictive.margin limits.min_cloud_nodes limits.max_cloud_nodes limits.max_hourly_eur drain.deadline drain.move_command drain.move_timeout drain.player_grace events.file events.webhook_url events.webhook_timeout events.webhook_retries control.database metrics.textfile history.retention forecast.url forecast.timeout forecast.horizons

# "SHORT LONG ARG" per option of tool $argv[1], "-" for an absent field.
function __pp_spec --argument-names tool
    command -q $tool; or return
    $tool --help 2>/dev/null | awk '
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
        }'
end

# The node ids of the registry the command line points at.
function __pp_node_ids
    set -l tokens (commandline -opc)
    set -l args
    set -l n (count $tokens)
    for i in (seq 2 (math $n - 1))
        set -l v $tokens[(math $i + 1)]
        switch $tokens[$i]
            case -c --config
                set -a args --config $v
            case -r --registry
                set -a args --registry $v
            case --state-dir
                set -a args --state-dir $v
        end
    end
    pp-registry show -p -q $args 2>/dev/null |
        string replace -rf '^      "id": "([^"]*)",?$' '$1'
end

# pp-registry's commands, and what each one's operands are: the words
# before the current one that are neither options nor their arguments
# say which ($argv is the spec).
function __pp_registry_words
    set -l withargs
    for line in $argv
        set -l f (string split ' ' -- $line)
        if test "$f[3]" != -
            test "$f[1]" != -; and set -a withargs $f[1]
            test "$f[2]" != -; and set -a withargs $f[2]
        end
    end
    set -l tokens (commandline -opc)
    set -l ops
    set -l skip 0
    for i in (seq 2 (count $tokens))
        set -l w $tokens[$i]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case '--*=*'
            case '-*'
                contains -- $w $withargs; and set skip 1
            case '*'
                set -a ops $w
        end
    end
    set -l n (count $ops)
    set -l first "$ops[1]"
    switch "$n:$first"
        case '0:*'
            printf '%s\n' show place remove set status import
        case 1:show 1:place 1:remove 1:set 1:status
            __pp_node_ids
        case 1:import
            __fish_complete_path (commandline -ct)
        case 2:status
            printf '%s\n' ready unhealthy
    end
end

function __pp_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l tool (string replace -r '.*/' '' -- $tokens[1])
    set -l prev $tokens[-1]
    set -l spec (__pp_spec $tool)
    for line in $spec
        set -l f (string split ' ' -- $line)
        if test "$f[3]" != -; and contains -- "$prev" $f[1] $f[2]
            # pp-cloudinit's --node is a new node's: no existing id
            switch "$tool:$f[2]:$f[3]"
                case 'pp-drain:--node:*' '*:NODE'
                    __pp_node_ids
                case '*:DIR'
                    __fish_complete_directories $cur
                case '*:FILE' '*:PATH*' '*:SOURCE'
                    __fish_complete_path $cur
                case '*:TIME'
                    date -u +%Y-%m-%dT%H:%M:%SZ
                case '*:KEY=*'
                    printf '%s=\n' $__pp_config_keys
                case '*:KEY'
                    printf '%s\n' $__pp_config_keys
                case '*:--state:STATE'
                    printf '%s\n' starting running stopping stopped
            end
            return
        end
    end
    if test "$tool" = pp-config; and not string match -q -- '-*' "$cur"
        echo check
        return
    end
    if test "$tool" = pp-registry; and not string match -q -- '-*' "$cur"
        __pp_registry_words $spec
        return
    end
    # pp-sim's operand, the trace, is a file
    if test "$tool" = pp-sim; and test -n "$cur"; and not string match -q -- '-*' "$cur"
        __fish_complete_path $cur
        return
    end
    if string match -q -- '-*' "$cur"
        for line in $spec
            set -l f (string split ' ' -- $line)
            test "$f[1]" != -; and echo $f[1]
            test "$f[2]" != -; and echo $f[2]
        end
    end
end

for t in pp-fleetstats pp-decide pp-drain pp-provision pp-sim pp-status pp-cloudinit pp-config pp-registry pp-cycle
    complete -c $t -f -a '(__pp_complete)'
end
