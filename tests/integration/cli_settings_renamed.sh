#!/bin/sh
# Renamed settings: the BigCommerce pair's keys moved under "bigcommerce."
# (schema version 8).  The old keys still work with settings set, get,
# unset, history and import, each with a one-line note on stderr naming
# the new key; settings list shows only the new keys.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"

step="init"
ok init

step="set with an old key stores under the new key"
ok settings set defaults.warehouse_id 7
expect_out "bigcommerce.defaults.warehouse_id set (version 1)"
expect_err "note: setting 'defaults.warehouse_id' is now 'bigcommerce.defaults.warehouse_id'"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "want one line on stderr"
ok settings get bigcommerce.defaults.warehouse_id
[ "$(cat "$tmp/out")" = 7 ] || fail "new key reads $(cat "$tmp/out")"
[ -s "$tmp/err" ] && fail "the new key needs no note"

step="get with an old key"
ok settings get defaults.warehouse_id
[ "$(cat "$tmp/out")" = 7 ] || fail "old key reads $(cat "$tmp/out")"
expect_err "is now 'bigcommerce.defaults.warehouse_id'"

step="an old key is validated as the new one"
run settings set orders.enabled maybe
expect_rc 1
expect_err "is now 'bigcommerce.orders.enabled'"
expect_err "bigcommerce.orders.enabled': 'maybe' is not true or false"

step="history with an old key"
ok settings set orders.enabled true
ok settings history orders.enabled
expect_out "bigcommerce.orders.enabled: (unset) -> true"
expect_err "is now 'bigcommerce.orders.enabled'"

step="list shows only the new keys"
ok settings list
expect_out "^bigcommerce.orders.enabled  *bool  *true"
expect_out "^bigcommerce.defaults.warehouse_id  *id  *7"
if grep -q -e "^orders\." -e "^defaults\." -e "^inventory\." -e "^fulfilment\." \
	-e "^notes\." -e "^payments\." -e "^items\." -e "^customers\." "$tmp/out"; then
	fail "settings list shows an old key"
fi

step="unset with an old key"
ok settings unset defaults.warehouse_id
expect_out "bigcommerce.defaults.warehouse_id unset"
expect_err "is now"

step="import takes a document with old keys"
printf '{"settings": {"inventory.interval_minutes": 30, "sync.max_attempts": 4}}\n' \
	>"$tmp/old.json"
ok settings import "$tmp/old.json"
expect_err "setting 'inventory.interval_minutes' is now 'bigcommerce.inventory.interval_minutes'"
ok settings get bigcommerce.inventory.interval_minutes
[ "$(cat "$tmp/out")" = 30 ] || fail "imported value $(cat "$tmp/out")"

step="a key that never existed is still refused"
run settings set orders.nonsense 1
expect_rc 1
expect_err "unknown setting 'orders.nonsense'"

echo "ok"
