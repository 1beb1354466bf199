#!/usr/bin/env bats
# make install puts exactly our files where the system looks for them;
# make uninstall takes exactly those away again.

bats_require_minimum_version 1.5.0

setup() {
	load 'test_helper/common'
	pp_isolate
	DEST="$BATS_TEST_TMPDIR/dest"
	# use the tree this suite runs against, built with the same flags
	MAKEARGS=(-s -C "$TOP" BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr)
	[[ $BUILD == */san ]] && MAKEARGS+=(SANITIZE=1)
	TOOLS=$(cd "$BUILD/bin" && ls)
}

# What install must put there, one path a line, sorted.
expected() {
	local t f
	for t in $TOOLS; do
		echo "/usr/bin/$t"
		echo "/usr/share/bash-completion/completions/$t"
		echo "/usr/share/fish/vendor_completions.d/$t.fish"
	done
	echo /usr/share/zsh/site-functions/_pp
	for f in "$TOP"/share/man/man[157]/*; do
		echo "/usr/share/man/$(basename "$(dirname "$f")")/$(basename "$f")"
	done
	echo /usr/share/ppscale/ppscale.yaml.example
	echo /usr/share/ppscale/registry.json.example
	echo /usr/share/ppscale/cloud.json.example
	echo /usr/share/ppscale/ppscale-alerts.yml
	echo /usr/share/ppscale/ppscale.service
	echo /usr/share/ppscale/ppscale.timer
	echo /usr/share/ppscale/ppscale.cron
	echo /usr/share/ppscale/registry.sql
	for f in "$TOP"/share/*.tmpl "$TOP"/share/cloud-init/*.tmpl; do
		[[ -e $f ]] && echo "/usr/share/ppscale/$(basename "$f")"
	done
	true
}

installed() {
	(cd "$DEST" && find . \( -type f -o -type l \) | sed 's/^\.//' | sort)
}

@test "make install puts exactly the expected files under DESTDIR and PREFIX" {
	run make "${MAKEARGS[@]}" install
	assert_success
	diff <(expected | sort) <(installed)
}

@test "installed files have the right modes and the tools run" {
	make "${MAKEARGS[@]}" install
	[[ $(stat -c %a "$DEST/usr/bin/pp-fleetstats") == 755 ]]
	[[ $(stat -c %a "$DEST/usr/share/man/man1/pp-fleetstats.1") == 644 ]]
	[[ $(stat -c %a "$DEST/usr/share/ppscale/ppscale.yaml.example") == 644 ]]
	run "$DEST/usr/bin/pp-status" --version
	assert_success
	assert_output --partial "pp-status (ppscale)"
	# the installed completion is the source tree's
	cmp "$DEST/usr/share/bash-completion/completions/pp-status" \
		"$TOP/completions/pp.bash"
}

@test "the installed example config is a valid configuration" {
	make "${MAKEARGS[@]}" install
	run --separate-stderr pp-fleetstats \
		-c "$DEST/usr/share/ppscale/ppscale.yaml.example" --no-record \
		-r "$TOP/share/examples/registry.json"
	assert_success
	jq_is .version 1
}

# The README's road: make install PREFIX=X, copy the example config and
# fleet, check the config, a dry run of the whole pipeline and a
# cloud-init preview; all without PP_SHARE_DIR, from another directory.
@test "installed under another PREFIX, the README's first dry run and preview work" {
	local prefix="$BATS_TEST_TMPDIR/opt/pp" state="$BATS_TEST_TMPDIR/var"
	run make -s -C "$TOP" BUILD="$BUILD" PREFIX="$prefix" \
		$([[ $BUILD == */san ]] && echo SANITIZE=1) install
	assert_success
	unset PP_SHARE_DIR PP_STATE_DIR
	export PATH="$prefix/bin:$PATH"
	[[ $(command -v pp-cloudinit) == "$prefix/bin/pp-cloudinit" ]]
	mkdir -p "$state"
	sed "s|^state_dir: .*|state_dir: $state|" \
		"$prefix/share/ppscale/ppscale.yaml.example" > "$PP_CONFIG"
	cp "$prefix/share/ppscale/registry.json.example" "$state/registry.json"
	cp "$prefix/share/ppscale/cloud.json.example" "$state/cloud.json"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr pp-config check
	assert_success
	run --separate-stderr pp-cloudinit --node pp-first
	assert_success
	assert_output --partial "#cloud-config"
	assert_output --partial "PP_JOIN_TOKEN='<redacted>'"
	run --separate-stderr bash -c 'pp-fleetstats --dry-run --now 2026-11-27T18:00:00Z |
		pp-decide --dry-run --now 2026-11-27T18:00:00Z |
		pp-drain --dry-run --now 2026-11-27T18:00:00Z |
		pp-provision --dry-run --now 2026-11-27T18:00:00Z'
	assert_success
	jq_is .version 1
	jq_is .provision.dry_run true
	# a dry run leaves the state as it found it
	run ls "$state"
	assert_output $'cloud.json\nregistry.json'
	# the template came from the PREFIX, not from a data directory this
	# machine happens to have
	grep -qF "$prefix/share/ppscale" "$prefix/bin/pp-provision"
	grep -qF "$prefix/share/ppscale" "$prefix/bin/pp-cloudinit"
	# and no tool keeps the DATADIR of the build before install, which
	# the "apply DATADIR/registry.sql" hint of lib/store/pg.c once did
	grep -qF /usr/local/share/ppscale "$BUILD/bin/pp-cycle"
	run grep -lF /usr/local/share/ppscale "$prefix"/bin/*
	assert_failure 1
	assert_output ""
}

# The commands a line runs by name: the tools, and flock and bash
run_by_name() {
	grep -oE '(^|[^-/a-z])(pp-[a-z]+|flock|bash)\b' | sed 's/^[^a-z]//' |
		sort -u
}

# cron runs the line with the file's PATH and nothing else, systemd with
# the unit's Environment=PATH= or its own default: under another PREFIX
# both must find this install's tools.
@test "installed under another PREFIX, the cron file's PATH and the service's find this install's tools" {
	# systemd is in .ci/packages (t/9010 verifies the units with it)
	command -v systemd-path >/dev/null ||
		fail "systemd-path is not installed (package systemd)"
	local prefix="$BATS_TEST_TMPDIR/opt/pp" data path cmd c
	run make -s -C "$TOP" BUILD="$BUILD" PREFIX="$prefix" \
		$([[ $BUILD == */san ]] && echo SANITIZE=1) install
	assert_success
	data="$prefix/share/ppscale"

	path=$(sed -n 's/^PATH=//p' "$data/ppscale.cron")
	[[ -n $path ]] || fail "the installed cron file sets no PATH"
	cmd=$(grep '^\*/2' "$data/ppscale.cron")
	[[ $(run_by_name <<<"$cmd" | grep -c '^pp-') == 4 ]] ||
		fail "not the four tools: $cmd"
	for c in $(run_by_name <<<"$cmd"); do
		run -0 env -i PATH="$path" sh -c "command -v $c"
		[[ $c != pp-* ]] || assert_output "$prefix/bin/$c"
	done

	path=$(sed -n 's/^Environment=PATH=//p' "$data/ppscale.service")
	[[ -n $path ]] || path=$(systemd-path search-binaries-default)
	cmd=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$data/ppscale.service")
	[[ $(run_by_name <<<"$cmd" | grep -c '^pp-') == 4 ]] ||
		fail "not the four tools: $cmd"
	for c in $(run_by_name <<<"$cmd" | grep '^pp-'); do
		run -0 env -i PATH="$path" sh -c "command -v $c"
		assert_output "$prefix/bin/$c"
	done
	run systemd-analyze verify --man=no "$data/ppscale.service" \
		"$data/ppscale.timer"
	assert_success

	# nothing else changed, and uninstall takes both away
	diff <(grep -v '^PATH=' "$data/ppscale.cron") \
		<(grep -v '^PATH=' "$TOP/share/cron/ppscale.cron")
	diff <(grep -v '^Environment=PATH=' "$data/ppscale.service") \
		"$TOP/share/systemd/ppscale.service"
	run make -s -C "$TOP" BUILD="$BUILD" PREFIX="$prefix" \
		$([[ $BUILD == */san ]] && echo SANITIZE=1) uninstall
	assert_success
	[[ ! -e $data/ppscale.cron && ! -e $data/ppscale.service ]]
}

# The PATH line names BINDIR (made absolute), which need not be under
# PREFIX; ppscale(7) says so.
@test "a BINDIR outside PREFIX is the one the cron file's PATH and the service's hold, as ppscale(7) says" {
	local prefix="$BATS_TEST_TMPDIR/opt/pp" bindir="$BATS_TEST_TMPDIR/tools"
	local data="$prefix/share/ppscale" path
	run make -s -C "$TOP" BUILD="$BUILD" PREFIX="$prefix" BINDIR="$bindir" \
		$([[ $BUILD == */san ]] && echo SANITIZE=1) install
	assert_success
	[[ -x $bindir/pp-cycle && ! -e $prefix/bin ]]
	path=$(sed -n 's/^PATH=//p' "$data/ppscale.cron")
	[[ $path == "$bindir:"* ]] || fail "cron PATH: $path"
	path=$(sed -n 's/^Environment=PATH=//p' "$data/ppscale.service")
	[[ $path == "$bindir:"* ]] || fail "service PATH: $path"
	run bash -c "mandoc -Tascii '$prefix/share/man/man7/ppscale.7' |
		col -b | tr -s ' \t\n' '   '"
	assert_success
	assert_output --partial "The installed cron file and service have the tools' directory, BINDIR (PREFIX/bin by default)"
	run make -s -C "$TOP" BUILD="$BUILD" PREFIX="$prefix" BINDIR="$bindir" \
		$([[ $BUILD == */san ]] && echo SANITIZE=1) uninstall
	assert_success
}

# install writes BINDIR into the cron file's PATH line with sed and the
# shell: an & there was replaced by the match, a | or ' broke the
# command, a : or a blank split the PATH. Such a BINDIR is refused before
# anything is written, whether it comes from PREFIX or BINDIR.
@test "make install refuses a BINDIR it cannot write into a PATH line, and writes nothing" {
	local bad var
	for bad in '&' '|' "'" '"' ':' '\' '%' ' '; do
		for var in PREFIX BINDIR; do
			rm -rf "$DEST"
			run --separate-stderr make -s -C "$TOP" BUILD="$BUILD" \
				DESTDIR="$DEST" "$var=/opt/a${bad}b" \
				$([[ $BUILD == */san ]] && echo SANITIZE=1) install
			assert_failure
			assert_stderr_contains "BINDIR '/opt/a${bad}b"
			assert_stderr_contains "cannot go into the PATH line of the cron file and the service as written"
			[[ ! -e $DEST ]] || fail "install wrote $(find "$DEST" | head -3)"
		done
	done
	# and with no DESTDIR, not even the PREFIX is made
	run --separate-stderr make -s -C "$TOP" BUILD="$BUILD" \
		PREFIX="$BATS_TEST_TMPDIR/a&b" \
		$([[ $BUILD == */san ]] && echo SANITIZE=1) install
	assert_failure
	[[ ! -e "$BATS_TEST_TMPDIR/a&b" ]]
}

@test "with PREFIX=/usr the cron file and the service are installed as shipped" {
	make "${MAKEARGS[@]}" install
	cmp "$DEST/usr/share/ppscale/ppscale.cron" "$TOP/share/cron/ppscale.cron"
	cmp "$DEST/usr/share/ppscale/ppscale.service" \
		"$TOP/share/systemd/ppscale.service"
}

@test "under PREFIX=/usr/local the zsh completion lands in a directory of zsh's fpath" {
	# zsh is in .ci/packages (t/6400 sources the completion with it)
	command -v zsh >/dev/null || fail "zsh is not installed"
	run make -s -C "$TOP" BUILD="$BUILD" DESTDIR="$DEST" \
		PREFIX=/usr/local $([[ $BUILD == */san ]] && echo SANITIZE=1) \
		install
	assert_success
	local f
	f=$(cd "$DEST" && find . -name _pp | sed 's/^\.//')
	[[ -n $f ]] || fail "no _pp installed"
	zsh -fc 'print -l $fpath' | grep -qxF "$(dirname "$f")" ||
		fail "zsh does not search $(dirname "$f")"
}

@test "under PREFIX=/usr/local with XDG_DATA_DIRS unset, fish finds the completion through the README's conf.d line" {
	# fish is in .ci/packages (t/6400 sources the completion with it)
	command -v fish >/dev/null || fail "fish is not installed"
	local prefix="$BATS_TEST_TMPDIR/root/usr/local" line conf
	run make -s -C "$TOP" BUILD="$BUILD" PREFIX="$prefix" \
		$([[ $BUILD == */san ]] && echo SANITIZE=1) install
	assert_success
	export PATH="$prefix/bin:$PATH"
	unset XDG_DATA_DIRS XDG_CONFIG_HOME XDG_DATA_HOME
	# fish 3.6 alone does not look under /usr/local/share
	run fish -c 'complete -C"pp-config ch"'
	refute_output check
	# the README's line, for this PREFIX, in this user's conf.d
	line=$(sed -n "s|^ *echo '\(set -p fish_complete_path [^']*\)' > /etc/fish/conf.d/ppscale.fish\$|\1|p" \
		"$TOP/README.md")
	[[ -n $line ]] || fail "the README shows no fish_complete_path line"
	conf="$HOME/.config/fish/conf.d"
	mkdir -p "$conf"
	printf '%s\n' "${line//\/usr\/local/$prefix}" > "$conf/ppscale.fish"
	run fish -c 'complete -C"pp-config ch"'
	assert_output check
}

@test "with PREFIX=/usr the installed man pages name /usr/share/ppscale, never /usr/local/share/ppscale" {
	make "${MAKEARGS[@]}" install
	local man="$DEST/usr/share/man" f
	run grep -rlF /usr/local/share/ppscale "$man"
	assert_failure 1
	assert_output ""
	# each page that names the data directory names this install's
	for f in $(cd "$TOP/share/man" && grep -rlF /usr/local/share/ppscale .); do
		grep -qF /usr/share/ppscale/ "$man/$f" ||
			fail "$f does not name /usr/share/ppscale/"
	done
	grep -qF /usr/share/ppscale/registry.sql "$man/man5/ppscale-registry.5"
	grep -qF /usr/share/ppscale/cloud-init.yaml.tmpl "$man/man1/pp-cloudinit.1"
	# the example paths of the user's own scripts stay as written
	grep -qF /usr/local/bin/pp-move "$man/man1/pp-drain.1"
	grep -qF /usr/local/bin/mint-token "$man/man1/pp-cloudinit.1"
	[[ $(stat -c %a "$man/man7/ppscale.7") == 644 ]]
}

@test "the man pages are found by man through the installed tree" {
	# man-db is in .ci/packages: a missing man fails, never skips
	command -v man >/dev/null || fail "man is not installed (package man-db)"
	make "${MAKEARGS[@]}" install
	run mandoc -Tlint "$DEST/usr/share/man/man1/pp-status.1"
	refute_output --partial "ERROR"
	run man -M "$DEST/usr/share/man" -w pp-status
	assert_success
	assert_output "$DEST/usr/share/man/man1/pp-status.1"
}

@test "make uninstall removes every file it installed and nothing else" {
	make "${MAKEARGS[@]}" install
	mkdir -p "$DEST/usr/bin"
	echo keep > "$DEST/usr/bin/not-ours"
	run make "${MAKEARGS[@]}" uninstall
	assert_success
	run installed
	assert_output /usr/bin/not-ours
}
