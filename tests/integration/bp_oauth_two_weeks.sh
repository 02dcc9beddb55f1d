#!/bin/sh
# An OAuth install over two weeks of sandbox time: access tokens live five
# minutes, each round moves the sandbox's token clock two hours on (so
# every round starts with an expired token: a 401, a refresh, a rotated
# refresh token stored), orders are placed every day, and one worker pass
# runs per round.  At the end every order is in Brightpearl, no entry
# failed, each round refreshed, and the stored refresh token is the one
# the sandbox will accept next.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_sandbox
ok settings set brightpearl.auth_mode oauth
ok settings set brightpearl.dev_ref sandbox_dev
ok settings set brightpearl.refresh_token sandbox-refresh
sb_post brightpearl/auth '{"access_ttl_s":300}'

bp_count() { bp_refs | wc -l | tr -d ' '; }
auth_field() {
	curl -sf -X POST "$control/brightpearl/auth" -d '{}' |
		grep -o "\"$1\": *[^,}]*" | sed 's/^[^:]*: *//; s/"//g'
}

step="two weeks"
rounds=168 # two hours each
placed=0
r=0
while [ "$r" -lt "$rounds" ]; do
	if [ $((r % 12)) -eq 0 ]; then
		curl -sf -X POST "$control/bigcommerce/orders" -d '{"billing_address":{"first_name":"Ada","last_name":"L","email":"day'$r'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}' >/dev/null || fail "placing an order in round $r"
		placed=$((placed + 1))
	fi
	sb_post brightpearl/auth '{"advance_s":7200}'
	ok worker --once --no-listen
	r=$((r + 1))
done
[ "$(bp_count)" -eq $((placed + 2)) ] || fail "$(bp_count) orders in Brightpearl, want $((placed + 2))"
ok logs --status failed
grep -q "order" "$tmp/out" && fail "failed entries: $(cat "$tmp/out")"
grants=$(auth_field grants)
echo "rounds $rounds grants $grants orders $(bp_count)" >&2
[ "$grants" -ge "$rounds" ] || fail "$grants refreshes in $rounds rounds"
ok settings export --include-secrets -o "$tmp/export"
grep -q "$(auth_field refresh_token)" "$tmp/export" ||
	fail "the stored refresh token is not the current one"
grep -q "sandbox-refresh\|sandbox-access" "$tmp/all-output" &&
	fail "a token was printed"
:
