#!/bin/sh
# The real console in tmux on a seeded database: dashboard, sync log,
# filter to failed, retry one entry (checked through the CLI), the help
# screen, a resize, quitting with Q and a SIGTERM (terminal restored,
# status 0).
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"

step="init and seed"
"$ps" init >/dev/null
"$seeder" --seed "$db" 200

step="dashboard"
start_console c1
wait_for c1 "[1 Dashboard]"
wait_for c1 "order_import_bc"
wait_for c1 "entries failed"

step="sync log"
keys c1 4
wait_for c1 "[4 Sync log]"
wait_for c1 "Filter: all entries"
wait_for c1 "more: PgDn"

step="filter to failed"
keys c1 s s s
wait_for c1 "Filter: failed"
# every entry row shown is failed
rows=$(screen_of c1 | grep -cE '^[ >][0-9]+ ' || true)
failed=$(screen_of c1 | grep -E '^[ >][0-9]+ ' | grep -c ' failed ' || true)
[ "$rows" -gt 0 ] && [ "$rows" = "$failed" ] ||
	fail "filter shows $rows rows, $failed failed"
first=$(screen_of c1 | grep -E '^>[0-9]+ ' | awk '{print substr($1, 2)}')
[ -n "$first" ] || fail "no selected row"
before=$("$ps" logs --status failed --limit 1000 --json | grep -c '"id"')

step="retry the selected entry"
keys c1 r
wait_for c1 "queued for retry"
after=$("$ps" logs --status failed --limit 1000 --json | grep -c '"id"')
[ "$after" -eq $((before - 1)) ] || fail "failed entries $before -> $after"
"$ps" logs --search "$first" --json | grep -q '"status": *"pending"' ||
	fail "order $first is not pending after the retry"

step="detail of an entry"
keys c1 Enter
wait_for c1 "Next attempt"
wait_for c1 "not found in Brightpearl"
keys c1 q
wait_for c1 "Filter: failed"

step="search"
keys c1 c /
wait_for c1 "Search (order #"
keys c1 -l "1042"
keys c1 Enter
wait_for c1 'text "1042"'

step="help lists every key"
keys c1 '?'
wait_for c1 "list every key"
keys c1 Escape
wait_gone c1 "list every key"

step="resize to 100x30"
tmux -L "$sock" resize-window -t c1 -x 100 -y 30
keys c1 c
wait_for c1 "row 1 of 26"

step="Q quits with status 0"
keys c1 Q
wait_exit c1
[ "$rc" = 0 ] || fail "exit status $rc"

step="colours, and none with NO_COLOR"
start_console c3
wait_for c3 "entries failed"
tmux -L "$sock" capture-pane -e -p -t c3 >"$tmp/colour"
grep -q "$(printf '\033')\[[0-9;]*3[1-3]m" "$tmp/colour" ||
	fail "no red, green or yellow on the dashboard"
keys c3 Q
wait_exit c3
NO_COLOR=1 start_console c4
wait_for c4 "entries failed"
tmux -L "$sock" capture-pane -e -p -t c4 >"$tmp/colour"
grep -q "$(printf '\033')\[[0-9;]*3[1-7]m" "$tmp/colour" &&
	fail "colours despite NO_COLOR"
keys c4 Q
wait_exit c4

step="SIGTERM restores the terminal and exits 0"
start_console c2 --screen log
wait_for c2 "[4 Sync log]"
# the pane's process is the shell; signal the pearlsync child
pid=$(ps -o pid= --ppid "$(tmux -L "$sock" display -p -t c2 '#{pane_pid}')" |
	head -1 | tr -d ' ')
[ -n "$pid" ] || fail "no console process"
kill -TERM "$pid"
wait_exit c2
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
# the alternate screen was left: the shell's screen is back
wait_gone c2 "[4 Sync log]"

step="no terminal: a clear error, status 1"
set +e
"$ps" console </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "status $rc without a terminal"
grep -q "needs a terminal" "$tmp/err" || fail "no message"

echo "ok"
