#!/bin/bash
# bench_router.sh - the router at scale S (`make bench` runs it at the end
# of bench.sh; alone it needs build/bench/snapshot-slim.json and
# nodes-slim.json from tests/bench/gen-snapshot).
#
# NODE runs `snapnet run` (router only: cni, routes and firewall off;
# debounce_ms 100, the default) in a network namespace joined by a veth
# to a top-of-rack namespace running GoBGP, one IPv6 session carrying
# ipv4+ipv6. advertise_cluster_ip = yes, so NODE announces its two pod
# CIDRs and the 10,000 dual-stack ClusterIPs of scale S: 10,001 prefixes
# per family.
#   r1. first convergence: daemon start to all 20,002 paths in GoBGP
#   r2. one Service VIP added: the snapshot with one more dual-stack
#       Service is renamed into place; from the rename to each family's
#       VIP in GoBGP's RIB (tests/bench/router-watch: `gobgp monitor`,
#       monotonic clock), RUNS times, one more Service each time; per
#       run the pass's figures from status.json (pass, snapshot load,
#       the router's render / check (bird -p) / write / configure), and
#       BIRD's pid and the session's uptime, which must not change
#   r3. the same on a snapshot of only the Nodes and Services (no pods,
#       no slices): the router's share without the loader's
# It reports; it asserts nothing (the target is printed as met/missed).
# Namespaces are named snr-<pid>-*, removed on exit with every process.

set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

SNAPNET=${SNAPNET:-build/snapnet}
RUNS=${BENCH_RUNS:-5}
OUT=build/bench
NODE=node-00001
SLIM=$OUT/snapshot-slim.json
REPORT=$OUT/report.txt
PFX=snr-$$
TARGET_MS=300
TMP=
DAEMON=
NOOP=0 NODES= BATCH= BENCH_MODEL= M_MISSED=() # lib.sh's other callers'

. tests/bench/lib.sh
. tests/integration/router/lib/bgp.bash

# shellcheck disable=SC2317 # called by the trap
cleanup()
{
	stop_daemon
	bgp_teardown
	ns_cleanup "$PFX"
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench_router: needs root"; exit 1; }
[ -f "$SLIM" ] || { echo "bench_router: $SLIM missing: run make bench"; exit 1; }
bgp_require || exit 1
TMP=$(mktemp -d "$PWD/$OUT/router.XXXXXX")
NS=$PFX-node
TOR=$PFX-tor
GOBGP=$TMP/tor

topology()
{
	ip netns add "$NS" && ip netns add "$TOR" || return 1
	ip -n "$NS" link add eth0 type veth peer name eth0 netns "$TOR"
	for ns in "$NS" "$TOR"; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
	done
	# node-00001's InternalIPs in the generated cluster
	ip -n "$NS" addr add 10.1.0.1/15 dev eth0
	ip -n "$NS" addr add fd00:10::1/64 dev eth0 nodad
	ip -n "$TOR" addr add 10.1.255.254/15 dev eth0
	ip -n "$TOR" addr add fd00:10::fffe/64 dev eth0 nodad
}

router_conf() # DIR
{
	mkdir -p "$1/state" "$1/snap" "$1/bird"
	cat >"$1/agent.ini" <<-EOF
	[agent]
	node_name = $NODE
	snapshot = $1/snap/snapshot.json
	state_dir = $1/state
	resync_interval = 0
	[cni]
	enabled = no
	[routes]
	enabled = no
	[router]
	enabled = yes
	asn = 65001
	advertise_cluster_ip = yes
	bird_config = $1/bird/bird.conf
	bird_socket = $1/bird/bird.ctl
	bird_pidfile = $1/bird/bird.pid
	bird_log = $1/bird/bird.log
	connect_delay = 1
	[peer "tor"]
	address = fd00:10::fffe
	asn = 64512
	families = ipv4,ipv6
	EOF
}

# with_services SRC DEST FIRST LAST: SRC plus dual-stack Services
# bench-vip-FIRST..LAST (10.97.x.y, fd00:97::N), inserted as text before
# the end of `items` (no re-encoding of 130 MB).
with_services()
{
	/usr/bin/python3 - "$@" <<-'EOF'
	import sys
	src, dest, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	text = open(src).read()
	end = text.rindex("\n  ]")
	items = "".join(
	    ',\n{"apiVersion":"v1","kind":"Service","metadata":{"name":'
	    '"bench-vip-%d","namespace":"default"},"spec":{"type":"ClusterIP",'
	    '"clusterIP":"10.97.%d.%d","clusterIPs":["10.97.%d.%d",'
	    '"fd00:97::%x"],"ipFamilies":["IPv4","IPv6"],"ports":[{"port":80}]}}'
	    % (k, k >> 8, k & 255, k >> 8, k & 255, k) for k in range(first, last + 1))
	open(dest, "w").write(text[:end] + items + text[end:])
	EOF
}

vip4() { echo "10.97.$(($1 >> 8)).$(($1 & 255))/32"; }
vip6() { printf 'fd00:97::%x/128\n' "$1"; }

# Paths GoBGP holds for a family.
rib_paths() # ipv4|ipv6
{
	bgp_gobgp "$GOBGP" global rib -a "$1" summary 2>/dev/null |
		sed -n 's/.*Path: \([0-9]*\).*/\1/p'
}

rib_full() # N
{
	[ "$(rib_paths ipv4)" = "$1" ] && [ "$(rib_paths ipv6)" = "$1" ]
}

session_uptime()
{
	bgp_gobgp "$GOBGP" -j neighbor | jq -r '.[0].timers.state.uptime.seconds // 0'
}

# One run: K more Services than the file in force; the times and the
# pass's figures appended to the arrays.
one_run() # BASE K
{
	local base=$1 k=$2 out ms4 ms6 passes st
	with_services "$base" "$TMP/snap/next.json" 1 "$k"
	sync # its writeback would compete with the pass (2 cores)
	passes=$(status_get "$TMP" .passes)
	out=$(tests/bench/router-watch "$(command -v gobgp)" \
		"$GOBGP/gobgpd.sock" "$TMP/snap/next.json" \
		"$TMP/snap/snapshot.json" "$(vip4 "$k")" "$(vip6 "$k")") ||
		{ say "   run $k: $out"; return 1; }
	ms4=$(awk 'NR == 1 { print $2 }' <<<"$out")
	ms6=$(awk 'NR == 2 { print $2 }' <<<"$out")
	wait_passes "$TMP" $((passes + 1)) 10 >/dev/null
	st=$(status_get "$TMP" '[.duration_ms, .load_ms,
		.functions.router.timings_ms.render,
		.functions.router.timings_ms.dump,
		.functions.router.timings_ms.check,
		.functions.router.timings_ms.write,
		.functions.router.timings_ms.configure,
		.functions.router.planned] | map(. // 0) | @tsv')
	read -r pass load render dump check write conf planned <<<"$st"
	T4+=("$ms4") T6+=("$ms6") PASS+=("$pass") LOAD+=("$load")
	RENDER+=("$render") DUMP+=("$dump") CHECK+=("$check") WRITE+=("$write")
	CONF+=("$conf")
	AFTER+=("$(awk -v t="$ms4" -v p="$pass" 'BEGIN { printf "%.1f", t - 100 - p }')")
	say "   run $k: IPv4 VIP $ms4 ms, IPv6 VIP $ms6 ms after the rename;" \
		"pass $(fmt_ms "$pass") ms (load $(fmt_ms "$load"), render" \
		"$(fmt_ms "$render"), dump $(fmt_ms "$dump"), bird -p" \
		"$(fmt_ms "$check"), write" \
		"$(fmt_ms "$write"), configure $(fmt_ms "$conf")), $planned ops"
}

series() # LABEL BASE
{
	local label=$1 base=$2 k pid up t max
	T4=() T6=() PASS=() LOAD=() RENDER=() DUMP=() CHECK=() WRITE=() CONF=()
	AFTER=()
	pid=$(cat "$TMP/bird/bird.pid")
	up=$(session_uptime)
	for ((k = 1; k <= RUNS; k++)); do
		one_run "$base" "$k" || return 1
		sleep 0.3 # the next rename is not debounced into this pass
	done
	t=$(median "${T4[@]}")
	max=$(median "${T6[@]}")
	say "   $label: rename -> VIP in GoBGP's RIB, median of $RUNS: IPv4" \
		"$t ms, IPv6 $max ms (target <= $TARGET_MS ms:" \
		"$(verdict "$t" "$TARGET_MS")/$(verdict "$max" "$TARGET_MS"))"
	say "     where it goes (medians): debounce 100 ms, pass" \
		"$(fmt_ms "$(median "${PASS[@]}")") ms = snapshot load" \
		"$(fmt_ms "$(median "${LOAD[@]}")") + router (render" \
		"$(fmt_ms "$(median "${RENDER[@]}")"), dump" \
		"$(fmt_ms "$(median "${DUMP[@]}")"), bird -p" \
		"$(fmt_ms "$(median "${CHECK[@]}")"), write+fsync" \
		"$(fmt_ms "$(median "${WRITE[@]}")"), configure" \
		"$(fmt_ms "$(median "${CONF[@]}")")) + the core's rest; then" \
		"$(fmt_ms "$(median "${AFTER[@]}")") ms to GoBGP's RIB (the"\
		"UPDATE, GoBGP, and inotify's own delay)"
	[ "$(cat "$TMP/bird/bird.pid")" = "$pid" ] &&
		(($(session_uptime) >= up)) &&
		say "     BIRD pid $pid throughout, session never reset" ||
		say "     BIRD RESTARTED or session reset (pid $pid ->" \
			"$(cat "$TMP/bird/bird.pid"), uptime $up -> $(session_uptime))"
}

say ""
say "r. router: $NODE announces 10,001 prefixes per family (2 pod CIDRs,"
say "   10,000 dual-stack ClusterIPs) through BIRD $(bird --version 2>&1 |
	awk '{ print $NF }') to GoBGP $(gobgpd --version | awk '{ print $NF }'),"
say "   one IPv6 session with ipv4+ipv6; snapnet run, router only,"
say "   debounce_ms 100; load avg $(cut -d' ' -f1-3 /proc/loadavg)"
topology || { say "   topology failed"; exit 1; }
bgp_gobgp_start "$TOR" "$GOBGP" 64512 10.1.255.254 \
	addr=fd00:10::1,as=65001,afi=ipv4+ipv6 >/dev/null || exit 1
router_conf "$TMP"
cp "$SLIM" "$TMP/snap/snapshot.json"
t0=$(date +%s%N)
ip netns exec "$NS" "$SNAPNET" run -c "$TMP/agent.ini" >"$TMP/daemon.log" 2>&1 &
DAEMON=$!
if ! bgp_wait 120 rib_full 10001; then
	say "   GoBGP never got 2 x 10,001 paths (have $(rib_paths ipv4) +" \
		"$(rib_paths ipv6)); log: $(tail -c 600 "$TMP/daemon.log")"
	exit 0
fi
say "   r1. first convergence: $((($(date +%s%N) - t0) / 1000000)) ms from" \
	"the daemon's start to 2 x 10,001 paths in GoBGP (BIRD's first UPDATE"
say "       leaves 3 s after Established; see docs/router-notes.md)"
say "   r2. one more dual-stack Service per run, scale-S snapshot"
series "r2 (scale S)" "$SLIM" || exit 0

# r3: only Nodes and Services, the same 10,000 VIPs
jq '{apiVersion, kind, items: [.items[] | select(.kind == "Node" or
	.kind == "Service")]}' "$SLIM" >"$TMP/nodes-services.json"
cp "$TMP/nodes-services.json" "$TMP/snap/next.json"
mv "$TMP/snap/next.json" "$TMP/snap/snapshot.json"
bgp_wait 30 rib_full 10001
sleep 1
say "   r3. the same on a snapshot of only the 5,000 Nodes and 10,000"
say "       Services (no pods, no slices)"
series "r3 (nodes+services)" "$TMP/nodes-services.json" || exit 0
exit 0
