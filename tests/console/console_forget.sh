#!/bin/sh
# F on the sync log forgets a customer, in the real console at 80x24: the
# prompt offers the address the selected entry names, the question gives
# the dry run's figures, y redacts.  Afterwards the database file and its
# WAL hold no trace of the address or the customer's surname (grepped as
# bytes, case-insensitive), while the entry is still there.  Esc at the
# prompt and n at the question change nothing.  The question fits 60x20.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

bytes() { cat "$db" "$db-wal" 2>/dev/null | grep -a -i -o -e "$1" | wc -l | tr -d ' '; }

step="init and seed"
"$ps" init >/dev/null
"$seeder" --seed "$db" 50
now=$(($(date +%s) * 1000))
# the newest entry: a refused contact names the customer
sqlite3 -cmd ".timeout 5000" "$db" "
	INSERT INTO log_entries(id, flow, dedupe_key, status, order_number,
		inserted_at, updated_at, attempts, reason, source_platform,
		source_id, target_platform, kind, subject)
	VALUES (9000, 'order_import_bc', 'bc:order:9100:import', 3, '9100',
		$now, $now, 1,
		'customer Grace.Hopper@example.org: Brightpearl refused the contact Grace Hopper',
		2, '9100', 1, 'order.import', '9100');
	INSERT INTO bp_contacts(account, email, id, first_name, last_name, telephone)
	VALUES ('acme', 'grace.hopper@example.org', 777, 'Grace', 'Hopper', '+1 703 555 0142');"
[ "$(bytes grace.hopper@example.org)" -gt 0 ] || fail "nothing planted"

step="sync log"
start_console c1
wait_for c1 "[1 Dashboard]"
keys c1 4
wait_for c1 "[4 Sync log]"
wait_for c1 "Filter: all entries"

step="Esc changes nothing"
keys c1 F
wait_for c1 "Forget the customer with e-mail: Grace.Hopper@example.org"
keys c1 Escape
wait_gone c1 "Forget the customer"

step="n changes nothing"
keys c1 F
wait_for c1 "Forget the customer with e-mail: Grace.Hopper@example.org"
keys c1 Enter
wait_for c1 "Forget Grace.Hopper@example.org (1 value, 1 contact)? [y/N]"
keys c1 n
wait_gone c1 "Forget Grace"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM bp_contacts")" = 1 ] || fail "n deleted the contact"

step="60x20"
PS_COLS=60 PS_ROWS=20 start_console small
wait_for small "Dashboard"
keys small 4
wait_for small "Sync log"
keys small F
wait_for small "Forget the customer with e-mail:"
keys small Enter
wait_for small "Forget Grace.Hopper@example.org (1 value, 1 contact)? [y/N]"
keys small n
wait_gone small "[y/N]"
keys small Q

step="y forgets"
keys c1 F
wait_for c1 "Forget the customer with e-mail: Grace.Hopper@example.org"
keys c1 Enter
wait_for c1 "Forget Grace.Hopper@example.org (1 value"
keys c1 y
wait_for c1 "Grace.Hopper@example.org forgotten: 1 value redacted, 1 contact"
for pat in grace.hopper@example.org hopper "555 0142"; do
	[ "$(bytes "$pat")" = 0 ] ||
		fail "'$pat' left: $(cat "$db" "$db-wal" | grep -a -i -o ".\{0,60\}$pat.\{0,60\}" | head -3)"
done
# the entry stays, its reason redacted
"$ps" logs --search 9100 >"$tmp/logs" 2>&1 || fail "logs: $(cat "$tmp/logs")"
grep -q "9100" "$tmp/logs" || fail "the entry is gone: $(cat "$tmp/logs")"
[ "$(sqlite3 "$db" "SELECT reason FROM log_entries WHERE id = 9000")" = \
	"customer [redacted]: Brightpearl refused the contact [redacted]" ] ||
	fail "reason: $(sqlite3 "$db" "SELECT reason FROM log_entries WHERE id = 9000")"
wait_for c1 "customer [redacted]"
keys c1 Q
echo "PASS"
