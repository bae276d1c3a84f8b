#!/usr/bin/env bats
#
# Peers chosen by label selectors: podSelector (the policy's namespace),
# namespaceSelector (by a label of ours and by kubernetes.io/metadata.name,
# and {} = every namespace, never a host), both in one peer (AND) against
# two peers (OR), both ends having to allow (egress of the source,
# ingress of the destination), and the matchExpressions operators In, NotIn, Exists,
# DoesNotExist (NotIn and DoesNotExist match a pod or namespace that
# lacks the key); pods that have finished are neither targets nor
# peers. Placement (lib/netpol.bash): node-a x/a x/c y/b z/a z/c,
# node-b x/b y/a y/c z/b.

bats_require_minimum_version 1.5.0

NP_CONFIG=(firewall.enabled=yes)
load lib/netpol

# x/a admits only x/b (ingress); y/c may only talk to y/a (egress).
pod_selector() {
	np_case "$1"
	np_policy x a-from-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_policy y c-to-a '{"podSelector": {"matchLabels": {"pod": "c"}},
		"policyTypes": ["Egress"],
		"egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "a"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from x/b to x/a '*' '*' 1     # not y/b, z/b: same namespace only
	expect from y/c to '*' '*' '*' 0
	expect from y/c to y/a '*' '*' 1     # not x/a, z/a
	np_check
}

# x/a admits namespace y (label ns=y); z/b may only reach namespace x
# (kubernetes.io/metadata.name=x), and x/a still refuses z.
namespace_selector() {
	np_case "$1"
	np_policy x a-from-ns-y '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	np_policy z b-to-ns-x '{"podSelector": {"matchLabels": {"pod": "b"}},
		"policyTypes": ["Egress"],
		"egress": [{"to": [{"namespaceSelector":
			{"matchLabels": {"kubernetes.io/metadata.name": "x"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from 'y/*' to x/a '*' '*' 1
	expect from z/b to '*' '*' '*' 0
	expect from z/b to 'x/*' '*' '*' 1
	expect from z/b to x/a '*' '*' 0     # x/a's ingress admits only y
	np_check
}

# namespaceSelector {} is every pod of every namespace, and nothing else:
# the other node's host stays out.
namespace_selector_all() {
	np_case "$1"
	np_hosts on
	np_policy x b-from-all-ns '{"podSelector": {"matchLabels": {"pod": "b"}},
		"ingress": [{"from": [{"namespaceSelector": {}}]}]}'
	np_policy y b-from-all-pods '{"podSelector": {"matchLabels": {"pod": "b"}},
		"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {}}]}]}'
	np_apply
	expect_all 1
	expect from hosts to x/b '*' '*' 0   # x/b's own node-b stays (fixed)
	expect from hosts to y/b '*' '*' 0   # y/b's own node-a stays (fixed)
	np_check
}

# One peer with both selectors is AND; two peers are OR.
and_or() {
	np_case "$1"
	np_policy x a-and '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}},
			"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_policy x c-or '{"podSelector": {"matchLabels": {"pod": "c"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}},
			{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from y/b to x/a '*' '*' 1     # namespace y AND pod b
	expect from '*' to x/c '*' '*' 0
	expect from 'y/*' to x/c '*' '*' 1   # namespace y ...
	expect from x/b to x/c '*' '*' 1     # ... OR pod b of x
	np_check
}

# Traffic passes only when the source's egress and the destination's
# ingress both allow it, on one node (one pass through FORWARD) as
# across two. x/a (node-a) may send to x/c (node-a), y/a (node-b) and
# z/b (node-b); x/c admits only x/b, y/a only namespace z, z admits only
# x/a: so x/a reaches z/b alone, and x/a -> z/a, z/c (admitted, not
# allowed out) and x/a -> x/c, y/a (allowed out, not admitted) fail.
both_ends() {
	np_case "$1"
	np_policy x a-out '{"podSelector": {"matchLabels": {"pod": "a"}},
		"policyTypes": ["Egress"], "egress": [{"to": [
			{"podSelector": {"matchLabels": {"pod": "c"}}},
			{"namespaceSelector": {"matchLabels": {"ns": "y"}},
			 "podSelector": {"matchLabels": {"pod": "a"}}},
			{"namespaceSelector": {"matchLabels": {"ns": "z"}},
			 "podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_policy x c-in '{"podSelector": {"matchLabels": {"pod": "c"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_policy y a-in '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "z"}}}]}]}'
	np_policy z all-in '{"podSelector": {},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}},
			"podSelector": {"matchLabels": {"pod": "a"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/c '*' '*' 0
	expect from x/b to x/c '*' '*' 1
	expect from '*' to 'z/*' '*' '*' 0
	expect from '*' to y/a '*' '*' 0
	expect from 'z/*' to y/a '*' '*' 1
	expect from x/a to '*' '*' '*' 0
	expect from x/a to z/b '*' '*' 1
	np_check
}

# The four operators at once, one target each:
#   x/a from namespaces whose ns In (y, z)
#   x/b from pods of x whose pod NotIn (a): x/c has lost its pod label,
#       and a missing key matches NotIn
#   y/a from pods of y with a role label (Exists): only y/b has one
#   z/a from namespaces without a team label (DoesNotExist): x has one
match_expressions() {
	np_case "$1"
	np_label_pod x/c pod-
	np_label_pod y/b role=client
	np_label_ns x team=blue
	np_policy x a-in '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchExpressions":
			[{"key": "ns", "operator": "In", "values": ["y", "z"]}]}}]}]}'
	np_policy x b-notin '{"podSelector": {"matchLabels": {"pod": "b"}},
		"ingress": [{"from": [{"podSelector": {"matchExpressions":
			[{"key": "pod", "operator": "NotIn", "values": ["a"]}]}}]}]}'
	np_policy y a-exists '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchExpressions":
			[{"key": "role", "operator": "Exists"}]}}]}]}'
	np_policy z a-doesnotexist '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchExpressions":
			[{"key": "team", "operator": "DoesNotExist"}]}}]}]}'
	np_apply
	expect_all 1
	expect from 'x/*' to x/a '*' '*' 0
	expect from '*' to x/b '*' '*' 0
	expect from x/c to x/b '*' '*' 1     # no pod label: NotIn matches
	expect from '*' to y/a '*' '*' 0
	expect from y/b to y/a '*' '*' 1
	expect from 'x/*' to z/a '*' '*' 0
	np_check
}

# Pods that have finished (status.phase Succeeded or Failed) are neither
# targets nor peers: their address may already be a new pod's. Here
# their netns still answer, so the table shows what the rules say. Pods
# with no address yet (Pending) change nothing either.
finished_pods() {
	np_case "$1"
	NP_PHASE[y/b]=Succeeded
	NP_PHASE[z/c]=Failed
	# and two pods with no address yet, one matching each policy
	np_pod_pending y/p node-a '{"pod": "p"}'
	np_pod_pending x/p node-b '{"pod": "a"}'
	np_policy x a-from-ns-y '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	np_policy z deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from y/a to x/a '*' '*' 1
	expect from y/c to x/a '*' '*' 1     # y/b: finished, no peer
	expect from '*' to 'z/*' '*' '*' 0
	expect from 'z/*' to '*' '*' '*' 0
	expect from '*' to z/c '*' '*' 1     # z/c: finished, no target ...
	expect from z/c to '*' '*' '*' 1
	expect from 'z/*' to z/c '*' '*' 0   # ... but z/a, z/b are
	expect from z/c to 'z/*' '*' '*' 0
	expect from z/c to x/a '*' '*' 0     # and x/a admits y only
	np_check
}

@test "v4: podSelector peers: ingress from x/b only, egress to y/a only" {
	pod_selector v4
}

@test "v6: podSelector peers: ingress from x/b only, egress to y/a only" {
	pod_selector v6
}

@test "dual: podSelector peers: ingress from x/b only, egress to y/a only" {
	pod_selector dual
}

@test "v4: namespaceSelector peers, by a label and by kubernetes.io/metadata.name" {
	namespace_selector v4
}

@test "v6: namespaceSelector peers, by a label and by kubernetes.io/metadata.name" {
	namespace_selector v6
}

@test "dual: namespaceSelector peers, by a label and by kubernetes.io/metadata.name" {
	namespace_selector dual
}

@test "v4: namespaceSelector {} admits every pod and no host" {
	namespace_selector_all v4
}

@test "v6: namespaceSelector {} admits every pod and no host" {
	namespace_selector_all v6
}

@test "dual: namespaceSelector {} admits every pod and no host" {
	namespace_selector_all dual
}

@test "v4: both selectors in one peer is AND, two peers are OR" {
	and_or v4
}

@test "v6: both selectors in one peer is AND, two peers are OR" {
	and_or v6
}

@test "dual: both selectors in one peer is AND, two peers are OR" {
	and_or dual
}

@test "v4: the source's egress and the destination's ingress must both allow" {
	both_ends v4
}

@test "v6: the source's egress and the destination's ingress must both allow" {
	both_ends v6
}

@test "dual: the source's egress and the destination's ingress must both allow" {
	both_ends dual
}

@test "v4: matchExpressions In, NotIn, Exists, DoesNotExist (missing keys match NotIn/DoesNotExist)" {
	match_expressions v4
}

@test "v6: matchExpressions In, NotIn, Exists, DoesNotExist (missing keys match NotIn/DoesNotExist)" {
	match_expressions v6
}

@test "dual: matchExpressions In, NotIn, Exists, DoesNotExist (missing keys match NotIn/DoesNotExist)" {
	match_expressions dual
}

@test "v4: finished pods (Succeeded, Failed) are neither targets nor peers; pending ones change nothing" {
	finished_pods v4
}

@test "v6: finished pods (Succeeded, Failed) are neither targets nor peers; pending ones change nothing" {
	finished_pods v6
}

@test "dual: finished pods (Succeeded, Failed) are neither targets nor peers; pending ones change nothing" {
	finished_pods dual
}
