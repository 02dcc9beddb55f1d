#!/bin/sh
# The log detail's audit timeline in the real console (tmux, 80x24): the
# demo store's orders meet a missing status mapping first (the attempt
# fails, waiting for the operator); the mapping is set (a new settings
# version), the operator retries, and the worker imports them against the
# sandbox (checked in the sandbox's state).  The detail of order 100's
# import entry names the settings version of its last attempt and,
# scrolled to its end, lists the order's timeline: the failed attempt and
# its reason, the retry, the synced attempt under the newer version, each
# request's summary, and where the entry stands.  Once more at 200x50.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"

start_sandbox
configure_sandbox 86400

step="import fails"
"$ps" worker --once >/dev/null 2>"$tmp/err.worker" || :
[ "$(bp_orders)" -eq 0 ] || fail "$(bp_orders) Brightpearl orders, want 0"
first=$("$ps" settings history | awk 'NR == 2 { print $1 }')

step="import after the fix"
"$ps" mappings set order_status 'bc>bp' 11 2 >/dev/null || fail "mapping"
"$ps" mappings set-default payment_method 'bc>bp' BIGCOMMERCE >/dev/null ||
	fail "payment mapping"
"$ps" retry --failed >/dev/null || fail "retry"
"$ps" worker --once >/dev/null 2>"$tmp/err.worker" || fail "worker --once"
[ "$(bp_orders)" -eq 2 ] || fail "$(bp_orders) Brightpearl orders, want 2"
version=$("$ps" settings history | awk 'NR == 2 { print $1 }')
[ -n "$version" ] || fail "no settings version"

step="detail of order 100's import"
start_console c1
wait_for c1 "[1 Dashboard]"
keys c1 4
wait_for c1 "[4 Sync log]"
keys c1 /
wait_for c1 "Search (order #"
keys c1 -l "100"
keys c1 Enter
wait_for c1 'text "100"'
keys c1 Enter
wait_for c1 "Next attempt"
wait_for c1 "Settings        v$version at the last attempt"

step="timeline"
keys c1 G
wait_for c1 "is synced as"
screen_of c1 >"$tmp/screen80"
# page up from the end to the heading, keeping every page seen
: >"$tmp/pages"
i=0
until grep -qF "Timeline" "$tmp/pages"; do
	screen_of c1 >>"$tmp/pages"
	i=$((i + 1))
	[ "$i" -le 30 ] || fail "no Timeline heading above the end"
	keys c1 PPage
	sleep 0.2
done
for want in "recorded by order_import_bc: import order 100" \
	"attempt 1 of entry" "settings v$first" \
	"failed: waits for the operator" "operator: retry entry" \
	"settings v$version" "synced as" "POST /" "-> 200"; do
	grep -qF -- "$want" "$tmp/pages" || fail "'$want' not in the timeline"
done
if grep -q -e sandbox-token "$tmp/pages"; then
	fail "a token on screen"
fi
cp "$tmp/screen80" "${PS_AUDIT_CAPTURE:-$tmp}/console_detail_80x24.txt" 2>/dev/null || :
cp "$tmp/pages" "${PS_AUDIT_CAPTURE:-$tmp}/console_detail_80x24_pages.txt" 2>/dev/null || :
keys c1 Q
wait_exit c1
[ "$rc" -eq 0 ] || fail "console exit status $rc"

step="200x50"
PS_COLS=200 PS_ROWS=50 start_console c2
wait_for c2 "[1 Dashboard]"
keys c2 4 /
wait_for c2 "Search (order #"
keys c2 -l "100"
keys c2 Enter
wait_for c2 'text "100"'
keys c2 Enter
wait_for c2 "Timeline"
wait_for c2 "is synced as"
screen_of c2 >"$tmp/screen200"
cp "$tmp/screen200" "${PS_AUDIT_CAPTURE:-$tmp}/console_detail_200x50.txt" 2>/dev/null || :
keys c2 Q
wait_exit c2
[ "$rc" -eq 0 ] || fail "console exit status $rc"
exit 0
