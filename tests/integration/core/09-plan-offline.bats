#!/usr/bin/env bats
#
# plan --offline needs neither root nor a namespace: run as nobody in the
# root namespace, it plans against an empty kernel, exits 2, prints a
# route line per peer and family of the variant (and none of a family the
# variant lacks), and writes nothing.

load ../lib/helpers

plan_offline() { # VARIANT
	local dir p f want
	dir=$(mktemp -d /tmp/snapnet-offline.XXXXXX)
	chmod 755 "$dir"
	cl_init "$1" "$dir"
	mkdir -p "$dir/node-a"
	cl_write_config node-a
	cl_write_snapshot "$(cl_snapshot_path node-a)" node-a node-b node-c
	# CI may clone into a directory nobody cannot enter: run a copy.
	install -m 755 "$SNAPNET" "$dir/snapnet"
	chmod -R a+rX "$dir"
	CL_OWN_DIR=1 # removed by teardown

	run --separate-stderr setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$dir/snapnet" plan --offline -c "$(cl_ini node-a)"
	echo "rc=$status"
	echo "stdout:"
	echo "$output"
	echo "stderr: $stderr"
	[ "$status" -eq 2 ]
	for p in node-b node-c; do
		for f in 4 6; do
			want="route add $(cl_pod_cidr "$p" "$f") via $(cl_node_addr "$p" "$f") "
			if cl_has_family "$f"; then
				grep -qF "$want" <<<"$output"
			else
				! grep -qF "$want" <<<"$output" || false
			fi
		done
	done
	[ "$(grep -c '^route add ' <<<"$output")" -eq \
		$((2 * ${#CL_FAMILIES[@]})) ]
	! grep -q "^route del " <<<"$output" || false
	[ ! -e "$(cl_conflist node-a)" ]
	[ ! -e "$dir/node-a/state/status.json" ]
}

@test "v4: plan --offline as nobody, no namespace: exit 2, IPv4 route lines" {
	plan_offline v4
}

@test "v6: plan --offline as nobody, no namespace: exit 2, IPv6 route lines" {
	plan_offline v6
}

@test "dual: plan --offline as nobody, no namespace: exit 2, both families" {
	plan_offline dual
}
