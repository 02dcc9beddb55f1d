#!/bin/sh
# `pearlsync status` read in a terminal, as an operator over SSH does, at
# 80x24, 60x20 and 200x50: with a worker running whose BigCommerce token is
# wrong, the worker line is one line ("running (pid N, last heartbeat
# ...)", not the heartbeat's list of every skipped flow wrapped over the
# screen), the flows that are on are named, and the platform whose
# credentials failed is shown.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"

start_sandbox
configure_sandbox 86400
"$ps" settings set bigcommerce.token wrong-token-1234 >/dev/null
"$ps" worker --no-listen 2>"$tmp/err.worker" &
worker_pid=$!
# the worker records the refusal at the end of the tick that met it
deadline=$(($(date +%s) + 20))
until "$ps" status --json 2>/dev/null | grep -q '"auth": "auth_failed"'; do
	[ "$(date +%s)" -lt "$deadline" ] ||
		fail "BigCommerce's refusal never reached status --json"
	sleep 0.1
done

# show COLS ROWS - `pearlsync status` in a tmux session of that size
show() {
	name="status$1x$2"
	tmux -L "$sock" -f /dev/null new-session -d -s "$name" -x "$1" -y "$2" \
		"env TERM=xterm-256color LANG=C.UTF-8 '$ps' --config '$conf' status 2>'$tmp/err.$name'; sleep 600"
	step="status at $1x$2"
	wait_for "$name" "RUN"
	screen_of "$name" | grep -qE "^worker: +running \(pid $worker_pid, last heartbeat [0-9]+s ago\)$" ||
		fail "the worker line is not one line"
	screen_of "$name" | grep -qE "^flows: +2 of [0-9]+ on: order_import_bc, status_export_bc$" ||
		fail "no flows line"
	screen_of "$name" | grep -qE "^platforms: .*bigcommerce auth_failed" ||
		fail "no auth_failed platform"
	if screen_of "$name" | grep -q "wrong-token"; then fail "token shown"; fi
}
show 80 24
show 60 20
show 200 50
exit 0
