# shellcheck shell=bash
#
# bgp.bash - the top-of-rack side of the router tests: a GoBGP 3.10 (or a
# plain BIRD 2) BGP speaker in a network namespace the test already made,
# peering with the node's BIRD, plus queries of what it learnt.
#
# Source it, then:
#
#   bgp_require                         fail unless root + every tool
#   bgp_gobgp_start NS DIR ASN RID NEIGHBOR...
#   bgp_gobgp_stop DIR                  (bgp_teardown stops everything)
#   bgp_gobgp DIR ARGS...               the gobgp CLI on that daemon
#   bgp_gobgp_wait_established DIR [SECONDS]
#   bgp_gobgp_routes DIR ipv4|ipv6      "PREFIX NEXTHOP" lines, sorted
#   bgp_gobgp_learnt DIR ipv4|ipv6      the same, only paths from neighbors
#   bgp_gobgp_wait_routes DIR ipv4|ipv6 SECONDS ["PREFIX NEXTHOP"...]
#   bgp_gobgp_wait_learnt DIR ipv4|ipv6 SECONDS ["PREFIX NEXTHOP"...]
#   bgp_gobgp_stale DIR ipv4|ipv6       count of stale (graceful restart) paths
#   bgp_gobgp_inject DIR ipv4|ipv6 PREFIX [NEXTHOP]   announce towards peers
#   bgp_gobgp_withdraw DIR ipv4|ipv6 PREFIX
#   bgp_gobgp_adj_out DIR ADDR ipv4|ipv6   what GoBGP sends that neighbor
#
#   bgp_bird_start NS DIR ASN RID NEIGHBOR...   the same roles, BIRD 2
#   bgp_bird_stop DIR / bgp_birdc DIR ARGS... / bgp_bird_wait_established
#   bgp_bird_routes / bgp_bird_wait_routes / bgp_bird_inject / bgp_bird_withdraw
#
#   bgp_teardown                        stop every daemon started here
#   bgp_wait SECONDS CMD...             retry CMD every 0.1 s until it succeeds
#
# NEIGHBOR is comma-separated key=value words; addr, as and afi are
# required and nothing is implied: a neighbor gets exactly the address
# families named, so a test that asks for ipv6 never sees ipv4 negotiated.
#
#   addr=IP          neighbor address (required)
#   as=ASN           peer AS (required)
#   afi=ipv4|ipv6|ipv4+ipv6   unicast families (required)
#   local=IP         our source address for the session
#   password=PW      TCP MD5 signature (RFC 2385); no blanks, commas, quotes
#   multihop=TTL     eBGP multihop
#   hold=SECONDS     hold time (keepalive a third of it)
#   gr=SECONDS       graceful restart, helper and restarting, this restart time
#   passive=yes      never connect, only accept
#   bfd=yes          BIRD only: BFD on this session (GoBGP 3.10 has no BFD)
#   nh4=IP nh6=IP    BIRD only: "next hop address" of that channel
#
# Unknown keys, repeated keys and bad values are errors. GoBGP gets a
# connect-retry of 5 s (its default is 120 s; it clamps anything lower to
# 5 s), the BIRD peer connect delay and retry of 1 s, so a session comes up
# a few seconds after both ends run.
#
# Every daemon keeps its files in DIR (one DIR per daemon): gobgpd.toml,
# gobgpd.sock (the gRPC API on a unix socket: nothing listens on TCP but
# BGP itself), gobgpd.log, gobgpd.pid; bird.conf, bird.ctl, bird.log,
# bird.pid (ours; bird.pidfile is BIRD's own), inject4.conf, inject6.conf.
# Addresses are whatever the test put in its namespaces; these helpers
# never create or touch a namespace, and stop only the processes they
# started, by the pid they recorded.
#
# Functions return 1 with a message on stderr instead of exiting, so they
# work under bats and under set -e.

BGP_GOBGPD=${BGP_GOBGPD:-gobgpd}
BGP_GOBGP=${BGP_GOBGP:-gobgp}
BGP_BIRD=${BGP_BIRD:-bird}
BGP_BIRDC=${BGP_BIRDC:-birdc}
BGP_START_TIMEOUT=${BGP_START_TIMEOUT:-10}
BGP_PIDFILES=()

bgp_err() {
	echo "bgp: $*" >&2
	return 1
}

bgp_require() {
	local t
	[[ $(id -u) == 0 ]] || bgp_err "must run as root" || return 1
	for t in ip jq "$BGP_GOBGPD" "$BGP_GOBGP" "$BGP_BIRD" "$BGP_BIRDC"; do
		command -v "$t" >/dev/null ||
			bgp_err "required tool '$t' not found" \
				"(apt-get install gobgpd bird2 jq)" || return 1
	done
}

# bgp_wait SECONDS CMD...: CMD's status after it first succeeds, 1 on timeout.
bgp_wait() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}

# --- neighbor specs ----------------------------------------------------------

# _bgp_nb_parse SPEC KEYS: fills the global associative array BGP_NB.
_bgp_nb_parse() {
	local spec=$1 allowed=" $2 " word key val
	local -a words
	declare -gA BGP_NB=()
	IFS=, read -r -a words <<<"$spec"
	for word in "${words[@]}"; do
		[[ $word == *=* ]] ||
			bgp_err "neighbor '$spec': '$word' is not key=value" ||
			return 1
		key=${word%%=*}
		val=${word#*=}
		[[ $allowed == *" $key "* ]] ||
			bgp_err "neighbor '$spec': unknown key '$key'" || return 1
		[[ -z ${BGP_NB[$key]+x} ]] ||
			bgp_err "neighbor '$spec': '$key' given twice" || return 1
		[[ -n $val && $val != *[[:space:]\"\'\\]* ]] ||
			bgp_err "neighbor '$spec': bad value for '$key'" || return 1
		BGP_NB[$key]=$val
	done
	for key in addr as afi; do
		[[ -n ${BGP_NB[$key]:-} ]] ||
			bgp_err "neighbor '$spec': '$key=' is required" || return 1
	done
	case ${BGP_NB[afi]} in
	ipv4 | ipv6 | ipv4+ipv6) ;;
	*) bgp_err "neighbor '$spec': afi must be ipv4, ipv6 or ipv4+ipv6"
	   return 1 ;;
	esac
	_bgp_is_ip "${BGP_NB[addr]}" ||
		bgp_err "neighbor '$spec': bad address" || return 1
	for key in local nh4 nh6; do
		[[ -z ${BGP_NB[$key]:-} ]] || _bgp_is_ip "${BGP_NB[$key]}" ||
			bgp_err "neighbor '$spec': bad address in '$key'" ||
			return 1
	done
	for key in as multihop hold gr; do
		[[ -z ${BGP_NB[$key]:-} || ${BGP_NB[$key]} =~ ^[0-9]+$ ]] ||
			bgp_err "neighbor '$spec': '$key' must be a number" ||
			return 1
	done
	for key in passive bfd; do
		[[ -z ${BGP_NB[$key]:-} || ${BGP_NB[$key]} == yes ]] ||
			bgp_err "neighbor '$spec': '$key' takes only 'yes'" ||
			return 1
	done
}

_bgp_is_ip() {
	[[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || $1 =~ ^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$ ]]
}

_bgp_family() {
	case $1 in
	ipv4 | ipv6) return 0 ;;
	*) bgp_err "family must be ipv4 or ipv6, not '$1'" ;;
	esac
}

# _bgp_start_daemon NAME PIDFILE LOG NS CMD...: background CMD in NS.
# `ip netns exec` execs CMD, so $! is the daemon itself. fd 3 is closed:
# bats waits for whoever holds it.
_bgp_start_daemon() {
	local name=$1 pidfile=$2 log=$3 ns=$4 pid
	shift 4
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null 3>&- &
	pid=$!
	echo "$pid" >"$pidfile"
	BGP_PIDFILES+=("$pidfile")
	sleep 0.05
	kill -0 "$pid" 2>/dev/null || {
		tail -n 20 "$log" >&2
		bgp_err "$name exited at once (log above)"
		return 1
	}
}

# _bgp_stop_pidfile PIDFILE: TERM, then KILL after 5 s; only our own pid.
_bgp_stop_pidfile() {
	local pidfile=$1 pid i
	[[ -f $pidfile ]] || return 0
	pid=$(<"$pidfile")
	# every step may find the daemon gone already: never trip set -e
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		# reap it when it is our child (bats keeps one shell per test)
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

bgp_teardown() {
	local f
	for f in "${BGP_PIDFILES[@]}"; do
		_bgp_stop_pidfile "$f"
	done
	BGP_PIDFILES=()
}

# --- GoBGP -----------------------------------------------------------------

# bgp_gobgp_config ASN RID NEIGHBOR...: the gobgpd TOML on stdout.
bgp_gobgp_config() {
	local asn=$1 rid=$2 spec afi hold
	shift 2
	[[ $asn =~ ^[0-9]+$ ]] || bgp_err "bad local ASN '$asn'" || return 1
	[[ $rid =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] ||
		bgp_err "router id must be dotted quad, not '$rid'" || return 1
	(($# > 0)) || bgp_err "no neighbor given" || return 1
	for spec in "$@"; do	# all or nothing: check every spec first
		_bgp_nb_parse "$spec" \
			"addr as afi local password multihop hold gr passive" ||
			return 1
	done
	printf '[global.config]\n  as = %s\n  router-id = "%s"\n' "$asn" "$rid"
	for spec in "$@"; do
		_bgp_nb_parse "$spec" \
			"addr as afi local password multihop hold gr passive" ||
			return 1
		printf '\n[[neighbors]]\n  [neighbors.config]\n'
		printf '    neighbor-address = "%s"\n' "${BGP_NB[addr]}"
		printf '    peer-as = %s\n' "${BGP_NB[as]}"
		[[ -z ${BGP_NB[password]:-} ]] ||
			printf '    auth-password = "%s"\n' "${BGP_NB[password]}"
		printf '  [neighbors.timers.config]\n    connect-retry = 5\n'
		if [[ -n ${BGP_NB[hold]:-} ]]; then
			hold=${BGP_NB[hold]}
			printf '    hold-time = %s\n    keepalive-interval = %s\n' \
				"$hold" "$((hold / 3 > 0 ? hold / 3 : 1))"
		fi
		if [[ -n ${BGP_NB[local]:-} || -n ${BGP_NB[passive]:-} ]]; then
			printf '  [neighbors.transport.config]\n'
			[[ -z ${BGP_NB[local]:-} ]] ||
				printf '    local-address = "%s"\n' "${BGP_NB[local]}"
			[[ -z ${BGP_NB[passive]:-} ]] ||
				printf '    passive-mode = true\n'
		fi
		[[ -z ${BGP_NB[multihop]:-} ]] ||
			printf '  [neighbors.ebgp-multihop.config]\n    enabled = true\n    multihop-ttl = %s\n' \
				"${BGP_NB[multihop]}"
		[[ -z ${BGP_NB[gr]:-} ]] ||
			printf '  [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = %s\n' \
				"${BGP_NB[gr]}"
		for afi in ${BGP_NB[afi]//+/ }; do
			printf '  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n'
			printf '      afi-safi-name = "%s-unicast"\n' "$afi"
			[[ -z ${BGP_NB[gr]:-} ]] ||
				printf '    [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true\n'
		done
	done
}

bgp_gobgp() {
	local dir=$1
	shift
	"$BGP_GOBGP" --target "unix://$dir/gobgpd.sock" "$@"
}

# bgp_gobgp_start NS DIR ASN RID NEIGHBOR...
bgp_gobgp_start() {
	local ns=$1 dir=$2
	shift 2
	mkdir -p "$dir" || return 1
	bgp_gobgp_config "$@" >"$dir/gobgpd.toml" || return 1
	"$BGP_GOBGPD" -d -f "$dir/gobgpd.toml" -t toml >"$dir/gobgpd.check" 2>&1 ||
		{ cat "$dir/gobgpd.check" >&2
		  bgp_err "gobgpd refuses $dir/gobgpd.toml"; return 1; }
	rm -f "$dir/gobgpd.sock"
	_bgp_start_daemon gobgpd "$dir/gobgpd.pid" "$dir/gobgpd.log" "$ns" \
		"$BGP_GOBGPD" -f "$dir/gobgpd.toml" -t toml -p \
		--api-hosts "unix://$dir/gobgpd.sock" --pprof-disable ||
		return 1
	bgp_wait "$BGP_START_TIMEOUT" bgp_gobgp "$dir" global >/dev/null 2>&1 ||
		{ tail -n 20 "$dir/gobgpd.log" >&2
		  bgp_err "gobgpd API did not answer in ${BGP_START_TIMEOUT}s"
		  return 1; }
}

bgp_gobgp_stop() {
	_bgp_stop_pidfile "$1/gobgpd.pid"
	rm -f "$1/gobgpd.sock"
}

# True when every configured neighbor is Established (session_state 6);
# prints the others on stderr when VERBOSE is set.
bgp_gobgp_established() {
	local dir=$1 out
	out=$(bgp_gobgp "$dir" -j neighbor) || return 1
	jq -e 'length > 0 and all(.[]; .state.session_state == 6)' \
		<<<"$out" >/dev/null && return 0
	[[ -z ${VERBOSE:-} ]] ||
		jq -r '.[] | "\(.conf.neighbor_address) state \(.state.session_state // 0)"' \
			<<<"$out" >&2
	return 1
}

bgp_gobgp_wait_established() {
	bgp_wait "${2:-30}" bgp_gobgp_established "$1" ||
		{ VERBOSE=1 bgp_gobgp_established "$1"
		  bgp_err "GoBGP in $1: not all neighbors Established"; }
}

# JSON path -> "PREFIX NEXTHOP" lines: NEXT_HOP (type 3) or MP_REACH (14).
# shellcheck disable=SC2016 # a jq program, not shell
_bgp_gobgp_jq_routes='
	to_entries[] | .key as $p | .value[] |
	select($learnt == "" or has("neighbor-ip")) |
	([.attrs[]? | select(.type == 3 or .type == 14) | .nexthop] | first
	 // "-") as $nh |
	"\($p) \($nh)"'

# bgp_gobgp_routes DIR FAMILY: every path of the global RIB, those GoBGP
# originated itself (bgp_gobgp_inject) included.
bgp_gobgp_routes() {
	_bgp_gobgp_rib "$1" "$2" ""
}

# bgp_gobgp_learnt DIR FAMILY: only the paths learnt from a neighbor.
bgp_gobgp_learnt() {
	_bgp_gobgp_rib "$1" "$2" yes
}

_bgp_gobgp_rib() {
	local dir=$1 fam=$2 out
	_bgp_family "$fam" || return 1
	out=$(bgp_gobgp "$dir" -j -a "$fam" global rib) || return 1
	# an empty table is {}; be lenient about nothing or null too
	[[ -n $out && $out != null ]] || return 0
	jq -r --arg learnt "$3" "$_bgp_gobgp_jq_routes" <<<"$out" |
		LC_ALL=C sort
}

# bgp_gobgp_stale DIR FAMILY: how many paths are stale (kept by graceful
# restart while their neighbor is away).
bgp_gobgp_stale() {
	local out
	_bgp_family "$2" || return 1
	out=$(bgp_gobgp "$1" -j -a "$2" global rib) || return 1
	[[ -n $out && $out != null ]] || out='{}'
	jq '[.[][] | select(.stale == true)] | length' <<<"$out"
}

# bgp_gobgp_adj_out DIR ADDR FAMILY: what GoBGP announces to ADDR.
bgp_gobgp_adj_out() {
	local dir=$1 addr=$2 fam=$3 out
	_bgp_family "$fam" || return 1
	out=$(bgp_gobgp "$dir" -j neighbor "$addr" adj-out -a "$fam") || return 1
	[[ -n $out && $out != null ]] || return 0
	jq -r --arg learnt "" "$_bgp_gobgp_jq_routes" <<<"$out" | LC_ALL=C sort
}

# _bgp_routes_equal LISTER DIR FAMILY LINE...: listing equals the lines.
_bgp_routes_equal() {
	local lister=$1 dir=$2 fam=$3 want have
	shift 3
	want=$( (($# == 0)) || printf '%s\n' "$@" | LC_ALL=C sort)
	have=$("$lister" "$dir" "$fam") || return 1
	[[ $have == "$want" ]]
}

_bgp_wait_routes() {
	local lister=$1 dir=$2 fam=$3 secs=$4
	shift 4
	bgp_wait "$secs" _bgp_routes_equal "$lister" "$dir" "$fam" "$@" &&
		return 0
	echo "--- want" >&2
	(($# == 0)) || printf '%s\n' "$@" | LC_ALL=C sort >&2
	echo "--- have" >&2
	"$lister" "$dir" "$fam" >&2
	bgp_err "$fam routes in $dir differ after ${secs}s"
}

# bgp_gobgp_wait_routes DIR FAMILY SECONDS "PREFIX NEXTHOP"...: exactly these.
bgp_gobgp_wait_routes() {
	_bgp_wait_routes bgp_gobgp_routes "$@"
}

bgp_gobgp_wait_learnt() {
	_bgp_wait_routes bgp_gobgp_learnt "$@"
}

# bgp_gobgp_inject DIR FAMILY PREFIX [NEXTHOP]: GoBGP announces PREFIX to
# every neighbor of that family, with NEXTHOP as given (even to eBGP
# peers). Without NEXTHOP it sends the session's local address: for an
# IPv4 prefix over an IPv6 session that is an IPv6 address, which BIRD
# drops before any filter ("mismatched address family"), so a test that
# wants BIRD's import filter to be what refuses the route passes an IPv4
# NEXTHOP there.
bgp_gobgp_inject() {
	local dir=$1 fam=$2 prefix=$3 nh=${4:-}
	_bgp_family "$fam" || return 1
	if [[ -n $nh ]]; then
		bgp_gobgp "$dir" global rib -a "$fam" add "$prefix" nexthop "$nh"
	else
		bgp_gobgp "$dir" global rib -a "$fam" add "$prefix"
	fi
}

bgp_gobgp_withdraw() {
	_bgp_family "$2" || return 1
	bgp_gobgp "$1" global rib -a "$2" del "$3"
}

# --- BIRD as the peer ----------------------------------------------------

# bgp_bird_config DIR ASN RID NEIGHBOR...: bird.conf on stdout. The peer
# imports everything and exports only what bgp_bird_inject put into the
# static protocols inject4 / inject6 (their routes live in DIR/inject*.conf).
bgp_bird_config() {
	local dir=$1 asn=$2 rid=$3 spec afi n=0 nh bfd=
	shift 3
	[[ $asn =~ ^[0-9]+$ ]] || bgp_err "bad local ASN '$asn'" || return 1
	[[ $rid =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] ||
		bgp_err "router id must be dotted quad, not '$rid'" || return 1
	(($# > 0)) || bgp_err "no neighbor given" || return 1
	for spec in "$@"; do
		_bgp_nb_parse "$spec" \
			"addr as afi local password multihop hold gr passive bfd nh4 nh6" ||
			return 1
	done
	# "include" must start its line (blanks allowed): a lexer rule of BIRD
	cat <<EOF
# generated by bgp.bash
router id $rid;
log stderr all;
protocol device { scan time 10; }
protocol static inject4 {
	ipv4;
	include "$dir/inject4.conf";
}
protocol static inject6 {
	ipv6;
	include "$dir/inject6.conf";
}
filter bgp_injected {
	if proto = "inject4" || proto = "inject6" then accept;
	reject;
}
EOF
	for spec in "$@"; do
		_bgp_nb_parse "$spec" \
			"addr as afi local password multihop hold gr passive bfd nh4 nh6" ||
			return 1
		# one BFD protocol, before the first neighbor that wants it
		[[ -z ${BGP_NB[bfd]:-} || -n $bfd ]] ||
			{ printf 'protocol bfd { }\n'; bfd=1; }
		n=$((n + 1))
		printf 'protocol bgp peer%d {\n' "$n"
		if [[ -n ${BGP_NB[local]:-} ]]; then
			printf '\tlocal %s as %s;\n' "${BGP_NB[local]}" "$asn"
		else
			printf '\tlocal as %s;\n' "$asn"
		fi
		printf '\tneighbor %s as %s;\n' "${BGP_NB[addr]}" "${BGP_NB[as]}"
		printf '\tconnect delay time 1;\n\tconnect retry time 1;\n\terror wait time 1, 5;\n'
		[[ -z ${BGP_NB[password]:-} ]] ||
			printf '\tpassword "%s";\n' "${BGP_NB[password]}"
		[[ -z ${BGP_NB[multihop]:-} ]] ||
			printf '\tmultihop %s;\n' "${BGP_NB[multihop]}"
		[[ -z ${BGP_NB[hold]:-} ]] ||
			printf '\thold time %s;\n' "${BGP_NB[hold]}"
		[[ -z ${BGP_NB[gr]:-} ]] ||
			printf '\tgraceful restart on;\n\tgraceful restart time %s;\n' \
				"${BGP_NB[gr]}"
		[[ -z ${BGP_NB[passive]:-} ]] || printf '\tpassive on;\n'
		[[ -z ${BGP_NB[bfd]:-} ]] || printf '\tbfd on;\n'
		for afi in ${BGP_NB[afi]//+/ }; do
			nh=${BGP_NB[nh${afi#ipv}]:-}
			printf '\t%s {\n\t\timport all;\n\t\texport filter bgp_injected;\n' \
				"$afi"
			[[ -z $nh ]] || printf '\t\tnext hop address %s;\n' "$nh"
			printf '\t};\n'
		done
		printf '}\n'
	done
}

bgp_birdc() {
	local dir=$1
	shift
	"$BGP_BIRDC" -s "$dir/bird.ctl" "$@"
}

# bgp_bird_start NS DIR ASN RID NEIGHBOR...
bgp_bird_start() {
	local ns=$1 dir=$2
	shift 2
	mkdir -p "$dir" || return 1
	: >"$dir/inject4.conf"
	: >"$dir/inject6.conf"
	bgp_bird_config "$dir" "$@" >"$dir/bird.conf" || return 1
	"$BGP_BIRD" -p -c "$dir/bird.conf" ||
		bgp_err "bird refuses $dir/bird.conf" || return 1
	_bgp_start_daemon bird "$dir/bird.pid" "$dir/bird.log" "$ns" \
		"$BGP_BIRD" -f -c "$dir/bird.conf" -s "$dir/bird.ctl" \
		-P "$dir/bird.pidfile" || return 1
	bgp_wait "$BGP_START_TIMEOUT" bgp_birdc "$dir" show status \
		>/dev/null 2>&1 ||
		bgp_err "bird in $dir did not answer in ${BGP_START_TIMEOUT}s"
}

bgp_bird_stop() {
	_bgp_stop_pidfile "$1/bird.pid"
	rm -f "$1/bird.ctl" "$1/bird.pidfile"
}

# True when every BGP protocol of that BIRD is Established.
bgp_bird_established() {
	local out
	out=$(bgp_birdc "$1" show protocols) || return 1
	awk '$2 == "BGP" { n++; if ($4 != "up" || $0 !~ /Established/) bad++ }
	     END { exit !(n > 0 && bad == 0) }' <<<"$out" && return 0
	[[ -z ${VERBOSE:-} ]] || grep -w BGP <<<"$out" >&2
	return 1
}

bgp_bird_wait_established() {
	bgp_wait "${2:-30}" bgp_bird_established "$1" ||
		{ VERBOSE=1 bgp_bird_established "$1"
		  bgp_err "BIRD in $1: not all BGP sessions Established"; }
}

# bgp_bird_routes DIR FAMILY: "PREFIX NEXTHOP" of every BGP route received,
# NEXTHOP being the first address of the BGP next hop attribute (the one
# announced, not the resolved gateway).
bgp_bird_routes() {
	local dir=$1 fam=$2 out
	_bgp_family "$fam" || return 1
	out=$(bgp_birdc "$dir" show route table "master${fam#ipv}" all \
		where source = RTS_BGP) || return 1
	awk '
	/^[0-9a-fA-F:.]+\/[0-9]+ / { net = $1 }
	# every route of a net, also "unreachable" ones: a multihop route
	# whose next hop this BIRD cannot resolve (no IGP routes here)
	/^[ \t]+[a-z]+ \[/ || /^[0-9a-fA-F:.]+\/[0-9]+ / { pending = 1 }
	/^[ \t]+BGP\.next_hop:/ && pending { print net, $2; pending = 0 }
	' <<<"$out" | LC_ALL=C sort
}

bgp_bird_wait_routes() {
	_bgp_wait_routes bgp_bird_routes "$@"
}

# bgp_bird_inject DIR FAMILY PREFIX: the peer BIRD announces PREFIX (a
# blackhole static route; BGP sends its own address as next hop).
bgp_bird_inject() {
	local dir=$1 fam=$2 prefix=$3 f
	_bgp_family "$fam" || return 1
	f=$dir/inject${fam#ipv}.conf
	grep -qxF "route $prefix blackhole;" "$f" ||
		echo "route $prefix blackhole;" >>"$f"
	_bgp_bird_configure "$dir"
}

bgp_bird_withdraw() {
	local dir=$1 fam=$2 prefix=$3 f
	_bgp_family "$fam" || return 1
	f=$dir/inject${fam#ipv}.conf
	grep -vxF "route $prefix blackhole;" "$f" >"$f.new" || true
	mv "$f.new" "$f" || return 1
	_bgp_bird_configure "$dir"
}

_bgp_bird_configure() {
	local out
	out=$(bgp_birdc "$1" configure) || return 1
	grep -q 'Reconfigured\|Reconfiguration in progress' <<<"$out" ||
		bgp_err "birdc configure in $1: $out"
}
