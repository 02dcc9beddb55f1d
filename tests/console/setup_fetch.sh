#!/bin/sh
# Tests and list fetches never freeze the console (the real console at
# 60x20, a small terminal, against the sandbox with Brightpearl stalled):
# t shows "Working... testing the Brightpearl connection", the cursor
# still moves while the request hangs, Esc cancels within a second and
# the console stays open; then u (fetch the lists) the same, from the
# step list.  PS_CAPTURES=DIR keeps the screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
configure_sandbox 3600
# every Brightpearl request hangs for a minute
curl -sf -X POST "$control/faults" -d '{"platform":"brightpearl","rate":1,"kinds":["stall"],"stall_ms":60000}' >/dev/null ||
	fail "injecting the stall"

capture() {
	[ -n "${PS_CAPTURES:-}" ] && screen_of c >"$PS_CAPTURES/$1.txt" || :
}
# now_ms - wall clock in milliseconds (date +%s%N where supported)
now_ms() {
	n=$(date +%s%N)
	case $n in *N) echo $(($(date +%s) * 1000)) ;; *) echo $((n / 1000000)) ;; esac
}

export PS_COLS=60 PS_ROWS=20
step="t while Brightpearl hangs"
start_console c --screen setup
wait_for c "Setup, step by step"
keys c Enter
wait_for c "Step 1 of"
wait_for c "field 1 of"
keys c t
wait_for c "Working... testing the Brightpearl" 5
capture fetch-after
keys c j
wait_for c "field 2 of" 3 # the keys are still answered
t0=$(now_ms)
keys c Escape
wait_for c "Cancelled testing the Brightpearl" 3
t1=$(now_ms)
[ $((t1 - t0)) -lt 1000 ] || fail "Esc took $((t1 - t0)) ms to cancel"
wait_gone c "Working..." 2
[ ! -s "$tmp/rc.c" ] || fail "the console exited"
wait_for c "Step 1 of" 2

step="u while Brightpearl hangs"
keys c q
wait_for c "Setup, step by step"
keys c u
wait_for c "Working... fetching the drop-down lists" 5
keys c j
wait_match c '^>2\.' 3
keys c C-c # Ctrl-C cancels the fetch, not the console
wait_for c "Cancelled fetching the drop-down lists" 3
[ ! -s "$tmp/rc.c" ] || fail "Ctrl-C closed the console"
keys c Q
wait_exit c
[ "$rc" -eq 0 ] || fail "console exit status $rc"
exit 0
