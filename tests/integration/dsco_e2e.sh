#!/bin/sh
# The DSCO cycle end to end, as a merchant runs it: 50 purchase orders
# made with DSCO's control API (new and known customers, products by SKU
# and through the dsco_product map, an item nothing matches, two lines of
# one SKU, multi-line POs, a PO cancelled before and one after shipping;
# tests/integration/fixtures/cli/dsco_cycle.py lists them) go through
# `pearlsync worker` with its listener on (the systemd default), set up
# as the README's DSCO steps say.  Then goods-out notes are shipped in
# Brightpearl (partial and whole), orders invoiced, stock moved, the
# inventory switched on and the two POs cancelled.  Each stage is checked
# on the sandbox's state: one Brightpearl order per PO with a row per
# line (externalRef the lineNumber), one acknowledgement each, one DSCO
# package per note with exactly its lines, one DSCO invoice per invoiced
# order line for line, DSCO's levels equal to Brightpearl's on hand, the
# cancelled order at the cancel status; and exactly two failed entries
# with their reasons (the unknown item, the PO cancelled after shipping).
#
# Then the same cycle again from scratch with the worker killed with
# SIGKILL at seeded random moments in every stage, 30% of DSCO's replies
# faulted and 10% of Brightpearl's (faults stop before the catch-up
# runs): the same outcome, no duplicate and nothing lost.
# DSCO_SEED changes the kill moments and the fault sequence; DSCO_KILLS
# the kills per stage.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
seed=${DSCO_SEED:-20261203}
kills=${DSCO_KILLS:-4}
cycle="$PS_SOURCE_DIR/tests/integration/fixtures/cli/dsco_cycle.py"

start_sandbox --seed demo --quota off --dsco-async-ms 50
ds_url=$(awk '$1 == "dsco" { print $2 }' "$tmp/sandbox.out")
[ -n "$ds_url" ] || fail "the sandbox names no DSCO URL"

py() { python3 "$cycle" "$control" "$tmp/plan.json" "$@"; }

# the README's DSCO setup steps, in their order
configure() {
	rm -f "$db" "$db-wal" "$db-shm"
	connect_platforms
	ok settings set brightpearl.installed_integration_instance_id 7
	ok settings set webhooks.secret e2e-secret-4242
	# connect and test
	ok settings set dsco.base_url "$ds_url"
	ok settings set dsco.client_id sandbox-client
	ok settings set dsco.client_secret sandbox-secret
	ok settings set dsco.enabled true
	ok check-connection dsco
	# customers, products
	ok settings set dsco.orders.enabled true
	ok settings set dsco.customers.mode auto
	ok settings set dsco.items.match_field sku
	ok settings set dsco.items.bp_field sku
	ok mappings set dsco_product 'dsco>bp' BOTTLE-RTL 1011
	# inventory: switched on once the stock has moved (stage 3)
	ok settings set dsco.inventory.warehouses 2
	# order defaults
	ok settings set dsco.order_status 2
	ok settings set dsco.channel_id 1
	ok settings set dsco.defaults.warehouse_id 2
	ok settings set dsco.defaults.tax_code T
	# shipping methods and warehouses
	ok mappings set dsco_shipping_method 'bp>dsco' 7 UPCG
	ok mappings set dsco_warehouse 'bp>dsco' 2 WH01
	# shipment trigger, cancel status
	ok settings set dsco.shipment_trigger goods_out
	ok settings set dsco.cancel_status Cancelled
	ok settings set sync.poll_interval_seconds 5
	# no lag on DSCO's window: the stages are short
	sb_post dsco/config '{"asyncDelayMs":50,"untilLagS":0}'
}

failed_json() {
	ok logs --status failed --json --limit 1000
	cp "$tmp/out" "$tmp/failed.json"
}

# busy - how many entries of the DSCO flows are still pending or in
# flight (listed in $tmp/busy).  The BigCommerce flows are left out: the
# sandbox's Brightpearl raises webhooks for the DSCO orders' notes, which
# the switched-off BigCommerce shipment flow records and leaves pending.
busy() {
	for _s in pending in_flight; do
		run logs --status $_s --json --limit 1000
		cp "$tmp/out" "$tmp/$_s.json"
	done
	python3 -c '
import json, sys
busy = [e for f in sys.argv[1:] for e in json.load(open(f))
        if "dsco" in e["flow"]]
for e in busy[:5]:
    print(e["id"], e["flow"], e["status"], e["kind"], e["subject"],
          e["attempts"], e["reason"])
print(len(busy))' "$tmp/pending.json" "$tmp/in_flight.json" >"$tmp/busy"
	tail -1 "$tmp/busy"
}

# settled STAGE - nothing busy and STAGE checks out ($tmp/check says)
settled() {
	failed_json
	if [ "$(busy)" != 0 ]; then
		echo "busy: $(head -5 "$tmp/busy")" >"$tmp/check"
		return 1
	fi
	py check "$1" "$tmp/failed.json" >"$tmp/check"
}

# clean STAGE - the worker, listener on, until STAGE checks out (45 s)
clean() {
	start_worker
	_i=0
	while :; do
		settled "$1" && break
		_i=$((_i + 1))
		[ "$_i" -le 90 ] || { stop_worker; fail "$1: $(cat "$tmp/check"); worker: $(tail -5 "$tmp/w.err")"; }
		sleep 0.5
	done
	stop_worker
	[ "$worker_rc" = 0 ] || fail "worker exited $worker_rc: $(tail -5 "$tmp/w.err")"
	echo "$step $1 ($(($(date +%s) - t0)) s): $(cat "$tmp/check")"
}

# killed STAGE - SIGKILLs at random moments under faults, then catch up
killed() {
	sb_post faults '{"platform":"dsco","rate":0.3,"seed":'"$seed"',"kinds":["429","503","500","drop","truncate"]}'
	sb_post faults '{"platform":"brightpearl","rate":0.1,"seed":'"$seed"',"kinds":["503","drop"]}'
	awk -v s="$seed$1" -v k="$kills" 'BEGIN { srand(s); for (i = 0; i < k; i++) printf "%.2f\n", 0.5 + rand() * 2.5 }' >"$tmp/delays"
	# the first start picks a free port for the listener; the rest
	# reuse it without start_worker's wait, so a kill can come early
	start_worker
	while read -r d; do
		[ -n "$worker_pid" ] || spawn_worker
		sleep "$d"
		stop_worker KILL
	done <"$tmp/delays"
	sb_post faults '{"platform":"*","rate":0}'
	_tries=0
	while :; do
		run worker --once
		[ "$rc" = 0 ] || fail "worker --once exited $rc: $(tail -5 "$tmp/err")"
		settled "$1" && break
		_tries=$((_tries + 1))
		[ "$_tries" -le 12 ] || fail "$1: $(cat "$tmp/check")"
		# faults and kills may have failed entries that now go through
		ok retry --failed
		sleep 1
	done
	echo "$step $1 ($(($(date +%s) - t0)) s): $(cat "$tmp/check")"
}

cycle() {
	configure
	py create || fail "creating the POs"
	$1 import
	py ship || fail "shipping"
	$1 shipped
	ok settings set dsco.inventory_enabled true
	py cancel || fail "cancelling"
	$1 final
}

t0=$(date +%s)
step="clean"
cycle clean
grep -q "sandbox-secret" "$tmp/all-output" && fail "the DSCO client secret was printed"

step="killed"
sb_post reset '{"seed":"demo"}'
cycle killed
exit 0
