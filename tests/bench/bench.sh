#!/bin/bash
# bench.sh - scale-S benchmark of snapnet on this machine (`make bench`).
#
# Generates the scale-S snapshot (tests/bench/gen-snapshot, cached) and its
# one-item changes (tests/bench/gen-changes, cached), then measures and
# prints, also appending to build/bench/report.txt:
#   a. cold load: `snapnet validate` of the slim and the full form in a
#      fresh process, file already in the page cache: wall time, peak RSS
#   b. no-op reconcile: a `snapnet run` daemon in a fresh network namespace;
#      the snapshot is rewritten with identical bytes (cp + mv), the pass
#      this triggers is read back from status.json
#   c. routes: `snapnet apply` of node-00001's 2 x 4,999 routes into a fresh
#      namespace next to `ip -batch` of the same routes in another one, then
#      `snapnet plan` (must exit 0: idempotent)
#   d. machine conditions
#   e. model: build/bench_model (the loader in-process, fresh process per
#      run) on the slim and the full form: cold load, peak RSS, reload
#      after one EndpointSlice changed (one endpoint added) and after one
#      Pod's labels changed, each against the snapshot before it
#   f. firewall (tests/bench/bench_fw.sh): node-00001's policies applied
#      next to the raw ipset/iptables tools, one pod added elsewhere
# It reports; it asserts nothing (targets are printed as met/missed).
#
# Every namespace it creates is named snb-<pid>-*, every process it starts
# is remembered, and both are removed on exit. No packet is sent: the veth
# peers exist only so the underlay subnets are connected.
#
# Environment: SNAPNET (binary, default build/snapnet), BENCH_MODEL
# (default build/bench_model), BENCH_RUNS (repetitions of each timed step,
# default 5), BENCH_FULL_RUNS (runs of the model on the full form, default
# 3), BENCH_NOOP (no-op passes, default 5), BENCH_SKIP_FULL=1 skips the
# full-form load and model.

set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

SNAPNET=${SNAPNET:-build/snapnet}
BENCH_MODEL=${BENCH_MODEL:-build/bench_model}
RUNS=${BENCH_RUNS:-5}
FULL_RUNS=${BENCH_FULL_RUNS:-3}
SKIP_FULL=${BENCH_SKIP_FULL:-0}
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
M_MISSED=()

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
dirty=$(git status --porcelain --untracked-files=no -- agent Makefile \
	tests/bench 2>/dev/null | wc -l)
untracked=$(git status --porcelain -- agent 2>/dev/null | grep -c '^??')
say "  commit     $(git rev-parse --short HEAD 2>/dev/null)$(
	[ "$dirty" = 0 ] ||
		echo " + $dirty modified files in agent/, Makefile, tests/bench/")$(
	[ "$untracked" = 0 ] || echo " ($untracked untracked in agent/)")"
say "  binary     $("$SNAPNET" version 2>&1 | head -1)"
say "  machine    $(nproc) CPUs, $(cpu_model), $(mem_total)"
say "  kernel     $(uname -r)"
say "  load avg   $(cut -d' ' -f1-3 /proc/loadavg) (before)"

# -- 1. snapshot ----------------------------------------------------------
/usr/bin/python3 tests/bench/gen-snapshot -o "$OUT" --node "$NODE" |
	sed 's/^/  /' | tee_report || { say "bench: generator failed"; exit 1; }
# the one-item changes of section e (cached: remade when the source changed)
/usr/bin/python3 tests/bench/gen-changes "$SLIM" "$OUT" | sed 's/^/  /' |
	tee_report || { say "bench: gen-changes failed"; exit 1; }
if [ "$SKIP_FULL" != 1 ]; then
	/usr/bin/python3 tests/bench/gen-changes --tag full "$FULL" "$OUT" |
		sed 's/^/  /' | tee_report ||
		{ say "bench: gen-changes (full) failed"; exit 1; }
fi

# -- a. cold load ---------------------------------------------------------
say ""
say "a. cold load: snapnet validate --node $NODE FILE (fresh process,"
say "   file in the page cache), median of $RUNS"
bench_load slim "$SLIM" "$RUNS" 2000 400
if [ "$SKIP_FULL" = 1 ]; then
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

# -- e. model -------------------------------------------------------------
say ""
say "e. model: $BENCH_MODEL BASE change-slice BASE change-pod (the loader"
say "   in-process, every kind converted; fresh process per run, files in"
say "   the page cache; each reload against the snapshot before it)"
if [ ! -x "$BENCH_MODEL" ]; then
	say "   skipped: $BENCH_MODEL missing (make build/bench_model)"
	M_MISSED+=("model (not run)")
else
	[ "$BENCH_MODEL" -ot build/obj/libsnapnet.a ] &&
		say "   note: $BENCH_MODEL is older than build/obj/libsnapnet.a"
	bench_model slim "$SLIM" "$OUT/change-slice.json" \
		"$OUT/change-pod.json" "$RUNS" 1000 200 150
	if [ "$SKIP_FULL" = 1 ]; then
		say "   full: skipped (BENCH_SKIP_FULL=1)"
	else
		bench_model full "$FULL" "$OUT/change-slice-full.json" \
			"$OUT/change-pod-full.json" "$FULL_RUNS" 3000 200
	fi
fi
if [ "${#M_MISSED[@]}" = 0 ]; then
	say "   model targets: all met"
else
	say "   model targets MISSED: $(printf '%s; ' "${M_MISSED[@]}" |
		sed 's/; $//')"
fi

# -- f. firewall (its own script: tests/bench/bench_fw.sh) ----------------
SNAPNET=$SNAPNET BENCH_RUNS=$RUNS tests/bench/bench_fw.sh ||
	say "f. firewall: bench_fw.sh failed"

# -- r. router (issue 7): a script of its own ------------------------------
tests/bench/bench_router.sh

say ""
say "  load avg   $(cut -d' ' -f1-3 /proc/loadavg) (after)"
say "report appended to $REPORT"
exit 0
