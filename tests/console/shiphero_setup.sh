#!/bin/sh
# The real `pearlsync console` in tmux against the sandbox, walking the
# ShipHero setup: the connection (user name, and the password typed once,
# masked, traded for tokens by the connection test and kept nowhere), the
# drop-down lists, go-live, the warehouse map from both platforms'
# pickers, the shipping-method refresh and the initial product sync with
# its progress bar, carried out by a worker; then the dashboard's ShipHero
# credit budget.  Every wait polls the pane for a marker with a deadline.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux not installed"; exit 77; }
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$sandbox" ] || { echo "SKIP: pearlsync-sandbox not built"; exit 77; }

pw="Otter-pass-8812"
sock="ps-shsetup-$$"
sess="shsetup"
"$sandbox" --listen 127.0.0.1:0 --seed demo --quota off --sh-password "$pw" \
	>"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
sb_pid=$!
worker_pid=""
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null || true
	kill "$sb_pid" 2>/dev/null || true
	wait 2>/dev/null || true
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
bp_url=$(awk '$1 == "brightpearl" { print $2 }' "$tmp/sandbox.out")
sh_url=$(awk '$1 == "shiphero" { print $2 }' "$tmp/sandbox.out")
[ -n "$bp_url" ] && [ -n "$sh_url" ] || fail "sandbox printed no URLs"

# Brightpearl and ShipHero's address through the CLI (the walk of those
# fields is setup_walk.sh's); ShipHero switched on.
ok init
ok settings set brightpearl.base_url "$bp_url"
ok settings set brightpearl.account sandbox
ok settings set brightpearl.app_ref sandbox_pearlsync
ok settings set brightpearl.token sandbox-token
ok settings set shiphero.base_url "$sh_url"
ok settings set shiphero.enabled true

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
no_password() {
	pane
	if grep -q -e "$pw" "$tmp/pane"; then fail "the password is on screen"; fi
}

wait_for "Setup, step by step"
wait_for "of 22 steps done"

step="connect"
keys Enter
wait_for "Step 1 of 22: Connections"
keys End
wait_for "> Test ShipHero connection"
keys Up Up Up Enter
wait_for "^Value:"
type_text "sandbox@example.com"
keys Enter
wait_for "ShipHero user name  *sandbox@example.com"
keys Down Enter
wait_for "New value (hidden):"
type_text "$pw"
no_password
keys Enter
wait_for "ShipHero password (used once)  *\*\*\*\*\*\*\*\*"
no_password
keys End Enter # test ShipHero: the password is traded for tokens
wait_for "OK: ShipHero account sandbox@example.com"
wait_for "ShipHero password (used once)  *(not set)"
wait_for "ShipHero refresh token (or password)  *\*\*\*\*\*\*\*\*"
no_password
keys u # the drop-down lists: Brightpearl's and ShipHero's warehouses
wait_for "lists fetched"
keys q
wait_for "Setup, step by step"

step="go-live"
keys End Up Up Up Enter
wait_for "Step 19 of 22: ShipHero go-live"
keys Enter
wait_for "Send goods-out notes to ShipHero  *true"
wait_for "Needs attention: set the go-live date and time"
keys Down Enter
wait_for "^Value:"
type_text "2026-01-05T08:00:00Z"
keys Enter
wait_for "Go-live date and time  *2026-01-05T08:00:00Z"
keys Down Enter
wait_for "^Value:"
keys C-u # the field holds the default prefix: clear it first
type_text "BP-"
keys Enter
wait_for "ShipHero order number prefix  *BP-"
wait_for "^ Done"
keys q
wait_for "19\. *\[x\] ShipHero go-live"

step="warehouse map"
keys Down Enter
wait_for "Step 20 of 22: ShipHero warehouses"
wait_for "Needs attention: map a Brightpearl warehouse to ShipHero"
keys Enter
wait_for "No rows yet"
keys a
wait_for "|>(default: anything else)"
wait_for "| 2  *Main warehouse"
keys Down Enter
wait_for "|>V2FyZWhvdXNlOjcxNDU= Primary"
wait_for "| V2FyZWhvdXNlOjcxNDY= East"
keys Enter
wait_for "> 2  Main warehouse  *V2FyZWhvdXNlOjcxNDU=  Primary"
keys q
wait_for "^ Done"
keys q
wait_for "20\. *\[x\] ShipHero warehouses"

step="shipping methods: refresh asked"
keys Down Enter
wait_for "Step 21 of 22: ShipHero methods"
keys End Enter
wait_for "asked the worker to run shipping_methods_sh"
keys q
wait_for "Setup, step by step"

step="product sync: started, progress shown"
keys Down Enter
wait_for "Step 22 of 22: ShipHero products"
wait_for "Start the initial product sync  *(not started)"
keys Enter
wait_for "asked the worker to run product_sync_sh"
"$ps" worker --no-listen >"$tmp/w.out" 2>"$tmp/w.err" </dev/null &
worker_pid=$!
wait_for "Start the initial product sync  *\[####################\] \([0-9][0-9]*\)/\1$"
wait_for "^ Done"
keys q
wait_for "22\. *\[x\] ShipHero products"

step="dashboard: the ShipHero credit budget"
keys 1
wait_for "^ ShipHero  .*cred"
keys End # the flow list scrolls
wait_for "^.product_sync_sh  *0  *[1-9][0-9]*  *0 "
keys Q
wait_for "console-exited-0"
kill "$worker_pid"
wait "$worker_pid" 2>/dev/null || :
worker_pid=""

step="the database, seen by the CLI"
ok settings get shiphero.go_live
expect_out "^2026-01-05T08:00:00Z$"
ok settings get shiphero.orders.enabled
expect_out "^true$"
ok settings get shiphero.reference_prefix
expect_out "^BP-$"
ok mappings export
expect_out "^shiphero_warehouse,bp>sh,2,V2FyZWhvdXNlOjcxNDU=$"
ok status
expect_out "^shipping_methods_sh  *[0-9][0-9]* methods, refreshed "
ok settings export --include-secrets -o "$tmp/export"
grep -q '"shiphero.refresh_token": "' "$tmp/export" || fail "no refresh token stored"
grep -q '"shiphero.access_token": "' "$tmp/export" || fail "no access token stored"
grep -q '"shiphero.password": "' "$tmp/export" && fail "the password is set"
for f in "$db" "$db-wal" "$tmp/export" "$tmp/all-output" "$tmp/console.err" \
	"$tmp/w.out" "$tmp/w.err"; do
	[ -f "$f" ] || continue
	grep -aq -e "$pw" "$f" && fail "the password is in $(basename "$f")"
done
if grep -q -e "Sanitizer" -e "runtime error:" "$tmp/console.err"; then
	cat "$tmp/console.err" >&2
	fail "sanitizer report from the console"
fi
echo "PASS"
