#!/usr/bin/env bats
#
# The harness itself, with snapnet's firewall off (no [firewall] section):
# proves that the prober, the matrix and the DSL can fail. With no rule
# every pod and host reaches every other; hand-written REJECT and DROP
# rules in the node namespaces show up as exactly the pairs they block
# (and in IPv6 only when only ip6tables has them); a deliberately wrong
# expectation makes np_check fail and print the truth tables; the full
# matrix costs about one probe timeout, not one per probe.

bats_require_minimum_version 1.5.0

NP_CONFIG=()
load lib/netpol

teardown() {
	[[ -n ${BATS_TEST_COMPLETED:-} ]] || np_diagnose
	np_hand_rules del 2>/dev/null || true
}

# The rules every case of this file reasons about:
#   node-a FORWARD: REJECT anything to x/a TCP 80 (both families);
#   node-b FORWARD: REJECT UDP 81 from y/a;
#   node-a FORWARD, ip6tables only: REJECT new connections from z/b to
#   x/c (stateful; a stateless rule would also eat the replies of x/c's
#   connections to z/b, which the first run of this file showed);
#   node-b FORWARD: DROP (no answer: a timeout) TCP 81 to x/b.
np_hand_rules() { # add|del
	local op=-I f t na nb
	[[ $1 == del ]] && op=-D
	na=$(cl_ns node-a)
	nb=$(cl_ns node-b)
	for f in "${CL_FAMILIES[@]}"; do
		t=iptables
		[[ $f == 6 ]] && t=ip6tables
		ip netns exec "$na" $t $op FORWARD -d "${NP_IP[x/a,$f]}" \
			-p tcp --dport 80 -j REJECT || return 1
		ip netns exec "$nb" $t $op FORWARD -s "${NP_IP[y/a,$f]}" \
			-p udp --dport 81 -j REJECT || return 1
		ip netns exec "$nb" $t $op FORWARD -d "${NP_IP[x/b,$f]}" \
			-p tcp --dport 81 -j DROP || return 1
		if [[ $f == 6 ]]; then
			# stateful: x/c's connections to z/b keep their replies
			ip netns exec "$na" ip6tables $op FORWARD \
				-s "${NP_IP[z/b,6]}" -d "${NP_IP[x/c,6]}" \
				-m conntrack --ctstate NEW -j REJECT || return 1
		fi
	done
}

np_hand_expect() {
	expect_all 1
	expect from '*' to x/a tcp 80 0
	expect from node-b to x/a tcp 80 0   # node-a's own host: OUTPUT
	expect from y/a to '*' udp 81 0
	expect from y/a to node-a udp 81 0   # forwarded by node-b
	expect from '*' to x/b tcp 81 0
	expect from node-a to x/b tcp 81 0
	expect from z/b to x/c '*' '*' 0 family 6
}

no_rules() { # VARIANT
	np_case "$1"
	np_hosts on
	np_apply
	expect_all 1
	np_check
}

hand_rules() { # VARIANT
	np_case "$1"
	np_hosts on
	np_apply
	np_hand_rules add
	np_hand_expect
	np_check
	# about one timeout for the whole matrix, some probes timing out
	echo "probe time $NP_PROBE_MS ms (timeout $NP_TIMEOUT_MS ms)"
	((NP_PROBE_MS < 2 * NP_TIMEOUT_MS + 500))
	np_hand_rules del
}

wrong_expectation_fails() { # VARIANT
	local f n
	np_case "$1"
	np_hosts on
	np_apply
	np_hand_rules add
	# the rules are there, the expectation says they are not
	expect_all 1
	run np_check
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"expected "*"| observed "*"| compare "* ]]
	for f in "${CL_FAMILIES[@]}"; do
		[[ $output == *"IPv$f tcp/80   (rows: from"* ]]
		# 8 pods and node-b to x/a TCP 80, 8 pods (not x/b's own
		# node-b host, not x/b) + node-a to x/b TCP 81, y/a to 9 of
		# the 10 others on UDP 81, z/b to x/c on 4 ports in IPv6
		n=$(grep -c "^  .* IPv$f .*expected 1, got" <<<"$output")
		if [[ $f == 4 ]]; then
			[ "$n" -eq $((9 + 9 + 9)) ]
		else
			[ "$n" -eq $((9 + 9 + 9 + 4)) ]
		fi
		# REJECT answers with an ICMP error, unless the kernel's ICMP
		# rate limit (per destination host) swallowed it: a timeout
		grep -Eq "^  x/c -> x/a IPv$f tcp/80 .*got (refused|timeout)" <<<"$output"
		grep -Eq "^  y/a -> node-a IPv$f udp/81 .*got (refused|timeout)" <<<"$output"
		grep -q "^  x/a -> x/b IPv$f tcp/81 .*got timeout" <<<"$output"
	done
	# and no pair the rules leave alone is reported
	! grep -q "^  x/a -> x/c " <<<"$output"
	np_hand_rules del
}

@test "v4: harness: with no rule every pod and host reaches every other" {
	no_rules v4
}

@test "v6: harness: with no rule every pod and host reaches every other" {
	no_rules v6
}

@test "dual: harness: with no rule every pod and host reaches every other" {
	no_rules dual
}

@test "v4: harness: hand-written REJECT/DROP rules show as exactly the pairs they block" {
	hand_rules v4
}

@test "v6: harness: hand-written REJECT/DROP rules show as exactly the pairs they block" {
	hand_rules v6
}

@test "dual: harness: hand-written REJECT/DROP rules show as exactly the pairs they block" {
	hand_rules dual
}

@test "v4: harness: a wrong expectation fails and prints the truth tables" {
	wrong_expectation_fails v4
}

@test "v6: harness: a wrong expectation fails and prints the truth tables" {
	wrong_expectation_fails v6
}

@test "dual: harness: a wrong expectation fails and prints the truth tables" {
	wrong_expectation_fails dual
}
