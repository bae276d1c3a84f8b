#!/usr/bin/env bats
#
# Multihop and BFD, with GoBGP or a plain BIRD as the peer, v4 / v6 / dual:
#   - node-a peers with the top of rack's loopback address (10.255.0.254,
#     fd00:255::254: not on a connected subnet, reached by a static route)
#     with `multihop = 2`; the peer still learns every prefix with node-a's
#     own next hop of each family (BIRD's automatic choice would have been
#     127.0.0.1 for the other family of a multihop session);
#   - node-b peers directly with `bfd = yes`: against the BIRD peer the BFD
#     session is Up on both sides, and when the link is blackholed
#     (iptables DROP in the tor namespace) BFD takes the BGP session down
#     in well under the 90 s hold time; GoBGP 3.10 has no BFD, and the BGP
#     session comes up and stays up regardless.

load ../lib/helpers
load lib/router

test_cleanup() {
	rt_teardown
}

tor_lo() { [[ $1 == 4 ]] && echo 10.255.0.254 || echo fd00:255::254; }

node_bgp_up() { # NODE PROTOCOL
	rt_birdc "$1" show protocols "$2" | grep -q Established
}

node_bgp_down() { ! node_bgp_up "$@"; }

bfd_up() { # NODE
	rt_birdc "$1" show bfd sessions | grep -qw Up &&
		bgp_birdc "$RT_TOR_DIR" show bfd sessions | grep -qw Up
}

multihop_bfd() { # VARIANT PEER
	local f s ms t0 drop out ipt
	rt_init "$1" "$2"
	s=$(rt_session_fam)
	for f in "${CL_FAMILIES[@]}"; do
		ip -n "$RT_TOR" addr add "$(tor_lo "$f")" dev lo
		ip -n "$(cl_ns node-a)" route add "$(tor_lo "$f")" \
			via "$(rt_tor_addr "$f")"
	done
	rt_config node-a peer.address="$(tor_lo "$s")" peer.multihop=2
	rt_config node-b peer.bfd=yes router.bfd_interval=100 \
		router.bfd_multiplier=3
	RT_TOR_SPEC[node-a]="addr=$(cl_node_addr node-a "$s"),as=$RT_ASN,afi=$(rt_afi),local=$(tor_lo "$s"),multihop=2"
	if [[ $RT_PEER == bird ]]; then
		RT_TOR_SPEC[node-b]="addr=$(cl_node_addr node-b "$s"),as=$RT_ASN,afi=$(rt_afi),bfd=yes"
	fi
	rt_svc 10 web
	rt_publish
	rt_tor_start
	cl_snapnet node-a apply
	cl_snapnet node-b apply
	rt_tor_established 20
	rt_wait_rib 20
	grep -q 'multihop 2;' "$(rt_bird_dir node-a)/bird.conf"

	if [[ $RT_PEER == gobgp ]]; then
		# no BFD in GoBGP: BGP is up all the same, and stays up
		node_bgp_up node-b snapnet_peer_tor
		return
	fi
	cl_wait 10000 bfd_up node-b
	rt_birdc node-b show bfd sessions
	# blackhole node-b's link at the peer: BFD, not the hold time
	drop=$(cl_node_addr node-b "$s")
	t0=$(cl_ms)
	# both ways, so the peer cannot say Cease: node-b's BFD must notice
	ipt=iptables
	[[ $s == 4 ]] || ipt=ip6tables
	ip netns exec "$RT_TOR" $ipt -I INPUT -s "$drop" -j DROP
	ip netns exec "$RT_TOR" $ipt -I OUTPUT -d "$drop" -j DROP
	cl_wait 5000 node_bgp_down node-b snapnet_peer_tor
	ms=$(($(cl_ms) - t0))
	echo "# node-b's session down ${ms} ms after the link was blackholed" >&3
	out=$(rt_birdc node-b show protocols all snapnet_peer_tor)
	echo "$out"
	[[ $out == *"BFD session down"* ]]
	((ms < 5000))
}

@test "v4: multihop to the ToR's loopback with own next hops; BFD (GoBGP: none)" {
	multihop_bfd v4 gobgp
}

@test "v6: multihop to the ToR's loopback with own next hops; BFD (GoBGP: none)" {
	multihop_bfd v6 gobgp
}

@test "dual: multihop to the ToR's loopback with own next hops; BFD (GoBGP: none)" {
	multihop_bfd dual gobgp
}

@test "v4: multihop to the ToR's loopback with own next hops; BFD takes a dead link down (BIRD peer)" {
	multihop_bfd v4 bird
}

@test "v6: multihop to the ToR's loopback with own next hops; BFD takes a dead link down (BIRD peer)" {
	multihop_bfd v6 bird
}

@test "dual: multihop to the ToR's loopback with own next hops; BFD takes a dead link down (BIRD peer)" {
	multihop_bfd dual bird
}
