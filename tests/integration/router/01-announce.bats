#!/usr/bin/env bats
#
# The router against an independent BGP implementation: GoBGP 3.10 (and,
# as a second variant, a plain BIRD 2) in a top-of-rack namespace on the
# nodes' hub, one session per node (v4: IPv4, v6: IPv6, dual: one IPv6
# session carrying both families). `snapnet apply` (mode managed: BIRD
# started detached) on both nodes, then, with the seed's own commands:
#   - every session is Established (`gobgp neighbor`);
#   - `gobgp -a ipv4|ipv6 global rib` holds each node's pod CIDR and each
#     Service VIP (ClusterIP, ExternalIP, LoadBalancer IP) it announces,
#     with that node's own next hop of the family; an eTP=Local Service
#     only from the node of its endpoint; a family the variant lacks
#     stays empty and nothing errors (the plain `gobgp -a ipv4|ipv6 global
#     rib` never says "invalid nexthop", BIRD never logs a missing or
#     invalid next hop);
#   - status.json shows the peer Established and per family the count
#     announced, as BIRD reports it; the rendered file is mode 0600;
#   - a second apply plans nothing and BIRD is not reconfigured (its
#     `show status` "Last reconfiguration" stays the same);
#   - a default route and a foreign prefix offered by the peer arrive
#     (BIRD counts them) and are not accepted;
#   - cleanup stops BIRD and the peer drops that node's routes.

load ../lib/helpers
load lib/router

test_cleanup() {
	rt_teardown
}

# "received accepted" of the Import updates of NODE's channel FAM.
imports() { # NODE ipv4|ipv6
	rt_birdc "$1" show protocols all snapnet_peer_tor | awk -v ch="$2" '
		$1 == "Channel" { cur = $2 }
		cur == ch && $1 == "Import" && $2 == "updates:" {
			print $3, $7; exit }'
}

peer_saw_offers() { # NODE
	local f got
	for f in "${CL_FAMILIES[@]}"; do
		read -r got _ <<<"$(imports "$1" "ipv$f")"
		((${got:-0} >= 2)) || return 1
	done
}

announce() { # VARIANT PEER
	local n f before after st out
	rt_init "$1" "$2"
	rt_svc 10 web
	rt_svc 11 only-a Local node-a
	rt_publish
	rt_tor_start
	for n in "${CL_NODES[@]}"; do
		cl_snapnet "$n" apply
	done
	rt_tor_established 20
	rt_wait_rib 20
	echo "# RIB complete ${CL_WAITED} ms after the sessions" >&3

	# the seed's own commands, in plain form: no family errors, and
	# BIRD never had a channel without its own family's next hop
	if [[ $RT_PEER == gobgp ]]; then
		for f in ipv4 ipv6; do
			out=$(bgp_gobgp "$RT_TOR_DIR" -a "$f" global rib 2>&1)
			echo "gobgp -a $f global rib: $out"
			[[ $out != *"invalid nexthop"* && $out != *"<nil>"* ]]
		done
	fi
	! grep -iE "next hop|NEXT_HOP" "$CL_DIR"/node-*/bird/bird.log

	# status: the peer Established, per family what BIRD announces
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"router: 0 planned, 0 done, 0 failed, 0 reported"* ]]
	st=$(rt_status node-a)
	echo "$st"
	jq -e '.error == "" and .bird.running and .peers[0].established and
		.peers[0].name == "tor"' <<<"$st"
	for f in 4 6; do
		n=$(rt_expected "$f" | grep -c " $(cl_node_addr node-a "$f")$" || true)
		jq -e --arg f "ipv$f" --argjson n "$n" '
			.prefixes[$f].wanted == $n and .prefixes[$f].in_bird == $n
			and (.peers[0].families[$f].announced // 0) == $n' <<<"$st"
	done
	[ "$(stat -c %a "$(rt_bird_dir node-a)/bird.conf")" = 600 ]

	# a second apply: nothing to do, BIRD not reconfigured
	before=$(rt_birdc node-a show status | grep 'Last reconfiguration')
	run cl_snapnet node-a apply
	[[ $output == *"router: 0 planned"* ]]
	run cl_snapnet node-a plan
	echo "plan: $output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	after=$(rt_birdc node-a show status | grep 'Last reconfiguration')
	echo "BIRD before the second apply: [$before]; after: [$after]"
	if [ "$before" != "$after" ]; then
		rt_birdc node-a show status
		tail -n 30 "$(rt_bird_dir node-a)"/*.log 2>/dev/null
		false
	fi

	# the peer offers a default route and a foreign prefix of each family
	for f in "${CL_FAMILIES[@]}"; do
		if [[ $f == 4 ]]; then
			rt_tor_inject ipv4 0.0.0.0/0
			rt_tor_inject ipv4 192.0.2.0/24
		else
			rt_tor_inject ipv6 ::/0
			rt_tor_inject ipv6 2001:db8:ffff::/48
		fi
	done
	cl_wait 10000 peer_saw_offers node-a
	for f in "${CL_FAMILIES[@]}"; do
		echo "ipv$f imports (received accepted): $(imports node-a "ipv$f")"
		[ "$(imports node-a "ipv$f" | cut -d' ' -f2)" = 0 ]
	done
	[ -z "$(rt_birdc node-a show route where source = RTS_BGP |
		grep -E '^[0-9a-f:.]+/[0-9]+')" ]
	[ -z "$(ip -n "$(cl_ns node-a)" route show default)" ]
	[ -z "$(ip -n "$(cl_ns node-a)" -6 route show default)" ]
	rt_wait_rib 5 # the nodes' own announcements are untouched

	# cleanup stops BIRD: the peer drops node-a's routes at once
	cl_snapnet node-a cleanup
	[ ! -e "$(rt_bird_dir node-a)/bird.conf" ]
	[ ! -e "$(rt_bird_dir node-a)/bird.ctl" ]
	CL_NODES=(node-b)
	rt_wait_rib 10
}

@test "v4: GoBGP learns pod CIDRs and VIPs with own next hops; idempotent; imports nothing" {
	announce v4 gobgp
}

@test "v6: GoBGP learns pod CIDRs and VIPs with own next hops; idempotent; imports nothing" {
	announce v6 gobgp
}

@test "dual: GoBGP learns pod CIDRs and VIPs with own next hops; idempotent; imports nothing" {
	announce dual gobgp
}

@test "v4: a BIRD peer learns pod CIDRs and VIPs with own next hops; idempotent; imports nothing" {
	announce v4 bird
}

@test "v6: a BIRD peer learns pod CIDRs and VIPs with own next hops; idempotent; imports nothing" {
	announce v6 bird
}

@test "dual: a BIRD peer learns pod CIDRs and VIPs with own next hops; idempotent; imports nothing" {
	announce dual bird
}
