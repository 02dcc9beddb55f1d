#!/bin/sh
# The full-outage benchmark (scripts/bench outage): Brightpearl answers
# 503 to everything for BENCH_OUTAGE_S seconds (300) while BigCommerce
# orders keep arriving, then recovers; how long the backlog takes to
# drain, against a clean run of the same size.  Both runs use the
# sandbox with Brightpearl's real quota (200 requests per rolling 60 s),
# the BigCommerce store on a Pro plan's quota (450 per 30 s, so that
# Brightpearl's cap is what binds) and `pearlsync worker` with its
# listener on, as under systemd, each with a fresh sandbox and database:
#   1. clean: BENCH_OUTAGE_N orders (1000) placed before the worker
#      starts, so its first poll makes them all due at once -> the time
#      from the worker's start until every order is in Brightpearl (the
#      sandbox's state, sampled every 0.2 s);
#   2. outage: the worker starts (hooks registered, the demo store's two
#      orders in), then the sandbox's fault control makes every
#      Brightpearl request answer 503 and the same number of orders are
#      placed evenly over the outage (BigCommerce delivers their webhooks
#      to the listener); after BENCH_OUTAGE_S the faults are turned off
#      -> the time from then to the first request Brightpearl serves
#      (the probe delay) and until every order is in (the drain).
# Printed: both drains, their ratio, the Brightpearl requests sent during
# the outage (the breaker's probes) per minute of outage, the orders in
# per 10 s after recovery, the CPU seconds of the worker and of the
# sandbox per run, and PASS/FAIL for "every order exactly once" and
# "drain ratio <= 1.20".  Exit status: 0 when both hold, 1 when an order
# is missing or duplicated in either run, 2 when only the ratio fails.
# Each drain is bounded by BENCH_OUTAGE_DRAIN_S seconds (900).  Needs curl
# and python3.  Binaries: $PS_BIN_DIR or build/bin.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PS_BIN_DIR=${PS_BIN_DIR:-$root/build/bin}
n=${BENCH_OUTAGE_N:-1000}
outage_s=${BENCH_OUTAGE_S:-300}
drain_s=${BENCH_OUTAGE_DRAIN_S:-900}
ps="$PS_BIN_DIR/pearlsync"
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$ps" ] && [ -x "$sandbox" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v python3 >/dev/null && command -v curl >/dev/null ||
	{ echo "outage bench: needs curl and python3" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pearlsync-bench-outage.XXXXXX")
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
post() { curl -sf -X POST "$control/$1" -d "$2" >/dev/null; }

# run_setup - a fresh sandbox (real quotas, a Pro store) and database set
# up for the import with webhooks to a listener on a free port
run_setup() {
	start_sandbox real
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'database = "%s";\nlog_level = "error";\nlistener = { address = "127.0.0.1"; port = %d; };\n' \
		"$db" "$port" >"$PEARLSYNC_CONFIG"
	configure
	q settings set webhooks.public_url "http://127.0.0.1:$port"
	q settings set webhooks.secret bench-outage-secret-1
	post bigcommerce/config '{"quota":450,"window_ms":30000}'
}

start_worker() {
	"$ps" worker >/dev/null 2>"$tmp/w.err" &
	w_pid=$!
}

stop_worker() { # sets w_cpu
	w_cpu=$(cpu "$w_pid")
	kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
}

# wait_all WANT FROM_MS [REQS] - until WANT distinct orders are in
# Brightpearl or the drain bound passes; samples "ms count" into
# $tmp/samples, ms from FROM_MS.  With REQS: probe is set to the seconds
# from FROM_MS until Brightpearl's request counter first passes REQS.
wait_all() {
	: >"$tmp/samples"
	probe=-
	while :; do
		c=$(bp_count)
		t=$(now_ms)
		echo "$(($t - $2)) $c" >>"$tmp/samples"
		if [ $# -ge 3 ] && [ "$probe" = - ] && [ "$(counter total)" -gt "$3" ]; then
			probe=$(python3 -c "print('%.1f' % (($t - $2) / 1000.0))")
		fi
		[ "$c" -ge "$1" ] && break
		[ $((t - $2)) -ge $((drain_s * 1000)) ] && break
		sleep 0.2
	done
}

# verdict - from the sandbox's state: "LAST_MS DISTINCT TOTAL MISSING"
# with LAST_MS the first sample's ms at which every order was in (-1:
# never; createdOn has whole seconds only), MISSING the BigCommerce
# orders the import takes without a Brightpearl order
verdict() {
	curl -s "$control/brightpearl/state" >"$tmp/bp.json"
	curl -s "$control/bigcommerce/state" >"$tmp/bc.json"
	python3 - "$tmp/bp.json" "$tmp/bc.json" "$tmp/samples" "$want" <<'PY'
import json, sys
bp = json.load(open(sys.argv[1]))
bc = json.load(open(sys.argv[2]))
want = int(sys.argv[4])
last = -1
for l in open(sys.argv[3]):
    t, c = map(int, l.split())
    if c >= want:
        last = t
        break
refs = [o["externalRef"] for o in bp.get("orders", {}).values()
        if o.get("externalRef")]
# the orders the import takes: status 11 (the demo store's third is not)
ids = [str(o["order"]["id"]) for o in bc.get("orders", [])
       if o["order"].get("status_id") == 11]
missing = len(set(ids) - set(refs))
print(last, len(set(refs)), len(refs), missing)
PY
}

# profile - orders in per 10 s from the samples
profile() {
	python3 - "$tmp/samples" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
if not rows:
    print("-"); sys.exit()
base, out, prev, edge = 2, [], 2, 10000  # the demo's two are in
for t, c in rows:
    while t >= edge:
        out.append(prev - base); base = prev; edge += 10000
    prev = c
out.append(prev - base)
print(" ".join(str(x) for x in out))
PY
}

echo "outage benchmark: $n orders, clean and across a ${outage_s}s Brightpearl outage (each drain at most ${drain_s}s)" >&2
want=$((n + 2)) # the demo store's own two orders

# 1. clean: the backlog is due at the worker's first poll
run_setup
place "$n"
sb0=$(cpu "$sb_pid")
t0=$(now_ms)
start_worker
wait_all "$want" "$t0"
stop_worker
c_cpu_w=$w_cpu
c_cpu_sb=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb0))")
set -- $(verdict)
c_ms=$1 c_distinct=$2 c_total=$3 c_missing=$4
c_profile=$(profile)
c_reqs=$(counter total)

# 2. outage: orders arrive by webhook while Brightpearl answers 503
run_setup
start_worker
i=0
until [ "$(bp_count)" -ge 2 ] &&
	[ "$(curl -s "$control/bigcommerce/hooks" | grep -o '"is_active": *true' | wc -l)" -ge 1 ]; do
	i=$((i + 1)); [ "$i" -le 300 ] || { echo "worker did not start" >&2; exit 1; }
	sleep 0.1
done
sb0=$(cpu "$sb_pid")
w0=$(cpu "$w_pid")
post faults '{"platform":"brightpearl","rate":1.0,"kinds":["503"],"seed":18}'
post requests/reset ''
t_down=$(now_ms)
# every order placed inside the outage, the last a few seconds before
# its end so that its webhook is in before Brightpearl comes back
place "$n" "$(python3 -c "print(max(1, $outage_s - 5))")"
left=$((t_down + outage_s * 1000 - $(now_ms)))
[ "$left" -gt 0 ] && sleep "$(python3 -c "print($left / 1000.0)")"
o_reqs=$(counter total)
hooks=$(curl -s "$control/webhooks?platform=bigcommerce" | grep -o '"state": *"delivered"' | wc -l)
post faults '{"platform":"*","rate":0}'
t_up=$(now_ms)
o_minutes=$(python3 -c "print('%.2f' % (($t_up - $t_down) / 60000.0))")
# with the probe delay: the first request Brightpearl serves after recovery
wait_all "$want" "$t_up" "$o_reqs"
stop_worker
o_cpu_w=$(python3 -c "print('%.2f' % ($w_cpu - $w0))")
o_cpu_sb=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb0))")
set -- $(verdict)
o_ms=$1 o_distinct=$2 o_total=$3 o_missing=$4
o_profile=$(profile)

ratio=$(python3 -c "print('%.2f' % ($o_ms / max(1.0, $c_ms)))")
once=PASS
[ "$c_distinct" -eq "$want" ] && [ "$c_total" -eq "$want" ] && [ "$c_missing" -eq 0 ] &&
	[ "$o_distinct" -eq "$want" ] && [ "$o_total" -eq "$want" ] && [ "$o_missing" -eq 0 ] || once=FAIL
fast=$(python3 -c "print('PASS' if $o_ms <= 1.20 * $c_ms else 'FAIL')")
[ "$once" = PASS ] || fast="FAIL (not all in)"

s() { python3 -c "print('%.1f' % ($1 / 1000.0))"; }
printf '\n%-58s %s\n' "measure" "value"
printf '%-58s %s s  (%s orders, %s Brightpearl requests)\n' "clean: drain of the backlog" "$(s "$c_ms")" "$n" "$c_reqs"
printf '%-58s %s\n' "clean: orders in per 10 s" "$c_profile"
printf '%-58s %s s / %s s\n' "clean: CPU worker / sandbox" "$c_cpu_w" "$c_cpu_sb"
printf '%-58s %s s  (%s webhooks delivered)\n' "outage: Brightpearl down" "$(s $((t_up - t_down)))" "$hooks"
printf '%-58s %s  (%s a minute)\n' "outage: Brightpearl requests sent while down" "$o_reqs" \
	"$(python3 -c "print('%.1f' % ($o_reqs / max(0.01, $o_minutes)))")"
printf '%-58s %s s\n' "outage: first request served after recovery" "$probe"
printf '%-58s %s s\n' "outage: drain after recovery" "$(s "$o_ms")"
printf '%-58s %s\n' "outage: orders in per 10 s after recovery" "$o_profile"
printf '%-58s %s s / %s s\n' "outage: CPU worker / sandbox (outage and drain)" "$o_cpu_w" "$o_cpu_sb"
printf '%-58s %s\n' "drain after the outage / clean drain" "$ratio"
printf '%-58s %s  (clean %s/%s refs, %s missing; outage %s/%s, %s missing)\n' \
	"every order imported exactly once" "$once" "$c_distinct" "$c_total" "$c_missing" \
	"$o_distinct" "$o_total" "$o_missing"
printf '%-58s %s\n' "drain ratio <= 1.20" "$fast"
[ "$once" = PASS ] || exit 1
case $fast in PASS) exit 0 ;; *) exit 2 ;; esac
