# knet: Kubernetes network troubleshooting toolkit.
#
#   make            build ./knet (and libknet.a)
#   make check      dependencies, lint, unit tests under ASan+UBSan, the
#                   generated files and man pages, then the bats suite
#                   against the lab (brought up if needed)
#   make demo       dependencies, build, lab, and a short tour
#   make install    PREFIX=/usr/local DESTDIR= : binary, kubectl-knet
#                   link, man pages, bash/zsh/fish completions
#   make lint       layout boundaries (scripts/lint-boundaries),
#                   clang-format check and cppcheck
#   make deploy     deploy/knet-agent.yaml from `knet agent install`
#   make deb        the Debian package, in build/deb/ (DEB_DIR=)
#   make fuzz       the libFuzzer targets (tests/fuzz/); bench/fuzz runs
#                   them; make fuzz-replay replays their corpus (check)

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
BASHDIR = $(PREFIX)/share/bash-completion/completions
ZSHDIR = $(PREFIX)/share/zsh/site-functions
FISHDIR = $(PREFIX)/share/fish/vendor_completions.d

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = libcurl libcjson yaml-0.1 libpcap ncursesw readline

# libcurl, libpcap and libyaml are not linked: lib/lazy dlopen()s them
# on first use, so commands that need none skip ~40 libraries
# (knet/lazy.h); nor is cJSON, which conntrack --no-names, traceroute
# and ping to an IP never call; nor are readline
# (cmd/shell/lazy-readline.h) and ncurses (cmd/ui/lazy-curses.h), with
# libtinfo under both.
LAZY_PKGS = libcurl libpcap yaml-0.1 libcjson ncursesw readline
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(filter-out $(LAZY_PKGS),$(PKGS)) \
	2>/dev/null) -ldl

WARN = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=

# Debian's hardening flags (fortify, stack protector, relro and bind-now,
# PIE), taken from dpkg-buildflags with hardening=+all so that `make`
# builds what the package ships; -g/-O and the path maps are left to
# CFLAGS. They come before CFLAGS, so `CFLAGS=-fno-stack-protector make`
# still wins; `make HARDEN_CFLAGS= HARDEN_LDFLAGS=` builds without. PIE
# is explicit: Debian's gcc defaults to it, other compilers may not.
# The fallback is bookworm's set, for machines without dpkg-dev.
BUILDFLAGS = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags
ifeq ($(origin HARDEN_CFLAGS),undefined)
HARDEN_CFLAGS := $(or $(filter-out -g -O% -ffile-prefix-map=% \
	-fdebug-prefix-map=%,$(shell $(BUILDFLAGS) --get CPPFLAGS \
	2>/dev/null) $(shell $(BUILDFLAGS) --get CFLAGS 2>/dev/null)), \
	-Wdate-time -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Wformat \
	-Werror=format-security) -fPIE
endif
ifeq ($(origin HARDEN_LDFLAGS),undefined)
HARDEN_LDFLAGS := $(or $(shell $(BUILDFLAGS) --get LDFLAGS 2>/dev/null), \
	-Wl,-z,relro -Wl,-z,now) -pie
endif
# Relative relocations packed (DT_RELR, glibc 2.36 and binutils 2.38 on):
# the ~2,400 that a PIE's pointer tables need take 680 bytes instead of
# 57 KiB of .rela.dyn, which ld.so reads at every start: 56 KiB less RSS
# for every command (doc/design-notes.md, lib/lazy).  Only where the
# toolchain has it; `make RELR_LDFLAGS=` builds without.
ifeq ($(origin RELR_LDFLAGS),undefined)
RELR_LDFLAGS := $(shell printf 'int main(void){return 0;}' | \
	$(CC) -x c -o /dev/null - -Wl,-z,pack-relative-relocs \
	>/dev/null 2>&1 && echo -Wl,-z,pack-relative-relocs)
endif
# _GNU_SOURCE last wins over ncurses' -D_XOPEN_SOURCE=600.
# -fno-math-errno: sqrt() is an instruction, and knet needs no libm
# (its mapping is ~330 KiB of every command's RSS); knet never reads
# errno after a math function.
# WARN after the hardening flags: their -Wformat would undo -Wformat=2.
ALL_CFLAGS = -std=gnu11 $(HARDEN_CFLAGS) $(WARN) $(CPPFLAGS) $(CFLAGS) \
	$(PKG_CFLAGS) -fno-math-errno \
	-D_GNU_SOURCE \
	-Iinclude -DKNET_VERSION='"$(VERSION)"' -MMD -MP
LDLIBS = $(PKG_LIBS) -lm -pthread

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q =
say = @true
else
Q = @
say = @printf '  %-6s %s\n'
endif

SAN = -fsanitize=address,undefined,float-cast-overflow \
	-fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined,float-cast-overflow

LIB_SRC = $(sort $(wildcard lib/*/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c cmd/*/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test-*.c))

LIB_OBJ = $(LIB_SRC:%.c=build/%.o)
CMD_OBJ = $(CMD_SRC:%.c=build/%.o)
SAN_OBJ = $(LIB_SRC:%.c=build/san/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/unit/%)

MAN = $(sort $(wildcard man/*.1))
COMPLETIONS = completions/knet.bash completions/_knet completions/knet.fish

.PHONY: all deps check unit bats check-generated man-lint lint install \
	uninstall demo lab-up lab-down completions clean deb fuzz \
	fuzz-replay deploy agent-image agent-image-check

all: knet build/libknet.a

# The objects in link order, which is the order of their code in the
# text: those of scripts/link-order (the start-up and the node commands'
# hot paths) first, then the rest.  lib/ is linked as objects, not from
# libknet.a, whose members would land in the order the linker pulls
# them; --gc-sections drops what no command calls.  -fini= names no
# function, so there is no DT_FINI: glibc's _fini is empty, but it sits
# in .fini after the whole text, and calling it at exit faulted in the
# last 96 KiB of text (perf record -e minor-faults -d).  Destructors
# (.fini_array) still run.
HOT_SRC = $(filter $(LIB_SRC) $(CMD_SRC),$(shell grep '^[a-z].*\.c$$' \
	scripts/link-order 2>/dev/null))
LINK_OBJ = $(HOT_SRC:%.c=build/%.o) \
	$(filter-out $(HOT_SRC:%.c=build/%.o),$(CMD_OBJ) $(LIB_OBJ))

# Inside those objects, the functions that the same commands run come
# first of all, in one output section ahead of .text (build/hot-text.ld,
# from scripts/hot-functions; each function is its own section with
# -ffunction-sections): the object order alone spread the 53 KB that
# `knet conntrack` runs over 176 KiB of text, all of it resident, as
# fault-around maps the 64 KiB around each fault.
knet: $(LINK_OBJ) scripts/link-order build/hot-text.ld
	$(say) LD $@
	$(Q)$(CC) $(CFLAGS) $(HARDEN_LDFLAGS) $(RELR_LDFLAGS) $(LDFLAGS) \
		-Wl,--gc-sections -Wl,-fini=knet_no_dt_fini \
		-Wl,-T,build/hot-text.ld -o $@ $(LINK_OBJ) $(LDLIBS)

build/hot-text.ld: scripts/hot-functions scripts/hot-text-ld
	@mkdir -p $(dir $@)
	$(Q)sh scripts/hot-text-ld scripts/hot-functions > $@.tmp && \
		mv $@.tmp $@

build/libknet.a: $(LIB_OBJ)
	@rm -f $@
	$(say) AR $@
	$(Q)$(AR) rcs $@ $^

# knet's own objects: a section per function (for build/hot-text.ld and
# --gc-sections), and no .eh_frame: C that neither throws nor cancels
# threads never unwinds at run time, and its 88 KiB sat in the read-only
# segment beside .rodata, mapped with it (gdb and perf use .debug_frame,
# which -g still writes).  The sanitizer and fuzz builds keep their
# unwind tables, for their reports.  First, so that CFLAGS may undo
# them.
OBJ_CFLAGS = -ffunction-sections -fno-asynchronous-unwind-tables

build/%.o: %.c build/cflags
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(OBJ_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The flags knet's objects were built with: when they change (this
# Makefile, CFLAGS=...), every object is built again, not only those
# whose source changed.  Written at parse time, only when different.
OBJ_FLAGS_NOW = $(CC) $(OBJ_CFLAGS) $(ALL_CFLAGS)
ifneq ($(file <build/cflags),$(OBJ_FLAGS_NOW))
$(shell mkdir -p build)
$(file >build/cflags,$(OBJ_FLAGS_NOW))
endif
build/cflags: ;

# lib/ again, with sanitizers, for the unit tests.
build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC-SAN $<
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/libknet-san.a: $(SAN_OBJ)
	@rm -f $@
	$(say) AR $@
	$(Q)$(AR) rcs $@ $^

build/unit/%: tests/unit/%.c build/libknet-san.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(say) UNIT $@
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Itests/unit -o $@ $< \
		build/libknet-san.a $(LDLIBS)

# Fuzz targets (tests/fuzz/fuzz-NAME.c), one per parser: with libFuzzer
# (clang) for `make fuzz` and bench/fuzz, and without it, under the same
# sanitizers as the unit tests, to replay the committed corpus
# (tests/fuzz/corpus/NAME/) in `make check`.
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_NAMES = $(FUZZ_SRC:tests/fuzz/fuzz-%.c=%)
FUZZ_BIN = $(FUZZ_NAMES:%=build/fuzz/fuzz-%)
REPLAY_BIN = $(FUZZ_NAMES:%=build/replay/fuzz-%)
FUZZ_CC ?= clang
FUZZ_SAN = -fsanitize=address,undefined,float-cast-overflow \
	-fno-sanitize-recover=undefined,float-cast-overflow \
	-fno-omit-frame-pointer
# The fuzz build wants neither the hardening flags nor CFLAGS' -O2: it
# is an ASan build at -O1, like the unit tests.
FUZZ_CFLAGS = $(filter-out $(HARDEN_CFLAGS) $(CFLAGS),$(ALL_CFLAGS)) \
	$(FUZZ_SAN) -O1 -g
FUZZ_OBJ = $(LIB_SRC:%.c=build/fuzz/%.o)

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC-FUZZ $<
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libknet.a: $(FUZZ_OBJ)
	@rm -f $@
	$(say) AR $@
	$(Q)$(AR) rcs $@ $^

# -rdynamic: fuzz-bpf's getaddrinfo() must win over libc's for the
# libpcap lib/lazy dlopen()s.
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h build/fuzz/libknet.a
	$(say) FUZZ $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -rdynamic -o $@ $< \
		build/fuzz/libknet.a $(LDLIBS)

build/replay/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c \
		tests/fuzz/fuzz.h build/libknet-san.a
	@mkdir -p $(dir $@)
	$(say) REPLAY $@
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -O1 -rdynamic -o $@ $< \
		tests/fuzz/replay.c build/libknet-san.a $(LDLIBS)

fuzz: $(FUZZ_BIN)

fuzz-replay: $(REPLAY_BIN)
	@scripts/run-replay $(FUZZ_NAMES)

deps:
	@scripts/deps

unit: $(UNIT_BIN)
	@scripts/run-unit $(UNIT_BIN)

# Committed files generated from the command table must match it, man
# pages must be lint-clean, and `knet help CMD` must match each SYNOPSIS.
check-generated: knet
	@scripts/check-generated

bats: knet
	@scripts/run-bats

check: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) fuzz-replay
	$(MAKE) check-generated
	$(MAKE) bats

completions: knet
	./knet completion bash > completions/knet.bash
	./knet completion zsh > completions/_knet
	./knet completion fish > completions/knet.fish

# deploy/knet-agent.yaml: what `knet agent install --dry-run` prints
# (lib/agent/manifest.c); check-generated keeps the two equal.
deploy: knet
	scripts/gen-deploy > deploy/knet-agent.yaml

# The agent image (deploy/Containerfile), built with buildah on base
# images made from the Debian mirror (no registry needed), then checked:
# tests/agent-image.bats on the image, and the k8s transport's tests with
# the lab's agent pods running the image's knet.  As root, the lab up;
# not part of `make check` (it downloads packages and takes minutes).
AGENT_IMAGE_DIR ?= /var/tmp/knet-agent-rootfs
agent-image:
	scripts/agent-image build

agent-image-check: knet agent-image
	scripts/agent-image rootfs $(AGENT_IMAGE_DIR)
	KNET_AGENT_IMAGE_DIR=$(AGENT_IMAGE_DIR) bats tests/agent-image.bats
	KNET_AGENT_KNET=$(AGENT_IMAGE_DIR)/knet bats tests/k8s-transport.bats

lint:
	scripts/lint-boundaries
	clang-format --dry-run -Werror $(LIB_SRC) $(CMD_SRC) $(UNIT_SRC) \
		include/knet/*.h lib/*/*.h cmd/*.h cmd/*/*.h tests/unit/*.h \
		tests/fuzz/*.c tests/fuzz/*.h
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --std=c11 -D__GNUC__ -Iinclude $(LIB_SRC) \
		$(CMD_SRC)

lab-up:
	tests/lab/lab up

lab-down:
	tests/lab/lab down

demo: deps
	$(MAKE) all
	tests/lab/lab up
	@scripts/demo

install: knet
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) \
		$(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR)
	install -m 0755 knet $(DESTDIR)$(BINDIR)/knet
	ln -sf knet $(DESTDIR)$(BINDIR)/kubectl-knet
	install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/
	install -m 0644 completions/knet.bash $(DESTDIR)$(BASHDIR)/knet
	install -m 0644 completions/_knet $(DESTDIR)$(ZSHDIR)/_knet
	install -m 0644 completions/knet.fish $(DESTDIR)$(FISHDIR)/knet.fish

# The Debian package (debian/), built by dpkg-buildpackage in a copy of
# the tree under DEB_DIR, since it writes its results next to the source
# directory; the .deb, .buildinfo and .changes land in DEB_DIR.
DEB_DIR ?= build/deb
DEB_SRC = $(abspath $(DEB_DIR))/knet-$(VERSION)
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./knet --exclude=./.git \
		--exclude='./tests/fuzz/out' . | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b -j2
	rm -rf $(DEB_SRC)
	lintian --fail-on error,warning $(abspath $(DEB_DIR))/knet_*.changes

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/knet $(DESTDIR)$(BINDIR)/kubectl-knet \
		$(DESTDIR)$(BASHDIR)/knet $(DESTDIR)$(ZSHDIR)/_knet \
		$(DESTDIR)$(FISHDIR)/knet.fish
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(notdir $(MAN)))

clean:
	rm -rf build knet

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(SAN_OBJ:.o=.d) \
	$(FUZZ_OBJ:.o=.d)
