#!/usr/bin/env bats
#
# A node that leaves the snapshot loses its routes everywhere, the others
# stay. The delete guard (max_delete_share = 0.5): removing 1 of 2 owned
# routes per family is exactly 50% and allowed; removing every peer is
# refused (exit 1, routes kept, a message saying so) unless --force.

load ../lib/helpers

node_removed() { # VARIANT
	local n
	cluster3 "$1"
	cl_apply_all
	for n in "${CL_NODES[@]}"; do
		cl_assert_routes "$n" node-a node-b node-c
	done

	cl_set_snapshot node-a node-b
	cl_snapnet node-a apply
	cl_snapnet node-b apply
	cl_assert_routes node-a node-a node-b
	cl_assert_routes node-b node-a node-b

	# every peer gone: 100% of what node-a owns, refused
	cl_set_snapshot node-a
	run cl_snapnet node-a apply
	echo "apply without --force: rc=$status: $output"
	[ "$status" -eq 1 ]
	cl_assert_routes node-a node-a node-b
	[[ $output == *refus* ]]

	run cl_snapnet node-a apply --force
	echo "apply --force: rc=$status: $output"
	[ "$status" -eq 0 ]
	cl_assert_routes node-a
}

@test "v4: a node removed from the snapshot loses its route; delete guard" {
	node_removed v4
}

@test "v6: a node removed from the snapshot loses its route; delete guard" {
	node_removed v6
}

@test "dual: a node removed from the snapshot loses its route; delete guard" {
	node_removed dual
}
