#!/bin/bash
# bench_fw.sh - the firewall at scale S on one node (`make bench` runs it
# after bench.sh; alone it needs build/bench/snapshot-slim.json).
#
#   f1. full apply: `snapnet apply` (cni and routes off, firewall on) of
#       NODE's policies into a fresh network namespace; the figure is the
#       firewall function's own time from status.json (functions.firewall
#       .ms: desire, dump, plan, apply; the snapshot load is apart), RUNS
#       times, each in a new namespace
#   f2. the raw tools on the same sets and rules, in fresh namespaces, in
#       the same run: `ipset restore` of the sets, then `iptables-restore
#       --noflush` and `ip6tables-restore --noflush` of the chains and jumps,
#       as saved from f1's kernel
#   f3. one pod added elsewhere in the cluster, joining K peer sets
#       (tests/bench/gen-fw-change picks it): a `snapnet run` daemon gets
#       the changed snapshot by rename, then the original again, RUNS times
#       each; per pass: the pass minus the snapshot load, the firewall's
#       ms, what it planned, and whether any rule was rewritten
#       (iptables-save before and after compared)
# It reports; it asserts nothing (targets printed as met/missed).
# Namespaces are named snf-<pid>-*, removed on exit with the daemon.

set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

SNAPNET=${SNAPNET:-build/snapnet}
RUNS=${BENCH_RUNS:-5}
OUT=build/bench
NODE=${BENCH_FW_NODE:-node-00001}
SLIM=$OUT/snapshot-slim.json
CHANGE=$OUT/change-fw-pod.json
REPORT=$OUT/report.txt
PFX=snf-$$
TMP=
DAEMON=

. tests/bench/lib.sh

# shellcheck disable=SC2317 # called by the trap
cleanup()
{
	stop_daemon
	ns_cleanup "$PFX"
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench_fw: needs root"; exit 1; }
[ -f "$SLIM" ] || { echo "bench_fw: $SLIM missing: run make bench"; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d "$PWD/$OUT/fw.XXXXXX")

fw_conf() # DIR SNAPSHOT
{
	mkdir -p "$1/state"
	cat >"$1/agent.ini" <<-EOF
	[agent]
	node_name = $NODE
	snapshot = $2
	state_dir = $1/state
	resync_interval = 0
	log_level = warning
	[cni]
	enabled = no
	[routes]
	enabled = no
	[firewall]
	enabled = yes
	EOF
}

# our chains and jumps of one family as restore input
raw_rules() # NS SAVE-TOOL
{
	ip netns exec "$1" "$2" -t filter | awk '
		/^\*filter/ { print; next }
		/^:SNAPNET-FW-/ { print $1 " - [0:0]"; next }
		/^-A / && (/^-A SNAPNET-FW-/ || / -j SNAPNET-FW-/) { print }
		END { print "COMMIT" }'
}

raw_sets() # NS
{
	ip netns exec "$1" ipset save | grep -E '^(create|add) snapnet-fw-'
}

# f1 + f2 -----------------------------------------------------------------
say ""
say "f. firewall of $NODE (scale S), iptables backend of a fresh netns"
/usr/bin/python3 tests/bench/gen-fw-change "$SLIM" "$NODE" "$CHANGE" |
	sed 's/^/   /' | tee_report ||
	{ say "   gen-fw-change failed"; exit 1; }
d=$TMP/apply
fw_conf "$d" "$PWD/$SLIM"
OURS=() RAW=()
for ((i = 0; i < RUNS; i++)); do
	ns=$PFX-a$i
	ip netns add "$ns" || exit 1
	rm -f "$d/state/status.json"
	ip netns exec "$ns" "$SNAPNET" apply -c "$d/agent.ini" \
		>"$TMP/out" 2>&1 || { say "   apply failed: $(tail -c 300 "$TMP/out")"; exit 1; }
	OURS+=("$(fmt_ms "$(jq .functions.firewall.ms "$d/state/status.json")")")
	if [ "$i" = 0 ]; then
		raw_rules "$ns" iptables-save >"$TMP/v4"
		raw_rules "$ns" ip6tables-save >"$TMP/v6"
		raw_sets "$ns" >"$TMP/sets"
		ip netns exec "$ns" "$SNAPNET" plan -c "$d/agent.ini" \
			>"$TMP/plan" 2>&1
		PLAN_RC=$?
		PLANNED=$(jq .functions.firewall.planned "$d/state/status.json")
	fi
	ip netns del "$ns"
done
for ((i = 0; i < RUNS; i++)); do
	ns=$PFX-r$i
	ip netns add "$ns" || exit 1
	t0=$(date +%s%N)
	ip netns exec "$ns" sh -c "ipset restore <'$TMP/sets' &&
		iptables-restore --noflush <'$TMP/v4' &&
		ip6tables-restore --noflush <'$TMP/v6'" ||
		{ say "   raw restore failed"; exit 1; }
	t1=$(date +%s%N)
	RAW+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')")
	ip netns del "$ns"
done
m_ours=$(median "${OURS[@]}")
m_raw=$(median "${RAW[@]}")
ratio=$(awk -v a="$m_ours" -v b="$m_raw" 'BEGIN { printf "%.2f", a / b }')
say "   what: $PLANNED operations; $(grep -c '^create' "$TMP/sets") sets," \
	"$(grep -c '^add' "$TMP/sets") members; rules $(grep -c '^-A' "$TMP/v4")" \
	"IPv4 + $(grep -c '^-A' "$TMP/v6") IPv6"
say "   full apply (firewall ms): median $m_ours ms (runs: ${OURS[*]})"
say "   raw ipset restore + iptables-restore + ip6tables-restore:" \
	"median $m_raw ms (runs: ${RAW[*]})"
say "     ratio $ratio (target <= 1.2: $(verdict "$ratio" 1.2))"
say "   second run (plan after apply): exit $PLAN_RC (0 = nothing to do)"

# f3 ------------------------------------------------------------------------
d=$TMP/daemon
mkdir -p "$d/snap"
cp "$SLIM" "$d/snap/snapshot.json"
fw_conf "$d" "$d/snap/snapshot.json"
ns=$PFX-d
ip netns add "$ns" || exit 1
ip netns exec "$ns" "$SNAPNET" run -c "$d/agent.ini" >"$d/daemon.log" 2>&1 &
DAEMON=$!
if ! wait_passes "$d" 1 300; then
	say "   daemon: no first pass: $(tail -c 300 "$d/daemon.log")"
	exit 1
fi
PASS=() FW=() PL=() REWRITE=0 MEMBERS=()
for ((i = 0; i < 2 * RUNS; i++)); do
	src=$CHANGE
	[ $((i % 2)) = 1 ] && src=$SLIM
	ip netns exec "$ns" iptables-save -t filter | grep -v '^#' >"$TMP/before"
	prev=$(status_get "$d" .passes)
	cp "$src" "$d/snap/.next"
	mv -f "$d/snap/.next" "$d/snap/snapshot.json"
	wait_passes "$d" $((prev + 1)) 300 || { say "   no pass"; exit 1; }
	ip netns exec "$ns" iptables-save -t filter | grep -v '^#' >"$TMP/after"
	cmp -s "$TMP/before" "$TMP/after" || REWRITE=$((REWRITE + 1))
	read -r dur load fms planned trig < <(status_get "$d" \
		'"\(.duration_ms) \(.load_ms) \(.functions.firewall.ms) \(.functions.firewall.planned) \(.trigger)"')
	PASS+=("$(awk -v a="$dur" -v b="$load" 'BEGIN { printf "%.1f", a - b }')")
	FW+=("$(fmt_ms "$fms")")
	PL+=("$planned/$trig")
done
m_pass=$(median "${PASS[@]}")
m_fw=$(median "${FW[@]}")
say "   one pod added / removed elsewhere (daemon, inotify passes):"
say "     pass minus snapshot load: median $m_pass ms (runs: ${PASS[*]})"
say "     firewall ms: median $m_fw ms (runs: ${FW[*]})"
say "     planned/trigger per pass: ${PL[*]}"
say "     target <= 10 ms from load to kernel: $(verdict "$m_pass" 10);" \
	"rules rewritten in $REWRITE of $((2 * RUNS)) passes (target 0)"
