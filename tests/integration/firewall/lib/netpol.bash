# shellcheck shell=bash
# shellcheck disable=SC2034 # NP_* variables are read by the bats files
#
# netpol.bash - the NetworkPolicy test cluster, its prober and the
# reachability DSL of the firewall integration tests.
#
# The cluster (one per variant v4|v6|dual, built by the first test of a
# file that needs it, reused by every later test of that file, removed by
# teardown_file):
#
#   2 nodes, node-a and node-b (cluster.bash: hub bridge, underlay, pod
#   CIDRs), each with snapnet's config plus a [firewall] section
#   (NP_CONFIG, set by the bats file), applied once with only the Nodes
#   so the bridge and the conflist exist;
#   namespaces x, y, z labelled ns=NAME and kubernetes.io/metadata.name=NAME;
#   pods a, b, c in each, labelled pod=NAME, each in a netns of its own
#   wired by cl_pod_add (the real bridge + host-local plugins through the
#   conflist snapnet wrote), placed so that every pod has peers on its
#   own node and on the other one:
#
#       node-a: x/a x/c y/b z/a z/c        node-b: x/b y/a y/c z/b
#
#   every pod runs `fwprobe serve NS/POD` (TCP+UDP 80 and 81, IPv4 and
#   IPv6), every node netns `fwprobe serve node-X`;
#   containers declare the upstream e2e port names serve-80-tcp,
#   serve-81-tcp, serve-80-udp, serve-81-udp, serve-80-sctp,
#   serve-81-sctp, plus "web": TCP 80 on pods a and b, TCP 81 on pods c
#   (a name that resolves to another number on some pods).
#
# A case:
#
#   np_case VARIANT            the cluster, default labels, no policies,
#                              base config, matrix of pods only
#   np_label_pod x/a k=v k2-   set / remove pod labels   (np_label_ns x ...)
#   NP_PHASE[x/a]=Failed       a pod's status.phase (default Running)
#   np_policy NS NAME SPEC     a NetworkPolicy; SPEC is its spec, JSON
#   np_apply                   snapshot (Nodes, Namespaces, Pods, policies)
#                              to every node, then `snapnet apply` on each
#   np_publish                 the same for running daemons (np_daemons_start)
#   expect_all 1|0             every pair allowed / denied
#   expect from SEL to SEL PROTO PORT 0|1 [family 4|6]
#   np_check                   probe everything, compare, print tables, fail
#
# SEL: '*' (every pod), 'x/*', '*/a', 'x/a', a node name (its host netns)
# or 'hosts' (both nodes; only after `np_hosts on`). PROTO: tcp, udp,
# sctp (only where a case probes it: NP_PROTOS) or '*'; PORT: 80, 81 or
# '*'. Later expectations override earlier ones, as
# in upstream's Reachability. Three rules hold in every case and are
# applied after the case's own expectations: a pod reaches itself (that
# never leaves its netns), a node's host reaches the pods of that node
# (the firewall's contract, the Kubernetes documentation's "connections
# from the pod's node"), and hosts reach hosts (no pod involved).
#
# Nothing here computes an expectation from a policy: each case writes
# its table by hand.
#
# Functions return 1 with a message on stderr, like cluster.bash.

NP_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091 # cluster.bash, found from this file's folder
source "$NP_LIB/../../lib/cluster.bash"

NP_NAMESPACES=(x y z)
NP_PODS=(x/a x/b x/c y/a y/b y/c z/a z/b z/c)
NP_PROTOS=(tcp udp)         # a case may add sctp where the kernel has it
NP_PORTS=(80 81)
NP_TIMEOUT_MS=${NP_TIMEOUT_MS:-1000}
# The bats file sets NP_CONFIG (section.key=value words for every node);
# keys of [firewall] go into a section of their own, see np_write_config.
# NP_NO_FIREWALL=1 drops them: the negative control, where every case
# that expects a denial must fail.
NP_CONFIG=("${NP_CONFIG[@]}")
declare -gA NP_IP=() NP_EXTRA_NODE=() NP_EXTRA_JSON=() NP_EXP=() NP_OBS=() NP_PHASE=() \
	NP_RAW=() NP_NS_LABELS=() NP_POD_LABELS=() NP_NETNS=() NP_ADDR=() \
	NP_HOME=()
NP_POLICIES=() NP_EXTRA_PODS=() NP_ENDPOINTS_EXTRA=() NP_HOSTS=0

np_err() {
	echo "netpol: $*" >&2
	return 1
}

# bats runs a DEBUG trap before every command of a test (its stack
# traces), which makes the loops here 20-50 times slower (a matrix check
# took 3 s instead of 0.1 s). The entry points below run their body with
# the trap off and put it back after; failures still show: every
# function here says what went wrong on stderr.
np_untraced() { # CMD...
	local saved rc=0
	saved=$(trap -p DEBUG)
	if [[ -z $saved ]]; then
		"$@"
		return
	fi
	trap - DEBUG
	"$@" || rc=$?
	eval "$saved"
	return "$rc"
}

# Placement: node-a holds (namespace index + pod index) even, node-b odd.
np_node_of() { # x/a
	local ns=${1%/*} pod=${1#*/} i j
	case $ns in x) i=0 ;; y) i=1 ;; z) i=2 ;; *) i=0 ;; esac
	case $pod in a) j=0 ;; b) j=1 ;; c) j=2 ;; *) j=0 ;; esac
	if [[ -n ${NP_EXTRA_NODE[$1]:-} ]]; then
		echo "${NP_EXTRA_NODE[$1]}"
	elif (((i + j) % 2 == 0)); then
		echo node-a
	else
		echo node-b
	fi
}

np_podns() { cl_ns "${1/\//-}"; }   # x/a -> PREFIXx-a

# --- build, once per file and variant ----------------------------------

# The prober, compiled once per file into BATS_FILE_TMPDIR (setup_file).
np_build_fwprobe() {
	local out=${BATS_FILE_TMPDIR:?}/fwprobe
	cc -O2 -Wall -Wextra -Werror -o "$out" "$NP_LIB/fwprobe.c" ||
		np_err "cannot compile $NP_LIB/fwprobe.c" || return 1
	export NP_FWPROBE=$out
}

np_setup_file() { np_untraced _np_setup_file "$@"; }
# setup_file: tools, the prober, and a private copy of the agent: the
# tree is shared, and a `make` elsewhere replaces build/snapnet (for a
# moment it is missing) while this file runs; every test of the file
# then runs the same binary.
_np_setup_file() {
	local t
	cl_require || return 1
	for t in cc iptables-save ip6tables-save ipset; do
		command -v "$t" >/dev/null ||
			np_err "required tool '$t' not found" || return 1
	done
	np_build_fwprobe || return 1
	cp "$SNAPNET" "$BATS_FILE_TMPDIR/snapnet" &&
		"$BATS_FILE_TMPDIR/snapnet" version >/dev/null ||
		np_err "cannot copy $SNAPNET" || return 1
	{ echo "# agent under test: $SNAPNET ($("$SNAPNET" version))" >&3; } \
		2>/dev/null || true
	export SNAPNET=$BATS_FILE_TMPDIR/snapnet
}

np_state_file() { echo "$BATS_FILE_TMPDIR/$1.state"; }

# Everything a later test needs to find the cluster again, as bash.
np_save() {
	local f
	f=$(np_state_file "$CL_VARIANT")
	declare -p CL_FAMILIES CL_VARIANT CL_PREFIX CL_DIR CL_OWN_DIR CL_NODES \
		CL_HUB NP_IP NP_BUILT |
		sed -e 's/^declare -- /declare -g /' \
			-e 's/^declare -\([A-Za-z]*\) /declare -g\1 /' >"$f.tmp" &&
		mv "$f.tmp" "$f"
}

np_load() { # VARIANT
	local f
	f=$(np_state_file "$1")
	[[ -f $f ]] || return 1
	# shellcheck disable=SC1090
	source "$f"
}

# NODE's config: cluster.bash's, plus the file's NP_CONFIG and these
# keys (cl_write_config writes every section its keys name).
np_write_config() { # NODE [section.key=value ...] (added to NP_CONFIG)
	local node=$1 o keys=() fw=0
	shift
	for o in "${NP_CONFIG[@]}" "$@"; do
		if [[ $o == firewall.* ]]; then
			# the negative control: the same cases, no firewall at all
			[[ -n ${NP_NO_FIREWALL:-} ]] && continue
			fw=1
		fi
		keys+=("$o")
	done
	cl_write_config "$node" "${keys[@]}" || return 1
	if ((fw)) && ! grep -q '^\[firewall\]' "$(cl_ini "$node")"; then
		np_err "cl_write_config wrote no [firewall] section:" \
			"tests/integration/lib/cluster.bash is older than 533b7a9"
		return 1
	fi
}

# np_serve TAG NETNS=NAME...: one `fwprobe serve-all` for these servers,
# its log in CL_DIR/serve-TAG.log, its pid in CL_DIR/serve-TAG.pid; back
# once every server listens. Not in cluster.bash's CL_DIR/pids: its
# teardown waits 2 s for each process that outlived the test that started
# it (here pid 1 never reaps such orphans, kill -0 keeps succeeding on the
# zombie); np_serve_stop does not wait for a zombie.
np_serve() { # TAG NETNS=NAME...
	local tag=$1 log pid n
	shift
	log=$CL_DIR/serve-$tag.log
	"$NP_FWPROBE" serve-all "$@" >"$log" 2>&1 </dev/null 3>&- &
	pid=$!
	echo "$pid" >"$CL_DIR/serve-$tag.pid"
	n=$#
	cl_wait 5000 np_ready_count "$log" "$n" ||
		np_err "servers not ready ($n wanted): $(cat "$log")" || return 1
}

np_ready_count() { # LOG N
	(($(grep -c '^ready ' "$1" 2>/dev/null) >= $2))
}

# Ends the server tree of TAG (the parent kills and reaps its children).
np_serve_stop() { # TAG
	local f=$CL_DIR/serve-$1.pid pid i st
	[[ -f $f ]] || return 0
	pid=$(cat "$f")
	rm -f "$f"
	# ours only: the pid may be anyone's by now if the tree died early
	grep -q fwprobe "/proc/$pid/cmdline" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || break
		[[ -z $st || $st == Z ]] && break
		sleep 0.02
	done
	[[ ${st:-} == Z || -z ${st:-} ]] || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	return 0
}

# A node answers a denied probe with an ICMP error (REJECT), but the
# kernel rate-limits ICMP errors per destination (1 s, IPv6 100 ms) and
# per netns (50 burst, 1000/s): most denials of a matrix would come out
# as timeouts, and every check would last the full probe timeout. With
# the limits off in the node netns (ours) a denial answers at once and a
# check takes a fraction of a second; a timeout then means a drop.
np_no_icmp_ratelimit() { # NODE
	ip netns exec "$(cl_ns "$1")" sysctl -qw net.ipv4.icmp_ratelimit=0 \
		net.ipv4.icmp_msgs_per_sec=1000000 \
		net.ipv4.icmp_msgs_burst=1000000 net.ipv6.icmp.ratelimit=0
}

np_build() { # VARIANT
	local v=$1 n p pids=() rc=0 servers=() f
	cl_init "$v" "$BATS_FILE_TMPDIR/$v" || return 1
	declare -gA NP_IP=()
	NP_BUILT=0
	np_save || return 1        # teardown_file finds the prefix from here
	cl_underlay 2 || return 1
	for n in "${CL_NODES[@]}"; do
		np_write_config "$n" || return 1
		np_no_icmp_ratelimit "$n" || return 1
	done
	cl_gen_snapshot "${CL_NODES[@]}" | jq -c '.items[]' \
		>"$CL_DIR/node-items.json" || return 1
	NP_POLICIES=()
	NP_EXTRA_PODS=()
	np_default_labels
	np_apply || return 1       # bridge, conflist, routes: no pods yet
	# the pods, concurrently: the bridge plugin settles IPv6 DAD per pod
	for p in "${NP_PODS[@]}"; do
		cl_pod_add "$(np_node_of "$p")" "${p/\//-}" \
			>"$CL_DIR/pods/${p/\//-}.add.log" 2>&1 &
		pids+=($!)
	done
	for n in "${pids[@]}"; do
		wait "$n" || rc=1
	done
	if ((rc)); then
		cat "$CL_DIR"/pods/*.add.log >&2
		np_err "cl_pod_add failed"
		return 1
	fi
	for p in "${NP_PODS[@]}"; do
		for f in "${CL_FAMILIES[@]}"; do
			NP_IP[$p,$f]=$(cl_pod_ip "${p/\//-}" "$f") || return 1
			[[ -n ${NP_IP[$p,$f]} ]] ||
				np_err "$p has no IPv$f address" || return 1
		done
		servers+=("$(np_podns "$p")=$p")
	done
	for n in "${CL_NODES[@]}"; do
		servers+=("$(cl_ns "$n")=$n")
	done
	np_serve cluster "${servers[@]}" || return 1
	echo 2000 >"$CL_DIR/portbase"
	NP_BUILT=1
	np_save
}

# The cluster of VARIANT for this test: built by the first test that asks
# (its time shows in that test's timing), loaded by the others.
np_cluster() { # VARIANT
	local t0
	if np_load "$1"; then
		((NP_BUILT)) && return 0
		np_err "the $1 cluster failed to build in an earlier test" \
			"(see that test's output)"
		return 1
	fi
	t0=$(cl_ms)
	np_build "$1" || return 1
	echo "# $1 cluster built in $(($(cl_ms) - t0)) ms"
}

# Called by teardown_file: every cluster the file built.
np_teardown_file() { np_untraced _np_teardown_file "$@"; }
_np_teardown_file() {
	local v rc=0 f
	for v in v4 v6 dual; do
		(
			np_load "$v" || exit 0
			for f in "$CL_DIR"/serve-*.pid; do
				[[ -e $f ]] || continue
				f=${f##*/serve-}
				np_serve_stop "${f%.pid}"
			done
			cl_teardown
		) || rc=1
	done
	return $rc
}

# --- the model of one case ---------------------------------------------

np_default_labels() {
	local ns p
	declare -gA NP_NS_LABELS=() NP_POD_LABELS=()
	for ns in "${NP_NAMESPACES[@]}"; do
		NP_NS_LABELS[$ns]="{\"ns\":\"$ns\",\"kubernetes.io/metadata.name\":\"$ns\"}"
	done
	for p in "${NP_PODS[@]}"; do
		NP_POD_LABELS[$p]="{\"pod\":\"${p#*/}\"}"
	done
}

# np_case VARIANT: a fresh case on the cluster of VARIANT.
np_case() { np_untraced _np_case "$@"; }
_np_case() { # VARIANT
	local n
	np_cluster "$1" || return 1
	np_default_labels
	NP_POLICIES=()
	declare -gA NP_PHASE=()  # status.phase per pod (default Running)
	NP_EXTRA_PODS=()         # "ns/pod" of extra pods in the snapshot
	declare -gA NP_EXTRA_JSON=() NP_EXTRA_NODE=()
	NP_ENDPOINTS_EXTRA=()    # extra probed endpoints (np_pod_extra)
	NP_HOSTS=0
	NP_PROTOS=(tcp udp)
	declare -gA NP_EXP=()
	for n in "${CL_NODES[@]}"; do
		np_write_config "$n" || return 1
	done
}

# np_config KEY=VALUE...: this case's config on every node (on top of
# NP_CONFIG); the next np_case writes the base config again.
np_config() { np_untraced _np_config "$@"; }
_np_config() {
	local n
	for n in "${CL_NODES[@]}"; do
		np_write_config "$n" "$@" || return 1
	done
}

# np_label_pod x/a key=value key2- ...: set or remove labels.
np_label_pod() { np_untraced _np_label_pod "$@"; }
_np_label_pod() {
	local p=$1 l
	shift
	[[ -n ${NP_POD_LABELS[$p]+set} ]] || np_err "no pod $p" || return 1
	for l in "$@"; do
		NP_POD_LABELS[$p]=$(np_relabel "${NP_POD_LABELS[$p]}" "$l") ||
			return 1
	done
}

np_label_ns() { np_untraced _np_label_ns "$@"; }
_np_label_ns() {
	local ns=$1 l
	shift
	[[ -n ${NP_NS_LABELS[$ns]+set} ]] || np_err "no namespace $ns" ||
		return 1
	for l in "$@"; do
		NP_NS_LABELS[$ns]=$(np_relabel "${NP_NS_LABELS[$ns]}" "$l") ||
			return 1
	done
}

np_relabel() { # JSON key=value|key-
	if [[ $2 == *=* ]]; then
		jq -c --arg k "${2%%=*}" --arg v "${2#*=}" '.[$k] = $v' <<<"$1"
	elif [[ $2 == *- ]]; then
		jq -c --arg k "${2%-}" 'del(.[$k])' <<<"$1"
	else
		np_err "label '$2': want key=value or key-"
	fi
}

# np_policy NS NAME SPEC-JSON
np_policy() {
	local json
	json=$(jq -c --arg ns "$1" --arg name "$2" '{
		apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {namespace: $ns, name: $name}, spec: .}' <<<"$3") ||
		np_err "policy $1/$2: spec is not JSON: $3" || return 1
	NP_POLICIES+=("$json")
}

# The containers' ports: the upstream e2e names, plus "web".
np_ports_json() { # POD (a|b|c|...)
	local web=80
	[[ $1 == c ]] && web=81
	printf '[{"name":"cont-80-tcp","ports":[{"name":"serve-80-tcp","containerPort":80,"protocol":"TCP"}]},'
	printf '{"name":"cont-81-tcp","ports":[{"name":"serve-81-tcp","containerPort":81,"protocol":"TCP"}]},'
	printf '{"name":"cont-80-udp","ports":[{"name":"serve-80-udp","containerPort":80,"protocol":"UDP"}]},'
	printf '{"name":"cont-81-udp","ports":[{"name":"serve-81-udp","containerPort":81,"protocol":"UDP"}]},'
	printf '{"name":"cont-80-sctp","ports":[{"name":"serve-80-sctp","containerPort":80,"protocol":"SCTP"}]},'
	printf '{"name":"cont-81-sctp","ports":[{"name":"serve-81-sctp","containerPort":81,"protocol":"SCTP"}]},'
	printf '{"name":"cont-web","ports":[{"name":"web","containerPort":%d,"protocol":"TCP"}]}]' "$web"
}

np_pod_json() { # x/a NODE LABELS-JSON HOSTNETWORK IP...
	local ns=${1%/*} pod=${1#*/} node=$2 labels=$3 hostnet=$4 ips="" ip
	local phase=${NP_PHASE[$1]:-Running}
	shift 4
	for ip in "$@"; do
		ips+="${ips:+,}{\"ip\":\"$ip\"}"
	done
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"%s","name":"%s","uid":"%s-%s","labels":%s},"spec":{"nodeName":"%s","hostNetwork":%s,"containers":%s},"status":{"phase":"%s","podIP":"%s","podIPs":[%s]}}\n' \
		"$ns" "$pod" "$ns" "$pod" "$labels" "$node" "$hostnet" \
		"$(np_ports_json "$pod")" "$phase" "${1:-}" "$ips"
}

np_pod_ips() { # x/a: its IPs, IPv4 first
	local f
	for f in "${CL_FAMILIES[@]}"; do
		echo "${NP_IP[$1,$f]}"
	done
}

# The snapshot of this case, on stdout.
np_snapshot() {
	local ns p
	{
		cat "$CL_DIR/node-items.json"
		for ns in "${NP_NAMESPACES[@]}"; do
			printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s","labels":%s}}\n' \
				"$ns" "${NP_NS_LABELS[$ns]}"
		done
		for p in "${NP_PODS[@]}"; do
			[[ ${NP_IP[$p,${CL_FAMILIES[0]}]+set} ]] || continue
			# shellcheck disable=SC2046
			np_pod_json "$p" "$(np_node_of "$p")" \
				"${NP_POD_LABELS[$p]}" false $(np_pod_ips "$p")
		done
		for p in "${NP_EXTRA_PODS[@]}"; do
			echo "${NP_EXTRA_JSON[$p]}"
		done
		((${#NP_POLICIES[@]})) && printf '%s\n' "${NP_POLICIES[@]}"
	} | jq -s '{apiVersion: "v1", kind: "List",
		metadata: {resourceVersion: ""}, items: .}'
}

# np_apply: this case's snapshot on every node, then one
# apply per node, with --force: each case replaces the whole policy set
# of the one before, which the delete guard (max_delete_share) refuses;
# NP_NO_FORCE=1 leaves it out (the case about the guard).
np_apply() { np_untraced _np_apply; }
_np_apply() {
	local n log rc force=--force failed=0
	[[ -n ${NP_NO_FORCE:-} ]] && force=
	np_snapshot >"$CL_DIR/case-snapshot.json" ||
		np_err "cannot compose the snapshot" || return 1
	for n in "${CL_NODES[@]}"; do
		cl_write_snapshot_raw "$(cl_snapshot_path "$n")" \
			<"$CL_DIR/case-snapshot.json" || return 1
	done
	# every node, even after one failed: the table then shows the rest
	for n in "${CL_NODES[@]}"; do
		log=$CL_DIR/$n/apply.log
		rc=0
		cl_snapnet "$n" apply $force >"$log" 2>&1 || rc=$?
		if ((rc)); then
			"$SNAPNET" validate --node "$n" \
				"$CL_DIR/case-snapshot.json" >>"$log" 2>&1
			np_err "apply on $n exited $rc:"$'\n'"$(grep -v ': debug: ' "$log")"
			failed=1
		fi
	done
	((failed == 0))
}

# --- the daemon instead of apply -----------------------------------------

# np_daemons_start: `snapnet run` on every node, back after each one's
# first good pass. np_daemons_stop ends them (in the same test: they are
# this shell's children, reaped at once) and takes them off cluster.bash's
# pid list, so that teardown never signals a pid that may be reused.
np_daemons_start() {
	local n
	for n in "${CL_NODES[@]}"; do
		cl_start_ready "$n" || return 1
	done
}

np_daemons_stop() {
	local n pid
	for n in "${CL_NODES[@]}"; do
		[[ -f $CL_DIR/$n/run.pid ]] || continue
		pid=$(cat "$CL_DIR/$n/run.pid")
		cl_stop "$n"
		rm -f "$CL_DIR/$n/run.pid"
		sed -i "/^$pid\$/d" "$CL_DIR/pids"
	done
}

np_passes() { # NODE
	cl_status "$1" | jq -r '.passes // 0' 2>/dev/null || echo 0
}

# np_publish: this case's snapshot on every node for the running daemons
# (renamed into place: inotify), back once each has finished a pass
# after it with result ok.
np_publish() { np_untraced _np_publish "$@"; }
_np_publish() {
	local n
	local -A before=()
	np_snapshot >"$CL_DIR/case-snapshot.json" ||
		np_err "cannot compose the snapshot" || return 1
	for n in "${CL_NODES[@]}"; do
		before[$n]=$(np_passes "$n")
		cl_write_snapshot_raw "$(cl_snapshot_path "$n")" \
			<"$CL_DIR/case-snapshot.json" || return 1
	done
	for n in "${CL_NODES[@]}"; do
		cl_wait_status "$n" ".passes > ${before[$n]} and .result == \"ok\"" \
			5000 || return 1
	done
}

# np_kick: SIGUSR1 to every daemon (a pass that dumps the kernel), back
# once each has finished it with result ok.
np_kick() {
	local n
	local -A before=()
	for n in "${CL_NODES[@]}"; do
		before[$n]=$(np_passes "$n")
		kill -USR1 "$(cl_daemon_pid "$n")" || return 1
	done
	for n in "${CL_NODES[@]}"; do
		cl_wait_status "$n" ".passes > ${before[$n]} and .result == \"ok\"" \
			5000 || return 1
	done
}

# --- extra endpoints ----------------------------------------------------

# np_pod_extra x/d NODE: one more pod netns (cl_pod_add) serving "x/d",
# probed from now on; in the snapshot only after np_pod_extra_publish.
np_pod_extra() { np_untraced _np_pod_extra "$@"; }
_np_pod_extra() { # x/d NODE
	local p=$1 node=$2 f mac0
	NP_EXTRA_NODE[$p]=$node
	mac0=$(np_bridge_mac "$node")
	cl_pod_add "$node" "${p/\//-}" || return 1
	np_keep_bridge_mac "$node" "$p" "$mac0" || return 1
	for f in "${CL_FAMILIES[@]}"; do
		NP_IP[$p,$f]=$(cl_pod_ip "${p/\//-}" "$f") || return 1
	done
	np_serve "${p/\//-}" "$(np_podns "$p")=$p" || return 1
	NP_ENDPOINTS_EXTRA+=("$p")
}

np_bridge_mac() { # NODE
	ip -n "$(cl_ns "$1")" -o link show "$CL_BRIDGE" |
		grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2
}

# The CNI bridge has a MAC of its own (b10d48d): adding a pod must not
# change the gateway's MAC, or IPv6 pods (which hear no gratuitous ARP)
# lose every packet through it until NUD gives up. Checked on every extra
# pod; cluster/13-bridge-mac.bats is the test of the rule itself.
np_keep_bridge_mac() { # NODE x/d MAC-BEFORE
	local mac
	mac=$(np_bridge_mac "$1")
	[[ $mac == "$3" ]] ||
		np_err "$1: adding $2 changed the $CL_BRIDGE MAC $3 -> $mac"
}

np_pod_extra_publish() { # x/d LABELS-JSON
	local p=$1
	# shellcheck disable=SC2046
	NP_EXTRA_JSON[$p]=$(np_pod_json "$p" "${NP_EXTRA_NODE[$p]}" "$2" \
		false $(np_pod_ips "$p"))
	NP_EXTRA_PODS+=("$p")
}

# Removes an extra pod's server and netns (teardown_file would too).
np_pod_extra_del() { # x/d
	np_serve_stop "${1/\//-}"
	ip netns del "$(np_podns "$1")" 2>/dev/null || true
}

# A hostNetwork pod in the snapshot: node NODE's addresses, never a netns
# of its own (its traffic is the node's).
np_pod_hostnet() { # x/h NODE LABELS-JSON
	local f ips=()
	for f in "${CL_FAMILIES[@]}"; do
		ips+=("$(cl_node_addr "$2" "$f")")
	done
	NP_EXTRA_JSON[$1]=$(np_pod_json "$1" "$2" "$3" true "${ips[@]}")
	NP_EXTRA_PODS+=("$1")
}

# A pod the scheduler placed that has no address yet (Pending, no
# podIPs): in the snapshot, selected by whatever selects its labels, and
# with no netns.
np_pod_pending() { # x/p NODE LABELS-JSON
	local ns=${1%/*} pod=${1#*/}
	NP_EXTRA_JSON[$1]=$(printf '{"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"%s","name":"%s","uid":"%s-%s","labels":%s},"spec":{"nodeName":"%s","containers":%s},"status":{"phase":"Pending"}}' \
		"$ns" "$pod" "$ns" "$pod" "$3" "$2" "$(np_ports_json "$pod")")
	NP_EXTRA_PODS+=("$1")
}

# np_hosts on: the node netns become sources and destinations too.
np_hosts() { [[ $1 == on ]] && NP_HOSTS=1 || NP_HOSTS=0; }

# --- addresses for ipBlocks (data, never expectations) -----------------

# np_ipblocks NODE [EXCEPT-POD]: one ipBlock peer per family of the
# variant, NODE's pod CIDR, except EXCEPT-POD's address; a JSON array.
np_ipblocks() { # NODE [x/a]
	local f out="" ex
	for f in "${CL_FAMILIES[@]}"; do
		ex=""
		if [[ -n ${2:-} ]]; then
			if [[ $f == 4 ]]; then
				ex=",\"except\":[\"${NP_IP[$2,4]}/32\"]"
			else
				ex=",\"except\":[\"${NP_IP[$2,6]}/128\"]"
			fi
		fi
		out+="${out:+,}{\"ipBlock\":{\"cidr\":\"$(cl_pod_cidr "$1" "$f")\"$ex}}"
	done
	echo "[$out]"
}

# np_ipblock_hosts POD: ipBlock peers of exactly POD's addresses.
np_ipblock_hosts() { # x/a
	local f out=""
	for f in "${CL_FAMILIES[@]}"; do
		if [[ $f == 4 ]]; then
			out+="${out:+,}{\"ipBlock\":{\"cidr\":\"${NP_IP[$1,4]}/32\"}}"
		else
			out+="${out:+,}{\"ipBlock\":{\"cidr\":\"${NP_IP[$1,6]}/128\"}}"
		fi
	done
	echo "[$out]"
}

# --- expectations -------------------------------------------------------

np_endpoints() {
	printf '%s\n' "${NP_PODS[@]}" "${NP_ENDPOINTS_EXTRA[@]}"
	((NP_HOSTS)) && printf '%s\n' "${CL_NODES[@]}"
	return 0
}

np_is_host() { [[ $1 == node-* ]]; }

# SEL -> endpoints, one a line.
np_select() { # SEL
	local sel=$1 e found=0
	while read -r e; do
		[[ -n $e ]] || continue
		if np_is_host "$e"; then
			[[ $sel == "$e" || $sel == hosts ]] || continue
		else
			case $sel in
			'*') ;;
			*/'*') [[ ${e%/*} == "${sel%/*}" ]] || continue ;;
			'*'/*) [[ ${e#*/} == "${sel#*/}" ]] || continue ;;
			*) [[ $e == "$sel" ]] || continue ;;
			esac
		fi
		echo "$e"
		found=1
	done < <(np_endpoints)
	((found)) || np_err "selector '$sel' matches no endpoint" \
		"(hosts need np_hosts on)"
}

np_list() { # WORD ALL...: '*' -> ALL, else WORD
	local w=$1
	shift
	if [[ $w == '*' ]]; then printf '%s\n' "$@"; else echo "$w"; fi
}

expect_all() { np_untraced _expect_all "$@"; }
_expect_all() { # 0|1
	local eps s d f pr po
	[[ $1 == [01] ]] || np_err "expect_all 0|1, got '$1'" || return 1
	declare -gA NP_EXP=()
	mapfile -t eps < <(np_endpoints)
	for s in "${eps[@]}"; do
		for d in "${eps[@]}"; do
			for f in "${CL_FAMILIES[@]}"; do
				for pr in "${NP_PROTOS[@]}"; do
					for po in "${NP_PORTS[@]}"; do
						NP_EXP[$s\>$d\>$f\>$pr\>$po]=$1
					done
				done
			done
		done
	done
}

# expect from SEL to SEL PROTO PORT 0|1 [family 4|6]
expect() { np_untraced _expect "$@"; }
_expect() {
	local srcs dsts s d f pr po fams=("${CL_FAMILIES[@]}") prs pos
	[[ $1 == from && $3 == to && $# -ge 7 ]] ||
		np_err "usage: expect from SEL to SEL PROTO PORT 0|1 [family 4|6]," \
			"got: expect $*" || return 1
	[[ $5 == tcp || $5 == udp || $5 == sctp || $5 == '*' ]] ||
		np_err "expect: protocol '$5'" || return 1
	[[ $5 == '*' || " ${NP_PROTOS[*]} " == *" $5 "* ]] ||
		np_err "expect: $5 is not probed in this case (NP_PROTOS)" ||
		return 1
	[[ $6 == 80 || $6 == 81 || $6 == '*' ]] ||
		np_err "expect: port '$6'" || return 1
	[[ $7 == [01] ]] || np_err "expect: value '$7'" || return 1
	if (($# > 7)); then
		[[ $# == 9 && $8 == family && ($9 == 4 || $9 == 6) ]] ||
			np_err "expect: trailing '${*:8}'" || return 1
		cl_has_family "$9" || return 0   # not in this variant
		fams=("$9")
	fi
	srcs=$(np_select "$2") || return 1
	dsts=$(np_select "$4") || return 1
	prs=$(np_list "$5" "${NP_PROTOS[@]}")
	pos=$(np_list "$6" "${NP_PORTS[@]}")
	for s in $srcs; do
		for d in $dsts; do
			for f in "${fams[@]}"; do
				for pr in $prs; do
					for po in $pos; do
						NP_EXP[$s\>$d\>$f\>$pr\>$po]=$7
					done
				done
			done
		done
	done
}

# Per endpoint: its netns, its node, its address per family.
np_maps() {
	local e f
	declare -gA NP_NETNS=() NP_ADDR=() NP_HOME=()
	while read -r e; do
		if np_is_host "$e"; then
			NP_NETNS[$e]=$CL_PREFIX$e
			NP_HOME[$e]=$e
			for f in "${CL_FAMILIES[@]}"; do
				NP_ADDR[$e,$f]=$(cl_node_addr "$e" "$f")
			done
		else
			NP_NETNS[$e]=$CL_PREFIX${e/\//-}
			NP_HOME[$e]=$(np_node_of "$e")
			for f in "${CL_FAMILIES[@]}"; do
				NP_ADDR[$e,$f]=${NP_IP[$e,$f]}
			done
		fi
	done < <(np_endpoints)
}

# The three rules of every case (see the top of this file).
np_fixed_rules() {
	local eps s d f pr po
	mapfile -t eps < <(np_endpoints)
	for s in "${eps[@]}"; do
		for d in "${eps[@]}"; do
			if [[ $s == "$d" ]] ||
				{ np_is_host "$s" && np_is_host "$d"; } ||
				{ np_is_host "$s" && [[ ${NP_HOME[$d]} == "$s" ]]; }; then
				for f in "${CL_FAMILIES[@]}"; do
					for pr in "${NP_PROTOS[@]}"; do
						for po in "${NP_PORTS[@]}"; do
							NP_EXP[$s\>$d\>$f\>$pr\>$po]=1
						done
					done
				done
			fi
		done
	done
}

# --- probing ------------------------------------------------------------

# Source ports never repeat within a cluster's life (see fwprobe.c):
# each run takes a window of N ports above the last one, from 2000 up to
# 32000 and round again (below the kernel's ephemeral range).
np_portbase() { # N
	local f=$CL_DIR/portbase base
	base=$(cat "$f" 2>/dev/null || echo 2000)
	((base + $1 > 32000)) && base=2000
	echo $((base + $1)) >"$f"
	echo "$base"
}

# np_probe < "ID NETNS DST PROTO PORT" lines > "ID RESULT DETAIL" lines
np_probe() {
	local jobs per base
	jobs=$(cat)
	# the most probes any one namespace runs = the ports it needs
	per=$(awk '{n[$2]++} END {m = 0; for (k in n) if (n[k] > m) m = n[k]; print m}' <<<"$jobs")
	base=$(np_portbase "$per")
	"$NP_FWPROBE" probe -t "$NP_TIMEOUT_MS" -p "$base" <<<"$jobs"
}

# Job lines for the IDs on stdin (np_maps first).
np_jobs() {
	local id s d f pr po
	while IFS='>' read -r s d f pr po; do
		echo "$s>$d>$f>$pr>$po ${NP_NETNS[$s]} ${NP_ADDR[$d,$f]} $pr $po"
	done
}

# What a probe result means: 1 the destination itself answered, 0
# refused/unreachable/timeout, ? someone else answered or the probe broke.
np_observe() { # < fwprobe output; fills NP_OBS, NP_RAW
	local id res detail s d
	while read -r id res detail; do
		IFS='>' read -r s d _ <<<"$id"
		NP_RAW[$id]="$res${detail:+ $detail}"
		case $res in
		ok) [[ $detail == "$d" ]] && NP_OBS[$id]=1 || NP_OBS[$id]='?' ;;
		refused | unreach | timeout | noreply) NP_OBS[$id]=0 ;;
		*) NP_OBS[$id]='?' ;;
		esac
	done
}

# np_check: probe every pair of the matrix, compare with NP_EXP, print
# the tables of every family/protocol/port with a mismatch, fail on any.
# A mismatch is probed once more first (upstream retries its probes too):
# a lost first SYN while a neighbour resolves must not fail a case, and a
# real difference shows twice.
np_check() { np_untraced _np_check "$@"; }
_np_check() {
	local id t0 ms mism=() retry n=0
	declare -gA NP_OBS=() NP_RAW=()
	np_maps
	np_fixed_rules
	for id in "${!NP_EXP[@]}"; do
		n=$((n + 1))
	done
	((n)) || np_err "np_check: no expectations (expect_all first)" ||
		return 1
	t0=$(cl_ms)
	np_observe < <(printf '%s\n' "${!NP_EXP[@]}" | np_jobs | np_probe)
	ms=$(($(cl_ms) - t0))
	for id in "${!NP_EXP[@]}"; do
		[[ ${NP_OBS[$id]:-?} == "${NP_EXP[$id]}" ]] || mism+=("$id")
	done
	retry=${#mism[@]}
	if ((retry)); then
		np_observe < <(printf '%s\n' "${mism[@]}" | np_jobs | np_probe)
		mism=()
		for id in "${!NP_EXP[@]}"; do
			[[ ${NP_OBS[$id]:-?} == "${NP_EXP[$id]}" ]] || mism+=("$id")
		done
	fi
	NP_PROBE_MS=$ms
	echo "np_check: $n probes in $ms ms, $retry re-probed," \
		"${#mism[@]} unexpected"
	if ((${#mism[@]})) || [[ -n ${NP_SHOW:-} ]]; then
		np_tables "${mism[@]}"
	fi
	((${#mism[@]} == 0))
}

# The truth tables (rows from, columns to) of each family/proto/port
# that has a mismatch (all of them with NP_SHOW=1), then the mismatches.
np_tables() { # MISMATCHED-ID...
	local eps=() id s d f pr po key bad
	local -A badkey=()
	mapfile -t eps < <(np_endpoints)
	for id in "$@"; do
		IFS='>' read -r s d f pr po <<<"$id"
		badkey[$f\>$pr\>$po]=1
	done
	for f in "${CL_FAMILIES[@]}"; do
		for pr in "${NP_PROTOS[@]}"; do
			for po in "${NP_PORTS[@]}"; do
				key=$f\>$pr\>$po
				[[ -n ${badkey[$key]:-} || -n ${NP_SHOW:-} ]] ||
					continue
				np_table "$f" "$pr" "$po" "${eps[@]}"
			done
		done
	done
	((${#@})) || return 0
	echo "unexpected (from -> to family proto/port: expected, observed):"
	for id in "$@"; do
		IFS='>' read -r s d f pr po <<<"$id"
		printf '  %s -> %s IPv%s %s/%s (%s -> %s): expected %s, got %s\n' \
			"$s" "$d" "$f" "$pr" "$po" "${NP_ADDR[$s,$f]}" \
			"${NP_ADDR[$d,$f]}" "${NP_EXP[$id]}" "${NP_RAW[$id]:-none}"
	done
}

np_short() { # x/a -> x/a, node-a -> hA
	if np_is_host "$1"; then echo "h${1#node-}"; else echo "$1"; fi
}

np_table() { # FAMILY PROTO PORT ENDPOINT...
	local f=$1 pr=$2 po=$3 s d id row e o c hdr="" cell ev ov
	shift 3
	for d in "$@"; do
		printf -v cell ' %-4s' "$(np_short "$d")"
		hdr+=$cell
	done
	echo "IPv$f $pr/$po   (rows: from, columns: to; 1 connected, 0 denied, ? wrong answer; X differs)"
	printf '%-8s%s  | %-8s%s  | %-8s%s\n' expected "$hdr" observed "$hdr" \
		compare "$hdr"
	for s in "$@"; do
		e="" o="" c=""
		for d in "$@"; do
			id=$s\>$d\>$f\>$pr\>$po
			ev=${NP_EXP[$id]:--}
			ov=${NP_OBS[$id]:--}
			printf -v cell ' %-4s' "$ev"
			e+=$cell
			printf -v cell ' %-4s' "$ov"
			o+=$cell
			[[ $ev == "$ov" ]] && cell=. || cell=X
			printf -v cell ' %-4s' "$cell"
			c+=$cell
		done
		row=$(np_short "$s")
		printf '%-8s%s  | %-8s%s  | %-8s%s\n' "$row" "$e" "$row" "$o" \
			"$row" "$c"
	done
	echo
}

# --- kernel state -------------------------------------------------------

# What snapnet's firewall owns in NODE: its chains and rules, counters
# stripped, of both families ("4 ", "6 ") and, where the legacy tools
# exist, of the legacy backend too ("4L ", "6L ").
np_fw_rules() { # NODE
	local ns
	ns=$(cl_ns "$1")
	{
		ip netns exec "$ns" iptables-save 2>/dev/null | sed 's/^/4 /'
		ip netns exec "$ns" ip6tables-save 2>/dev/null | sed 's/^/6 /'
		if command -v iptables-legacy-save >/dev/null; then
			ip netns exec "$ns" iptables-legacy-save 2>/dev/null |
				sed 's/^/4L /'
			ip netns exec "$ns" ip6tables-legacy-save 2>/dev/null |
				sed 's/^/6L /'
		fi
	} | grep -v -e '^[46]L\? #' | sed -E 's/\[[0-9]+:[0-9]+\]//' |
		grep -F 'SNAPNET-FW' || true
}

np_fw_sets() { # NODE
	ip netns exec "$(cl_ns "$1")" ipset list -n 2>/dev/null |
		grep '^snapnet-' || true
}

# Shown when a test fails (the bats files' teardown).
np_diagnose() {
	local n
	[[ -n ${CL_DIR:-} ]] || return 0
	for n in "${CL_NODES[@]}"; do
		echo "--- $n apply.log (last 20 lines)"
		tail -n 20 "$CL_DIR/$n/apply.log" 2>/dev/null
		echo "--- $n SNAPNET-FW rules"
		np_fw_rules "$n" | head -n 80
		echo "--- $n snapnet- sets"
		np_fw_sets "$n"
	done
}

# The hooks of a firewall bats file: one cluster per file, diagnostics
# when a test fails. A file that needs more defines its own teardown after
# `load lib/netpol` (bash keeps the last definition).
setup_file() { np_setup_file; }
teardown_file() { np_teardown_file; }
teardown() { [[ -n ${BATS_TEST_COMPLETED:-} ]] || np_diagnose; }
