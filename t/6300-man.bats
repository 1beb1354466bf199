#!/usr/bin/env bats
# The manual: every page lints clean, every tool has a page whose
# OPTIONS match its --help, and ppscale.yaml(5) documents every key.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	MAN="$TOP/share/man"
}

pages() {
	ls "$MAN"/man[157]/*.[157]
}

# Options a tool's --help lists: the -x and --long at the start of its
# option lines.
help_opts() {
	"$1" --help | sed -nE \
		's/^ +(-[A-Za-z0-9])?(, )?(--[A-Za-z0-9][A-Za-z0-9-]*)?.*/\1 \3/p' |
		tr ' ' '\n' | grep . | sort -u
}

# An awk function both page readers use: the options the Fl macros of
# the current line name, from field FIRST on, into fl[1..fl_n]. Fl
# prefixes each of its arguments with "-" up to the next macro: "Fl c ,
# Fl \-config", "Fl o , -output" and "Fl Fl dry-run" all name options.
# With OPTS set, "Ar options" is "[options]" (a SYNOPSIS stands for
# every option so).
FL_AWK='
function fl_scan(first, opts,   i, t, on, dash) {
	fl_n = 0; on = 0; dash = ""
	for (i = first; i <= NF; i++) {
		t = $i
		if (t == "Fl") {
			if (on && i > first && $(i - 1) == "Fl") dash = "-"
			on = 1; continue
		}
		if (opts && t == "Ar" && $(i + 1) ~ /^options?$/) {
			fl[++fl_n] = "[options]"; i++; continue
		}
		if (t ~ /^[A-Z][a-z][a-z]?$/) { on = 0; dash = ""; continue }
		if (!on || t == "," || t == "|") continue
		sub(/^\\-/, "-", t)
		if (t !~ /^-?[A-Za-z0-9][A-Za-z0-9-]*$/) continue
		fl[++fl_n] = "-" dash t; dash = ""
	}
}'

# Options a page documents: the Fl macros on the .It lines of OPTIONS.
man_opts() {
	awk "$FL_AWK"'
	/^\.Sh /{ on = ($2 == "OPTIONS") }
	on && /^\.It / {
		fl_scan(2, 0)
		for (i = 1; i <= fl_n; i++) print fl[i]
	}' "$1" | sort -u
}

# The options --help lists as "SHORT LONG" pairs, "-" for the form an
# option lacks: "-r --registry", "- --json".
help_pairs() {
	"$1" --help | sed -nE \
		's/^ +(-[A-Za-z0-9])?(, )?(--[A-Za-z0-9][A-Za-z0-9-]*)?.*/\1 \3/p' |
		awk 'NF == 2 { print }
		NF == 1 { print ($1 ~ /^--/ ? "- " $1 : $1 " -") }' |
		sort -u
}

# The options the usage lines of NAME's --help text (on stdin) name, as
# "SUBCOMMAND OPTION" lines: SUBCOMMAND is the first lower-case word of
# the form ("-" if none), each form with one prints "SUBCOMMAND .", and
# "[options]" stands for itself. Clusters ("-pqv") are split by flags.
usage_names() {
	awk -v name="$1" '
	function flush(   i) {
		if (cmd != "" && cmd != "-") print cmd, "."
		for (i = 1; i <= n; i++) print (cmd == "" ? "-" : cmd), got[i]
		n = 0; cmd = ""
	}
	NR == 1 && !sub(/^usage: /, "") { exit }
	# the usage ends at the first unindented line after it
	NR > 1 && /^[^ ]/ { exit }
	{
		sub(/^ +/, "")
		if ($1 == name) { flush(); $1 = "" }
		sub(/<.*/, "")	# "< document" is standard input
		for (i = 1; i <= NF; i++) {
			f = $i
			if (f ~ /^\[?(options?|OPTIONS?)\]?(\.\.\.)?$/) {
				got[++n] = "[options]"; continue
			}
			gsub(/[][]/, "", f)
			k = split(f, part, "|")
			for (j = 1; j <= k; j++) {
				p = part[j]; sub(/=.*/, "", p)
				if (p ~ /^--?[A-Za-z0-9][A-Za-z0-9-]*$/)
					got[++n] = p
				else if (cmd == "" && p ~ /^[a-z][a-z0-9-]*$/)
					cmd = k > 1 ? "-" : p
			}
		}
	}
	END { flush() }'
}

# The same for a page's SYNOPSIS: a form starts at each .Nm, its
# subcommand is the first .Cm line, "Op Ar options" is "[options]"; Fl
# works as in FL_AWK.
synopsis_names() {
	awk "$FL_AWK"'
	function flush(   i) {
		if (cmd != "" && cmd != "-") print cmd, "."
		for (i = 1; i <= n; i++) print (cmd == "" ? "-" : cmd), got[i]
		n = 0; cmd = ""
	}
	/^\.Sh /{ if (on) flush(); on = ($2 == "SYNOPSIS"); next }
	!on { next }
	/^\.Nm/ { flush(); next }
	/^\./ {
		sub(/^\./, "")
		if ($1 == "Cm" && cmd == "") cmd = $2
		fl_scan(1, 1)
		for (i = 1; i <= fl_n; i++) got[++n] = fl[i]
	}
	END { flush() }' "$1"
}

# Splits clustered short flags: "- -pqv" becomes "- -p", "- -q", "- -v".
flags() {
	awk '$2 ~ /^-[^-]./ {
		for (i = 2; i <= length($2); i++) print $1, "-" substr($2, i, 1)
		next
	} { print }' | sort -u
}

# compare_names TOOL WHAT: the "SUBCOMMAND OPTION" lines on stdin (what
# WHAT names, through flags) against the options TOOL --help lists; one
# line per disagreement. -h/--help and --version may be left out;
# "[options]" is allowed only in a tool with subcommands, and even there
# every option must be named somewhere.
compare_names() {
	local tool=$1 what=$2 name=${1##*/} s l k sub n subs= opts=
	local -A key=() label=() seen=()
	while read -r s l; do
		k=$l
		[[ $k == - ]] && k=$s
		[[ $s == - ]] || key[$s]=$k
		[[ $l == - ]] || key[$l]=$k
		label[$k]=$k
		[[ $s == - || $l == - ]] || label[$k]="$l ($s)"
	done < <(help_pairs "$tool")
	while read -r sub n; do
		[[ $sub == - ]] || subs=1
		case $n in
		.) continue ;;
		'[options]') opts=1; continue ;;
		esac
		if [[ -n ${key[$n]+x} ]]; then
			seen[${key[$n]}]=1
		else
			echo "$name: $what names $n, which --help does not list"
		fi
	done
	[[ -z $opts || -n $subs ]] ||
		echo "$name: $what says [options] where it should name them"
	for k in "${!label[@]}"; do
		case $k in --help|--version) continue ;; esac
		[[ -n ${seen[$k]+x} ]] ||
			echo "$name: $what leaves out ${label[$k]}"
	done | sort
}

# subcommand_diff NAME PAGE: the forms with a subcommand in NAME's usage
# (--help text on stdin) against those in PAGE's SYNOPSIS, option by
# option.
subcommand_diff() {
	diff <(usage_names "$1" | flags | grep -v '^- ') \
		<(synopsis_names "$2" | flags | grep -v '^- ') | sed -nE \
		-e "s/^< ([^ ]+) \\.\$/$1 \\1: a form only in the usage/p" \
		-e "s/^> ([^ ]+) \\.\$/$1 \\1: a form only in the SYNOPSIS/p" \
		-e "s/^< ([^ ]+) /$1 \\1: only in the usage line: /p" \
		-e "s/^> ([^ ]+) /$1 \\1: only in the SYNOPSIS: /p"
}

@test "every page passes mandoc -Tlint" {
	local page out bad=
	for page in $(pages); do
		out=$(mandoc -Tlint "$page" 2>&1) || true
		# cross-references to ppscale's own pages resolve once installed
		# cross-references to ppscale's own pages resolve once installed;
		# whether other packages' pages (cloud-init(1), nft(8)) are in
		# this machine's man database says nothing about our pages
		out=$(grep -vE 'referenced manual not found: Xr (pp-[a-z]+ 1|ppscale\.yaml 5|ppscale-registry 5|ppscale 7|cloud-init 1|nft 8)|outdated mandoc\.db lacks (cloud-init\(1\)|nft\(8\)) entry' <<< "$out" || true)
		[[ -z "$out" ]] || bad+="$out"$'\n'
	done
	[[ -z "$bad" ]] || fail "mandoc -Tlint: $bad"
}

@test "every page has the sections an operator looks for" {
	local page s
	for page in $(pages); do
		for s in NAME SYNOPSIS DESCRIPTION FILES ENVIRONMENT \
		    "EXIT STATUS" EXAMPLES "SEE ALSO"; do
			grep -qx ".Sh $s" "$page" || fail "$page lacks $s"
		done
	done
	for page in "$MAN"/man1/*.1; do
		grep -qx ".Sh OPTIONS" "$page" || fail "$page lacks OPTIONS"
	done
}

@test "every tool has a man page" {
	local tool missing=
	for tool in "$BUILD"/bin/*; do
		[[ -f "$MAN/man1/$(basename "$tool").1" ]] ||
			missing+=" $(basename "$tool")"
	done
	[[ -z "$missing" ]] || fail "no share/man/man1 page for:$missing"
}

@test "every option a tool's --help lists is in its man page, and the reverse" {
	local tool name page diffs=
	for tool in "$BUILD"/bin/*; do
		name=$(basename "$tool")
		page="$MAN/man1/$name.1"
		[[ -f "$page" ]] || { diffs+="$name: no man page"$'\n'; continue; }
		[[ -n $(help_opts "$tool") ]] || diffs+="$name: --help lists no options"$'\n'
		d=$(diff <(help_opts "$tool") <(man_opts "$page") |
			sed -nE "s/^< /$name: only in --help: /p; s/^> /$name: only in the man page: /p")
		[[ -z "$d" ]] || diffs+="$d"$'\n'
	done
	[[ -z "$diffs" ]] || fail "$diffs"
}

@test "the option comparison notices a missing option" {
	# the check itself must be able to fail
	sed '/^\.It Fl \\-state-dir/,+1d' "$MAN/man1/pp-status.1" > "$BATS_TEST_TMPDIR/p.1"
	run diff <(help_opts pp-status) <(man_opts "$BATS_TEST_TMPDIR/p.1")
	assert_failure
	assert_output --partial "< --state-dir"
}

# "OPTION yes|no" for each option --help lists: whether it takes a
# value (a placeholder such as FILE, DUR or NxGB follows its names).
help_args() {
	"$1" --help | awk '/^ +-/ {
		n = 0; a = "no"
		for (i = 1; i <= NF; i++) {
			x = $i; sub(/,$/, "", x)
			if (x ~ /^--?[A-Za-z0-9][A-Za-z0-9-]*$/) { o[++n] = x; continue }
			if (x ~ /^[A-Z][A-Z0-9_|=.:,]*$/ || x ~ /^[A-Z]+x[A-Z]+$/)
				a = "yes"
			break
		}
		for (i = 1; i <= n; i++) print o[i], a
	}' | sort -u
}

# The same for a page: the options on the .It lines of OPTIONS, "yes"
# where the line has an Ar.
man_args() {
	awk "$FL_AWK"'
	/^\.Sh /{ on = ($2 == "OPTIONS") }
	on && /^\.It / {
		fl_scan(2, 0)
		a = / Ar / ? "yes" : "no"
		for (i = 1; i <= fl_n; i++) print fl[i], a
	}' "$1" | sort -u
}

@test "an option takes a value in its man page when it does in --help, and no option line of --help is a wrapped line" {
	local tool name page diffs= d
	for tool in "$BUILD"/bin/*; do
		name=$(basename "$tool")
		page="$MAN/man1/$name.1"
		d=$(diff <(help_args "$tool") <(man_args "$page") |
			sed -nE "s/^< /$name: --help: /p; s/^> /$name: man page: /p")
		[[ -z "$d" ]] || diffs+="$d"$'\n'
		# a wrapped line starting with an option would be read as
		# that option's line, here and by the completions
		d=$("$tool" --help | grep -nE '^ {20,}-' || true)
		[[ -z "$d" ]] || diffs+="$name: a wrapped line starts with an option: $d"$'\n'
	done
	[[ -z "$diffs" ]] || fail "$diffs"
	# the check itself can fail
	sed 's/^\(\.It Fl \\-state-dir\) Ar dir$/\1/' \
		"$MAN/man1/pp-status.1" > "$BATS_TEST_TMPDIR/p.1"
	run diff <(help_args pp-status) <(man_args "$BATS_TEST_TMPDIR/p.1")
	assert_failure
	assert_output --partial "> --state-dir no"
}

# every_tool WHAT: compare_names on every tool, for its usage line
# (WHAT "the usage line") or its page's SYNOPSIS ("the SYNOPSIS").
every_tool() {
	local tool name diffs= d
	for tool in "$BUILD"/bin/*; do
		name=$(basename "$tool")
		if [[ $1 == "the usage line" ]]; then
			d=$("$tool" --help | usage_names "$name")
		else
			d=$(synopsis_names "$MAN/man1/$name.1")
		fi
		d=$(flags <<< "$d" | compare_names "$tool" "$1" | sort -u)
		[[ -z "$d" ]] || diffs+="$d"$'\n'
	done
	[[ -z "$diffs" ]] || fail "$diffs"
}

@test "every tool's usage line names the options its --help lists, and no others" {
	every_tool "the usage line"
}

@test "every page's SYNOPSIS names the options its tool's --help lists, and no others" {
	every_tool "the SYNOPSIS"
}

@test "each subcommand has the same options in its usage form and its SYNOPSIS form" {
	local tool name diffs= d
	for tool in "$BUILD"/bin/*; do
		name=$(basename "$tool")
		d=$("$tool" --help |
			subcommand_diff "$name" "$MAN/man1/$name.1")
		[[ -z "$d" ]] || diffs+="$d"$'\n'
	done
	[[ -z "$diffs" ]] || fail "$diffs"
}

@test "the usage and SYNOPSIS comparison notices a bogus and a missing option" {
	# the checks themselves must be able to fail
	run compare_names "$BUILD/bin/pp-status" "the usage line" < <(
		pp-status --help | sed '1s/\[--json\]/[--frob]/' |
		usage_names pp-status | flags)
	assert_output --partial \
		"pp-status: the usage line names --frob, which --help does not list"
	assert_output --partial "pp-status: the usage line leaves out --json"
	sed -e 's/^\.Op Fl \\-json$/.Op Fl \\-frob/' \
		"$MAN/man1/pp-status.1" > "$BATS_TEST_TMPDIR/p.1"
	run compare_names "$BUILD/bin/pp-status" "the SYNOPSIS" < <(
		synopsis_names "$BATS_TEST_TMPDIR/p.1" | flags)
	assert_output --partial \
		"pp-status: the SYNOPSIS names --frob, which --help does not list"
	assert_output --partial "pp-status: the SYNOPSIS leaves out --json"
	# [options] is a finding where there are no subcommands
	run compare_names "$BUILD/bin/pp-status" "the usage line" < <(
		printf 'usage: pp-status [options]\n' | usage_names pp-status)
	assert_output --partial "pp-status: the usage line says [options]"
	# and a subcommand's form that lost an option
	sed '/^\.Op Fl \\-ram Ar mb$/d' "$MAN/man1/pp-registry.1" \
		> "$BATS_TEST_TMPDIR/r.1"
	run subcommand_diff pp-registry "$BATS_TEST_TMPDIR/r.1" < <(
		pp-registry --help)
	assert_output "pp-registry set: only in the usage line: --ram"
}

@test "ppscale.yaml(5) documents every configuration key with its default" {
	local page="$MAN/man5/ppscale.yaml.5" missing=
	[[ $("$BUILD/unit/config_keys" | wc -l) -gt 50 ]]
	# IFS=$'\t' would merge the empty default of a list into the help
	while IFS='|' read -r key type def help seed; do
		if [[ $type == section ]]; then
			grep -qx ".Ss $key" "$page" || missing+=" $key(section)"
			continue
		fi
		block=$(awk -v k=".It Cm $key " 'index($0, k) == 1 { on = 1; print; next }
			on && /^\.(It|El)/ { exit } on' "$page")
		[[ -n "$block" ]] || { missing+=" $key"; continue; }
		case $def in
		-) want="Default: unset." ;;
		builtin) want="Default: built in" ;;
		'')
			if [[ $type == *mapping* ]]; then
				want=".Ql {}"
			else
				want=".Ql []"
			fi ;;
		*)
			if [[ $type == *list* ]]; then
				want=".Ql [${def//,/, }]"
			else
				want=".Ql $def"
			fi ;;
		esac
		[[ $block == *"$want"* ]] || missing+=" $key(default '$want')"
		# where the seed profile differs, the page says so too
		if [[ -n $seed ]]; then
			want=".Ql $seed"
			[[ $seed == - ]] && want="unset"
			[[ $block == *"$want"* && $block == *"seed"* ]] ||
				missing+=" $key(seed '$want')"
		fi
	done < <("$BUILD/unit/config_keys" | tr '\t' '|')
	[[ -z "$missing" ]] || fail "ppscale.yaml.5 lacks:$missing"
}

@test "ppscale-registry(5) states the lock file and the timeouts the code uses" {
	local page="$MAN/man5/ppscale-registry.5" wait hold
	wait=$(cat "$TOP"/lib/store/registry*.c |
		sed -nE 's/^#define LOCK_TIMEOUT ([0-9]+)\.0$/\1/p')
	hold=$(sed -nE 's/^#define DELETE_LOCK_BUDGET ([0-9]+)\.0$/\1/p' \
		"$TOP/lib/run/provision_int.h")
	[[ -n $wait && -n $hold ]] || fail "timeouts not found in the source"
	grep -q "waits up to $wait seconds for the lock" "$page" ||
		fail "the page does not say readers and writers wait $wait s"
	grep -qE "up to $hold\$" "$page" ||
		fail "the page does not say a delete holds the lock up to $hold s"
	grep -q '^\.Pa <registry>\.lock$' "$page"
	grep -qx '\.Xr ppscale-registry 5 ,' "$MAN/man7/ppscale.7"
}

@test "no page renders nested quotes (a Ql inside a Ql)" {
	local page bad=
	for page in $(pages); do
		# two opening quotes before a closing one: `a, `b''
		if mandoc -Tascii "$page" | grep -nE "\`[^\`']*\`" >/dev/null; then
			bad+=" $page"
		fi
	done
	[[ -z "$bad" ]] || fail "nested quotes in:$bad"
	# the check itself can fail
	printf '.Dd x\n.Dt X 1\n.Sh DESCRIPTION\nkeys\n.Ql a , Ql b\n' |
		mandoc -Tascii | grep -qE "\`[^\`']*\`"
}

# The event types the tools emit: the type a call of pp_event,
# pp_event_node or a tool's wrapper of them (pp_dr_event, pp_prov_event,
# pp-decide's event) passes, a literal or a PP_EV_ macro of
# store/events.h. A call that passes anything else (but a wrapper's own
# "type") is printed as "unknown: CALL", so that a type the grep cannot
# see fails the test rather than slipping by.
emitted_types() {
	local calls
	calls=$(cat "$TOP"/lib/*/*.c | tr -s '\n\t' '  ' |
		grep -oE '[A-Za-z_]*event(_node)?\( *([&a-z>_-]+, *)?[^,()]*,' |
		sed -E 's/, *$//')
	grep -oE '"[a-z_]+\.[a-z_]+"$' <<<"$calls" | tr -d '"'
	grep -oE 'PP_EV_[A-Z_]+$' <<<"$calls" | while read -r m; do
		sed -nE "s/^#define $m +\"([^\"]+)\"\$/\\1/p" \
			"$TOP/lib/store/events.h"
	done
	grep -vE '"[a-z_]+\.[a-z_]+"$|PP_EV_[A-Z_]+$|\(type(, *[a-z_]+)?$|\((const char|struct) ' \
		<<<"$calls" | sed 's/^/unknown: /'
}

# The types ppscale(7) lists: the .It Cm lines of its Events subsection.
listed_types() {
	awk '/^\.S[hs] /{ on = ($0 == ".Ss Events") } on && /^\.It Cm / { print $3 }' \
		"$MAN/man7/ppscale.7"
}

@test "ppscale(7) lists every event type a tool emits, and no other" {
	local emitted listed t
	emitted=$(emitted_types | sort -u)
	listed=$(listed_types | sort -u)
	# the grep sees each way a type is passed: pp-decide's event, the
	# two wrappers, pp_event_node and pp_event with a macro
	for t in scaling.clipped drain.blocked node.added cloud.refused \
	    scaling.failed; do
		grep -qx "$t" <<<"$emitted" || fail "the grep misses $t"
	done
	[[ $(wc -l <<<"$listed") -ge 10 ]] || fail "listed: $listed"
	run diff <(echo "$emitted") <(echo "$listed")
	[[ $status == 0 ]] || fail "emitted (<) against ppscale.7 (>):
$output"
}

# The sections of the state file: the keys the store modules and the
# tools' bodies read and write in a state root (the registry's own root
# left out), and a module's SECTION.
state_sections() {
	ls "$TOP"/lib/store/*.c "$TOP"/lib/run/*.c |
		grep -vE '/store/(registry_|regpg)' | xargs cat | grep -oE '(root|pp_state_section\([a-z]+), "[a-z_]+"|^#define SECTION "[a-z_]+"' |
		grep -oE '"[a-z_]+"' | tr -d '"' | sort -u
}

@test "ppscale(7) lists every section of the state file, and no other" {
	local found listed
	found=$(state_sections)
	listed=$(awk '/^\.It Pa .*state\.json$/ { on = 1; next }
		on && /^\.El/ { exit } on && /^\.It Cm / { print $3 }' \
		"$MAN/man7/ppscale.7" | sort -u)
	for t in decide cost unrecorded_moves protected_orphans off_servers counters; do
		grep -qx "$t" <<<"$found" || fail "the grep misses $t"
	done
	run diff <(echo "$found") <(echo "$listed")
	[[ $status == 0 ]] || fail "in the code (<) against ppscale.7 (>):
$output"
}

# The statuses a page's EXIT STATUS lists as items (".It 75") beyond
# the 0, 1 and 2 every tool shares.
own_statuses() {
	awk '/^\.Sh /{ on = ($0 == ".Sh EXIT STATUS") }
		on && /^\.It [0-9]+$/ && $2 > 2 { print $2 }' "$1"
}

# The sentences of the text on stdin, one a line.
sentences() {
	tr '\n' ' ' | sed -E 's/([.]) +/\1\n/g'
}

@test "ppscale(7) and the README name each exit status a tool adds to 0, 1 and 2" {
	local page name s seven readme bad=
	seven=$(awk '/^\.Sh /{ on = ($0 == ".Sh EXIT STATUS") } on' \
		"$MAN/man7/ppscale.7" | sentences)
	readme=$(awk '/^## /{ on = ($0 == "## Exit status") } on' \
		"$TOP/README.md" | sentences)
	# the extraction itself finds them
	[[ $(own_statuses "$MAN/man1/pp-cycle.1" | tr '\n' ' ') == *75* ]]
	[[ $(own_statuses "$MAN/man1/pp-status.1") == 3 ]]
	for page in "$MAN"/man1/*.1; do
		name=$(basename "$page" .1)
		for s in $(own_statuses "$page"); do
			# one sentence names both the tool and the status
			grep "$name" <<< "$seven" |
				grep -qE "(^|[^0-9])$s([^0-9]|\$)" ||
				bad+=" ppscale.7:$name:$s"
			grep "$name" <<< "$readme" |
				grep -qE "(^|[^0-9])$s([^0-9]|\$)" ||
				bad+=" README.md:$name:$s"
		done
	done
	[[ -z $bad ]] || fail "exit statuses not named:$bad"
}

@test "a page that says where -c's file defaults to says all of what --help does" {
	local page name block want bad=
	for page in "$MAN"/man1/*.1; do
		name=$(basename "$page" .1)
		block=$(awk "$FL_AWK"'
			/^\.Sh /{ on = ($2 == "OPTIONS") }
			on && /^\.It / {
				fl_scan(2, 0); blk = 0
				for (i = 1; i <= fl_n; i++)
					if (fl[i] == "--config") blk = 1
			}
			on && blk' "$page")
		[[ -n $block ]] || { bad+=" $name:no --config item"; continue; }
		# a page that names no default leaves it to ENVIRONMENT and FILES
		grep -qE 'PP_CONFIG|default|else' <<< "$block" || continue
		for want in PP_CONFIG /etc/ppscale/ppscale.yaml "built-in defaults"; do
			"$BUILD/bin/$name" --help | tr -s ' \n' '  ' |
				grep -qF -- "$want" || fail "$name --help lacks $want"
			grep -qF -- "$want" <<< "$block" || bad+=" $name:$want"
		done
	done
	[[ -z $bad ]] || fail "-c items missing:$bad"
}

@test "every tool's page points to the overview, ppscale(7), and to ppscale.yaml(5)" {
	local page also bad=
	for page in "$MAN"/man1/*.1; do
		also=$(awk '/^\.Sh /{ on = ($0 == ".Sh SEE ALSO") } on' "$page")
		grep -qx '\.Xr ppscale 7\( ,\)\{0,1\}' <<< "$also" ||
			bad+=" $(basename "$page"):ppscale(7)"
		grep -qx '\.Xr ppscale\.yaml 5\( ,\)\{0,1\}' <<< "$also" ||
			bad+=" $(basename "$page"):ppscale.yaml(5)"
	done
	[[ -z $bad ]] || fail "SEE ALSO lacks:$bad"
}

@test "--help says --now is not used by exactly the tools whose page says so" {
	local page name item help bad=
	for page in "$MAN"/man1/*.1; do
		name=$(basename "$page" .1)
		item=$(awk '/^\.It Fl (\\-|Fl )now/ { on = 1; next }
			on && /^\.It / { exit } on' "$page" | tr '\n' ' ')
		[[ -n $item ]] || { bad+=" $name:no --now item"; continue; }
		help=$("$name" --help | grep -E '^ +--now ')
		if [[ $item == *'accepted like every tool'* ]]; then
			[[ $help == *'not used'* && $help != *clock* ]] ||
				bad+=" $name:'$help'"
		else
			[[ $help == *'the clock'* ]] || bad+=" $name:'$help'"
		fi
	done
	[[ -z $bad ]] || fail "--now in --help and the page differ:$bad"
}

@test "pp-cycle --help names every exit status its page lists" {
	local s help bad=
	help=$(pp-cycle --help | tr '\n' ' ')
	for s in $(awk '/^\.Sh /{ on = ($0 == ".Sh EXIT STATUS") }
	    on && /^\.It [0-9]+$/ { print $2 }' "$MAN/man1/pp-cycle.1"); do
		grep -qE "(^|[^0-9])$s([^0-9]|\$)" <<<"$help" || bad+=" $s"
	done
	[[ $bad == '' ]] || fail "pp-cycle --help lacks exit status:$bad"
	[[ $help == *'128 + N'* ]]
}
