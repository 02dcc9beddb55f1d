#!/bin/sh
# pearlsync check-connection bp|bc: one line and the exit status for each
# outcome (connected, refused credentials, unreachable, not configured),
# against the sandbox; the token never appears in anything printed.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
[ -n "$bp_url" ] || fail "sandbox printed no brightpearl URL"
ok init

step="usage"
run check-connection
expect_rc 2

step="not configured"
run check-connection bp
expect_rc 1
expect_out "^not configured: .*brightpearl.account"
run check-connection dsco
expect_rc 1
expect_out "^not configured: .*dsco.client_id"

step="connected"
ok settings set brightpearl.base_url "$bp_url"
ok settings set brightpearl.account sandbox
ok settings set brightpearl.app_ref sandbox_pearlsync
ok settings set brightpearl.token sandbox-token
ok check-connection bp
expect_out "^OK: Brightpearl account sandbox$"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "more than one line"

step="oauth"
ok settings set brightpearl.auth_mode oauth
run check-connection bp
expect_rc 1
expect_out "^not configured: .*developer reference"
ok settings set brightpearl.dev_ref sandbox_dev
ok check-connection bp
expect_out "^OK: Brightpearl account sandbox$"

step="oauth refresh"
# an expiry in the past: the check refreshes first and keeps the new set
ok settings set brightpearl.refresh_token sandbox-refresh
ok settings set brightpearl.token_expires_at 1
ok check-connection bp
expect_out "^OK: Brightpearl account sandbox$"
ok settings get brightpearl.token_expires_at
grep -qx "1" "$tmp/out" && fail "the refreshed expiry was not stored"
grep -q "sandbox-refresh" "$tmp/all-output" && fail "refresh token printed"
# the used refresh token is spent: a second refresh still works because
# the rotated one was stored
ok settings set brightpearl.token_expires_at 1
ok check-connection bp
expect_out "^OK: Brightpearl account sandbox$"
ok settings set brightpearl.auth_mode private_app
ok settings set brightpearl.token sandbox-token

step="refused credentials"
ok settings set brightpearl.token wrong-token-5678
run check-connection bp
expect_rc 1
expect_out "^authentication failed: .*Invalid instance token"
grep -q "wrong-token-5678" "$tmp/all-output" && fail "token printed"

step="unreachable"
ok settings set brightpearl.base_url "http://127.0.0.1:9"
run check-connection bp
expect_rc 1
expect_out "^unreachable: "

step="bigcommerce"
run check-connection bc
expect_rc 1
expect_out "^not configured: "
ok settings set bigcommerce.store_hash sandbox
ok settings set bigcommerce.token sandbox-token
ok settings set bigcommerce.base_url "http://127.0.0.1:9"
run check-connection bc
expect_rc 1
expect_out "^unreachable: "
if [ -n "$bc_url" ]; then
	ok settings set bigcommerce.base_url "$bc_url"
	ok check-connection bc
	expect_out "^OK: BigCommerce store "
fi

step="no token anywhere"
grep -q "sandbox-token" "$tmp/all-output" && fail "token printed"
exit 0
