#!/usr/bin/env python3
# tests/bench/single.py - the driver of orders.sh's part "single": orders
# placed one at a time in the sandbox's BigCommerce store while the worker
# runs with its webhook listener on, each placed once the one before is in
# Brightpearl (so every import is a batch of one).  Three phases of N
# orders each, after one warm-up order (the worker's first contact
# directory read is not counted):
#   new       customers neither platform has (registered and guests in turn)
#   existing  a customer made directly in Brightpearl a moment before the
#             order (the worker has never seen it; registered and guests)
#   warm      the customers of "new" again
# Per phase: Brightpearl and BigCommerce requests (the sandbox's
# counters), pearlsync's and the sandbox's CPU (/proc), all as deltas over
# the phase.  Then, from the sandbox's state: each order in Brightpearl
# once with its payment and reservation, and no email on two contacts.
# Usage: single.py CONTROL WORKER_PID SANDBOX_PID N INTERVAL_S TAG
# Prints one line per phase, then "check ..." and a BENCH summary line.
import json
import os
import sys
import time
import urllib.request

control, w_pid, sb_pid = sys.argv[1], sys.argv[2], sys.argv[3]
n, interval, tag = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
tick = os.sysconf("SC_CLK_TCK")


def call(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(control + path, data=data,
                                 method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def cpu(pid):
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick


verbose = os.environ.get("BENCH_VERBOSE", "") not in ("", "0")


def counters():
    r = call("/requests")
    return (r.get("brightpearl", {}).get("total", 0),
            r.get("bigcommerce", {}).get("total", 0),
            dict(r.get("brightpearl", {}).get("endpoints", {})))


def bp_refs():
    st = call("/brightpearl/state")
    return {o.get("externalRef") for o in st.get("orders", {}).values()}


def creates():
    """sales orders created so far (a direct POST or a multi-message)"""
    ep = call("/requests").get("brightpearl", {}).get("endpoints", {})
    return ep.get("POST /order-service/sales-order", 0)


placed = []  # (BigCommerce order id, email)


def place(email, registered):
    body = {"billing_address": {"first_name": "S", "last_name": "One",
                                "email": email, "street_1": "1 St",
                                "city": "C", "zip": "12345",
                                "country_iso2": "US"},
            "lines": [{"sku": "TEE-RED-M", "quantity": 1},
                      {"sku": "MUG-LOGO", "quantity": 2}],
            "status_id": 11, "shipping_cost": "4.00", "tax_rate": "0.08",
            "payment": {"gateway": "stripe", "captured": True}}
    if registered:
        body["customer"] = {"email": email, "first_name": "S",
                            "last_name": "One"}
    t0 = time.monotonic()
    want = creates() + 1
    oid = str(call("/bigcommerce/orders", body)["order"]["id"])
    placed.append((oid, email))
    deadline = t0 + 30
    # the cheap counters, not the whole state (whose serving would be
    # most of the sandbox's CPU): the order's create has been answered
    k = 0
    while creates() < want:
        k += 1
        if k % 20 == 0 and oid in bp_refs():  # sent in a multi-message
            break
        if time.monotonic() > deadline:
            sys.exit("order %s not in Brightpearl after 30 s" % oid)
        time.sleep(0.05)
    rest = t0 + interval - time.monotonic()
    if rest > 0:
        time.sleep(rest)


def phase(name, emails, seed_first):
    bp0, bc0, ep0 = counters()
    w0, s0 = cpu(w_pid), cpu(sb_pid)
    for k, email in enumerate(emails):
        if seed_first:
            call("/brightpearl/seed",
                 {"customers": [{"email": email, "firstName": "S",
                                 "lastName": "One"}]})
        place(email, k % 2 == 0)
    time.sleep(max(1.0, interval))  # the last one's payment etc.
    bp1, bc1, ep1 = counters()
    w1, s1 = cpu(w_pid), cpu(sb_pid)
    m = len(emails)
    row = {"bp": (bp1 - bp0) / m, "bc": (bc1 - bc0) / m,
           "ps_ms": (w1 - w0) * 1000 / m, "sb_ms": (s1 - s0) * 1000 / m}
    print("%-9s %3d orders  Brightpearl %.2f req/order  BigCommerce %.2f "
          "req/order  pearlsync CPU %.1f ms/order  sandbox CPU %.1f "
          "ms/order" % (name, m, row["bp"], row["bc"], row["ps_ms"],
                        row["sb_ms"]), flush=True)
    if verbose:  # BENCH_VERBOSE=1: Brightpearl requests by endpoint
        for ep in sorted(ep1):
            if ep1[ep] != ep0.get(ep, 0):
                print("          %5d  %s" % (ep1[ep] - ep0.get(ep, 0), ep))
    return row


place("ada@example.com", True)  # warm-up: the first directory read
time.sleep(1.0)
new = ["sn%d-%s@example.com" % (k, tag) for k in range(n)]
old = ["se%d-%s@example.com" % (k, tag) for k in range(n)]
rows = {"new": phase("new", new, False),
        "existing": phase("existing", old, True),
        "warm": phase("warm", new, False)}

# every order once, with its payment and reservation; one contact per email
st = call("/brightpearl/state")
by_ref = {}
for oid, o in st.get("orders", {}).items():
    by_ref.setdefault(o.get("externalRef"), []).append(int(oid))
paid = {int(p.get("orderId", 0)) for p in st.get("payments", {}).values()}
reserved = {int(k) for k in st.get("reservations", {}).keys()}
missing = [i for i, _ in placed if len(by_ref.get(i, [])) != 1 or
           by_ref[i][0] not in paid or by_ref[i][0] not in reserved]
emails = {}
for c in st.get("contacts", {}).values():
    e = c.get("communication", {}).get("emails", {}).get("PRI", {}).get(
        "email", "").lower()
    emails[e] = emails.get(e, 0) + 1
dups = sorted(e for e, k in emails.items() if k > 1 and e)
print("check     %d orders: %d without exactly one order, payment and "
      "reservation; %d emails on two contacts" % (len(placed), len(missing),
                                                   len(dups)))
print("BENCH name=single multi=" + os.environ.get("BENCH_MULTI", "one") +
      " measured=%.2f unit=BP_requests/order_warm "
      "new_bp=%.2f existing_bp=%.2f "
      "warm_bc=%.2f ps_cpu_ms=%.1f sb_cpu_ms=%.1f orders=%d bad=%d dups=%d "
      "ps_cpu_s=%.2f sb_cpu_s=%.2f bp_requests=%d bc_requests=%d"
      % (rows["warm"]["bp"], rows["new"]["bp"], rows["existing"]["bp"],
         rows["warm"]["bc"], rows["warm"]["ps_ms"], rows["warm"]["sb_ms"],
         len(placed), len(missing), len(dups),
         rows["warm"]["ps_ms"] * n / 1000.0, rows["warm"]["sb_ms"] * n / 1000.0,
         round(rows["warm"]["bp"] * n), round(rows["warm"]["bc"] * n)))
