#!/usr/bin/env bats
#
# NetworkPolicy basics against snapnet's firewall: no policy, default deny
# of ingress, of egress, of both, allow-all rules ({}) stacked on a deny,
# the API's policyTypes defaulting, policyTypes ignoring the rules of a
# direction it does not list, and empty from/to/ports lists. Every case probes the full matrix
# (9 pods x 9 pods, TCP and UDP, ports 80 and 81, every family of the
# variant; with `np_hosts on` the two node hosts too) against a table
# written by hand (lib/netpol.bash describes the DSL).

bats_require_minimum_version 1.5.0

NP_CONFIG=(firewall.enabled=yes)
load lib/netpol

no_policy() {
	np_case "$1"
	np_hosts on
	np_apply
	expect_all 1
	np_check
}

deny_ingress() {
	np_case "$1"
	np_hosts on
	np_policy x deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_apply
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	# the other node's host too; a pod's own node stays allowed (fixed)
	expect from hosts to 'x/*' '*' '*' 0
	np_check
}

deny_egress() {
	np_case "$1"
	np_hosts on
	np_policy x deny-egress '{"podSelector": {}, "policyTypes": ["Egress"]}'
	np_apply
	expect_all 1
	expect from 'x/*' to '*' '*' '*' 0
	# egress to hosts, its own node's included, is egress too
	expect from 'x/*' to hosts '*' '*' 0
	np_check
}

deny_all() {
	np_case "$1"
	np_hosts on
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_apply
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	expect from hosts to 'x/*' '*' '*' 0
	expect from 'x/*' to '*' '*' '*' 0
	expect from 'x/*' to hosts '*' '*' 0
	np_check
}

# Upstream: "multiple ingress/egress policies with allow-all taking
# precedence". A {} rule allows every source (hosts included) and port.
allow_all_stacked() {
	np_case "$1"
	np_hosts on
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_policy x allow-ingress '{"podSelector": {}, "ingress": [{}]}'
	np_policy x allow-egress '{"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]}'
	# y: only port 80 in, then an allow-all on top
	np_policy y ingress-80 '{"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}'
	np_policy y allow-ingress '{"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}'
	np_apply
	expect_all 1
	np_check
}

# The same without the allow-all of y: the port-80 rule alone (TCP, the
# protocol's default) is what y admits.
allow_port_then_not_all() {
	np_case "$1"
	np_policy y ingress-80 '{"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}'
	np_policy x allow-egress '{"podSelector": {}, "egress": [{}]}'
	np_apply
	expect_all 1
	expect from '*' to 'y/*' '*' '*' 0
	expect from '*' to 'y/*' tcp 80 1
	# policyTypes absent with an egress rule: the API defaults it to
	# [Ingress, Egress], so x is isolated for ingress with no rule
	expect from '*' to 'x/*' '*' '*' 0
	np_check
}

# policyTypes decides the directions, whatever rules the spec holds:
# x/a is Egress-only (its ingress rule is ignored: not isolated for
# ingress), x/b Ingress-only (its egress rule is ignored). Empty "from",
# "to" and "ports" lists mean every peer and every port (y/c).
policy_types() {
	np_case "$1"
	np_hosts on
	np_policy x a-egress-only '{"podSelector": {"matchLabels": {"pod": "a"}},
		"policyTypes": ["Egress"],
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	np_policy x b-ingress-only '{"podSelector": {"matchLabels": {"pod": "b"}},
		"policyTypes": ["Ingress"],
		"ingress": [{"from": [], "ports": [{"protocol": "UDP"}]}],
		"egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "c"}}}]}]}'
	np_policy y c-empty-lists '{"podSelector": {"matchLabels": {"pod": "c"}},
		"policyTypes": ["Ingress", "Egress"],
		"ingress": [{"from": [], "ports": []}],
		"egress": [{"to": [], "ports": []}]}'
	np_apply
	expect_all 1
	expect from x/a to '*' '*' '*' 0
	expect from x/a to hosts '*' '*' 0
	expect from x/a to 'y/*' '*' '*' 1
	expect from '*' to x/b tcp '*' 0
	expect from hosts to x/b tcp '*' 0
	np_check
}

@test "v4: no policy: every pod and host reaches every other" {
	no_policy v4
}

@test "v6: no policy: every pod and host reaches every other" {
	no_policy v6
}

@test "dual: no policy: every pod and host reaches every other" {
	no_policy dual
}

@test "v4: default deny ingress in x" {
	deny_ingress v4
}

@test "v6: default deny ingress in x" {
	deny_ingress v6
}

@test "dual: default deny ingress in x" {
	deny_ingress dual
}

@test "v4: default deny egress in x (hosts included)" {
	deny_egress v4
}

@test "v6: default deny egress in x (hosts included)" {
	deny_egress v6
}

@test "dual: default deny egress in x (hosts included)" {
	deny_egress dual
}

@test "v4: default deny ingress and egress in x" {
	deny_all v4
}

@test "v6: default deny ingress and egress in x" {
	deny_all v6
}

@test "dual: default deny ingress and egress in x" {
	deny_all dual
}

@test "v4: allow-all rules ({}) stacked on denies open everything" {
	allow_all_stacked v4
}

@test "v6: allow-all rules ({}) stacked on denies open everything" {
	allow_all_stacked v6
}

@test "dual: allow-all rules ({}) stacked on denies open everything" {
	allow_all_stacked dual
}

@test "v4: a port-only rule admits TCP 80; policyTypes defaults to Ingress+Egress with an egress rule" {
	allow_port_then_not_all v4
}

@test "v6: a port-only rule admits TCP 80; policyTypes defaults to Ingress+Egress with an egress rule" {
	allow_port_then_not_all v6
}

@test "dual: a port-only rule admits TCP 80; policyTypes defaults to Ingress+Egress with an egress rule" {
	allow_port_then_not_all dual
}

@test "v4: policyTypes decides the directions; empty from/to/ports lists mean all" {
	policy_types v4
}

@test "v6: policyTypes decides the directions; empty from/to/ports lists mean all" {
	policy_types v6
}

@test "dual: policyTypes decides the directions; empty from/to/ports lists mean all" {
	policy_types dual
}
