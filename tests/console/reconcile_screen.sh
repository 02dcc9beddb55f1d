#!/bin/sh
# The reconciliation screen against the sandbox, at 80x24 and at 60x20:
# x opens it from the dashboard, it lists what differs (an order the
# import never saw, the Pending demo order), m queues the never-seen one
# for import, the screen then shows it pending, and the import creates it
# in Brightpearl once.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

step="configure and import the demo orders"
configure_sandbox 60
"$ps" mappings set-default payment_method 'bc>bp' BIGCOMMERCE >/dev/null
"$ps" mappings set order_status 'bc>bp' 11 2 >/dev/null
"$ps" sync-once orders >/dev/null 2>&1 || fail "import"
[ "$(bp_orders)" -eq 2 ] || fail "demo orders not imported: $(bp_orders)"

# lose_order SKU - an order placed an hour "ago", behind the import's poll
# cursor, so no poll ever sees it; prints its id
lose_order() {
	curl -sf -X POST -d '{"clock_offset_s":-3600}' "$control/bigcommerce/config" >/dev/null
	curl -sf -X POST "$control/bigcommerce/orders" -d '{"customer_id":1,"billing_address":{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"'"$1"'","quantity":1}],"status_id":11}' |
		jq -r .order.id
	curl -sf -X POST -d '{"clock_offset_s":0}' "$control/bigcommerce/config" >/dev/null
}
refs_of() { # how many Brightpearl orders carry externalRef $1
	curl -s "$control/brightpearl/orders" |
		jq --arg r "$1" '[.[] | select(.externalRef == $r)] | length'
}

# check SESSION ORDER - open the screen, find ORDER never seen, queue it
check() {
	s=$1
	lost=$2
	wait_for "$s" "[1 Dashboard]"
	keys "$s" x
	wait_for "$s" "UTC (last day)"
	wait_match "$s" "[0-9]+ orders, [0-9]+ SKUs: 2 missing"
	wait_for "$s" "order $lost: never seen"
	wait_for "$s" "order 102: status 'Pending' (1) is not in"
	[ -d "${PS_CAPTURE_DIR:-}" ] &&
		screen_of "$s" >"$PS_CAPTURE_DIR/screen-$s.txt"
	keys "$s" m
	wait_for "$s" "Queued 1 order for import"
	[ -d "${PS_CAPTURE_DIR:-}" ] &&
		screen_of "$s" >"$PS_CAPTURE_DIR/screen-$s-queued.txt"
	wait_for "$s" "order $lost: import queued"
	step="$s: the import creates the lost order once"
	"$ps" sync-once orders >/dev/null 2>&1 || fail "import of $lost"
	[ "$(refs_of "$lost")" = 1 ] || fail "order $lost: $(refs_of "$lost") Brightpearl orders"
	step="$s: ^L runs it again: the order is no longer missing"
	keys "$s" C-l
	wait_match "$s" "[0-9]+ orders, [0-9]+ SKUs: 1 missing"
	screen_of "$s" | grep -q "order $lost" && fail "order $lost still listed"
	keys "$s" m
	wait_for "$s" "No missing order to queue"
	keys "$s" Q
	wait_exit "$s"
	[ "$rc" -eq 0 ] || fail "console exit status $rc"
}

step="80x24"
lost=$(lose_order MUG-LOGO)
start_console c
check c "$lost"

step="60x20"
lost=$(lose_order CAP-BLK)
PS_COLS=60 PS_ROWS=20 start_console small
check small "$lost"
echo "reconcile_screen: ok"
