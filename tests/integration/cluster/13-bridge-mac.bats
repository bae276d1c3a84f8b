#!/usr/bin/env bats
#
# The bridge keeps the MAC it was created with: pods joining with lower
# MACs do not change their gateway's address under the pods already
# there (a bridge without an address of its own takes its lowest port's,
# and IPv6 pods, who hear no gratuitous ARP, lose the gateway until their
# neighbour entry expires).

load ../lib/helpers

bridge_mac() { ip -n "$(cl_ns node-a)" -j link show "$CL_BRIDGE" | jq -r '.[0].address'; }

keeps_mac() { # VARIANT
	local before port
	cl_init "$1"
	cl_underlay 1
	cl_set_snapshot node-a
	cl_snapnet node-a apply
	cl_pod_add node-a p1
	before=$(bridge_mac)
	# a port with the lowest MAC there is
	port=$(ip -n "$(cl_ns node-a)" -j link show master "$CL_BRIDGE" |
		jq -r '.[0].ifname')
	ip -n "$(cl_ns node-a)" link set "$port" address 02:00:00:00:00:01
	cl_pod_add node-a p2
	[ "$(bridge_mac)" = "$before" ]
	[ "$before" != 02:00:00:00:00:01 ]
	# locally administered, unicast
	(( (0x${before:0:2} & 3) == 2 ))
}

@test "v4: the bridge keeps its MAC when lower ones join" {
	keeps_mac v4
}

@test "v6: the bridge keeps its MAC when lower ones join" {
	keeps_mac v6
}

@test "dual: the bridge keeps its MAC when lower ones join" {
	keeps_mac dual
}
