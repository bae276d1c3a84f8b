#!/usr/bin/env bats
#
# What a hostile operator found (issue 5): each test fails on the code
# before the fix. The ownership record exists before the first route of
# a first apply, so a kill -9 at any moment orphans nothing; a full
# state_dir fails the pass (no change without a record, exit 1 without a
# status); commands refuse options they do not take; link names follow
# the kernel's rules; the daemon's watch comes back without a resync;
# the bridge MTU follows the config; status files stay valid UTF-8.

load ../lib/helpers

MOUNTS=()

test_cleanup() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null || true
	done
}

has_routes() { [[ -n $(owned_routes "$@") ]]; }

owned_routes() { # NODE [TABLE]
	local ns
	ns=$(cl_ns "$1")
	# a table with no route yet "does not exist": nothing there
	ip -n "$ns" -4 route show table "${2:-all}" proto "$CL_PROTO" 2>/dev/null
	ip -n "$ns" -6 route show table "${2:-all}" proto "$CL_PROTO" 2>/dev/null
}

# node-a plus N synthetic nodes whose InternalIPs sit on an extra subnet
# of node-a's eth0 (10.128.0.0/16, fd00:128::/64), so every route is
# realizable: pod CIDRs 10.(100+i/256).(i%256).0/24, fd00:245:X:Y::/64.
big_snapshot() { # N
	local fams
	fams=$(printf '%s\n' "${CL_FAMILIES[@]}" | jq -R . | jq -sc .)
	cl_gen_snapshot node-a | jq --argjson n "$1" --argjson fams "$fams" '
		def has(f): $fams | index(f);
		def hex: [while(. > 0; . / 16 | floor) | . % 16 |
		    "0123456789abcdef"[.:.+1]] | reverse | join("") |
		    if . == "" then "0" else . end;
		.items += [range(1; $n + 1) as $i |
		    {apiVersion: "v1", kind: "Node",
		     metadata: {name: "big-\($i)"},
		     spec: {podCIDRs: ([if has("4") then
		         "10.\(100 + ($i / 256 | floor)).\($i % 256).0/24"
		         else empty end] + [if has("6") then
		         "fd00:245:\($i / 256 | floor | hex):\($i % 256 | hex)::/64"
		         else empty end])},
		     status: {addresses: ([if has("4") then {type: "InternalIP",
		         address: "10.128.\($i / 256 | floor).\($i % 256)"}
		         else empty end] + [if has("6") then {type: "InternalIP",
		         address: "fd00:128::\($i | hex)"} else empty end])}}]'
}

big_underlay() {
	local ns
	ns=$(cl_ns node-a)
	if cl_has_family 4; then
		ip -n "$ns" addr add 10.128.255.254/16 dev eth0
	fi
	if cl_has_family 6; then
		ip -n "$ns" addr add fd00:128::ffff/64 dev eth0 nodad
	fi
}

# --- 1a: kill -9 during the first apply (5,000 nodes) ------------------------------------

killed_first_apply() { # VARIANT
	local ns dir pid had_record=unseen n
	cl_init "$1"
	cl_underlay 1
	ns=$(cl_ns node-a)
	dir=$CL_DIR/node-a
	big_underlay
	big_snapshot 5000 >"$dir/snapshot.json"
	[ ! -e "$dir/state/owner.json" ]

	ip netns exec "$ns" "$SNAPNET" apply -c "$dir/agent.ini" \
		>"$dir/apply.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >>"$CL_DIR/pids"
	# the moment the first route is there, the record must be too
	# (an exited child stays a zombie until waited for, so the loop
	# sees the routes even of an apply that already ended)
	while kill -0 "$pid" 2>/dev/null; do
		if [[ -n $(owned_routes node-a | head -1) ]]; then
			[[ -e $dir/state/owner.json ]] && had_record=yes ||
				had_record=no
			# it may have finished in between (IPv6 routes are
			# fast): the order is what is asserted, not the timing
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
	done
	wait "$pid" || true
	n=$(owned_routes node-a | wc -l)
	echo "record when the first route appeared: $had_record;" \
		"routes at the kill: $n of $((5000 * ${#CL_FAMILIES[@]}))"
	[ "$had_record" = yes ]
	jq -e '.routes.protocol == 157 and .routes.table == 254' \
		"$dir/state/owner.json"

	# the new settings are refused, and cleanup under them removes
	# what the recorded ones made: every route of protocol 157
	cl_write_config node-a routes.protocol=158
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "protocol 157 -> 158" <<<"$output"
	cl_snapnet node-a cleanup
	[ -z "$(owned_routes node-a)" ]
	[ ! -e "$dir/state/owner.json" ]
}

@test "v4: a first apply killed -9 mid-way leaves a record; cleanup under new settings removes every route" {
	killed_first_apply v4
}

@test "v6: a first apply killed -9 mid-way leaves a record; cleanup under new settings removes every route" {
	killed_first_apply v6
}

@test "dual: a first apply killed -9 mid-way leaves a record; cleanup under new settings removes every route" {
	killed_first_apply dual
}

# --- 1b: a full state_dir ---------------------------------------------------

fill() { # DIR
	dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null || true
}

full_disk() { # VARIANT
	local dir full ns
	cluster3 "$1"
	dir=$CL_DIR/node-a
	ns=$(cl_ns node-a)
	full=$CL_DIR/full
	mkdir -p "$full"
	mount -t tmpfs -o size=64k tmpfs "$full"
	MOUNTS+=("$full")
	mkdir "$full/state"
	echo 0 >"$full/state/lock" # the lock's pid fits in its page
	cl_write_config node-a agent.state_dir="$full/state" routes.table=104
	fill "$full"

	# no record can be written: nothing changes, exit 1
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "ownership record: .*No space left on device" <<<"$output"
	[ -z "$(owned_routes node-a)" ]
	! ip -n "$ns" link show "$CL_BRIDGE" 2>/dev/null || false

	rm "$full/fill"
	cl_snapnet node-a apply
	[ -n "$(owned_routes node-a 104)" ]
	fill "$full"
	# converged, but the status cannot be written: exit 1
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "status: .*No space left on device" <<<"$output"

	rm "$full/fill"
	cl_write_config node-a agent.state_dir="$full/state" routes.table=105
	run cl_snapnet node-a apply
	[ "$status" -eq 1 ]
	grep -q "table 104 -> 105" <<<"$output"
	cl_snapnet node-a cleanup
	[ -z "$(owned_routes node-a)" ]

	# the daemon: no record, no change; once there is room, the retry
	# timer (resync is off) makes the pass, and the status tells
	echo 0 >"$full/state/lock"
	fill "$full"
	cl_start node-a
	cl_wait 3000 grep -q "ownership record: .*No space" "$dir/run.log" ||
		{ cat "$dir/run.log"; false; }
	[ -z "$(owned_routes node-a)" ]
	rm "$full/fill"
	cl_wait 5000 has_routes node-a 105
	cl_wait 5000 jq -e '.result == "ok" and .status_write_failures >= 1
		and (.status_write_error | test("No space"))' \
		"$full/state/status.json"
	[ "$(owned_routes node-a 105 | wc -l)" = "$((2 * ${#CL_FAMILIES[@]}))" ]
}

@test "v4: a full state_dir: no change without a record, exit 1 without a status, the daemon retries" {
	full_disk v4
}

@test "v6: a full state_dir: no change without a record, exit 1 without a status, the daemon retries" {
	full_disk v6
}

@test "dual: a full state_dir: no change without a record, exit 1 without a status, the daemon retries" {
	full_disk dual
}

# --- 2, 3, 8: options, names, small ones ------------------------------------

refused() { # EXPECTED-TEXT CMD...
	local want=$1
	shift
	run "$@"
	echo "$* -> rc=$status: $output"
	[ "$status" -eq 1 ]
	grep -q -- "$want" <<<"$output"
	grep -q "usage: snapnet" <<<"$output"
}

options() { # VARIANT
	local ns dir ini snap
	cluster3 "$1"
	ns=$(cl_ns node-a)
	dir=$CL_DIR/node-a
	ini=$(cl_ini node-a)
	snap=$(cl_snapshot_path node-a)
	refused "does not take --offline" cl_snapnet node-a apply --offline
	refused "does not take --offline" \
		ip netns exec "$ns" "$SNAPNET" run --offline -c "$ini"
	refused "does not take --force" "$SNAPNET" validate --force "$snap"
	refused "takes 0 arguments, not 1" cl_snapnet node-a plan extra-arg
	refused "takes 1 argument, not 2" "$SNAPNET" validate "$snap" "$snap"
	refused "--node needs a non-empty value" cl_snapnet node-a plan --node ""
	refused "-s needs a non-empty value" cl_snapnet node-a plan -s ""
	refused "does not take -s" cl_snapnet node-a cleanup -s "$snap"
	refused "does not take --node" cl_snapnet node-a status --node x
	refused "takes no options" "$SNAPNET" version extra
	# none of it touched the machine
	[ -z "$(owned_routes node-a)" ]
	! ip -n "$ns" link show "$CL_BRIDGE" 2>/dev/null || false
	[ ! -e "$dir/state/owner.json" ]
	[ ! -e "$dir/cni/10-snapnet.conflist" ]

	# a bridge name the kernel would rewrite: refused at load, FILE:LINE
	cl_write_config node-a cni.bridge=a%db
	run cl_snapnet node-a apply
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "agent.ini:[0-9]*: \[cni\] bridge = \"a%db\"" <<<"$output"
	! ip -n "$ns" link show a0b 2>/dev/null || false
	[ -z "$(ip -n "$ns" -br link show type bridge)" ]

	# without CAP_NET_ADMIN: the reason, not a lock error
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SNAPNET" apply -c "$ini"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "needs root (CAP_NET_ADMIN)" <<<"$output"
}

@test "v4: commands refuse options they do not take; bridge names by the kernel's rules; non-root told why" {
	options v4
}

@test "v6: commands refuse options they do not take; bridge names by the kernel's rules; non-root told why" {
	options v6
}

@test "dual: commands refuse options they do not take; bridge names by the kernel's rules; non-root told why" {
	options dual
}

# --- 4: the daemon's watch comes back ---------------------------------------

deaf() { # VARIANT
	local dir
	cluster3 "$1"
	dir=$CL_DIR/node-a
	mkdir "$dir/snap"
	cp "$dir/snapshot.json" "$dir/snap/snapshot.json"
	cl_write_config node-a agent.snapshot="$dir/snap/snapshot.json"
	cl_start_ready node-a
	cl_assert_routes node-a node-a node-b node-c
	mv "$dir/snap" "$dir/snap.old"
	mkdir "$dir/snap"
	cl_write_snapshot "$dir/snap/snapshot.json" node-a node-b
	cl_wait_routes 5000 node-a node-a node-b
	grep -q "watching .*/snap/snapshot.json again" "$dir/run.log"
	# and it keeps listening there
	cl_write_snapshot "$dir/snap/snapshot.json" node-a node-c
	cl_wait_routes 3000 node-a node-a node-c
}

@test "v4: a daemon without resync re-watches a re-created snapshot directory" {
	deaf v4
}

@test "v6: a daemon without resync re-watches a re-created snapshot directory" {
	deaf v6
}

@test "dual: a daemon without resync re-watches a re-created snapshot directory" {
	deaf dual
}

# --- 5: bridge MTU -----------------------------------------------------------

mtu_of() { ip -n "$(cl_ns node-a)" -j link show "$CL_BRIDGE" | jq '.[0].mtu'; }

bridge_mtu() { # VARIANT
	cluster3 "$1"
	cl_write_config node-a cni.mtu=1400
	cl_snapnet node-a apply
	[ "$(mtu_of)" = 1400 ]
	cl_write_config node-a cni.mtu=9000
	run cl_snapnet node-a plan
	echo "$output"
	[ "$status" -eq 2 ]
	grep -qx "link set $CL_BRIDGE mtu 9000" <<<"$output"
	cl_snapnet node-a apply
	[ "$(mtu_of)" = 9000 ]
	run cl_snapnet node-a plan
	[ "$status" -eq 0 ]
	# 0: leave the kernel's value; only the conflist changes
	cl_write_config node-a cni.mtu=0
	run cl_snapnet node-a plan
	echo "$output"
	[ "$status" -eq 2 ]
	! grep -q mtu <<<"$output" || false
	cl_snapnet node-a apply
	[ "$(mtu_of)" = 9000 ]
	run cl_snapnet node-a plan
	[ "$status" -eq 0 ]
}

@test "v4: the bridge MTU follows [cni] mtu; 0 leaves the kernel's value" {
	bridge_mtu v4
}

@test "v6: the bridge MTU follows [cni] mtu; 0 leaves the kernel's value" {
	bridge_mtu v6
}

@test "dual: the bridge MTU follows [cni] mtu; 0 leaves the kernel's value" {
	bridge_mtu dual
}

# --- 6: status text stays UTF-8 -----------------------------------------------

utf8_status() { # VARIANT
	local dir snap name
	cluster3 "$1"
	dir=$CL_DIR/node-a
	snap=$(cl_snapshot_path node-a)
	# a rejected Node name with multi-byte characters: the status file
	# still parses (cl_teardown checks every state file strictly too)
	cl_start_ready node-a
	name="a$(printf 'ö%.0s' $(seq 60))"
	jq --arg n "$name" '.items[1].metadata.name = $n' "$snap" |
		cl_write_snapshot_raw "$snap"
	cl_wait_status node-a '.result == "error" and
		(.error | test("invalid node name"))' 3000
	python3 -c 'import json, sys; json.load(open(sys.argv[1],
		encoding="utf-8", errors="strict"))' "$dir/state/status.json"
	cl_assert_routes node-a node-a node-b node-c
}

@test "v4: an error naming a multi-byte Node name leaves status.json valid UTF-8 JSON" {
	utf8_status v4
}

@test "v6: an error naming a multi-byte Node name leaves status.json valid UTF-8 JSON" {
	utf8_status v6
}

@test "dual: an error naming a multi-byte Node name leaves status.json valid UTF-8 JSON" {
	utf8_status dual
}

# --- 7: the hostname as kubelet takes it ---------------------------------------

hostname_case() { # VARIANT
	local ns dir snap
	cluster3 "$1"
	ns=$(cl_ns node-a)
	dir=$CL_DIR/node-a
	snap=$(cl_snapshot_path node-a)
	jq '.items[0].metadata.name = "worker-a"' "$snap" >"$dir/worker.json"
	run ip netns exec "$ns" unshare -u sh -c \
		"hostname Worker-A && exec $SNAPNET plan --offline -s $dir/worker.json"
	echo "$output"
	[ "$status" -eq 2 ]
	grep -q "route add" <<<"$output"
}

@test "v4: without node_name the hostname Worker-A is node worker-a, as kubelet has it" {
	hostname_case v4
}

@test "v6: without node_name the hostname Worker-A is node worker-a, as kubelet has it" {
	hostname_case v6
}

@test "dual: without node_name the hostname Worker-A is node worker-a, as kubelet has it" {
	hostname_case dual
}

# --- 8: the smaller ones --------------------------------------------------------

small_ones() { # VARIANT
	local ns dir snap cni out
	cluster3 "$1"
	ns=$(cl_ns node-a)
	dir=$CL_DIR/node-a
	snap=$(cl_snapshot_path node-a)
	cni=$dir/cni
	cl_snapnet node-a apply

	# plan under changed ownership settings shows the refusal
	cl_write_config node-a routes.protocol=158
	run cl_snapnet node-a plan
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "^# apply would be refused: .*protocol 157 -> 158" <<<"$output"
	! grep -q "route add" <<<"$output" || false
	cl_write_config node-a

	# a stale temp file of the conflist goes; a look-alike stays
	touch "$cni/10-snapnet.conflist.tmp.AbC123" \
		"$cni/10-snapnet.conflist.tmp.keep"
	run cl_snapnet node-a plan
	grep -qx "cni remove $cni/10-snapnet.conflist.tmp.AbC123" <<<"$output"
	cl_snapnet node-a apply
	[ ! -e "$cni/10-snapnet.conflist.tmp.AbC123" ]
	[ -e "$cni/10-snapnet.conflist.tmp.keep" ]
	run cl_snapnet node-a plan
	[ "$status" -eq 0 ]

	# a UTF-8 byte order mark is fine
	{ printf '\xef\xbb\xbf'; cat "$snap"; } >"$dir/bom.json"
	run cl_snapnet node-a plan -s "$dir/bom.json"
	echo "$output"
	[ "$status" -eq 0 ]

	# relative paths are the config file's, whatever the cwd
	sed -i "s|^state_dir = .*|state_dir = state|" "$dir/agent.ini"
	(cd /tmp && ip netns exec "$ns" "$SNAPNET" apply -c "$dir/agent.ini")
	(cd "$BATS_TEST_TMPDIR" && ip netns exec "$ns" "$SNAPNET" apply \
		-c "$dir/agent.ini")
	[ ! -e /tmp/state ] && [ ! -e "$BATS_TEST_TMPDIR/state" ]
	jq -e . "$dir/state/owner.json"

	# cleanup says what becomes of an operator's address on our bridge
	if cl_has_family 4; then
		ip -n "$ns" addr add 192.0.2.7/24 dev "$CL_BRIDGE"
	else
		ip -n "$ns" addr add 2001:db8::7/64 dev "$CL_BRIDGE" nodad
	fi
	out=$(cl_snapnet node-a cleanup 2>&1)
	echo "$out"
	grep -q "not snapnet's, removed together with the bridge" <<<"$out"
}

@test "v4: plan shows refusals; stale temps go; a BOM is fine; relative paths are the config's; cleanup says what it takes" {
	small_ones v4
}

@test "v6: plan shows refusals; stale temps go; a BOM is fine; relative paths are the config's; cleanup says what it takes" {
	small_ones v6
}

@test "dual: plan shows refusals; stale temps go; a BOM is fine; relative paths are the config's; cleanup says what it takes" {
	small_ones dual
}
