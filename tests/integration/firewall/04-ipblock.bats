#!/usr/bin/env bats
#
# ipBlock peers, which match any address, pod addresses included: a pod
# CIDR with one pod excepted (egress and ingress), two ipBlocks where one
# is the other's except (the union: upstream's "an IP overlapping both
# IPBlock.CIDR and IPBlock.Except is allowed"), an ipBlock of the family
# the cluster lacks (it must break nothing; the policy's other peers keep
# working), /0 blocks and blocks with host bits, and hostNetwork pods,
# which are neither targets nor peers.
#
# Placement: node-a (pod CIDR 10.244.1.0/24, fd00:244:0:1::/64) holds
# x/a x/c y/b z/a z/c; node-b (10.244.2.0/24, fd00:244:0:2::/64) holds
# x/b y/a y/c z/b. A node's host talks to other nodes' pods from its
# underlay address (10.0.0.N, fd00:10::N), outside every pod CIDR.

bats_require_minimum_version 1.5.0

NP_CONFIG=(firewall.enabled=yes)
load lib/netpol

# x/a may send only to node-b's pod CIDR except y/a; z/b admits only
# node-a's pod CIDR except x/c.
ipblock_except() {
	np_case "$1"
	np_hosts on
	np_policy x a-to-node-b-but-y-a "{\"podSelector\": {\"matchLabels\": {\"pod\": \"a\"}},
		\"policyTypes\": [\"Egress\"],
		\"egress\": [{\"to\": $(np_ipblocks node-b y/a)}]}"
	np_policy z b-from-node-a-but-x-c "{\"podSelector\": {\"matchLabels\": {\"pod\": \"b\"}},
		\"ingress\": [{\"from\": $(np_ipblocks node-a x/c)}]}"
	np_apply
	expect_all 1
	expect from x/a to '*' '*' '*' 0
	expect from x/a to hosts '*' '*' 0
	expect from x/a to x/b '*' '*' 1
	expect from x/a to y/c '*' '*' 1
	expect from x/a to z/b '*' '*' 1
	expect from '*' to z/b '*' '*' 0
	expect from hosts to z/b '*' '*' 0   # z/b's own node-b stays (fixed)
	expect from x/a to z/b '*' '*' 1
	expect from y/b to z/b '*' '*' 1
	expect from z/a to z/b '*' '*' 1
	expect from z/c to z/b '*' '*' 1
	np_check
}

# The union of ipBlocks: x/a's one rule has node-b's CIDR except y/a and
# y/a's own /32 (/128) as a second peer; x/c gets the same from two
# policies. Both reach all of node-b, y/a included.
ipblock_union() {
	np_case "$1"
	local both
	both=$(jq -sc 'add' <<<"$(np_ipblocks node-b y/a) $(np_ipblock_hosts y/a)")
	np_policy x a-union "{\"podSelector\": {\"matchLabels\": {\"pod\": \"a\"}},
		\"policyTypes\": [\"Egress\"], \"egress\": [{\"to\": $both}]}"
	np_policy x c-cidr-except "{\"podSelector\": {\"matchLabels\": {\"pod\": \"c\"}},
		\"policyTypes\": [\"Egress\"],
		\"egress\": [{\"to\": $(np_ipblocks node-b y/a)}]}"
	np_policy x c-the-except "{\"podSelector\": {\"matchLabels\": {\"pod\": \"c\"}},
		\"policyTypes\": [\"Egress\"],
		\"egress\": [{\"to\": $(np_ipblock_hosts y/a)}]}"
	np_apply
	expect_all 1
	expect from x/a to '*' '*' '*' 0
	expect from x/c to '*' '*' '*' 0
	expect from x/a to x/b '*' '*' 1
	expect from x/a to 'y/*' '*' '*' 1
	expect from x/a to y/b '*' '*' 0     # node-a
	expect from x/a to z/b '*' '*' 1
	expect from x/c to x/b '*' '*' 1
	expect from x/c to y/a '*' '*' 1
	expect from x/c to y/c '*' '*' 1
	expect from x/c to z/b '*' '*' 1
	np_check
}

# An ipBlock of the family the cluster lacks next to a podSelector: the
# IPv4 rules still work in an IPv4-only cluster, and the mirror case for
# IPv6. x/a admits node-b's IPv6 pod CIDR or pod b; x/c admits node-b's
# IPv4 pod CIDR or pod b. In dual-stack each block counts in its family.
ipblock_other_family() {
	local v4cidr v6cidr out n
	np_case "$1"
	v4cidr=$(cl_pod_cidr node-b 4)
	v6cidr=$(cl_pod_cidr node-b 6)
	np_policy x a-v6-block-or-b "{\"podSelector\": {\"matchLabels\": {\"pod\": \"a\"}},
		\"ingress\": [{\"from\": [{\"ipBlock\": {\"cidr\": \"$v6cidr\"}},
			{\"podSelector\": {\"matchLabels\": {\"pod\": \"b\"}}}]}]}"
	np_policy x c-v4-block-or-b "{\"podSelector\": {\"matchLabels\": {\"pod\": \"c\"}},
		\"ingress\": [{\"from\": [{\"ipBlock\": {\"cidr\": \"$v4cidr\", \"except\": [\"10.244.2.128/25\"]}},
			{\"podSelector\": {\"matchLabels\": {\"pod\": \"b\"}}}]}]}"
	np_apply
	for n in "${CL_NODES[@]}"; do
		out=$(cat "$CL_DIR/$n/apply.log")
		echo "$n: $out"
		[[ $out == *"firewall: "*" 0 failed"* ]]
	done
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from '*' to x/c '*' '*' 0
	expect from x/b to x/a '*' '*' 1
	expect from x/b to x/c '*' '*' 1
	# node-b's pods through the block of their family only
	expect from x/b to x/a '*' '*' 1 family 6
	expect from y/a to x/a '*' '*' 1 family 6
	expect from y/c to x/a '*' '*' 1 family 6
	expect from z/b to x/a '*' '*' 1 family 6
	expect from y/a to x/c '*' '*' 1 family 4
	expect from y/c to x/c '*' '*' 1 family 4
	expect from z/b to x/c '*' '*' 1 family 4
	np_check
}

# ipBlocks of the whole address space (/0, which a hash:net set cannot
# hold) and with host bits set (masked, as the API does). x/a may send
# anywhere but node-a's pod CIDR: to node-b's pods and to both hosts.
# z/b admits node-a's pod CIDR written as 10.244.1.77/24 and
# fd00:244:0:1::77/64, and the underlay (10.0.0.0/24, fd00:10::/64):
# an ipBlock matches a host's address too, so node-a's host gets in.
ipblock_zero_and_host_bits() {
	local f peers="" hb=""
	np_case "$1"
	np_hosts on
	for f in "${CL_FAMILIES[@]}"; do
		if [[ $f == 4 ]]; then
			peers+="${peers:+,}{\"ipBlock\": {\"cidr\": \"0.0.0.0/0\", \"except\": [\"$(cl_pod_cidr node-a 4)\"]}}"
			hb+="${hb:+,}{\"ipBlock\": {\"cidr\": \"10.244.1.77/24\"}}"
			hb+=",{\"ipBlock\": {\"cidr\": \"10.0.0.0/24\"}}"
		else
			peers+="${peers:+,}{\"ipBlock\": {\"cidr\": \"::/0\", \"except\": [\"$(cl_pod_cidr node-a 6)\"]}}"
			hb+="${hb:+,}{\"ipBlock\": {\"cidr\": \"fd00:244:0:1::77/64\"}}"
			hb+=",{\"ipBlock\": {\"cidr\": \"fd00:10::/64\"}}"
		fi
	done
	np_policy x a-anywhere-but-node-a "{\"podSelector\": {\"matchLabels\": {\"pod\": \"a\"}},
		\"policyTypes\": [\"Egress\"], \"egress\": [{\"to\": [$peers]}]}"
	np_policy z b-from-node-a-host-bits "{\"podSelector\": {\"matchLabels\": {\"pod\": \"b\"}},
		\"ingress\": [{\"from\": [$hb]}]}"
	np_apply
	expect_all 1
	expect from x/a to '*' '*' '*' 0
	expect from x/a to x/b '*' '*' 1
	expect from x/a to y/a '*' '*' 1
	expect from x/a to y/c '*' '*' 1
	expect from x/a to z/b '*' '*' 1
	expect from '*' to z/b '*' '*' 0
	expect from hosts to z/b '*' '*' 0   # no pods ...
	expect from node-a to z/b '*' '*' 1  # ... but in the underlay block
	expect from x/a to z/b '*' '*' 1
	expect from x/c to z/b '*' '*' 1
	expect from y/b to z/b '*' '*' 1
	expect from z/a to z/b '*' '*' 1
	expect from z/c to z/b '*' '*' 1
	np_check
}

# A hostNetwork pod x/h on node-a carries node-a's addresses. x's
# deny-all selects every pod of x, but not x/h: node-a's host keeps its
# traffic. y/a admits only pod h of namespace x: a hostNetwork pod is no
# peer, so node-a's host is refused.
host_network() {
	np_case "$1"
	np_hosts on
	np_pod_hostnet x/h node-a '{"pod": "h"}'
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_policy y a-from-x-h '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}},
			"podSelector": {"matchLabels": {"pod": "h"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	expect from hosts to 'x/*' '*' '*' 0
	expect from 'x/*' to '*' '*' '*' 0
	expect from 'x/*' to hosts '*' '*' 0
	expect from '*' to y/a '*' '*' 0
	expect from hosts to y/a '*' '*' 0   # node-a too; node-b is y/a's own
	np_check
}

@test "v4: ipBlock with except, egress and ingress, pod addresses included" {
	ipblock_except v4
}

@test "v6: ipBlock with except, egress and ingress, pod addresses included" {
	ipblock_except v6
}

@test "dual: ipBlock with except, egress and ingress, pod addresses included" {
	ipblock_except dual
}

@test "v4: two ipBlocks, one the other's except: the union is allowed" {
	ipblock_union v4
}

@test "v6: two ipBlocks, one the other's except: the union is allowed" {
	ipblock_union v6
}

@test "dual: two ipBlocks, one the other's except: the union is allowed" {
	ipblock_union dual
}

@test "v4: an IPv6 ipBlock breaks nothing in an IPv4-only cluster" {
	ipblock_other_family v4
}

@test "v6: an IPv4 ipBlock breaks nothing in an IPv6-only cluster" {
	ipblock_other_family v6
}

@test "dual: ipBlocks of each family count in their family only" {
	ipblock_other_family dual
}

@test "v4: ipBlock /0 with except, host bits set, a host's address in a block" {
	ipblock_zero_and_host_bits v4
}

@test "v6: ipBlock /0 with except, host bits set, a host's address in a block" {
	ipblock_zero_and_host_bits v6
}

@test "dual: ipBlock /0 with except, host bits set, a host's address in a block" {
	ipblock_zero_and_host_bits dual
}

@test "v4: hostNetwork pods are neither targets nor peers" {
	host_network v4
}

@test "v6: hostNetwork pods are neither targets nor peers" {
	host_network v6
}

@test "dual: hostNetwork pods are neither targets nor peers" {
	host_network dual
}
