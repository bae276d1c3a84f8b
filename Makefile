# snapnet - one non-recursive Makefile.
#
#   make            build/snapnet
#   make deps       install the missing Debian packages (idempotent)
#   make check      deps, build, unit tests under ASan+UBSan, schema,
#                   fuzz regressions, bats (plain and sanitized agent)
#   make fuzz       libFuzzer on the snapshot loader, its cache and the config parser
#   make demo       3-node dual-stack cluster in network namespaces
#   make bench      scale-S benchmark (not a test)

PKGS      := inih json-c libnl-3.0 libnl-route-3.0 libmnl libipset libxxhash
DEB_PKGS  := gcc libc6-dev make pkg-config libinih-dev libjson-c-dev libnl-3-dev \
	     libnl-route-3-dev libmnl-dev libipset-dev libxxhash-dev \
	     libcmocka-dev bats containernetworking-plugins \
	     python3 python3-jsonschema iproute2 iptables ipset \
	     iputils-ping procps util-linux time jq parallel \
	     clang libclang-rt-14-dev llvm-14 bird2 gobgpd

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

# The agent's folders, one layer each (helpers <- snapshot <- core <-
# functions <- main). A function is a folder here plus its entry in
# agent/core/registry.c.
LAYERS    := lib snapshot core
FUNCTIONS := cni routes router firewall
PENDING   :=
SRCS      := $(filter-out $(PENDING), \
	     $(foreach d,$(LAYERS) $(FUNCTIONS),$(wildcard agent/$(d)/*.c)))
OBJS      := $(SRCS:agent/%.c=build/obj/%.o)
SAN_OBJS  := $(SRCS:agent/%.c=build/san/%.o)
UNIT_PENDING :=
UNIT_SRCS := $(filter-out $(UNIT_PENDING), \
	     $(foreach d,$(LAYERS) $(FUNCTIONS),$(wildcard tests/unit/$(d)/test_*.c)))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/san/tests/%)

all: build/snapnet

# The agent's objects, built once into a static library per variant:
# the binary, the unit tests and the fuzz targets all link one of them.
build/obj/libsnapnet.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

build/san/libsnapnet.a: $(SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

build/snapnet: build/obj/main.o build/obj/libsnapnet.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: agent/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/%.o: agent/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

# The agent itself under ASan+UBSan, for running the integration suite
# against it: `make integration SNAPNET=build/snapnet-san`.
build/snapnet-san: build/san/main.o build/san/libsnapnet.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

# The same library for the libFuzzer targets (clang, ASan+UBSan, fuzzer
# instrumentation) and for their coverage runs (tests/fuzz/run.sh).
FUZZ_CC   ?= clang
FUZZ_OBJS := $(SRCS:agent/%.c=build/fuzz/obj/%.o)
COV_OBJS  := $(SRCS:agent/%.c=build/fuzz/cov/%.o)
FUZZ_FLAGS = -std=gnu11 $(WARN) -g -O1 -fno-omit-frame-pointer \
	     $(PKG_CFLAGS) -Iagent -MMD -MP

build/fuzz/obj/%.o: agent/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/cov/%.o: agent/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fprofile-instr-generate -fcoverage-mapping \
		-c -o $@ $<

build/fuzz/obj/libsnapnet.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

build/fuzz/cov/libsnapnet.a: $(COV_OBJS)
	rm -f $@ && ar rcs $@ $^

# The loader's benchmark (tests/bench/bench_model.c), optimised build.
build/bench_model: tests/bench/bench_model.c build/obj/libsnapnet.a
	$(CC) $(ALL_CFLAGS) -o $@ $< build/obj/libsnapnet.a $(PKG_LIBS)

build/san/tests/%: tests/unit/%.c build/san/libsnapnet.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(SAN) -o $@ $< build/san/libsnapnet.a \
		$(PKG_LIBS) $(shell pkg-config --libs cmocka)

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
# Files run two at a time (GNU parallel), each file's tests in order:
# every test builds its own namespaces under a prefix of its own.
BATS_JOBS ?= 2
BATS_RUN = set -o pipefail; bats --timing -r --jobs $(BATS_JOBS) \
	--no-parallelize-within-files tests/integration | tee $(1); \
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

# libFuzzer targets for the two parsers of untrusted files and the
# loader's per-item cache (tests/fuzz/):
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

bench: deps build/bench_model
	$(MAKE) deps
	$(MAKE) all
	tests/bench/bench.sh

format:
	clang-format -i agent/*.c agent/*/*.[ch] tests/unit/*/*.c

clean:
	rm -rf build

.SECONDARY: $(OBJS) $(SAN_OBJS) build/obj/main.o build/san/main.o
.PHONY: all deps unit schema integration integration-san fuzz fuzz-regress fuzz-cover check demo bench format clean
-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) build/obj/main.d build/san/main.d \
	$(FUZZ_OBJS:.o=.d) $(COV_OBJS:.o=.d)
