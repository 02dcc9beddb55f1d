#!/bin/sh
# The Products editor's Brightpearl search never freezes the console: with
# every Brightpearl request stalled (the sandbox's fault API) the search
# shows "Working... searching Brightpearl for '...' (Esc cancels)", the
# keys are still answered (Enter says the search still runs) and Esc
# cancels within a second, the console open.  With Brightpearl answering
# again the same search offers the product and the row is stored.  At
# 80x24 and 200x50.  PS_CAPTURE_DIR, when it names a directory, receives
# the screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
configure_sandbox 3600

capture() {
	[ -d "${PS_CAPTURE_DIR:-}" ] && screen_of "$1" >"$PS_CAPTURE_DIR/$2.txt" || :
}
now_ms() {
	n=$(date +%s%N)
	case $n in *N) echo $(($(date +%s) * 1000)) ;; *) echo $((n / 1000000)) ;; esac
}
faults() {
	curl -sf -X POST "$control/faults" -d "$1" >/dev/null || fail "faults $1"
}
open_products() {
	keys "$1" 3
	wait_for "$1" "Mapping tables"
	i=0
	until screen_of "$1" | grep -q '^>.*Products, BigCommerce to Brightpearl'; do
		i=$((i + 1))
		[ $i -lt 40 ] || fail "no Products table row"
		keys "$1" j
		sleep 0.05
	done
	keys "$1" Enter
	wait_for "$1" "Brightpearl product"
}

# stalled SESSION SKU: a search while Brightpearl hangs, cancelled by Esc
stalled() {
	faults '{"platform":"brightpearl","rate":1,"kinds":["stall"],"stall_ms":60000}'
	keys "$1" a
	wait_for "$1" "BigCommerce SKU (empty: the default row):"
	keys "$1" "$2" Enter
	wait_for "$1" "Find the Brightpearl product (SKU, name or id):"
	keys "$1" "logo mug" Enter
	wait_for "$1" "Working... searching Brightpearl for 'logo mug' (Esc cancels)" 3
	capture "$1" "search-working-$1"
	keys "$1" Enter
	wait_for "$1" "Still searching Brightpearl for 'logo mug'; wait, or Esc" 2
	t0=$(now_ms)
	keys "$1" Escape
	wait_for "$1" "Cancelled searching Brightpearl for 'logo mug'" 3
	t1=$(now_ms)
	[ $((t1 - t0)) -lt 1000 ] || fail "Esc took $((t1 - t0)) ms to cancel"
	wait_gone "$1" "Working..." 2
	[ ! -s "$tmp/rc.$1" ] || fail "the console exited"
	wait_for "$1" "Brightpearl product"
}

# answered SESSION SKU: the same search with Brightpearl answering
answered() {
	faults '{"platform":"brightpearl","rate":0}'
	keys "$1" a
	wait_for "$1" "BigCommerce SKU (empty: the default row):"
	keys "$1" "$2" Enter
	wait_for "$1" "Find the Brightpearl product (SKU, name or id):"
	keys "$1" "logo mug" Enter
	wait_for "$1" "1 match for 'logo mug': id  SKU  name" 10
	keys "$1" Enter
	wait_for "$1" "Saved: product 1008"
	"$ps" mappings export --kind product >"$tmp/out"
	grep -qx "product,bc>bp,$2,1008" "$tmp/out" ||
		fail "stored: $(cat "$tmp/out")"
}

step="80x24: a stalled search"
start_console c
wait_for c "[1 Dashboard]"
open_products c
stalled c MUG-80
step="80x24: an answered search"
answered c MUG-80
keys c Q
wait_exit c
[ "$rc" = 0 ] || fail "console exit status $rc"

step="200x50: a stalled search"
PS_COLS=200 PS_ROWS=50 start_console w
wait_for w "[1 Dashboard]"
open_products w
stalled w MUG-200
step="200x50: an answered search"
answered w MUG-200
keys w Q
wait_exit w
[ "$rc" = 0 ] || fail "console exit status $rc"
echo ok
