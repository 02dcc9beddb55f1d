#!/bin/sh
# OAuth and a worker killed mid-refresh: the worker starts with an access
# token already due, so its first Brightpearl call trades the refresh
# token; the sandbox's token endpoint holds that request, the worker is
# killed with SIGKILL while it waits, and the endpoint closes the
# connection without rotating.  A restarted worker still authenticates
# with the stored refresh token, stores the rotated set it is granted, and
# imports an order; the token never appears in anything printed.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_sandbox
ok settings set brightpearl.auth_mode oauth
ok settings set brightpearl.dev_ref sandbox_dev
ok settings set brightpearl.refresh_token sandbox-refresh
ok settings set brightpearl.token_expires_at 1

bp_count() { bp_refs | wc -l; }
held() {
	curl -s "$control/requests" |
		grep -o '"POST /oauth/token (held)": *[0-9]*' | grep -o '[0-9]*$' || echo 0
}
granted() {
	curl -sf -X POST "$control/brightpearl/auth" -d '{}' |
		grep -o '"grants": *[0-9]*' | grep -o '[0-9]*$'
}

step="killed while the token endpoint holds the refresh"
sb_post brightpearl/auth '{"access_ttl_s":300,"token_hold_ms":60000}'
spawn_worker --no-listen
wait_for held 1
stop_worker KILL
[ "$worker_rc" -ne 0 ] || fail "the worker was not killed"
[ "$(granted)" = "0" ] || fail "the sandbox granted a token set"

step="restart authenticates with the stored refresh token"
sb_post brightpearl/auth '{"token_hold_ms":0}'
ok check-connection bp
expect_out "^OK: Brightpearl account sandbox$"
[ "$(granted)" = "1" ] || fail "want one grant, got $(granted)"
# the stored set is the rotated one: an expired token refreshes again
sb_post brightpearl/auth '{"advance_s":301}'
ok check-connection bp
expect_out "^OK: Brightpearl account sandbox$"
[ "$(granted)" = "2" ] || fail "want two grants, got $(granted)"

step="the restarted worker imports"
spawn_worker --no-listen
wait_for bp_count 2
stop_worker TERM
ok logs --status failed
grep -q "order" "$tmp/out" && fail "failed entries: $(cat "$tmp/out")"
ok settings export --include-secrets -o "$tmp/export"
rotated=$(curl -sf -X POST "$control/brightpearl/auth" -d '{}' |
	grep -o '"refresh_token": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
grep -q "$rotated" "$tmp/export" || fail "the rotated refresh token is not stored"
grep -q "sandbox-refresh\|sandbox-access" "$tmp/w.err" "$tmp/w.out" &&
	fail "a token reached the worker's output"
:
