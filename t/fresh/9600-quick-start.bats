#!/usr/bin/env bats
# The README's quick start where it says it works: a fresh Debian 12,
# `debootstrap --variant=minbase` (apt and a shell, nothing else), as
# root. Its first command, read from the README, runs in a chroot of
# one: it installs what it names, builds, and runs the demo cycle. A
# package the build or the demo needs and the README does not name
# fails here, where every other suite runs on a machine that has
# .ci/packages. make check-fresh (.ci/run runs it as root); it needs
# root for the chroot and the Debian archive, as .ci/run's apt-get does.
bats_require_minimum_version 1.5.0

setup() {
	load '../test_helper/common'
	pp_isolate
	[ "$(id -u)" -eq 0 ] || skip "a chroot needs root"
	command -v debootstrap >/dev/null ||
		fail "debootstrap is not installed (it is in .ci/packages)"
	root="$BATS_TEST_TMPDIR/root"
}

teardown() {
	[ -n "${root:-}" ] && [ -d "$root" ] || return 0
	# debootstrap mounts /proc and /sys in the target while it works
	# and may leave them when it fails: nothing of the host's is
	# removed through them
	awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$root"
}

# The host's Debian mirror ($PP_DEBIAN_MIRROR first): the archive the
# machine reaches, as apt-get in .ci/run does.
mirror() {
	local m=${PP_DEBIAN_MIRROR:-}

	[ -n "$m" ] || m=$(sed -n 's/^URIs: *//p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		tr ' ' '\n' | grep -v security | head -1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $2 !~ /security/ { print $2;
		exit }' /etc/apt/sources.list 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}

# The README's first quick-start command: the apt-get line of its
# "Quick start" section.
readme_command() {
	awk '/^## Quick start/ { on = 1; next } on && /^## / { exit }
		on && /^    apt-get / { sub(/^    /, ""); print; exit }' \
		"$TOP/README.md"
}

@test "the README's first command installs, builds and runs a scaling cycle on a minbase Debian 12" {
	local cmd log="$BATS_TEST_TMPDIR/quick-start.log"

	cmd=$(readme_command)
	[ -n "$cmd" ] || fail "README: no apt-get line under Quick start"
	[[ $cmd == *"&& make && make demo" ]] ||
		fail "README: the first command does not build and run the demo: $cmd"
	debootstrap --variant=minbase bookworm "$root" "$(mirror)" \
		> "$BATS_TEST_TMPDIR/debootstrap.log" 2>&1 ||
		fail "debootstrap: $(tail -5 "$BATS_TEST_TMPDIR/debootstrap.log")"
	# how this host reaches the archive (a proxy, a snapshot's
	# validity), not what it installs
	grep -l 'Acquire::' /etc/apt/apt.conf.d/* 2>/dev/null |
		while read -r f; do cp "$f" "$root/etc/apt/apt.conf.d/"; done
	# the checkout as it is (tracked files), without its build
	mkdir -p "$root/root/ppscale"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$TOP" && git ls-files -z | tar --null -T - -cf -) |
			tar -xf - -C "$root/root/ppscale"
	else
		tar -C "$TOP" --exclude=./build -cf - . |
			tar -xf - -C "$root/root/ppscale"
	fi
	[ ! -e "$root/root/ppscale/build" ]
	# nothing of the host's environment: a root shell on the new system
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		chroot "$root" /bin/sh -c "cd /root/ppscale && $cmd" \
		< /dev/null > "$log" 2>&1 ||
		fail "the README's first command failed on a fresh Debian 12:
$(tail -30 "$log")"
	run cat "$log"
	assert_output --partial '== cycle 1: pp-fleetstats | pp-decide | pp-drain | pp-provision (local provider)'
	assert_output --partial 'decided: scale_up 3 x cx53 in nbg1'
	assert_output --partial 'provision: pending'
	[ -x "$root/root/ppscale/build/plain/bin/pp-decide" ]
}
