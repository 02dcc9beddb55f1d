#!/bin/sh
# Exactly once through the real worker: ORDERS_N orders (default 60) are
# imported while `pearlsync worker` is killed with SIGKILL at seeded random
# moments, first cleanly and then with 30% of the sandbox's Brightpearl
# replies faulted while the kills go on (the faults stop before the final
# catch-up run, whose HTTP retries would otherwise take minutes).  Afterwards every import entry is synced and Brightpearl
# holds exactly one sales order per BigCommerce order: none missing, none
# twice.  The Brightpearl duplicate guard (installedIntegrationInstanceId)
# is left unset so the flow's own lookup by externalRef is what prevents
# duplicates.  Each captured order holds exactly one payment.
# ORDERS_SEED changes the kill moments and fault sequence.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
n=${ORDERS_N:-60}
seed=${ORDERS_SEED:-20261122}
kills=${ORDERS_KILLS:-12}

start_sandbox

configure() {
	rm -f "$db" "$db-wal" "$db-shm"
	connect_platforms # the duplicate guard stays unset (see above)
	ok settings set bigcommerce.orders.enabled true
	ok settings set bigcommerce.defaults.channel_id 1
	ok settings set bigcommerce.defaults.warehouse_id 2
	ok settings set bigcommerce.defaults.tax_code T
	ok settings set bigcommerce.payments.enabled true
	ok settings set sync.poll_interval_seconds 5
	ok mappings set order_status 'bc>bp' 11 2
	ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE
}

place_orders() {
	skus="TEE-RED-M MUG-LOGO CAP-BLK SOCK-3PK BAG-TOTE HOOD-GRY-M"
	k=0
	while [ "$k" -lt "$n" ]; do
		sku=$(echo $skus | cut -d' ' -f$((k % 6 + 1)))
		case $((k % 3)) in
		0) cust='' ;;
		1) cust=',"customer":{"email":"rel'$((k % 7))'@example.com","first_name":"Re","last_name":"L"}' ;;
		*) cust=',"customer":{"email":"new'$k'@example.com","first_name":"Ne","last_name":"W"}' ;;
		esac
		sb_post bigcommerce/orders '{"billing_address":{"first_name":"A","last_name":"B","email":"o'$k'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"'$sku'","quantity":'$((k % 3 + 1))'}],"status_id":11,"shipping_cost":"4.00","payment":{"gateway":"stripe","captured":true}'"$cust"'}'
		k=$((k + 1))
	done
}

# refs ARG - externalRefs of Brightpearl sales orders; ARG "-u": distinct
refs() {
	curl -s "$control/brightpearl/state" >"$tmp/state.json"
	if [ "$1" = "-u" ]; then
		grep -o '"externalRef": *"[0-9]*"' "$tmp/state.json" | sort -u | wc -l
	else
		grep -o '"externalRef": *"[0-9]*"' "$tmp/state.json" | wc -l
	fi
}

kill_loop() {
	awk -v s="$seed$1" -v k="$kills" 'BEGIN { srand(s); for (i = 0; i < k; i++) printf "%.2f\n", 0.15 + rand() * 0.6 }' >"$tmp/delays"
	while read -r d; do
		spawn_worker --no-listen
		sleep "$d"
		stop_worker KILL
	done <"$tmp/delays"
}

# converge - `worker --once` (which first re-checks entries a killed worker
# left in flight) and `retry --failed` until every entry is synced
converge() {
	tries=0
	while :; do
		"$PS_BIN_DIR/pearlsync" worker --once >"$tmp/out" 2>"$tmp/err" || true
		check_sanitizers
		ok status --json
		grep -q '"pending"\|"in_flight"\|"failed"' "$tmp/out" || break
		tries=$((tries + 1))
		[ "$tries" -le 10 ] || fail "entries never all synced: $(cat "$tmp/out")"
		ok retry --failed
	done
}

check() {
	want=$((n + 2)) # the demo store's orders 100 and 101 too
	total=$(refs all)
	distinct=$(refs -u)
	if [ "$distinct" -ne "$want" ]; then
		"$ps" logs --limit 1000 >"$tmp/out" 2>&1 || true
		grep -o '"externalRef": *"[0-9]*"' "$tmp/state.json" | sort -u >"$tmp/err"
		fail "$1: $distinct Brightpearl orders, want $want"
	fi
	[ "$total" -eq "$distinct" ] || fail "$1: $((total - distinct)) duplicate Brightpearl orders"
	# one payment per order but the demo's 101 (only authorised),
	# whether it was taken from the order or from its transactions
	pays=$(python3 -c '
import json, sys, collections
s = json.load(open(sys.argv[1]))
per = collections.Counter(p["orderId"] for p in s["payments"].values())
print("%d %d" % (sum(per.values()), max(per.values() or [0])))' "$tmp/state.json")
	[ "$pays" = "$((want - 1)) 1" ] || fail "$1: payments (count, most on one order): $pays, want $((want - 1)) 1"
	ok logs --status failed
	grep -q order_import_bc "$tmp/out" && fail "$1: failed entries left"
	ok status --json
	grep -q '"pending"\|"in_flight"' "$tmp/out" && fail "$1: entries not synced: $(cat "$tmp/out")"
	echo "$1: $distinct orders, no duplicate, every entry synced"
}

step="kills"
configure
place_orders
kill_loop a
converge
check "$kills SIGKILLs"

step="kills with faults"
sb_post reset '{"seed":"demo"}'
configure
place_orders
sb_post faults '{"platform":"brightpearl","rate":0.3,"seed":'"$seed"',"kinds":["429","503","500","drop","truncate"]}'
kill_loop b
sb_post faults '{"platform":"*","rate":0}'
converge
check "$kills SIGKILLs and 30% faults"
exit 0
