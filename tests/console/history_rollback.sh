#!/bin/sh
# The settings history in the real console under tmux at 80x24: mapping
# changes read as the mapping editor names them (not "mapping:kind:..."),
# and a rollback first shows what it would change, then asks; n changes
# nothing, y restores (checked through the CLI).  A line longer than the
# screen ends with an ellipsis and Enter shows it whole.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"

step="init and three change-sets"
"$ps" init >/dev/null
"$ps" settings set sync.poll_interval_seconds 30 >/dev/null
"$ps" settings set sync.poll_interval_seconds 45 >/dev/null
"$ps" mappings set order_status 'bc>bp' 11 4 >/dev/null

step="history labels the mapping"
start_console c1 --screen history
wait_for c1 "[5 History]"
wait_for c1 "Order statuses, BigCommerce to Brightpearl, for 11: (unset) -> 4"
screen_of c1 | grep -qF "mapping:order_status" && fail "a raw mapping key"

step="b shows what the rollback would change"
keys c1 G
wait_for c1 "version 1 selected"
keys c1 b
wait_for c1 "Rolling back to version 1 would change 2 values:"
wait_for c1 "sync.poll_interval_seconds: 45 -> 30"
wait_for c1 "Order statuses, BigCommerce to Brightpearl, for 11: 4 -> (unset)"
wait_for c1 "Roll back these 2 values to version 1? [y/N]"

step="n cancels: nothing changed"
keys c1 n
wait_gone c1 "Rolling back to version 1"
wait_for c1 "version 1 selected"
[ "$("$ps" settings get sync.poll_interval_seconds)" = 45 ] ||
	fail "the value changed without a yes"

step="y rolls back"
keys c1 b
wait_for c1 "Roll back these 2 values to version 1? [y/N]"
keys c1 y
wait_for c1 "rolled back to version 1"
[ "$("$ps" settings get sync.poll_interval_seconds)" = 30 ] ||
	fail "sync.poll_interval_seconds is not 30 after the rollback"
"$ps" mappings list --kind order_status | grep -q '11' &&
	fail "the mapping is still there"

step="nothing left to roll back"
keys c1 G
wait_for c1 "version 1 selected"
keys c1 b
wait_for c1 "nothing to roll back"

step="a long value: cut with an ellipsis, Enter shows it whole"
long="P-$(printf 'x%.0s' $(seq 1 90))-END"
"$ps" settings set bigcommerce.orders.reference_prefix "$long" >/dev/null
keys c1 C-l
wait_for c1 "bigcommerce.orders.reference_prefix: (unset) -> P-xxx"
screen_of c1 | grep -F "reference_prefix" | grep -q '…$' ||
	fail "the cut line has no ellipsis"
keys c1 g Down
wait_match c1 '^>   bigcommerce.orders.reference_prefix'
keys c1 Enter
wait_for c1 "Change in version 5"
wait_for c1 "xx-END"
keys c1 q
wait_for c1 "version 5 selected"
keys c1 Q
wait_exit c1
echo "ok"
