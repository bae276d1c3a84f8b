# shellcheck shell=bash
# lib.sh - helpers of tests/bench/bench.sh (sourced, not run).
#
# Expects from the caller: SNAPNET, NODE, PFX (netns prefix), TMP (scratch
# dir), REPORT, RUNS, NOOP, SLIM, NODES, BATCH, BENCH_MODEL, the array
# M_MISSED (the model's missed targets) and the variable DAEMON (pid of the
# running daemon, cleared when it is stopped).

say()
{
	printf '%s\n' "$*" | tee -a "$REPORT"
}

tee_report()
{
	tee -a "$REPORT"
}

cpu_model()
{
	sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1
}

mem_total()
{
	awk '/^MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo
}

# median of the numbers given as arguments
median()
{
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) print "n/a";
		else if (NR % 2) print a[(NR + 1) / 2];
		else printf "%g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# a time in ms with one decimal (status.json has sub-ms resolution)
fmt_ms()
{
	awk -v v="$1" 'BEGIN { if (v == "" || v == "null") print "n/a";
		else printf "%.1f\n", v }'
}

# "met" or "missed": verdict VALUE LIMIT (lower is better)
verdict()
{
	awk -v v="$1" -v l="$2" \
		'BEGIN { print (v + 0 <= l + 0) ? "met" : "MISSED" }'
}

# run_timed CMD...: runs CMD under /usr/bin/time -v; sets T_MS (wall, ms,
# from the monotonic-enough realtime clock around it), T_RSS_MB (peak RSS)
# and T_RC; stdout/stderr of CMD go to $TMP/out and $TMP/err.
run_timed()
{
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err"
	T_RC=$?
	t1=$(date +%s%N)
	T_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
	T_RSS_MB=$(awk -F': ' '/Maximum resident set size/ {
		printf "%.1f", $2 / 1024 }' "$TMP/time")
}

# -- network namespaces ----------------------------------------------------

ns_del()
{
	ip netns del "$1" 2>/dev/null
}

ns_cleanup()
{
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' |
		    grep "^$1-"); do
		ns_del "$ns"
	done
}

# ns_pair NAME: namespace $PFX-NAME standing for node-00001, whose veth snb0
# carries node-00001's InternalIPs on the whole underlay (10.0.0.0/15,
# fd00:10::/64), so every other node's InternalIP is a connected next hop.
# The other end, snb1, sits in $PFX-NAME-p. No traffic is ever sent.
ns_pair()
{
	local ns=$PFX-$1 peer=$PFX-$1-p
	ip netns add "$ns" && ip netns add "$peer" &&
	ip link add snb0 netns "$ns" type veth peer name snb1 netns "$peer" &&
	ip -n "$ns" link set lo up &&
	ip -n "$ns" addr add 10.1.0.1/15 dev snb0 &&
	ip -n "$ns" addr add fd00:10::1/64 dev snb0 nodad &&
	ip -n "$peer" addr add 10.1.255.254/15 dev snb1 &&
	ip -n "$peer" addr add fd00:10::fffe/64 dev snb1 nodad &&
	ip -n "$peer" link set snb1 up &&
	ip -n "$ns" link set snb0 up
}

ns_pair_del()
{
	ns_del "$PFX-$1"
	ns_del "$PFX-$1-p"
}

# write_conf DIR SNAPSHOT: an agent config for node-00001, routes only
write_conf()
{
	mkdir -p "$1/state"
	cat >"$1/agent.ini" <<-EOF
	[agent]
	node_name = $NODE
	snapshot = $2
	state_dir = $1/state
	resync_interval = 0
	log_level = warning
	[cni]
	enabled = no
	[routes]
	enabled = yes
	protocol = 157
	EOF
}

# -- a. cold load ----------------------------------------------------------

# bench_load LABEL FILE RUNS TARGET_MS TARGET_MB
bench_load()
{
	local label=$1 file=$2 runs=$3 i ms=() rss=() mb med_ms med_rss line
	mb=$(awk -v s="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", s / 1e6 }')
	cat "$file" >/dev/null # into the page cache: we time the agent
	for ((i = 0; i < runs; i++)); do
		run_timed "$SNAPNET" validate --node "$NODE" "$file"
		if [ "$T_RC" != 0 ]; then
			say "   $label: validate failed (exit $T_RC):" \
				"$(head -c 300 "$TMP/err")"
			return
		fi
		ms+=("$T_MS")
		rss+=("$T_RSS_MB")
	done
	med_ms=$(median "${ms[@]}")
	med_rss=$(median "${rss[@]}")
	line=$(printf '   %-5s %7.1f MB: %7.0f ms wall, %6.1f MB peak RSS,' \
		"$label" "$mb" "$med_ms" "$med_rss")
	line+=$(awk -v m="$mb" -v t="$med_ms" \
		'BEGIN { printf " %4.0f MB/s", m / (t / 1000) }')
	if [ -n "$4" ]; then
		line+="  (target <= $4 ms: $(verdict "$med_ms" "$4"),"
		line+=" <= $5 MB: $(verdict "$med_rss" "$5"))"
	fi
	say "$line"
	[ "$runs" -gt 1 ] && say "         runs: ${ms[*]} ms; ${rss[*]} MB"
	say "         $(head -1 "$TMP/out")"
}

# -- b. no-op reconcile ------------------------------------------------------

# status_get DIR JQ-FILTER
status_get()
{
	jq -r "$2" "$1/state/status.json" 2>/dev/null
}

# wait_passes DIR N TIMEOUT_S: until status.json shows passes >= N
wait_passes()
{
	local dir=$1 n=$2 deadline p
	deadline=$(($(date +%s) + $3))
	while [ "$(date +%s)" -le "$deadline" ]; do
		p=$(status_get "$dir" '.passes // 0')
		[ -n "$p" ] && [ "$p" -ge "$n" ] && return 0
		if ! kill -0 "$DAEMON" 2>/dev/null; then
			return 2
		fi
		sleep 0.02
	done
	return 1
}

stop_daemon()
{
	[ -n "$DAEMON" ] || return 0
	kill -TERM "$DAEMON" 2>/dev/null
	wait "$DAEMON" 2>/dev/null
	DAEMON=
}

# noop_pass DIR HOW: triggers one pass (HOW = rewrite | sigusr1), waits for
# it and sets from status.json P_DUR P_LOAD P_UNCH P_DONE P_PLANNED P_RES,
# plus P_LAT_MS (trigger to status visible: includes the debounce and the
# 20 ms poll).
noop_pass()
{
	local d=$1 prev t0 t1 q
	prev=$(status_get "$d" '.passes')
	if [ "$2" = rewrite ]; then
		cp "$SLIM" "$d/snap/.snapshot.json.tmp"
		t0=$(date +%s%N)
		mv -f "$d/snap/.snapshot.json.tmp" "$d/snap/snapshot.json"
	else
		t0=$(date +%s%N)
		kill -USR1 "$DAEMON"
	fi
	wait_passes "$d" $((prev + 1)) 60 || return 1
	t1=$(date +%s%N)
	P_LAT_MS=$(awk -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%.0f", (b - a) / 1e6 }')
	q='"\(.duration_ms) \(.load_ms) \(.snapshot_unchanged)'
	q+=' \(.functions.routes.done) \(.functions.routes.planned)'
	q+=' \(.result)"'
	read -r P_DUR P_LOAD P_UNCH P_DONE P_PLANNED P_RES \
		< <(status_get "$d" "$q")
	P_DUR=$(fmt_ms "$P_DUR")
	P_LOAD=$(fmt_ms "$P_LOAD")
}

# noop_series DIR HOW: NOOP passes; sets S_DUR S_LOAD S_LAT (arrays),
# S_UNCH (list), S_WRITES (sum of routes.done), S_PLANNED, S_BAD (results
# other than ok)
noop_series()
{
	local i
	S_DUR=() S_LOAD=() S_LAT=() S_UNCH='' S_WRITES=0 S_PLANNED=0 S_BAD=0
	for ((i = 0; i < NOOP; i++)); do
		if ! noop_pass "$1" "$2"; then
			say "   no pass after $2 $((i + 1)); log:" \
				"$(tail -c 400 "$1/daemon.log")"
			return 1
		fi
		S_DUR+=("$P_DUR")
		S_LOAD+=("$P_LOAD")
		S_LAT+=("$P_LAT_MS")
		S_UNCH+="$P_UNCH "
		S_WRITES=$((S_WRITES + P_DONE))
		S_PLANNED=$((S_PLANNED + P_PLANNED))
		[ "$P_RES" = ok ] || S_BAD=$((S_BAD + 1))
	done
}

# start_daemon DIR: snapnet run in $PFX-noop, waits for its first pass
start_daemon()
{
	local d=$1 q res
	ip netns exec "$PFX-noop" "$SNAPNET" run -c "$d/agent.ini" \
		>"$d/daemon.log" 2>&1 &
	DAEMON=$!
	if ! wait_passes "$d" 1 120; then
		say "   no first pass; log: $(tail -c 400 "$d/daemon.log")"
		return 1
	fi
	q='"result \(.result), \(.duration_ms * 10 | floor / 10) ms'
	q+=' (load \(.load_ms * 10 | floor / 10) ms),'
	q+=' routes done \(.functions.routes.done)'
	q+=' failed \(.functions.routes.failed) \(.error)"'
	res=$(status_get "$d" "$q")
	say "   first pass (empty kernel): $res"
	[ "$(status_get "$d" .result)" = ok ]
}

bench_noop()
{
	local d=$TMP/noop med w
	mkdir -p "$d/snap"
	cp "$SLIM" "$d/snap/snapshot.json"
	write_conf "$d" "$d/snap/snapshot.json"
	ns_pair noop || { say "   could not create the namespaces"; return; }
	if start_daemon "$d" && noop_series "$d" rewrite; then
		med=$(median "${S_DUR[@]}")
		w=$([ "$S_WRITES" = 0 ] && [ "$S_PLANNED" = 0 ] &&
			echo met || echo MISSED)
		say "   no-op pass: median $med ms (runs: ${S_DUR[*]} ms;" \
			"load_ms ${S_LOAD[*]})"
		say "     target <= 150 ms: $(verdict "$med" 150)"
		say "   snapshot_unchanged: ${S_UNCH}; results not ok: $S_BAD"
		say "   routes planned $S_PLANNED, done $S_WRITES" \
			"(target 0 kernel writes: $w)"
		say "   rename -> status visible: median" \
			"$(median "${S_LAT[@]}") ms (debounce_ms 100 + 20 ms poll)"
		# Same snapshot, forced: what the periodic drift repair costs.
		if noop_series "$d" sigusr1; then
			say "   resync (SIGUSR1, same snapshot): median" \
				"$(median "${S_DUR[@]}") ms (runs: ${S_DUR[*]});" \
				"routes done $S_WRITES"
		fi
	fi
	stop_daemon
	ns_pair_del noop
}

# -- c. routes -------------------------------------------------------------

# route_dump NS: the owned routes of both families, normalized
route_dump()
{
	{
		ip -n "$1" -4 route show proto 157
		ip -n "$1" -6 route show proto 157
	} | sed 's/ *$//' | sort
}

# route_run R: one round in fresh namespaces $PFX-raR (snapnet) and
# $PFX-rbR (ip -batch); appends to R_A R_B R_RSS R_PLAN, sets R_N4 R_N6
route_run()
{
	local r=$1
	if ! ns_pair "ra$r" || ! ns_pair "rb$r"; then
		say "   could not create the namespaces"
		return 1
	fi
	write_conf "$TMP/ra$r" "$NODES"
	run_timed ip netns exec "$PFX-ra$r" "$SNAPNET" apply \
		-c "$TMP/ra$r/agent.ini" -s "$NODES"
	if [ "$T_RC" != 0 ]; then
		say "   snapnet apply failed (exit $T_RC):" \
			"$(head -c 300 "$TMP/err")"
		return 1
	fi
	R_A+=("$T_MS")
	R_RSS+=("$T_RSS_MB")
	# apply writes status.json too: the pass as timed inside the agent
	R_IN+=("$(fmt_ms "$(jq -r '.duration_ms // empty' \
		"$TMP/ra$r/state/status.json" 2>/dev/null)")")
	run_timed ip netns exec "$PFX-rb$r" ip -batch "$BATCH"
	if [ "$T_RC" != 0 ]; then
		say "   ip -batch failed (exit $T_RC): $(head -c 300 "$TMP/err")"
		return 1
	fi
	R_B+=("$T_MS")
	R_N4=$(ip -n "$PFX-ra$r" -4 route show proto 157 | wc -l)
	R_N6=$(ip -n "$PFX-ra$r" -6 route show proto 157 | wc -l)
	cmp -s <(route_dump "$PFX-ra$r") <(route_dump "$PFX-rb$r") ||
		R_SAME=no
	run_timed ip netns exec "$PFX-ra$r" "$SNAPNET" plan \
		-c "$TMP/ra$r/agent.ini" -s "$NODES"
	R_PLAN+=("$T_RC/$(wc -l <"$TMP/out")")
	ns_pair_del "ra$r"
	ns_pair_del "rb$r"
}

bench_routes()
{
	local r ma mb x plan_ok=met
	R_A=() R_B=() R_RSS=() R_PLAN=() R_IN=() R_SAME=yes
	for ((r = 0; r < ${RUNS:?}; r++)); do
		route_run "$r" || return
	done
	ma=$(median "${R_A[@]}")
	mb=$(median "${R_B[@]}")
	for x in "${R_PLAN[@]}"; do
		[ "$x" = 0/0 ] || plan_ok=MISSED
	done
	say "   snapnet apply, nodes-only snapshot: median $ma ms" \
		"(runs: ${R_A[*]}), peak RSS $(median "${R_RSS[@]}") MB"
	[ -n "${R_IN[*]}" ] &&
		say "     of which the pass inside snapnet (status.json" \
			"duration_ms): median $(median "${R_IN[@]}") ms"
	say "   ip -batch, same routes:            median $mb ms" \
		"(runs: ${R_B[*]})"
	say "   ratio ip -batch / snapnet: $(awk -v a="$ma" -v b="$mb" \
		'BEGIN { printf "%.2f", b / a }')" \
		"(target snapnet at least as fast: $(verdict "$ma" "$mb"))"
	say "   routes after apply: $R_N4 IPv4 + $R_N6 IPv6;" \
		"identical to ip -batch's: $R_SAME"
	say "   snapnet plan right after apply, exit/lines: ${R_PLAN[*]}" \
		"(target exit 0, no line: $plan_ok)"
	# End to end: the same apply, loading the whole slim snapshot.
	ns_pair rs || return
	write_conf "$TMP/rs" "$SLIM"
	run_timed ip netns exec "$PFX-rs" "$SNAPNET" apply \
		-c "$TMP/rs/agent.ini" -s "$SLIM"
	say "   snapnet apply, whole slim snapshot (load + routes): $T_MS ms," \
		"exit $T_RC, peak RSS $T_RSS_MB MB"
	ns_pair_del rs
}

# -- e. model ----------------------------------------------------------------

# minmax NUMBERS...: "MIN-MAX"
minmax()
{
	printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
		END { if (NR) printf "%s-%s\n", lo, hi; else print "n/a" }'
}

# model_fig LABEL WHAT UNIT TARGET VALUES...: one figure, its median, min
# and max next to its target (none when TARGET is empty); a missed target
# is added to M_MISSED.
model_fig()
{
	local label=$1 what=$2 unit=$3 target=$4 med v line
	shift 4
	med=$(median "$@")
	line=$(printf '     %-30s %8.1f %-2s  (min-max %s)' "$what" "$med" \
		"$unit" "$(minmax "$@")")
	if [ -n "$target" ]; then
		v=$(verdict "$med" "$target")
		line+="  target <= $target $unit: $v"
		[ "$v" = met ] || { line+=" <<<"; M_MISSED+=("$label $what"); }
	else
		line+="  (no target)"
	fi
	say "$line"
}

# bench_model LABEL BASE CHANGED_SLICE CHANGED_POD RUNS TARGET_COLD_MS
#   TARGET_MB [TARGET_RELOAD_MS]
# RUNS fresh processes of `bench_model BASE SLICE BASE POD`: the cold load,
# then three one-item reloads (the slice change, the slice changed back,
# the pod change), each against the snapshot before it.
bench_model()
{
	local label=$1 base=$2 cs=$3 cp=$4 runs=$5 tc=$6 tm=$7 tr=${8:-} i
	local cold=() rss=() peak=() rs=() rb=() rp=() walked=() mb
	local c_ms c_rss c_items c_anon c_file r1 f1 r2 f2 r3 f3
	mb=$(awk -v s="$(stat -c %s "$base")" 'BEGIN { printf "%.1f", s / 1e6 }')
	cat "$base" "$cs" "$cp" >/dev/null # into the page cache
	for ((i = 0; i < runs; i++)); do
		run_timed "$BENCH_MODEL" "$base" "$cs" "$base" "$cp"
		if [ "$T_RC" != 0 ]; then
			say "   $label: bench_model failed (exit $T_RC):" \
				"$(head -c 300 "$TMP/err")"
			M_MISSED+=("$label (failed)")
			return
		fi
		read -r c_ms c_rss c_items c_anon c_file r1 f1 r2 f2 r3 f3 \
			< <(awk '$1 == "cold" { c = $3 " " $4 " " $5 " " \
					substr($6, 6) " " substr($7, 6) }
				$1 == "reload" { r = r " " $3 " " substr($4, 7) }
				END { print c r }' "$TMP/out")
		if [ -z "${f3:-}" ]; then
			say "   $label: unexpected output: $(head -c 300 "$TMP/out")"
			M_MISSED+=("$label (failed)")
			return
		fi
		cold+=("$c_ms") rss+=("$c_rss") peak+=("$T_RSS_MB")
		rs+=("$r1") rb+=("$r2") rp+=("$r3") walked+=("$f1/$f2/$f3")
	done
	say "   $label ($mb MB, $c_items items), median of $runs runs" \
		"(a fresh process each):"
	model_fig "$label" "cold load" ms "$tc" "${cold[@]}"
	model_fig "$label" "peak RSS after the cold load" MB "$tm" "${rss[@]}"
	model_fig "$label" "reload, 1 slice +1 endpoint" ms "$tr" "${rs[@]}"
	model_fig "$label" "reload, 1 pod +1 label" ms "$tr" "${rp[@]}"
	model_fig "$label" "reload, the slice changed back" ms "" "${rb[@]}"
	model_fig "$label" "peak RSS, cold + 3 reloads" MB "" "${peak[@]}"
	say "         records walked by the 3 reloads: $(printf '%s\n' \
		"${walked[@]}" | sort | uniq -c | awk '{ printf "%s%s x %s",
		(NR > 1 ? ", " : ""), $2, $1 }') (1/1/1: only the changed item);" \
		"after the cold load RssAnon $c_anon MB, RssFile $c_file MB"
	[ "$runs" -gt 1 ] && say "         runs: cold ${cold[*]} ms;" \
		"slice ${rs[*]} ms; pod ${rp[*]} ms"
}
