#!/bin/sh
# A refused CSV import in the mapping editor is shown where the operator
# looks: the prompt closes, a box lists every bad row by its row number and
# stays until Enter or q; a long list scrolls.  A good file's outcome stays
# in the bottom line.  At 80x24, and with forty bad rows at 60x20.  The
# CLI's --check refuses the same file with the same rows.
# PS_CAPTURE_DIR, when it names a directory, receives text dumps of the
# main screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
"$ps" init >/dev/null

cat >"$tmp/bad.csv" <<'CSV'
kind,direction,source,target
order_status,bc>bp,9,2
order_status,bc>bp,11
order_status,bc>bp,9,5
order_status,bp>bc,2,9
product,bc>bp,OLD-1,CAP-BLK
CSV
cat >"$tmp/good.csv" <<'CSV'
kind,direction,source,target
order_status,bc>bp,9,2
order_status,bc>bp,,1
CSV

open_statuses() {
	keys "$1" 3
	wait_for "$1" "Mapping tables"
	wait_match "$1" '^>.*Order statuses, BigCommerce to Brightpearl'
	keys "$1" Enter
	wait_for "$1" "a:add  Enter:change target"
}

step="80x24: a refused file"
start_console c
wait_for c "[1 Dashboard]"
open_statuses c
keys c i
wait_for c "Import rows from CSV file:"
keys c "$tmp/bad.csv" Enter
wait_for c "4 problems: nothing imported from $tmp/bad.csv"
wait_gone c "Import rows from CSV file:"
wait_for c "row 3: 3 fields, expected 4"
wait_for c "row 4: source '9' appears twice (also row 2)"
wait_for c "row 5: order_status bp>bc does not belong in this table"
wait_for c "row 6: product bc>bp does not belong in this table"
wait_for c "Nothing was imported."
wait_for c "pearlsync mappings import"
wait_for c "--check"
wait_for c "bad.csv"
[ -d "${PS_CAPTURE_DIR:-}" ] && screen_of c >"$PS_CAPTURE_DIR/import-refused.txt"
# it stays: a key that means nothing here changes nothing
keys c z
wait_for c "row 3: 3 fields, expected 4"
keys c Enter
wait_gone c "nothing imported"
wait_for c "0 rows, no default"

step="80x24: a good file"
keys c i
wait_for c "Import rows from CSV file:"
keys c "$tmp/good.csv" Enter
wait_for c "2 rows imported from $tmp/good.csv."
wait_gone c "Import rows from CSV file:"
wait_match c '^>?.*\(default: anything else\) +1'
keys c Q
wait_exit c
[ "$rc" = 0 ] || fail "console exit status $rc"

step="60x20: forty bad rows scroll"
{
	echo "kind,direction,source,target"
	i=1
	while [ $i -le 40 ]; do
		echo "order_status,bp>bc,$i,9"
		i=$((i + 1))
	done
} >"$tmp/many.csv"
PS_COLS=60 PS_ROWS=20 start_console s
wait_for s "[1 Dashboard]"
open_statuses s
keys s i
wait_for s "Import rows from CSV file:"
keys s "$tmp/many.csv" Enter
wait_for s "40 problems"
wait_for s "row 2: order_status bp>bc"
wait_match s 'lines 1-[0-9]+ of [0-9]+'
keys s G
wait_for s "row 41: order_status bp>bc"
keys s q
wait_gone s "40 problems"
wait_for s "a:add"
keys s Q
wait_exit s

step="the CLI checks the same file"
set +e
"$ps" mappings import --check "$tmp/bad.csv" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "--check exit status $rc"
grep -q "bad.csv: row 3: expected 4 fields" "$tmp/err" || fail "row 3 not named"
grep -q "bad.csv: row 4: order_status bc>bp '9' is already mapped in row 2" \
	"$tmp/err" || fail "row 4 not named"
grep -q "bad.csv: row 6: 'CAP-BLK' is not a Brightpearl product id, and with Brightpearl not configured" \
	"$tmp/err" || fail "row 6 not named"
grep -q "3 bad rows; nothing was imported" "$tmp/err" || fail "no summary"
"$ps" mappings import --check "$tmp/good.csv" >"$tmp/out" ||
	fail "--check refused a good file"
grep -q "2 mappings checked, all good" "$tmp/out" || fail "no verdict"
echo ok
