#!/bin/sh
# The DSCO purchase-order import benchmark (scripts/bench dsco).  Two runs
# against pearlsync-sandbox, each with a fresh database:
#   1. engine: BENCH_DSCO_N POs (500, two lines each) imported by
#      `pearlsync sync-once dsco-orders` with quotas off -> POs per
#      second, DSCO and Brightpearl requests per PO (the sandbox's
#      request counters), and the CPU seconds pearlsync and the sandbox
#      each spent;
#   2. quota: BENCH_DSCO_QUOTA_N POs (1500) with DSCO's documented limits
#      (per endpoint, a rolling second and a rolling minute: order page
#      and single order 10/s or 500/min, acknowledge 15/s or 1000/min)
#      and the worker running until they are all acknowledged or
#      BENCH_DSCO_QUOTA_S seconds (180) pass.  Brightpearl's own quota is
#      lifted so that DSCO's limits are what is measured.  The first
#      minute starts with full rolling windows, so the sustained figure is
#      the POs acknowledged during the second minute; the whole run's
#      average and DSCO's 429s are printed beside it, with the CPU seconds
#      of the worker and of the sandbox.
# A PO counts when DSCO has it acknowledged (the import's last step).
# BENCH_DSCO_PARTS picks runs ("engine quota", the default).  Needs curl
# and python3.  Binaries: $PS_BIN_DIR or build/bin.  Needs the DSCO order
# import flow (dsco-orders) in the build: without it the script says so
# and exits 1.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PS_BIN_DIR=${PS_BIN_DIR:-$root/build/bin}
n=${BENCH_DSCO_N:-500}
quota_n=${BENCH_DSCO_QUOTA_N:-1500}
quota_s=${BENCH_DSCO_QUOTA_S:-180}
parts=${BENCH_DSCO_PARTS:-engine quota}
ps="$PS_BIN_DIR/pearlsync"
sandbox="$PS_BIN_DIR/pearlsync-sandbox"
[ -x "$ps" ] && [ -x "$sandbox" ] || { echo "build first: scripts/build" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pearlsync-bench-dsco.XXXXXX")
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
printf 'database = "%s";\nlog_level = "error";\n' "$db" >"$PEARLSYNC_CONFIG"

. "$root/tests/bench/lib.sh"

configure() {
	rm -f "$db" "$db-wal" "$db-shm"
	q init
	q settings set brightpearl.base_url "$bp_url"
	q settings set brightpearl.account sandbox
	q settings set brightpearl.app_ref sandbox_pearlsync
	q settings set brightpearl.token sandbox-token
	q settings set brightpearl.installed_integration_instance_id 7
	q settings set bigcommerce.enabled false
	q settings set dsco.enabled true
	q settings set dsco.base_url "$ds_url"
	q settings set dsco.client_id sandbox-client
	q settings set dsco.client_secret sandbox-secret
	q settings set dsco.orders.enabled true
	q settings set dsco.order_status 2
	q settings set dsco.channel_id 1
	q settings set dsco.defaults.warehouse_id 2
	q settings set dsco.defaults.tax_code T
	q mappings set-default dsco_shipping_method 'bp>dsco' UPCG
	q mappings set-default dsco_warehouse 'bp>dsco' WH01
}

# bulk K PREFIX - K retailer POs of two lines each, ten retailers
bulk() {
	curl -sf -X POST "$control/dsco/orders-bulk" -d "{\"count\":$1,\"prefix\":\"$2\",
		\"template\":{\"retailerId\":\"RET-1\",\"lines\":[
		{\"sku\":\"TEE-RED-M\",\"quantity\":1,\"expectedCost\":9.5},
		{\"sku\":\"MUG-LOGO\",\"quantity\":2,\"expectedCost\":4.5}]}}" >/dev/null
}

acked() { # POs DSCO has acknowledged (or further along)
	curl -s "$control/dsco/orders" | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = d.get("orders", d) if isinstance(d, dict) else d
rows = list(rows.values()) if isinstance(rows, dict) else rows
print(sum(1 for o in rows if o.get("dscoLifecycle") not in (None, "created", "received")))'
}

counter() { # counter PLATFORM KEY
	curl -s "$control/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1],{}).get(sys.argv[2],0))' "$1" "$2"
}


has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

# Is the DSCO order import in this build?
start_sandbox off --dsco-async-ms 0
configure
set +e
"$ps" sync-once dsco-orders >/dev/null 2>"$tmp/err"
rc=$?
set -e
if [ "$rc" -eq 2 ]; then
	echo "dsco bench: this build has no DSCO order import flow (dsco-orders): $(head -n 1 "$tmp/err")" >&2
	exit 1
fi

echo "DSCO benchmark: engine $n POs, quota run $quota_n POs (at most ${quota_s}s)" >&2
base=$(acked)
e_pps=- e_ds=- e_bp=- e_cpu_ps=- e_cpu_sb=- e_n=0
q_opm=- q_all=- q_ds=- q_429=- q_cpu_ps=- q_cpu_sb=- q_n=0

if has engine; then
	bulk "$n" ENG
	# DSCO's window must end at least 5 s in the past, so a PO younger
	# than that is not read yet: one sync-once right after the bulk
	# imported none
	sleep 6
	curl -sf -X POST "$control/requests/reset" >/dev/null
	sb0=$(cpu "$sb_pid")
	t0=$(now_ms)
	# sync-once's own CPU: its children times, as python sees them
	python3 - "$ps" "$tmp/cpu" <<'PY'
import os, subprocess, sys
r0 = os.times()
subprocess.run([sys.argv[1], "sync-once", "dsco-orders"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r1 = os.times()
open(sys.argv[2], "w").write("%.2f\n" % ((r1[2] - r0[2]) + (r1[3] - r0[3])))
PY
	t1=$(now_ms)
	e_cpu_ps=$(cat "$tmp/cpu")
	e_cpu_sb=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb0))")
	e_n=$(($(acked) - base))
	ds=$(counter dsco total)
	bp=$(counter brightpearl total)
	e_pps=$(python3 -c "print('%.1f' % ($e_n * 1000.0 / max(1, $t1 - $t0)))")
	e_ds=$(python3 -c "print('%.2f' % ($ds / max(1, $e_n)))")
	e_bp=$(python3 -c "print('%.2f' % ($bp / max(1, $e_n)))")
fi

if has quota; then
	start_sandbox real --dsco-async-ms 0
	configure
	curl -sf -X POST "$control/brightpearl/quota" -d '{"limit":0}' >/dev/null
	base=$(acked)
	bulk "$quota_n" QTA
	want=$((base + quota_n))
	curl -sf -X POST "$control/requests/reset" >/dev/null
	sb0=$(cpu "$sb_pid")
	"$ps" worker --no-listen >/dev/null 2>"$tmp/w.err" &
	w_pid=$!
	t0=$(now_ms)
	: >"$tmp/samples"
	while :; do
		sleep 1
		t=$(now_ms)
		c=$(acked)
		echo "$((t - t0)) $((c - base))" >>"$tmp/samples"
		[ "$c" -ge "$want" ] && break
		[ $((t - t0)) -ge $((quota_s * 1000)) ] && break
	done
	q_cpu_ps=$(cpu "$w_pid")
	kill -TERM "$w_pid"; wait "$w_pid" 2>/dev/null || true; w_pid=""
	q_cpu_sb=$(python3 -c "print('%.2f' % ($(cpu "$sb_pid") - $sb0))")
	q_n=$(($(acked) - base))
	q_ds=$(python3 -c "print('%.2f' % ($(counter dsco total) / max(1, $q_n)))")
	q_429=$(counter dsco throttled)
	set -- $(python3 - "$tmp/samples" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
def at(ms):
    c = 0
    for t, n in rows:
        if t <= ms:
            c = n
    return c
last_t, last_n = rows[-1] if rows else (1, 0)
second = at(120000) - at(60000) if last_t >= 120000 else None
print("-" if second is None else second,
      "%.0f" % (last_n * 60000.0 / max(1, last_t)))
PY
)
	q_opm=$1
	q_all=$2
fi

printf '\n%-44s %s\n' "DSCO purchase-order import" "result"
printf '%-44s %s\n' "engine: POs imported" "$e_n"
printf '%-44s %s\n' "engine: POs per second (quotas off)" "$e_pps"
printf '%-44s %s\n' "engine: DSCO requests per PO" "$e_ds"
printf '%-44s %s\n' "engine: Brightpearl requests per PO" "$e_bp"
printf '%-44s %s s / %s s\n' "engine: CPU pearlsync / sandbox" "$e_cpu_ps" "$e_cpu_sb"
printf '%-44s %s\n' "DSCO limits: POs acknowledged" "$q_n"
printf '%-44s %s (whole run %s)\n' "DSCO limits: POs per minute, second minute" "$q_opm" "$q_all"
printf '%-44s %s\n' "DSCO limits: DSCO requests per PO" "$q_ds"
printf '%-44s %s\n' "DSCO limits: DSCO 429s" "$q_429"
printf '%-44s %s s / %s s\n' "DSCO limits: CPU worker / sandbox" "$q_cpu_ps" "$q_cpu_sb"
