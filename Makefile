# snapnet - one non-recursive Makefile.
#
#   make            build/snapnet
#   make deps       install the missing Debian packages (idempotent)
#   make check      deps, build, unit tests under ASan+UBSan, schema,
#                   fuzz regressions, bats (plain and sanitized agent)
#   make fuzz       libFuzzer on the snapshot loader and the config parser
#   make demo       3-node dual-stack cluster in network namespaces
#   make bench      scale-S benchmark (not a test)

PKGS      := inih json-c libnl-3.0 libnl-route-3.0 libmnl libipset libxxhash
DEB_PKGS  := gcc libc6-dev make pkg-config libinih-dev libjson-c-dev libnl-3-dev \
	     libnl-route-3-dev libmnl-dev libipset-dev libxxhash-dev \
	     libcmocka-dev bats containernetworking-plugins \
	     python3 python3-jsonschema iproute2 iptables ipset \
	     iputils-ping procps util-linux time jq \
	     clang libclang-rt-14-dev llvm-14

SHELL     := /bin/bash
CC        ?= gcc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	     -Wmissing-prototypes -Wformat=2
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Iagent -MMD -MP
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all

SRCS      := $(wildcard agent/*.c)
OBJS      := $(SRCS:agent/%.c=build/obj/%.o)
LIB_OBJS  := $(filter-out build/obj/main.o,$(OBJS))
SAN_OBJS  := $(LIB_OBJS:build/obj/%=build/san/%)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/san/%)

all: build/snapnet

build/snapnet: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: agent/%.c | build/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/%.o: agent/%.c | build/san
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

# The agent itself under ASan+UBSan, for running the integration suite
# against it: `make integration SNAPNET=build/snapnet-san`.
build/snapnet-san: $(SAN_OBJS) build/san/main.o
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

build/san/test_%: tests/unit/test_%.c $(SAN_OBJS) | build/san
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< $(SAN_OBJS) $(PKG_LIBS) \
		$(shell pkg-config --libs cmocka)

build/obj build/san:
	mkdir -p $@

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

schema: build/snapnet
	tests/schema/check-examples.sh

# bats prints TAP; the closing line counts it for people and CI alike.
# SNAPNET picks the binary under test (tests/integration/lib/cluster.bash).
BATS_RUN = set -o pipefail; bats --timing tests/integration | tee $(1); \
	rc=$$?; echo "$(2): $$(grep -c '^ok' $(1)) passed, \
	$$(grep -c '^not ok' $(1)) failed"; exit $$rc

integration: build/snapnet
	@$(call BATS_RUN,build/bats.tap,integration)

# The same suite against the agent built with ASan+UBSan: any memory
# error or leak in the netlink and daemon paths aborts or fails a command.
integration-san: build/snapnet-san
	@export SNAPNET=$(CURDIR)/build/snapnet-san \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0; \
	$(call BATS_RUN,build/bats-san.tap,integration-san)

# libFuzzer targets for the two parsers of untrusted files (tests/fuzz/):
# `make fuzz` fuzzes each for FUZZ_SECONDS; fuzz-regress replays the seeds
# and every input that once found a bug (part of check, a few seconds).
FUZZ_SECONDS ?= 60
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-regress:
	tests/fuzz/run.sh regress

fuzz-cover:
	tests/fuzz/run.sh cover

check:
	$(MAKE) deps
	$(MAKE) all unit schema fuzz-regress integration integration-san

demo:
	$(MAKE) deps
	$(MAKE) all
	contrib/demo/demo.sh

bench:
	$(MAKE) deps
	$(MAKE) all
	tests/bench/bench.sh

format:
	clang-format -i agent/*.c agent/*.h tests/unit/*.c

clean:
	rm -rf build

.SECONDARY: $(SAN_OBJS)
.PHONY: all deps unit schema integration integration-san fuzz fuzz-regress fuzz-cover check demo bench format clean
-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d)
