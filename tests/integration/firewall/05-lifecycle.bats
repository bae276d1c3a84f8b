#!/usr/bin/env bats
#
# Policies over time and the traffic the API always lets through:
# stacked policies are a union; an updated policy replaces the old one; a
# deleted one leaves nothing (the kernel state equals the state without
# it, and with no policy left no SNAPNET-FW chain, jump or snapnet- set)
# and takes effect under the default delete guard;
# pod and namespace label changes take effect with no policy change;
# replies of allowed connections pass both ways; a pod's own node always
# reaches it; a second apply changes nothing; default_deny_new_pods
# isolates a pod whose netns exists before the snapshot knows it; NDP
# (and ARP) keep working under deny-all; denied packets are logged to
# NFLOG; the daemon's incremental passes do the same as one-shot applies
# and repair drift.

bats_require_minimum_version 1.5.0

NP_CONFIG=(firewall.enabled=yes)
load lib/netpol

teardown() {
	[[ -n ${BATS_TEST_COMPLETED:-} ]] || np_diagnose
	[[ -z ${CL_DIR:-} ]] || np_pod_extra_del x/d 2>/dev/null || true
	[[ -z ${CL_DIR:-} ]] || np_daemons_stop 2>/dev/null || true
}

# Three policies select x/a: namespace y on TCP 81, namespace y on TCP
# 80, pod c of x on any UDP port. Traffic any one admits passes.
stacked() {
	np_case "$1"
	np_policy x a-y-81 '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
			"ports": [{"protocol": "TCP", "port": 81}]}]}'
	np_policy x a-y-80 '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
			"ports": [{"protocol": "TCP", "port": 80}]}]}'
	np_policy x a-c-udp '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "c"}}}],
			"ports": [{"protocol": "UDP"}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from 'y/*' to x/a tcp '*' 1
	expect from x/c to x/a udp '*' 1
	np_check
}

# The same name, a new spec: only the new one holds, new peers and ports,
# then a new target.
updated() {
	np_case "$1"
	np_policy x a-only '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from x/b to x/a '*' '*' 1
	np_check

	NP_POLICIES=()
	np_policy x a-only '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "c"}}}],
			"ports": [{"protocol": "TCP", "port": 80}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from x/c to x/a tcp 80 1
	np_check

	# the same policy now selects pod b: x/a is free again
	NP_POLICIES=()
	np_policy x a-only '{"podSelector": {"matchLabels": {"pod": "b"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "c"}}}],
			"ports": [{"protocol": "TCP", "port": 80}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/b '*' '*' 0
	expect from x/c to x/b tcp 80 1
	np_check
}

# NODE's firewall state as one text (rules, then sets with members).
fw_state() { # NODE
	np_fw_rules "$1"
	echo "-- sets"
	local s
	for s in $(np_fw_sets "$1"); do
		ip netns exec "$(cl_ns "$1")" ipset list "$s" |
			sed -n '/^Name:/p;/^Members:/,$p' | sort
	done
}

# Deleting a policy: A alone, then A and B, then A alone again must give
# the kernel state of A alone, byte for byte; with none left, nothing.
deleted() {
	local n
	local -A state_a=()
	np_case "$1"
	np_policy x deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_apply
	for n in "${CL_NODES[@]}"; do
		state_a[$n]=$(fw_state "$n")
	done
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	np_check

	np_policy y a-from-x-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}},
			"podSelector": {"matchLabels": {"pod": "b"}}}],
			"ports": [{"port": "serve-80-tcp"}, {"protocol": "UDP", "port": 81}]}]}'
	np_apply
	expect from '*' to y/a '*' '*' 0
	expect from x/b to y/a tcp 80 1
	expect from x/b to y/a udp 81 1
	np_check

	NP_POLICIES=("${NP_POLICIES[0]}")
	np_apply
	for n in "${CL_NODES[@]}"; do
		diff <(echo "${state_a[$n]}") <(fw_state "$n") ||
			np_err "$n: deleting a policy did not restore the state" \
				"without it (diff above: < before, > now)" || return 1
	done
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	np_check

	NP_POLICIES=()
	np_apply
	for n in "${CL_NODES[@]}"; do
		[[ -z $(np_fw_rules "$n") && -z $(np_fw_sets "$n") ]] ||
			np_err "$n: no policy left, yet:"$'\n'"$(fw_state "$n")" ||
			return 1
	done
	expect_all 1
	np_check
}

# Upstream "should stop enforcing policies after they are deleted", with
# snapnet's default settings (no --force, max_delete_share 0.5): the
# deletion of a cluster's only policy, and of two of three, must take
# effect in one apply. A delete guard that holds it back keeps enforcing
# a policy that no longer exists.
deleted_default_guard() {
	local rc=0
	np_case "$1"
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_apply
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	expect from 'x/*' to '*' '*' '*' 0
	np_check

	# the table is shown even when apply refuses: what traffic sees
	NP_POLICIES=()
	NP_NO_FORCE=1 np_apply || rc=1
	expect_all 1
	np_check
	((rc == 0))

	np_policy x a-from-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_policy y deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_policy z b-to-x '{"podSelector": {"matchLabels": {"pod": "b"}},
		"policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector":
			{"matchLabels": {"ns": "x"}}}]}]}'
	np_apply
	NP_POLICIES=("${NP_POLICIES[1]}")
	NP_NO_FORCE=1 np_apply || rc=1
	expect_all 1
	expect from '*' to 'y/*' '*' '*' 0
	np_check
	((rc == 0))
}

# Labels change, policies do not. x/a admits pods labelled role=friend
# from any namespace; z isolates pods labelled isolated=yes.
pod_labels() {
	np_case "$1"
	np_policy x a-from-friends '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {},
			"podSelector": {"matchLabels": {"role": "friend"}}}]}]}'
	np_policy z isolate-labelled '{"podSelector": {"matchLabels": {"isolated": "yes"}},
		"policyTypes": ["Ingress"]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	np_check

	np_label_pod y/c role=friend
	np_label_pod x/b role=friend
	np_label_pod z/b isolated=yes
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from y/c to x/a '*' '*' 1
	expect from x/b to x/a '*' '*' 1
	expect from '*' to z/b '*' '*' 0
	np_check

	np_label_pod y/c role-
	np_label_pod z/b isolated-
	np_label_pod z/c isolated=yes
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from x/b to x/a '*' '*' 1
	expect from '*' to z/c '*' '*' 0
	np_check
}

# x/a admits namespaces labelled team=blue: none, then z, then y only.
namespace_labels() {
	np_case "$1"
	np_policy x a-from-blue '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]}'
	np_apply
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	np_check

	np_label_ns z team=blue
	np_apply
	expect from 'z/*' to x/a '*' '*' 1
	np_check

	np_label_ns z team-
	np_label_ns y team=blue
	np_apply
	expect from 'z/*' to x/a '*' '*' 0
	expect from 'y/*' to x/a '*' '*' 1
	np_check
}

# x/a may not open a connection, y/b may not be connected to; both still
# talk: the replies of connections the other side opened pass (conntrack).
replies() {
	np_case "$1"
	np_hosts on
	np_policy x a-no-egress '{"podSelector": {"matchLabels": {"pod": "a"}},
		"policyTypes": ["Egress"]}'
	np_policy y b-no-ingress '{"podSelector": {"matchLabels": {"pod": "b"}},
		"policyTypes": ["Ingress"]}'
	np_apply
	expect_all 1
	expect from x/a to '*' '*' '*' 0
	expect from x/a to hosts '*' '*' 0
	expect from '*' to y/b '*' '*' 0
	expect from hosts to y/b '*' '*' 0
	# what the table shows on top: every pod and host -> x/a is 1 (x/a's
	# answers leave it), y/b -> everything is 1 (the answers come in)
	np_check
}

# Deny-all ingress everywhere: a pod's own node still reaches it, the
# other node does not; pods still reach every host (no egress policy).
own_host() {
	np_case "$1"
	np_hosts on
	np_policy x deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_policy y deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_policy z deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_apply
	expect_all 1
	expect from '*' to '*' '*' '*' 0
	expect from hosts to '*' '*' '*' 0   # then the fixed rule: own node 1
	np_check
}

# After an apply, plan has nothing to do and a second apply does nothing.
second_apply() {
	local n before
	np_case "$1"
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_policy x a-named "{\"podSelector\": {\"matchLabels\": {\"pod\": \"a\"}},
		\"ingress\": [{\"from\": [{\"namespaceSelector\": {\"matchLabels\": {\"ns\": \"y\"}}}],
			\"ports\": [{\"port\": \"serve-80-tcp\"}, {\"protocol\": \"UDP\", \"port\": 80, \"endPort\": 81}]}],
		\"egress\": [{\"to\": $(np_ipblocks node-b y/a)}]}"
	np_policy y all-from-x-c '{"podSelector": {},
		"ingress": [{"from": [{"namespaceSelector": {"matchExpressions":
			[{"key": "ns", "operator": "NotIn", "values": ["z"]}]},
			"podSelector": {"matchLabels": {"pod": "c"}}}]}]}'
	np_apply
	for n in "${CL_NODES[@]}"; do
		before=$(fw_state "$n")
		run --separate-stderr cl_snapnet "$n" plan
		echo "$n plan: rc=$status stdout=[$output] stderr=[$stderr]"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		run cl_snapnet "$n" apply --force
		echo "$n second apply: rc=$status: $output"
		[ "$status" -eq 0 ]
		[[ $output == *"firewall: 0 planned, 0 done, 0 failed"* ]]
		[ "$(fw_state "$n")" = "$before" ]
	done
}

# default_deny_new_pods: x/d's netns exists (wired by CNI, serving) but
# the snapshot does not know it: it can neither send nor receive, before
# any pass saw it and after one; once it is in the snapshot, it is a pod
# like the others (no policy: reachable). The one exception is its own
# node's host (the fixed rule: kubelet must reach a pod it is starting;
# the firewall has no OUTPUT hook).
new_pods() {
	np_case "$1"
	np_hosts on
	np_config firewall.default_deny_new_pods=yes
	np_apply
	np_pod_extra x/d node-a
	expect_all 1
	expect from x/d to '*' '*' '*' 0
	expect from '*' to x/d '*' '*' 0
	expect from x/d to hosts '*' '*' 0   # its own node-a too
	expect from hosts to x/d '*' '*' 0   # node-a: fixed rule, see below
	np_check                 # no pass since the netns appeared
	np_apply
	np_check                 # a pass that still does not know it
	np_pod_extra_publish x/d '{"pod": "d"}'
	np_apply
	expect_all 1
	np_check
	np_pod_extra_del x/d
}

# State of the neighbour entry for IP in NETNS (empty when none).
neigh_state() { # NETNS FAMILY IP
	ip -n "$1" -"$2" neigh show "$3" | awk '{print $NF}'
}

# NDP under deny-all (ARP in IPv4, as a control): x is deny-all both ways,
# except x/a -> x/c (same node: neighbour = the pod) and x/a -> y/a
# (other node: neighbour = the gateway). With the neighbour caches of
# x/a, x/c and node-a's bridge flushed, both connect; and a peer the
# policy refuses still resolves (neighbour discovery is not policy).
ndp() {
	local f xa xc gw st
	np_case "$1"
	np_policy x deny-all '{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}'
	np_policy x a-out '{"podSelector": {"matchLabels": {"pod": "a"}},
		"policyTypes": ["Egress"], "egress": [{"to": [
			{"podSelector": {"matchLabels": {"pod": "c"}}},
			{"namespaceSelector": {"matchLabels": {"ns": "y"}},
			 "podSelector": {"matchLabels": {"pod": "a"}}}]}]}'
	np_policy x c-in '{"podSelector": {"matchLabels": {"pod": "c"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "a"}}}]}]}'
	np_apply
	xa=$(np_podns x/a)
	xc=$(np_podns x/c)
	ip -n "$xa" neigh flush all
	ip -n "$xc" neigh flush all
	ip -n "$(cl_ns node-a)" neigh flush dev "$CL_BRIDGE"
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	expect from 'x/*' to '*' '*' '*' 0
	expect from x/a to x/c '*' '*' 1
	expect from x/a to y/a '*' '*' 1
	np_check
	for f in "${CL_FAMILIES[@]}"; do
		gw=$(ip -n "$xa" -"$f" route show default | awk '{print $3; exit}')
		for ip in "${NP_IP[x/c,$f]}" "$gw"; do
			st=$(neigh_state "$xa" "$f" "$ip")
			echo "x/a IPv$f neighbour $ip: $st"
			[[ $st == REACHABLE || $st == STALE || $st == DELAY ||
				$st == PROBE ]]
		done
	done
	for f in "${CL_FAMILIES[@]}"; do
		# y/b (node-a) is refused by policy; its address still resolves
		ip -n "$xa" -"$f" neigh flush all
		run ip netns exec "$xa" ping -c1 -W1 "${NP_IP[y/b,$f]}"
		[ "$status" -ne 0 ]
		st=$(neigh_state "$xa" "$f" "${NP_IP[y/b,$f]}")
		echo "x/a IPv$f neighbour y/b ${NP_IP[y/b,$f]} after a refused ping: $st"
		[[ $st == REACHABLE || $st == STALE || $st == DELAY || $st == PROBE ]]
	done
}

# plan (no lock: it runs next to the daemon) dumps the kernel and plans
# from scratch: nothing to do means the daemon's incremental pass left
# exactly what a fresh one would.
plan_clean() {
	local n
	for n in "${CL_NODES[@]}"; do
		run --separate-stderr cl_snapnet "$n" plan
		echo "$n plan: rc=$status stdout=[$output]"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
	done
}

# Denied packets reach NFLOG (group 100) before they are rejected, with
# the direction in the prefix, both families; allowed ones do not; with
# log_denied = no nothing is logged. The listener runs in node-a's netns,
# where x/a (ingress-isolated) and y/b (egress-isolated) live. A big burst:
# the rate limit is per rule and earlier cases of this file may have
# spent the default's 10.
nflog_listen() { # OUT
	local i
	ip netns exec "$(cl_ns node-a)" "$NP_FWPROBE" nflog 100 3000 >"$1" &
	NFLOG_PID=$!
	for ((i = 0; i < 40; i++)); do
		[[ $(head -n1 "$1") == ready ]] && return 0
		sleep 0.05
	done
	np_err "the nflog listener did not start: $(cat "$1")"
}

nflog_probe() {
	local f jobs=
	for f in "${CL_FAMILIES[@]}"; do
		jobs+="in$f $(np_podns z/b) ${NP_IP[x/a,$f]} tcp 80"$'\n'
		jobs+="out$f $(np_podns y/b) ${NP_IP[z/b,$f]} udp 81"$'\n'
		jobs+="ok$f $(np_podns x/b) ${NP_IP[x/c,$f]} tcp 80"$'\n'
	done
	np_probe <<<"${jobs%$'\n'}"
}

logged() {
	local f log=$BATS_TEST_TMPDIR/nflog
	np_case "$1"
	np_config firewall.log_burst=1000
	np_policy x a-no-ingress '{"podSelector": {"matchLabels": {"pod": "a"}},
		"policyTypes": ["Ingress"]}'
	np_policy y b-no-egress '{"podSelector": {"matchLabels": {"pod": "b"}},
		"policyTypes": ["Egress"]}'
	np_apply
	# the table first: it proves the policies, and the probes that follow
	# meet resolved neighbours (a first IPv6 SYN may be lost to NDP)
	expect_all 1
	expect from '*' to x/a '*' '*' 0
	expect from y/b to '*' '*' '*' 0
	np_check
	nflog_listen "$log"
	run nflog_probe
	echo "$output"
	wait "$NFLOG_PID"
	echo "--- logged:"; cat "$log"
	for f in "${CL_FAMILIES[@]}"; do
		[[ $output == *"in$f refused"* && $output == *"ok$f ok x/c"* ]]
		[[ $output != *"out$f ok"* ]]
		grep -qxF "snapnet-deny-ingress ${NP_IP[z/b,$f]} ${NP_IP[x/a,$f]} tcp" "$log"
		grep -qxF "snapnet-deny-egress ${NP_IP[y/b,$f]} ${NP_IP[z/b,$f]} udp" "$log"
		! grep -q " ${NP_IP[x/b,$f]} " "$log"
	done

	np_config firewall.log_denied=no
	np_apply
	nflog_listen "$log"
	run nflog_probe
	wait "$NFLOG_PID"
	echo "--- logged with log_denied = no:"; cat "$log"
	[[ $output == *refused* ]]
	[ "$(cat "$log")" = ready ]
}

# A kernel without the NFLOG target, as the iptables tools see it: with
# iptables_dir pointing at wrappers, a restore that holds `-j NFLOG` fails
# the way iptables-restore fails on a kernel without xt_NFLOG (the real
# tools do the rest). The first restore
# fails, the probe finds NFLOG missing, the log rules are left out and
# reported, the retry writes every reject. A second apply (a new process:
# it knows nothing of the kernel yet) tries once more the same way and
# leaves the rules exactly as they were; with the real tools again the
# log rules come back.
fake_no_nflog() { # DIR
	local t
	mkdir -p "$1"
	for t in {ip,ip6}tables-{nft,legacy}-{save,restore}; do
		cat >"$1/$t" <<-EOF
		#!/bin/bash
		in=\$(cat)
		if grep -q -e '-j NFLOG' <<<"\$in"; then
			echo "$t v1.8.9: Couldn't load target NFLOG: No such file or directory" >&2
			echo "Error occurred at line: 2" >&2
			exit 2
		fi
		exec /usr/sbin/$t "\$@" <<<"\$in"
		EOF
		chmod +x "$1/$t"
	done
}

no_nflog() {
	local n before fake=$BATS_TEST_TMPDIR/no-nflog
	fake_no_nflog "$fake"
	np_case "$1"
	np_policy x deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_config firewall.iptables_dir="$fake"
	np_apply
	for n in "${CL_NODES[@]}"; do
		cat "$CL_DIR/$n/apply.log"
		grep -q "no NFLOG target" "$CL_DIR/$n/apply.log"
		[[ $(np_fw_rules "$n") == *"-j REJECT"* ]]
		[[ $(np_fw_rules "$n") != *NFLOG* ]]
	done
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	np_check
	for n in "${CL_NODES[@]}"; do
		before=$(fw_state "$n")
		run cl_snapnet "$n" apply --force
		echo "$n second apply: rc=$status: $output"
		[ "$status" -eq 0 ]
		[[ $output == *"firewall: "*" 0 failed, ${#CL_FAMILIES[@]} reported"* ]]
		[[ $output == *"no NFLOG target"* ]]
		[ "$(fw_state "$n")" = "$before" ]
	done
	np_config
	np_apply
	for n in "${CL_NODES[@]}"; do
		[[ $(np_fw_rules "$n") == *"-j NFLOG --nflog-prefix snapnet-deny-ingress"* ]]
	done
}

# The daemon: after a snapshot change its pass plans against what its
# last apply wrote (no iptables-save, no set listing); a SIGUSR1 pass
# dumps the kernel and repairs drift. Policies, then label changes, then
# a hand-flushed chain (the table proves the flush opened x, then the
# repair), then a finished pod, then no policy at all; after each pass a
# plan from scratch finds nothing to do.
daemon() {
	local n f t
	np_case "$1"
	# force = yes: the delete guard has a case of its own above
	np_config agent.force=yes
	np_daemons_start
	np_policy x deny-ingress '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_policy y a-from-friends '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {},
			"podSelector": {"matchLabels": {"role": "friend"}}}]}]}'
	np_publish
	expect_all 1
	expect from '*' to 'x/*' '*' '*' 0
	expect from '*' to y/a '*' '*' 0
	np_check
	plan_clean

	np_label_pod z/b role=friend
	np_label_pod x/c role=friend
	np_publish
	expect from z/b to y/a '*' '*' 1
	expect from x/c to y/a '*' '*' 1
	np_check
	plan_clean

	for n in "${CL_NODES[@]}"; do
		for f in "${CL_FAMILIES[@]}"; do
			t=iptables
			[[ $f == 6 ]] && t=ip6tables
			ip netns exec "$(cl_ns "$n")" $t -F SNAPNET-FW-INGRESS
		done
	done
	run np_check
	[ "$status" -ne 0 ]      # the flush let traffic into x and y/a
	np_kick
	np_check
	plan_clean

	NP_PHASE[z/b]=Failed
	np_publish
	expect from z/b to y/a '*' '*' 0
	np_check
	plan_clean

	NP_POLICIES=()
	np_publish
	expect_all 1
	np_check
	for n in "${CL_NODES[@]}"; do
		[[ -z $(np_fw_rules "$n") && -z $(np_fw_sets "$n") ]] ||
			np_err "$n: no policy left, yet:"$'\n'"$(np_fw_rules "$n")" ||
			return 1
	done
	np_daemons_stop
}

@test "v4: stacked policies add up (union)" {
	stacked v4
}

@test "v6: stacked policies add up (union)" {
	stacked v6
}

@test "dual: stacked policies add up (union)" {
	stacked dual
}

@test "v4: an updated policy replaces the old one" {
	updated v4
}

@test "v6: an updated policy replaces the old one" {
	updated v6
}

@test "dual: an updated policy replaces the old one" {
	updated dual
}

@test "v4: a deleted policy leaves nothing behind" {
	deleted v4
}

@test "v6: a deleted policy leaves nothing behind" {
	deleted v6
}

@test "dual: a deleted policy leaves nothing behind" {
	deleted dual
}

@test "v4: deleting policies takes effect with the default delete guard" {
	deleted_default_guard v4
}

@test "v6: deleting policies takes effect with the default delete guard" {
	deleted_default_guard v6
}

@test "dual: deleting policies takes effect with the default delete guard" {
	deleted_default_guard dual
}

@test "v4: pod label changes take effect without a policy change" {
	pod_labels v4
}

@test "v6: pod label changes take effect without a policy change" {
	pod_labels v6
}

@test "dual: pod label changes take effect without a policy change" {
	pod_labels dual
}

@test "v4: namespace label changes take effect without a policy change" {
	namespace_labels v4
}

@test "v6: namespace label changes take effect without a policy change" {
	namespace_labels v6
}

@test "dual: namespace label changes take effect without a policy change" {
	namespace_labels dual
}

@test "v4: replies pass: an egress-denied pod answers, an ingress-denied pod gets answers" {
	replies v4
}

@test "v6: replies pass: an egress-denied pod answers, an ingress-denied pod gets answers" {
	replies v6
}

@test "dual: replies pass: an egress-denied pod answers, an ingress-denied pod gets answers" {
	replies dual
}

@test "v4: under deny-all ingress a pod's own node still reaches it" {
	own_host v4
}

@test "v6: under deny-all ingress a pod's own node still reaches it" {
	own_host v6
}

@test "dual: under deny-all ingress a pod's own node still reaches it" {
	own_host dual
}

@test "v4: a second apply changes nothing (plan exits 0)" {
	second_apply v4
}

@test "v6: a second apply changes nothing (plan exits 0)" {
	second_apply v6
}

@test "dual: a second apply changes nothing (plan exits 0)" {
	second_apply dual
}

@test "v4: default_deny_new_pods isolates a pod the snapshot does not know yet" {
	new_pods v4
}

@test "v6: default_deny_new_pods isolates a pod the snapshot does not know yet" {
	new_pods v6
}

@test "dual: default_deny_new_pods isolates a pod the snapshot does not know yet" {
	new_pods dual
}

@test "v4: ARP under deny-all: neighbours resolve, allowed peers connect (control)" {
	ndp v4
}

@test "v6: NDP under deny-all: neighbours resolve, allowed peers connect" {
	ndp v6
}

@test "dual: NDP and ARP under deny-all: neighbours resolve, allowed peers connect" {
	ndp dual
}

@test "v4: denied packets are logged to NFLOG, allowed ones not; log_denied = no logs none" {
	logged v4
}

@test "v6: denied packets are logged to NFLOG, allowed ones not; log_denied = no logs none" {
	logged v6
}

@test "dual: denied packets are logged to NFLOG, allowed ones not; log_denied = no logs none" {
	logged dual
}

@test "v4: a kernel without NFLOG: log rules left out and reported, every reject written" {
	no_nflog v4
}

@test "v6: a kernel without NFLOG: log rules left out and reported, every reject written" {
	no_nflog v6
}

@test "dual: a kernel without NFLOG: log rules left out and reported, every reject written" {
	no_nflog dual
}

@test "v4: the daemon: incremental passes, drift repaired by SIGUSR1, every policy deleted" {
	daemon v4
}

@test "v6: the daemon: incremental passes, drift repaired by SIGUSR1, every policy deleted" {
	daemon v6
}

@test "dual: the daemon: incremental passes, drift repaired by SIGUSR1, every policy deleted" {
	daemon dual
}
