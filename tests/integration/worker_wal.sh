#!/bin/sh
# The database under a listening worker and the commands run beside it.
# The worker runs as systemd runs it (listener on, so it holds a second
# connection); meanwhile `status` and 150 `mappings set` run and orders
# arrive.  The worker's descriptors never show a deleted WAL, it keeps
# seeing the CLI's changes and the CLI keeps seeing its heartbeat; after a
# kill -9 the database passes SQLite's integrity check, holds every
# mapping, and every Brightpearl order the worker created has its
# cross-reference and its synced log entry (nothing it reported is lost).
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

# no_deleted_wal - fail when the worker uses a WAL that is gone
no_deleted_wal() {
	if ls -l "/proc/$worker_pid/fd" 2>/dev/null | grep -q -- '-wal (deleted)'; then
		fail "$1: the worker's WAL was deleted under it: $(ls -l "/proc/$worker_pid/fd" | grep wal)"
	fi
}

heartbeat_age() {
	"$ps" status --json | grep -o '"heartbeat_age_ms": *[0-9]*' | grep -o '[0-9]*$'
}

step="start"
start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 5
start_worker
ok status
no_deleted_wal "after status"

step="commands beside the worker"
k=0
while [ "$k" -lt 150 ]; do
	ok mappings set shipping_method 'bc>bp' "Carrier $k" 6
	if [ $((k % 10)) -eq 0 ]; then
		sb_post bigcommerce/orders '{"billing_address":{"first_name":"W","last_name":"L","email":"wal'$k'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}'
		no_deleted_wal "after $k mappings"
	fi
	k=$((k + 1))
done
no_deleted_wal "after 150 mappings"

step="the worker still sees and is seen"
age=$(heartbeat_age)
[ -n "$age" ] && [ "$age" -lt 5000 ] || fail "heartbeat ${age:-missing} ms old: the CLI does not see the worker's writes"
# the 15 orders placed meanwhile (and the demo store's two) arrive
i=0
until [ "$(bp_refs | wc -l)" -ge 17 ]; do
	i=$((i + 1))
	[ "$i" -le 300 ] || fail "$(bp_refs | wc -l) orders in Brightpearl, want 17; worker: $(tail -5 "$tmp/w.err")"
	sleep 0.1
done
no_deleted_wal "after the imports"

step="kill -9"
stop_worker KILL
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = "ok" ] || fail "integrity check: $(sqlite3 "$db" 'PRAGMA integrity_check' | head -5)"
n=$(sqlite3 "$db" "SELECT count(*) FROM mappings WHERE kind = 'shipping_method'")
[ "$n" -eq 150 ] || fail "$n shipping_method mappings, want 150"
# every order Brightpearl has from this worker is linked and logged
bp_refs >"$tmp/refs"
# (xrefs keep the lower platform first: Brightpearl 0, BigCommerce 1)
sqlite3 "$db" "SELECT id_b FROM xrefs WHERE entity = 'order' AND platform_a = 0 AND platform_b = 1" | sort -u >"$tmp/linked"
missing=$(comm -23 "$tmp/refs" "$tmp/linked" | tr '\n' ' ')
[ -z "$missing" ] || fail "Brightpearl orders with no cross-reference: $missing"
for ref in $(cat "$tmp/refs"); do
	s=$(sqlite3 "$db" "SELECT status FROM log_entries WHERE dedupe_key = 'bc:order:$ref:import'")
	[ "$s" = "2" ] || fail "order $ref: import entry status '$s', want synced (2)"
done
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
exit 0
