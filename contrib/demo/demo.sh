#!/bin/bash
#
# demo.sh - `make demo`: a 3-node dual-stack cluster in network namespaces.
#
# An underlay bridge in a hub namespace, one namespace per node running
# `snapnet run` with its own config and snapshot, two pods per node wired
# by Debian's real CNI plugins (bridge + host-local, then portmap) from
# the conflist snapnet wrote. Shows the conflist, the routes, the pod
# addresses and cross-node pod-to-pod pings over IPv4 and IPv6, then tears
# everything down. Exits 0 only if every ping worked.
#
# Traffic never leaves the namespaces created here. DEMO_KEEP=1 keeps the
# work dir (configs, snapshots, daemon logs) for a look afterwards.

set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source-path=SCRIPTDIR/../..
source tests/integration/lib/cluster.bash

PODS=()

section() {
	printf '\n===== %s =====\n' "$*"
}

demo_exit() {
	local rc=$? node
	trap - EXIT
	if ((rc != 0)) && [[ -n ${CL_DIR:-} ]]; then
		for node in "${CL_NODES[@]}"; do
			[[ -s $CL_DIR/$node/run.log ]] || continue
			section "$node: last lines of the snapnet log"
			tail -n 20 "$CL_DIR/$node/run.log"
		done
	fi
	section "teardown"
	# shellcheck disable=SC2034 # read by cl_teardown
	[[ ${DEMO_KEEP:-0} == 1 ]] && CL_OWN_DIR=0 &&
		echo "keeping $CL_DIR (DEMO_KEEP=1)"
	if cl_teardown; then
		echo "all namespaces of ${CL_PREFIX:-this run} removed"
	else
		rc=1
	fi
	exit "$rc"
}

main() {
	local node i pod f t0

	cl_require
	cl_init dual
	trap demo_exit EXIT
	trap 'exit 130' INT TERM

	section "cluster $CL_PREFIX* (dual-stack, 3 nodes)"
	cl_underlay 3
	cl_set_snapshot node-a node-b node-c
	for node in "${CL_NODES[@]}"; do
		echo "$node: netns $(cl_ns "$node"), eth0" \
			"$(cl_node_addr "$node" 4)/24 $(cl_node_addr "$node" 6)/64," \
			"pod CIDRs $(cl_pod_cidr "$node" 4) $(cl_pod_cidr "$node" 6)"
	done
	echo "work dir: $CL_DIR"

	section "starting snapnet run on every node"
	t0=$(cl_ms)
	for node in "${CL_NODES[@]}"; do
		cl_start "$node"
		echo "$node: snapnet run pid $(cl_daemon_pid "$node")," \
			"log $CL_DIR/$node/run.log"
	done
	for node in "${CL_NODES[@]}"; do
		cl_wait 10000 test -s "$(cl_conflist "$node")" ||
			cl_err "$node: no conflist after 10 s" || return 1
		cl_wait_status "$node" '.result == "ok"' 10000 || return 1
		echo "$node: conflist written, first pass ok" \
			"($(($(cl_ms) - t0)) ms after start)"
	done

	section "creating 2 pods per node with the real CNI plugins"
	for node in "${CL_NODES[@]}"; do
		for i in 1 2; do
			pod=pod-${node#node-}$i
			cl_pod_add "$node" "$pod"
			PODS+=("$pod")
		done
	done
	echo "${#PODS[@]} pods: ${PODS[*]}"

	section "CNI conflist of node-a: $(cl_conflist node-a)"
	cat "$(cl_conflist node-a)"

	for node in "${CL_NODES[@]}"; do
		section "routes on $node"
		for f in 4 6; do
			echo "-- ip -$f route show proto $CL_PROTO (snapnet's)"
			ip -n "$(cl_ns "$node")" -"$f" route show proto "$CL_PROTO"
			echo "-- ip -$f route (all)"
			ip -n "$(cl_ns "$node")" -"$f" route
		done
	done

	section "pod addresses"
	for pod in "${PODS[@]}"; do
		printf '%-7s on %s: %-15s %s\n' "$pod" \
			"$(cat "$CL_DIR/pods/$pod.node")" \
			"$(cl_pod_ip "$pod" 4)" "$(cl_pod_ip "$pod" 6)"
	done

	section "cross-node pod-to-pod pings (every pod to one pod on each other node)"
	cl_ping_matrix "${PODS[@]}"

	section "summary"
	echo "demo: $CL_PINGS_OK/$CL_PINGS_TOTAL pings ok"
	((CL_PINGS_TOTAL > 0 && CL_PINGS_OK == CL_PINGS_TOTAL))
}

main "$@"
