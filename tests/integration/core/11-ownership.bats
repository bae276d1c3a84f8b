#!/usr/bin/env bats
#
# One process per state_dir, and no orphans when the settings that mark
# what snapnet owns change: `apply` beside the daemon is refused; SIGHUP
# with another route protocol is refused; after the daemon stops, `apply`
# under the new protocol is refused too (the status file records the old
# one, in STATE_DIR/owner.json); `cleanup` under the new config removes
# what the old settings made
# (routes, bridge, conflist); then the new settings work. `status` says
# whether a snapnet process holds the state_dir.

load ../lib/helpers

any_route() { # NODE PROTO
	ip -n "$(cl_ns "$1")" -4 route show table all proto "$2"
	ip -n "$(cl_ns "$1")" -6 route show table all proto "$2"
}

ownership() { # VARIANT
	local pid ns cni
	cluster3 "$1"
	ns=$(cl_ns node-a)
	cni=$CL_DIR/node-a/cni
	cl_start_ready node-a
	pid=$(cl_daemon_pid node-a)
	[ -e "$cni/10-snapnet.conflist" ]

	run cl_snapnet node-a apply
	echo "apply beside the daemon: rc=$status: $output"
	[ "$status" -eq 1 ]
	grep -q "in use by snapnet pid $pid" <<<"$output"
	run cl_snapnet node-a status
	cl_json_true ".running == true and .running_pid == $pid" <<<"$output"

	# new settings for everything snapnet marks; another plugin's
	# conflist already sits under the new file name
	cl_write_config node-a routes.protocol=158 cni.bridge=snbr1 \
		cni.conf_file=05-other.conflist
	echo '{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"flannel"}]}' \
		>"$cni/05-other.conflist"
	kill -HUP "$pid"
	cl_wait 2000 grep -q "reload refused.*\[cni\] bridge snbr0 -> snbr1" \
		"$CL_DIR/node-a/run.log"
	cl_assert_routes node-a node-a node-b node-c
	cl_stop node-a
	run cl_snapnet node-a status
	cl_json_true '.running == false' <<<"$output"

	run cl_snapnet node-a apply
	echo "apply under new settings: rc=$status: $output"
	[ "$status" -eq 1 ]
	grep -q "ownership settings changed.*\[cni\] bridge snbr0 -> snbr1" <<<"$output"
	[ -z "$(any_route node-a 158)" ]
	cl_assert_routes node-a node-a node-b node-c

	# cleanup under the new config removes what the recorded settings
	# made, and nothing the new settings merely name
	cl_snapnet node-a cleanup
	[ -z "$(any_route node-a 157)" ]
	! ip -n "$ns" link show "$CL_BRIDGE" 2>/dev/null || false
	[ ! -e "$cni/10-snapnet.conflist" ]
	grep -q flannel "$cni/05-other.conflist"
	[ ! -e "$CL_DIR/node-a/state/status.json" ]
	[ ! -e "$CL_DIR/node-a/state/owner.json" ]

	rm "$cni/05-other.conflist"
	cl_snapnet node-a apply
	[ -n "$(any_route node-a 158)" ]
	[ -z "$(any_route node-a 157)" ]
	ip -n "$ns" -d link show snbr1 | grep -q "alias snapnet"
	grep -q '"bridge": "snbr1"' "$cni/05-other.conflist"

	# a record that cannot be read: refused, not guessed
	head -c 20 "$CL_DIR/node-a/state/owner.json" >"$CL_DIR/s.json"
	mv "$CL_DIR/s.json" "$CL_DIR/node-a/state/owner.json"
	run cl_snapnet node-a apply
	echo "apply without a record: rc=$status: $output"
	[ "$status" -eq 1 ]
	grep -q "no readable ownership record" <<<"$output"

	# a record that no config could produce (protocol 2 is the kernel's)
	# is not trusted by cleanup either: refused, the kernel's connected
	# routes and our proto-158 routes stay
	echo '{"routes": {"protocol": 2, "table": 254},
		"cni": {"bridge": "snbr1", "conf_dir": "/x", "conf_file": "y"}}' \
		>"$CL_DIR/node-a/state/owner.json"
	run cl_snapnet node-a cleanup
	echo "cleanup with a bad record: rc=$status: $output"
	[ "$status" -eq 1 ]
	grep -q "no valid ownership record" <<<"$output"
	[ -n "$(any_route node-a 158)" ]
	[ -n "$(any_route node-a kernel)" ]

	# without a record, a conflist at our path that is not a bridge
	# conflist for our bridge (here with null members) is left alone
	rm "$CL_DIR/node-a/state/owner.json"
	echo '{"cniVersion":"1.0.0","name":"x","plugins":[{"type":null,"bridge":null}]}' \
		>"$cni/05-other.conflist"
	run cl_snapnet node-a cleanup
	echo "cleanup: rc=$status: $output"
	[ "$status" -eq 0 ]
	grep -q "not snapnet's, left alone" <<<"$output"
	grep -q '"type":null' "$cni/05-other.conflist"
	[ -z "$(any_route node-a 158)" ]
}

@test "v4: one process per state_dir; changed ownership settings are refused, cleanup removes what the recorded ones made" {
	ownership v4
}

@test "v6: one process per state_dir; changed ownership settings are refused, cleanup removes what the recorded ones made" {
	ownership v6
}

@test "dual: one process per state_dir; changed ownership settings are refused, cleanup removes what the recorded ones made" {
	ownership dual
}
