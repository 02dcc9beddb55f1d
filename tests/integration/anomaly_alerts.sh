#!/bin/sh
# The anomaly alerts end to end.
#
# Order drop, on a database alone: 14 days of 20 orders an hour written
# into the log, then nothing in the last hour: `status --json` and
# `report` name the drop; once the last hour's orders are in, neither
# does.  A young log (6 days) judges nothing.
#
# The rest with the real worker against the sandbox: a normal start (the
# demo's orders import, the first inventory pass changes nothing) raises
# no anomaly, and /metrics says 0.  Then planted: orders with SKUs
# Brightpearl does not know (a burst of failures) and five SKUs whose
# Brightpearl stock drops to 0 while the stock webhooks are lost (the
# inventory pass zeroes them in BigCommerce: read from the sandbox), then a BigCommerce answering 429
# to everything.  Each raises its alert in `status --json`, its gauge in
# /metrics (scraped) and its line in the report.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

# alerts - the alerts' texts, one a line, from `status --json`
alerts() {
	"$ps" status --json >"$tmp/status.json" 2>"$tmp/err" || fail "status --json failed"
	"$py" -c 'import json,sys; [print(a["what"]) for a in json.load(open(sys.argv[1]))["alerts"]]' "$tmp/status.json"
}
has_alert() { alerts | grep -c -e "$1" || :; }
report() { "$ps" report >"$tmp/report" 2>"$tmp/err" || fail "report failed: $(cat "$tmp/err")"; }

# plant_orders FLOW FROM_H TO_H N - N order imports in each hour from
# FROM_H to TO_H hours ago (0: this hour, a minute into it), synced
plant_orders() {
	sqlite3 "$db" "WITH RECURSIVE h(x) AS (SELECT $2 UNION ALL SELECT x - 1 FROM h WHERE x > $3),
		n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $4),
		t(now) AS (SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000)
		INSERT INTO log_entries(flow, dedupe_key, status, inserted_at, updated_at,
			source_platform, target_platform, kind, subject)
		SELECT '$1', 'plant:' || x || ':' || i, 2,
			(now / 3600000 - x) * 3600000 + 60000, (now / 3600000 - x) * 3600000 + 60000,
			2, 1, 'order.import', x || '-' || i FROM h, n, t" ||
		fail "planting orders"
}

# ---- order drop: a scratch database --------------------------------------
ok init
step="young log"
plant_orders order_import_bc $((24 * 6)) 2 20
[ "$(has_alert 'order(s) in the last hour')" = 0 ] || fail "judged on 6 days: $(alerts)"

step="quiet hour"
plant_orders order_import_bc $((24 * 14 + 1)) $((24 * 6 + 1)) 20
[ "$(has_alert 'order_import_bc: 0 order(s) in the last hour, usually 20 at this hour (median of 14 days): below 5')" = 1 ] ||
	fail "no order drop alert: $(alerts)"
ok status
expect_out "order_import_bc: 0 order(s) in the last hour"
expect_out "fix: check the store takes orders"
report
grep -q "^Anomalies" "$tmp/report" || fail "the report has no anomalies: $(cat "$tmp/report")"
tr -d '\r' <"$tmp/report" | tr '\n' ' ' | grep -q "order_import_bc: 0 order(s) in the last hour" ||
	fail "the report lacks the drop: $(cat "$tmp/report")"

step="orders back"
plant_orders order_import_bc 1 0 20
[ "$(has_alert 'order(s) in the last hour')" = 0 ] || fail "alert with the usual orders: $(alerts)"
report
grep -q "^Anomalies" "$tmp/report" && fail "anomalies in a normal report: $(cat "$tmp/report")"
rm -f "$db" "$db-wal" "$db-shm"

# ---- the worker against the sandbox --------------------------------------
start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
ok settings set bigcommerce.inventory.enabled true
ok settings set bigcommerce.inventory.warehouses 2
ok settings set alerts.zero_stock_skus 5
ok settings set alerts.throttle_seconds 10
base=""
# scrape; gauge KIND SUBJECT - pearlsync_anomaly's value (empty: absent)
scrape() { curl -sf "$base/metrics" >"$tmp/metrics" || fail "GET /metrics failed"; }
gauge() {
	awk -v k="pearlsync_anomaly{kind=\"$1\",subject=\"$2\"}" '$1 == k { print $2 }' "$tmp/metrics"
}
bp_count() { bp_refs | wc -l | tr -d ' '; }
# passes - inventory passes (reconciles) done
passes() {
	sqlite3 -cmd ".timeout 5000" "$db" "SELECT COUNT(*) FROM log_entries WHERE kind = 'inventory.reconcile' AND status = 2"
}

step="normal start"
start_worker
base="http://127.0.0.1:$port"
wait_for bp_count 2
wait_for passes 1
anomalous=$(alerts | grep -c "in the last hour\|to zero\|throttling us for" || :)
[ "$anomalous" = 0 ] || fail "anomalies on a normal start: $(alerts)"
scrape
[ "$(gauge zero_stock inventory_export_bc)" = 0 ] ||
	fail "zero_stock gauge '$(gauge zero_stock inventory_export_bc)': $(grep anomaly "$tmp/metrics")"
[ "$(gauge failure_spike order_import_bc)" = 0 ] ||
	fail "failure_spike gauge '$(gauge failure_spike order_import_bc)'"
stop_worker

step="planted"
# the stock changes' webhooks are lost: the pass is what sees them
sb_post webhooks '{"platform":"brightpearl","drop_rate":1.0,"seed":1}'
for sku in CAP-BLK MUG-LOGO BAG-TOTE SOCK-3PK BTL-STEEL; do
	sb_post brightpearl/stock "{\"sku\":\"$sku\",\"warehouseId\":2,\"inStock\":0}"
done
for i in 1 2 3 4 5 6; do
	sb_post bigcommerce/orders "{\"billing_address\":{\"first_name\":\"N\",\"last_name\":\"S\",\"email\":\"nosku$i@example.com\",\"street_1\":\"1 St\",\"city\":\"C\",\"zip\":\"12345\",\"country_iso2\":\"US\"},\"lines\":[{\"sku\":\"NO-SUCH-$i\",\"quantity\":1,\"price\":\"5.00\"}],\"status_id\":11}"
done
start_worker
ok run order_import_bc
ok run inventory_export_bc
wait_for passes 2
spike() { has_alert 'order_import_bc: 6 of 8 entries failed in the last hour (75%), usually 0%'; }
zero() { has_alert 'inventory_export_bc set 5 of 11 SKUs to zero in its last pass'; }
wait_for spike 1
wait_for_zero() {
	i=0
	until [ "$(zero)" = 1 ]; do
		i=$((i + 1))
		[ "$i" -le 300 ] || fail "no zero-stock alert: $(alerts); $(sqlite3 -cmd ".timeout 5000" "$db" "SELECT json FROM cache WHERE kind LIKE 'stock_pass.%'; SELECT kind, status, substr(detail, 1, 300) FROM log_entries WHERE flow = 'inventory_export_bc'")"
		sleep 0.2
	done
}
wait_for_zero
# BigCommerce shows the zeroes: the pass really sent them
bc_zero=$(curl -s "$control/bigcommerce/state" | "$py" -c '
import json,sys
d=json.load(sys.stdin)
print(sum(1 for i in d["inventory"] if i.get("sku") in ("CAP-BLK","MUG-LOGO","BAG-TOTE","SOCK-3PK","BTL-STEEL") and i.get("inventory_level")==0))')
[ "$bc_zero" = 5 ] || fail "BigCommerce has $bc_zero of the 5 SKUs at 0"
scrape
[ "$(gauge zero_stock inventory_export_bc)" = 1 ] || fail "zero_stock gauge: $(grep anomaly "$tmp/metrics")"
[ "$(gauge failure_spike order_import_bc)" = 1 ] || fail "failure_spike gauge: $(grep anomaly "$tmp/metrics")"
report
tr -d '\r' <"$tmp/report" | tr '\n' ' ' | tr -s ' ' >"$tmp/report.flat"
grep -q "6 of 8 entries failed in the last hour" "$tmp/report.flat" || fail "report: $(cat "$tmp/report")"
grep -q "inventory_export_bc set 5 of 11 SKUs to zero" "$tmp/report.flat" || fail "report: $(cat "$tmp/report")"

step="throttled"
sb_post faults '{"platform":"bigcommerce","rate":1.0,"kinds":["429"],"seed":1}'
throttled() { has_alert 'BigCommerce has been throttling us for'; }
i=0
until [ "$(throttled)" = 1 ]; do
	i=$((i + 1))
	[ "$i" -le 60 ] || fail "no throttling alert: $(alerts); worker: $(tail -5 "$tmp/w.err")"
	"$ps" run order_import_bc >/dev/null 2>&1 || :
	sleep 1
done
scrape
[ "$(gauge throttled bigcommerce)" = 1 ] || fail "throttled gauge: $(grep anomaly "$tmp/metrics")"
report
tr -d '\r' <"$tmp/report" | grep -q "BigCommerce has been throttling us for" || fail "report: $(cat "$tmp/report")"
sb_post faults '{"platform":"bigcommerce","rate":0}'
cp "$tmp/report" "$tmp/report.final"
stop_worker
echo "PASS"
