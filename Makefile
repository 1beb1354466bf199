# ppscale — build, test and install.
#
#   make                      build every tool into build/bin
#   make check                run the bats suite against the fresh build
#   make check SANITIZE=1     the same, built with ASan and UBSan
#   make install PREFIX=/usr/local DESTDIR=
#   make bench | demo | fuzz | valgrind | check-novalgrind

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SHAREDIR ?= $(PREFIX)/share
DATADIR  ?= $(SHAREDIR)/ppscale
MANDIR   ?= $(SHAREDIR)/man
BASHCOMPDIR ?= $(SHAREDIR)/bash-completion/completions
# site-functions is in zsh's $fpath for a local PREFIX (Debian's zsh has
# /usr/local/share/zsh/site-functions, not .../vendor-completions there);
# a Debian package passes ZSHCOMPDIR=/usr/share/zsh/vendor-completions
ZSHCOMPDIR  ?= $(SHAREDIR)/zsh/site-functions
# fish 3.6 searches a local PREFIX's vendor_completions.d only when
# XDG_DATA_DIRS names it: the README gives the conf.d line that adds it
FISHCOMPDIR ?= $(SHAREDIR)/fish/vendor_completions.d
SYSCONFDIR  ?= /etc

CC       ?= cc
CFLAGS   ?= -g -O2
PKGS      = json-c yaml-0.1 libcurl libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libcurl and libpq are not linked: lib/base/dynlib.c loads them on first
# use (their 35 dependencies cost every tool's start 3 ms otherwise)
PKG_LIBS   := $(shell pkg-config --libs json-c yaml-0.1)

override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Wall -Wextra -Werror -Ilib $(PKG_CFLAGS) \
	-DPP_VERSION='"$(VERSION)"' -MMD -MP
LDLIBS += $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
BUILD ?= build/san
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
else
BUILD ?= build/plain
endif
# One spelling per build tree: `make BUILD=$PWD/build/plain` (as the
# tests that run make do) would otherwise write .d files whose targets
# are absolute, which a relative build does not match, so a changed
# header would not rebuild its objects and a stale one could be linked.
override BUILD := $(patsubst $(CURDIR)/%,%,$(abspath $(BUILD)))

# The tools are the files in cmd/; the library is everything in lib/.
TOOLS    = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
LIBSRC   = $(wildcard lib/*/*.c)
LIBOBJ   = $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIBSRC))
BINS     = $(addprefix $(BUILD)/bin/,$(TOOLS))
UNITSRC  = $(wildcard t/unit/*.c)
UNITBINS = $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNITSRC))
MAN1     = $(wildcard share/man/man1/*.1)
MAN5     = $(wildcard share/man/man5/*.5)
MAN7     = $(wildcard share/man/man7/*.7)
# The man pages name the data directory as /usr/local/share/ppscale
# (the default PREFIX); install writes this install's DATADIR there.
# Installed into DATADIR: the cloud-init template, the example config
# and the example alerting rules.
DATAFILES = $(wildcard share/*.tmpl share/*.yaml share/*.example \
	share/cloud-init/*.tmpl share/examples/*.example \
	share/prometheus/*.yml share/sql/*.sql)
# and the systemd units and the cron file, to copy into /etc
DATAFILES += $(wildcard share/systemd/*.timer)
# The cron file and the service run the tools by name: the cron file's
# PATH line and systemd's default PATH hold /usr/local/bin and /usr/bin,
# and for any other BINDIR install writes it first in their PATH (the
# cron file's PATH line, an Environment=PATH= line after the service's
# PP_CONFIG), so that a cycle finds the tools of this install.
PATHFILES = $(wildcard share/systemd/*.service share/cron/*.cron)
DATAFILES += $(PATHFILES)
PATH_BINDIR  = $(abspath $(BINDIR))
CRON_PATH    = /usr/local/bin /usr/bin /bin
SYSTEMD_PATH = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CRON_SED = $(if $(filter $(PATH_BINDIR),$(CRON_PATH)),, \
	-e 's|^PATH=|PATH=$(PATH_BINDIR):|')
SERVICE_SED = $(if $(filter $(PATH_BINDIR),$(subst :, ,$(SYSTEMD_PATH))),, \
	-e '/^Environment=PP_CONFIG=/{p;s|.*|Environment=PATH=$(PATH_BINDIR):$(SYSTEMD_PATH)|;}')
# What BINDIR must not hold to go into those PATH lines as written: a
# sed replacement's & | \, the shell quoting's ' ", PATH's separator :,
# systemd's specifier % and a blank (make splits words on it); nor may
# the directory a relative one resolves against. install refuses it
# before it installs anything.
PATH_UNSAFE_CHARS = & | ' " : \ %
PATH_UNSAFE = $(strip $(foreach c,$(PATH_UNSAFE_CHARS),$(findstring $c,$(BINDIR) $(PATH_BINDIR))) \
	$(if $(filter-out 1,$(words $(BINDIR)))$(subst $(strip $(BINDIR)),,$(BINDIR)),blank))

all: $(BINS) $(UNITBINS) bin-links

# build/bin always points at the last build, so PATH=build/bin works for
# both the plain and the sanitized tree.
bin-links: $(BINS)
	@ln -sfn $(patsubst build/%,%,$(BUILD))/bin build/bin

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# DATADIR is compiled into lib/base/datadir.c alone (install rebuilds
# that one object), so no other file can keep a stale copy of it.
DATADIR_DEF = -DPP_DATADIR='"$(DATADIR)"'
$(BUILD)/lib/base/datadir.o: override CFLAGS += $(DATADIR_DEF)

$(BUILD)/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(BUILD)/libpp.a: $(LIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/cmd/%.o $(BUILD)/libpp.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/%: t/unit/%.c $(BUILD)/libpp.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libpp.a $(LDLIBS)

# CHECK_JOBS=N: make check and check-novalgrind run each file in a bats
# of its own, N at once (t/run.sh --shards; TAP printed file by file at
# the end). The tests wait on real time in places (timeouts, a fake
# API's actions, PostgreSQL starting): CI's two lanes left a quarter of
# the machine idle, one file a core.
CHECK_JOBS ?= 1
T ?= t

check: all
	PATH="$(CURDIR)/$(BUILD)/bin:$$PATH" PP_BUILD="$(CURDIR)/$(BUILD)" \
	PP_TOP="$(CURDIR)" sh t/run.sh \
		$(if $(filter-out 1,$(CHECK_JOBS)),--shards $(CHECK_JOBS)) $(T)

# the long runs: the whole fault matrix and 100+ kills (t/slow/*.bats),
# SLOW_JOBS files at once (each in its own directories, ports and
# PostgreSQL cluster, as in CI's two suites side by side)
SLOW_JOBS ?= 2
check-slow: all
	PATH="$(CURDIR)/$(BUILD)/bin:$$PATH" PP_BUILD="$(CURDIR)/$(BUILD)" \
	PP_TOP="$(CURDIR)" sh t/run.sh --shards $(SLOW_JOBS) t/slow

# the tests make valgrind leaves out (t/valgrind/skip, and slow unless
# VG_SLOW=1), natively on the plain build: with make valgrind, every
# test of make check runs on the plain build (CI runs these two, not
# make check)
check-novalgrind: all
	PATH="$(CURDIR)/$(BUILD)/bin:$$PATH" PP_BUILD="$(CURDIR)/$(BUILD)" \
	PP_TOP="$(CURDIR)" sh t/run.sh --shards $(CHECK_JOBS) \
		--only t/valgrind/skip \
		$(if $(filter 1,$(VG_SLOW)),,--only t/valgrind/slow) $(T)

# the README's first quick-start command on a fresh minbase Debian 12
# in a chroot (t/fresh; root, debootstrap and the Debian archive)
check-fresh:
	PP_TOP="$(CURDIR)" sh t/run.sh t/fresh

# t/bench/rusage.c: GNU time's -f and -o to the microsecond
$(BUILD)/bench/rusage: t/bench/rusage.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench: all $(BUILD)/bench/rusage
	PP_BUILD="$(abspath $(BUILD))" sh t/bench/run.sh

bench-policy: all $(BUILD)/bench/rusage
	PP_BUILD="$(abspath $(BUILD))" sh t/bench/policy.sh

# The same matrix on demand shapes the shipped profile was not tuned on
# (README, Backtesting): about an hour; PP_MATRIX=quick, a quarter.
bench-unseen: all $(BUILD)/bench/rusage
	python3 t/bench/unseen-traces.py $(BUILD)/unseen-traces
	PP_BUILD="$(abspath $(BUILD))" PP_TRACES=$(BUILD)/unseen-traces \
		PP_BENCH_OUT=$(BUILD)/bench-unseen.tsv sh t/bench/policy.sh

demo: all
	PP_BUILD="$(abspath $(BUILD))" sh share/examples/demo.sh

# The data directory is compiled in (PP_DATADIR, in lib/base/datadir.c
# alone), and a `make` before `make install PREFIX=X` compiled the
# default one: install relinks the tools with a datadir.o of this
# install, so that they find their template under X and name X in their
# messages (the objects of the plain build stay as they are).
INSTBUILD = $(BUILD)/install

install-paths:
	$(if $(PATH_UNSAFE),$(error BINDIR '$(BINDIR)' cannot go into the \
	PATH line of the cron file and the service as written: it holds one \
	of & | ' " : \ % or a blank; choose a PREFIX or BINDIR without them))

install: install-paths all
	@mkdir -p $(INSTBUILD)/bin
	$(CC) $(CFLAGS) $(DATADIR_DEF) $(CPPFLAGS) -c \
		-o $(INSTBUILD)/datadir.o lib/base/datadir.c
	for t in $(TOOLS); do \
		$(CC) $(LDFLAGS) -o $(INSTBUILD)/bin/$$t $(BUILD)/cmd/$$t.o \
			$(INSTBUILD)/datadir.o $(BUILD)/libpp.a $(LDLIBS) || \
			exit 1; \
	done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(addprefix $(INSTBUILD)/bin/,$(TOOLS)) \
		$(DESTDIR)$(BINDIR)
	$(if $(filter-out $(PATHFILES),$(DATAFILES)),install -m 644 \
		$(filter-out $(PATHFILES),$(DATAFILES)) $(DESTDIR)$(DATADIR))
	for f in $(PATHFILES); do \
		d=$(DESTDIR)$(DATADIR)/$${f##*/}; \
		case $$f in \
		*.cron) sed -e '' $(CRON_SED) "$$f" > "$$d" ;; \
		*) sed -e '' $(SERVICE_SED) "$$f" > "$$d" ;; \
		esac && chmod 644 "$$d" || exit 1; \
	done
	install -m 644 share/examples/registry.json \
		$(DESTDIR)$(DATADIR)/registry.json.example
	install -m 644 share/examples/cloud.json \
		$(DESTDIR)$(DATADIR)/cloud.json.example
	for m in $(MAN1) $(MAN5) $(MAN7); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
		sed 's|/usr/local/share/ppscale|$(DATADIR)|g' "$$m" > "$$d" && \
		chmod 644 "$$d" || exit 1; \
	done
	$(if $(wildcard completions/pp.bash),for t in $(TOOLS); do \
		install -m 644 completions/pp.bash $(DESTDIR)$(BASHCOMPDIR)/$$t; done)
	$(if $(wildcard completions/_pp),install -m 644 completions/_pp \
		$(DESTDIR)$(ZSHCOMPDIR)/_pp)
	$(if $(wildcard completions/pp.fish),for t in $(TOOLS); do \
		install -m 644 completions/pp.fish $(DESTDIR)$(FISHCOMPDIR)/$$t.fish; done)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(DATAFILES)))
	rm -f $(DESTDIR)$(DATADIR)/registry.json.example \
		$(DESTDIR)$(DATADIR)/cloud.json.example
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(TOOLS))
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_pp
	rm -f $(addprefix $(DESTDIR)$(FISHCOMPDIR)/,$(addsuffix .fish,$(TOOLS)))
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -rf build

# Fuzzing (libFuzzer, clang): one harness per parser of outside input
# in t/fuzz/, the library built apart in build/fuzz with the fuzzer's
# coverage and ASan+UBSan. `make fuzz FUZZ_TIME=60` runs each harness
# that many seconds from its seed corpus t/fuzz/corpus/NAME (the grown
# corpus stays in build/fuzz/corpus) and fails on any finding;
# FUZZ_JOBS of them at once (default 2, one a core).
FUZZ_TIME  ?= 60
FUZZ_JOBS  ?= 2
FUZZCC     ?= clang
FUZZ_BUILD  = build/fuzz
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	-fsanitize=fuzzer-no-link,address,undefined
FUZZSRC    = $(wildcard t/fuzz/*.c)
FUZZBINS   = $(patsubst t/fuzz/%.c,$(FUZZ_BUILD)/bin/%,$(FUZZSRC))
FUZZLIBOBJ = $(patsubst lib/%.c,$(FUZZ_BUILD)/lib/%.o,$(LIBSRC))

$(FUZZ_BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZCC) $(CFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/lib/base/datadir.o: override CFLAGS += $(DATADIR_DEF)

$(FUZZ_BUILD)/libpp.a: $(FUZZLIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/bin/%: t/fuzz/%.c t/fuzz/fuzz.h $(FUZZ_BUILD)/libpp.a
	@mkdir -p $(@D)
	$(FUZZCC) $(CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_BUILD)/libpp.a $(LDLIBS)

fuzz-build: $(FUZZBINS)

fuzz: fuzz-build
	FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_BUILD=$(FUZZ_BUILD) \
		sh t/fuzz/run.sh \
		$(notdir $(FUZZBINS))

.PHONY: fuzz fuzz-build

# The whole suite with every program under valgrind memcheck (errors
# and definite leaks fail); t/valgrind/README says what it leaves out
# (VG_SLOW=1: the slow files too).
valgrind:
	$(MAKE) all SANITIZE=
	REAL_BUILD=build/plain VG_BUILD=build/valgrind VG_SLOW=$(VG_SLOW) \
		sh t/valgrind/run.sh \
		$(if $(filter-out t,$(T)),$(T))

.PHONY: valgrind

-include $(FUZZLIBOBJ:.o=.d)
# the unit programs include more than their own file (t/unit/fuzz_*)
-include $(UNITBINS:=.d)

.PHONY: check-slow check-novalgrind check-fresh
.PHONY: all bin-links check bench bench-policy bench-unseen demo install install-paths uninstall clean
.SECONDARY:

-include $(LIBOBJ:.o=.d) $(patsubst %,$(BUILD)/cmd/%.d,$(TOOLS))
