# shellcheck shell=bash
# shellcheck disable=SC2034 # RT_* variables are read by the callers
#
# router.bash - the router tests' topology: cluster.bash's nodes, plus a
# top-of-rack namespace PREFIXtor on the same hub (10.0.0.254 and/or
# fd00:10::254) running GoBGP or a plain BIRD as the peer (bgp.bash),
# plus Services in the snapshot and a [router] + [peer "tor"] section in
# every node's agent.ini.
#
#   rt_init VARIANT gobgp|bird [N]   cluster of N nodes (2) + tor namespace
#   rt_config NODE [key=value ...]   [router] (short timers) + [peer "tor"]
#   rt_tor_start                     the peer, one session per node
#   rt_svc K NAME [Local NODE|Cluster]   a LoadBalancer Service, VIPs
#                                    of index K; Local: its endpoint on NODE
#   rt_svc_del NAME / rt_publish     edit the Services, write the snapshot
#   rt_expected FAM                  "PREFIX NEXTHOP" lines the ToR must learn
#   rt_wait_rib SECONDS              the ToR's RIBs equal rt_expected, both
#                                    families (an absent family: empty)
#   rt_tor_established SECONDS
#   rt_tor_inject FAM PREFIX / rt_tor_routes FAM
#   rt_birdc NODE ARGS...            birdc on NODE's BIRD socket
#   rt_teardown                      the peer's daemons (cl_teardown the rest)
#
# The session per variant: v4 over IPv4 (ipv4), v6 over IPv6 (ipv6), dual
# one IPv6 session carrying ipv4+ipv6, each family with its own next hop:
# the seed's failure case. Nodes are AS 65001, the ToR AS 64512.
# Everything runs inside namespaces of the run; nothing else is touched.

# shellcheck source=tests/integration/router/lib/bgp.bash
source "$(dirname "${BASH_SOURCE[0]}")/bgp.bash"

RT_ASN=65001
RT_TOR_ASN=64512
RT_SVCS=()
declare -gA RT_ANNOT=() # NODE -> JSON object of extra Node annotations

rt_init() { # VARIANT gobgp|bird [N]
	local i
	RT_PEER=$2
	cl_init "$1"
	cl_underlay "${3:-2}"
	bgp_require
	RT_TOR=$(cl_ns tor)
	RT_TOR_DIR=$CL_DIR/tor
	mkdir -p "$RT_TOR_DIR"
	ip netns add "$RT_TOR"
	ip -n "$RT_TOR" link set lo up
	ip -n "$CL_HUB" link add ve-tor type veth peer name eth0 netns "$RT_TOR"
	ip -n "$CL_HUB" link set ve-tor master br0 up
	cl_has_family 4 && ip -n "$RT_TOR" addr add 10.0.0.254/24 dev eth0
	cl_has_family 6 &&
		ip -n "$RT_TOR" addr add fd00:10::254/64 dev eth0 nodad
	ip -n "$RT_TOR" link set eth0 up
	RT_SVCS=()
	RT_ANNOT=()
	RT_TOR_EXTRA=()
	RT_TOR_SPEC=()
	for i in "${CL_NODES[@]}"; do rt_config "$i"; done
	rt_publish
}

# The session's family and the families it carries, per variant.
rt_session_fam() { [[ $CL_VARIANT == v4 ]] && echo 4 || echo 6; }
rt_afi() {
	case $CL_VARIANT in
	v4) echo ipv4 ;;
	v6) echo ipv6 ;;
	dual) echo ipv4+ipv6 ;;
	esac
}
rt_tor_addr() { [[ $1 == 4 ]] && echo 10.0.0.254 || echo fd00:10::254; }

rt_bird_dir() { echo "$CL_DIR/$1/bird"; }
rt_sock() { echo "$(rt_bird_dir "$1")/bird.ctl"; }
rt_birdc() { # NODE ARGS...
	local node=$1
	shift
	ip netns exec "$(cl_ns "$node")" birdc -s "$(rt_sock "$node")" "$@"
}
rt_bird_pid() { cat "$(rt_bird_dir "$1")/bird.pid" 2>/dev/null; }

# rt_config NODE [router.key=value|peer.key=value|extra=TEXT ...]:
# cluster.bash's config, then [router] and [peer "tor"] appended
# ("peer.address=" drops the peer; extra= appends text, e.g. sections).
rt_config() {
	local node=$1 o s k d extra=""
	shift
	d=$(rt_bird_dir "$node")
	local -A kv=(
		[router.enabled]=yes
		[router.asn]=$RT_ASN
		[router.bird_config]=$d/bird.conf
		[router.bird_socket]=$d/bird.ctl
		[router.bird_pidfile]=$d/bird.pid
		[router.bird_log]=$d/bird.log
		[router.advertise_cluster_ip]=yes
		[router.advertise_external_ip]=yes
		[router.advertise_loadbalancer_ip]=yes
		[router.connect_delay]=1
		[router.connect_retry]=1
		[router.error_wait]=1
		[peer.address]=$(rt_tor_addr "$(rt_session_fam)")
		[peer.asn]=$RT_TOR_ASN
	)
	[[ $CL_VARIANT == dual ]] && kv[peer.families]=ipv4,ipv6
	for o in "$@"; do
		if [[ $o == extra=* ]]; then
			extra+="${o#extra=}"$'\n'
		else
			kv[${o%%=*}]=${o#*=}
		fi
	done
	cl_write_config "$node"
	{
		for s in router peer; do
			if [[ $s == peer ]]; then
				[[ -n ${kv[peer.address]} ]] || continue
				echo '[peer "tor"]'
			else
				echo "[$s]"
			fi
			for k in $(printf '%s\n' "${!kv[@]}" | grep "^$s\." | sort); do
				[[ -z ${kv[$k]} ]] || echo "${k#*.} = ${kv[$k]}"
			done
		done
		printf '%s' "$extra"
	} >>"$(cl_ini "$node")"
}

# The peer in the tor namespace: one neighbor per node, with the
# neighbor keys of RT_TOR_EXTRA[NODE] (e.g. password=pw) added; or, for
# a node in RT_TOR_SPEC, the bgp.bash neighbor specs given there.
declare -gA RT_TOR_EXTRA=() RT_TOR_SPEC=()
rt_tor_start() {
	local n f specs=() extra
	f=$(rt_session_fam)
	for n in "${CL_NODES[@]}"; do
		extra=${RT_TOR_EXTRA[$n]:-}
		if [[ -n ${RT_TOR_SPEC[$n]:-} ]]; then
			read -r -a more <<<"${RT_TOR_SPEC[$n]}"
			specs+=("${more[@]}")
			continue
		fi
		specs+=("addr=$(cl_node_addr "$n" "$f"),as=$RT_ASN,afi=$(rt_afi),gr=90${extra:+,$extra}")
	done
	if [[ $RT_PEER == gobgp ]]; then
		bgp_gobgp_start "$RT_TOR" "$RT_TOR_DIR" $RT_TOR_ASN 10.0.0.254 \
			"${specs[@]}"
	else
		bgp_bird_start "$RT_TOR" "$RT_TOR_DIR" $RT_TOR_ASN 10.0.0.254 \
			"${specs[@]}"
	fi
}

rt_teardown() { bgp_teardown; }

rt_tor_established() { # SECONDS
	if [[ $RT_PEER == gobgp ]]; then
		bgp_gobgp_wait_established "$RT_TOR_DIR" "$1"
	else
		bgp_bird_wait_established "$RT_TOR_DIR" "$1"
	fi
}

# What the peer learnt from the nodes, "PREFIX NEXTHOP" sorted.
rt_tor_routes() { # ipv4|ipv6
	if [[ $RT_PEER == gobgp ]]; then
		bgp_gobgp_learnt "$RT_TOR_DIR" "$1"
	else
		bgp_bird_routes "$RT_TOR_DIR" "$1"
	fi
}

rt_tor_inject() { # ipv4|ipv6 PREFIX
	local nh
	if [[ $RT_PEER == gobgp ]]; then
		# an own-family next hop: the import filter, not the
		# next-hop check, must be what refuses it
		[[ $1 == ipv4 ]] && nh=10.0.0.254 || nh=fd00:10::254
		cl_has_family "${1#ipv}" || nh=
		bgp_gobgp_inject "$RT_TOR_DIR" "$1" "$2" $nh
	else
		bgp_bird_inject "$RT_TOR_DIR" "$1" "$2"
	fi
}

rt_tor_stale() { # ipv4|ipv6: stale paths (GoBGP only)
	bgp_gobgp_stale "$RT_TOR_DIR" "$1"
}

# --- Services ----------------------------------------------------------------

# rt_svc K NAME [POLICY [NODE]]: a LoadBalancer Service with a ClusterIP,
# an ExternalIP and a load-balancer IP per family of the variant, all of
# index K; POLICY Local announces it only from NODE (its one endpoint).
rt_svc() {
	rt_svc_del "$2"
	RT_SVCS+=("$1:$2:${3:-Cluster}:${4:-}")
}

rt_svc_del() {
	local s keep=()
	for s in "${RT_SVCS[@]}"; do
		[[ $(cut -d: -f2 <<<"$s") == "$1" ]] || keep+=("$s")
	done
	RT_SVCS=("${keep[@]}")
}

rt_vips() { # K FAM
	[[ $2 == 4 ]] && echo "10.96.0.$1/32 203.0.113.$1/32 198.51.100.$1/32" ||
		echo "fd00:96::$1/128 2001:db8:113::$1/128 2001:db8:100::$1/128"
}

_rt_join() { local IFS=,; echo "$*"; }

_rt_items() {
	local s k name pol ep f ips c e l fams a
	fams=$(_rt_join $(printf '"IPv%s" ' "${CL_FAMILIES[@]}"))
	for s in "${RT_SVCS[@]}"; do
		IFS=: read -r k name pol ep <<<"$s"
		c=() e=() l=()
		for f in "${CL_FAMILIES[@]}"; do
			read -r -a ips <<<"$(rt_vips "$k" "$f")"
			c+=("\"${ips[0]%/*}\"") e+=("\"${ips[1]%/*}\"")
			l+=("{\"ip\":\"${ips[2]%/*}\"}")
		done
		echo "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"default\"},\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":\"$pol\",\"ipFamilies\":[$fams],\"clusterIPs\":[$(_rt_join "${c[@]}")],\"externalIPs\":[$(_rt_join "${e[@]}")],\"ports\":[{\"port\":80}]},\"status\":{\"loadBalancer\":{\"ingress\":[$(_rt_join "${l[@]}")]}}}"
		[[ -n $ep ]] || continue
		for f in "${CL_FAMILIES[@]}"; do
			a=$(cl_pod_cidr "$ep" "$f")
			a=${a%/*}
			a=${a%0}9
			echo "{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":{\"name\":\"$name-$f\",\"namespace\":\"default\",\"labels\":{\"kubernetes.io/service-name\":\"$name\"}},\"addressType\":\"IPv$f\",\"endpoints\":[{\"addresses\":[\"$a\"],\"nodeName\":\"$ep\",\"conditions\":{\"ready\":true}}]}"
		done
	done
}

# The snapshot of every node: the nodes, the Services, their slices.
# Generated first, then renamed into place node after node, so the time
# from the renames (RT_PUBLISHED, ms) is the agents' alone.
rt_publish() {
	local node items annot doc=$CL_DIR/snapshot.next
	rt_expect_now
	items=$(_rt_items | jq -s .) || return 1
	annot=$(for node in "${!RT_ANNOT[@]}"; do
		jq -nc --arg n "$node" --argjson a "${RT_ANNOT[$node]}" \
			'{($n): $a}'
	done | jq -s 'add // {}') || return 1
	cl_gen_snapshot "${CL_NODES[@]}" |
		jq --argjson more "$items" --argjson annot "$annot" '
			.items |= map(if .kind == "Node" and $annot[.metadata.name]
			    then .metadata.annotations = $annot[.metadata.name]
			    else . end) | .items += $more' >"$doc" || return 1
	RT_PUBLISHED=$(cl_ms)
	for node in "${CL_NODES[@]}"; do
		cl_write_snapshot_raw "$(cl_snapshot_path "$node")" <"$doc" ||
			return 1
	done
}

# rt_expected FAM: every node's pod CIDR and every VIP it announces,
# with that node's own next hop of FAM; nothing for a family the
# variant lacks.
rt_expected() { # 4|6
	local f=$1 n s k name pol ep v
	cl_has_family "$f" || return 0
	for n in "${CL_NODES[@]}"; do
		echo "$(cl_pod_cidr "$n" "$f") $(cl_node_addr "$n" "$f")"
		for s in "${RT_SVCS[@]}"; do
			IFS=: read -r k name pol ep <<<"$s"
			[[ $pol == Local && $ep != "$n" ]] && continue
			for v in $(rt_vips "$k" "$f"); do
				echo "$v $(cl_node_addr "$n" "$f")"
			done
		done
	done | LC_ALL=C sort
}

# The expectations, computed once (rt_expected forks a lot): polling
# must be cheap, or the poll and not the agent sets the times measured.
rt_expect_now() {
	RT_WANT4=$(rt_expected 4)
	RT_WANT6=$(rt_expected 6)
}

_rt_rib_is() {
	[[ $(rt_tor_routes ipv4) == "$RT_WANT4" ]] &&
		[[ $(rt_tor_routes ipv6) == "$RT_WANT6" ]]
}

# Polls until the ToR's RIBs are exactly rt_expected; the ms in CL_WAITED.
rt_wait_rib() { # SECONDS
	local f
	rt_expect_now
	cl_wait $(($1 * 1000)) _rt_rib_is && return 0
	for f in 4 6; do
		echo "--- IPv$f want"
		rt_expected "$f"
		echo "--- IPv$f have"
		rt_tor_routes "ipv$f"
	done >&2
	cl_err "the ToR's RIB differs after $1 s"
}

# The router part of NODE's status file.
rt_status() { cl_status "$1" | jq -c '.functions.router'; }
