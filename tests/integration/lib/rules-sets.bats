#!/usr/bin/env bats
# The rule writer and the sets module against the kernel, both iptables
# backends, both families (rules-sets.sh prints TAP of its own: 144
# checks, in fresh network namespaces it removes on exit).

@test "rule writer and ipsets: every canonical form, drift repair, atomic swaps, cleanup, backend detection" {
	run "$BATS_TEST_DIRNAME/rules-sets.sh"
	echo "$output" | grep -E '^(not ok|# )' || true
	[ "$status" -eq 0 ]
	! echo "$output" | grep -q '^not ok'
	[ "$(echo "$output" | grep -c '^ok')" -ge 100 ]
}
