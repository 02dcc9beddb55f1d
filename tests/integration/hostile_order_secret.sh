#!/bin/sh
# A hostile BigCommerce order: total_inc_tax is some 965 bytes of padding
# and then "token=<secret>".  pearlsync quotes the bad value in its error,
# the quote is cut at the end of the 1,024-byte error buffer, and the
# redactor used to mask the credential-like value there with a length
# near SIZE_MAX: every `pearlsync worker --once` died during the poll.
# Now each run ends normally (whatever the poll's verdict), the secret
# appears nowhere, and the order's reason (preview, and its entry made
# from a webhook) names the field.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

secret="hunter2H18A"
start_sandbox
connect_sandbox

# The offset of "token=" in the error depends on the message around the
# value: try every padding whose value lands in the last bytes.
step="worker --once survives"
pad=940
while [ "$pad" -le 990 ]; do
	value=$(awk -v n="$pad" 'BEGIN { while (n-- > 0) printf "x" }')
	sb_post bigcommerce/orders/100/corrupt \
		"{\"order\":{\"total_inc_tax\":\"${value}token=${secret}\"}}"
	run worker --once
	[ "$rc" -lt 128 ] || fail "padding $pad: worker died (exit $rc)"
	pad=$((pad + 1))
done
grep -q "$secret" "$tmp/all-output" && fail "the secret was printed"

step="the order's reason"
pad=965
value=$(awk -v n="$pad" 'BEGIN { while (n-- > 0) printf "x" }')
sb_post bigcommerce/orders/100/corrupt \
	"{\"order\":{\"total_inc_tax\":\"${value}token=${secret}\"}}"
run preview order 100
expect_rc 1
expect_err "field 'total_inc_tax'"
expect_err "token=\*"
run worker --once
[ "$rc" -lt 128 ] || fail "worker died (exit $rc)"
expect_err "total_inc_tax"
run status
[ "$rc" -lt 128 ] || fail "status: exit $rc"

step="the order's entry"
# a merchant's status change: its webhooks make the order's entries,
# which fail on the bad total with a reason naming the field
start_worker
i=0
until curl -s "$control/bigcommerce/hooks" | grep -q statusUpdated; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "the worker registered no hooks"
	sleep 0.1
done
sb_post bigcommerce/orders/100/status '{"status_id":1}'
i=0
until run logs --status failed --json &&
	grep -q '"reason": "BigCommerce order 100: field .total_inc_tax' \
		"$tmp/out"; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "no failed entry naming total_inc_tax"
	sleep 0.1
done
grep -q 'token=\*' "$tmp/out" || fail "the entry's reason lost the mask"
kill -0 "$worker_pid" 2>/dev/null || fail "the worker died"
stop_worker
cat "$tmp/w.out" "$tmp/w.err" >>"$tmp/all-output"
grep -q "$secret" "$tmp/all-output" && fail "the secret was printed"
echo "ok"
