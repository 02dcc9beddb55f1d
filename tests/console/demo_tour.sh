#!/bin/sh
# The demo's tour in a real terminal: scripts/demo (on this build's
# programs) prints the tour of its failing order and waits for Enter; the
# whole tour fits a 60x20 terminal.  At 80x24 the console's sync log shows
# the order failed and, on Enter, why (the unknown SKU).  The mapping the
# tour asks for is then set, r on the log screen retries the order, and
# Brightpearl (the sandbox's state) gets the order.  At 200x50 the log
# shows it synced; Q quits and the demo stops.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
[ -x "$PS_BIN_DIR/pearlsync-sandbox" ] ||
	{ echo "SKIP: pearlsync-sandbox not built"; exit 77; }
build=$(dirname "$PS_BIN_DIR")
demo=$tmp/demo
tmux -L "$sock" -f /dev/null new-session -d -s demo -x 60 -y 20 \
	"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	sh '$PS_SOURCE_DIR/scripts/demo' --no-install --no-build \
	--build-dir '$build' --demo-dir '$demo' 2>'$tmp/err.demo'; \
	echo \$? >'$tmp/rc.demo'; sleep 600"

step="the tour at 60x20"
wait_for demo "Press Enter to open it." 60
screen_of demo >"$tmp/tour"
for line in "The tour: BigCommerce order" "sells SKU TEE-RED-MED" \
	" 1. 4 opens the sync log" "failed; Enter on order" \
	" 2. 3 opens the mappings" "TEE-RED-MED, target Brightpearl product" \
	" 3. 4 opens the sync log again" "press r: it retries" \
	"pearlsync retry --failed" "Q quits"; do
	grep -qF -- "$line" "$tmp/tour" || fail "'$line' is not on the screen"
done
order=$(sed -n 's/^The tour: BigCommerce order \([0-9]*\) .*/\1/p' "$tmp/tour")
product=$(sed -n 's/.*TEE-RED-MED, target Brightpearl product \([0-9]*\)\..*/\1/p' \
	"$tmp/tour")
[ -n "$order" ] && [ -n "$product" ] || fail "no order or product id in the tour"
# no tour line is wider than the terminal (tmux would wrap it)
awk 'length > 60 { bad = 1 } END { exit bad }' "$tmp/tour" ||
	fail "a tour line is wider than 60 columns"

step="the failed order at 80x24"
tmux -L "$sock" resize-window -t demo -x 80 -y 24
keys demo Enter
wait_for demo "1 Dashboard"
keys demo 4
wait_for demo "Filter: all entries"
keys demo s s s
wait_for demo "Filter: failed"
wait_match demo "^>$order +.* failed " 30
keys demo Enter
wait_for demo "SKU 'TEE-RED-MED' not found in Brightpearl"
keys demo q
wait_for demo "Filter: failed"

step="the fix and the retry"
bp=$(awk '$1 == "brightpearl" { print $2 }' "$demo/sandbox.out")
control=${bp%/brightpearl}/_sandbox
has_order() {
	curl -s "$control/brightpearl/state" |
		grep -q "\"externalRef\": *\"$order\""
}
has_order && fail "Brightpearl has order $order before the fix"
PEARLSYNC_CONFIG=$demo/pearlsync.conf "$ps" mappings set product 'bc>bp' \
	TEE-RED-MED "$product" >/dev/null
keys demo r
deadline=$(($(date +%s) + 30))
until has_order; do
	[ "$(date +%s)" -lt "$deadline" ] ||
		fail "Brightpearl never got order $order after r"
	sleep 0.2
done

step="synced at 200x50"
tmux -L "$sock" resize-window -t demo -x 200 -y 50
keys demo c
wait_for demo "Filter: all entries"
wait_match demo "^[> ]$order +.* synced " 30

step="Q quits the demo"
keys demo Q
deadline=$(($(date +%s) + 30))
while [ ! -s "$tmp/rc.demo" ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "the demo did not stop"
	sleep 0.1
done
[ "$(cat "$tmp/rc.demo")" = 0 ] || fail "demo exit status $(cat "$tmp/rc.demo")"
curl -s -m 2 "$control/brightpearl/state" >/dev/null 2>&1 &&
	fail "the sandbox still runs after Q"
echo "demo_tour: ok (order $order failed, retried, in Brightpearl)"
