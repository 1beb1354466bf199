# Loaded by every test file: bats-support, bats-assert, the fresh build
# first on PATH, and HOME, config and state pointed at the test's own
# temporary directory.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP="${PP_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
BUILD="${PP_BUILD:-$TOP/build/plain}"
FIXTURES="$TOP/t/fixtures"
export PATH="$BUILD/bin:$PATH"
# the templates of this tree, not an installed DATADIR
export PP_SHARE_DIR="$TOP/share"

pp_isolate() {
	# under `make valgrind`: tests that measure wall time (or rebuild
	# the tree) are listed in t/valgrind/skip, by name or file, and
	# the slow ones in t/valgrind/slow (PP_VALGRIND_SLOW, unless
	# VG_SLOW=1)
	if [[ -n ${PP_VALGRIND_SKIP:-} ]] && grep -qxF -e \
	    "$BATS_TEST_DESCRIPTION" -e "${BATS_TEST_FILENAME##*/}" \
	    "$PP_VALGRIND_SKIP"; then
		skip "cannot run under valgrind (t/valgrind/skip)"
	fi
	if [[ -n ${PP_VALGRIND_SLOW:-} ]] && grep -qxF -e \
	    "$BATS_TEST_DESCRIPTION" "$PP_VALGRIND_SLOW"; then
		skip "slow under valgrind (t/valgrind/slow; VG_SLOW=1 runs it)"
	fi
	export HOME="$BATS_TEST_TMPDIR/home"
	export PP_STATE_DIR="$BATS_TEST_TMPDIR/state"
	export PP_CONFIG="$BATS_TEST_TMPDIR/ppscale.yaml"
	mkdir -p "$HOME" "$PP_STATE_DIR"
	# Tests pin the seed's policy values (DESIGN section 4, profile
	# "seed") unless they name a profile themselves: the shipped
	# defaults are tuned by pp-sim and may move.
	printf 'profile: seed\n' > "$PP_CONFIG"
	unset HCLOUD_TOKEN HCLOUD_ENDPOINT
}

# assert_stderr_contains TEXT: $stderr (from run --separate-stderr) holds
# TEXT literally. Debian's bats-assert 2.1.0 has no assert_stderr.
# wait_exists PATH [SECONDS]: until PATH exists (default 10 s); fails
# when it does not by then
wait_exists() {
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.05
	done
	return 1
}

assert_stderr_contains() {
	if [[ "$stderr" != *"$1"* ]]; then
		batslib_print_kv_single_or_multi 8 \
			'expected' "$1" 'stderr' "$stderr" |
			batslib_decorate 'stderr does not contain text' | fail
	fi
}

refute_stderr_contains() {
	if [[ "$stderr" == *"$1"* ]]; then
		batslib_print_kv_single_or_multi 8 \
			'unexpected' "$1" 'stderr' "$stderr" |
			batslib_decorate 'stderr contains text' | fail
	fi
}

# jq_is FILTER EXPECTED: jq -r FILTER on $output equals EXPECTED.
jq_is() {
	local got
	got=$(printf "%s" "$output" | jq -rc "$1") ||
		fail "jq '$1' failed on: $output"
	if [[ "$got" != "$2" ]]; then
		batslib_print_kv_single_or_multi 8 'filter' "$1" \
			'expected' "$2" 'actual' "$got" |
			batslib_decorate 'JSON field differs' | fail
	fi
}

# checksum of a set of files (absent files count), for "nothing changed"
files_sum() {
	local f
	for f in "$@"; do
		if [[ -e "$f" ]]; then sha256sum "$f"; else echo "absent $f"; fi
	done
}

# nobody_path DIR: a PATH under which the unprivileged user (65534)
# runs this build's tools: $PATH where the build tree is theirs to
# reach (or the test is not root), else DIR/bin with copies of the
# tools (a checkout under /root, the README's). Status 1 where no copy
# runs: make valgrind's tools are scripts that run the real ones in the
# build tree.
nobody_path() {
	if [[ $(id -u) != 0 ]] || setpriv --reuid=65534 --regid=65534 \
	    --clear-groups -- test -x "$BUILD/bin/pp-decide"; then
		echo "$PATH"
		return 0
	fi
	[[ $(head -c 4 "$BUILD/bin/pp-decide") == $'\x7fELF' ]] || return 1
	mkdir -m 755 "$1/bin"
	cp "$BUILD"/bin/pp-* "$1/bin/"
	echo "$1/bin:$PATH"
}

# write_config <<EOF ... EOF: the test's config file
write_config() {
	local text
	text=$(cat)
	case "$text" in
	profile:*|*$'\n'profile:*) printf '%s\n' "$text" > "$PP_CONFIG" ;;
	*) printf 'profile: seed\n%s\n' "$text" > "$PP_CONFIG" ;;
	esac
}

# reactive_config [LINE...]: the seed config with the spare and
# predictive policies off (the reactive policy alone), then LINEs of
# YAML, one line each.
reactive_config() {
	write_config <<-EOF
	policies:
	  spare:
	    enabled: false
	  predictive:
	    enabled: false
	$(printf '%s\n' "$@")
	EOF
}

# http_port NAME SED: HTTP_PORT from the port the server started by
# http_serve, canned_serve or https_serve prints in its log (the sed
# expression picks it), or the test fails naming the server
http_port() {
	HTTP_PORT=""
	for _ in $(seq 100); do
		HTTP_PORT=$(sed -n "$2" "$BATS_TEST_TMPDIR/http.log" | head -1)
		[ -n "$HTTP_PORT" ] && return 0
		sleep 0.05
	done
	fail "$1 did not start: $(cat "$BATS_TEST_TMPDIR/http.log")"
}

# http_serve DIR: a static http server on 127.0.0.1 for DIR (it stops
# by itself after 60 s); sets HTTP_PORT and HTTP_PID
http_serve() {
	timeout 60 python3 -u -m http.server 0 --bind 127.0.0.1 \
		--directory "$1" > "$BATS_TEST_TMPDIR/http.log" 2>&1 &
	HTTP_PID=$!
	http_port http.server 's/.*port \([0-9]*\).*/\1/p'
}

# canned_serve DIR: an http server on 127.0.0.1 answering /NAME with
# DIR/NAME, the status in DIR/NAME.status and a Location header from
# DIR/NAME.location (canned_http.py; it stops by itself after 60 s);
# sets HTTP_PORT and HTTP_PID
canned_serve() {
	timeout 60 python3 -u "$TOP/t/test_helper/canned_http.py" "$1" \
		> "$BATS_TEST_TMPDIR/http.log" 2>&1 &
	HTTP_PID=$!
	http_port canned_http.py 's/^port \([0-9]*\).*/\1/p'
}

# https_serve DIR: http_serve over TLS, with a self-signed certificate
# made for the test (so no client trusts it); sets HTTP_PORT and
# HTTP_PID
https_serve() {
	local d=$BATS_TEST_TMPDIR/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2> "$d/openssl.log" ||
		fail "openssl: $(cat "$d/openssl.log")"
	timeout 60 python3 -u -c '
import functools, http.server, ssl, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = c.wrap_socket(s.socket, server_side=True)
print("port", s.server_address[1])
s.serve_forever()
' "$1" "$d/cert.pem" "$d/key.pem" > "$BATS_TEST_TMPDIR/http.log" 2>&1 &
	HTTP_PID=$!
	http_port "https server" 's/^port \([0-9]*\).*/\1/p'
}
