#!/bin/bash
# run.sh - build and run snapnet's libFuzzer targets (clang-14).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]  build, then fuzz each target
#                                            for SECONDS (default 60)
#   tests/fuzz/run.sh build                  build only
#   tests/fuzz/run.sh regress                replay the seeds and
#                                            tests/fuzz/regressions/ once
#   tests/fuzz/run.sh cover [TARGET...]      line coverage of agent/ over
#                                            the corpus so far (llvm-cov)
#
# Targets: snapshot (snapshot_parse/snapshot_load + desired_build),
# cache (a warm load with the previous snapshot's records = a cold one)
# and config (config_load). Everything the run writes goes under build/fuzz/:
#   obj/ bin/      objects and fuzzers (ASan+UBSan+libFuzzer)
#   seeds/T/       the seed corpus, copied from examples/ on each run
#   regs/T/        tests/fuzz/regressions/T-*, replayed by `regress` only
#   corpus/T/      inputs libFuzzer found interesting (kept across runs)
#   crashes/T/     crash-*, leak-*, timeout-*, oom-* reproducers
#   T.log          the last run's output
# The repository is never written to. A new crash found here belongs, once
# minimised (`build/fuzz/bin/fuzz_T -minimize_crash=1 -runs=10000 FILE`),
# in tests/fuzz/regressions/ as T-WHAT.json or T-WHAT.ini.
#
# Environment: CC (default clang), FUZZ_ARGS (extra libFuzzer flags),
# Exits non-zero when a target crashed, leaked or timed out.
set -u -o pipefail

cd "$(dirname "$0")/../.." || exit 1
CC=${CC:-clang}
OUT=build/fuzz
PKGS="inih json-c libnl-3.0 libnl-route-3.0 libmnl libipset libxxhash"
ALL_TARGETS="snapshot cache config"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Iagent
	$(pkg-config --cflags $PKGS)"
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wformat=2"
LIBS=$(pkg-config --libs $PKGS)

die() { echo "fuzz: $*" >&2; exit 1; }

# $1 = variant (obj or cov): the agent's library of that variant, built
# by the Makefile like every other build of the agent's objects.
build_lib() {
	make -s "$OUT/$1/libsnapnet.a" FUZZ_CC="$CC" >/dev/null ||
		die "cannot build $OUT/$1/libsnapnet.a"
	OBJS=$OUT/$1/libsnapnet.a
}

build() {
	local t
	command -v "$CC" >/dev/null || die "$CC not found (apt-get install clang)"
	build_lib obj
	mkdir -p $OUT/bin
	for t in $ALL_TARGETS; do
		# the fuzzer runtime is libclang-rt-14-dev on Debian
		$CC $CFLAGS $WARN $SAN -fsanitize=fuzzer \
			-o $OUT/bin/fuzz_$t tests/fuzz/fuzz_$t.c \
			$OBJS $LIBS ||
			die "cannot link fuzz_$t (is libclang-rt-14-dev installed?)"
	done
}

# The cache target's seeds: pairs "A\n%%\nB" of documents from examples/
# and variations of them made with jq (items reordered, one dropped, one
# label changed), and a good A with each semantic error as B.
pair() { { cat "$1"; printf '\n%%%%\n'; cat "$2"; } >"$3"; }

cache_seeds() {
	local d=$OUT/seeds/cache v=$OUT/seeds/cache-var a i=0 f
	local docs=(examples/cluster-ipv4.json examples/cluster-ipv6.json
		examples/cluster-dual.json examples/valid/nulls.json
		examples/valid/duplicate-keys-last-wins.json
		examples/valid/empty-strings-unset.json
		examples/valid/not-realisable.json)
	mkdir -p "$v"
	for a in "${docs[@]}"; do
		i=$((i + 1))
		jq '.items |= reverse' "$a" >"$v/$i-rev.json"
		jq 'del(.items[0])' "$a" >"$v/$i-drop.json"
		jq '(first(.items[] | select(.metadata.labels != null))
			.metadata.labels) += {"fuzz": "changed"}' \
			"$a" >"$v/$i-label.json"
		pair "$a" "$a" "$d/$i-same"
		for f in rev drop label; do
			pair "$a" "$v/$i-$f.json" "$d/$i-$f"
			pair "$v/$i-$f.json" "$a" "$d/$i-$f-back"
		done
		pair "$a" "${docs[$((i % ${#docs[@]}))]}" "$d/$i-next"
	done
	rm -rf "$v"
	for f in examples/invalid/semantic/*.json; do
		pair examples/cluster-dual.json "$f" "$d/bad-$(basename "$f")"
	done
}

seeds() {
	local t
	rm -rf $OUT/seeds $OUT/regs
	for t in $ALL_TARGETS; do
		mkdir -p $OUT/seeds/$t $OUT/regs/$t
	done
	find examples -name '*.json' -exec cp -t $OUT/seeds/snapshot {} +
	cp examples/agent.ini $OUT/seeds/config/
	cache_seeds || die "cannot make the cache target's seeds"
	# the cache target reads snapshots: their dictionary and the separator
	cp tests/fuzz/snapshot.dict tests/fuzz/config.dict $OUT/
	{ cat tests/fuzz/snapshot.dict; echo '"\x0a%%\x0a"'; } >$OUT/cache.dict
	# not seeds: an open bug's input would stop every run at startup
	for t in $ALL_TARGETS; do
		cp tests/fuzz/regressions/$t-* $OUT/regs/$t/ 2>/dev/null
	done
	return 0
}

fuzz() {
	local t=$1 secs=$2
	mkdir -p $OUT/corpus/$t $OUT/crashes/$t
	echo "== fuzz_$t for ${secs}s (log: $OUT/$t.log)"
	# -rss_limit_mb: the loader may keep one 1 MiB Node as a json-c tree
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$OUT/bin/fuzz_$t -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-dict=$OUT/$t.dict \
		-artifact_prefix=$OUT/crashes/$t/ ${FUZZ_ARGS:-} \
		$OUT/corpus/$t $OUT/seeds/$t 2>&1 | tee $OUT/$t.log |
		grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|ERROR|SUMMARY|invariant'
}

# One process per input: libFuzzer stops a list at its first crash, and
# every failing regression should be named.
regress() {
	local t f rc=0 n
	for t in $ALL_TARGETS; do
		n=0
		: >$OUT/$t-regress.log
		for f in $(find $OUT/seeds/$t $OUT/regs/$t -type f | sort); do
			n=$((n + 1))
			ASAN_OPTIONS=detect_leaks=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			$OUT/bin/fuzz_$t -runs=1 -artifact_prefix=$OUT/regress- \
				"$f" >$OUT/one.log 2>&1 || {
				echo "FAIL fuzz_$t $(basename "$f"):" \
					"$(grep -m1 -E 'invariant|ERROR:|runtime error' \
					$OUT/one.log)"
				rc=1
			}
			cat $OUT/one.log >>$OUT/$t-regress.log
		done
		echo "== fuzz_$t: $n inputs replayed (log: $OUT/$t-regress.log)"
	done
	return $rc
}

# Source-based coverage of agent/ over seeds + corpus: no sanitizers, a
# plain main() from libFuzzer that just runs the inputs.
declare -A COVER_SRCS=(
	[snapshot]="agent/lib/scan.c agent/snapshot/snapshot.c
		agent/snapshot/snapshot_node.c agent/snapshot/snapshot_check.c
		agent/snapshot/snapshot_guard.c agent/core/desired.c"
	[cache]="agent/snapshot/snapshot_item.c agent/snapshot/snapshot_index.c
		agent/snapshot/snapshot_rec.c"
	[config]="agent/core/config.c"
)

cover() {
	local t prof
	build_lib cov
	mkdir -p $OUT/bin
	for t in "$@"; do
		$CC $CFLAGS -fprofile-instr-generate -fcoverage-mapping \
			-fsanitize=fuzzer -o $OUT/bin/cov_$t \
			tests/fuzz/fuzz_$t.c $OBJS $LIBS ||
			die "cannot link cov_$t"
		prof=$OUT/cov-$t.profraw
		rm -f $prof
		LLVM_PROFILE_FILE=$prof \
			$OUT/bin/cov_$t -runs=0 $OUT/corpus/$t $OUT/seeds/$t \
			>$OUT/cov-$t.log 2>&1
		llvm-profdata-14 merge -sparse -o $OUT/cov-$t.profdata $prof ||
			die "no profile for $t (an input crashed? $OUT/cov-$t.log)"
		echo "== coverage of fuzz_$t over seeds + corpus"
		llvm-cov-14 report $OUT/bin/cov_$t \
			-instr-profile=$OUT/cov-$t.profdata ${COVER_SRCS[$t]}
	done
}

case "${1:-}" in
build)
	build
	;;
regress)
	build && seeds && regress
	;;
cover)
	shift
	seeds
	cover ${@:-$ALL_TARGETS}
	;;
*)
	secs=${1:-60}
	[[ $secs =~ ^[0-9]+$ ]] || die "usage: $0 [SECONDS|build|regress|cover] [TARGET...]"
	shift $(($# > 0 ? 1 : 0))
	build && seeds || exit 1
	rc=0
	for t in ${@:-$ALL_TARGETS}; do
		[[ " $ALL_TARGETS " == *" $t "* ]] || die "no target $t"
		fuzz "$t" "$secs" || rc=1
		ls $OUT/crashes/$t | sed "s|^|$OUT/crashes/$t/|"
	done
	exit $rc
	;;
esac
