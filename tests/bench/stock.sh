#!/bin/sh
# The stock benchmark (scripts/bench stock): Brightpearl stock levels to
# BigCommerce through the real binaries, at the real quotas (Brightpearl
# 200 requests a rolling minute, BigCommerce 150 per 30 s).  The sandbox
# is seeded with BENCH_SKUS products (20000) on both platforms, then:
#   1. reconcile: `pearlsync sync-once inventory` compares every SKU and
#      corrects every level (all differ) -> seconds, requests per
#      platform, pearlsync's CPU and peak RSS (/usr/bin/time) beside the
#      sandbox's CPU;
#   2. burst: with `pearlsync worker` running (listener on, its
#      Brightpearl webhook registered by the reconcile), BENCH_BURST
#      (100) stock changes made in Brightpearl as fast as the control API
#      takes them, one webhook each -> the seconds until BigCommerce
#      shows every new level (read from the sandbox), requests per
#      platform, the worker's CPU and the sandbox's CPU meanwhile;
#   3. the same reconcile in that worker (`pearlsync run inventory`,
#      every BigCommerce level set back to 0 first) -> seconds (to its
#      last stock write, waits for Brightpearl's window included),
#      requests, CPU, and the worker's peak RSS (VmHWM, over its whole
#      life).
# Needs curl, python3 and /usr/bin/time.  Binaries: $PS_BIN_DIR or
# build/bin (scripts/bench builds the optimised build/release first).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PS_BIN_DIR=${PS_BIN_DIR:-$root/build/bin}
skus=${BENCH_SKUS:-20000}
burst=${BENCH_BURST:-100}
ps="$PS_BIN_DIR/pearlsync"
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$ps" ] && [ -x "$sandbox" ] || { echo "build first: scripts/build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time" >&2; exit 1; }
[ "$burst" -le "$skus" ] || burst=$skus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pearlsync-bench.XXXXXX")
sb_pid=""
w_pid=""
cleanup() {
	[ -z "$w_pid" ] || kill "$w_pid" 2>/dev/null || :
	[ -z "$sb_pid" ] || kill "$sb_pid" 2>/dev/null || :
	wait 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
# a port nothing listens on now (the worker's listener)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db="$tmp/pearlsync.db"
PEARLSYNC_CONFIG="$tmp/pearlsync.conf"
export PEARLSYNC_CONFIG
printf 'database = "%s";\nlog_level = "error";\nlistener = { address = "127.0.0.1"; port = %d; };\n' "$db" "$port" >"$PEARLSYNC_CONFIG"

. "$root/tests/bench/lib.sh"

# requests PLATFORM - the sandbox's request count for PLATFORM
requests() {
	curl -s "$control/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1],{}).get("total",0))' "$1"
}

echo "stock benchmark: $skus SKUs, a burst of $burst stock changes, real quotas" >&2
start_sandbox real
q init
q settings set brightpearl.base_url "$bp_url"
q settings set brightpearl.account sandbox
q settings set brightpearl.app_ref sandbox_pearlsync
q settings set brightpearl.token sandbox-token
q settings set bigcommerce.base_url "$bc_url"
q settings set bigcommerce.store_hash sandbox
q settings set bigcommerce.token sandbox-token
q settings set bigcommerce.inventory.enabled true
q settings set bigcommerce.inventory.warehouses 2
q settings set webhooks.secret bench-stock-secret
q settings set webhooks.public_url "http://127.0.0.1:$port"

t0=$(now_ms)
sb0=$(cpu "$sb_pid")
python3 - "$control" "$skus" <<'PY'
import json, sys, urllib.request, urllib.error
control, n = sys.argv[1], int(sys.argv[2])
def post(path, body):
    req = urllib.request.Request(control + path, data=json.dumps(body).encode(), method="POST")
    return urllib.request.urlopen(req).read()
for i in range(0, n, 1000):
    post("/brightpearl/seed", {"products": [
        {"sku": "BENCH-%06d" % j, "name": "BENCH-%06d" % j, "price": "9.99",
         "stock": {"2": j % 50 + 5}, "stockTracked": True}
        for j in range(i, min(n, i + 1000))]})
def bc(j):
    return {"name": "Bench %06d" % j, "type": "physical", "weight": 1,
            "price": 9.99, "sku": "BENCH-%06d" % j,
            "inventory_tracking": "product", "inventory_level": 0}
try:  # a list in one call where the sandbox takes one
    for i in range(0, n, 1000):
        post("/bigcommerce/products", [bc(j) for j in range(i, min(n, i + 1000))])
except urllib.error.HTTPError:
    for j in range(n):
        post("/bigcommerce/products", bc(j))
PY
seed_s=$(python3 -c "print('%.1f' % (($(now_ms) - $t0) / 1000))")
seed_cpu=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb0))")
echo "seeded in ${seed_s}s (sandbox CPU ${seed_cpu}s)" >&2

# 1. the full reconcile
curl -s -X POST "$control/requests/reset" -d '{}' >/dev/null
sb0=$(cpu "$sb_pid")
t0=$(now_ms)
/usr/bin/time -f '%U %S %M' -o "$tmp/time" ${BENCH_WRAP:-} "$ps" sync-once inventory >/dev/null 2>"$tmp/sync.err" || { cat "$tmp/sync.err" >&2; exit 1; }
t1=$(now_ms)
sb1=$(cpu "$sb_pid")
rec_bp=$(requests brightpearl)
rec_bc=$(requests bigcommerce)
read -r u s rss <"$tmp/time"
rec_s=$(python3 -c "print('%.1f' % (($t1 - $t0) / 1000))")
rec_cpu=$(python3 -c "print('%.2f' % ($u + $s))")
rec_rss=$(python3 -c "print('%.1f' % ($rss / 1024))")
rec_sb=$(python3 -c "print('%.2f' % ($sb1 - $sb0))")

# 2. the burst, through the running worker
"$ps" worker >"$tmp/w.out" 2>"$tmp/w.err" </dev/null &
w_pid=$!
# wait for the worker's start-up requests (its first polls; the
# reconcile is not due again) to end: no request for 2 s
sleep 1
last=-1
while :; do
	kill -0 "$w_pid" 2>/dev/null || { cat "$tmp/w.err" >&2; exit 1; }
	now=$(($(requests brightpearl) + $(requests bigcommerce)))
	[ "$now" = "$last" ] && break
	last=$now
	sleep 2
done
curl -s -X POST "$control/requests/reset" -d '{}' >/dev/null
sb0=$(cpu "$sb_pid")
w0=$(cpu "$w_pid")
burst_s=$(python3 - "$control" "$skus" "$burst" <<'PY'
import json, sys, time, urllib.request
control, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def call(method, path, body=None):
    req = urllib.request.Request(control + path, method=method,
        data=json.dumps(body).encode() if body is not None else None)
    return json.loads(urllib.request.urlopen(req).read() or b"null")
step = max(1, n // k)
want = {}
t0 = time.monotonic()
for i in range(k):
    sku = "BENCH-%06d" % (i * step)
    want[sku] = 500 + i
    call("POST", "/brightpearl/stock", {"sku": sku, "warehouseId": 2, "inStock": 500 + i})
skus = ",".join(want)
while time.monotonic() - t0 < 300:
    have = {r["sku"]: r["inventory_level"] for r in call("GET", "/bigcommerce/inventory?sku=" + skus)}
    if all(have.get(s) == v for s, v in want.items()):
        print("%.1f" % (time.monotonic() - t0))
        break
    time.sleep(0.2)
else:
    print("timeout")
PY
)
sb1=$(cpu "$sb_pid")
w1=$(cpu "$w_pid")
b_bp=$(requests brightpearl)
b_bc=$(requests bigcommerce)
# where the burst's requests went, for the reader
curl -s "$control/requests" | python3 -c '
import json, sys
j = json.load(sys.stdin)
for p in ("brightpearl", "bigcommerce"):
    for e, n in sorted(j.get(p, {}).get("endpoints", {}).items()):
        sys.stderr.write("  burst: %s %s: %d\n" % (p, e, n))'
b_w=$(python3 -c "print('%.2f' % ($w1 - $w0))")
b_sb=$(python3 -c "print('%.2f' % ($sb1 - $sb0))")
w_rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$w_pid/status")

# 3. the same reconcile in the running worker (`run inventory`): its
# peak RSS over its whole life, the reconcile included
curl -s -X POST "$control/requests/reset" -d '{}' >/dev/null
curl -s "$control/bigcommerce/inventory" | python3 -c '
import json, sys, urllib.request
rows = [{"sku": r["sku"], "level": 0} for r in json.load(sys.stdin) if r["sku"].startswith("BENCH-")]
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/bigcommerce/inventory", data=json.dumps({"items": rows}).encode(), method="POST")).read()' "$control"
sb0=$(cpu "$sb_pid")
w0=$(cpu "$w_pid")
t0=$(now_ms)
"$ps" run inventory >"$tmp/run.out" 2>&1 || cat "$tmp/run.out" >&2
# done when every level is back: SKUS / 2000 stock writes (the
# Brightpearl window may still be full from the parts before, so the
# worker can wait its turn first: quiet is not done)
want=$(((skus + 1999) / 2000))
i=0
until [ "$(curl -s "$control/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("bigcommerce",{}).get("endpoints",{}).get("PUT v3/inventory/adjustments/absolute",0))')" -ge "$want" ]; do
	i=$((i + 1))
	[ "$i" -le 1200 ] || { echo "the worker's reconcile did not finish" >&2; exit 1; }
	sleep 0.25
done
t1=$(now_ms)
sleep 1 # its last writes recorded
wr_s=$(python3 -c "print('%.1f' % (($t1 - $t0) / 1000))")
wr_bp=$(requests brightpearl)
wr_bc=$(requests bigcommerce)
wr_w=$(python3 -c "print('%.2f' % ($(cpu "$w_pid") - $w0))")
wr_sb=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb0))")
wr_rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$w_pid/status")

printf 'stock benchmark (%s SKUs, real quotas)\n' "$skus"
printf '%-46s %10s %10s %10s %10s %10s %10s\n' measure seconds "BP req" "BC req" "ps CPU s" "sb CPU s" "ps RSS MB"
printf '%-46s %10s %10s %10s %10s %10s %10s\n' "seed $skus SKUs (control API)" "$seed_s" - - - "$seed_cpu" -
printf '%-46s %10s %10s %10s %10s %10s %10s\n' "full reconcile (sync-once inventory)" "$rec_s" "$rec_bp" "$rec_bc" "$rec_cpu" "$rec_sb" "$rec_rss"
printf '%-46s %10s %10s %10s %10s %10s %10s\n' "$burst stock changes, webhook to BigCommerce" "$burst_s" "$b_bp" "$b_bc" "$b_w" "$b_sb" "$w_rss"
printf '%-46s %10s %10s %10s %10s %10s %10s\n' "full reconcile in the worker (run inventory)" "$wr_s" "$wr_bp" "$wr_bc" "$wr_w" "$wr_sb" "$wr_rss"
# the summary lines scripts/bench table reads (tests/bench/README.md)
echo "BENCH name=stock-burst measured=$burst_s unit=s changes=$burst bp_requests=$b_bp bc_requests=$b_bc ps_cpu_s=$b_w sb_cpu_s=$b_sb wall_s=$burst_s peak_rss_mb=$w_rss"
echo "BENCH name=stock-sync-once measured=$rec_s unit=s skus=$skus bp_requests=$rec_bp bc_requests=$rec_bc ps_cpu_s=$rec_cpu sb_cpu_s=$rec_sb wall_s=$rec_s peak_rss_mb=$rec_rss"
echo "BENCH name=stock-reconcile measured=$wr_rss unit=MB skus=$skus bp_requests=$wr_bp bc_requests=$wr_bc ps_cpu_s=$wr_w sb_cpu_s=$wr_sb wall_s=$wr_s"
