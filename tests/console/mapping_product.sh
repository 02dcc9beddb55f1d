#!/bin/sh
# The Products mapping editor asks Brightpearl for the product: the target
# prompt searches by SKU or name, a picker shows "id  SKU  name", and the
# row stores the product id the order import reads (a SKU typed there was
# stored and ignored before).  Run at 80x24 and again at 200x50; a search
# that finds nothing keeps the prompt open with the reason above it.
# PS_CAPTURE_DIR, when it names a directory, receives text dumps of the
# main screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
configure_sandbox 60

# walk SESSION SOURCE SEARCH: add a row to the Products table through the
# product search, choosing the first product the search finds
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

add_row() {
	keys "$1" a
	wait_for "$1" "BigCommerce SKU (empty: the default row):"
	keys "$1" "$2" Enter
	wait_for "$1" "Find the Brightpearl product (SKU, name or id):"
}

step="80x24: a search that finds nothing keeps the prompt open"
start_console c
wait_for c "[1 Dashboard]"
open_products c
add_row c OLD-MUG-1
keys c "no such thing" Enter
wait_for c "No Brightpearl product matches 'no such thing'"
wait_for c "Find the Brightpearl product (SKU, name or id):"

step="80x24: search by name, pick from id SKU name"
keys c C-u "logo mug" Enter
wait_for c "1 match for 'logo mug': id  SKU  name"
wait_match c '1008 +MUG-LOGO +Logo mug 350ml'
[ -d "${PS_CAPTURE_DIR:-}" ] && screen_of c >"$PS_CAPTURE_DIR/product-picker.txt"
keys c Enter
wait_for c "Saved: product 1008 (SKU MUG-LOGO, Logo mug 350ml)."
wait_match c 'OLD-MUG-1 +1008'
[ -d "${PS_CAPTURE_DIR:-}" ] && screen_of c >"$PS_CAPTURE_DIR/product-saved.txt"
"$ps" mappings export --kind product >"$tmp/out"
grep -qx 'product,bc>bp,OLD-MUG-1,1008' "$tmp/out" ||
	fail "stored: $(cat "$tmp/out")"

step="80x24: search by exact SKU; Enter on a row changes its target"
keys c Enter
wait_for c "Find the Brightpearl product (SKU, name or id):"
keys c C-u CAP-BLK Enter
wait_match c '1007 +CAP-BLK +Baseball cap black'
keys c Enter
wait_match c 'OLD-MUG-1 +1007'
keys c Q
wait_exit c
[ "$rc" = 0 ] || fail "console exit status $rc"

step="200x50: several matches, choose the second"
PS_COLS=200 PS_ROWS=50 start_console w
wait_for w "[1 Dashboard]"
open_products w
add_row w OLD-TEE-1
keys w "classic tee" Enter
wait_for w "4 matches for 'classic tee': id  SKU  name"
wait_match w '1004 +TEE-BLU-M +Classic tee blue M'
keys w Down Enter
wait_match w 'OLD-TEE-1 +1002'
step="200x50: search by product id"
add_row w OLD-CARD
keys w 1012 Enter
wait_for w "1 match for '1012': id  SKU  name"
wait_match w '1012 +GIFT-CARD +Gift card'
keys w Enter
wait_match w 'OLD-CARD +1012'
keys w Q
wait_exit w
"$ps" mappings export --kind product >"$tmp/out"
grep -qx 'product,bc>bp,OLD-CARD,1012' "$tmp/out" ||
	fail "stored: $(cat "$tmp/out")"
grep -qx 'product,bc>bp,OLD-TEE-1,1002' "$tmp/out" ||
	fail "stored: $(cat "$tmp/out")"
grep -q "sandbox-token" "$tmp"/err.* && fail "token printed"
echo ok
