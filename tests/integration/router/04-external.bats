#!/usr/bin/env bats
#
# Mode external: node-a runs a BIRD of its own (started by the test, its
# main config `include`s snapnet's file); snapnet only writes the file
# and sends `configure` over that BIRD's socket. With GoBGP or a BIRD as
# the peer, v4 / v6 / dual:
#   - before that BIRD runs, `apply` writes the file and fails, saying no
#     BIRD answers; once it runs, the peer learns everything;
#   - a Service added: one configure, the peer learns its VIPs;
#   - a BIRD error (the operator's config now defines snapnet_export
#     too) reaches snapnet's output and status; nothing is configured,
#     the file on disk keeps the old text, the peer keeps the old routes;
#     fixed, the next apply configures;
#   - cleanup empties the file and configures: the operator's BIRD runs
#     on, without snapnet's protocols, and the peer drops node-a's routes.

load ../lib/helpers
load lib/router

test_cleanup() {
	rt_teardown
}

main_conf() { # EXTRA
	local d
	d=$(rt_bird_dir node-a)
	cat <<EOF
# the operator's BIRD of node-a
router id 192.0.2.1;
log stderr all;
protocol device { }
include "$d/snapnet.conf";
$1
EOF
}

own_birdc() {
	ip netns exec "$(cl_ns node-a)" birdc -s "$(rt_bird_dir node-a)/own.ctl" "$@"
}

# What the peer learnt from node-a, both families.
node_a_routes() {
	local f
	for f in 4 6; do
		rt_tor_routes "ipv$f" | grep -E " (10\.0\.0\.1|fd00:10::1)$" || true
	done
}

external() { # VARIANT PEER
	local d out st before
	rt_init "$1" "$2"
	d=$(rt_bird_dir node-a)
	mkdir -p "$d"
	rt_config node-a router.bird=external \
		router.bird_config="$d/snapnet.conf" \
		router.bird_socket="$d/own.ctl"
	rt_svc 10 web
	rt_publish
	rt_tor_start
	cl_snapnet node-b apply

	# no BIRD yet: the file is written, the apply fails and says why
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"no BIRD answers: $d/own.ctl: connect"* ]]
	[ -s "$d/snapnet.conf" ]
	main_conf "" >"$d/main.conf"
	_bgp_start_daemon bird "$d/own.pid" "$d/own.log" "$(cl_ns node-a)" \
		bird -f -c "$d/main.conf" -s "$d/own.ctl"
	cl_wait 5000 own_birdc show status
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 0 ]
	rt_tor_established 20
	rt_wait_rib 20

	# a new Service: one configure, the peer learns it
	rt_svc 11 more
	rt_publish
	run cl_snapnet node-b apply
	run cl_snapnet node-a plan
	echo "$output"
	[[ $output == *"bird configure $d/snapnet.conf"* ]]
	cl_snapnet node-a apply
	rt_wait_rib 10

	# the operator's config breaks ours: BIRD's own message, nothing
	# configured, the old file back in place
	main_conf 'filter snapnet_export { accept; }' >"$d/main.conf"
	cp "$d/snapnet.conf" "$CL_DIR/snapnet.conf.before"
	before=$(node_a_routes)
	rt_svc_del more
	rt_publish
	cl_snapnet node-b apply
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"bird configure $d/snapnet.conf: BIRD: "*"main.conf"* ]] ||
		[[ $output == *"bird configure $d/snapnet.conf: BIRD: "*"snapnet.conf"* ]]
	st=$(rt_status node-a)
	echo "$st"
	jq -e '.error | test("BIRD: 8002")' <<<"$st"
	cmp "$d/snapnet.conf" "$CL_DIR/snapnet.conf.before"
	[ "$(node_a_routes)" = "$before" ] # the peer keeps node-a's old ones

	# fixed: the next apply configures
	main_conf "" >"$d/main.conf"
	cl_snapnet node-a apply
	rt_wait_rib 10

	# cleanup: an empty file, configured; the operator's BIRD runs on
	cl_snapnet node-a cleanup
	grep -q '^# snapnet: cleaned up' "$d/snapnet.conf"
	out=$(own_birdc show protocols)
	echo "$out"
	[[ $out != *snapnet* ]]
	CL_NODES=(node-b)
	rt_wait_rib 10
}

@test "v4: external BIRD: include, configure, BIRD's errors in status, cleanup (GoBGP)" {
	external v4 gobgp
}

@test "v6: external BIRD: include, configure, BIRD's errors in status, cleanup (GoBGP)" {
	external v6 gobgp
}

@test "dual: external BIRD: include, configure, BIRD's errors in status, cleanup (GoBGP)" {
	external dual gobgp
}

@test "v4: external BIRD: include, configure, BIRD's errors in status, cleanup (BIRD peer)" {
	external v4 bird
}

@test "v6: external BIRD: include, configure, BIRD's errors in status, cleanup (BIRD peer)" {
	external v6 bird
}

@test "dual: external BIRD: include, configure, BIRD's errors in status, cleanup (BIRD peer)" {
	external dual bird
}
