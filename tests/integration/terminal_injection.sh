#!/bin/sh
# Terminal injection: platform text carrying ESC ] 0 ; title BEL (which
# sets a terminal's or tmux pane's title) or other control bytes must
# never reach a terminal raw.  A BigCommerce order whose SKU and shipping
# method carry them is imported by the real worker, and one whose total
# carries them makes the worker's poll warn; the `logs` table and the
# worker's stderr lines print them visibly ("\x1b") instead.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

# raw_controls FILE - the lines of FILE holding a C0 control byte other
# than tab, DEL, or a C1 control in UTF-8 (U+0080..U+009F)
raw_controls() {
	LC_ALL=C grep -n "$(printf '[\001-\010\013-\037\177]')" "$1" || :
	LC_ALL=C grep -n "$(printf '\302[\200-\237]')" "$1" || :
}

start_sandbox
connect_sandbox
sed -i 's/log_level = "warn"/log_level = "info"/' "$conf"

# ESC = \u001b, BEL = \u0007, CSI as C1 = \u009b
evil='\u001b]0;pwned\u0007'
sb_post bigcommerce/orders "{\"customer_id\":1,\"status_id\":11,
	\"billing_address\":{\"first_name\":\"Ada\",\"last_name\":\"L\",
	\"street_1\":\"1 Way\",\"city\":\"Leeds\",\"zip\":\"LS1 1AA\",
	\"country\":\"United Kingdom\",\"country_iso2\":\"GB\",
	\"email\":\"ada@example.com\"},
	\"shipping_method\":\"Fast${evil}\u009b2J\",
	\"lines\":[{\"sku\":\"NOPE-${evil}\",\"quantity\":1,\"price\":\"5.00\"}]}"
id=$(grep -o '"id": *[0-9]*' "$tmp/sb.reply" | head -1 | grep -o '[0-9]*$')
[ -n "$id" ] || fail "no order id in the control reply"

step="worker"
run worker --once
[ "$rc" -le 1 ] || fail "worker: exit $rc"
[ -z "$(raw_controls "$tmp/err")" ] || fail "raw control bytes on stderr"

step="logs table"
ok logs
grep -q "^[0-9]* *$id " "$tmp/out" || fail "no entry for order $id"
[ -z "$(raw_controls "$tmp/out")" ] || fail "raw control bytes in the table"
grep -q 'NOPE-\\x1b\]0;pwned\\x07' "$tmp/out" ||
	fail "the SKU is not shown escaped"
grep -q 'Fast\\x1b' "$tmp/out" || fail "the shipping method is not escaped"

step="logs --json"
ok logs --json
[ -z "$(raw_controls "$tmp/out")" ] || fail "raw control bytes in --json"
grep -q 'NOPE-\\u001[bB]' "$tmp/out" || fail "--json lost the SKU"

step="worker stderr"
# a value the worker quotes in a warning: the poll's refusal of a bad total
sb_post "bigcommerce/orders/$id/corrupt" \
	"{\"order\":{\"total_inc_tax\":\"1${evil}\u009b2J\u007f\"}}"
run worker --once
[ "$rc" -le 1 ] || fail "worker: exit $rc"
expect_err "total_inc_tax"
[ -z "$(raw_controls "$tmp/err")" ] || fail "raw control bytes on stderr"
grep -q '1\\x1b\]0;pwned\\x07\\u009b2J\\x7f' "$tmp/err" ||
	fail "the value is not shown escaped"

step="command errors"
# a command's error quotes the same value: escaped as well
run preview order "$id"
[ "$rc" -ne 0 ] || fail "preview of a broken order succeeded"
expect_err "total_inc_tax"
[ -z "$(raw_controls "$tmp/err")" ] || fail "raw control bytes in the error"
echo "ok"
