#!/usr/bin/env bats
#
# The daemon runs a pass on SIGCHLD only for a child that is still
# waiting to be reaped (a function's long-lived one ended), never for
# the tools a pass ran and reaped itself (iptables-save/-restore): each
# of those would otherwise run the next pass, forever.

load ../lib/helpers

passes() { cl_status node-a | jq .passes; }

quiet_after_tools() { # VARIANT
	local n
	cl_init "$1"
	cl_underlay 1
	# default deny of new pods: chains to keep, so every pass runs the
	# iptables tools of each family
	cl_write_config node-a firewall.enabled=yes \
		firewall.default_deny_new_pods=yes
	cl_set_snapshot node-a
	cl_start_ready node-a
	ip netns exec "$(cl_ns node-a)" iptables-save | grep -q SNAPNET-FW-FORWARD ||
		ip netns exec "$(cl_ns node-a)" ip6tables-save | grep -q SNAPNET-FW-FORWARD
	n=$(passes)
	sleep 2
	[ "$(passes)" -eq "$n" ]
	[ "$(cl_status node-a | jq -r .trigger)" != sigchld ]
}

@test "v4: the tools a pass runs do not start another pass" {
	quiet_after_tools v4
}

@test "v6: the tools a pass runs do not start another pass" {
	quiet_after_tools v6
}

@test "dual: the tools a pass runs do not start another pass" {
	quiet_after_tools dual
}
