#!/bin/sh
# check-examples.sh - the schema and `snapnet validate` must agree on every
# snapshot under examples/:
#   examples/*.json, examples/valid/*.json  valid for both
#   examples/invalid/schema/*.json  rejected by both
#   examples/invalid/semantic/*.json  schema-valid, rejected by snapnet
#                                   (rules across items or with arithmetic)
# Prints one line per file and "N passed, N failed"; exits 1 on any
# disagreement. Then check-addresses.py holds the schema's address and pod
# CIDR patterns to the loader's arithmetic on many text forms.
# SNAPNET overrides the binary (default build/snapnet).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
snapnet=${SNAPNET:-$root/build/snapnet}
py=/usr/bin/python3
schema=$root/schemas/snapshot.schema.json

cd "$root" || exit 1
if [ ! -x "$snapnet" ]; then
	echo "check-examples: $snapnet not built" >&2
	exit 1
fi
files=$(find examples -name '*.json' | LC_ALL=C sort)
if [ -z "$files" ]; then
	echo "check-examples: no examples found" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# one python run for all files: starting python per file is slow
# shellcheck disable=SC2086
"$py" tests/schema/validate.py "$schema" $files >"$tmp/schema" || exit 1

pass=0
fail=0
for f in $files; do
	case $f in
	examples/invalid/schema/*) want_s=invalid want_n=invalid ;;
	examples/invalid/semantic/*) want_s=valid want_n=invalid ;;
	examples/invalid/*) want_s=? want_n=? ;;
	*) want_s=valid want_n=valid ;;
	esac
	line=$(awk -v f="$f" '$2 == f || $2 == f ":" { print; exit }' \
		"$tmp/schema")
	got_s=${line%% *}
	"$snapnet" validate "$f" >/dev/null 2>"$tmp/err"
	rc=$?
	case $rc in
	0) got_n=valid ;;
	1) got_n=invalid ;;
	*) got_n="exit $rc" ;;
	esac
	s_why=${line#*"$f"}
	s_why=${s_why#: }
	why="schema: ${s_why:-$got_s}; snapnet: $(head -n1 "$tmp/err")"
	if [ "$got_s" = "$want_s" ] && [ "$got_n" = "$want_n" ]; then
		pass=$((pass + 1))
		echo "PASS $f (schema $got_s, snapnet $got_n)"
	else
		fail=$((fail + 1))
		echo "FAIL $f: want schema $want_s, snapnet $want_n;" \
			"got schema ${got_s:-?}, snapnet $got_n ($why)"
	fi
done
echo "$pass passed, $fail failed"
# The full kubectl form and the slim form of one cluster: one model.
"$snapnet" validate --dump examples/cluster-dual.json >"$tmp/slim.dump" &&
	"$snapnet" validate --dump examples/cluster-dual-full.json \
		>"$tmp/full.dump" &&
	if cmp -s "$tmp/slim.dump" "$tmp/full.dump"; then
		echo "PASS full and slim forms dump the same model" \
			"($(wc -l <"$tmp/slim.dump") lines)"
	else
		diff "$tmp/slim.dump" "$tmp/full.dump" | head -20
		echo "FAIL full and slim forms differ"
		fail=$((fail + 1))
	fi
"$py" tests/schema/check-addresses.py "$schema" "$snapnet" || fail=$((fail + 1))
[ "$fail" -eq 0 ]
