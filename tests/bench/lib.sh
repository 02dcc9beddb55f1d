# tests/bench/lib.sh - helpers shared by the benchmarks (orders.sh,
# outage.sh; dsco.sh and shiphero.sh use start_sandbox and q); sourced,
# not run.  The caller sets ps and sandbox (the
# binaries), tmp (a scratch directory), db (the database path) and
# PEARLSYNC_CONFIG, and sb_pid="" before the first start_sandbox.
# Needs curl and python3.

# start_sandbox QUOTA [OPTION...] - (re)start pearlsync-sandbox with the
# demo seed, --quota QUOTA ("off" or "real") and any further options; sets
# sb_pid, control and each platform's URL (bp_url, bc_url, ds_url, sh_url).
start_sandbox() {
	[ -n "$sb_pid" ] && { kill "$sb_pid"; wait "$sb_pid" 2>/dev/null || true; }
	rm -f "$tmp/sb.out" # else the last sandbox's "ready" may be read
	quota=$1
	shift
	# BENCH_MULTI: how the sandbox charges a Brightpearl multi-message
	# (one, the default, or per_message: one request per message)
	[ -z "${BENCH_MULTI:-}" ] || set -- "$@" --bp-multi-message-cost "$BENCH_MULTI"
	"$sandbox" --listen 127.0.0.1:0 --seed demo --quota "$quota" "$@" >"$tmp/sb.out" 2>"$tmp/sb.err" &
	sb_pid=$!
	i=0
	until grep -qs '^ready$' "$tmp/sb.out"; do
		i=$((i + 1)); [ "$i" -le 100 ] || { echo "sandbox did not start" >&2; exit 1; }
		sleep 0.1
	done
	bp_url=$(awk '$1 == "brightpearl" { print $2 }' "$tmp/sb.out")
	bc_url=$(awk '$1 == "bigcommerce" { print $2 }' "$tmp/sb.out")
	ds_url=$(awk '$1 == "dsco" { print $2 }' "$tmp/sb.out")
	sh_url=$(awk '$1 == "shiphero" { print $2 }' "$tmp/sb.out")
	control=$(awk '$1 == "control" { print $2 }' "$tmp/sb.out")
}

q() { "$ps" "$@" >/dev/null; }

# configure - a fresh database set up for the order import against the
# sandbox (orders and payments on, status 11 -> 2)
configure() {
	rm -f "$db" "$db-wal" "$db-shm"
	q init
	q settings set brightpearl.base_url "$bp_url"
	q settings set brightpearl.account sandbox
	q settings set brightpearl.app_ref sandbox_pearlsync
	q settings set brightpearl.token sandbox-token
	q settings set brightpearl.installed_integration_instance_id 7
	q settings set bigcommerce.base_url "$bc_url"
	q settings set bigcommerce.store_hash sandbox
	q settings set bigcommerce.token sandbox-token
	q settings set bigcommerce.orders.enabled true
	q settings set bigcommerce.defaults.channel_id 1
	q settings set bigcommerce.defaults.warehouse_id 2
	q settings set bigcommerce.defaults.tax_code T
	q settings set bigcommerce.payments.enabled true
	q mappings set order_status 'bc>bp' 11 2
	q mappings set-default payment_method 'bc>bp' BIGCOMMERCE
}

# place K [SPREAD_S] - K orders: a quarter guests, half returning
# customers (20 of them), a quarter new ones; the billing email is the
# customer's.  With SPREAD_S they are placed evenly over that many
# seconds, else as fast as the control API takes them.  With
# BENCH_SPLIT_EVERY=N every Nth order pays 5.00 of it in store credit (a
# split tender, whose payments need the transactions read).
place() {
	python3 - "$control" "$1" "$$" "${2:-0}" "${BENCH_SPLIT_EVERY:-0}" <<'PY2'
import json, sys, time, urllib.request
control, k_max, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
spread = float(sys.argv[4])
split = int(sys.argv[5])
t0 = time.monotonic()
for k in range(k_max):
    if spread > 0:
        due = t0 + spread * k / k_max
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
    kind = k % 4
    if kind == 0:
        email, cust = "g%d-%s@example.com" % (k, tag), None
    elif kind in (1, 2):
        email = "r%d@example.com" % (k % 20)
        cust = {"email": email, "first_name": "R", "last_name": "C"}
    else:
        email = "n%d-%s@example.com" % (k, tag)
        cust = {"email": email, "first_name": "N", "last_name": "C"}
    body = {"billing_address": {"first_name": "A", "last_name": "B",
                                "email": email, "street_1": "1 St",
                                "city": "C", "zip": "12345",
                                "country_iso2": "US"},
            "lines": [{"sku": "TEE-RED-M", "quantity": 1},
                      {"sku": "MUG-LOGO", "quantity": 2}],
            "status_id": 11, "shipping_cost": "4.00", "tax_rate": "0.08",
            "payment": {"gateway": "stripe", "captured": True}}
    if cust:
        body["customer"] = cust
    if split > 0 and k % split == 0:
        body["payment"]["store_credit"] = "5.00"
    req = urllib.request.Request(control + "/bigcommerce/orders",
                                 data=json.dumps(body).encode(),
                                 method="POST")
    urllib.request.urlopen(req).read()
PY2
}

# bp_count - distinct BigCommerce references among Brightpearl's orders
bp_count() {
	curl -s "$control/brightpearl/state" | grep -o '"externalRef": *"[0-9]*"' | sort -u | wc -l
}

# counter KEY [PLATFORM] - a request counter of PLATFORM (brightpearl):
# "total", "throttled", or an endpoint ("GET v3/orders/{id}/transactions")
counter() {
	curl -s "$control/requests" | python3 -c '
import json, sys
p = json.load(sys.stdin).get(sys.argv[2], {})
print(p.get(sys.argv[1], p.get("endpoints", {}).get(sys.argv[1], 0)))' "$1" "${2:-brightpearl}"
}

counter_of() { # counter_of PLATFORM KEY - any platform's request counter
	curl -s "$control/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1],{}).get(sys.argv[2],0))' "$1" "$2"
}

cpu() { # cpu PID - user+system seconds so far (0 once it has exited)
	python3 -c '
import os, sys
f = open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split()
print("%.2f" % ((int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")))' "$1" 2>/dev/null || echo 0
}

now_ms() { date +%s%3N; }

# bench_mark - remember the sandbox's request counters (every platform),
# Brightpearl's quota units charged and the sandbox's CPU now, for
# bench_line.
bench_mark() {
	mark=$(bench_sample)
}

# bench_sample - "BP BC DS SH UNITS CPU": requests each platform received
# so far, Brightpearl's quota units (a per_message multi-message counts
# its messages) and the sandbox's CPU seconds.
bench_sample() {
	c=$(cpu "$sb_pid")
	{ curl -s "$control/requests"; echo; curl -s "$control/brightpearl/config"; } |
		python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
try:
    u = json.loads(sys.stdin.readline()).get("units_charged", 0)
except ValueError:
    u = 0
print(" ".join(str(r.get(p, {}).get("total", 0)) for p in
               ("brightpearl", "bigcommerce", "dsco", "shiphero")), u, sys.argv[1])' "$c"
}

# bench_line NAME PS_CPU_S WALL_S KEY=VALUE... - the part's summary line
# for `scripts/bench table` (tests/bench/README.md, "Summary lines"):
# pearlsync's CPU, the sandbox's CPU and the requests since bench_mark.
bench_line() {
	_name=$1 _pscpu=$2 _wall=$3
	shift 3
	set -- $mark $(bench_sample) "$_name" "$_pscpu" "$_wall" "${BENCH_MULTI:-one}" "$@"
	python3 - "$@" <<'PY2'
import sys
a = sys.argv[1:]
m0, m1 = [float(x) for x in a[0:6]], [float(x) for x in a[6:12]]
name, pscpu, wall, multi = a[12:16]
d = [m1[i] - m0[i] for i in range(6)]
print("BENCH name=%s multi=%s ps_cpu_s=%s sb_cpu_s=%.2f bp_requests=%d "
      "bp_units=%d bc_requests=%d ds_requests=%d sh_requests=%d wall_s=%s %s"
      % (name, multi, pscpu, d[5], d[0], d[4], d[1], d[2], d[3], wall,
         " ".join(a[16:])))
PY2
}

# ps_cpu_of FILE - user+system seconds from /usr/bin/time -f '%U %S' -o FILE
ps_cpu_of() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }
