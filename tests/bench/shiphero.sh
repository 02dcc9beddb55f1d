#!/bin/sh
# The ShipHero goods-out note benchmark (scripts/bench shiphero), against
# pearlsync-sandbox with ShipHero's real credit rules (a bucket of 2002
# credits refilled at 30 a second, each query charged its cost) and
# Brightpearl's quota lifted so that ShipHero's budget is what is
# measured.  `pearlsync worker` runs with its listener on, as under
# systemd, so both platforms' webhooks reach it.
#   1. export: BENCH_SH_N goods-out notes (600, two lines each, in two
#      mapped warehouses) are created in Brightpearl before the worker
#      starts; it runs until each has its ShipHero order -> notes per minute (the
#      whole run, and the last minute's when the run is longer: by then
#      the bucket's first 2002 credits are spent and only the refill
#      pays), ShipHero credits, GraphQL requests and Brightpearl
#      requests per note, the throttled replies;
#   2. tracking: the worker is started and every order is shipped
#      through ShipHero's control API (one package each, as fast as the
#      control calls go); the worker runs until every note is shipped in
#      Brightpearl with its tracking -> notes per minute (counting the
#      shipping calls' own time, printed beside), credits and requests
#      per note.
# Each part's clock and counters start with the worker's start.  Beside
# the credits per note, the notes per minute that the bucket's refill
# alone pays for (30 credits a second over the credits per note): the
# sustained ceiling once the bucket's first 2002 credits are spent.
# Each part stops after BENCH_SH_S seconds (300).  CPU seconds of the
# worker and of the sandbox are printed beside each.  Needs curl and
# python3.  Binaries: $PS_BIN_DIR or build/bin.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PS_BIN_DIR=${PS_BIN_DIR:-$root/build/bin}
n=${BENCH_SH_N:-600}
limit_s=${BENCH_SH_S:-300}
ps="$PS_BIN_DIR/pearlsync"
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$ps" ] && [ -x "$sandbox" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v python3 >/dev/null && command -v curl >/dev/null ||
	{ echo "shiphero bench: needs curl and python3" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pearlsync-bench-sh.XXXXXX")
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
db="$tmp/pearlsync.db"
PEARLSYNC_CONFIG="$tmp/pearlsync.conf"
export PEARLSYNC_CONFIG

. "$root/tests/bench/lib.sh"
start_sandbox real
post() { curl -sf -X POST "$control/$1" -d "$2"; }

# a free port for the listener
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'database = "%s";\nlog_level = "error";\nlistener = { address = "127.0.0.1"; port = %d; };\n' \
	"$db" "$port" >"$PEARLSYNC_CONFIG"
q init
q settings set brightpearl.base_url "$bp_url"
q settings set brightpearl.account sandbox
q settings set brightpearl.app_ref sandbox_pearlsync
q settings set brightpearl.token sandbox-token
q settings set brightpearl.installed_integration_instance_id 7
q settings set bigcommerce.enabled false
q settings set webhooks.public_url "http://127.0.0.1:$port"
q settings set webhooks.secret bench-secret-7781
q settings set shiphero.enabled true
q settings set shiphero.base_url "$sh_url"
q settings set shiphero.username sandbox@example.com
printf 'sandbox-password\n' | "$ps" settings set shiphero.password - >/dev/null
q check-connection sh
q settings set shiphero.orders.enabled true
q settings set shiphero.go_live "$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)"
q mappings set shiphero_warehouse 'bp>sh' 2 V2FyZWhvdXNlOjcxNDU=
q mappings set shiphero_warehouse 'bp>sh' 3 V2FyZWhvdXNlOjcxNDY=
q mappings set shiphero_shipping_method 'bp>sh' 7 UPS/Ground
post brightpearl/quota '{"limit":0}' >/dev/null

echo "ShipHero benchmark: $n goods-out notes (at most ${limit_s}s a part)" >&2
i=1
while [ "$i" -le "$n" ]; do
	oid=$(curl -sf -X POST "$bp_url/public-api/sandbox/order-service/sales-order" \
		-H 'brightpearl-app-ref: sandbox_pearlsync' \
		-H 'brightpearl-account-token: sandbox-token' \
		-H 'Content-Type: application/json' \
		-d '{"customer":{"id":201},"ref":"SO-B'"$i"'","statusId":2,"warehouseId":2,"delivery":{"shippingMethodId":7},"rows":[{"productId":1001,"name":"TEE-RED-S","quantity":2,"taxCode":"T","net":20,"tax":0},{"productId":1007,"name":"MUG-LOGO","quantity":1,"taxCode":"T","net":8,"tax":0}]}' |
		grep -o '[0-9][0-9]*')
	post brightpearl/ship '{"orderId":'"$oid"',"warehouseId":'"$((2 + i % 2))"',"shippingMethodId":7,"ship":false}' >/dev/null
	i=$((i + 1))
done

counter() { # counter PLATFORM KEY - requests since the reset (total or an endpoint)
	curl -s "$control/requests" | python3 -c '
import json, sys
p = json.load(sys.stdin).get(sys.argv[1], {})
print(p.get("total", 0) if sys.argv[2] == "total" else p.get("endpoints", {}).get(sys.argv[2], 0))' "$1" "$2"
}
spent() { curl -s "$control/shiphero/credits" | python3 -c 'import json,sys; print(json.load(sys.stdin)["credits_spent"])'; }
sh_orders() { curl -s "$control/shiphero/orders" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d["orders"] if isinstance(d, dict) else d))'; }
bp_shipped() { curl -s "$control/brightpearl/state" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for g in d["goodsOutNotes"].values()
          if g["status"]["shipped"] and g["shipping"].get("reference")))'; }

start_worker() {
	"$ps" worker >/dev/null 2>>"$tmp/w.err" &
	w_pid=$!
}

# part COUNTER - start the worker and run until COUNTER reaches n; sets
# the part's figures
part() {
	p_counter=$1
	curl -sf -X POST "$control/requests/reset" >/dev/null
	s0=$(spent)
	sb0=$(cpu "$sb_pid")
	t0=$(now_ms)
	start_worker
	[ -z "${2:-}" ] || $2
	: >"$tmp/samples"
	while :; do
		sleep 0.2
		t=$(now_ms)
		c=$($p_counter)
		echo "$((t - t0)) $c" >>"$tmp/samples"
		[ "$c" -ge "$n" ] && break
		[ $((t - t0)) -ge $((limit_s * 1000)) ] && break
	done
	p_n=$c
	p_credits=$(python3 -c "print('%.1f' % (($(spent) - $s0) / max(1, $p_n)))")
	p_gql=$(python3 -c "print('%.2f' % ($(counter shiphero 'POST graphql') / max(1, $p_n)))")
	p_thr=$(counter shiphero throttled)
	p_bp=$(python3 -c "print('%.2f' % ($(counter brightpearl total) / max(1, $p_n)))")
	p_cpu_w=$(cpu "$w_pid")
	kill -TERM "$w_pid"
	wait "$w_pid" 2>/dev/null || true
	w_pid=""
	p_cpu_sb=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb0))")
	set -- $(python3 - "$tmp/samples" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
last_t, last_n = rows[-1]
def at(ms):
    c = 0
    for t, k in rows:
        if t <= ms:
            c = k
    return c
tail = "-"
if last_t >= 90000:
    tail = "%d" % (last_n - at(last_t - 60000))
print("%.0f" % (last_n * 60000.0 / max(1, last_t)), tail, "%.1f" % (last_t / 1000.0))
PY
)
	p_npm=$1 p_tail=$2 p_secs=$3
	# what the bucket's refill alone pays for, at this cost per note
	p_budget=$(python3 -c "c = float('$p_credits'); print('%.0f' % (30 * 60 / c) if c > 0 else '-')")
}

part sh_orders
e_n=$p_n e_credits=$p_credits e_gql=$p_gql e_thr=$p_thr e_bp=$p_bp
e_npm=$p_npm e_tail=$p_tail e_secs=$p_secs e_cpu_w=$p_cpu_w e_cpu_sb=$p_cpu_sb
e_budget=$p_budget

# ship_all - the 3PL ships every order, one package each, while the
# worker runs (the webhooks are the fast path)
ship_all() {
	curl -s "$control/shiphero/orders" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for o in (d["orders"] if isinstance(d, dict) else d):
    p = o["partner_order_id"]
    lines = [{"partner_line_item_id": l["partner_line_item_id"], "quantity": l["quantity"]}
             for l in o["line_items"]]
    print(p, json.dumps({"packages": [{"lines": lines, "tracking_number": "TRK-" + p,
                                       "carrier": "UPS", "method": "Ground"}]}))' >"$tmp/ship"
	while read -r p body; do
		post "shiphero/orders/$p/ship" "$body" >/dev/null
	done <"$tmp/ship"
	ship_s=$(python3 -c "print('%.1f' % (($(now_ms) - $t0) / 1000.0))")
}
part bp_shipped ship_all

printf '\n%-48s %s\n' "ShipHero goods-out notes (real credit rules)" "result"
printf '%-48s %s of %s in %s s\n' "export: notes with a ShipHero order" "$e_n" "$n" "$e_secs"
printf '%-48s %s (last minute %s)\n' "export: notes per minute" "$e_npm" "$e_tail"
printf '%-48s %s\n' "export: ShipHero credits per note" "$e_credits"
printf '%-48s %s\n' "export: notes per minute the refill pays for" "$e_budget"
printf '%-48s %s (%s throttled replies)\n' "export: ShipHero GraphQL requests per note" "$e_gql" "$e_thr"
printf '%-48s %s\n' "export: Brightpearl requests per note" "$e_bp"
printf '%-48s %s s / %s s\n' "export: CPU worker / sandbox" "$e_cpu_w" "$e_cpu_sb"
printf '%-48s %s of %s in %s s (shipping calls %s s)\n' "tracking: notes shipped in Brightpearl" "$p_n" "$n" "$p_secs" "$ship_s"
printf '%-48s %s (last minute %s)\n' "tracking: notes per minute" "$p_npm" "$p_tail"
printf '%-48s %s\n' "tracking: ShipHero credits per note" "$p_credits"
printf '%-48s %s\n' "tracking: notes per minute the refill pays for" "$p_budget"
printf '%-48s %s (%s throttled replies)\n' "tracking: ShipHero GraphQL requests per note" "$p_gql" "$p_thr"
printf '%-48s %s\n' "tracking: Brightpearl requests per note" "$p_bp"
printf '%-48s %s s / %s s\n' "tracking: CPU worker / sandbox" "$p_cpu_w" "$p_cpu_sb"
