#!/usr/bin/env bats
#
# cleanup leaves nothing owned behind: no route with our protocol in any
# table of either family, no conflist, no bridge (even with a pod still
# attached to it), while foreign routes stay. A second cleanup is a no-op
# that succeeds, and plan afterwards sees the work again (exit 2).

load ../lib/helpers

cleanup() { # VARIANT
	local ns
	cluster3 "$1"
	ns=$(cl_ns node-a)
	cl_foreign_add node-a
	cl_snapnet node-a apply
	cl_pod_add node-a pod-a1
	[ -n "$(cl_owned_any node-a)" ]
	[ -f "$(cl_conflist node-a)" ]
	ip -n "$ns" link show "$CL_BRIDGE"

	cl_snapnet node-a cleanup
	echo "left with proto $CL_PROTO: [$(cl_owned_any node-a)]"
	[ -z "$(cl_owned_any node-a)" ]
	[ ! -e "$(cl_conflist node-a)" ]
	run ip -n "$ns" link show "$CL_BRIDGE"
	[ "$status" -ne 0 ]
	cl_foreign_check node-a

	cl_snapnet node-a cleanup
	run --separate-stderr cl_snapnet node-a plan
	[ "$status" -eq 2 ]
}

@test "v4: cleanup removes every owned route, the conflist and the bridge" {
	cleanup v4
}

@test "v6: cleanup removes every owned route, the conflist and the bridge" {
	cleanup v6
}

@test "dual: cleanup removes every owned route, the conflist and the bridge" {
	cleanup dual
}
