#!/usr/bin/env bats
#
# Routes of other protocols in the same prefix space (static and boot,
# both next to the pod CIDRs) are never touched: not by apply, not by
# cleanup.

load lib/helpers

foreign() { # VARIANT
	cluster3 "$1"
	cl_foreign_add node-a
	cl_foreign_check node-a

	cl_snapnet node-a apply
	cl_assert_routes node-a node-a node-b node-c
	cl_foreign_check node-a
	# and again, with nothing to do
	cl_snapnet node-a apply
	cl_foreign_check node-a

	cl_snapnet node-a cleanup
	[ -z "$(cl_owned_any node-a)" ]
	cl_foreign_check node-a
}

@test "v4: foreign routes in the pod prefix space survive apply and cleanup" {
	foreign v4
}

@test "v6: foreign routes in the pod prefix space survive apply and cleanup" {
	foreign v6
}

@test "dual: foreign routes in the pod prefix space survive apply and cleanup" {
	foreign dual
}
