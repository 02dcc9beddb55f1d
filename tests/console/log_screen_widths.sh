#!/bin/sh
# The sync log list in the real console under tmux: a REASON column at
# every width (60x20, 80x24, 200x50), cut with an ellipsis when it does
# not fit and whole when it does, the other columns joining as the
# terminal widens; and the filter kept for the session when the operator
# visits another screen and comes back (80x24).
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"

step="init and seed"
"$ps" init >/dev/null
"$seeder" --seed "$db" 200
sku="SKU 'TEE-RED-M' not found in Brightpearl (product search by SKU)"

# a failed row's line (the seeded failures carry the SKU reason)
failed_row() {
	screen_of "$1" | grep -E '^[ >][0-9]+ .* failed ' | head -1
}

step="80x24: reason column, cut with an ellipsis"
start_console c80 --screen log
wait_for c80 "[4 Sync log]"
wait_match c80 '^ ORDER # +TOTAL INSERTED +STATUS +REASON$'
row=$(failed_row c80)
echo "$row" | grep -qF "SKU 'TEE-RED-M' not found in" ||
	fail "no reason in the row: $row"
echo "$row" | grep -q '…$' || fail "cut reason without an ellipsis: $row"
[ "$(printf '%s' "$row" | wc -m)" -le 80 ] || fail "row wider than 80"

step="80x24: the filter survives other screens"
keys c80 s s s
wait_for c80 "Filter: failed"
keys c80 1
wait_for c80 "[1 Dashboard]"
keys c80 4
wait_for c80 "[4 Sync log]"
wait_for c80 "Filter: failed"
keys c80 Tab
wait_for c80 "[5 History]"
keys c80 BTab
wait_for c80 "[4 Sync log]"
wait_for c80 "Filter: failed"
keys c80 /
wait_for c80 "Search (order #"
keys c80 -l "TEE-RED"
keys c80 Enter
wait_for c80 'Filter: failed, text "TEE-RED"'
keys c80 2
wait_for c80 "[2 Setup]"
keys c80 4
wait_for c80 'Filter: failed, text "TEE-RED"'
step="80x24: c clears it, and that is kept too"
keys c80 c
wait_for c80 "Filter: all entries"
keys c80 1
wait_for c80 "[1 Dashboard]"
keys c80 4
wait_for c80 "Filter: all entries"
keys c80 Q
wait_exit c80

step="60x20: reason column"
PS_COLS=60 PS_ROWS=20 start_console c60 --screen log
wait_for c60 "[4 Sync log]"
wait_match c60 '^ ORDER # +INSERTED +STATUS +REASON$'
row=$(failed_row c60)
echo "$row" | grep -qF "SKU 'TEE-RED" || fail "no reason in the row: $row"
echo "$row" | grep -q '…$' || fail "cut reason without an ellipsis: $row"
keys c60 Q
wait_exit c60

step="200x50: every column and the whole reason"
PS_COLS=200 PS_ROWS=50 start_console c200 --screen log
wait_for c200 "[4 Sync log]"
wait_match c200 '^ ORDER # +TOTAL INSERTED +SYNCED +STATUS +SHIP METHOD +SHIPMENT +WHAT +REASON$'
row=$(failed_row c200)
case $row in
*"$sku") ;;
*) fail "reason not whole at 200: $row" ;;
esac
# the other columns widen too: no ship method or description is cut
screen_of c200 | grep -q '…' && fail "a value cut at 200 columns"
wait_for c200 "Free Shipping "
keys c200 Q
wait_exit c200

echo "ok"
