#!/bin/bash
# rules-sets.sh - root test of agent/lib/rules.{h,c} + rules_plan.c and
# agent/lib/sets.{h,c} against the kernel, on both iptables backends.
#
#   sudo tests/integration/lib/rules-sets.sh          # TAP on stdout
#   BENCH=1 tests/integration/lib/rules-sets.sh       # also the set-fill bench
#
# Everything happens in network namespaces this script creates (one per
# backend, one per detection case, names snrsXXXX-*), never in the host's.
# It builds tests/integration/lib/rules_sets_driver.c (with ASan+UBSan)
# into a temporary directory. The trap on EXIT deletes every namespace
# and every set it made, on failure too. Exit 0 when every check passes.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
RUN=snrs$(printf '%04x' $((RANDOM)))
WORK=$(mktemp -d "/tmp/$RUN.XXXXXX")
DRIVER=$WORK/driver
NSES=()
HOST_SETS=() # only when ipsets turn out not to be per namespace
N=0
FAILED=0

cleanup() {
	local ns s
	for ns in "${NSES[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for s in "${HOST_SETS[@]}"; do
		ipset destroy "$s" 2>/dev/null
	done
	rm -rf "$WORK"
	local left
	left=$(ip netns list | grep -c "^$RUN-")
	if [ "$left" -ne 0 ]; then
		echo "# cleanup: $left namespaces of $RUN left" >&2
		exit 1
	fi
}
trap cleanup EXIT

ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
# check DESCRIPTION CMD...: passes when CMD succeeds. CMD's output is
# kept in $WORK/prev for the next check to look at.
check() {
	local d=$1
	shift
	if "$@" >"$WORK/out" 2>&1; then ok "$d"; else
		not_ok "$d"
		sed 's/^/#   /' "$WORK/out" | head -20
	fi
	cp "$WORK/out" "$WORK/prev"
}
# refute DESCRIPTION CMD...: passes when CMD fails
refute() {
	local d=$1
	shift
	if "$@" >"$WORK/out" 2>&1; then
		not_ok "$d"
		sed 's/^/#   /' "$WORK/out" | head -20
	else ok "$d"; fi
	cp "$WORK/out" "$WORK/prev"
}
has() { grep -qF -- "$2" <<<"$1"; }
lacks() { ! grep -qF -- "$2" <<<"$1"; }

# new_ns NAME: creates $RUN-NAME, records it for the trap, sets $NEW
# (not echoed: a command substitution would record it in a subshell)
new_ns() {
	NEW=$RUN-$1
	ip netns add "$NEW" || exit 1
	NSES+=("$NEW")
	ip -n "$NEW" link set lo up
}

[ "$(id -u)" = 0 ] || { echo "1..0 # skip: needs root"; exit 0; }

build() {
	local warn="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2"
	# the agent's ASan+UBSan library, built by the Makefile like every
	# other build of the agent's objects
	make -s -C "$ROOT" build/san/libsnapnet.a >/dev/null || return 1
	# shellcheck disable=SC2086
	gcc -std=gnu11 $warn -g -O1 -fsanitize=address,undefined \
		-fno-omit-frame-pointer -fno-sanitize-recover=all \
		-I"$ROOT/agent/lib" -I"$ROOT/agent" $(pkg-config --cflags libipset) \
		-o "$DRIVER" "$ROOT/tests/integration/lib/rules_sets_driver.c" \
		"$ROOT/build/san/libsnapnet.a" $(pkg-config --libs libipset) \
		-lpthread
}
build || { echo "Bail out! driver does not build"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

# --- ipsets and network namespaces -----------------------------------------

new_ns probe
ip netns exec "$NEW" ipset create "$RUN-probe" hash:ip
if ipset list -n 2>/dev/null | grep -qx "$RUN-probe"; then
	# an old kernel with global sets: a prefix no one else uses
	SP=${RUN}-
	HOST_SETS+=("$RUN-probe")
	ok "ipsets are global on this kernel: test sets use prefix $SP"
else
	SP=snapnet-
	ok "ipsets are per network namespace on $(uname -r)"
fi

# --- backend detection -------------------------------------------------------

detect() { ip netns exec "$1" "$DRIVER" detect "${2:-auto}" | head -1; }
new_ns det-fresh
NS=$NEW
check "detect: a fresh namespace (no rules anywhere) -> nft" \
	test "$(detect "$NS")" = "backend nft"
new_ns det-legacy
NS=$NEW
for i in 1 2 3; do ip netns exec "$NS" iptables-legacy -A INPUT -s 10.9.0.$i -j ACCEPT; done
ip netns exec "$NS" ip6tables-legacy -A INPUT -s fd09::1 -j ACCEPT
ip netns exec "$NS" iptables-nft -A INPUT -s 10.8.0.1 -j ACCEPT
check "detect: 4 legacy rules vs 1 nft rule -> legacy" \
	test "$(detect "$NS")" = "backend legacy"
check "detect: override nft" test "$(detect "$NS" nft)" = "backend nft"
ip netns exec "$NS" iptables-nft -t mangle -N KUBE-IPTABLES-HINT
check "detect: kubelet's KUBE-IPTABLES-HINT in nft beats legacy's rule count" \
	test "$(detect "$NS")" = "backend nft"
new_ns det-canary
NS=$NEW
ip netns exec "$NS" ip6tables-legacy -t mangle -N KUBE-KUBELET-CANARY
ip netns exec "$NS" iptables-nft -A INPUT -s 10.8.0.1 -j ACCEPT
check "detect: KUBE-KUBELET-CANARY in legacy (IPv6 only) beats nft's rule count" \
	test "$(detect "$NS")" = "backend legacy"
new_ns det-own
NS=$NEW
ip netns exec "$NS" iptables-legacy -N SNAPNET-X
check "detect: no foreign rules, our chains in legacy -> stay on legacy" \
	test "$(detect "$NS")" = "backend legacy"
check "detect: the probe created no table (legacy-save without -t)" \
	test -z "$(ip netns exec "$RUN-det-fresh" sh -c 'iptables-legacy-save; ip6tables-legacy-save; iptables-nft-save; ip6tables-nft-save' 2>/dev/null)"

# --- the rules and sets, once per backend ---------------------------------

# desire FAMILY VARIANT: a desire file for the driver.
#   v1  filter (SNAPNET-FW, SNAPNET-FW-POD, jumps FORWARD first and OUTPUT
#       append), nat (MASQUERADE, DNAT) and mangle (MARK): every canonical
#       form of docs/rules-sets-notes.md, in save form
#   v2  v1 plus one rule not in save form (bare comment with a ':')
#   v3  filter only, without SNAPNET-FW-POD and the OUTPUT jump
desire() {
	local fam=$1 v=$2 net host any icmp rej dnat
	if [ "$fam" = 4 ]; then
		host=10.0.0.1/32 net=10.1.0.0/16 any=10.0.0.0/8 dnat=10.0.0.1:8080
		icmp="-p icmp -m icmp --icmp-type 8 -j ACCEPT"
		rej="-j REJECT --reject-with icmp-port-unreachable"
	else
		host=fd00::1/128 net=fd00:244::/64 any=fd00::/8 dnat="[fd00::1]:8080"
		icmp="-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT"
		rej="-j REJECT --reject-with icmp6-port-unreachable"
	fi
	echo "table filter"
	echo "chain SNAPNET-FW"
	cat <<EOF
rule -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
rule -m conntrack --ctstate INVALID -j DROP
rule -m set ! --match-set ${PEER[$fam]} dst -j DROP
rule -p tcp -m set --match-set ${PORTS[$fam]} dst,dst -j ACCEPT
rule -p tcp -m tcp --dport 80 -j ACCEPT
rule -p udp -m udp --dport 1000:2000 -j ACCEPT
rule -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
rule -p sctp -m sctp --dport 9 -j ACCEPT
rule -p udp -m comment --comment "allow dns" -m udp --dport 53 -j ACCEPT
rule -s $host -d $net -j RETURN
rule ! -s $any -j DROP
rule -i eth0 -o lo -j DROP
rule $icmp
rule -m mark --mark 0x4000/0x4000 -j ACCEPT
rule -j MARK --set-xmark 0x4000/0x4000
rule -p tcp -j REJECT --reject-with tcp-reset
rule $rej
EOF
	if [ "$v" = v3 ]; then
		echo "jump FORWARD SNAPNET-FW first"
		return
	fi
	[ "$v" = v2 ] && echo "rule -m comment --comment ns/pod:web -j RETURN"
	cat <<EOF
rule -m comment --comment "ns/pod:web" -j RETURN
rule -m set --match-set ${PEER[$fam]} src -j SNAPNET-FW-POD
chain SNAPNET-FW-POD
rule -s $host -j RETURN
rule -j DROP
jump FORWARD SNAPNET-FW first
jump OUTPUT SNAPNET-FW-POD append
table nat
chain SNAPNET-POST
rule -m mark --mark 0x4000/0x4000 -j MASQUERADE
chain SNAPNET-DNAT
rule -p tcp -m tcp --dport 80 -j DNAT --to-destination $dnat
jump POSTROUTING SNAPNET-POST append
jump PREROUTING SNAPNET-DNAT append
table mangle
chain SNAPNET-MARK
rule -j MARK --set-xmark 0x4000/0x4000
jump PREROUTING SNAPNET-MARK first
EOF
}

apply() { ip netns exec "$NS" "$DRIVER" apply "$B" "$1" "$2"; }
written() { apply "$1" "$2" | awk '/^written/ { print $2 }'; }
save() { ip netns exec "$NS" "$(tool "$1")-save" 2>/dev/null; }
tool() { [ "$1" = 4 ] && echo "iptables-$B" || echo "ip6tables-$B"; }
ipt() { local f=$1; shift; ip netns exec "$NS" "$(tool "$f")" "$@"; }
drv() { ip netns exec "$NS" "$DRIVER" "$@"; }
ipsetn() { ip netns exec "$NS" ipset "$@"; }

sets_step() {
	local fam=$1 name
	name=$(drv sets-name "$SP" "$fam" peer "app=web")
	PEER[$fam]=$name
	PORTS[$fam]=$(drv sets-name "$SP" "$fam" port "app=web")
	check "IPv$fam: the set name carries its family ($name)" \
		grep -q "^${SP}${fam}-peer-" <<<"$name"
	check "IPv$fam: the name leaves room for the temporary (<= 29 bytes)" \
		test "${#name}" -le 29
	if [ "$fam" = 4 ]; then
		printf '10.0.0.1\n10.0.0.2\n' >"$WORK/peer4"
		printf '10.0.0.1,tcp:80\n10.0.0.2,sctp:9\n' >"$WORK/port4"
	else
		printf 'fd00::1\nfd00::2\n' >"$WORK/peer6"
		printf 'fd00::1,tcp:80\nfd00::2,udp:53\n' >"$WORK/port6"
	fi
	check "IPv$fam: create hash:ip + fill" \
		drv sets-sync "$SP" "$name" hash:ip "$fam" "$WORK/peer$fam"
	check "IPv$fam: create hash:ip,port + fill" \
		drv sets-sync "$SP" "${PORTS[$fam]}" hash:ip,port "$fam" "$WORK/port$fam"
	check "IPv$fam: a second sync changes nothing" \
		test "$(drv sets-sync "$SP" "$name" hash:ip "$fam" "$WORK/peer$fam")" = \
		"created 0 replaced 0 added 0 deleted 0"
	check "IPv$fam: the kernel holds the family we asked for" \
		grep -q "family inet$([ "$fam" = 6 ] && echo 6) " <<<"$(ipsetn list -t "$name")"
}

rules_step() {
	local fam=$1 out n
	desire "$fam" v1 >"$WORK/d1-$fam"
	desire "$fam" v2 >"$WORK/d2-$fam"
	desire "$fam" v3 >"$WORK/d3-$fam"
	# someone else's state, before and after us
	ipt "$fam" -N FOREIGN
	ipt "$fam" -A FOREIGN -p tcp -m tcp --dport 22 -j ACCEPT
	ipt "$fam" -A FORWARD -i eth9 -j ACCEPT
	ipt "$fam" -t nat -A POSTROUTING -o eth9 -j MASQUERADE

	n=$(written "$fam" "$WORK/d1-$fam")
	check "IPv$fam: first apply writes our chains (and verify finds every rule canonical)" test "${n:-0}" -gt 0
	out=$(save "$fam")
	check "IPv$fam: our chains exist in filter, nat and mangle" \
		bash -c 'for c in SNAPNET-FW SNAPNET-FW-POD SNAPNET-POST SNAPNET-DNAT SNAPNET-MARK; do grep -q "^:$c - " <<<"$1" || exit 1; done' _ "$out"
	check "IPv$fam: our jump is first in FORWARD, the foreign rule after it" \
		test "$(grep '^-A FORWARD' <<<"$out" | head -2 | tr '\n' '|')" = \
		"-A FORWARD -m comment --comment snapnet -j SNAPNET-FW|-A FORWARD -i eth9 -j ACCEPT|"
	check "IPv$fam: second apply writes nothing" \
		test "$(written "$fam" "$WORK/d1-$fam")" = 0

	refute "IPv$fam: a rule not in save form is written, then reported (EPROTO)" \
		apply "$fam" "$WORK/d2-$fam"
	check "IPv$fam: ... and the report names what the kernel shows" \
		grep -qF 'kernel shows "-m comment --comment "ns/pod:web" -j RETURN"' "$WORK/prev"

	n=$(written "$fam" "$WORK/d3-$fam")
	out=$(save "$fam")
	check "IPv$fam: stale chain SNAPNET-FW-POD and its OUTPUT jump are gone" \
		bash -c '! grep -q "SNAPNET-FW-POD" <<<"$1"' _ "$out"
	check "IPv$fam: tables the desire does not list (nat, mangle) are not touched" \
		bash -c 'grep -q "^:SNAPNET-POST" <<<"$1" && grep -q "^:SNAPNET-MARK" <<<"$1"' _ "$out"
	check "IPv$fam: the new desire is stable" test "$(written "$fam" "$WORK/d3-$fam")" = 0

	# drift: a rule deleted by hand, a second copy of our jump
	ipt "$fam" -D SNAPNET-FW 1
	ipt "$fam" -A FORWARD -m comment --comment snapnet -j SNAPNET-FW
	out=$(apply "$fam" "$WORK/d3-$fam")
	check "IPv$fam: drift repaired (chain rewritten, doubled jump deleted twice, added once)" \
		bash -c '[ "$(grep -c "^-D FORWARD -m comment --comment snapnet -j SNAPNET-FW$" <<<"$1")" = 2 ] && grep -q "^-I FORWARD 1 -m comment --comment snapnet -j SNAPNET-FW$" <<<"$1" && grep -q "^:SNAPNET-FW - " <<<"$1"' _ "$out"
	check "IPv$fam: exactly one jump left, and it is first" \
		test "$(save "$fam" | grep '^-A FORWARD' | tr '\n' '|')" = \
		"-A FORWARD -m comment --comment snapnet -j SNAPNET-FW|-A FORWARD -i eth9 -j ACCEPT|"

	# a foreign chain jumps to our chain: flushed and kept, never EBUSY
	desire "$fam" v1 >"$WORK/d1b-$fam"
	apply "$fam" "$WORK/d1b-$fam" >/dev/null
	ipt "$fam" -A FOREIGN -j SNAPNET-FW-POD
	check "IPv$fam: a stale chain a foreign chain jumps to does not fail the apply" \
		apply "$fam" "$WORK/d3-$fam"
	out=$(save "$fam")
	check "IPv$fam: ... it is flushed and kept, the foreign jump untouched" \
		bash -c 'grep -q "^:SNAPNET-FW-POD" <<<"$1" && ! grep -q "^-A SNAPNET-FW-POD" <<<"$1" && grep -q "^-A FOREIGN -j SNAPNET-FW-POD" <<<"$1"' _ "$out"
	check "IPv$fam: ... and the next apply writes nothing" \
		test "$(written "$fam" "$WORK/d3-$fam")" = 0
	ipt "$fam" -D FOREIGN -j SNAPNET-FW-POD
}

set_match_step() {
	local fam=$1 lo name other
	lo=$([ "$fam" = 4 ] && echo 127.0.0.1 || echo ::1)
	name=$(drv sets-name "$SP" "$fam" deny "lo")
	other=$(drv sets-name "$SP" "$([ "$fam" = 4 ] && echo 6 || echo 4)" deny "other")
	echo "$lo" >"$WORK/lo$fam"
	drv sets-sync "$SP" "$name" hash:ip "$fam" "$WORK/lo$fam" >/dev/null
	printf 'table filter\nchain SNAPNET-OUT\nrule -m set --match-set %s dst -j DROP\njump OUTPUT SNAPNET-OUT first\n' \
		"$name" >"$WORK/deny$fam"
	check "IPv$fam: a rule matching the IPv$fam set applies" apply "$fam" "$WORK/deny$fam"
	refute "IPv$fam: the set drops ping to $lo" \
		ip netns exec "$NS" ping -"$fam" -c1 -W1 "$lo"
	: >"$WORK/empty"
	drv sets-sync "$SP" "$name" hash:ip "$fam" "$WORK/empty" >/dev/null
	check "IPv$fam: emptied, the set lets ping through" \
		ip netns exec "$NS" ping -"$fam" -c1 -W1 "$lo"
	check "IPv$fam: destroying a set a rule references is EBUSY, reported" \
		bash -c '! "$@" && grep -q "in use" <<<"$("$@" 2>&1)"' _ \
		ip netns exec "$NS" "$DRIVER" sets-destroy "$SP" "$name"
	# an other-family set in a rule of this family: the kernel refuses it
	drv sets-sync "$SP" "$other" hash:ip "$([ "$fam" = 4 ] && echo 6 || echo 4)" "$WORK/empty" >/dev/null
	printf 'table filter\nchain SNAPNET-OUT\nrule -m set --match-set %s dst -j DROP\njump OUTPUT SNAPNET-OUT first\n' \
		"$other" >"$WORK/wrong$fam"
	refute "IPv$fam: a rule naming the other family's set is refused" \
		apply "$fam" "$WORK/wrong$fam"
	printf 'table filter\n' >"$WORK/none$fam"
	apply "$fam" "$WORK/none$fam" >/dev/null
	check "IPv$fam: unreferenced now, the set is destroyed" \
		drv sets-destroy "$SP" "$name"
	drv sets-destroy "$SP" "$other" >/dev/null
}

# Swap atomicity: a prober asks the kernel whether P is in the set, as
# fast as it can, while the set is replaced over and over; P is in every
# version, so it must never be missing. The unsafe refill (delete all,
# add all) must get caught by the same prober, or the check proves nothing.
swap_step() {
	local name p misses
	name=$(drv sets-name "$SP" 4 big "swap")
	p=10.200.0.1
	python3 -c "
import ipaddress
for i in range(40000): print(ipaddress.ip_address(0x0a640000 + i))
print('$p')" >"$WORK/big-a"
	python3 -c "
import ipaddress
for i in range(40000): print(ipaddress.ip_address(0x0a650000 + i))
print('$p')" >"$WORK/big-b"
	drv sets-replace "$SP" "$name" hash:ip 4 "$WORK/big-a" >/dev/null
	probe() {
		local m=0
		while [ ! -e "$WORK/stop" ]; do
			ipsetn -q test "$name" "$p" || m=$((m + 1))
		done
		echo "$m" >"$WORK/misses"
	}
	run_probed() {
		rm -f "$WORK/stop" "$WORK/misses"
		probe &
		local pid=$! i
		sleep 0.2
		for i in 1 2 3 4 5 6; do
			drv "$1" "$SP" "$name" hash:ip 4 "$WORK/big-$([ $((i % 2)) = 1 ] && echo b || echo a)" >/dev/null
		done
		touch "$WORK/stop"
		wait "$pid"
		cat "$WORK/misses"
	}
	misses=$(run_probed sets-replace)
	check "swap: P never missing during 6 replaces of 40,001 members (misses: $misses)" test "$misses" = 0
	check "swap: the set holds exactly the last list" \
		test "$(drv sets-members "$SP" "$name" | sort | md5sum)" = "$(sort "$WORK/big-a" | md5sum)"
	check "swap: no temporary left behind" \
		bash -c '! grep -q -- "-t " <<<"$1"' _ "$(drv sets-list "$SP")"
	misses=$(run_probed sets-refill-unsafe)
	check "swap: the prober does catch a non-atomic refill (misses: $misses)" test "$misses" -gt 0
	# a temporary left by a crash is replaced, and cleaned up
	ipsetn create "$name-t" hash:ip
	check "swap: a stale temporary does not block a replace" \
		drv sets-replace "$SP" "$name" hash:ip 4 "$WORK/big-b"
	check "swap: ... and is gone afterwards" bash -c '! "$@" list -n | grep -qx "$0-t"' "$name" ip netns exec "$NS" ipset
}

cleanup_step() {
	local fam out
	ipsetn create foreign-set hash:ip
	ipsetn add foreign-set 10.9.9.9
	ipsetn create "${SP}4-stale-t" hash:ip
	for fam in 4 6; do
		check "IPv$fam: full rules cleanup" drv cleanup "$B" "$fam" SNAPNET-
		out=$(save "$fam")
		check "IPv$fam: no SNAPNET chain or jump left in any table" \
			bash -c '! grep -q SNAPNET <<<"$1"' _ "$out"
		check "IPv$fam: the foreign chain and the foreign FORWARD rule survive" \
			bash -c 'grep -q "^-A FOREIGN -p tcp -m tcp --dport 22 -j ACCEPT" <<<"$1" && grep -q "^-A FORWARD -i eth9 -j ACCEPT" <<<"$1" && grep -q "^-A POSTROUTING -o eth9 -j MASQUERADE" <<<"$1"' _ "$out"
		check "IPv$fam: cleanup of nothing is fine" drv cleanup "$B" "$fam" SNAPNET-
	done
	check "sets cleanup destroys every set of ours (stale temporaries too)" drv sets-cleanup "$SP"
	check "... none of ours left" test -z "$(drv sets-list "$SP")"
	check "... the foreign set survives with its member" ipsetn test foreign-set 10.9.9.9
	refute "a foreign set is refused by name" drv sets-destroy "$SP" foreign-set
}

declare -A PEER PORTS
for B in nft legacy; do
	echo "# backend $B"
	new_ns "$B"
	NS=$NEW
	for fam in 4 6; do sets_step "$fam"; done
	for fam in 4 6; do rules_step "$fam"; done
	for fam in 4 6; do set_match_step "$fam"; done
	[ "$B" = nft ] && swap_step
	cleanup_step
	if [ "$B" = nft ]; then
		check "backend nft: no legacy table was created" \
			test -z "$(ip netns exec "$NS" iptables-legacy-save 2>/dev/null)$(ip netns exec "$NS" ip6tables-legacy-save 2>/dev/null)"
	else
		check "backend legacy: no nft table was created" \
			test -z "$(ip netns exec "$NS" iptables-nft-save 2>/dev/null)$(ip netns exec "$NS" ip6tables-nft-save 2>/dev/null)"
	fi
done

if [ -n "${BENCH:-}" ]; then
	new_ns bench
	NS=$NEW
	for fam in 4 6; do
		ip netns exec "$NS" "$DRIVER" bench "$fam" 100000 5 | sed 's/^/# /'
	done
fi

echo "1..$N"
[ "$FAILED" = 0 ] || echo "# $FAILED of $N failed"
exit $((FAILED != 0))
