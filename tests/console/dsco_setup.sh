#!/bin/sh
# The real `pearlsync console` in tmux against the sandbox's Brightpearl
# and DSCO: walk the nine DSCO setup steps in the guide's order (connect
# and test, customers, products, inventory, order defaults, shipping
# methods, warehouses, shipment trigger, cancel status), choosing values
# from the drop-downs filled from both platforms; bulk-load the warehouse
# map from a CSV, where a bad DSCO code is refused with its row; end with
# every DSCO step done, and check the stored settings with the CLI.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux not installed"; exit 77; }
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$sandbox" ] || { echo "SKIP: pearlsync-sandbox not built"; exit 77; }

sock="ps-dscosetup-$$"
sess="dsco"
"$sandbox" --listen 127.0.0.1:0 --seed demo --quota off \
	>"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
sb_pid=$!
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	kill "$sb_pid" 2>/dev/null || true
	wait "$sb_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

deadline_poll() {
	_end=$(($(date +%s) + 20))
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}
sandbox_ready() { grep -q '^ready$' "$tmp/sandbox.out"; }
deadline_poll sandbox_ready || fail "sandbox did not start: $(cat "$tmp/sandbox.err")"
url_of() { awk -v p="$1" '$1 == p { print $2 }' "$tmp/sandbox.out"; }
bp_url=$(url_of brightpearl)
ds_url=$(url_of dsco)
[ -n "$bp_url" ] && [ -n "$ds_url" ] || fail "sandbox printed no URLs"

# Brightpearl is connected already (the Connections step's business).
ok init
ok settings set brightpearl.base_url "$bp_url"
ok settings set brightpearl.account sandbox
ok settings set brightpearl.app_ref sandbox_pearlsync
ok settings set brightpearl.token sandbox-token
ok settings set bigcommerce.enabled false

tmux -L "$sock" new-session -d -s "$sess" -x 80 -y 24 \
	"env PEARLSYNC_CONFIG='$conf' NO_COLOR=1 '$ps' console --screen setup 2>'$tmp/console.err'; echo console-exited-\$?; sleep 60"

pane() { tmux -L "$sock" capture-pane -p -t "$sess" >"$tmp/pane"; }
on_screen() { pane && grep -q -e "$1" "$tmp/pane"; }
wait_for() {
	step="waiting for '$1'"
	deadline_poll on_screen "$1" || {
		cat "$tmp/pane" >&2
		cat "$tmp/console.err" >&2 2>/dev/null || true
		fail "not on screen"
	}
	step=""
}
keys() { tmux -L "$sock" send-keys -t "$sess" "$@"; }
type_text() { tmux -L "$sock" send-keys -t "$sess" -l "$1"; }
no_secret() {
	pane
	if grep -q -e "sandbox-secret" -e "sandbox-token" "$tmp/pane"; then
		fail "a secret on screen"
	fi
}
# open N TITLE - from the step list, move to step N and open it
open_step() {
	keys Home
	i=1
	while [ "$i" -lt "$1" ]; do
		keys j
		i=$((i + 1))
	done
	wait_for ">$1\. "
	keys Enter
	wait_for "Step $1 of 22: $2"
}
close_step() {
	wait_for "^ Done"
	keys q
	wait_for "Setup, step by step"
}

wait_for "Setup, step by step"
wait_for "of 22 steps done"

# 10. connect and test: DSCO on, its sandbox URL and OAuth2 client
open_step 10 "DSCO connect and test"
wait_for "Sync with DSCO  *false"
keys Enter
wait_for "Sync with DSCO  *true"
keys j Enter
wait_for "^Value:"
type_text "$ds_url"
keys Enter
wait_for "DSCO API URL (blank: production)  *http://127"
keys j Enter
type_text "sandbox-client"
keys Enter
wait_for "DSCO client id  *sandbox-client"
keys j Enter
wait_for "New value (hidden):"
type_text "sandbox-secret"
no_secret
keys Enter
wait_for "DSCO client secret  *\*\*\*\*\*\*\*\*"
no_secret
keys t
wait_for "^OK: DSCO" # the test's own message, once it is over
keys u # the drop-downs from Brightpearl and DSCO
wait_for "lists fetched from DSCO"
close_step
wait_for "10\. \[x\] DSCO connect and test"

# 11. customers: purchase orders on, customers created automatically
open_step 11 "DSCO customers"
keys Enter
wait_for "Import DSCO purchase orders  *true"
keys j Enter # the mode picker offers auto and map
wait_for "| *map"
keys Escape
wait_for "Customers (auto or map)  *auto"
close_step

# 12. products: matched by SKU on both sides (the defaults)
open_step 12 "DSCO products"
wait_for "DSCO unique id field  *sku"
close_step

# 13. inventory: on, from the first Brightpearl warehouse
open_step 13 "DSCO inventory"
keys Enter
wait_for "choose the Brightpearl warehouses read"
keys j Enter
wait_for "Space switches a value on or off"
keys Enter
wait_for "Brightpearl warehouses read  *[0-9]"
close_step

# 14. order status, channel and warehouse from Brightpearl's lists
open_step 14 "DSCO order defaults"
wait_for "choose the status of new orders"
keys Enter
wait_for "(none)"
keys j Enter
wait_for "choose the channel"
keys j Enter
wait_for "(none)"
keys j Enter
wait_for "choose the warehouse of DSCO orders"
keys j Enter
wait_for "(none)"
keys j Enter
close_step

# 15. shipping methods: every Brightpearl method to a DSCO service level
open_step 15 "DSCO shipping methods"
wait_for "map the shipping methods"
keys Enter
wait_for "No rows yet"
keys a
wait_for "(default: anything else)"
keys Enter
wait_for "USGA"
keys Enter
wait_for "^Saved\."
keys q
close_step

# 16. warehouses: a CSV with an unknown DSCO code is refused with its
# row, then a good one is taken whole
printf 'kind,direction,source,target\ndsco_warehouse,bp>dsco,2,WH01\ndsco_warehouse,bp>dsco,3,NOPE\n' \
	>"$tmp/bad.csv"
printf 'kind,direction,source,target\ndsco_warehouse,bp>dsco,2,WH01\ndsco_warehouse,bp>dsco,3,WH02\n' \
	>"$tmp/good.csv"
open_step 16 "DSCO warehouses"
wait_for "map the warehouses"
keys Enter
wait_for "No rows yet"
keys i
wait_for "Import rows from CSV file:"
type_text "$tmp/bad.csv"
keys Enter
wait_for "row 3: DSCO warehouse code 'NOPE'"
keys Escape
wait_for "No rows yet"
keys i
wait_for "Import rows from CSV file:"
type_text "$tmp/good.csv"
keys Enter
wait_for "2 rows imported"
wait_for "WH02"
keys q
close_step

# 17. shipment trigger: each goods-out note (the default)
open_step 17 "DSCO shipment trigger"
wait_for "Trigger (status or goods_out)  *goods_out"
close_step

# 18. cancel status from Brightpearl's statuses
open_step 18 "DSCO cancel status"
wait_for "choose the status of cancelled orders"
keys Enter
wait_for "(none)"
keys j Enter
close_step

# Every DSCO step is done.
for n in 10 11 12 13 14 15 16 17 18; do
	wait_for "$n\. \[x\] DSCO"
done
keys Q
wait_for "console-exited-0"
no_secret

# The dashboard has a DSCO row in its API table now DSCO is on (its
# budget column fills from the plug-in's rate dialect once the worker
# has called DSCO).
tmux -L "$sock" new-session -d -s dash -x 80 -y 24 \
	"env PEARLSYNC_CONFIG='$conf' NO_COLOR=1 '$ps' console --screen dashboard 2>>'$tmp/console.err'; sleep 60"
dash_has_dsco() {
	tmux -L "$sock" capture-pane -p -t dash >"$tmp/dash"
	grep -q "^ *DSCO  " "$tmp/dash"
}
deadline_poll dash_has_dsco || { cat "$tmp/dash" >&2; fail "no DSCO row on the dashboard"; }
tmux -L "$sock" send-keys -t dash Q

# The database, seen by the CLI.
for key in dsco.order_status dsco.channel_id dsco.defaults.warehouse_id \
	dsco.inventory.warehouses dsco.cancel_status; do
	ok settings get "$key"
	grep -q '^[0-9][0-9,]*$' "$tmp/out" || fail "$key is not an id"
done
ok settings get dsco.enabled
expect_out "^true$"
ok settings get dsco.orders.enabled
expect_out "^true$"
ok settings get dsco.client_id
expect_out "^sandbox-client$"
ok mappings export --kind dsco_shipping_method
expect_out "^dsco_shipping_method,bp>dsco,,USGA$"
ok mappings export --kind dsco_warehouse
expect_out "^dsco_warehouse,bp>dsco,3,WH02$"
ok settings history
expect_out "console"
if grep -q -e sandbox-secret "$tmp/all-output"; then
	fail "the DSCO secret was printed"
fi
if grep -q -e "Sanitizer" -e "runtime error:" "$tmp/console.err"; then
	cat "$tmp/console.err" >&2
	fail "sanitizer report from the console"
fi
echo "PASS"
