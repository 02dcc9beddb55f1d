#!/bin/sh
# `pearlsync replay` against the sandbox, beside a worker with its listener
# on, every outcome read from the simulators' state:
#   - orders: the store's clock is put two hours back; two orders placed
#     then arrive by webhook and are imported; then BigCommerce's
#     deliveries are all dropped and three importable orders, one Pending
#     (filtered) and, five hours back, one more are placed.  The worker
#     polls once a day and its cursor is past them all, so nothing else
#     would find them.  A replay of 3h..1h ago creates exactly the three
#     lost Brightpearl orders (externalRefs), lists two as already synced
#     and the Pending one as skipped, and leaves the five-hour-old one
#     alone; a second replay creates nothing; a status change of an
#     imported order whose webhook is lost is replayed as the poll's edit,
#     once; a dry run over the older window says it would queue one and
#     writes nothing;
#   - kill -9: with the worker stopped and Brightpearl slowed, five more
#     lost orders are replayed with --now, the replay is killed with
#     SIGKILL once the first of them exists in Brightpearl, and run
#     again: each of the five exists exactly once; six more replayed with
#     --now while the worker runs (both claim) exist once each;
#   - an order whose Brightpearl order exists but was never recorded (a
#     crash after the create) is found by externalRef, linked, not made
#     again;
#   - shipments: a Brightpearl goods-out note shipped while Brightpearl's
#     deliveries are dropped is replayed: exactly one BigCommerce
#     shipment, and a second replay adds none;
#   - statuses: a Brightpearl status change whose webhook is lost reaches
#     BigCommerce through a replay (mapped status), once;
#   - notes: a Brightpearl note replayed while the notes flow is off is
#     queued, the replay says the worker holds it, and it is copied once
#     the flow is switched on; a second replay queues nothing.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

start_sandbox
connect_sandbox
ok settings set sync.poll_interval_seconds 86400
ok settings set bigcommerce.fulfilment.enabled true

# every Brightpearl sales order's externalRef, one a line, duplicates kept
bp_refs_all() {
	curl -s "$control/brightpearl/state" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["orders"].values():
    r = o.get("externalRef")
    if r:
        print(r)' | sort
}
bp_count() { bp_refs_all | wc -l | tr -d ' '; }
# the number of shipments of BigCommerce order $1
bc_shipments() {
	curl -s "$control/bigcommerce/orders/$1" | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["shipments"]))'
}
# the status id of BigCommerce order $1
bc_status() {
	curl -s "$control/bigcommerce/orders/$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["order"]["status_id"])'
}
# how many times text $2 is in BigCommerce order $1's staff notes
bc_notes_with() {
	curl -s "$control/bigcommerce/orders/$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["order"].get("staff_notes", "").count(sys.argv[1]))' "$2"
}
# the statusId of the Brightpearl order whose externalRef is $1
bp_status_of() {
	curl -s "$control/brightpearl/state" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["orders"].values():
    if o.get("externalRef") == sys.argv[1]:
        print(o.get("statusId"))' "$1"
}
# the Brightpearl order id whose externalRef is $1
bp_order_of() {
	curl -s "$control/brightpearl/state" | python3 -c '
import json, sys
for k, o in json.load(sys.stdin)["orders"].items():
    if o.get("externalRef") == sys.argv[1]:
        print(o.get("id", k))' "$1"
}
# place [STATUS]: a BigCommerce order as a shopper; its id in $placed
n_placed=0
place() {
	n_placed=$((n_placed + 1))
	curl -sf -X POST "$control/bigcommerce/orders" -d '{"billing_address":{"first_name":"R","last_name":"P","email":"r'"$n_placed"'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":'"${1:-11}"'}' >"$tmp/placed" || fail "placing an order"
	placed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["order"]["id"])' "$tmp/placed")
}
clock() { sb_post bigcommerce/config '{"clock_offset_s":'"$1"'}'; }
# json_total KEY: the totals.KEY of the replay JSON in $tmp/out
json_total() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$tmp/out" "$1"
}

step="worker"
start_worker
wait_for hooks 4 # order created, updated, status, refund created
wait_for bp_count 2 # demo orders 100 and 101; 102 is Pending

step="plant"
clock -7200
place
synced1=$placed
place
synced2=$placed
wait_for bp_count 4 # by webhook
sb_post webhooks '{"platform":"bigcommerce","drop_rate":1,"seed":1}'
clock -7000
place
lost1=$placed
place
lost2=$placed
place 1
pending=$placed
place
lost3=$placed
clock -18000
place
old=$placed
clock 0
sleep 2
[ "$(bp_count)" = 4 ] || fail "lost orders arrived without a replay: $(bp_refs_all | tr '\n' ' ')"

step="replay orders"
ok replay --flow orders --since 3h --until 1h --json
[ "$(json_total queued)" = 3 ] || fail "queued $(json_total queued), want 3"
[ "$(json_total synced)" = 2 ] || fail "synced $(json_total synced), want 2"
[ "$(json_total skipped)" = 1 ] || fail "skipped $(json_total skipped), want 1"
grep -q "\"id\": \"$pending\"" "$tmp/out" || fail "Pending order $pending not listed"
grep -q "\"id\": \"$old\"" "$tmp/out" && fail "order $old outside the window listed"
wait_for bp_count 7
want=$(printf '%s\n' 100 101 "$synced1" "$synced2" "$lost1" "$lost2" "$lost3" | sort)
[ "$(bp_refs_all)" = "$want" ] || fail "Brightpearl refs $(bp_refs_all | tr '\n' ' '), want $(echo $want)"

step="replay again"
ok replay --flow orders --since 3h --until 1h
grep -q "^5 objects: 5 already synced, 0 queued, 0 in progress, 0 skipped" "$tmp/out" ||
	grep -q "^6 objects: 5 already synced, 0 queued, 0 in progress, 1 skipped" "$tmp/out" ||
	fail "second replay: $(tail -n 1 "$tmp/out")"
sleep 2
[ "$(bp_count)" = 7 ] || fail "second replay created orders: $(bp_refs_all | tr '\n' ' ')"

step="order edit"
# a status change of an imported order whose webhook is lost: the replay
# queues the edit the poll would have recorded, once
ok mappings set order_status 'bc>bp' 10 8
sb_post "bigcommerce/orders/$synced1/status" '{"status_id":10}'
sleep 2
[ "$(bp_status_of "$synced1")" = 2 ] || fail "the status arrived without a replay"
ok replay --flow orders --since 3h --until 1h
grep -q "order status $synced1 .* queued " "$tmp/out" || fail "no status edit queued: $(cat "$tmp/out")"
wait_for "bp_status_of $synced1" 8
ok replay --flow orders --since 3h --until 1h
# performed, the edit is the order's known state: nothing to queue
grep -q "^6 objects: 5 already synced, 0 queued" "$tmp/out" || fail "third replay: $(cat "$tmp/out")"

step="dry run"
ok replay --flow orders --since 6h --until 4h --dry-run
grep -q "order $old .*would queue" "$tmp/out" || fail "dry run does not offer order $old"
sleep 2
[ "$(bp_count)" = 7 ] || fail "dry run created an order"
ok logs --search "$old"
grep -q "$old" "$tmp/out" && fail "dry run recorded an entry for $old"

step="no slot"
run replay --flow no-such-flow --since 1h
[ "$rc" -eq 2 ] || fail "unknown flow: exit $rc"
grep -q "flows that can be replayed: .*order_import_bc (orders)" "$tmp/err" || fail "no list of replayable flows"
# a flow that exists but has no replay slot
run replay --flow dsco-orders --since 1h
[ "$rc" -eq 2 ] || fail "flow without the slot: exit $rc"
grep -q "cannot replay flow 'dsco-orders'; flows that can be replayed: .*(shipments)" "$tmp/err" || fail "flow without the slot: $(cat "$tmp/err")"

step="kill -9"
stop_worker
clock -7000
k=0
kills=""
while [ "$k" -lt 5 ]; do
	place
	kills="$kills $placed"
	k=$((k + 1))
done
clock 0
sb_post faults '{"platform":"brightpearl","rate":1,"kinds":["latency"],"latency_ms":800,"seed":5}'
"$ps" replay --flow orders --since 3h --until 1h --now >"$tmp/k.out" 2>"$tmp/k.err" &
rpid=$!
i=0
until [ "$(bp_count)" -ge 8 ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || fail "replay --now created nothing: $(cat "$tmp/k.err")"
	kill -0 "$rpid" 2>/dev/null || fail "replay ended before the kill: $(cat "$tmp/k.out" "$tmp/k.err")"
	sleep 0.05
done
kill -9 "$rpid" 2>/dev/null || fail "replay --now ended before the kill: $(cat "$tmp/k.out")"
wait "$rpid" 2>/dev/null || :
# the kill came before the replay recorded every import: some entry is
# still in flight (or not yet claimed)
run logs --flow orders --kind order.import --status synced --limit 1000 --json
synced_at_kill=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out")
[ "$synced_at_kill" -lt 12 ] || fail "the kill came after the replay finished"
sb_post faults '{"platform":"brightpearl","rate":0}'
ok replay --flow orders --since 3h --until 1h --now
[ "$(bp_count)" = 12 ] || fail "after the rerun: $(bp_count) orders, want 12: $(bp_refs_all | tr '\n' ' ')"
want=$(printf '%s\n' 100 101 "$synced1" "$synced2" "$lost1" "$lost2" "$lost3" $kills | sort)
[ "$(bp_refs_all)" = "$want" ] || fail "refs after kill: $(bp_refs_all | tr '\n' ' ')"

step="--now beside the worker"
# the worker and `replay --now` both claim the queued imports: each is
# performed by one of them, once
start_worker
clock -7000
k=0
both=""
while [ "$k" -lt 6 ]; do
	place
	both="$both $placed"
	k=$((k + 1))
done
clock 0
ok replay --flow orders --since 3h --until 1h --now
wait_for bp_count 18
sleep 2
want=$(printf '%s\n' 100 101 "$synced1" "$synced2" "$lost1" "$lost2" "$lost3" $kills $both | sort)
[ "$(bp_refs_all)" = "$want" ] || fail "refs beside the worker: $(bp_refs_all | tr '\n' ' ')"

step="shipments"
sb_post webhooks '{"platform":"brightpearl","drop_rate":1,"seed":2}'
bp_lost1=$(bp_order_of "$lost1")
[ -n "$bp_lost1" ] || fail "no Brightpearl order for $lost1"
since=$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)
sb_post brightpearl/ship '{"orderId":'"$bp_lost1"',"warehouseId":2,"tracking":"1Z999","shippingMethodId":6,"ship":true}'
sleep 2
[ "$(bc_shipments "$lost1")" = 0 ] || fail "the shipment arrived without a replay"
ok replay --flow shipments --since "$since" --json
[ "$(json_total queued)" = 1 ] || fail "shipments queued $(json_total queued), want 1: $(cat "$tmp/out")"
wait_for "bc_shipments $lost1" 1
ok replay --flow shipments --since "$since"
grep -q "1 already synced, 0 queued" "$tmp/out" || fail "second shipment replay: $(cat "$tmp/out")"
sleep 2
[ "$(bc_shipments "$lost1")" = 1 ] || fail "second replay added a shipment"

step="statuses"
ok settings set bigcommerce.orders.sync_statuses 7
ok mappings set order_status 'bp>bc' 7 9
bp_lost2=$(bp_order_of "$lost2")
since=$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)
sb_post brightpearl/order-status '{"orderId":'"$bp_lost2"',"statusId":7}'
sleep 2
[ "$(bc_status "$lost2")" = 11 ] || fail "the status arrived without a replay"
ok replay --flow statuses --since "$since" --json
[ "$(json_total queued)" = 1 ] || fail "statuses queued $(json_total queued), want 1: $(cat "$tmp/out")"
wait_for "bc_status $lost2" 9
ok replay --flow statuses --since "$since"
grep -q " 1 already synced, 0 queued" "$tmp/out" || fail "second status replay: $(cat "$tmp/out")"

step="notes"
ok settings set bigcommerce.notes.enabled false
sleep 1.1
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sb_post brightpearl/note '{"orderId":'"$bp_lost2"',"text":"Gift wrap it, please","isPublic":false}'
ok replay --flow notes --since "$since"
grep -q "^1 object: 0 already synced, 1 queued" "$tmp/out" || fail "notes replay: $(cat "$tmp/out")"
# the flow is off: the worker leaves the entry, and the replay says so
grep -q "bigcommerce.notes.enabled is off" "$tmp/out" || fail "no word on the switched-off flow: $(cat "$tmp/out")"
sleep 2
[ "$(bc_notes_with "$lost2" "Gift wrap it")" = 0 ] || fail "a switched-off flow performed the note"
ok settings set bigcommerce.notes.enabled true
wait_for "bc_notes_with $lost2 Gift" 1
ok replay --flow notes --since "$since"
grep -q "^1 object: 1 already synced, 0 queued" "$tmp/out" || fail "second notes replay: $(cat "$tmp/out")"
sleep 2
[ "$(bc_notes_with "$lost2" "Gift wrap it")" = 1 ] || fail "the note was copied twice"

step="found by externalRef"
# an import that created its Brightpearl order and died before recording
# it: the replay finds the order by its externalRef, records the
# cross-reference and creates nothing
clock -7000
place
adopt=$placed
clock 0
curl -sf -X POST "$bp_url/public-api/sandbox/order-service/sales-order" \
	-H 'brightpearl-app-ref: sandbox_pearlsync' \
	-H 'brightpearl-account-token: sandbox-token' \
	-H 'Content-Type: application/json' \
	-d '{"customer":{"id":201},"ref":"'"$adopt"'","externalRef":"'"$adopt"'","installedIntegrationInstanceId":7,"statusId":2,"channelId":1,"warehouseId":2,"rows":[{"productId":1008,"name":"CAP-BLK","quantity":1,"taxCode":"T","net":12,"tax":0}]}' \
	>"$tmp/so" || fail "creating the Brightpearl order of $adopt"
ok replay --flow orders --since 3h --until 1h
grep -q "order $adopt .*already synced .*found by externalRef $adopt" "$tmp/out" || fail "not found by externalRef: $(cat "$tmp/out")"
grep -q " queued " "$tmp/out" && fail "queued something: $(cat "$tmp/out")"
[ "$(bp_refs_all | grep -c "^$adopt\$")" = 1 ] || fail "order $adopt twice in Brightpearl"
ok replay --flow orders --since 3h --until 1h
grep -q "order $adopt .*already synced .*Brightpearl order [0-9]*\$" "$tmp/out" || fail "cross-reference not recorded: $(cat "$tmp/out")"

stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit status $worker_rc"
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
exit 0
