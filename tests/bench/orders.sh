#!/bin/sh
# The order import benchmark (scripts/bench orders).  Four runs against
# pearlsync-sandbox, each with a fresh database:
#   1. engine: BENCH_N orders (1000) imported by `pearlsync sync-once
#      orders` with quotas off and no latency -> orders per second and
#      Brightpearl requests per order (the sandbox's request counters);
#   2. quota: BENCH_QUOTA_N orders (1200) with the real Brightpearl quota
#      (200 requests per rolling 60 s) and the worker running until they
#      are all in or BENCH_QUOTA_S seconds (240) pass.  The first minute
#      spends the window's whole allowance at once, so the sustained
#      figure is the orders imported during the second minute; the
#      overall figure (everything / elapsed) is printed beside it.  The
#      BigCommerce store gets a Pro plan's quota (450 per 30 s) so that
#      Brightpearl's cap is what is measured; "quota-standard" repeats
#      the run with a Standard plan's 150 per 30 s, where reading each
#      order's transactions (one request per order) binds first;
#   3. latency: BENCH_HOOK_N orders (40) placed one every 0.25 s with the
#      worker's webhook listener registered at BigCommerce -> the time
#      from placing the order to the Brightpearl order's createdOn, p50
#      and p99 (polling is set to a day so only webhooks count);
#   4. reliability: (a) faults: BENCH_N orders (1000), quotas off, imported
#      by the running worker once cleanly and once with 30% of
#      Brightpearl's replies faulted (429 with Retry-After 1, 503, 500,
#      dropped connections, truncated bodies; seed BENCH_FAULT_SEED) ->
#      the time until every order is in, each run at most BENCH_FAULT_S
#      seconds (900), and the faulted run's time as a ratio to the clean
#      run's; (b) the long form of
#      tests/integration/orders_reliability.sh with ORDERS_N=BENCH_KILL_N
#      (300).
#   5. single: orders placed one at a time (each once the one before is
#      in Brightpearl, one every BENCH_SINGLE_GAP_S seconds, 1) with the
#      worker's webhook listener on, BENCH_SINGLE_N (20) in each of three
#      phases: new customers, customers made in Brightpearl just before
#      their order, and the new ones again (warm) -> Brightpearl and
#      BigCommerce requests per order and pearlsync's and the sandbox's
#      CPU per order in each phase (tests/bench/single.py;
#      BENCH_VERBOSE=1 adds the Brightpearl requests by endpoint).
# The orders: a quarter are guest orders (a new billing email each), half
# come from 20 returning customers and a quarter from new customers; each
# has two lines, shipping, tax and a captured payment.  So about half of
# the orders need a new Brightpearl customer.
# BENCH_SPLIT_EVERY=N makes every Nth order a split tender (5.00 store
# credit), whose payments need its transactions read (tests/bench/lib.sh).
#   5. latency-quota: the webhook latency at the real Brightpearl quota
#      (BigCommerce on a Pro plan's quota so Brightpearl binds): the
#      worker with its listener on, polling set to a day, orders placed
#      by the control API at a steady 60 a minute for BENCH_LAT_S seconds
#      (300), then, with a fresh sandbox and database, at 450 a minute
#      for as long -> per phase p50/p95/p99 of placed -> Brightpearl
#      createdOn, orders in, Brightpearl requests and 503s (the sandbox's
#      counters), the longest gap between two Brightpearl requests while
#      orders were waiting, and the CPU seconds of pearlsync and of the
#      sandbox.  BENCH_LAT_RATES ("60 450") picks the rates,
#      BENCH_LAT_HOLD_MS sets sync.batch_hold_ms (default: the setting's).
# BENCH_PARTS picks runs ("engine quota quota-standard latency single
# faults reliability", the default; "faults" is 4a, "reliability" 4b;
# "latency-quota" and "memory" run only when named; "memory" is 1b: the
# worker's peak RSS draining backlogs of BENCH_MEM_N orders,
# "100 1000 5000 20000").
# Needs curl and python3 (for the figures).  Binaries: $PS_BIN_DIR or
# build/bin.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PS_BIN_DIR=${PS_BIN_DIR:-$root/build/bin}
PS_SOURCE_DIR=$root
export PS_BIN_DIR PS_SOURCE_DIR
n=${BENCH_N:-1000}
quota_n=${BENCH_QUOTA_N:-1200}
quota_s=${BENCH_QUOTA_S:-240}
parts=${BENCH_PARTS:-engine quota quota-standard latency single faults reliability}
fault_s=${BENCH_FAULT_S:-900}
fault_seed=${BENCH_FAULT_SEED:-20261203}
hook_n=${BENCH_HOOK_N:-40}
lat_s=${BENCH_LAT_S:-${BENCH_LATQ_S:-300}}
lat_rates=${BENCH_LAT_RATES:-60 450}
mem_n=${BENCH_MEM_N:-100 1000 5000 20000}
mem_s=${BENCH_MEM_S:-600}
kill_n=${BENCH_KILL_N:-300}
single_n=${BENCH_SINGLE_N:-20}
single_gap=${BENCH_SINGLE_GAP_S:-1}
ps="$PS_BIN_DIR/pearlsync"
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$ps" ] && [ -x "$sandbox" ] || { echo "build first: scripts/build" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pearlsync-bench.XXXXXX")
sb_pid=""
w_pid=""
cleanup() {
	[ -n "$w_pid" ] && kill "$w_pid" 2>/dev/null
	[ -n "$sb_pid" ] && kill "$sb_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
port=$((20000 + $$ % 20000))
db="$tmp/pearlsync.db"
PEARLSYNC_CONFIG="$tmp/pearlsync.conf"
export PEARLSYNC_CONFIG
printf 'database = "%s";\nlog_level = "error";\nlistener = { address = "127.0.0.1"; port = %d; };\n' "$db" "$port" >"$PEARLSYNC_CONFIG"

. "$root/tests/bench/lib.sh"

echo "order import benchmark: engine $n orders, quota run $quota_n orders (at most ${quota_s}s), $hook_n webhook orders, reliability $kill_n orders" >&2
has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
rpo=- ops=- e_cpu_txt=- q_rpo=- opm=- opm_all=- throttled=- p50=- p99=- nlat=0 rel=- imported=0 q_note= std=-
f_clean=- f_fault=- f_ratio=- q_cpu=- std_cpu=- single_fail=

# 1. engine: the CPU of each side is measured apart, since the wall time
# of one request/response path is the sum of both: pearlsync's from
# /usr/bin/time, the sandbox's from /proc before and after.
if has engine; then
start_sandbox off
configure
place "$n"
curl -sf -X POST "$control/requests/reset" >/dev/null
sb0=$(cpu "$sb_pid")
bench_mark
t0=$(now_ms)
/usr/bin/time -f '%U %S' -o "$tmp/ps.time" "$ps" sync-once orders >/dev/null 2>"$tmp/err" || true
t1=$(now_ms)
sb1=$(cpu "$sb_pid")
imported=$(bp_count)
reqs=$(counter total)
bc_reqs=$(counter_of bigcommerce total)
ops=$(python3 -c "print('%.0f' % ($imported * 1000.0 / max(1, $t1 - $t0)))")
rpo=$(python3 -c "print('%.2f' % ($reqs / max(1, $imported)))")
e_cpu=$(ps_cpu_of "$tmp/ps.time")
bench_line engine "$e_cpu" "$(python3 -c "print('%.1f' % (($t1 - $t0) / 1000.0))")" \
	measured="$ops" unit=orders/s orders="$imported" bp_per_order="$rpo" \
	ps_ms_per_order="$(python3 -c "print('%.2f' % ($e_cpu * 1000.0 / max(1, $imported)))")"
e_cpu_txt=$(python3 -c "print('%.3f / %.3f  (%.2f s / %.2f s; %d BigCommerce, %d Brightpearl requests)' % ($e_cpu * 1000.0 / max(1, $imported), ($sb1 - $sb0) * 1000.0 / max(1, $imported), $e_cpu, $sb1 - $sb0, $bc_reqs, $reqs))")
fi

# 1b. memory: the peak RSS (VmHWM) of `pearlsync worker` draining a
# backlog of K orders placed before it starts, quotas off, for each K of
# BENCH_MEM_N.  The worker runs until every order is in Brightpearl (the
# sandbox's state, sampled every second or so) or BENCH_MEM_S seconds.
# Prints one line per K: peak RSS, the time, pearlsync's and the
# sandbox's CPU (the sandbox's includes the sampling's state reads).
mem_run() {
	start_sandbox off
	configure
	place "$1"
	want=$(($1 + 2)) # the demo store's own two orders
	curl -sf -X POST "$control/requests/reset" >/dev/null
	sb0=$(cpu "$sb_pid")
	"$ps" worker --no-listen >/dev/null 2>"$tmp/w.err" &
	w_pid=$!
	t0=$(now_ms)
	every=$(python3 -c "print(max(0.5, $1 / 4000.0))")
	hwm=0 pcpu=0
	while :; do
		sleep "$every"
		t=$(now_ms)
		hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$w_pid/status" 2>/dev/null || echo "$hwm")
		pcpu=$(cpu "$w_pid")
		c=$(bp_count)
		[ "$c" -ge "$want" ] && break
		[ $((t - t0)) -ge $((mem_s * 1000)) ] && break
	done
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$w_pid/status" 2>/dev/null || echo "$hwm")
	pcpu=$(cpu "$w_pid")
	kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
	sb1=$(cpu "$sb_pid")
	python3 -c "print('%6d orders: peak RSS %.1f MB, %d in after %.1f s, CPU pearlsync %.2f s / sandbox %.2f s, requests BigCommerce %d / Brightpearl %d' % ($1, $hwm / 1024.0, $c - 2, ($t - $t0) / 1000.0, $pcpu, $sb1 - $sb0, $(counter_of bigcommerce total), $(counter total)))"
}
if has memory; then
	for k in $mem_n; do
		mem_run "$k" >>"$tmp/mem.out"
	done
	# the table's row: the largest peak over the sizes run
	python3 - "$tmp/mem.out" <<'PYM'
import re, sys
rows = [re.findall(r"[0-9.]+", l) for l in open(sys.argv[1]) if "peak RSS" in l]
if rows:
    worst = max(rows, key=lambda r: float(r[1]))
    print("BENCH name=memory measured=%s unit=MB orders=%s ps_cpu_s=%s sb_cpu_s=%s "
          "bc_requests=%s bp_requests=%s wall_s=%s sizes=%s" % (worst[1], worst[0], worst[4],
          worst[5], worst[6], worst[7], worst[3], ",".join(r[0] for r in rows)))
PYM
fi

# 2. real quota: sample the count every second.  quota_run PLAN: the
# BigCommerce store's own quota is a Pro plan's (450 requests per 30 s),
# so that Brightpearl's cap is what binds, or a Standard plan's (150 per
# 30 s, the sandbox's "real"), where the one transactions read per order
# binds first.  Sets q_rpo, opm, opm_all, throttled, q_note.
quota_run() {
	plan=$1
	start_sandbox real
	configure
	[ "$1" = pro ] && curl -sf -X POST "$control/bigcommerce/config" -d '{"quota":450,"window_ms":30000}' >/dev/null
	place "$quota_n"
	want=$((quota_n + 2)) # the demo store's own two orders
	curl -sf -X POST "$control/requests/reset" >/dev/null
	sb_cpu0=$(cpu "$sb_pid")
	bench_mark
	"$ps" worker --no-listen >/dev/null 2>"$tmp/w.err" &
	w_pid=$!
	t0=$(now_ms)
	: >"$tmp/samples"
	while :; do
		sleep 1
		t=$(now_ms)
		c=$(bp_count)
		echo "$((t - t0)) $c" >>"$tmp/samples"
		[ "$c" -ge "$want" ] && break
		[ $((t - t0)) -ge $((quota_s * 1000)) ] && break
	done
	w_cpu=$(cpu "$w_pid")
	sb_cpu=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb_cpu0))")
	kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
	q_plan=$1
	set -- $(python3 - "$tmp/samples" <<'PY2'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
base = 2
def at(ms):
    c = base
    for t, n in rows:
        if t <= ms:
            c = n
    return c
t_end, n_end = rows[-1]
done = [t for t, n in rows if n == n_end][0]  # when the last one landed
overall = (n_end - base) * 60000.0 / max(1, done)
if done > 60000:
    end = min(done, 120000)
    sustained = (at(end) - at(60000)) * 60000.0 / max(1, end - 60000)
    print("%.0f %.0f %d %d" % (sustained, overall, n_end - base, done // 1000))
else:
    print("n/a %.0f %d %d" % (overall, n_end - base, done // 1000))
PY2
)
	opm=$1 opm_all=$2
	q_note="($3 orders in $4 s)"
	q_rpo=$(python3 -c "print('%.2f' % ($(counter total) / max(1, $3)))")
	throttled=$(counter throttled)
	bc_rpo=$(python3 -c "print('%.2f' % ($(counter total bigcommerce) / max(1, $3)))")
	bc_txn=$(counter "GET v3/orders/{id}/transactions" bigcommerce)
	echo "quota run ($plan plan): $3 orders, Brightpearl $q_rpo and BigCommerce $bc_rpo requests per order ($bc_txn transactions reads), pearlsync CPU ${w_cpu} s, sandbox CPU ${sb_cpu} s" >&2
	q_cpu="pearlsync $w_cpu s, sandbox $sb_cpu s; Brightpearl $q_rpo, BigCommerce $bc_rpo req/order, $bc_txn transactions reads"
	# the headline: the second minute when the run filled most of it,
	# else the whole run (a few seconds of a second minute say little)
	q_main=$opm
	[ "$q_main" != n/a ] && [ "$4" -ge 90 ] || q_main=$opm_all
	q_name=quota
	[ "$q_plan" = pro ] || q_name=quota-standard
	bench_line "$q_name" "$w_cpu" "$4" measured="$q_main" unit=orders/min \
		orders="$3" opm_second_minute="$opm" opm_run="$opm_all" \
		bp_per_order="$q_rpo" throttled="$throttled"
}
if has quota; then
	quota_run pro
fi
if has quota-standard; then
	save="$q_rpo|$opm|$opm_all|$throttled|$q_note|$q_cpu"
	quota_run standard
	std="$opm / $opm_all $q_note"
	std_cpu=$q_cpu
	IFS='|' read -r q_rpo opm opm_all throttled q_note q_cpu <<EOF2
$save
EOF2
fi

# 3. webhook latency
if has latency; then
start_sandbox off
configure
q settings set webhooks.public_url "http://127.0.0.1:$port"
q settings set webhooks.secret bench-secret-0001
q settings set sync.poll_interval_seconds 86400
bench_mark
l_t0=$(now_ms)
"$ps" worker >/dev/null 2>"$tmp/w.err" &
w_pid=$!
i=0
until [ "$(curl -s "$control/bigcommerce/hooks" | grep -o '"is_active": *true' | wc -l)" -ge 1 ]; do
	i=$((i + 1)); [ "$i" -le 100 ] || { echo "hooks never registered" >&2; break; }
	sleep 0.1
done
: >"$tmp/placed"
k=0
while [ "$k" -lt "$hook_n" ]; do
	t=$(now_ms)
	id=$(curl -sf -X POST "$control/bigcommerce/orders" -d '{"billing_address":{"first_name":"A","last_name":"B","email":"h'$k'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["order"]["id"])')
	echo "$id $t" >>"$tmp/placed"
	sleep 0.25
	k=$((k + 1))
done
i=0
until [ "$(bp_count)" -ge $((hook_n)) ] || [ "$i" -ge 300 ]; do i=$((i + 1)); sleep 0.1; done
l_cpu=$(cpu "$w_pid")
l_wall=$(python3 -c "print('%.1f' % (($(now_ms) - $l_t0) / 1000.0))")
kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
curl -s "$control/brightpearl/state" >"$tmp/state.json"
lat=$(python3 - "$tmp/placed" "$tmp/state.json" <<'PY'
import json, sys, datetime
placed = {}
for line in open(sys.argv[1]):
    i, t = line.split()
    placed[i] = int(t)
st = json.load(open(sys.argv[2]))
lat = []
for o in st.get("orders", {}).values():
    ref = o.get("externalRef")
    if ref in placed and o.get("createdOn"):
        c = datetime.datetime.fromisoformat(o["createdOn"]).timestamp() * 1000
        lat.append(c - placed[ref])
lat.sort()
if not lat:
    print("n/a n/a 0")
else:
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("%.0f %.0f %d" % (p(0.5), p(0.99), len(lat)))
PY
)
p50=$(echo "$lat" | cut -d' ' -f1)
p99=$(echo "$lat" | cut -d' ' -f2)
nlat=$(echo "$lat" | cut -d' ' -f3)
bench_line latency "$l_cpu" "$l_wall" measured="$p99" unit=ms_p99 p50_ms="$p50" \
	p99_ms="$p99" orders="$nlat" quota=off
kill "$sb_pid"; wait "$sb_pid" 2>/dev/null || true; sb_pid=""

fi

# 5. single: orders one at a time through the worker's webhook listener
# (tests/bench/single.py): Brightpearl requests per order for new
# customers, for customers made in Brightpearl a moment before, and warm
if has single; then
start_sandbox off
configure
q settings set webhooks.public_url "http://127.0.0.1:$port"
q settings set webhooks.secret bench-secret-0001
q settings set sync.poll_interval_seconds 86400
for sku in TEE-RED-M MUG-LOGO; do # enough stock for every reservation
	curl -sf -X POST "$control/brightpearl/stock" -d '{"sku":"'$sku'","warehouseId":2,"inStock":100000}' >/dev/null
done
"$ps" worker >/dev/null 2>"$tmp/w.err" &
w_pid=$!
i=0
until [ "$(curl -s "$control/bigcommerce/hooks" | grep -o '"is_active": *true' | wc -l)" -ge 1 ] && [ "$(bp_count)" -ge 2 ]; do
	i=$((i + 1)); [ "$i" -le 200 ] || { echo "hooks never registered" >&2; break; }
	sleep 0.1
done
python3 "$root/tests/bench/single.py" "$control" "$w_pid" "$sb_pid" "$single_n" "$single_gap" "$$" >"$tmp/single.out" 2>&1 || single_fail="FAIL: $(tail -1 "$tmp/single.out")"
kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
kill "$sb_pid"; wait "$sb_pid" 2>/dev/null || true; sb_pid=""
fi

# 6. latency at the real quota.  lat_quota_run RATE: one phase at RATE
# orders a minute for lat_s seconds; prints one line of figures.
lat_quota_run() {
	start_sandbox real
	configure
	curl -sf -X POST "$control/bigcommerce/config" -d '{"quota":450,"window_ms":30000}' >/dev/null
	q settings set webhooks.public_url "http://127.0.0.1:$port"
	q settings set webhooks.secret bench-secret-0001
	q settings set sync.poll_interval_seconds 86400
	[ -z "${BENCH_LAT_HOLD_MS:-}" ] || q settings set sync.batch_hold_ms "$BENCH_LAT_HOLD_MS"
	"$ps" worker >/dev/null 2>"$tmp/w.err" &
	w_pid=$!
	i=0
	until [ "$(curl -s "$control/bigcommerce/hooks" | grep -o '"is_active": *true' | wc -l)" -ge 1 ]; do
		i=$((i + 1)); [ "$i" -le 100 ] || { echo "hooks never registered" >&2; break; }
		sleep 0.1
	done
	sleep 1
	curl -sf -X POST "$control/requests/reset" >/dev/null
	c_ps0=$(cpu "$w_pid") c_sb0=$(cpu "$sb_pid")
	# place at a steady rate; sample Brightpearl's request total each
	# 0.5 s meanwhile (for the longest gap)
	python3 - "$control" "$1" "$lat_s" "$tmp/placed" "$tmp/gaps" <<'PY3'
import json, sys, time, urllib.request
control, rate, secs, out, gaps = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
n = int(rate * secs / 60)
f, g = open(out, "w"), open(gaps, "w")
t0 = time.monotonic()
next_sample = t0
def sample():
    tot = json.load(urllib.request.urlopen(control + "/requests")).get("brightpearl", {}).get("total", 0)
    g.write("%d %d\n" % (int(time.time() * 1000), tot))
for k in range(n):
    due = t0 + k * 60.0 / rate
    while True:
        now = time.monotonic()
        if now >= next_sample:
            sample(); next_sample += 0.5
        if now >= due:
            break
        time.sleep(min(due, next_sample) - now)
    body = {"billing_address": {"first_name": "A", "last_name": "B",
            "email": "q%d@example.com" % (k % 50), "street_1": "1 St",
            "city": "C", "zip": "12345", "country_iso2": "US"},
            "lines": [{"sku": "CAP-BLK", "quantity": 1}], "status_id": 11,
            "payment": {"gateway": "stripe", "captured": True}}
    t = int(time.time() * 1000)
    r = urllib.request.urlopen(urllib.request.Request(control + "/bigcommerce/orders",
        data=json.dumps(body).encode(), method="POST"))
    f.write("%s %d\n" % (json.load(r)["order"]["id"], t))
f.close()
# let the tail drain (at most 120 s), still sampling
end = time.monotonic() + 120
while time.monotonic() < end:
    sample()
    st = json.load(urllib.request.urlopen(control + "/brightpearl/state"))
    refs = {o.get("externalRef") for o in st.get("orders", {}).values()}
    if sum(1 for l in open(out) if l.split()[0] in refs) >= n:
        break
    time.sleep(0.5)
g.close()
PY3
	c_ps=$(python3 -c "print('%.2f' % ($(cpu "$w_pid") - $c_ps0))")
	c_sb=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $c_sb0))")
	kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
	curl -s "$control/brightpearl/state" >"$tmp/state.json"
	# BENCH_LAT_ENDPOINTS=1: Brightpearl's requests by endpoint too
	[ "${BENCH_LAT_ENDPOINTS:-0}" = 1 ] && curl -s "$control/requests" | python3 -c 'import json,sys; [print("   ", n, e, file=sys.stderr) for e, n in sorted(json.load(sys.stdin)["brightpearl"]["endpoints"].items(), key=lambda x: -x[1])]'
	python3 - "$tmp/placed" "$tmp/state.json" "$tmp/gaps" "$1" "$(counter total)" "$(counter throttled)" "$c_ps" "$c_sb" "$lat_s" <<'PY4'
import json, os, sys, datetime
placed = dict(l.split() for l in open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
lat, seen = [], {}
for o in st.get("orders", {}).values():
    ref = o.get("externalRef")
    if ref in placed and o.get("createdOn"):
        seen[ref] = seen.get(ref, 0) + 1
        c = datetime.datetime.fromisoformat(o["createdOn"].replace("Z", "+00:00")).timestamp() * 1000
        lat.append(c - int(placed[ref]))
lat.sort()
p = lambda q: "%.1f" % (lat[min(len(lat) - 1, int(q * len(lat)))] / 1000.0) if lat else "n/a"
# the longest stretch with orders waiting and no Brightpearl request
rows = [tuple(map(int, l.split())) for l in open(sys.argv[3])]
gap, last_t, last_n = 0, None, None
first, final = min(map(int, placed.values())), max(int(placed[r]) for r in placed)
for t, n in rows:
    if last_n is None or n != last_n:
        last_t, last_n = t, n
    elif first <= t <= final + 5000:
        gap = max(gap, t - last_t)
dups = sum(1 for v in seen.values() if v > 1)
print("%s/min: p50 %s s, p95 %s s, p99 %s s; %d of %d orders in (%d twice); BP requests %s (%.2f per order), 503s %s; longest gap %.1f s; CPU pearlsync %s s, sandbox %s s" % (
    sys.argv[4], p(0.5), p(0.95), p(0.99), len(seen), len(placed), dups,
    sys.argv[5], int(sys.argv[5]) / max(1, len(seen)), sys.argv[6], gap / 1000.0,
    sys.argv[7], sys.argv[8]))
ms = lambda q: "%.0f" % lat[min(len(lat) - 1, int(q * len(lat)))] if lat else "n/a"
print("BENCH name=latency-quota multi=" + os.environ.get("BENCH_MULTI", "one") +
      " rate=%s measured=%s unit=ms_p99 p50_ms=%s "
      "p95_ms=%s orders=%d dups=%d bp_requests=%s throttled=%s gap_s=%.1f "
      "ps_cpu_s=%s sb_cpu_s=%s wall_s=%s" % (
    sys.argv[4], ms(0.99), ms(0.5), ms(0.95), len(seen), dups, sys.argv[5],
    sys.argv[6], gap / 1000.0, sys.argv[7], sys.argv[8], sys.argv[9]))
PY4
}
if has latency-quota; then
	: >"$tmp/latq"
	for r in $lat_rates; do
		lat_quota_run "$r" >"$tmp/latq1" # not in a pipe: sets sb_pid
		grep -v '^BENCH ' "$tmp/latq1" >&2 || true
		cat "$tmp/latq1" >>"$tmp/latq"
	done
	kill "$sb_pid"; wait "$sb_pid" 2>/dev/null || true; sb_pid=""
fi

# 4a. faults: the running worker imports n orders; FAULTS (JSON for the
# control API, or "") is set before it starts.  Prints "MS COUNT": the ms
# from its start until every order was in (sampled every 0.2 s), or until
# fault_s passed, and the orders in by then.
import_run() {
	start_sandbox off
	configure
	place "$n"
	[ -z "$1" ] || curl -sf -X POST "$control/faults" -d "$1" >/dev/null
	want=$((n + 2)) # the demo store's own two orders
	"$ps" worker --no-listen >/dev/null 2>"$tmp/w.err" &
	w_pid=$!
	t0=$(now_ms)
	while :; do
		sleep 0.2
		t=$(now_ms)
		c=$(bp_count)
		[ "$c" -ge "$want" ] && break
		[ $((t - t0)) -ge $((fault_s * 1000)) ] && break
	done
	kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
	echo "$((t - t0)) $((c - 2))"
}
if has faults; then
	set -- $(import_run "")
	f_clean="$(python3 -c "print('%.1f' % ($1 / 1000.0))") s ($2 orders)"
	clean_ms=$1
	set -- $(import_run '{"platform":"brightpearl","rate":0.3,"seed":'"$fault_seed"',"kinds":["429","503","500","drop","truncate"]}')
	f_fault="$(python3 -c "print('%.1f' % ($1 / 1000.0))") s ($2 orders)"
	f_ratio=$(python3 -c "print('%.2f' % ($1 / max(1.0, $clean_ms)))")
	[ "$2" -ge "$n" ] || f_ratio="$f_ratio (not all in)"
fi

# 4b. reliability, long form
if ! has reliability; then
	:
elif ORDERS_N=$kill_n ORDERS_KILLS=${BENCH_KILLS:-25} sh "$root/tests/integration/orders_reliability.sh" >"$tmp/rel.out" 2>&1; then
	rel="pass ($kill_n orders: $(grep -c 'no duplicate' "$tmp/rel.out") of 2 runs)"
else
	rel="FAIL: $(tail -3 "$tmp/rel.out" | tr '\n' ' ')"
fi

printf '\n%-56s %s\n' "measure" "value"
printf '%-56s %s\n' "Brightpearl requests per order (quota off)" "$rpo"
printf '%-56s %s\n' "Brightpearl requests per order (real quota run)" "$q_rpo"
printf '%-56s %s\n' "orders per minute at the real quota, second minute" "$opm"
printf '%-56s %s\n' "orders per minute at the real quota, whole run" "$opm_all  $q_note"
printf '%-56s %s\n' "503s received in the quota run" "$throttled"
printf '%-56s %s\n' "the quota run: CPU, BigCommerce requests" "$q_cpu"
printf '%-56s %s\n' "the same, BigCommerce Standard plan: second min / run" "$std"
printf '%-56s %s\n' "the Standard-plan run: CPU, BigCommerce requests" "$std_cpu"
printf '%-56s %s\n' "webhook-to-order latency p50 / p99 (ms)" "$p50 / $p99  ($nlat orders)"
printf '%-56s %s\n' "orders per second, quotas off, no latency" "$ops  ($imported orders incl. 2 demo)"
printf '%-56s %s\n' "CPU ms per order, pearlsync / sandbox (quotas off)" "$e_cpu_txt"
printf '%-56s %s\n' "import of $n orders by the worker, clean" "$f_clean"
printf '%-56s %s\n' "the same, 30% Brightpearl faults" "$f_fault"
printf '%-56s %s\n' "30% faults / clean, time to import (ratio)" "$f_ratio"
printf '%-56s %s\n' "SIGKILL + 30% faults reliability (long form)" "$rel"
if has single; then
	printf '\norders one at a time (webhooks, %s per phase, one every %s s):\n' "$single_n" "$single_gap"
	[ -z "$single_fail" ] || echo "$single_fail"
	grep -v '^BENCH ' "$tmp/single.out" || true
	grep '^BENCH ' "$tmp/single.out" || true
fi
if has latency-quota; then
	printf '%s\n' "webhook-to-order latency at the real quota (${lat_s}s a phase):"
	grep -v '^BENCH ' "$tmp/latq" | sed 's/^/  /'
	grep '^BENCH ' "$tmp/latq" || true
fi
if [ -s "$tmp/mem.out" ]; then
	echo "worker peak RSS draining a backlog (quotas off):"
	cat "$tmp/mem.out"
fi
