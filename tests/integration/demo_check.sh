#!/bin/sh
# scripts/demo --check on the programs this build made: it starts the
# sandbox and the worker, shows the dashboard and the sync log, lists the
# tour's failing BigCommerce order (a SKU Brightpearl does not know) with
# its reason, prints the tour's fix, applies it with the command line and
# shows the order synced.  Skipped (77) without curl, which places the
# demo's orders.
set -eu
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not installed"; exit 77; }
src=${PS_SOURCE_DIR:?}
build=$(dirname "${PS_BIN_DIR:?}")
tmp=$(mktemp -d)
out=$tmp/out
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	cat "$out" >&2
	exit 1
}

sh "$src/scripts/demo" --no-install --no-build --build-dir "$build" \
	--demo-dir "$tmp/demo" --check </dev/null >"$out" 2>&1 || fail "scripts/demo --check failed"

# the console's screens as text
grep -q 'Dashboard' "$out" || fail "no dashboard dump"
grep -q 'Sync log' "$out" || fail "no sync log dump"
# the failing order, listed as failed with its reason
order=$(sed -n 's/^The tour: BigCommerce order \([0-9]*\) fails on purpose.*/\1/p' "$out")
[ -n "$order" ] || fail "the tour names no failing order"
grep -E "^[0-9]+ +$order .* failed .*import order $order: SKU 'TEE-RED-MED' not found in Brightpearl" \
	"$out" >/dev/null ||
	fail "order $order is not listed as failed with its reason"
# the tour says how to fix it in the console and retry it
grep -q 'a adds a row: source$' "$out" || fail "the tour lacks the fix"
grep -qE "^ +TEE-RED-MED, target Brightpearl product [0-9]+\.$" "$out" ||
	fail "the tour does not name the Brightpearl product id"
grep -q 'press r: it retries' "$out" || fail "the tour lacks the retry key"
# and the fix works: the order is synced after it
grep -q "^Order $order is synced:" "$out" || fail "order $order did not sync after the fix"
grep -E "^[0-9]+ +$order .* synced " "$out" >/dev/null ||
	fail "order $order is not listed as synced after the fix"
echo "demo_check: ok (order $order failed, fixed, synced)"
