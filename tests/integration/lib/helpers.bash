# shellcheck shell=bash
#
# helpers.bash - bats glue around cluster.bash: every test builds its own
# cluster (fresh prefix) and always tears it down, pass or fail.

bats_require_minimum_version 1.5.0

load "${BATS_TEST_DIRNAME}/../lib/cluster.bash"

# Not root, no veth/bridge/IPv6, no plugins, no binary: fail, never skip.
setup() {
	cl_require
}

# A test file may define test_cleanup (unmounts, say): it runs first.
teardown() {
	local node
	if declare -F test_cleanup >/dev/null; then
		test_cleanup || true
	fi
	if [[ -z ${BATS_TEST_COMPLETED:-} && -n ${CL_DIR:-} ]]; then
		# Shown by bats only for failed tests: what the agent said.
		for node in "${CL_NODES[@]}"; do
			echo "--- $node status.json"
			cl_status "$node" || echo "(none)"
			for log in apply.log run.log; do
				[[ -s $CL_DIR/$node/$log ]] || continue
				echo "--- $node $log (last 30 lines)"
				tail -n 30 "$CL_DIR/$node/$log"
			done
			echo "--- $node routes"
			ip -n "$(cl_ns "$node")" -4 route 2>&1
			ip -n "$(cl_ns "$node")" -6 route 2>&1
		done
	fi
	cl_teardown
}

# A 3-node cluster of VARIANT with the full snapshot on every node.
cluster3() { # VARIANT
	cl_init "$1"
	cl_underlay 3
	cl_set_snapshot node-a node-b node-c
}
