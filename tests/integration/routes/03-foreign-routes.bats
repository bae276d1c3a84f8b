#!/usr/bin/env bats
#
# Routes of other protocols in the same prefix space (static and boot,
# both next to the pod CIDRs) are never touched: not by apply, not by
# cleanup. Nor is a bridge of the configured name that snapnet did not
# create (no "snapnet" alias): apply reports it and fails the CNI
# function, its addresses and state stay as they were, cleanup keeps it.

load ../lib/helpers

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

foreign_bridge() { # VARIANT
	local ns before after
	cluster3 "$1"
	ns=$(cl_ns node-a)
	ip -n "$ns" link add "$CL_BRIDGE" type bridge
	ip -n "$ns" addr add 192.0.2.1/24 dev "$CL_BRIDGE"
	ip -n "$ns" addr add 2001:db8::1/64 dev "$CL_BRIDGE" nodad
	before=$(ip -n "$ns" -d addr show dev "$CL_BRIDGE")

	run cl_snapnet node-a apply
	echo "apply: rc=$status: $output"
	[ "$status" -eq 1 ]
	grep -q "link $CL_BRIDGE.*not snapnet's" <<<"$output"
	cl_json_true '.functions.cni.error | contains("not snapnet'"'"'s")' \
		<<<"$(cl_status node-a)"
	cl_assert_routes node-a node-a node-b node-c # routes are unaffected
	after=$(ip -n "$ns" -d addr show dev "$CL_BRIDGE")
	[ "$before" == "$after" ]

	cl_snapnet node-a cleanup
	after=$(ip -n "$ns" -d addr show dev "$CL_BRIDGE")
	[ "$before" == "$after" ]
	[ -z "$(cl_owned_any node-a)" ]
}

@test "v4: a foreign bridge of our name is reported and left alone" {
	foreign_bridge v4
}

@test "v6: a foreign bridge of our name is reported and left alone" {
	foreign_bridge v6
}

@test "dual: a foreign bridge of our name is reported and left alone" {
	foreign_bridge dual
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
