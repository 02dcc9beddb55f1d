#!/bin/sh
# Personal data under the merchant's control, with the real worker against
# the sandbox.
#
# A full import with payments: BigCommerce's transactions carry card data
# (brand, IIN, last digits, expiry), and one order is a split tender, so
# its transactions are read; none of that card data reaches the database
# file or its WAL.  Then `pearlsync forget --email` (in another case than the
# order's): a dry run counts and changes nothing; the real run leaves no
# trace of the address, the customer's surname or phone in the database
# file and its WAL (grepped as bytes, case-insensitive), while the record
# of what was synced stays: every log entry with its order number and
# Brightpearl id, the cross-references, the other customer's data; and
# nothing was sent to a platform.  Last, privacy.retention_days: entries
# written before the limit lose their e-mail addresses, newer ones keep
# them, and a customer only old records name leaves the files' bytes.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

q() { sqlite3 -cmd ".timeout 5000" "$db" "$1"; }
# bytes PATTERN - how many times the database file and its WAL hold
# PATTERN, case-insensitive (the files as bytes)
bytes() { cat "$db" "$db-wal" 2>/dev/null | grep -a -i -o -e "$1" | wc -l | tr -d ' '; }
order() {
	# order EMAIL FIRST LAST PHONE STREET [PAYMENT-EXTRA]
	sb_post bigcommerce/orders "{\"billing_address\":{\"first_name\":\"$2\",\"last_name\":\"$3\",\"email\":\"$1\",\"phone\":\"$4\",\"street_1\":\"$5\",\"city\":\"Arlington\",\"zip\":\"22201\",\"country_iso2\":\"US\"},\"lines\":[{\"sku\":\"MUG-LOGO\",\"quantity\":2}],\"status_id\":11,\"payment\":{\"gateway\":\"braintree\",\"captured\":true${6:-}}}"
	"$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["order"]["id"])' "$tmp/sb.reply"
}
bp_count() { bp_refs | wc -l | tr -d ' '; }
bp_payments() {
	curl -s "$control/brightpearl/state" | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)["payments"]))'
}
sb_total() {
	curl -s "$control/requests" | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(sum(v["total"] for v in d.values() if isinstance(v, dict) and "total" in v))'
}

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
ok settings set bigcommerce.payments.enabled true
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
# Grace pays 5.00 in store credit and the rest by card: a split tender,
# whose transactions pearlsync reads (an order paid by card alone is
# recorded from the order itself)
grace=$(order grace.hopper@example.org Grace Hopper "+1 703 555 0142" "42 Cobol Lane" ',"store_credit":"5.00"')
alan=$(order alan.turing@example.net Alan Turing "+44 161 555 0199" "7 Enigma Road")
start_worker
step="import"
wait_for bp_count 4
# each order's payment (Grace's two, and the demo's paid order)
wait_for bp_payments 4
txn_reads=$(curl -s "$control/requests" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["bigcommerce"]["endpoints"].get("GET v3/orders/{id}/transactions", 0))')
[ "$txn_reads" -ge 1 ] || fail "no BigCommerce transactions were read, so no card data reached pearlsync"

step="no card data"
# the sandbox's transactions: card_type visa, card_iin 411111,
# card_last4 1111, card_expiry_month 12, card_expiry_year 2030
for pat in 411111 card_iin card_last4 card_expiry card_type '"visa"' credit_card; do
	[ "$(bytes "$pat")" = 0 ] || fail "card data '$pat' stored: $(cat "$db" "$db-wal" | grep -a -i -o ".\{60\}$pat.\{60\}" | head -3)"
done

# The import itself leaves the address in the contact directory only.
# Planted as other flows record them: a webhook payload carrying the
# billing address (DSCO's and ShipHero's orders do) and a detail naming
# the customer ("customer ADDRESS: ..." as a refused contact reads).
q "INSERT INTO events(platform, topic, payload, received_at, processed_at) VALUES (2, 'store/order/updated', '{\"order_id\":$grace,\"billing\":{\"email\":\"Grace.Hopper@example.org\",\"first_name\":\"Grace\",\"last_name\":\"Hopper\",\"phone\":\"+1 703 555 0142\",\"street_1\":\"42 Cobol Lane\",\"country_iso2\":\"US\"},\"total\":\"19.90\"}', 1, 1)"
q "UPDATE log_entries SET detail = coalesce(detail, '') || ' (customer grace.hopper@example.org, Grace Hopper, 42 Cobol Lane)' WHERE order_number = '$grace'"
step="before"
[ "$(bytes grace.hopper@example.org)" -gt 0 ] || fail "the address is nowhere to forget"
[ "$(bytes "cobol lane")" -gt 0 ] || fail "nothing planted"
entries=$(q "SELECT COUNT(*) FROM log_entries")
xrefs=$(q "SELECT COUNT(*) FROM xrefs")
record=$(q "SELECT flow, kind, status, order_number, total, currency, source_id, target_id, inserted_at FROM log_entries ORDER BY id")
sent=$(sb_total)

step="dry run"
ok forget --email Grace.Hopper@Example.ORG --dry-run
expect_out "^would redact [1-9][0-9]* values ([1-9][0-9]* in the sync log), would delete 1 contact (dry run: nothing changed)"
[ "$(bytes grace.hopper@example.org)" -gt 0 ] || fail "the dry run redacted"

step="forget"
ok forget --email Grace.Hopper@Example.ORG
expect_out "^redacted [1-9][0-9]* values ([1-9][0-9]* in the sync log), deleted 1 contact; database compacted"
cp "$tmp/out" "$tmp/forget.out"
for pat in grace.hopper@example.org hopper "555 0142" "cobol lane"; do
	[ "$(bytes "$pat")" = 0 ] ||
		fail "'$pat' still in the database: $(cat "$db" "$db-wal" | grep -a -i -o ".\{60\}$pat.\{60\}" | head -3)"
done
# the other customer is untouched
[ "$(bytes alan.turing@example.net)" -gt 0 ] || fail "the other customer was redacted"
# what was synced stays
[ "$(q "SELECT COUNT(*) FROM log_entries")" = "$entries" ] || fail "log entries lost"
[ "$(q "SELECT COUNT(*) FROM xrefs")" = "$xrefs" ] || fail "cross-references lost"
[ "$(q "SELECT flow, kind, status, order_number, total, currency, source_id, target_id, inserted_at FROM log_entries ORDER BY id")" = "$record" ] ||
	fail "the synced record changed"
# the payload keeps its order id, total and country
[ "$(q "SELECT payload FROM events WHERE received_at = 1")" = "{\"order_id\":$grace,\"billing\":{\"email\":\"[redacted]\",\"first_name\":\"[redacted]\",\"last_name\":\"[redacted]\",\"phone\":\"[redacted]\",\"street_1\":\"[redacted]\",\"country_iso2\":\"US\"},\"total\":\"19.90\"}" ] ||
	fail "event: $(q "SELECT payload FROM events WHERE received_at = 1")"
q "SELECT detail FROM log_entries WHERE order_number = '$grace'" | grep -q "(customer \[redacted\], \[redacted\], \[redacted\])" ||
	fail "detail: $(q "SELECT detail FROM log_entries WHERE order_number = '$grace'")"
ok logs --search "$grace"
expect_out "$grace"
# nothing went to a platform, and Brightpearl keeps the order
[ "$(sb_total)" -le "$((sent + 2))" ] || fail "forget sent requests: $sent -> $(sb_total)"
[ "$(bp_count)" = 4 ] || fail "Brightpearl lost an order"
step="again"
ok forget --email grace.hopper@example.org
expect_out "^redacted 0 values (0 in the sync log), deleted 0 contacts"

step="retention"
stop_worker
# every entry but the newest was last written three days ago; all name
# the other customer, as does an old event; a new event names a third
old=$(($(date +%s) * 1000 - 3 * 86400000))
now=$(($(date +%s) * 1000))
newest=$(q "SELECT MAX(id) FROM log_entries")
q "UPDATE log_entries SET detail = coalesce(detail, '') || ' (customer alan.turing@example.net)'"
q "UPDATE log_entries SET inserted_at = $old, updated_at = $old WHERE id < $newest"
q "INSERT INTO events(platform, topic, payload, received_at, processed_at) VALUES (2, 'store/order/updated', '{\"data\":{\"billing\":{\"email\":\"alan.turing@example.net\",\"first_name\":\"Alan\",\"last_name\":\"Turing\",\"phone\":\"+44 161 555 0199\"}}}', $old, $old)"
q "INSERT INTO events(platform, topic, payload, received_at, processed_at) VALUES (2, 'store/order/updated', '{\"billing\":{\"email\":\"charles@example.com\",\"last_name\":\"Babbage\",\"street_1\":\"1 Difference Row\"}}', $old - 1, $old - 1)"
recent='{"data":{"billing":{"email":"ada.lovelace@example.com","first_name":"Ada"}}}'
q "INSERT INTO events(platform, topic, payload, received_at, processed_at) VALUES (2, 'store/order/updated', '$recent', $now, $now)"
ok settings set privacy.retention_days 1
start_worker
step="retention sweep"
old_left() { q "SELECT COUNT(*) FROM log_entries WHERE id < $newest AND instr(detail, 'alan.turing@example.net') > 0"; }
wait_for old_left 0
[ "$(q "SELECT COUNT(*) FROM log_entries WHERE id < $newest AND detail LIKE '%(customer [redacted])'")" = "$((newest - 1))" ] ||
	fail "old details: $(q "SELECT detail FROM log_entries WHERE id < $newest LIMIT 3")"
[ "$(q "SELECT payload FROM events WHERE received_at = $old")" = '{"data":{"billing":{"email":"[redacted]","first_name":"[redacted]","last_name":"[redacted]","phone":"[redacted]"}}}' ] ||
	fail "old event: $(q "SELECT payload FROM events WHERE received_at = $old")"
# the newer records keep theirs
q "SELECT detail FROM log_entries WHERE id = $newest" | grep -q "(customer alan.turing@example.net)" ||
	fail "the newest entry lost its data: $(q "SELECT detail FROM log_entries WHERE id = $newest")"
[ "$(q "SELECT payload FROM events WHERE received_at = $now")" = "$recent" ] ||
	fail "the recent event changed: $(q "SELECT payload FROM events WHERE received_at = $now")"
[ "$(q "SELECT COUNT(*) FROM log_entries")" = "$entries" ] || fail "entries lost"
# a customer only the old records name is gone from the files' bytes
# (without a VACUUM: what the redaction freed was zeroed, the WAL emptied)
gone() { echo "$(bytes charles@example.com)$(bytes babbage)$(bytes "difference row")"; }
wait_for gone 000
stop_worker
echo "PASS"
