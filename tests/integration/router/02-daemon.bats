#!/usr/bin/env bats
#
# The router under `snapnet run` (mode managed: BIRD is the daemon's
# child), GoBGP or a plain BIRD as the peer, v4 / v6 / dual:
#   - a BIRD left running by a one-shot `apply` is stopped and replaced
#     by the daemon's own child (the daemon adopts nothing);
#   - a Service removed from the snapshot leaves the peer's RIB within
#     2 s of the rename; an eTP=Local Service whose endpoint moves from
#     node-a to node-b moves in the peer's RIB within 2 s too;
#   - BIRD killed with SIGKILL is restarted (after its backoff) and the
#     peer has every route again, fresh (GoBGP: no stale path left);
#   - SIGTERM to the daemon stops its BIRD with graceful restart: the
#     peer keeps the routes, marked stale, until a new daemon's BIRD
#     announces them again.
# Times are polled, never slept; the figures are printed.

load ../lib/helpers
load lib/router

test_cleanup() {
	rt_teardown
}

# GoBGP marks paths kept by graceful restart stale; the BIRD peer's
# sessions are only Established again once the new BIRD is there.
no_stale() {
	if [[ $RT_PEER != gobgp ]]; then
		bgp_bird_established "$RT_TOR_DIR"
		return
	fi
	[ "$(rt_tor_stale ipv4)" = 0 ] && [ "$(rt_tor_stale ipv6)" = 0 ]
}

rib_fresh() { _rt_rib_is && no_stale; }

# The peer's RIB as expected within 2 s of the snapshot's rename.
within_2s() { # WHAT
	local ms
	cl_wait 2000 _rt_rib_is || { rt_wait_rib 0; false; }
	ms=$(($(cl_ms) - RT_PUBLISHED))
	echo "# $1 $ms ms after the rename" >&3
	((ms <= 2000))
}

has_stale() { (($(rt_tor_stale "ipv$(rt_session_fam)") > 0)); }

bird_replaced() { # NODE OLD_PID
	local pid
	pid=$(rt_bird_pid "$1")
	[[ -n $pid && $pid != "$2" ]] && kill -0 "$pid" 2>/dev/null &&
		rt_birdc "$1" show status >/dev/null 2>&1
}

daemon() { # VARIANT PEER
	local pid t0 n
	rt_init "$1" "$2"
	# three Services: one withdrawn is under the delete guard's 50%
	rt_svc 10 web
	rt_svc 11 moving Local node-a
	rt_svc 12 stays
	rt_publish
	rt_tor_start
	cl_snapnet node-a apply # a detached BIRD the daemon must replace
	pid=$(rt_bird_pid node-a)
	[ -n "$pid" ]
	for n in "${CL_NODES[@]}"; do
		cl_start_ready "$n"
	done
	cl_wait 5000 bird_replaced node-a "$pid"
	cl_wait_status node-a '.functions.router.bird.child == true' 5000
	rt_tor_established 20
	rt_wait_rib 20

	# a Service removed: withdrawn within 2 s of the rename
	rt_svc_del web
	rt_publish
	within_2s "Service withdrawn from the peer"

	# the eTP=Local Service's endpoint moves to node-b
	rt_svc 11 moving Local node-b
	rt_publish
	within_2s "eTP=Local Service moved from node-a to node-b"

	# BIRD killed: restarted, the peer has the routes again, fresh
	pid=$(rt_bird_pid node-a)
	kill -KILL "$pid"
	t0=$(cl_ms)
	cl_wait 10000 bird_replaced node-a "$pid"
	echo "# BIRD restarted $(($(cl_ms) - t0)) ms after SIGKILL" >&3
	cl_wait 30000 rib_fresh || { rt_wait_rib 0; false; }
	echo "# the peer's RIB fresh again $(($(cl_ms) - t0)) ms after SIGKILL" >&3
	kill -USR1 "$(cl_daemon_pid node-a)"
	cl_wait_status node-a '.functions.router.bird.restarts == 1 and
		.functions.router.bird.running' 3000

	# SIGTERM: the daemon stops its BIRD, gracefully
	pid=$(rt_bird_pid node-a)
	cl_stop node-a
	! kill -0 "$pid" 2>/dev/null
	if [[ $RT_PEER == gobgp ]]; then
		cl_wait 5000 has_stale
		_rt_rib_is # every route still there, node-a's stale
	fi
	cl_start_ready node-a
	cl_wait 30000 rib_fresh || { rt_wait_rib 0; false; }
}

@test "v4: daemon with GoBGP: withdraw in 2 s, eTP=Local moves, BIRD restarted after SIGKILL" {
	daemon v4 gobgp
}

@test "v6: daemon with GoBGP: withdraw in 2 s, eTP=Local moves, BIRD restarted after SIGKILL" {
	daemon v6 gobgp
}

@test "dual: daemon with GoBGP: withdraw in 2 s, eTP=Local moves, BIRD restarted after SIGKILL" {
	daemon dual gobgp
}

@test "v4: daemon with a BIRD peer: withdraw in 2 s, eTP=Local moves, BIRD restarted after SIGKILL" {
	daemon v4 bird
}

@test "v6: daemon with a BIRD peer: withdraw in 2 s, eTP=Local moves, BIRD restarted after SIGKILL" {
	daemon v6 bird
}

@test "dual: daemon with a BIRD peer: withdraw in 2 s, eTP=Local moves, BIRD restarted after SIGKILL" {
	daemon dual bird
}
