#!/bin/sh
# The benchmark table (scripts/bench table): runs the measures of the
# performance table in the README and prints one row per measure, each
# with pearlsync's CPU, the sandbox's CPU, the requests each platform
# received and the wall time.  Every part prints a summary line
#   BENCH name=PART key=value ...
# on stdout (tests/bench/README.md, "Summary lines"); this script only
# collects those, so a part added later needs nothing here but its row.
#
# Sizes: BENCH_QUICK=1 is a smoke run with small sizes (a few minutes);
# without it the sizes are the issue's (an hour or more: 1,000,000 console
# entries, 20,000 SKUs, a real-quota latency run of at least 5 minutes).
# Any BENCH_* size set in the environment wins over both.
# The parts that run under Brightpearl's quota (TABLE_QUOTA_PARTS) run
# twice, with the sandbox charging a multi-message as one request
# (BENCH_MULTI=one) and as one request per message (per_message); the
# others once.  TABLE_SKIP lists parts to leave out (e.g. "console
# inventory"); TABLE_OUT keeps the raw outputs in that directory;
# TABLE_LINES=FILE formats the BENCH lines in FILE and runs nothing.
# TABLE_MULTI ("one per_message") picks the readings the quota parts run
# under, so the two can run side by side as two processes.
# Binaries (pearlsync, pearlsync-sandbox, bench_inventory, bench_console):
# $PS_BIN_DIR or build/bin.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
PS_BIN_DIR=${PS_BIN_DIR:-$root/build/bin}
export PS_BIN_DIR
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	: "${BENCH_N:=300}" "${BENCH_QUOTA_N:=60}" "${BENCH_QUOTA_S:=150}"
	: "${BENCH_HOOK_N:=10}" "${BENCH_LATQ_S:=30}" "${TABLE_SKUS:=500}"
	: "${TABLE_CONSOLE_N:=20000}"
else
	: "${BENCH_N:=1000}" "${BENCH_QUOTA_N:=1200}" "${BENCH_QUOTA_S:=240}"
	: "${BENCH_HOOK_N:=40}" "${BENCH_LATQ_S:=300}" "${TABLE_SKUS:=20000}"
	: "${TABLE_CONSOLE_N:=1000000}"
fi
export BENCH_N BENCH_QUOTA_N BENCH_QUOTA_S BENCH_HOOK_N BENCH_LATQ_S
quota_parts=${TABLE_QUOTA_PARTS:-single quota quota-standard latency-quota}
other_parts=${TABLE_OTHER_PARTS:-engine latency memory}
skip=" ${TABLE_SKIP:-} "
out=${TABLE_OUT:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pearlsync-table.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
: >"$tmp/lines"

run() { # run NAME COMMAND... - run a part, keep its BENCH lines
	_n=$1
	shift
	_rc=0
	"$@" >"$tmp/$_n.out" 2>"$tmp/$_n.err" || _rc=$?
	[ "$_rc" = 0 ] || echo "table: $_n exited $_rc: $(tail -3 "$tmp/$_n.err")" >&2
	grep '^BENCH ' "$tmp/$_n.out" >>"$tmp/lines" || :
	[ -z "$out" ] || { mkdir -p "$out"; cp "$tmp/$_n.out" "$tmp/$_n.err" "$out/"; }
}
wanted() { # the parts of $1 not skipped
	for p in $1; do
		case "$skip" in *" $p "*) ;; *) printf '%s ' "$p" ;; esac
	done
}

if [ -n "${TABLE_LINES:-}" ]; then
	# only the formatting, of BENCH lines gathered before (for example
	# from parts run side by side with TABLE_OUT)
	grep -h '^BENCH ' "$TABLE_LINES" >"$tmp/lines" || :
	quota_parts=" " other_parts=" " skip=" console inventory "
fi
parts=$(wanted "$quota_parts")
for multi in ${TABLE_MULTI:-one per_message}; do
	[ -n "$parts" ] || break
	echo "table: orders.sh $parts(multi-message: $multi)" >&2
	run "orders-$multi" env BENCH_MULTI="$multi" BENCH_PARTS="$parts" \
		sh "$root/tests/bench/orders.sh"
done
parts=$(wanted "$other_parts")
if [ -n "$parts" ]; then
	echo "table: orders.sh $parts" >&2
	run orders-other env BENCH_MULTI=one BENCH_PARTS="$parts" \
		sh "$root/tests/bench/orders.sh"
fi
case "$skip" in *" inventory "*) ;; *)
	echo "table: stock.sh $TABLE_SKUS SKUs" >&2
	run stock env BENCH_SKUS="$TABLE_SKUS" sh "$root/tests/bench/stock.sh"
	;;
esac
case "$skip" in *" console "*) ;; *)
	# a database per size: bench_console seeds only an empty log
	dir="$root/build/bench"
	mkdir -p "$dir"
	printf 'database = "%s/console-%s.db";\n' "$dir" "$TABLE_CONSOLE_N" >"$dir/console-table.conf"
	"$PS_BIN_DIR/pearlsync" --config "$dir/console-table.conf" init >/dev/null
	echo "table: bench_console $TABLE_CONSOLE_N" >&2
	run console "$PS_BIN_DIR/bench_console" \
		"$dir/console-$TABLE_CONSOLE_N.db" "$TABLE_CONSOLE_N"
	;;
esac

python3 - "$tmp/lines" "$quick" <<'PY'
import sys

# (measure, goal, parts whose lines fill the row): the rows of the issue's
# table, in its order.  A part that printed no line shows as not measured.
ROWS = [
    ("BP requests per order, one by one", "<= 2 warm (<= 1)", ["single"]),
    ("webhook -> BP order p99, under quota", "<= 10 s (<= 3 s)",
     ["latency-quota", "latency"]),
    ("orders/min, BC Standard plan", ">= 400", ["quota-standard"]),
    ("orders/min, BP cap (BC Pro plan)", "BP cap bound", ["quota"]),
    ("100 stock changes in a burst", "a handful of requests, s",
     ["stock-burst"]),
    ("engine, quotas off", ">= 1,000 orders/s", ["engine"]),
    ("worker peak RSS, order backlog", "<= 20 MB", ["memory"]),
    ("worker peak RSS, N-SKU stock reconcile", "<= 20 MB",
     ["stock-reconcile"]),
    ("console at N entries", "<= 100 ms every screen", ["console"]),
    ("inventory reconcile, N SKUs", "measures pearlsync",
     ["stock-sync-once", "inventory"]),
]

lines = []
for raw in open(sys.argv[1]):
    kv = {}
    for tok in raw.split()[1:]:
        k, _, v = tok.partition("=")
        kv[k] = v
    lines.append(kv)

def fmt_measured(kv):
    m = kv.get("measured", "?")
    unit = kv.get("unit", "").replace("_", " ")
    extra = []
    name = kv.get("name", "")
    if name == "latency":
        extra.append("quota off")
    if "bp_per_order" in kv:
        extra.append("%s BP req/order" % kv["bp_per_order"])
    orders = kv.get("orders")
    if orders and kv.get("multi") == "per_message" and kv.get("bp_units"):
        try:
            extra.append("%.2f BP units/order" %
                         (int(kv["bp_units"]) / max(1, int(orders))))
        except ValueError:
            pass
    for k in ("throttled", "p50_ms", "p95_ms", "rate", "new_bp",
              "existing_bp", "gap_s", "burst_s", "reconcile_rss_mb", "warm", "fresh", "peak_rss_mb",
              "backlog", "entries", "skus", "slowest", "dashboard_ms",
              "text_search_ms", "stock_change_s", "ps_ms_per_order"):
        if k in kv and not (k == "throttled" and kv[k] == "0"):
            extra.append("%s %s" % (k, kv[k].replace("_", " ")))
    if kv.get("multi") and name not in ("console", "inventory", "engine",
                                         "latency", "memory"):
        extra.insert(0, "multi " + kv["multi"])
    return "%s %s" % (m, unit) + (" (" + "; ".join(extra) + ")" if extra else "")

def fmt_requests(kv):
    out = []
    for key, label in (("bp_requests", "BP"), ("bc_requests", "BC"),
                       ("ds_requests", "DSCO"), ("sh_requests", "SH")):
        v = kv.get(key)
        if v and v != "0":
            s = "%s %s" % (label, v)
            if key == "bp_requests" and kv.get("bp_units") not in (None, v):
                s += " (%s units)" % kv["bp_units"]
            out.append(s)
    return ", ".join(out) if out else "-"

table = [("measure", "goal", "measured", "ps CPU s", "sandbox CPU s",
          "requests", "wall s")]
used = set()
for measure, goal, parts in ROWS:
    hit = False
    for part in parts:
        for i, kv in enumerate(lines):
            if kv.get("name") != part:
                continue
            used.add(i)
            hit = True
            table.append((measure, goal, fmt_measured(kv),
                          kv.get("ps_cpu_s", "-"), kv.get("sb_cpu_s", "-"),
                          fmt_requests(kv), kv.get("wall_s", "-")))
        if hit:
            break
    if not hit:
        table.append((measure, goal, "not measured (no BENCH line from %s)"
                      % " or ".join(parts), "-", "-", "-", "-"))
for i, kv in enumerate(lines):
    if i not in used:
        table.append(("(part %s)" % kv.get("name", "?"), "", fmt_measured(kv),
                      kv.get("ps_cpu_s", "-"), kv.get("sb_cpu_s", "-"),
                      fmt_requests(kv), kv.get("wall_s", "-")))

print("benchmark table (%s sizes)" % ("quick" if sys.argv[2] == "1" else "full"))
for row in table:
    print(" | ".join(row))
PY
