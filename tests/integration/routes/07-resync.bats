#!/usr/bin/env bats
#
# Drift repair: an owned route deleted by hand comes back on the next
# periodic resync (resync_interval = 1) within 3 s, without any change
# to the snapshot.

load ../lib/helpers

resync() { # VARIANT
	local f ns
	cl_init "$1"
	cl_underlay 3
	cl_set_snapshot node-a node-b node-c
	cl_write_config node-a agent.resync_interval=1
	ns=$(cl_ns node-a)
	cl_start_ready node-a
	cl_assert_routes node-a node-a node-b node-c

	# `ip route del` fails (and so does the test) unless it removed one
	for f in "${CL_FAMILIES[@]}"; do
		ip -n "$ns" -"$f" route del "$(cl_pod_cidr node-b "$f")" \
			proto "$CL_PROTO"
	done

	cl_wait_routes 3000 node-a node-a node-b node-c
	echo "repaired after $CL_WAITED ms"
	cl_wait_status node-a '.result == "ok"' 1000
	kill -0 "$(cl_daemon_pid node-a)"
}

@test "v4: a hand-deleted route comes back on resync" {
	resync v4
}

@test "v6: a hand-deleted route comes back on resync" {
	resync v6
}

@test "dual: a hand-deleted route comes back on resync" {
	resync dual
}
