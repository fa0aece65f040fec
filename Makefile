# SPDX-License-Identifier: MIT
# anycast-agent: plain make, honours CFLAGS, LDFLAGS, CPPFLAGS, DESTDIR, PREFIX and V=1.
#   make            build ./anycast-agent
#   make check      install build/test dependencies (Debian, as root), unit tests, the same
#                   tests under ASan/UBSan, then the namespace integration tests (root)
#   make install    DESTDIR=... PREFIX=/usr

PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
SYSCONFDIR  ?= /etc
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/anycast-agent
EXAMPLESDIR ?= $(DOCDIR)/examples
# systemd's unit directory as its pkg-config file says (as wireguard-tools does), else PREFIX's.
PKG_CONFIG  ?= pkg-config
UNITDIR     ?= $(shell d=$$($(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null); \
		echo "$${d:-$(PREFIX)/lib/systemd/system}")
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
PLUGINDIR   ?= $(PREFIX)/lib/nagios/plugins
VERSION    := 0.2.0

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	   -Wimplicit-fallthrough
ifeq ($(WERROR),1)
WARN += -Werror
endif
CPPFLAGS += -I. -D_GNU_SOURCE -DAA_VERSION='"$(VERSION)"'
LIBS    := -lunbound -lmnl -linih -ljson-c -lsystemd -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

# B is the build directory; the sanitizer build reuses every rule with B=build/asan.
B       ?= build
SAN     ?=
SRCS    := $(wildcard agent/*.c netlink/*.c health/*.c)
LIBSRCS := $(filter-out agent/main.c,$(SRCS))
OBJS    := $(SRCS:%.c=$(B)/%.o)
LIBOBJS := $(LIBSRCS:%.c=$(B)/%.o)
NLOBJS  := $(patsubst %.c,$(B)/%.o,$(wildcard netlink/*.c))
HCOBJS  := $(patsubst %.c,$(B)/%.o,$(wildcard health/*.c))
TESTS   := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
TESTBINS := $(TESTS:%=$(B)/tests/%)

all: anycast-agent

# Renamed into place: a running agent (a test) keeps its old copy, cp would fail "busy".
anycast-agent: $(B)/anycast-agent
	$(Q)cp $< $@.tmp && mv -f $@.tmp $@

$(B)/anycast-agent: $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

# Each module's tests link only that module; the agent's link everything but main(), or, for
# test_agent, the daemon over tests/fake.c's kernel and resolver.
MODTESTS := $(B)/tests/test_netlink $(B)/tests/test_netlink_ns $(B)/tests/test_health \
	    $(B)/tests/test_loop $(B)/tests/test_frr $(B)/tests/test_frr_bgp $(B)/tests/test_agent \
	    $(B)/tests/test_log
AGENTOBJS := $(filter-out $(B)/agent/main.o,$(patsubst %.c,$(B)/%.o,$(wildcard agent/*.c)))
$(B)/tests/test_agent: tests/fake.c tests/fake.h $(AGENTOBJS) $(B)/health/fsm.o $(B)/health/damp.o \
	$(B)/health/names.o $(B)/netlink/nl_msg.o
$(B)/tests/test_netlink $(B)/tests/test_netlink_ns: $(NLOBJS)
$(B)/tests/test_health: $(HCOBJS)
$(B)/tests/test_loop: $(B)/agent/loop.o
$(B)/tests/test_log: $(B)/agent/log.o
$(B)/tests/test_frr $(B)/tests/test_frr_bgp: $(B)/agent/frr.o $(B)/agent/frr_json.o $(B)/agent/frr_bgp.o $(B)/netlink/nl_msg.o
$(filter-out $(MODTESTS),$(TESTBINS)): $(LIBOBJS)
$(B)/tests/%: tests/%.c
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LIBS) -lcmocka

# dnsprobe: the test bed's client (one query per interval, which instance answered), libldns.
$(B)/tests/bed/dnsprobe: tests/bed/dnsprobe.c
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $< -lldns

dnsprobe: $(B)/tests/bed/dnsprobe

tests: $(TESTBINS) $(B)/anycast-agent $(B)/tests/bed/dnsprobe

unit: $(TESTBINS)
	$(Q)set -e; for t in $(TESTBINS); do echo "== $$t"; $$t; done

asan:
	$(Q)$(MAKE) --no-print-directory B=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" unit build/asan/anycast-agent \
		build/asan/tests/bed/dnsprobe

integration: all
	$(Q)tests/integration.sh ./anycast-agent

# The main job, shown: the campus, a live timeline, unbound killed on the near host.
# MODE=bgp: the same over BGP (etc/frr-bgp.conf); MODE=intra: OSPF intra-area routes.
demo: deps
	$(Q)$(MAKE) --no-print-directory all dnsprobe
	$(Q)CAMPUS_FRR=$(or $(MODE),external) tests/bed/demo.sh

# The failover benchmark (not part of check): bench/results.md and timeline PNGs.
#   make bench            full run (36 min here); BENCH_QUICK=1 make bench (shorter)
bench: deps
	$(Q)$(MAKE) --no-print-directory all dnsprobe
	$(Q)bench/run.sh

campus: all $(B)/tests/bed/dnsprobe
	$(Q)AGENT=./anycast-agent tests/bed/test_campus.sh

# The agent under load: dnsperf at unbound's full rate, every CPU busy (issue 11).
load: all
	$(Q)AGENT=./anycast-agent tests/bed/test_load.sh
.PHONY: load

deps:
	$(Q)tests/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory format-check scan
	$(Q)$(MAKE) --no-print-directory WERROR=1 all unit dnsprobe
	$(Q)$(MAKE) --no-print-directory WERROR=1 asan
	$(Q)$(MAKE) --no-print-directory FUZZ_SECONDS=10 fuzz
	$(Q)tests/integration.sh ./anycast-agent
	$(Q)AA_ASAN=1 tests/integration.sh build/asan/anycast-agent
	$(Q)tests/test_privileges.sh ./anycast-agent
	$(Q)tests/test_examples.sh ./anycast-agent
	$(Q)tests/test_package.sh
	$(Q)st=0; for m in external intra bgp; do \
		AGENT=./anycast-agent CAMPUS_FRR=$$m CAMPUS_RUNS=1 CAMPUS_FREEZE_RUNS=1 \
			tests/bed/test_campus.sh || st=1; \
	done; exit $$st
	$(Q)AGENT=./anycast-agent tests/bed/test_load.sh

# Everything the Debian package installs (packaging/debian/rules runs this, PREFIX=/usr).
# The unit names the binary and the configuration: their paths follow SBINDIR and SYSCONFDIR.
# The monitoring plugin is the binary under another name (check_anycast_agent: --check-once).
install: all man
	install -D -m 0755 anycast-agent $(DESTDIR)$(SBINDIR)/anycast-agent
	install -D -m 0644 etc/anycast-agent.conf $(DESTDIR)$(SYSCONFDIR)/anycast-agent/anycast-agent.conf
	install -D -m 0644 etc/default/anycast-agent $(DESTDIR)$(SYSCONFDIR)/default/anycast-agent
	sed -e 's|/usr/sbin/anycast-agent|$(SBINDIR)/anycast-agent|g' \
	    -e 's|/etc/anycast-agent/|$(SYSCONFDIR)/anycast-agent/|g' \
	    -e 's|/etc/default/anycast-agent|$(SYSCONFDIR)/default/anycast-agent|g' \
	    etc/anycast-agent.service >$(B)/anycast-agent.service
	install -D -m 0644 $(B)/anycast-agent.service $(DESTDIR)$(UNITDIR)/anycast-agent.service
	install -D -m 0644 packaging/debian/anycast-agent.sysusers $(DESTDIR)$(SYSUSERSDIR)/anycast-agent.conf
	install -D -m 0644 build/man/anycast-agent.8 $(DESTDIR)$(MANDIR)/man8/anycast-agent.8
	install -D -m 0644 build/man/anycast-agent.conf.5 $(DESTDIR)$(MANDIR)/man5/anycast-agent.conf.5
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d $(DESTDIR)$(EXAMPLESDIR)
	install -m 0644 etc/anycast-agent.conf etc/frr.conf etc/frr-intra-area.conf etc/frr-bgp.conf etc/unbound.conf \
		$(DESTDIR)$(EXAMPLESDIR)/
	@set -e; [ ! -d doc/monitoring ] || find doc/monitoring -type f | LC_ALL=C sort | \
	while IFS= read -r f; do \
		m=0644; [ ! -x "$$f" ] || m=0755; \
		echo "install -D -m $$m $$f $(DESTDIR)$(EXAMPLESDIR)/$${f#doc/monitoring/}"; \
		install -D -m $$m "$$f" "$(DESTDIR)$(EXAMPLESDIR)/$${f#doc/monitoring/}"; \
	done
	install -d $(DESTDIR)$(PLUGINDIR)
	ln -sfr $(DESTDIR)$(SBINDIR)/anycast-agent $(DESTDIR)$(PLUGINDIR)/check_anycast_agent

# Man pages from doc/*.scd (scdoc).
MANPAGES := build/man/anycast-agent.8 build/man/anycast-agent.conf.5
man: $(MANPAGES)
build/man/%: doc/%.scd
	@mkdir -p $(@D)
	@echo "  SCDOC   $@"
	$(Q)scdoc <$< >$@.tmp && mv -f $@.tmp $@

# The Debian package from packaging/ (dpkg-buildpackage -us -uc -b, no root needed);
# the .deb lands in $(DEBDIR).
DEBDIR ?= build/deb
deb:
	$(Q)packaging/build-deb.sh $(VERSION) $(DEBDIR)

# libFuzzer harnesses for the parsers that read untrusted bytes (config text, netlink, FRR's JSON).
FUZZ_SECONDS ?= 20
FUZZCC       ?= clang
FUZZFLAGS    := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
build/fuzz/fuzz_config: tests/fuzz_config.c agent/config.c agent/config-values.c agent/config-int.h \
		agent/log.c $(wildcard netlink/*.c health/*.c)
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -o $@ tests/fuzz_config.c agent/log.c \
		$(wildcard netlink/*.c health/*.c) $(LIBS)
build/fuzz/fuzz_netlink: tests/fuzz_netlink.c $(wildcard netlink/*.c)
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -o $@ tests/fuzz_netlink.c \
		$(filter-out netlink/nl_msg.c,$(wildcard netlink/*.c)) $(LIBS)

build/fuzz/fuzz_frr: tests/fuzz_frr.c agent/frr_json.c agent/frr_bgp.c agent/frr.h agent/frr-int.h \
		netlink/nl_msg.c
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -o $@ tests/fuzz_frr.c netlink/nl_msg.c $(LIBS)

fuzz: build/fuzz/fuzz_config build/fuzz/fuzz_netlink build/fuzz/fuzz_frr
	$(Q)mkdir -p build/fuzz/corpus-config build/fuzz/corpus-netlink build/fuzz/corpus-frr
	build/fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		build/fuzz/corpus-config tests/corpus/config
	build/fuzz/fuzz_netlink -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		build/fuzz/corpus-netlink tests/corpus/netlink
	build/fuzz/fuzz_frr -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
		-dict=tests/fuzz_frr.dict build/fuzz/corpus-frr tests/corpus/frr

# The clang static analyzer over the daemon and the prober; any finding fails.
scan:
	$(Q)rm -rf build/scan
	$(Q)scan-build-14 --status-bugs -o build/scan/report $(MAKE) --no-print-directory \
		B=build/scan/obj build/scan/obj/anycast-agent build/scan/obj/tests/bed/dnsprobe

format:
	clang-format -i $(SRCS) $(wildcard */*.h) $(wildcard tests/*.c tests/*.h tests/bed/*.c)

format-check:
	clang-format --dry-run --Werror $(SRCS) $(wildcard */*.h) $(wildcard tests/*.c tests/*.h tests/bed/*.c)

clean:
	rm -rf build anycast-agent

.PHONY: all man deb dnsprobe tests unit asan scan fuzz integration campus demo deps check install format format-check clean

-include $(OBJS:.o=.d) $(TESTBINS:=.d)
