#!/bin/sh
# The DSCO maps in bulk: a CSV of customers, products, shipping methods
# and warehouses imported, exported and imported again into an empty
# database; then every kind of refusal (an unknown DSCO warehouse code,
# an unknown Brightpearl warehouse or shipping method, an unknown DSCO
# service level, DSCO unreachable) names its row and imports nothing.
# The lists are fetched from the sandbox's Brightpearl and DSCO.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$sandbox" ] || { echo "SKIP: pearlsync-sandbox not built"; exit 77; }

"$sandbox" --listen 127.0.0.1:0 --seed demo --quota off \
	>"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
sb_pid=$!
cleanup() {
	kill "$sb_pid" 2>/dev/null || true
	wait "$sb_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
end=$(($(date +%s) + 20))
until grep -q '^ready$' "$tmp/sandbox.out"; do
	[ "$(date +%s)" -lt "$end" ] || fail "sandbox did not start"
	sleep 0.05
done
url_of() { awk -v p="$1" '$1 == p { print $2 }' "$tmp/sandbox.out"; }
bp_url=$(url_of brightpearl)
ds_url=$(url_of dsco)
[ -n "$bp_url" ] && [ -n "$ds_url" ] || fail "sandbox printed no URLs"

ok init
ok settings set brightpearl.base_url "$bp_url"
ok settings set brightpearl.account sandbox
ok settings set brightpearl.app_ref sandbox_pearlsync
ok settings set brightpearl.token sandbox-token
ok settings set dsco.enabled true
ok settings set dsco.base_url "$ds_url"
ok settings set dsco.client_id sandbox-client
ok settings set dsco.client_secret sandbox-secret

cat >"$tmp/dsco.csv" <<'CSV'
kind,direction,source,target
dsco_customer,dsco>bp,,204
dsco_customer,dsco>bp,RET-1,207
dsco_product,dsco>bp,TEE-RED-M,1001
dsco_shipping_method,bp>dsco,,UPCG
dsco_shipping_method,bp>dsco,7,FE2D
dsco_warehouse,bp>dsco,2,WH01
dsco_warehouse,bp>dsco,3,WH02
CSV

step="import the four DSCO maps, checked against fetched lists"
ok mappings import "$tmp/dsco.csv"
expect_out "imported 7 mappings"
ok mappings export
cp "$tmp/out" "$tmp/export.csv"
expect_out '^dsco_warehouse,bp>dsco,2,WH01$'
expect_out '^dsco_shipping_method,bp>dsco,,UPCG$'
expect_out '^dsco_customer,dsco>bp,RET-1,207$'
ok mappings export --kind dsco_warehouse
[ "$(wc -l <"$tmp/out")" -eq 3 ] || fail "--kind dsco_warehouse: 2 rows"

step="export then import round-trips"
printf 'database = "%s";\n' "$tmp/copy.db" >"$tmp/copy.conf"
ok --config "$tmp/copy.conf" init
# the copy has no connection: its lists were never fetched
ok --config "$tmp/copy.conf" mappings import "$tmp/export.csv"
ok --config "$tmp/copy.conf" mappings export
cmp -s "$tmp/out" "$tmp/export.csv" || fail "round trip differs"

snapshot before
refused() { # FILE ROW REASON
	step="refuse $1"
	run mappings import "$tmp/$1"
	expect_rc 1
	expect_err "$1: row $2: $3"
	expect_err "nothing was imported"
	expect_unchanged before
}
printf 'kind,direction,source,target\ndsco_warehouse,bp>dsco,2,WH01\ndsco_warehouse,bp>dsco,3,WH99\n' \
	>"$tmp/bad_dsco_wh.csv"
refused bad_dsco_wh.csv 3 "DSCO warehouse code 'WH99' is not in the list fetched from DSCO"
printf 'kind,direction,source,target\ndsco_warehouse,bp>dsco,42,WH01\n' \
	>"$tmp/bad_bp_wh.csv"
refused bad_bp_wh.csv 2 "Brightpearl warehouse '42' is not in the list fetched from Brightpearl"
printf 'kind,direction,source,target\ndsco_customer,dsco>bp,R,1\ndsco_shipping_method,bp>dsco,99,UPCG\n' \
	>"$tmp/bad_bp_ship.csv"
refused bad_bp_ship.csv 3 "Brightpearl method '99' is not in the list"
printf 'kind,direction,source,target\ndsco_shipping_method,bp>dsco,7,NOPE\n' \
	>"$tmp/bad_level.csv"
refused bad_level.csv 2 "DSCO service level code 'NOPE' is not in the list"
printf 'kind,direction,source,target\ndsco_warehouse,bp>dsco,2,\n' \
	>"$tmp/bad_empty.csv"
refused bad_empty.csv 2 "the target must not be empty"

step="a warehouse added in DSCO is accepted at once (lists fetched afresh)"
curl -sf -X POST -H 'Content-Type: application/json' \
	-d '{"warehouses":[{"code":"WH99","name":"Overflow"}]}' \
	"$(url_of control)/dsco/warehouses" >/dev/null ||
	fail "control API refused the warehouse"
ok mappings import "$tmp/bad_dsco_wh.csv"
ok mappings export --kind dsco_warehouse
expect_out '^dsco_warehouse,bp>dsco,3,WH99$'

step="DSCO unreachable: refused, unless --offline"
ok settings set dsco.base_url "http://127.0.0.1:9/dsco"
printf 'kind,direction,source,target\ndsco_warehouse,bp>dsco,2,WH02\n' \
	>"$tmp/offline.csv"
run mappings import "$tmp/offline.csv"
expect_rc 1
expect_err "cannot fetch DSCO's lists"
expect_err "nothing was imported"
ok mappings import --offline "$tmp/offline.csv"
printf 'kind,direction,source,target\ndsco_warehouse,bp>dsco,2,WH77\n' \
	>"$tmp/offline_bad.csv"
run mappings import --offline "$tmp/offline_bad.csv"
expect_rc 1
expect_err "row 2: DSCO warehouse code 'WH77'"

if grep -q -e sandbox-secret -e sandbox-token "$tmp/all-output"; then
	fail "a secret was printed"
fi
echo PASS
