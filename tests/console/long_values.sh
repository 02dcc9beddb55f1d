#!/bin/sh
# A value longer than its column ends with an ellipsis, never cut
# silently, and v shows it in full: at 80x24 a Products mapping row whose
# BigCommerce SKU is longer than the editor's column; at 60x20 the
# Connections form, where the sandbox's base URL does not fit.  q comes
# back to the list.  PS_CAPTURE_DIR, when it names a directory, receives
# the screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
configure_sandbox 3600
sku=OLD-MUG-WITH-A-RATHER-LONG-SKU-2024-EDITION
"$ps" mappings set product 'bc>bp' "$sku" 1008 >/dev/null
capture() {
	[ -d "${PS_CAPTURE_DIR:-}" ] && screen_of "$1" >"$PS_CAPTURE_DIR/$2.txt" || :
}

step="80x24: the mapping row is cut with an ellipsis"
start_console c
wait_for c "[1 Dashboard]"
keys c 3
wait_for c "Mapping tables"
i=0
until screen_of c | grep -q '^>.*Products, BigCommerce to Brightpearl'; do
	i=$((i + 1))
	[ $i -lt 40 ] || fail "no Products table row"
	keys c j
	sleep 0.05
done
keys c Enter
wait_for c "Brightpearl product"
wait_match c '^> OLD-MUG-WITH-A-RATHER-LONG-SKU-[0-9]*… +1008'
capture c long-mapping
screen_of c | grep -qF "$sku" && fail "the whole SKU fits: nothing to cut"

step="80x24: v shows the row in full"
keys c v
wait_for c "BigCommerce SKU: $sku"
wait_for c "Brightpearl product: 1008"
capture c long-mapping-view
keys c q
wait_for c "v:view"
keys c Q
wait_exit c

step="60x20: the Connections form cuts the URL with an ellipsis"
PS_COLS=60 PS_ROWS=20 start_console s --screen setup
wait_for s "Setup, step by step"
keys s Enter
wait_for s "Step 1 of"
wait_match s '^> Brightpearl datacentre or URL +http://127\.0\.0\.1:…'
capture s long-setup
keys s v
wait_for s "$bp_url"
capture s long-setup-view
keys s q
wait_for s "Step 1 of"
keys s Q
wait_exit s
[ "$rc" = 0 ] || fail "console exit status $rc"
echo ok
