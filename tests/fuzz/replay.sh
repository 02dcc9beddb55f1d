#!/bin/sh
# replay.sh HARNESS CORPUS WORK SECONDS - run a libFuzzer harness over the
# corpus kept in the tree (read only) for SECONDS; new inputs go to WORK,
# and a crashing input is saved there as crash-* and printed in base64
# so a CI log alone is enough to reproduce it.
set -eu
harness=$1 corpus=$2 work=$3 seconds=$4
mkdir -p "$work/new" "$work/artifacts"
LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan.supp:print_suppressions=0"
export LSAN_OPTIONS
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 1; }
set +e
"$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/new" "$corpus" 2>"$work/log"
rc=$?
set -e
grep -E '^stat::number_of_executed_units|^Done|ERROR|SUMMARY' "$work/log" || :
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$work/log"
	for f in "$work"/artifacts/*; do
		[ -f "$f" ] || continue
		echo "--- $f (base64):"
		base64 "$f" | head -n 200
	done
fi
exit "$rc"
