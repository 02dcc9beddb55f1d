#!/bin/sh
# The worker under systemd, played by a test: with NOTIFY_SOCKET (an
# abstract name, then a path) and WATCHDOG_USEC set, the real worker,
# connected to the sandbox, says READY=1 once it is up, STATUS= lines
# naming its pending and failed entries, WATCHDOG=1 every half of
# WATCHDOG_USEC (never slower than the watchdog, never much faster), and
# STOPPING=1 after SIGTERM, before it exits 0.  WATCHDOG_PID naming another
# process turns the pings off.  STATUS says "paused" when every flow that
# is on is paused, and names a platform that refuses the credentials.  Log lines carry "<N>" syslog priorities
# only when JOURNAL_STREAM names stderr's device and inode.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }
probe="$PS_SOURCE_DIR/tests/integration/fixtures/svc/notify_listen.py"

start_sandbox
connect_sandbox
printf 'log_level = "info";\n' >>"$tmp/conf.base"
sed -i '/^log_level = "warn";$/d' "$tmp/conf.base"
cp "$tmp/conf.base" "$conf"

# notify KIND USEC SECONDS - run the worker under the probe
notify() {
	(cd "$tmp" && "$py" "$probe" "$tmp/notify.out" "$1" "$2" "$3" \
		"$ps" worker --no-listen) || fail "probe failed"
	cp "$tmp/w.err" "$tmp/err"
	check_sanitizers
	cp "$tmp/notify.out" "$tmp/out"
}

for kind in abstract path; do
	step="notify ($kind)"
	notify "$kind" 2000000 6
	# READY=1 is the first message, before any STATUS of a tick
	head -1 "$tmp/out" | grep -q " READY=1" || fail "first message is not READY=1"
	[ "$(grep -c 'READY=1' "$tmp/out")" -eq 1 ] || fail "READY=1 not sent once"
	# the demo's two orders were imported: the STATUS line says so
	expect_out "STATUS=running: 0 pending, 0 failed; last poll [0-9][0-9]:[0-9][0-9]:[0-9][0-9] UTC; [1-9][0-9]* of [0-9]* flows on"
	# pings every ~1 s (half of 2 s): at least 4 in 6 s, gaps 0.9..1.9 s
	awk '/ WATCHDOG=1$/ { if (n++) { g = $1 - last; if (g < min || n == 2) min = g; if (g > max) max = g } last = $1 }
		END { printf "%d %.3f %.3f\n", n, min, max }' "$tmp/out" >"$tmp/wd"
	read -r n min max <"$tmp/wd"
	[ "$n" -ge 4 ] || fail "$n WATCHDOG=1 in 6 s, want >= 4"
	awk -v a="$min" -v b="$max" 'BEGIN { exit !(a >= 0.9 && b < 1.9) }' ||
		fail "WATCHDOG=1 gaps $min..$max s, want 0.9..1.9 s"
	# STOPPING=1 comes after SIGTERM; the worker exits 0 afterwards
	awk '/SIGTERM$/ { t = 1 } / STOPPING=1/ { if (t) s = 1 } END { exit !s }' "$tmp/out" ||
		fail "no STOPPING=1 after SIGTERM"
	tail -1 "$tmp/out" | grep -qx "exit 0" || fail "worker did not exit 0"
done

step="a failing order shows in STATUS"
sb_post bigcommerce/orders '{"billing_address":{"first_name":"N","last_name":"S","email":"nosku@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"NO-SUCH-SKU","quantity":1,"price":"5.00"}],"status_id":11}'
notify abstract 0 4
expect_out "STATUS=running: 0 pending, 1 failed;"
grep -q "WATCHDOG=1" "$tmp/out" && fail "WATCHDOG=1 without WATCHDOG_USEC"

step="WATCHDOG_PID of another process"
WATCHDOG_PID=1 notify abstract 1000000 3
grep -q "WATCHDOG=1" "$tmp/out" && fail "WATCHDOG=1 though WATCHDOG_PID is not the worker"
expect_out "READY=1"

step="paused flows in STATUS"
ok settings set sync.paused_flows order_import_bc,status_export_bc
notify abstract 0 3
expect_out "STATUS=paused: 0 pending, 1 failed;.* 0 of [0-9]* flows on$"
ok settings set sync.paused_flows ""

step="refused credentials in STATUS"
ok settings set bigcommerce.token wrong-token-1234
notify abstract 0 3
expect_out "STATUS=running: .*flows on; bigcommerce: credentials refused$"
grep -q "wrong-token" "$tmp/out" "$tmp/err" && fail "token shown"
ok settings set bigcommerce.token sandbox-token

step="journal priorities"
# devino FILE - "device:inode" of FILE, as systemd writes JOURNAL_STREAM
devino() { "$py" -c 'import os,sys; s=os.stat(sys.argv[1]); print("%d:%d" % (s.st_dev, s.st_ino))' "$1"; }
: >"$tmp/journal.err"
: >"$tmp/other"
# a warning (poll with a bad token) and info lines
JOURNAL_STREAM=$(devino "$tmp/journal.err") "$ps" worker --once 2>>"$tmp/journal.err" >/dev/null || fail "worker --once failed"
cp "$tmp/journal.err" "$tmp/err"
check_sanitizers
grep -q '^<6>[0-9-]*T[0-9:]*Z info  worker: ' "$tmp/err" || fail "no <6> info line"
grep -v -q '^<[3467]>' "$tmp/err" && fail "a line without a priority: $(grep -v '^<[3467]>' "$tmp/err" | head -1)"
ok settings set bigcommerce.token wrong-token
JOURNAL_STREAM=$(devino "$tmp/journal.err") "$ps" worker --once 2>"$tmp/journal.err" >/dev/null || :
cp "$tmp/journal.err" "$tmp/err"
grep -q '^<4>[0-9-]*T[0-9:]*Z warn ' "$tmp/err" || fail "no <4> warning line"
grep -q 'wrong-token' "$tmp/err" && fail "token printed"
# JOURNAL_STREAM naming another file, or none: plain lines
JOURNAL_STREAM=$(devino "$tmp/other") "$ps" worker --once 2>"$tmp/err" >/dev/null || :
grep -q '^<' "$tmp/err" && fail "priority prefix though stderr is not the journal"
grep -q '^[0-9-]*T[0-9:]*Z info  worker: ' "$tmp/err" || fail "no plain info line"
"$ps" worker --once 2>"$tmp/err" >/dev/null || :
grep -q '^<' "$tmp/err" && fail "priority prefix without JOURNAL_STREAM"
grep -q '^[0-9-]*T[0-9:]*Z info  worker: ' "$tmp/err" || fail "no plain info line"
exit 0
