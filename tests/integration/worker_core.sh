#!/bin/sh
# The worker holds the platforms' tokens in memory, so it must leave no
# core dump: started from a shell that allows them, its core size limit
# reads 0 (soft and hard) in /proc; the systemd unit says LimitCORE=0.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
worker_pid=""
trap '[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

step="the systemd unit"
grep -q '^LimitCORE=0$' "$PS_SOURCE_DIR/config/pearlsync-worker.service" ||
	fail "config/pearlsync-worker.service has no LimitCORE=0"

[ -r /proc/self/limits ] || { echo "SKIP: no /proc/PID/limits"; exit 77; }
# allow core dumps as a shell may (the sanitizers would switch them off
# themselves otherwise)
ulimit -S -c "$(ulimit -H -c)"
[ "$(ulimit -S -c)" != 0 ] || { echo "SKIP: core dumps are off here"; exit 77; }
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0"
export ASAN_OPTIONS

step="the running worker's limits"
ok init
"$ps" worker --no-listen >"$tmp/w.out" 2>"$tmp/w.err" </dev/null &
worker_pid=$!
i=0
until "$ps" status 2>/dev/null | grep -q "^worker: *running"; do
	i=$((i + 1))
	[ "$i" -le 150 ] || fail "the worker never ran: $(cat "$tmp/w.err")"
	sleep 0.1
done
line=$(grep '^Max core file size' "/proc/$worker_pid/limits") ||
	fail "no core line in /proc/$worker_pid/limits"
set -- $line
[ "$5" = 0 ] && [ "$6" = 0 ] ||
	fail "core size limit soft $5, hard $6; want 0 and 0"
kill -TERM "$worker_pid"
wait "$worker_pid" || fail "worker exit $? after TERM"
worker_pid=""
cp "$tmp/w.err" "$tmp/err"
check_sanitizers
echo "ok: core size limit 0 (soft and hard)"
