#!/bin/bash
# bench.sh - scale-S benchmark of snapnet on this machine (`make bench`).
#
# Generates the scale-S snapshot (tests/bench/gen-snapshot, cached), then
# measures and prints, also appending to build/bench/report.txt:
#   a. cold load: `snapnet validate` of the slim and the full form in a
#      fresh process, file already in the page cache: wall time, peak RSS
#   b. no-op reconcile: a `snapnet run` daemon in a fresh network namespace;
#      the snapshot is rewritten with identical bytes (cp + mv), the pass
#      this triggers is read back from status.json
#   c. routes: `snapnet apply` of node-00001's 2 x 4,999 routes into a fresh
#      namespace next to `ip -batch` of the same routes in another one, then
#      `snapnet plan` (must exit 0: idempotent)
#   d. machine conditions
# It reports; it asserts nothing (targets are printed as met/missed).
#
# Every namespace it creates is named snb-<pid>-*, every process it starts
# is remembered, and both are removed on exit. No packet is sent: the veth
# peers exist only so the underlay subnets are connected.
#
# Environment: SNAPNET (binary, default build/snapnet), BENCH_RUNS
# (repetitions of each timed step, default 5), BENCH_NOOP (no-op passes,
# default 5), BENCH_SKIP_FULL=1 skips the full-form load.

set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

SNAPNET=${SNAPNET:-build/snapnet}
RUNS=${BENCH_RUNS:-5}
NOOP=${BENCH_NOOP:-5}
OUT=build/bench
NODE=node-00001
SLIM=$OUT/snapshot-slim.json
FULL=$OUT/snapshot-full.json
NODES=$OUT/nodes-slim.json
BATCH=$OUT/routes-$NODE.batch
REPORT=$OUT/report.txt
PFX=snb-$$
TMP=
DAEMON=

. tests/bench/lib.sh

# shellcheck disable=SC2317 # called by the trap
cleanup()
{
	if [ -n "$DAEMON" ]; then
		kill -TERM "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	ns_cleanup "$PFX"
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)"; exit 1; }
[ -x "$SNAPNET" ] || { echo "bench: $SNAPNET missing: run make"; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d "$PWD/$OUT/run.XXXXXX")

# -- d. conditions (first, so the load average is the one before) ---------
say "================================================================"
say "snapnet bench, scale S  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
dirty=$(git status --porcelain -- agent Makefile 2>/dev/null | wc -l)
say "  commit     $(git rev-parse --short HEAD 2>/dev/null)$(
	[ "$dirty" = 0 ] || echo " + $dirty uncommitted files in agent/")"
say "  binary     $("$SNAPNET" version 2>&1 | head -1)"
say "  machine    $(nproc) CPUs, $(cpu_model), $(mem_total)"
say "  kernel     $(uname -r)"
say "  load avg   $(cut -d' ' -f1-3 /proc/loadavg) (before)"

# -- 1. snapshot ----------------------------------------------------------
/usr/bin/python3 tests/bench/gen-snapshot -o "$OUT" --node "$NODE" |
	sed 's/^/  /' | tee_report || { say "bench: generator failed"; exit 1; }

# -- a. cold load ---------------------------------------------------------
say ""
say "a. cold load: snapnet validate --node $NODE FILE (fresh process,"
say "   file in the page cache), median of $RUNS"
bench_load slim "$SLIM" "$RUNS" 2000 400
if [ "${BENCH_SKIP_FULL:-0}" = 1 ]; then
	say "   full: skipped (BENCH_SKIP_FULL=1)"
else
	bench_load full "$FULL" 1 "" ""
fi

# -- b. no-op reconcile ---------------------------------------------------
say ""
say "b. no-op reconcile: snapnet run in a fresh netns, slim snapshot"
say "   rewritten with identical bytes (cp + mv), $NOOP times"
bench_noop

# -- c. routes ------------------------------------------------------------
say ""
say "c. routes of $NODE: $(grep -c ' via [0-9.]* ' "$BATCH") IPv4 +" \
	"$(grep -c ' via [0-9a-f:]*:[0-9a-f]* ' "$BATCH") IPv6 into a fresh" \
	"netns, median of $RUNS"
bench_routes

say ""
say "  load avg   $(cut -d' ' -f1-3 /proc/loadavg) (after)"
say "report appended to $REPORT"
exit 0
