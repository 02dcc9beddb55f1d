#!/bin/sh
# The real `pearlsync console` in tmux against the sandbox: walk every
# setup step, enter the connection settings, test both connections, fetch
# the drop-down lists, choose a default warehouse from them, add a status
# mapping in the editor, and check the database afterwards with the CLI.
# Every wait polls the pane for a marker with a deadline.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux not installed"; exit 77; }
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$sandbox" ] || { echo "SKIP: pearlsync-sandbox not built"; exit 77; }

sock="ps-setup-$$"
sess="setup"
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

# poll CMD... until it succeeds or 20 s have passed
deadline_poll() {
	_end=$(($(date +%s) + 20))
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

sandbox_ready() { grep -q '^ready$' "$tmp/sandbox.out"; }
deadline_poll sandbox_ready || fail "sandbox did not start: $(cat "$tmp/sandbox.err")"
bp_url=$(awk '$1 == "brightpearl" { print $2 }' "$tmp/sandbox.out")
bc_url=$(awk '$1 == "bigcommerce" { print $2 }' "$tmp/sandbox.out")
[ -n "$bp_url" ] && [ -n "$bc_url" ] || fail "sandbox printed no URLs"
ok init

tmux -L "$sock" new-session -d -s "$sess" -x 80 -y 24 \
	"env PEARLSYNC_CONFIG='$conf' NO_COLOR=1 '$ps' console --screen setup 2>'$tmp/console.err'; echo console-exited-\$?; sleep 60"

pane() { tmux -L "$sock" capture-pane -p -t "$sess" >"$tmp/pane"; }
on_screen() { pane && grep -q -e "$1" "$tmp/pane"; }
# wait_for REGEX - the pane shows REGEX within the deadline
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
# secrets typed in must never be drawn
no_secret() {
	pane
	if grep -q -e "sandbox-token" "$tmp/pane"; then fail "token on screen"; fi
}

wait_for "Setup, step by step"
wait_for "0 of 22 steps done\|[0-9] of 22 steps done"

# 1. Connections
keys Enter
wait_for "Step 1 of 22: Connections"
keys Enter # datacentre picker: the last entry asks for a URL
wait_for "Another URL"
keys End Enter
wait_for "Brightpearl base URL:"
type_text "$bp_url"
keys Enter
wait_for "datacentre or URL *http://127"
keys j Enter
wait_for "^Value:"
type_text "sandbox"
keys Enter
wait_for "account code \* *sandbox"
keys j Enter
type_text "sandbox_pearlsync"
keys Enter
wait_for "app reference \* *sandbox_pearlsync"
keys j Enter
wait_for "New value (hidden):"
type_text "sandbox-token"
no_secret
keys Enter
wait_for "Brightpearl token \* *\*\*\*\*\*\*\*\*"
no_secret
wait_for "Tested and saved: OK: Brightpearl account" # tested before saving
keys j j j j Enter # past auth mode, dev ref, refresh token: test Brightpearl
wait_for "Test Brightpearl connection *OK: Brightpearl account"
wait_for "^ Needs attention: BigCommerce store hash" # the test is over
keys j Enter
type_text "$bc_url"
keys Enter
wait_for "API URL (blank: default) *http://127"
keys j Enter
type_text "sandbox"
keys Enter
wait_for "store hash \* *sandbox"
keys j Enter
type_text "sandbox-token"
keys Enter
wait_for "access token \* *\*\*\*\*\*\*\*\*"
no_secret
keys t # test both connections
wait_for "^OK: Brightpearl account.*; OK: BigCommerce store"
wait_for "^ Done"
keys u # fetch the drop-down lists
wait_for "lists fetched from Brightpearl"
keys q
wait_for "1\.  \[x\] Connections"

# 2. Order sync: import status picker offers the real BigCommerce statuses
keys j Enter
wait_for "Step 2 of 22: Order sync"
keys j Enter
wait_for "Space switches a value on or off"
wait_for "\[x\] 11 "
keys Escape
keys q
wait_for "Setup, step by step"

# 3. Defaults: channel and warehouse from the fetched lists
keys j Enter
wait_for "Step 3 of 22: Defaults"
keys Enter # channel picker
wait_for "^ *|.1 "
keys Enter
wait_for "Channel \* *1 "
keys j Enter # warehouse picker
wait_for "|.3  *Retail store" # the picker, over the rows below
keys Enter
wait_for "Warehouse \* *2 "
keys d # clearing a required field is refused
wait_for "Warehouse is required"
wait_for "^ Done"
keys q
wait_for "3\.  \[x\] Defaults"

# 4. Status mapping: add the default row in the editor
keys j Enter
wait_for "Step 4 of 22: Status mapping"
keys Enter
wait_for "No rows yet"
keys a
wait_for "(default: anything else)"
keys Enter
wait_for "Brightpearl status"
keys Enter
wait_for "^Saved\."
wait_for "(default: anything else)  *[0-9]"
keys q
wait_for "^ Done"
keys q

# 5-9: every remaining step opens and closes
n=5
for title in "Items and customers" "Fulfilment" "Notes" "Payments" "Inventory"; do
	keys j Enter
	wait_for "Step $n of 22: $title"
	keys q
	wait_for "Setup, step by step"
	n=$((n + 1))
done
keys Q
wait_for "console-exited-0"
no_secret

# The database, seen by the CLI.
ok settings get brightpearl.account
expect_out "^sandbox$"
ok settings get bigcommerce.defaults.warehouse_id
expect_out "^2$"
ok settings get bigcommerce.defaults.channel_id
expect_out "^1$"
ok mappings export
expect_out "^order_status,bc>bp,,"
ok settings history
expect_out "console"
if grep -q -e "Sanitizer" -e "runtime error:" "$tmp/console.err"; then
	cat "$tmp/console.err" >&2
	fail "sanitizer report from the console"
fi
echo "PASS"
