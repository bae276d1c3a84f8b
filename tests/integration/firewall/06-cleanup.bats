#!/usr/bin/env bats
#
# What is not snapnet's stays: a foreign filter chain with rules (one
# using a foreign ipset), a foreign rule in a built-in chain and foreign
# ipsets of both families, in every node netns, survive `apply` and
# `snapnet cleanup` byte for byte; cleanup removes every SNAPNET-FW chain,
# every jump to one and every snapnet- set, in both backends. Before
# that, backend = legacy: the same table, and a switch of backend leaves
# nothing of ours in the other one. cleanup also removes the bridge, so
# it comes last for each variant's cluster.

bats_require_minimum_version 1.5.0

NP_CONFIG=(firewall.enabled=yes)
load lib/netpol

foreign_add() { # NODE
	local ns
	ns=$(cl_ns "$1")
	ip netns exec "$ns" ipset create foreign-4 hash:ip family inet
	ip netns exec "$ns" ipset add foreign-4 192.0.2.7
	ip netns exec "$ns" ipset create foreign-6 hash:ip family inet6
	ip netns exec "$ns" ipset add foreign-6 2001:db8::7
	ip netns exec "$ns" iptables -N FOREIGN-FW
	ip netns exec "$ns" iptables -A FOREIGN-FW -s 192.0.2.1/32 -j DROP
	ip netns exec "$ns" iptables -A FOREIGN-FW -m set --match-set foreign-4 src -j DROP
	ip netns exec "$ns" iptables -A INPUT -j FOREIGN-FW
	ip netns exec "$ns" iptables -A FORWARD -s 192.0.2.2/32 -j ACCEPT
	ip netns exec "$ns" ip6tables -N FOREIGN-FW
	ip netns exec "$ns" ip6tables -A FOREIGN-FW -s 2001:db8::1/128 -j DROP
	ip netns exec "$ns" ip6tables -A FOREIGN-FW -m set --match-set foreign-6 src -j DROP
	ip netns exec "$ns" ip6tables -A INPUT -j FOREIGN-FW
	ip netns exec "$ns" ip6tables -A FORWARD -s 2001:db8::2/128 -j ACCEPT
}

# Everything in NODE's netns that is not snapnet's firewall: every table
# of both families without counters, comments and SNAPNET-FW lines, and
# every set that is not snapnet-, with its members.
foreign_state() { # NODE
	local ns s
	ns=$(cl_ns "$1")
	{
		ip netns exec "$ns" iptables-save | sed 's/^/4 /'
		ip netns exec "$ns" ip6tables-save | sed 's/^/6 /'
	} | grep -v -e '^[46] #' -e 'SNAPNET-FW' | sed -E 's/\[[0-9]+:[0-9]+\]//'
	for s in $(ip netns exec "$ns" ipset list -n | grep -v '^snapnet-' | sort); do
		ip netns exec "$ns" ipset list "$s" |
			sed -n '/^Name:/p;/^Type:/p;/^Members:/,$p'
	done
}

foreign_survives() {
	local n
	local -A before=()
	np_case "$1"
	for n in "${CL_NODES[@]}"; do
		foreign_add "$n"
		before[$n]=$(foreign_state "$n")
		grep -q 'FOREIGN-FW' <<<"${before[$n]}"
	done
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_policy y a-from-x-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}},
			"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	expect from 'x/*' to '*' '*' '*' 0
	expect from '*' to y/a '*' '*' 0
	np_check
	for n in "${CL_NODES[@]}"; do
		# the cleanup check below can fail: there is something to remove
		[[ -n $(np_fw_rules "$n") ]] ||
			np_err "$n: no SNAPNET-FW rule after apply" || return 1
		diff <(echo "${before[$n]}") <(foreign_state "$n") ||
			np_err "$n: apply changed foreign state (diff above)" ||
			return 1
	done
	for n in "${CL_NODES[@]}"; do
		run cl_snapnet "$n" cleanup
		echo "$n cleanup: rc=$status: $output"
		[ "$status" -eq 0 ]
		[[ -z $(np_fw_rules "$n") ]] ||
			np_err "$n: after cleanup:"$'\n'"$(np_fw_rules "$n")" ||
			return 1
		[[ -z $(np_fw_sets "$n") ]] ||
			np_err "$n: sets after cleanup: $(np_fw_sets "$n")" ||
			return 1
		diff <(echo "${before[$n]}") <(foreign_state "$n") ||
			np_err "$n: cleanup changed foreign state (diff above)" ||
			return 1
	done
}

# backend = legacy enforces the same table; switching back to nft leaves
# nothing of ours in legacy (and the other way round).
backends() {
	local n
	np_case "$1"
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_policy y a-from-x-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}},
			"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	expect from 'x/*' to '*' '*' '*' 0
	expect from '*' to y/a '*' '*' 0
	np_config firewall.backend=legacy
	np_apply
	np_check
	for n in "${CL_NODES[@]}"; do
		np_fw_rules "$n" | grep -q '^[46]L ' ||
			np_err "$n: no SNAPNET-FW rule in legacy" || return 1
		! np_fw_rules "$n" | grep -q '^[46] ' ||
			np_err "$n: SNAPNET-FW rules left in nft:"$'\n'"$(np_fw_rules "$n")" ||
			return 1
	done
	np_config firewall.backend=nft
	np_apply
	np_check
	for n in "${CL_NODES[@]}"; do
		np_fw_rules "$n" | grep -q '^[46] ' ||
			np_err "$n: no SNAPNET-FW rule in nft" || return 1
		! np_fw_rules "$n" | grep -q '^[46]L ' ||
			np_err "$n: SNAPNET-FW rules left in legacy:"$'\n'"$(np_fw_rules "$n")" ||
			return 1
	done
}

@test "v4: backend legacy enforces the same; a switch leaves nothing in the other backend" {
	backends v4
}

@test "v6: backend legacy enforces the same; a switch leaves nothing in the other backend" {
	backends v6
}

@test "dual: backend legacy enforces the same; a switch leaves nothing in the other backend" {
	backends dual
}

@test "v4: foreign chains, rules and ipsets survive apply and cleanup; cleanup removes all of ours" {
	foreign_survives v4
}

@test "v6: foreign chains, rules and ipsets survive apply and cleanup; cleanup removes all of ours" {
	foreign_survives v6
}

@test "dual: foreign chains, rules and ipsets survive apply and cleanup; cleanup removes all of ours" {
	foreign_survives dual
}
