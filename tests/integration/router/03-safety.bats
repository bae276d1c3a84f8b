#!/usr/bin/env bats
#
# Safety rules of the router, with GoBGP or a plain BIRD as the peer:
#   - TCP MD5 (RFC 2385) from the config (node-a's [peer "tor"]) and from
#     a Node's kube-router.io/peer.passwords annotation (node-b, base64);
#     a wrong password keeps the session down (negative control), the
#     right one brings it back;
#   - the rendered file that holds them is mode 0600, and no password
#     (in clear or base64) appears in plan output, status.json or logs;
#   - peers with bad definitions (bad address, unknown family, a bad
#     annotation entry) are reported and skipped while the good ones
#     keep working;
#   - the router id: the IPv4 InternalIP, or on IPv6-only nodes a hash of
#     the node name, and BIRD runs with it.

load ../lib/helpers
load lib/router

test_cleanup() {
	rt_teardown
}

PW_A=md5-config-a
PW_B=md5-annot-b

established() { # NODE
	rt_birdc "$1" show protocols "$2" | grep -q Established
}

not_established() { ! established "$@"; }

no_secret_in() { # FILE|TEXT...
	local s
	for s in "$PW_A" "$PW_B" "$(printf %s "$PW_B" | base64)" wrong-pw; do
		if grep -rqF -- "$s" "$@" 2>/dev/null; then
			grep -rnF -- "$s" "$@" >&2
			cl_err "password $s found in $*"
			return 1
		fi
	done
}

safety() { # VARIANT PEER
	local n f a st ips asns pws specs
	rt_init "$1" "$2"
	RT_TOR_EXTRA[node-a]=password=$PW_A
	RT_TOR_EXTRA[node-b]=password=$PW_B
	rt_config node-a peer.password=$PW_A extra='[peer "bad"]
address = 10.0.0.300
asn = 64512
[peer "typo"]
address = 10.0.0.200
asn = 64512
families = ipv5'
	# node-b: per-node peers of its annotations, a session per family
	# (an annotation peer carries its address's family), one bad entry
	rt_config node-b peer.address=
	ips="" asns="" pws="" specs=""
	for f in "${CL_FAMILIES[@]}"; do
		ips+="$(rt_tor_addr "$f"),"
		asns+="$RT_TOR_ASN,"
		pws+="$(printf %s "$PW_B" | base64),"
		specs+="addr=$(cl_node_addr node-b "$f"),as=$RT_ASN,afi=ipv$f,gr=90,password=$PW_B "
	done
	RT_TOR_SPEC[node-b]=$specs
	RT_ANNOT[node-b]=$(jq -nc --arg ips "${ips}10.0.0.300" \
		--arg asns "${asns}64512" --arg pw "$pws" '{
		"kube-router.io/peer.ips": $ips,
		"kube-router.io/peer.asns": $asns,
		"kube-router.io/peer.passwords": $pw }')
	rt_svc 10 web
	rt_publish
	rt_tor_start
	for n in "${CL_NODES[@]}"; do
		cl_snapnet "$n" apply >"$CL_DIR/$n/apply.log" 2>&1
	done
	rt_tor_established 20
	rt_wait_rib 20

	# the bad peers are reported, the good one works
	run cl_snapnet node-a plan
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"# bgp peer bad (address is not an IP address; skipped)"* ]]
	[[ $output == *"# bgp peer typo (families: expected"* ]]
	run cl_snapnet node-b plan
	echo "$output"
	[[ $output == *"kube-router.io/peer.ips of node node-b entry ${#CL_FAMILIES[@]}"* ]] ||
		[[ $output == *"kube-router.io/peer.ips of node node-b entry $((${#CL_FAMILIES[@]} + 1))"* ]]
	cl_snapnet node-b apply >>"$CL_DIR/node-b/apply.log" 2>&1 # a fresh status
	st=$(rt_status node-b)
	jq -e --argjson n "${#CL_FAMILIES[@]}" '.peers | length == $n and
		all(.established and .source == "node annotations" and
		    .password == "set")' <<<"$st"

	# the router id: IPv4 InternalIP, else the hash of the node name
	a=$(rt_birdc node-a show status | awk '/Router ID/ { print $NF }')
	st=$(rt_status node-a)
	[ "$(jq -r .router_id <<<"$st")" = "$a" ]
	if cl_has_family 4; then
		[ "$a" = 10.0.0.1 ]
	else
		[ "$(jq -r .router_id_source <<<"$st")" = "hash of the node name" ]
	fi

	# the file holding the passwords: 0600; nowhere else in clear
	for n in "${CL_NODES[@]}"; do
		[ "$(stat -c %a "$(rt_bird_dir "$n")/bird.conf")" = 600 ]
		cl_snapnet "$n" plan --offline >"$CL_DIR/$n/plan.out" 2>&1 || true
		cl_snapnet "$n" status >"$CL_DIR/$n/status.out"
	done
	grep -qF "password \"$PW_A\"" "$(rt_bird_dir node-a)/bird.conf"
	no_secret_in "$CL_DIR"/node-*/state "$CL_DIR"/node-*/*.log \
		"$CL_DIR"/node-*/*.out "$CL_DIR"/node-*/bird/bird.log

	# negative control: a wrong password, the session goes down
	rt_config node-a peer.password=wrong-pw
	cl_snapnet node-a apply
	cl_wait 15000 not_established node-a snapnet_peer_tor
	rt_config node-a peer.password=$PW_A
	cl_snapnet node-a apply >>"$CL_DIR/node-a/apply.log" 2>&1
	cl_wait 20000 established node-a snapnet_peer_tor
	rt_wait_rib 20
	no_secret_in "$CL_DIR"/node-*/*.log "$CL_DIR"/node-*/state
}

@test "v4: MD5 from config and annotations, file 0600, no password shown, bad peers skipped (GoBGP)" {
	safety v4 gobgp
}

@test "v6: MD5 from config and annotations, file 0600, no password shown, bad peers skipped (GoBGP)" {
	safety v6 gobgp
}

@test "dual: MD5 from config and annotations, file 0600, no password shown, bad peers skipped (GoBGP)" {
	safety dual gobgp
}

@test "v4: MD5 from config and annotations, file 0600, no password shown, bad peers skipped (BIRD peer)" {
	safety v4 bird
}

@test "v6: MD5 from config and annotations, file 0600, no password shown, bad peers skipped (BIRD peer)" {
	safety v6 bird
}

@test "dual: MD5 from config and annotations, file 0600, no password shown, bad peers skipped (BIRD peer)" {
	safety dual bird
}
