#!/bin/sh
# Mappings: one at a time, and in bulk from CSV, where one bad row names
# its row number and imports nothing.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
mfx="$fixtures/mappings"
ok init

step="set, set-default, list"
ok mappings set order_status 'bc>bp' 11 4
expect_out "version 1"
ok mappings set-default order_status 'bc>bp' 1
ok mappings list
expect_out "order_status  *bc>bp  *(default)  *1"
expect_out "order_status  *bc>bp  *11  *4"
ok settings history
expect_out "mapping:order_status:bc>bp:11"

step="delete, delete-default"
ok mappings delete order_status 'bc>bp' 11
ok mappings delete-default order_status 'bc>bp'
ok mappings list
grep -q order_status "$tmp/out" && fail "mappings left after delete"
run mappings delete order_status 'bc>bp' 11
expect_rc 1

step="bad kind or direction"
run mappings set 'Order Status' 'bc>bp' 1 2
expect_rc 1
expect_err "kind 'Order Status'"
run mappings set order_status 'bc-bp' 1 2
expect_rc 1
expect_err "direction 'bc-bp'"
run mappings set order_status 'bc>bc' 1 2
expect_rc 1

step="import a good CSV (CRLF, quoted fields, default row)"
ok mappings import "$mfx/good.csv"
expect_out "imported 6 mappings"
ok mappings export
cp "$tmp/out" "$tmp/export.csv"
head -n 1 "$tmp/export.csv" | grep -qx "kind,direction,source,target" ||
	fail "export has no header"
expect_out '^order_status,bc>bp,,1$'
expect_out '^shipping_method,bc>bp,"Free Shipping, ground",7$'
expect_out '^shipping_method,bc>bp,"Say ""hi""",8$'
expect_out '^warehouse,bp>sh,2,WH-MAIN$'
ok mappings export --kind warehouse
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--kind did not filter"

step="export then import round-trips"
printf 'database = "%s";\n' "$tmp/copy.db" >"$tmp/copy.conf"
ok --config "$tmp/copy.conf" init
ok --config "$tmp/copy.conf" mappings import "$tmp/export.csv"
ok --config "$tmp/copy.conf" mappings export
cmp -s "$tmp/out" "$tmp/export.csv" || fail "round trip differs"

step="import from stdin"
run_in "$mfx/replace.csv" --config "$tmp/copy.conf" mappings import -
expect_rc 0

step="import --replace"
ok mappings import --replace "$mfx/replace.csv"
ok mappings export --kind order_status
expect_out "order_status,bc>bp,20,9"
grep -q "order_status,bc>bp,11,4" "$tmp/out" && fail "--replace kept old rows"
ok mappings export --kind warehouse
expect_out "warehouse,bp>sh,2,WH-MAIN"

# A bad CSV: the error names the row (header = row 1), nothing imported.
snapshot before
badcsv() {
	step="import $1"
	run mappings import "$mfx/$1"
	expect_rc 1
	expect_err "$1: row $2: $3"
	expect_err "nothing was imported"
	expect_unchanged before
}
badcsv bad_direction.csv 4 "direction 'bc->bp'"
badcsv bad_fields.csv 3 "expected 4 fields"
badcsv empty_target.csv 5 "the target must not be empty"
badcsv bad_kind.csv 2 "kind 'Order Status'"
badcsv duplicate.csv 4 "order_status bc>bp '11' is already mapped in row 2"
badcsv bad_header.csv 1 "the header must be kind,direction,source,target"
badcsv unclosed_quote.csv 2 "a quoted field is not closed"
step="import a missing file"
run mappings import "$tmp/none.csv"
expect_rc 1
expect_unchanged before
step="every bad row is named, not only the first"
cat >"$tmp/two_bad.csv" <<'CSV'
kind,direction,source,target
order_status,bc>bp,30,4
order_status,bc>bp,31
order_status,bc>bp,32,4
order_status,bc->bp,33,4
CSV
run mappings import "$tmp/two_bad.csv"
expect_rc 1
expect_err "two_bad.csv: row 3: expected 4 fields"
expect_err "two_bad.csv: row 5: direction 'bc->bp'"
expect_err "two_bad.csv: 2 bad rows; nothing was imported"
grep -q "row 2:\|row 4:" "$tmp/err" && fail "a good row was named"
expect_unchanged before

step="--check imports nothing"
run mappings import --check "$tmp/two_bad.csv"
expect_rc 1
expect_err "2 bad rows"
ok mappings import --check "$mfx/good.csv"
expect_out "good.csv: 6 mappings checked, all good (--check: nothing imported)"
expect_unchanged before

step="a product table takes only an id while Brightpearl is not configured"
run mappings set product 'bc>bp' OLD-1 CAP-BLK
expect_rc 1
expect_err "'CAP-BLK' is not a Brightpearl product id"
expect_err "nothing was stored"
expect_unchanged before
printf 'kind,direction,source,target\nproduct,bc>bp,OLD-1,CAP-BLK\n' \
	>"$tmp/sku.csv"
run mappings import "$tmp/sku.csv"
expect_rc 1
expect_err "sku.csv: row 2: 'CAP-BLK' is not a Brightpearl product id"
expect_unchanged before
ok mappings set product 'bc>bp' OLD-1 1007
expect_out "Brightpearl product id 1007 not checked (Brightpearl not configured)"
expect_out "product bc>bp OLD-1 -> 1007"
echo "cli_mappings: ok"
