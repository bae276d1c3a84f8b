#!/usr/bin/env bats
#
# Bad input loses nothing. With the daemon running and routes in place,
# each bad snapshot (truncated JSON, an invalid CIDR, the same pod CIDR on
# two nodes) is renamed in: every route stays, the daemon keeps running,
# `snapnet status` shows an error naming the file, and `apply` and
# `validate` on it exit 1. A good snapshot in between must be accepted
# again, so each error is a fresh one.

load ../lib/helpers

bad_snapshot() { # VARIANT
	local kind snap pid passes
	cl_init "$1"
	cl_underlay 3
	cl_set_snapshot node-a node-b node-c
	snap=$(cl_snapshot_path node-a)
	cl_start_ready node-a
	cl_assert_routes node-a node-a node-b node-c
	pid=$(cl_daemon_pid node-a)
	sed "s|^state_dir = .*|state_dir = $CL_DIR/apply-state|" \
		"$(cl_ini node-a)" >"$CL_DIR/apply.ini"

	for kind in truncated badcidr dupcidr; do
		echo "== $kind"
		passes=$(cl_status node-a | jq .passes)
		cl_bad_snapshot "$kind" node-a node-b node-c |
			cl_write_snapshot_raw "$snap"
		cl_wait_status node-a \
			".passes > $passes and .result == \"error\"" 2000
		run cl_snapnet node-a status
		echo "$output"
		[ "$status" -eq 0 ]
		cl_json_true --arg f "$snap" '.result == "error" and
			(.error | contains($f))' <<<"$output"
		kill -0 "$pid"
		cl_assert_routes node-a node-a node-b node-c

		# apply with its own state_dir: the daemon holds node-a's
		run ip netns exec "$(cl_ns node-a)" "$SNAPNET" apply \
			-c "$CL_DIR/apply.ini"
		echo "apply: rc=$status: $output"
		[ "$status" -eq 1 ]
		grep -qF "$snap" <<<"$output" # the load error, not the lock
		cl_assert_routes node-a node-a node-b node-c
		run "$SNAPNET" validate --node node-a "$snap"
		echo "validate: rc=$status: $output"
		[ "$status" -eq 1 ]

		passes=$(cl_status node-a | jq .passes)
		cl_write_snapshot "$snap" node-a node-b node-c
		cl_wait_status node-a \
			".passes > $passes and .result == \"ok\"" 2000
	done
	kill -0 "$pid"
}

@test "v4: bad snapshots keep every route, the daemon runs on, status names the file" {
	bad_snapshot v4
}

@test "v6: bad snapshots keep every route, the daemon runs on, status names the file" {
	bad_snapshot v6
}

@test "dual: bad snapshots keep every route, the daemon runs on, status names the file" {
	bad_snapshot dual
}
