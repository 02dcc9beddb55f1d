#!/bin/sh
# No accidental quits, in the real console under tmux at 80x24: Esc on a
# main screen does not quit, q asks first (any key but y cancels), and the
# Home/End sequences other terminals send (tmux, PuTTY, rxvt, VT220) move
# to the first/last row instead of being read as Esc and letters.  Then the
# footer's "Q:quit" at 60x20.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"

step="init and seed"
"$ps" init >/dev/null
"$seeder" --seed "$db" 200

# alive SESSION - the console still answers keys (the help screen opens
# and closes); a console that quit never shows it.
alive() {
	keys "$1" '?'
	wait_for "$1" "list every key"
	keys "$1" Escape
	wait_gone "$1" "list every key"
}

# seq SESSION HEX... - send raw bytes, as a terminal would.
seq_keys() {
	s=$1
	shift
	tmux -L "$sock" send-keys -t "$s" -H "$@"
}

# The selected log row (the one marked '>') is the first / last row shown.
selected_is() {
	rows=$(screen_of c1 | grep -E '^[ >][0-9]+ ' || true)
	case $1 in
	first) echo "$rows" | head -1 | grep -q '^>' ;;
	last) echo "$rows" | tail -1 | grep -q '^>' ;;
	esac
}

wait_selected() {
	deadline=$(($(date +%s) + 15))
	until selected_is "$1"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "selection not on the $1 row"
		sleep 0.1
	done
}

step="Esc on the dashboard does not quit"
start_console c1
wait_for c1 "[1 Dashboard]"
wait_for c1 "Q:quit"
keys c1 Escape
wait_for c1 "Q quits the console"
[ ! -e "$tmp/rc.c1" ] || fail "the console exited on Esc"
alive c1

step="End as tmux sends it does not quit"
keys c1 4
wait_for c1 "[4 Sync log]"
wait_for c1 "more: PgDn"
keys c1 End
wait_selected last
keys c1 Home
wait_selected first

step="PuTTY, rxvt and xterm Home/End sequences move, never quit"
# ESC [ 4 ~ (PuTTY End), ESC [ 1 ~ (PuTTY Home), ESC O F, ESC O H,
# ESC [ F, ESC [ H, ESC [ 8 ~ / ESC [ 7 ~ (rxvt End / Home)
for pair in "5b 34 7e:5b 31 7e" "4f 46:4f 48" "5b 46:5b 48" \
	"5b 38 7e:5b 37 7e"; do
	end=${pair%%:*}
	home=${pair#*:}
	# shellcheck disable=SC2086
	seq_keys c1 1b $end
	wait_selected last
	# shellcheck disable=SC2086
	seq_keys c1 1b $home
	wait_selected first
done
# still on the log: none of the digits in the sequences switched screens
screen_of c1 | grep -qF "[4 Sync log]" || fail "left the sync log"

step="unknown sequences are swallowed whole"
# Ctrl-F12 (ESC [ 24 ; 5 ~), Shift-F3 (ESC [ 1 ; 2 R), Ctrl-Right in
# rxvt (ESC O c), F13 as some terminals send it (ESC [ 2 5 ~)
seq_keys c1 1b 5b 32 34 3b 35 7e
seq_keys c1 1b 5b 31 3b 32 52
seq_keys c1 1b 4f 63
seq_keys c1 1b 5b 32 35 7e
alive c1
screen_of c1 | grep -qF "[4 Sync log]" || fail "an unknown key changed screen"
[ ! -e "$tmp/rc.c1" ] || fail "the console exited on an unknown key"

step="q on a sub-screen goes back"
keys c1 Enter
wait_for c1 "Next attempt"
keys c1 q
wait_for c1 "Filter: all entries"
screen_of c1 | grep -qF "Quit pearlsync console" && fail "q asked to quit"

step="q on a main screen asks; n and any other key cancel"
keys c1 q
wait_for c1 "Quit pearlsync console? [y/N]"
keys c1 n
wait_gone c1 "Quit pearlsync console?"
alive c1
keys c1 q
wait_for c1 "Quit pearlsync console? [y/N]"
keys c1 Escape
wait_gone c1 "Quit pearlsync console?"
alive c1
[ ! -e "$tmp/rc.c1" ] || fail "the console exited though the quit was cancelled"

step="q then y quits with status 0"
keys c1 q
wait_for c1 "Quit pearlsync console? [y/N]"
keys c1 y
wait_exit c1
[ "$rc" = 0 ] || fail "exit status $rc"

step="60x20: the footer still says how to quit"
PS_COLS=60 PS_ROWS=20 start_console small --screen log
wait_for small "[4 Sync log]"
wait_for small "Q:quit"
keys small Enter
wait_for small "q:back"
wait_for small "Q:quit"
keys small Q
wait_exit small
[ "$rc" = 0 ] || fail "exit status $rc"

echo "ok"
