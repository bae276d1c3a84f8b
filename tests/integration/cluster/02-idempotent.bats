#!/usr/bin/env bats
#
# Idempotency: after apply, plan exits 0 and prints nothing, and a second
# apply performs zero operations and does not rewrite
# the conflist (same inode: it is renamed into place only on change).
# `apply` does not write the status file (only the daemon does), so the
# operation counts come from its per-function summary line on stderr:
#   snapnet: routes: P planned, D done, F failed, R reported

load ../lib/helpers

idempotent() { # VARIANT
	local ino
	cluster3 "$1"

	# before: work is pending, so the checks below can fail
	run --separate-stderr cl_snapnet node-a plan
	[ "$status" -eq 2 ]
	[[ $output == *"route add "* ]]

	run cl_snapnet node-a apply
	echo "first apply: rc=$status: $output"
	[ "$status" -eq 0 ]
	[[ $output == *"routes: $((2 * ${#CL_FAMILIES[@]})) planned, $((2 * ${#CL_FAMILIES[@]})) done, 0 failed"* ]]
	cl_assert_routes node-a node-a node-b node-c
	ino=$(stat -c %i "$(cl_conflist node-a)")

	run --separate-stderr cl_snapnet node-a plan
	echo "plan: rc=$status stdout=[$output] stderr=[$stderr]"
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	# apply prints one summary line per function on stderr
	run cl_snapnet node-a apply
	echo "second apply: rc=$status: $output"
	[ "$status" -eq 0 ]
	[[ $output == *"routes: 0 planned, 0 done, 0 failed"* ]]
	[[ $output == *"cni: 0 planned, 0 done, 0 failed"* ]]
	[ "$(stat -c %i "$(cl_conflist node-a)")" = "$ino" ]
	cl_assert_routes node-a node-a node-b node-c
}

@test "v4: plan is empty and a second apply does nothing" {
	idempotent v4
}

@test "v6: plan is empty and a second apply does nothing" {
	idempotent v6
}

@test "dual: plan is empty and a second apply does nothing" {
	idempotent dual
}
