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

# Options a page documents: the Fl macros on the .It lines of OPTIONS.
man_opts() {
	# Fl prefixes each of its arguments with "-" up to the next macro:
	# "Fl c , Fl \-config", "Fl o , -output" and "Fl Fl dry-run" all
	# name options
	awk '/^\.Sh /{ on = ($2 == "OPTIONS") }
	on && /^\.It / {
		fl = 0; dash = ""
		for (i = 2; i <= NF; i++) {
			t = $i
			if (t == "Fl") {
				if (fl && i > 2 && $(i - 1) == "Fl") dash = "-"
				fl = 1; continue
			}
			if (t ~ /^[A-Z][a-z][a-z]?$/) { fl = 0; dash = ""; continue }
			if (!fl || t == "," || t == "|") continue
			sub(/^\\-/, "-", t)
			if (t !~ /^-?[A-Za-z0-9][A-Za-z0-9-]*$/) continue
			print "-" dash t; dash = ""
		}
	}' "$1" | sort -u
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
	wait=$(sed -nE 's/^#define LOCK_TIMEOUT ([0-9]+)\.0$/\1/p' \
		"$TOP/lib/store/registry_file.c")
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
