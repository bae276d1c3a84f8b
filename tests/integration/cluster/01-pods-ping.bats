#!/usr/bin/env bats
#
# The headline: a 3-node cluster, snapnet apply on every node, pods wired
# by Debian's real CNI plugins from the conflist snapnet wrote, and
# cross-node pod-to-pod pings in every family of the variant. A negative
# control first proves the pings can fail: before the routes exist a
# cross-node ping must not get through.

load ../lib/helpers

pods_ping() { # VARIANT
	local n f
	cl_init "$1"
	cl_underlay 3
	cl_set_snapshot node-a node-b node-c

	# Phase 1: every node sees only itself: bridge + conflist, no routes.
	for n in "${CL_NODES[@]}"; do
		cl_write_snapshot "$CL_DIR/self-$n.json" "$n"
		cl_snapnet "$n" apply -s "$CL_DIR/self-$n.json"
		[ -s "$(cl_conflist "$n")" ]
		cl_assert_routes "$n"
	done
	cl_pod_add node-a pod-a1
	cl_pod_add node-a pod-a2
	cl_pod_add node-b pod-b1
	cl_pod_add node-c pod-c1

	for f in "${CL_FAMILIES[@]}"; do
		# the pods themselves work: same node, same bridge
		cl_ping pod-a1 "$(cl_pod_ip pod-a2 "$f")"
		# negative control: no route to node-b's pod CIDR yet
		run cl_ping pod-a1 "$(cl_pod_ip pod-b1 "$f")" 1
		[ "$status" -ne 0 ]
	done

	# Phase 2: the whole cluster.
	cl_apply_all
	for n in "${CL_NODES[@]}"; do
		cl_assert_routes "$n" node-a node-b node-c
	done
	cl_ping_matrix pod-a1 pod-b1 pod-c1
	echo "pings: $CL_PINGS_OK/$CL_PINGS_TOTAL"
	[ "$CL_PINGS_TOTAL" -eq $((6 * ${#CL_FAMILIES[@]})) ]
	[ "$CL_PINGS_OK" -eq "$CL_PINGS_TOTAL" ]
}

@test "v4: 3 nodes, real CNI pods, cross-node pod pings (IPv4)" {
	pods_ping v4
}

@test "v6: 3 nodes, real CNI pods, cross-node pod pings (IPv6)" {
	pods_ping v6
}

@test "dual: 3 nodes, real CNI pods, cross-node pod pings (IPv4+IPv6)" {
	pods_ping dual
}
