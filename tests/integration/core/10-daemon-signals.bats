#!/usr/bin/env bats
#
# The daemon's other inputs: SIGUSR1 runs a pass now; SIGHUP reloads the
# config (a broken config is refused and the running one kept; a new
# snapshot path is followed and the old file no longer counts); a burst of
# renames is debounced into a few passes that end on the last snapshot.

load ../lib/helpers

passes() { cl_status node-a | jq .passes; }

signals() { # VARIANT
	local pid n ini other
	cl_init "$1"
	cl_underlay 3
	cl_set_snapshot node-a node-b
	cl_start_ready node-a
	cl_assert_routes node-a node-a node-b
	pid=$(cl_daemon_pid node-a)
	ini=$(cl_ini node-a)

	# SIGUSR1: one pass now, nothing to change
	n=$(passes)
	kill -USR1 "$pid"
	cl_wait_status node-a ".passes > $n and .trigger == \"sigusr1\"" 2000
	cl_wait_status node-a '.functions.routes.done == 0' 100

	# SIGHUP with a broken config: refused, still running, nothing changed
	cp "$ini" "$CL_DIR/good.ini"
	echo "no_such_key = 1" >>"$ini"
	n=$(passes)
	kill -HUP "$pid"
	cl_wait_status node-a ".passes > $n and .trigger == \"sighup\"" 2000
	kill -0 "$pid"
	grep -q "reload refused.*unknown key \"no_such_key\"" \
		"$CL_DIR/node-a/run.log"
	cl_assert_routes node-a node-a node-b

	# SIGHUP with a config naming a snapshot in another directory:
	# followed at once
	mkdir -p "$CL_DIR/node-a/other"
	other=$CL_DIR/node-a/other/other.json
	cl_write_snapshot "$other" node-a node-b node-c
	cl_write_config node-a agent.snapshot="$other"
	n=$(passes)
	kill -HUP "$pid"
	cl_wait_status node-a ".passes > $n and .result == \"ok\"" 2000
	cl_assert_routes node-a node-a node-b node-c
	# the new file is watched, the old one no longer counts; the pass
	# is counted once its status is written, which follows the routes
	n=$(passes)
	cl_write_snapshot "$other" node-a node-b
	cl_wait_routes 1000 node-a node-a node-b
	cl_wait_status node-a ".passes > $n and .result == \"ok\"" 2000
	n=$(passes)
	cl_write_snapshot "$(cl_snapshot_path node-a)" node-a node-c
	sleep 0.5
	[ "$(passes)" -eq "$n" ]
	cl_assert_routes node-a node-a node-b
}

debounce() { # VARIANT
	local pid n i snap
	cl_init "$1"
	cl_underlay 3
	cl_set_snapshot node-a node-b
	cl_write_config node-a agent.debounce_ms=400
	cl_start_ready node-a
	snap=$(cl_snapshot_path node-a)
	cl_gen_snapshot node-a node-b >"$CL_DIR/ab.json"
	cl_gen_snapshot node-a node-b node-c >"$CL_DIR/abc.json"
	n=$(passes)
	# 20 renames in quick succession, ending on node-a + node-b + node-c
	for i in $(seq 1 20); do
		if ((i % 2)); then
			cp "$CL_DIR/ab.json" "$snap.tmp"
		else
			cp "$CL_DIR/abc.json" "$snap.tmp"
		fi
		mv -f "$snap.tmp" "$snap"
	done
	cl_wait_routes 3000 node-a node-a node-b node-c
	sleep 0.6 # let any straggling debounced pass run
	echo "passes for 20 renames: $(($(passes) - n))"
	[ $(($(passes) - n)) -ge 1 ]
	[ $(($(passes) - n)) -le 3 ]
	cl_assert_routes node-a node-a node-b node-c
}

@test "v4: SIGUSR1 resyncs, SIGHUP reloads or refuses a config" {
	signals v4
}

@test "v6: SIGUSR1 resyncs, SIGHUP reloads or refuses a config" {
	signals v6
}

@test "dual: SIGUSR1 resyncs, SIGHUP reloads or refuses a config" {
	signals dual
}

@test "v4: a burst of 20 renames is debounced into at most 3 passes" {
	debounce v4
}

@test "v6: a burst of 20 renames is debounced into at most 3 passes" {
	debounce v6
}

@test "dual: a burst of 20 renames is debounced into at most 3 passes" {
	debounce dual
}
