# cisandbox — see README.md. `make demo` and `make check` are the only two commands needed on a
# fresh Debian 12 machine (as root: missing packages are installed by `make deps`).
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/cisandbox
LIBDIR  := $(PREFIX)/lib/cisandbox
MANDIR  := $(PREFIX)/share/man
COMPDIR := $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
# make install also puts the AppArmor profile at /etc/apparmor.d/cisandbox (the variant this
# host's parser understands); the Debian package's postinst does that instead (APPARMOR_ETC=0).
APPARMOR_ETC ?= 1
AA_VARIANT = $(if $(wildcard /etc/apparmor.d/abi/4.0),cisandbox,cisandbox.apparmor3)
VERSION := 0.1.0

CC      ?= cc
PKGS    := libseccomp libnftnl
# libmnl-dev only for its header: src/netlink.c implements the part of its API that we and
# libnftnl.a call, checked against those prototypes, so nothing links libmnl.
PKGS_HDR:= libmnl
# Debian packages: to build, to test, to benchmark.
DEB_BUILD := gcc make pkg-config libc6-dev libseccomp-dev libmnl-dev libnftnl-dev
# libcjson-dev: the unit tests and json fuzzer compare src/json.c with it, the integration tests
# read our output with it (the binary does not link it).
DEB_TEST  := libcjson-dev libcriterion-dev util-linux procps iproute2 man-db groff-base git file \
             python3 tar nftables \
             slirp4netns dnsmasq-base bind9-dnsutils clang libclang-rt-14-dev \
             login nodejs shellcheck curl apparmor debhelper dpkg-dev lintian bash-completion \
             uidmap clang-format
DEB_BENCH := bubblewrap hyperfine passt

BUILD   := build
# `cisandbox version`: the commit (GIT_COMMIT= overrides, e.g. for a tarball build) and the
# libraries' versions, into build/build_info.h, rewritten only when they change.
GIT_COMMIT ?= $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && \
                { git diff --quiet HEAD 2>/dev/null && echo $$c || echo $$c-dirty; })
LIB_VERSIONS = $(shell for p in $(PKGS); do printf '%s%s %s' "$$sep" $$p \
                 "$$(pkg-config --modversion $$p 2>/dev/null)"; sep=', '; done)
# Quiet by default, like kbuild: `make V=1` shows the commands.
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
HARDEN  := -O2 -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS_BASE = -std=gnu17 -g $(WARN) -iquote include -DCIS_VERSION='"$(VERSION)"' \
              -DCIS_DATADIR='"$(DATADIR)"' $(shell pkg-config --cflags $(PKGS) $(PKGS_HDR) \
              2>/dev/null)
# libnftnl and libseccomp from their Debian static archives (see LDLIBS_BIN), for the tests and
# fuzz targets too: a shared libnftnl would bring the real libmnl in beside src/netlink.c.
LDLIBS_BASE = -Wl,-Bstatic -lnftnl -lseccomp -Wl,-Bdynamic -lm
CFLAGS  ?=
LDFLAGS ?=
HARDLD  := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
# The binary itself: static-pie (ASLR kept, full RELRO of its own GOT). No ld.so, no shared
# library mapped: ~0.3 ms less per launch and ~1 MB less resident (glibc's page-cache pages,
# mapped 64 KiB at a time by fault-around) than dynamic. Nothing in it uses NSS (private.h:
# account_of), so glibc's static-NSS caveat does not arise.
HARDLD_BIN := -static-pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

SRCS    := $(wildcard src/*.c)
OBJS    := $(SRCS:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/builtin_profiles.o \
           $(BUILD)/obj/seccomp_builtin.o
LIBOBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
ASANOBJS:= $(filter-out $(BUILD)/asan/main.o,$(SRCS:src/%.c=$(BUILD)/asan/%.o)) \
           $(BUILD)/asan/builtin_profiles.o $(BUILD)/asan/seccomp_builtin.o
UNIT    := $(wildcard tests/unit/*.c)
INTEG   := $(wildcard tests/integration/*.c)
PROBES  := $(patsubst tests/probes/%.c,$(BUILD)/probes/%,$(wildcard tests/probes/*.c))
ASANFL  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1

.PHONY: all deps demo check unit integration asan fuzz install uninstall clean format format-check bench deb
HOOKS   := container-hook job-started job-completed
all: $(BUILD)/cisandbox $(HOOKS:%=$(BUILD)/%.js)

deps:
	@missing=""; for p in $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
			missing="$$missing $$p"; done; \
	if [ "$$(id -u)" = 0 ] && [ -c /dev/net/tun ] && [ "$$(stat -c %a /dev/net/tun)" = 600 ]; then \
		echo "deps: /dev/net/tun is 0600; making it 0666 as Debian's udev rules do (rootless" \
		     "network helpers open it)"; chmod 0666 /dev/net/tun; fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "deps: missing packages; run as root:"; \
		echo "  apt-get install -y$$missing"; exit 1; \
	fi

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/obj
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(HARDEN) $(CFLAGS) -MMD -c -o $@ $<
$(BUILD)/asan/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/asan
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(ASANFL) $(CFLAGS) -c -o $@ $<
# The built-in profiles are embedded so that the binary works with nothing installed.
$(BUILD)/obj/builtin_profiles.o $(BUILD)/asan/builtin_profiles.o: src/builtin_profiles.S \
		$(wildcard profiles/*.json)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) -c -Iprofiles -o $@ $<
# The default seccomp policy and our own processes' filters, compiled to BPF at build time (see
# tests/gen_seccomp.c): the generator links the modules that hold the lists (guard.c,
# netwatch.c) from an archive of every module but the generated one.
$(BUILD)/libcis-gen.a: $(filter-out $(BUILD)/obj/seccomp_builtin.o,$(LIBOBJS)) \
		$(BUILD)/obj/seccomp_none.o
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/gen_seccomp: tests/gen_seccomp.c $(BUILD)/libcis-gen.a $(wildcard include/*.h) \
		| $(BUILD)/obj
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) -O1 -o $@ tests/gen_seccomp.c $(BUILD)/libcis-gen.a \
		$(LDLIBS_BASE)
$(BUILD)/obj/seccomp_none.o: | $(BUILD)/obj
	$(Q)printf '#include "seccomp.h"\nconst struct cis_seccomp_builtin cis_seccomp_builtins[1], cis_seccomp_list_builtins[1];\nconst size_t cis_seccomp_n_builtins = 0, cis_seccomp_n_list_builtins = 0;\nconst char *const cis_seccomp_container_sorted[1];\nconst size_t cis_seccomp_n_container_sorted = 0;\n' | \
		$(CC) $(CFLAGS_BASE) -x c -c -o $@ -
$(BUILD)/seccomp_builtin.c: $(BUILD)/gen_seccomp
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(BUILD)/gen_seccomp > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/seccomp_builtin.o: $(BUILD)/seccomp_builtin.c
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(HARDEN) -c -o $@ $<
$(BUILD)/asan/seccomp_builtin.o: $(BUILD)/seccomp_builtin.c | $(BUILD)/asan
	$(Q)$(CC) $(CFLAGS_BASE) $(ASANFL) -c -o $@ $<

$(BUILD)/obj $(BUILD)/asan $(BUILD)/probes:
	@mkdir -p $@

.PHONY: FORCE
$(BUILD)/build_info.h: FORCE | $(BUILD)/obj
	@printf '#define CIS_GIT_COMMIT "%s"\n#define CIS_LIBS "%s"\n' "$(GIT_COMMIT)" \
		"$(LIB_VERSIONS)" >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/version.o $(BUILD)/asan/version.o $(BUILD)/fuzzobj/version.o: $(BUILD)/build_info.h
$(BUILD)/obj/version.o $(BUILD)/asan/version.o $(BUILD)/fuzzobj/version.o: CFLAGS += -iquote $(BUILD)

# The binary links our modules from an archive: one that nothing calls yet (a capability still
# being built) costs no library load at launch.
$(BUILD)/libcis.a: $(LIBOBJS)
	@$(if $(Q),echo "  AR      $@")
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^
# The binary is static (HARDLD_BIN): libnftnl and libseccomp from their Debian archives, libc's,
# libnftnl's libmnl calls resolved by src/netlink.c (in libcis.a, pulled in by our own calls),
# JSON in src/json.c.
LDLIBS_BIN = -lnftnl -lseccomp -lm
$(BUILD)/cisandbox: $(BUILD)/obj/main.o $(BUILD)/libcis.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HARDLD_BIN) $(LDFLAGS) -o $@ $^ $(LDLIBS_BIN)

# GitHub runner hooks (container hooks, job hooks): node scripts that start the binary by
# absolute path with a fixed PATH (src/hooks/runner-hook.js.in). $(1): binary, $(2): out.
hook_cmd = $(if $(filter container-hook.js,$(notdir $(1))),hook,$(basename $(notdir $(1))))
define gen_hook
	sed -e 's|@NAME@|$(notdir $(2))|' -e 's|@BIN@|$(1)|g' \
	    -e "s|@ARGS@|github $(call hook_cmd,$(2))|" \
	    -e "s|@ARGV@|'github', '$(call hook_cmd,$(2))'|" src/hooks/runner-hook.js.in >$(2)
endef
$(BUILD)/%.js: src/hooks/runner-hook.js.in | $(BUILD)/obj
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(call gen_hook,$(abspath $(BUILD)/cisandbox),$@)

$(BUILD)/unit-tests: $(UNIT) $(LIBOBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) -O1 -o $@ $^ $(LDLIBS_BASE) -lcriterion -lcjson
$(BUILD)/unit-tests-asan: $(UNIT) $(ASANOBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(ASANFL) -o $@ $^ $(LDLIBS_BASE) -lcriterion -lcjson
$(BUILD)/integration-tests: $(INTEG) tests/integration/harness.h | $(BUILD)/obj
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) -O1 -o $@ $(INTEG) -lcriterion -lcjson
# Probes run inside the sandbox: static, so they depend on nothing but the kernel.
$(BUILD)/probes/%: tests/probes/%.c | $(BUILD)/probes
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu17 -O1 -Wall -Wextra -Werror -static -o $@ $<

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests
asan: $(BUILD)/unit-tests-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/unit-tests-asan
integration: $(BUILD)/cisandbox $(BUILD)/integration-tests $(PROBES)
	CISANDBOX=$(abspath $(BUILD)/cisandbox) CIS_PROBES=$(abspath $(BUILD)/probes) \
		CIS_GOLDEN=$(abspath tests/golden) CIS_TESTS=$(abspath tests) \
		$(BUILD)/integration-tests -j2 --verbose
	@sh tests/check-install.sh
	@sh tests/check-package.sh $(BUILD)

# Sequenced so that the deps are installed before anything reads pkg-config.
check: deps
	@sh tests/check-layers.sh
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=15
	@$(MAKE) --no-print-directory integration

# Benchmarks print tables side by side with bubblewrap; they assert nothing and are not part
# of make check.
$(BUILD)/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu17 -O2 -Wall -Wextra -Werror -static -o $@ $< -lm
bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/sysloop $(BUILD)/bench/teardown \
		$(BUILD)/bench/phases $(BUILD)/bench/abrun $(PROBES)
	@sh tests/bench/bench.sh $(BUILD)

# The DNS parser under libFuzzer with ASan and UBSan (clang and libclang-rt-14-dev), for a
# bounded time; new inputs go to build/fuzz/corpus, the committed seeds are only read.
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/fuzz_dns: tests/fuzz/fuzz_dns.c src/dnsmsg.c include/dnsmsg.h
	@mkdir -p $(@D)/corpus
	@$(if $(Q),echo "  FUZZ-CC $@")
	$(Q)clang -g -O1 -iquote include -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ tests/fuzz/fuzz_dns.c src/dnsmsg.c
# The file-command filter likewise (util.c for its allocation helpers, json.c for util.c).
$(BUILD)/fuzz/fuzz_filecmd: tests/fuzz/fuzz_filecmd.c src/filecmd.c src/util.c src/json.c \
		include/filecmd.h include/util.h include/json.h
	@mkdir -p $(@D)/corpus-filecmd
	@$(if $(Q),echo "  FUZZ-CC $@")
	$(Q)clang -g -O1 -iquote include -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ tests/fuzz/fuzz_filecmd.c src/filecmd.c src/util.c \
		src/json.c -lm
# The profile loader with the plan builder, the --allow/--dns-upstream entry parsers, the
# NFLOG flow-record parser and the netlink message and attribute walk (netlink.c) link every
# module from one instrumented archive (the built-in profiles and seccomp policy included): they
# call into the plan, net and util layers.
FUZZLIB := $(filter-out $(BUILD)/fuzzobj/main.o,$(SRCS:src/%.c=$(BUILD)/fuzzobj/%.o)) \
           $(BUILD)/fuzzobj/builtin_profiles.o $(BUILD)/fuzzobj/seccomp_builtin.o
FUZZFL  := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZERS := profile allow nflog ci policy learn json netlink
$(BUILD)/fuzzobj/%.o: src/%.c $(wildcard include/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ-CC $@")
	$(Q)clang $(CFLAGS_BASE) $(FUZZFL) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(BUILD)/fuzzobj/seccomp_builtin.o: $(BUILD)/seccomp_builtin.c
	@mkdir -p $(@D)
	$(Q)clang $(CFLAGS_BASE) $(FUZZFL) -c -o $@ $<
$(BUILD)/fuzzobj/builtin_profiles.o: src/builtin_profiles.S $(wildcard profiles/*.json)
	@mkdir -p $(@D)
	$(Q)clang -c -Iprofiles -o $@ $<
$(BUILD)/fuzz/libcis-fuzz.a: $(FUZZLIB)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libcis-fuzz.a
	@mkdir -p $(@D)/corpus-$*
	@$(if $(Q),echo "  FUZZ-LD $@")
	$(Q)clang $(CFLAGS_BASE) $(FUZZFL) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libcis-fuzz.a \
		$(LDLIBS_BASE) $(FUZZ_LDLIBS)
# The JSON parser and printer under test against libcjson, the behaviour they follow.
$(BUILD)/fuzz/fuzz_json: FUZZ_LDLIBS = -lcjson
fuzz: deps
	@$(MAKE) --no-print-directory $(BUILD)/fuzz/fuzz_dns $(BUILD)/fuzz/fuzz_filecmd \
		$(FUZZERS:%=$(BUILD)/fuzz/fuzz_%)
	$(BUILD)/fuzz/fuzz_dns -max_total_time=$(FUZZ_SECONDS) -timeout=5 -print_final_stats=1 \
		$(BUILD)/fuzz/corpus tests/fuzz/corpus/dns
	$(BUILD)/fuzz/fuzz_filecmd -max_total_time=$(FUZZ_SECONDS) -timeout=5 -print_final_stats=1 \
		$(BUILD)/fuzz/corpus-filecmd tests/fuzz/corpus/filecmd
	@for t in $(FUZZERS); do \
		echo "$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/corpus-$$t" \
		     "tests/fuzz/corpus/$$t"; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=5 \
			-print_final_stats=1 $(BUILD)/fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# The Debian package, built by dpkg-buildpackage in a copy of the tree under build/deb (its
# outputs go to the parent directory): build/deb/cisandbox_$(VERSION)_*.deb, then lintian.
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
deb: deps
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/cisandbox-$(VERSION)
	$(Q)tar --exclude=./build --exclude=./.git -cf - . | tar -C $(BUILD)/deb/cisandbox-$(VERSION) -xf -
	$(Q)cd $(BUILD)/deb/cisandbox-$(VERSION) && GIT_COMMIT="$(GIT_COMMIT)" \
		dpkg-buildpackage -b -uc -us >../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	$(Q)lintian --fail-on error $(BUILD)/deb/cisandbox_$(VERSION)_$(DEB_ARCH).deb
	@echo "deb: $(BUILD)/deb/cisandbox_$(VERSION)_$(DEB_ARCH).deb"

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(abspath $(BUILD)/cisandbox)

install: $(BUILD)/cisandbox
	install -D -m 0755 $(BUILD)/cisandbox $(DESTDIR)$(BINDIR)/cisandbox
	install -d $(DESTDIR)$(DATADIR)/profiles
	install -m 0644 profiles/*.json $(DESTDIR)$(DATADIR)/profiles/
	@# The blueprint's policies for OPA, adapted to the policy input (README, Policy as code).
	install -d $(DESTDIR)$(DATADIR)/policy/cicd
	install -m 0644 policy/cicd/*.rego $(DESTDIR)$(DATADIR)/policy/cicd/
	install -D -m 0644 man/cisandbox.1 $(DESTDIR)$(MANDIR)/man1/cisandbox.1
	@# GitHub runner hooks (ACTIONS_RUNNER_CONTAINER_HOOKS, ACTIONS_RUNNER_HOOK_JOB_STARTED and
	@# _COMPLETED take a script path; .js ones run with the runner's own node).
	install -d $(DESTDIR)$(LIBDIR)
	$(foreach h,$(HOOKS),$(call gen_hook,$(BINDIR)/cisandbox,$(DESTDIR)$(LIBDIR)/$(h).js) && \
		chmod 0644 $(DESTDIR)$(LIBDIR)/$(h).js;)
	@# One Forgejo runner per job, the whole runner sandboxed (README, Forgejo).
	sed 's|runner=forgejo-runner cis=cisandbox|runner=forgejo-runner cis=$(BINDIR)/cisandbox|' \
		src/hooks/forgejo-ephemeral.sh >$(DESTDIR)$(LIBDIR)/forgejo-ephemeral.sh
	chmod 0755 $(DESTDIR)$(LIBDIR)/forgejo-ephemeral.sh
	install -D -m 0644 man/cisandbox-profile.5 $(DESTDIR)$(MANDIR)/man5/cisandbox-profile.5
	install -D -m 0644 src/completion/cisandbox.bash $(DESTDIR)$(COMPDIR)/cisandbox
	install -d $(DESTDIR)$(DATADIR)/apparmor
	install -m 0644 profiles/apparmor/cisandbox profiles/apparmor/cisandbox.apparmor3 \
		$(DESTDIR)$(DATADIR)/apparmor/
ifeq ($(APPARMOR_ETC),1)
	install -D -m 0644 profiles/apparmor/$(AA_VARIANT) $(DESTDIR)$(SYSCONFDIR)/apparmor.d/cisandbox
	@# Loaded only on this host and only where AppArmor is active.
	@if [ -z "$(DESTDIR)" ] && aa-enabled --quiet 2>/dev/null; then \
		apparmor_parser -r -T -W $(SYSCONFDIR)/apparmor.d/cisandbox; fi
endif
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cisandbox $(DESTDIR)$(MANDIR)/man1/cisandbox.1 \
		$(DESTDIR)$(MANDIR)/man5/cisandbox-profile.5 $(DESTDIR)$(COMPDIR)/cisandbox \
		$(DESTDIR)$(SYSCONFDIR)/apparmor.d/cisandbox
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBDIR)

format:
	clang-format -i src/*.c include/*.h tests/*/*.c tests/*/*.h
# make check: the tree as `make format` leaves it (the repo's .clang-format).
format-check:
	@clang-format --dry-run -Werror src/*.c include/*.h tests/*/*.c tests/*/*.h
	@echo "format: src/, include/ and tests/ as .clang-format says"

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*.d)
