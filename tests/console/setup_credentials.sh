#!/bin/sh
# A changed token is tested before it is saved (80x24, the real console
# against the sandbox): a wrong Brightpearl token shows the refusal and
# asks "Save anyway?"; any other key than y keeps the token that works
# (check-connection still passes); y saves the wrong one (it then fails).
# The typed token never shows.  PS_CAPTURES=DIR keeps the screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
configure_sandbox 3600

capture() {
	[ -n "${PS_CAPTURES:-}" ] && screen_of c >"$PS_CAPTURES/$1.txt" || :
}
no_secret() {
	if screen_of c | grep -qF "wrong-token-81"; then
		fail "the typed token is on screen"
	fi
}
# edit the selected field, the Brightpearl token, typing a wrong one
type_wrong_token() {
	wait_match c '^> Brightpearl token'
	keys c Enter
	wait_for c "New value (hidden):"
	keys c -l "wrong-token-81"
	no_secret
	keys c Enter
}

step="open Connections"
start_console c --screen setup
wait_for c "Setup, step by step"
keys c Enter
wait_for c "Step 1 of"
keys c j j j

step="a wrong token is tested, not saved"
type_wrong_token
wait_for c "Test failed: authentication failed"
wait_for c "Save anyway? y saves it"
no_secret
capture token-test-after
keys c n
wait_for c "Kept the old value"
"$ps" check-connection brightpearl >"$tmp/check.out" 2>&1 ||
	fail "the working token was replaced: $(cat "$tmp/check.out")"

step="y saves it anyway"
type_wrong_token
wait_for c "Save anyway? y saves it"
keys c y
wait_for c "Saved without a passing test"
wait_for c "Needs attention: test the Brightpearl connection"
if "$ps" check-connection brightpearl >"$tmp/check.out" 2>&1; then
	fail "the wrong token was not saved: $(cat "$tmp/check.out")"
fi
no_secret
keys c Q
wait_exit c
[ "$rc" -eq 0 ] || fail "console exit status $rc"
exit 0
