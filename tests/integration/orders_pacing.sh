#!/bin/sh
# Pacing under Brightpearl's quota, through the real worker with its
# listener on: the sandbox's Brightpearl window is scaled down to 20
# requests per 6 s (the real rate, 200 a minute, in a tenth of the time)
# and orders arrive by webhook at 3 a second for 12 s, more than lone
# imports (two or three requests each) could afford.  From the sandbox:
# no request was refused (no 503), every order is in Brightpearl once,
# and while orders were waiting Brightpearl never went more than 3 s
# without a request (the limiter spreads the window instead of spending
# it and stalling until it rolls over).  Then priorities: a note the
# merchant adds in Brightpearl while the budget is short reaches
# BigCommerce only after the orders are in (the notes poll waits while
# new orders go first), and it does arrive.  While it paces, the
# worker's /metrics and `pearlsync status` say so.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }

start_sandbox --seed demo --quota off
connect_sandbox
ok settings set sync.poll_interval_seconds 5
ok settings set sync.batch_hold_ms 1000
ok settings set bigcommerce.notes.enabled true

step="hooks"
start_worker
wait_for hooks 4
# the demo store's orders 100 and 101 came in by the first poll
bp_count() { bp_refs | wc -l; }
wait_for bp_count 2
sb_post brightpearl/quota '{"limit":20,"window_ms":6000}'
sb_post requests/reset '{}'

step="orders at 3 a second"
# place 36 orders evenly over 12 s; sample Brightpearl's request total
# every 0.2 s until they are all in (at most 40 s); after 6 s (the
# budget is short by then) the merchant adds a note to the demo order
# 100 in Brightpearl.  Each sample also scrapes the worker's /metrics;
# the first time it says Brightpearl is paced, `pearlsync status` runs.
# Writes "first last maxgap note_at all_in_at paced_seen" and the status
# text to $tmp/status.
"$py" - "$control" "$tmp/run" "http://127.0.0.1:$port/metrics" "$ps" "$tmp/status" <<'PY' || fail "placing orders"
import json, subprocess, sys, time, urllib.request
control, out, metrics, ps, status_out = sys.argv[1:6]
paced_seen = 0
def get(path):
    return json.load(urllib.request.urlopen(control + path))
def post(path, body):
    req = urllib.request.Request(control + path, data=json.dumps(body).encode(), method="POST")
    return json.load(urllib.request.urlopen(req))
bp_demo = [o for o in get("/brightpearl/state")["orders"].values() if o.get("externalRef") == "100"][0]
placed, t0 = [], time.monotonic()
last_total, last_change, maxgap = 0, time.monotonic(), 0.0
note_sent, note_at, all_in_at = False, None, None
k = 0
while time.monotonic() - t0 < 40:
    now = time.monotonic()
    while k < 36 and now - t0 >= k / 3.0:
        r = post("/bigcommerce/orders", {"billing_address": {"first_name": "P", "last_name": "Q",
                 "email": "pace%d@example.com" % (k % 5), "street_1": "1 St", "city": "C",
                 "zip": "12345", "country_iso2": "US"},
                 "lines": [{"sku": "CAP-BLK", "quantity": 1}], "status_id": 11})
        placed.append(str(r["order"]["id"]))
        k += 1
    if not note_sent and now - t0 >= 6:
        post("/brightpearl/note", {"orderId": bp_demo["id"], "text": "pacing-note-7", "isPublic": False})
        note_sent, note_t = True, now
    page = urllib.request.urlopen(metrics).read().decode()
    if not paced_seen and 'pearlsync_pacing_active{platform="brightpearl"} 1\n' in page:
        paced_seen = 1
        open(status_out, "w").write(subprocess.run([ps, "status"], capture_output=True, text=True).stdout)
    total = get("/requests").get("brightpearl", {}).get("total", 0)
    refs = {o.get("externalRef") for o in get("/brightpearl/state")["orders"].values()}
    waiting = k > 0 and not all(p in refs for p in placed)
    if total != last_total:
        last_total, last_change = total, now
    elif waiting:
        maxgap = max(maxgap, now - last_change)
    if k == 36 and not waiting and all_in_at is None:
        all_in_at = now - t0
    if note_sent and note_at is None:
        bc = get("/bigcommerce/state")["orders"]
        if any("pacing-note-7" in (o.get("order", o).get("staff_notes") or "") for o in bc):
            note_at = now - t0
    if all_in_at is not None and note_at is not None:
        break
    time.sleep(0.2)
open(out, "w").write("%s %s %.1f %s %s %d\n" % (placed[0], placed[-1], maxgap,
    "none" if note_at is None else "%.1f" % note_at,
    "none" if all_in_at is None else "%.1f" % all_in_at, paced_seen))
PY
read -r first last maxgap note_at all_in_at paced_seen <"$tmp/run"
[ "$all_in_at" != none ] || fail "not every order reached Brightpearl in 40 s ($(bp_count) of 38); worker: $(tail -5 "$tmp/w.err")"

step="no 503, each order once"
curl -s "$control/requests" >"$tmp/req.json"
throttled=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("brightpearl",{}).get("throttled",0))' "$tmp/req.json")
[ "$throttled" -eq 0 ] || fail "$throttled Brightpearl requests refused over the quota"
curl -s "$control/brightpearl/state" >"$tmp/bp.json"
"$py" - "$tmp/bp.json" "$first" "$last" <<'PY' || fail "Brightpearl orders"
import json, sys
st = json.load(open(sys.argv[1]))
lo, hi = int(sys.argv[2]), int(sys.argv[3])
refs = [o.get("externalRef") for o in st["orders"].values()]
for i in range(lo, hi + 1):
    n = refs.count(str(i))
    if n != 1:
        sys.exit("order %d is in Brightpearl %d times" % (i, n))
PY

step="no stall"
"$py" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 3.0 else 1)' "$maxgap" ||
	fail "Brightpearl went ${maxgap} s without a request while orders waited (a stall)"

step="notes wait for orders"
[ "$note_at" != none ] || { "$ps" logs --flow notes_bc >&2 || :; fail "the note never reached BigCommerce; worker: $(tail -5 "$tmp/w.err")"; }
"$py" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$note_at" "$all_in_at" ||
	fail "the note reached BigCommerce at ${note_at} s, before the orders were all in (${all_in_at} s)"

step="pacing shown"
[ "$paced_seen" -eq 1 ] || fail "/metrics never showed pearlsync_pacing_active{platform=\"brightpearl\"} 1"
grep -Eq '^pacing: +brightpearl budget [0-9]+/[0-9]+, [0-9.]+ requests/s' "$tmp/status" ||
	fail "status while pacing has no pacing line: $(cat "$tmp/status")"
curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^pearlsync_pacing_rate{platform="brightpearl"} ' ||
	fail "/metrics has no pacing rate for Brightpearl"

stop_worker
[ "$worker_rc" -eq 0 ] || fail "worker exit status $worker_rc"
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
echo "ok: 36 orders by webhook at 3/s under 20 requests per 6 s: all in by ${all_in_at} s, longest gap ${maxgap} s, note at ${note_at} s"
