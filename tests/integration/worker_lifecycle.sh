#!/bin/sh
# pearlsync worker as a process: it writes a heartbeat (status says
# running), stops on SIGTERM and SIGINT with exit 0 (status says stopped);
# --once makes one pass and exits; the usage errors of worker, retry and
# sync-once.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
worker_pid=""
trap '[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
ok init

# wait_status TEXT - poll `pearlsync status` until its worker line has TEXT
wait_status() {
	i=0
	until "$ps" status 2>/dev/null | grep -q "^worker: *$1"; do
		i=$((i + 1))
		[ "$i" -le 150 ] || fail "status never showed '$1': $("$ps" status 2>&1 | grep '^worker')"
		sleep 0.1
	done
}

# stop_with SIGNAL - start a worker, wait for its heartbeat, signal it
stop_with() {
	step="worker stopped by $1"
	"$ps" worker --no-listen >"$tmp/w.out" 2>"$tmp/w.err" </dev/null &
	worker_pid=$!
	wait_status running
	"$ps" status >"$tmp/out"
	expect_out "pid $worker_pid"
	kill "-$1" "$worker_pid"
	set +e
	wait "$worker_pid"
	wrc=$?
	set -e
	worker_pid=""
	cp "$tmp/w.err" "$tmp/err"
	check_sanitizers
	[ "$wrc" -eq 0 ] || fail "worker exit $wrc after $1, want 0"
	ok status
	expect_out "^worker: *stopped"
}
stop_with TERM
stop_with INT

step="worker --once"
ok worker --once
ok status
expect_out "^worker: *stopped"

step="usage"
run worker --bogus
expect_rc 2
run worker extra
expect_rc 2
ok worker --help
expect_out "usage: pearlsync worker"
run retry
expect_rc 2
run retry abc
expect_rc 2
run retry 5 --failed
expect_rc 2
run retry --flow orders 5
expect_rc 2
ok help retry
expect_out "retry --failed"
run sync-once
expect_rc 2
run sync-once no-such-flow
expect_rc 2
expect_err "no flow 'no-such-flow'"
ok sync-once --help
expect_out "usage: pearlsync sync-once FLOW"

step="retry on an empty log"
run retry 999
expect_rc 1
expect_err "999"
ok retry --failed
expect_out "^0 failed entries will be retried$"
exit 0
