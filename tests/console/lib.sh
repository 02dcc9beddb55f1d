# lib.sh - shared by tests/console/*.sh (sourced, POSIX sh): run the real
# pearlsync console inside a private tmux server and poll its screen.
#
# Every wait polls `tmux capture-pane` for a marker until a deadline; no
# test sleeps a fixed time to synchronise.  Exit status 77 = skipped.

: "${PS_BIN_DIR:?PS_BIN_DIR must name the directory holding pearlsync}"
: "${PS_SOURCE_DIR:?PS_SOURCE_DIR must name the source tree}"
ps="$PS_BIN_DIR/pearlsync"
seeder="$PS_BIN_DIR/bench_console"
command -v tmux >/dev/null 2>&1 || { echo "SKIP: no tmux"; exit 77; }
[ -x "$ps" ] || { echo "FAIL: $ps is not built" >&2; exit 1; }
[ -x "$seeder" ] || { echo "FAIL: $seeder is not built" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pearlsync-console.XXXXXX")
sock="ps-console-$$"
cleanup() {
	tmux -L "$sock" kill-server >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
db="$tmp/pearlsync.db"
conf="$tmp/pearlsync.conf"
printf 'database = "%s";\nlog_level = "warn";\n' "$db" >"$conf"
PEARLSYNC_CONFIG=$conf
export PEARLSYNC_CONFIG
step=""

fail() {
	echo "FAIL: ${step:+$step: }$*" >&2
	for s in $(tmux -L "$sock" list-sessions -F '#S' 2>/dev/null); do
		echo "--- screen of $s:" >&2
		tmux -L "$sock" capture-pane -p -t "$s" >&2 || true
	done
	for f in "$tmp"/err*; do
		[ -s "$f" ] && { echo "--- $f:" >&2; cat "$f" >&2; }
	done
	exit 1
}

# start_console NAME [ARGS...] - open the console in a detached tmux
# session NAME, 80x24 unless PS_COLS / PS_ROWS say otherwise; its exit
# status goes to $tmp/rc.NAME, stderr to $tmp/err.NAME.
start_console() {
	name=$1
	shift
	rm -f "$tmp/rc.$name"
	tmux -L "$sock" -f /dev/null new-session -d -s "$name" \
		-x "${PS_COLS:-80}" -y "${PS_ROWS:-24}" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
		NO_COLOR='${NO_COLOR:-}' \
		'$ps' --config '$conf' console $* 2>'$tmp/err.$name'; \
		echo \$? >'$tmp/rc.$name'; sleep 600"
}

screen_of() {
	tmux -L "$sock" capture-pane -p -t "$1" 2>/dev/null
}

# wait_for SESSION TEXT [SECONDS] - poll the screen until TEXT (fixed
# string) shows, or fail after the deadline (default 15 s).
wait_for() {
	deadline=$(($(date +%s) + ${3:-15}))
	while :; do
		if screen_of "$1" | grep -qF -- "$2"; then
			return 0
		fi
		[ "$(date +%s)" -lt "$deadline" ] || fail "'$2' never appeared"
		sleep 0.1
	done
}

# wait_gone SESSION TEXT [SECONDS] - poll until TEXT is no longer shown.
wait_gone() {
	deadline=$(($(date +%s) + ${3:-15}))
	while screen_of "$1" | grep -qF -- "$2"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "'$2' stayed"
		sleep 0.1
	done
}

# wait_exit SESSION [SECONDS] - poll until the console has exited; its
# status is then in $rc.
wait_exit() {
	deadline=$(($(date +%s) + ${2:-15}))
	while [ ! -s "$tmp/rc.$1" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "console did not exit"
		sleep 0.1
	done
	rc=$(cat "$tmp/rc.$1")
	if grep -q -e "Sanitizer" -e "runtime error:" "$tmp/err.$1"; then
		fail "sanitizer report"
	fi
}

keys() {
	s=$1
	shift
	tmux -L "$sock" send-keys -t "$s" "$@"
}

# wait_match SESSION REGEX [SECONDS] - like wait_for, with an extended
# regular expression.
wait_match() {
	deadline=$(($(date +%s) + ${3:-15}))
	while :; do
		if screen_of "$1" | grep -qE -- "$2"; then
			return 0
		fi
		[ "$(date +%s)" -lt "$deadline" ] || fail "/$2/ never appeared"
		sleep 0.1
	done
}

# start_sandbox - the sandbox on a free port with the demo store (skips
# the test when it or the worker is not built); sets bp_url, bc_url,
# control and worker_pid (empty); the EXIT trap stops the worker, the
# sandbox and the console.  bp_orders: how many Brightpearl orders carry a
# BigCommerce order number (the sandbox's state).
start_sandbox() {
	sandbox="$PS_BIN_DIR/pearlsync-sandbox"
	[ -x "$sandbox" ] || { echo "SKIP: pearlsync-sandbox not built"; exit 77; }
	command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
	"$ps" help worker >/dev/null 2>&1 || { echo "SKIP: no worker"; exit 77; }
	"$sandbox" --listen 127.0.0.1:0 --seed demo --quota off \
		>"$tmp/sandbox.out" 2>"$tmp/err.sandbox" &
	sb_pid=$!
	worker_pid=""
	trap stop_all EXIT
	deadline=$(($(date +%s) + 15))
	until grep -q '^ready$' "$tmp/sandbox.out"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "sandbox did not start"
		sleep 0.1
	done
	bp_url=$(awk '$1 == "brightpearl" { print $2 }' "$tmp/sandbox.out")
	bc_url=$(awk '$1 == "bigcommerce" { print $2 }' "$tmp/sandbox.out")
	control=$(awk '$1 == "control" { print $2 }' "$tmp/sandbox.out")
}

stop_all() {
	[ -n "${worker_pid:-}" ] && kill "$worker_pid" 2>/dev/null
	[ -n "${sb_pid:-}" ] && kill "$sb_pid" 2>/dev/null
	wait 2>/dev/null
	cleanup
}

bp_orders() {
	curl -s "$control/brightpearl/state" |
		grep -o '"externalRef": *"[0-9]*"' | sort -u | wc -l
}

# configure_sandbox POLL - init, and the settings that import the demo
# store's orders (no order status mapping), polling every POLL seconds.
configure_sandbox() {
	"$ps" init >/dev/null
	while read -r key value; do
		"$ps" settings set "$key" "$value" >/dev/null
	done <<SETTINGS
brightpearl.base_url $bp_url
brightpearl.account sandbox
brightpearl.app_ref sandbox_pearlsync
brightpearl.token sandbox-token
brightpearl.installed_integration_instance_id 7
bigcommerce.base_url $bc_url
bigcommerce.store_hash sandbox
bigcommerce.token sandbox-token
bigcommerce.orders.enabled true
bigcommerce.defaults.channel_id 1
bigcommerce.defaults.warehouse_id 2
bigcommerce.defaults.tax_code T
bigcommerce.payments.enabled true
sync.poll_interval_seconds $1
SETTINGS
}
