# shellcheck shell=bash
# shellcheck disable=SC2034 # CL_* variables are read by the callers
#
# cluster.bash - an N-node snapnet cluster built from network namespaces.
#
# Shared by the bats integration tests (tests/integration/*.bats) and by
# `make demo` (contrib/demo/demo.sh). Source it, then:
#
#   cl_require                 fail loudly unless root + every tool/feature
#   cl_init VARIANT            v4 | v6 | dual; picks a unique prefix + dir
#   cl_underlay [N]            hub bridge + N node namespaces (default 3)
#   cl_write_config NODE [section.key=value ...]
#   cl_set_snapshot NODE...    snapshot with these nodes, on every node
#   cl_snapnet NODE CMD ...    build/snapnet CMD -c NODE's ini, in its netns
#   cl_start NODE / cl_stop NODE     the daemon, in the background
#   cl_start_ready NODE        the same, returning after its first good pass
#   cl_pod_add NODE POD        a pod namespace wired by the real CNI plugins
#   cl_ping POD IP             first echo reply within 3 s
#   cl_teardown                kill, delete, remove; safe to call twice
#
# Everything the run creates carries CL_PREFIX ("snt" + 4 hex digits + "-"):
# namespaces, host-local IPAM dirs (/var/lib/cni/networks/PREFIXnode-x).
# Interfaces live inside those namespaces, so their names need no prefix.
# No packet ever leaves the namespaces: the only addresses used are the
# underlay (10.0.0.0/24, fd00:10::/64) and the pod CIDRs, all inside.
#
# Functions return 1 with a message on stderr instead of exiting, so they
# work under bats (set -e in test bodies) and under the demo's set -e.

CL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
SNAPNET=${SNAPNET:-$CL_ROOT/build/snapnet}
CL_CNI_PATH=${CL_CNI_PATH:-/usr/lib/cni}
CL_BRIDGE=snbr0                 # the CNI bridge inside every node netns
CL_PROTO=157                    # snapnet's default rtnetlink protocol
CL_IPAM_DIR=/var/lib/cni/networks
CL_NODE_LETTERS=(a b c d e f g h i)

cl_err() {
	echo "cluster: $*" >&2
	return 1
}

# --- prerequisites ---------------------------------------------------------

# Never skip: a missing feature is a failure with a reason.
cl_require() {
	local t probe
	[[ $(id -u) == 0 ]] ||
		cl_err "must run as root (network namespaces, veth, bridges)" ||
		return 1
	for t in ip jq ping mktemp od setpriv; do
		command -v "$t" >/dev/null ||
			cl_err "required tool '$t' not found" || return 1
	done
	for t in bridge host-local portmap; do
		[[ -x $CL_CNI_PATH/$t ]] ||
			cl_err "CNI plugin $CL_CNI_PATH/$t missing" \
				"(apt-get install containernetworking-plugins)" ||
			return 1
	done
	[[ -x $SNAPNET ]] ||
		cl_err "$SNAPNET not built (make build/snapnet)" || return 1
	probe="sntprobe$$"
	ip netns add "$probe" ||
		cl_err "kernel: cannot create a network namespace" || return 1
	if ! ip -n "$probe" link add p0 type veth peer name p1 ||
	   ! ip -n "$probe" link add pb type bridge; then
		ip netns del "$probe"
		cl_err "kernel: veth or bridge interfaces unavailable"
		return 1
	fi
	if [[ ! -e /proc/sys/net/ipv6 ]]; then
		ip netns del "$probe"
		cl_err "kernel: IPv6 is disabled"
		return 1
	fi
	ip netns del "$probe"
}

# --- naming ----------------------------------------------------------------

# cl_init VARIANT [DIR]: DIR defaults to BATS_TEST_TMPDIR, else mktemp -d.
cl_init() {
	case $1 in
	v4) CL_FAMILIES=(4) ;;
	v6) CL_FAMILIES=(6) ;;
	dual) CL_FAMILIES=(4 6) ;;
	*) cl_err "unknown variant '$1' (v4|v6|dual)"; return 1 ;;
	esac
	CL_VARIANT=$1
	CL_PREFIX="snt$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')-"
	if [[ -n ${2:-} ]]; then
		CL_DIR=$2
		CL_OWN_DIR=0
	elif [[ -n ${BATS_TEST_TMPDIR:-} ]]; then
		CL_DIR=$BATS_TEST_TMPDIR/cluster
		CL_OWN_DIR=0
	else
		CL_DIR=$(mktemp -d /tmp/snapnet-cluster.XXXXXX)
		CL_OWN_DIR=1
	fi
	mkdir -p "$CL_DIR/pods" || return 1
	: >"$CL_DIR/pids"
	CL_NODES=()
	CL_HUB=${CL_PREFIX}hub
}

cl_ns() { echo "$CL_PREFIX$1"; }          # node or pod name -> netns
cl_node_dir() { echo "$CL_DIR/$1"; }
cl_ini() { echo "$CL_DIR/$1/agent.ini"; }

cl_node_index() {
	local i
	for i in "${!CL_NODE_LETTERS[@]}"; do
		[[ $1 == "node-${CL_NODE_LETTERS[i]}" ]] && {
			echo $((i + 1))
			return 0
		}
	done
	cl_err "unknown node '$1'"
}

cl_has_family() {
	local f
	for f in "${CL_FAMILIES[@]}"; do [[ $f == "$1" ]] && return 0; done
	return 1
}

# Underlay address of NODE in family 4|6 (no prefix length).
cl_node_addr() {
	local i
	i=$(cl_node_index "$1") || return 1
	case $2 in
	4) echo "10.0.0.$i" ;;
	6) echo "fd00:10::$i" ;;
	esac
}

cl_pod_cidr() {
	local i
	i=$(cl_node_index "$1") || return 1
	case $2 in
	4) echo "10.244.$i.0/24" ;;
	6) echo "fd00:244:0:$i::/64" ;;
	esac
}

# --- underlay --------------------------------------------------------------

# Hub namespace with bridge br0; node i gets eth0, veth peer ve-X on br0.
cl_underlay() {
	local n=${1:-3} i node ns f

	ip netns add "$CL_HUB" || return 1
	ip -n "$CL_HUB" link set lo up
	# No IGMP/MLD querier here: with snooping the bridge could drop the
	# neighbour solicitations of IPv6 (solicited-node multicast).
	ip -n "$CL_HUB" link add br0 type bridge mcast_snooping 0 || return 1
	ip netns exec "$CL_HUB" sysctl -qw net.ipv6.conf.br0.disable_ipv6=1
	ip -n "$CL_HUB" link set br0 up || return 1
	for ((i = 0; i < n; i++)); do
		node=node-${CL_NODE_LETTERS[i]}
		ns=$(cl_ns "$node")
		ip netns add "$ns" || return 1
		CL_NODES+=("$node")
		ip -n "$ns" link set lo up
		ip -n "$CL_HUB" link add "ve-${CL_NODE_LETTERS[i]}" type veth \
			peer name eth0 netns "$ns" || return 1
		ip -n "$CL_HUB" link set "ve-${CL_NODE_LETTERS[i]}" master br0 up ||
			return 1
		for f in "${CL_FAMILIES[@]}"; do
			if [[ $f == 4 ]]; then
				ip -n "$ns" addr add "$(cl_node_addr "$node" 4)/24" \
					dev eth0 || return 1
			else
				ip -n "$ns" addr add "$(cl_node_addr "$node" 6)/64" \
					dev eth0 nodad || return 1
			fi
		done
		ip -n "$ns" link set eth0 up || return 1
		mkdir -p "$(cl_node_dir "$node")/state" \
			"$(cl_node_dir "$node")/cni" || return 1
		cl_write_config "$node" || return 1
	done
}

# --- snapshot --------------------------------------------------------------

# cl_gen_snapshot NODE...: a slim kubectl List of these nodes, this variant.
cl_gen_snapshot() {
	local node items=() fams
	fams=$(printf '%s\n' "${CL_FAMILIES[@]}" | jq -R . | jq -sc .)
	for node in "$@"; do
		items+=("$(jq -nc --arg name "$node" \
			--arg c4 "$(cl_pod_cidr "$node" 4)" \
			--arg c6 "$(cl_pod_cidr "$node" 6)" \
			--arg a4 "$(cl_node_addr "$node" 4)" \
			--arg a6 "$(cl_node_addr "$node" 6)" \
			--argjson fams "$fams" '
			def pick(v4; v6): [if ($fams | index("4")) then v4
			    else empty end, if ($fams | index("6")) then v6
			    else empty end];
			{apiVersion: "v1", kind: "Node",
			 metadata: {name: $name},
			 spec: {podCIDR: pick($c4; $c6)[0],
			        podCIDRs: pick($c4; $c6)},
			 status: {addresses: ([pick($a4; $a6)[] |
			     {type: "InternalIP", address: .}] +
			     [{type: "Hostname", address: $name}])}}')") ||
			return 1
	done
	printf '%s\n' "${items[@]}" |
		jq -s '{apiVersion: "v1", kind: "List", items: .,
			metadata: {resourceVersion: ""}}'
}

# Atomic: write next to PATH, then rename (the daemon sees IN_MOVED_TO).
cl_write_snapshot_raw() { # PATH <stdin>
	local tmp="$1.tmp.$$"
	cat >"$tmp" && mv -f "$tmp" "$1"
}

cl_write_snapshot() { # PATH NODE...
	local path=$1
	shift
	cl_gen_snapshot "$@" | cl_write_snapshot_raw "$path"
}

cl_snapshot_path() { echo "$CL_DIR/$1/snapshot.json"; }

# The same cluster state on every node (each node has its own exporter).
cl_set_snapshot() { # NODE...
	local node
	for node in "${CL_NODES[@]}"; do
		cl_write_snapshot "$(cl_snapshot_path "$node")" "$@" || return 1
	done
}

# Bad snapshots for the negative tests: truncated | badcidr | dupcidr.
cl_bad_snapshot() { # KIND NODE...
	local kind=$1
	shift
	case $kind in
	truncated)
		cl_gen_snapshot "$@" | head -c 200 ;;
	badcidr)
		cl_gen_snapshot "$@" | jq '.items[1].spec.podCIDRs |=
			map(if test(":") then "fd00:244:0:zz::/64"
			    else "10.244.300.0/24" end)
			| .items[1].spec.podCIDR = .items[1].spec.podCIDRs[0]' ;;
	dupcidr)
		cl_gen_snapshot "$@" | jq '.items[-1].spec =
			.items[-2].spec' ;;
	*) cl_err "unknown bad snapshot kind '$kind'" ;;
	esac
}

# --- config and the agent --------------------------------------------------

# cl_write_config NODE [section.key=value ...]; "section.key=" drops a key.
cl_write_config() {
	local node=$1 dir o s k
	shift
	dir=$(cl_node_dir "$node")
	local -A kv=(
		[agent.node_name]=$node
		[agent.snapshot]=$dir/snapshot.json
		[agent.state_dir]=$dir/state
		[agent.resync_interval]=0
		[agent.debounce_ms]=20
		[agent.log_level]=debug
		[cni.enabled]=yes
		[cni.conf_dir]=$dir/cni
		[cni.network_name]=$CL_PREFIX$node
		[cni.bridge]=$CL_BRIDGE
		[routes.enabled]=yes
	)
	for o in "$@"; do
		kv[${o%%=*}]=${o#*=}
	done
	{
		echo "; generated by tests/integration/lib/cluster.bash"
		# every section named by a key, [agent] first
		for s in agent $(printf '%s\n' "${!kv[@]}" | cut -d. -f1 |
				 sort -u | grep -vx agent); do
			echo "[$s]"
			for k in $(printf '%s\n' "${!kv[@]}" | grep "^$s\." | sort); do
				if [[ -n ${kv[$k]} ]]; then
					echo "${k#*.} = ${kv[$k]}"
				fi
			done
		done
	} >"$dir/agent.ini"
}

cl_conflist() { echo "$CL_DIR/$1/cni/10-snapnet.conflist"; }

# cl_snapnet NODE CMD [ARGS...]: one snapnet command inside NODE's netns.
cl_snapnet() {
	local node=$1 cmd=$2
	shift 2
	ip netns exec "$(cl_ns "$node")" "$SNAPNET" "$cmd" \
		-c "$(cl_ini "$node")" "$@"
}

cl_apply_all() {
	local node
	for node in "${CL_NODES[@]}"; do
		cl_snapnet "$node" apply "$@" >"$CL_DIR/$node/apply.log" 2>&1 ||
			cl_err "apply on $node failed: $(cat "$CL_DIR/$node/apply.log")" ||
			return 1
	done
}

# The daemon, in the background; fd 3 closed so bats does not wait on it.
cl_start() { # NODE [ARGS...]
	local node=$1 pid
	shift
	ip netns exec "$(cl_ns "$node")" "$SNAPNET" run -c "$(cl_ini "$node")" \
		"$@" >>"$CL_DIR/$node/run.log" 2>&1 </dev/null 3>&- &
	pid=$!
	echo "$pid" >"$CL_DIR/$node/run.pid"
	echo "$pid" >>"$CL_DIR/pids"
}

# The daemon, once its first pass has succeeded.
cl_start_ready() { # NODE [ARGS...]
	cl_start "$@" &&
		cl_wait_status "$1" '.result == "ok" and .passes >= 1' 3000
}
cl_daemon_pid() { cat "$CL_DIR/$1/run.pid"; }

cl_stop() { # NODE
	local pid
	pid=$(cl_daemon_pid "$1") || return 1
	cl_kill_pid "$pid"
}

cl_kill_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	# both fail when the process is already gone: fine under set -e too
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

cl_status() { cat "$CL_DIR/$1/state/status.json" 2>/dev/null; }

# cl_wait_status NODE JQ_EXPR [TIMEOUT_MS]: poll the status file every 50 ms.
# True only for a non-empty JSON document on stdin whose jq expression is
# true: jq 1.6's -e exits 0 on empty input, which made a wait for a
# status file that did not exist yet succeed at once.
cl_json_true() { # JQ-ARGS... <JSON
	local doc
	doc=$(cat)
	[[ -n $doc ]] && jq -e "$@" <<<"$doc" >/dev/null
}

cl_wait_status() {
	local node=$1 expr=$2 tmo=${3:-3000} t0
	t0=$(cl_ms)
	while (($(cl_ms) - t0 <= tmo)); do
		cl_status "$node" | cl_json_true "$expr" 2>/dev/null && return 0
		sleep 0.05
	done
	cl_err "$node: status never matched '$expr' within ${tmo} ms;" \
		"status: $(cl_status "$node")"
}

# cl_wait TIMEOUT_MS CMD...: poll CMD every 50 ms; the elapsed ms in CL_WAITED.
cl_wait() {
	local tmo=$1 t0
	shift
	t0=$(cl_ms)
	while :; do
		if "$@"; then
			CL_WAITED=$(($(cl_ms) - t0))
			return 0
		fi
		(($(cl_ms) - t0 > tmo)) && break
		sleep 0.05
	done
	CL_WAITED=$(($(cl_ms) - t0))
	return 1
}

cl_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- routes ----------------------------------------------------------------

# "DST via GW" lines of NODE's routes with protocol PROTO (default ours).
cl_routes() { # NODE FAMILY [PROTO]
	ip -n "$(cl_ns "$1")" -"$2" route show proto "${3:-$CL_PROTO}" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $1, "via", $(i + 1) }' |
		sort
}

# What NODE should hold in FAMILY when the snapshot has PEERS (and NODE).
cl_expected_routes() { # NODE FAMILY PEER...
	local node=$1 fam=$2 p
	shift 2
	cl_has_family "$fam" || return 0
	for p in "$@"; do
		[[ $p == "$node" ]] && continue
		echo "$(cl_pod_cidr "$p" "$fam") via $(cl_node_addr "$p" "$fam")"
	done | sort
}

# Fails, showing both sides, unless NODE holds exactly the expected routes
# of every family (and none of a family the variant lacks).
cl_assert_routes() { # NODE PEER...
	local node=$1 f have want
	shift
	for f in 4 6; do
		have=$(cl_routes "$node" "$f")
		want=$(cl_expected_routes "$node" "$f" "$@")
		[[ $have == "$want" ]] ||
			cl_err "$node IPv$f routes proto $CL_PROTO:" \
				$'\n'"have:"$'\n'"$have"$'\n'"want:"$'\n'"$want" ||
			return 1
	done
}

# Polls until NODE holds exactly the routes to PEERs' pod CIDRs; on
# timeout shows the difference. The time taken is in CL_WAITED (ms).
cl_wait_routes() { # TIMEOUT_MS NODE PEER...
	local tmo=$1
	shift
	cl_wait "$tmo" cl_assert_routes "$@" 2>/dev/null && return 0
	cl_assert_routes "$@" || true
	cl_err "$1: routes not as wanted within $tmo ms"
}

cl_has_route() { # NODE FAMILY "DST via GW"
	cl_routes "$1" "$2" | grep -qxF "$3"
}

# Every route with our protocol in any table, both families (empty = none).
cl_owned_any() { # NODE
	ip -n "$(cl_ns "$1")" -4 route show table all proto "$CL_PROTO"
	ip -n "$(cl_ns "$1")" -6 route show table all proto "$CL_PROTO"
}

# Foreign routes inside the pod prefix space, next to ours: one "static"
# and one "boot" (what `ip route add` picks) per family of the variant.
# The expected "DST via GW" lines go to CL_DIR/NODE/foreign.
cl_foreign_add() { # NODE
	local node=$1 ns f gw
	ns=$(cl_ns "$node")
	: >"$CL_DIR/$node/foreign"
	for f in "${CL_FAMILIES[@]}"; do
		gw=$(cl_node_addr node-b "$f")
		if [[ $f == 4 ]]; then
			ip -n "$ns" route add 10.244.9.0/24 via "$gw" proto static ||
				return 1
			ip -n "$ns" route add 10.244.8.0/24 via "$gw" || return 1
			printf '%s\n' "10.244.9.0/24 via $gw static" \
				"10.244.8.0/24 via $gw boot"
		else
			ip -n "$ns" route add fd00:244:0:9::/64 via "$gw" \
				proto static || return 1
			ip -n "$ns" route add fd00:244:0:8::/64 via "$gw" ||
				return 1
			printf '%s\n' "fd00:244:0:9::/64 via $gw static" \
				"fd00:244:0:8::/64 via $gw boot"
		fi
	done >>"$CL_DIR/$node/foreign"
}

# Fails unless every foreign route of cl_foreign_add is still there.
cl_foreign_check() { # NODE
	local node=$1 dst via gw proto f
	while read -r dst _ gw proto; do
		f=4
		[[ $dst == *:* ]] && f=6
		cl_routes "$node" "$f" "$proto" | grep -qxF "$dst via $gw" ||
			cl_err "$node: foreign route $dst via $gw proto $proto" \
				"is gone" || return 1
	done <"$CL_DIR/$node/foreign"
}

# --- pods ------------------------------------------------------------------

# cl_pod_add NODE POD: runs every plugin of NODE's conflist in order, the
# way a runtime does (ADD, prevResult chained), inside NODE's netns so the
# bridge and host-side veths are created there.
cl_pod_add() {
	local node=$1 pod=$2 conflist podns nodens n i type conf prev=null out
	conflist=$(cl_conflist "$node")
	[[ -s $conflist ]] || cl_err "$node: no conflist at $conflist" ||
		return 1
	podns=$(cl_ns "$pod")
	nodens=$(cl_ns "$node")
	ip netns add "$podns" || return 1
	ip -n "$podns" link set lo up
	n=$(jq '.plugins | length' "$conflist") || return 1
	for ((i = 0; i < n; i++)); do
		type=$(jq -r ".plugins[$i].type" "$conflist")
		[[ ${CL_SKIP_PLUGINS:-} == *"$type"* ]] && continue
		conf=$(jq -c --argjson i "$i" --argjson prev "$prev" '
			.plugins[$i] + {cniVersion, name} +
			(if $prev == null then {} else {prevResult: $prev} end)' \
			"$conflist") || return 1
		out=$(printf '%s' "$conf" | ip netns exec "$nodens" env \
			CNI_COMMAND=ADD CNI_CONTAINERID="$CL_PREFIX$pod" \
			CNI_NETNS="/var/run/netns/$podns" CNI_IFNAME=eth0 \
			CNI_PATH="$CL_CNI_PATH" "$CL_CNI_PATH/$type") ||
			cl_err "$node/$pod: CNI plugin $type ADD failed: $out" ||
			return 1
		prev=$out
	done
	echo "$prev" >"$CL_DIR/pods/$pod.json"
	echo "$node" >"$CL_DIR/pods/$pod.node"
}

# Address of POD in FAMILY, from the CNI result.
cl_pod_ip() { # POD FAMILY
	local sel='test(":") | not'
	[[ $2 == 6 ]] && sel='test(":")'
	jq -r ".ips[].address | select($sel) | sub(\"/.*\"; \"\")" \
		"$CL_DIR/pods/$1.json"
}

# Succeeds on the first echo reply within TIMEOUT_S seconds; sends a
# request every 0.2 s until then, so one request lost while a neighbour
# entry resolves (seen once in IPv6 here) does not fail the test, while a
# missing route still does.
cl_ping() { # POD IP [TIMEOUT_S]
	ip netns exec "$(cl_ns "$1")" ping -c1 -i0.2 -w"${3:-3}" -q "$2" \
		>/dev/null 2>&1
}

# Every pod pings the first pod of every other node, in every family.
# Prints one line per ping; counts in CL_PINGS_OK / CL_PINGS_TOTAL.
cl_ping_matrix() { # POD...
	local src dst f ip sn dn
	CL_PINGS_OK=0
	CL_PINGS_TOTAL=0
	for src in "$@"; do
		sn=$(cat "$CL_DIR/pods/$src.node")
		for dst in "$@"; do
			dn=$(cat "$CL_DIR/pods/$dst.node")
			[[ $sn == "$dn" ]] && continue
			# only the first pod of each other node
			[[ $dst == "$(cl_first_pod "$dn" "$@")" ]] || continue
			for f in "${CL_FAMILIES[@]}"; do
				ip=$(cl_pod_ip "$dst" "$f")
				CL_PINGS_TOTAL=$((CL_PINGS_TOTAL + 1))
				if cl_ping "$src" "$ip"; then
					CL_PINGS_OK=$((CL_PINGS_OK + 1))
					echo "ok    IPv$f $src ($sn) -> $dst ($dn) $ip"
				else
					echo "FAIL  IPv$f $src ($sn) -> $dst ($dn) $ip"
				fi
			done
		done
	done
}

cl_first_pod() { # NODE POD...
	local node=$1 p
	shift
	for p in "$@"; do
		[[ $(cat "$CL_DIR/pods/$p.node") == "$node" ]] && {
			echo "$p"
			return 0
		}
	done
	return 0
}

# --- teardown --------------------------------------------------------------

# Namespaces of this run still present (empty when clean).
cl_leftovers() {
	[[ -n ${CL_PREFIX:-} ]] || return 0
	ip netns list | awk '{print $1}' | grep "^$CL_PREFIX" || true
}

# Kills what we started, deletes every namespace and IPAM dir of the run.
# Returns 1 if anything of the run is left behind.
# A daemon built with sanitizers reports at exit (leaks) or when it dies
# (memory errors) into its log; nothing else would notice.
cl_sanitizer_reports() {
	grep -l -E 'Sanitizer|runtime error:' "$CL_DIR"/*/run.log 2>/dev/null
}

# Every status and ownership file the run wrote must be strict JSON in
# valid UTF-8 (jq would quietly repair bad bytes): a monitor reading
# status.json must never trip over it.
cl_state_files_bad() {
	local f
	for f in "$CL_DIR"/*/state/*.json "$CL_DIR"/*/*/state/*.json; do
		[[ -e $f ]] || continue
		python3 -c 'import json, sys
with open(sys.argv[1], encoding="utf-8", errors="strict") as f:
    json.load(f)' "$f" 2>/dev/null || echo "$f"
	done
}

cl_teardown() {
	local pid ns san="" bad
	[[ -n ${CL_PREFIX:-} && -n ${CL_DIR:-} ]] || return 0
	bad=$(cl_state_files_bad)
	[[ -z $bad ]] || cl_err "not valid JSON in UTF-8: $bad"
	if [[ -f $CL_DIR/pids ]]; then
		while read -r pid; do
			[[ -n $pid ]] && cl_kill_pid "$pid"
		done <"$CL_DIR/pids"
	fi
	san=$(cl_sanitizer_reports)
	[[ -z $san ]] || sed -n '/Sanitizer\|runtime error:/,$p' $san >&2
	for ns in $(cl_leftovers); do
		# anything still running inside a namespace of ours is ours
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns"
	done
	rm -rf "${CL_IPAM_DIR:?}/$CL_PREFIX"*
	[[ $CL_OWN_DIR == 1 ]] && rm -rf "$CL_DIR"
	if [[ -n $(cl_leftovers) ]]; then
		cl_err "teardown left namespaces: $(cl_leftovers | tr '\n' ' ')"
		return 1
	fi
	if compgen -G "$CL_IPAM_DIR/$CL_PREFIX*" >/dev/null; then
		cl_err "teardown left IPAM dirs under $CL_IPAM_DIR"
		return 1
	fi
	[[ -z $bad ]] || return 1
	[[ -z $san ]] || cl_err "sanitizer report in $san"
}
