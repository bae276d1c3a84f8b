#!/usr/bin/env bats
#
# snapnet run picks up a snapshot renamed into place (IN_MOVED_TO) within
# 1 s: the new node's routes are polled every 50 ms for at most 1 s.
# SIGTERM then ends the daemon with exit 0 and leaves the routes in place.

load ../lib/helpers

daemon_inotify() { # VARIANT
	local pid rc=0
	cl_init "$1"
	cl_underlay 3
	cl_set_snapshot node-a node-b
	cl_start_ready node-a
	cl_assert_routes node-a node-a node-b

	# the exporter renames a new snapshot into place
	cl_write_snapshot "$(cl_snapshot_path node-a)" node-a node-b node-c
	cl_wait_routes 1000 node-a node-a node-b node-c
	echo "picked up in $CL_WAITED ms"
	cl_wait_status node-a '.trigger == "inotify" and .result == "ok"' 1000

	pid=$(cl_daemon_pid node-a)
	kill -0 "$pid"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	echo "daemon exit status after SIGTERM: $rc"
	[ "$rc" -eq 0 ]
	cl_assert_routes node-a node-a node-b node-c
}

@test "v4: the daemon applies a renamed-in snapshot within 1 s" {
	daemon_inotify v4
}

@test "v6: the daemon applies a renamed-in snapshot within 1 s" {
	daemon_inotify v6
}

@test "dual: the daemon applies a renamed-in snapshot within 1 s" {
	daemon_inotify dual
}
