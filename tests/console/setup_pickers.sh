#!/bin/sh
# The setup form's small ones (the real console at 200x50, a large
# terminal, against the sandbox): a multi-select stays open while Space
# switches values and closes on Enter; where Brightpearl notes go in
# BigCommerce is a choice of two, and `settings set` refuses any other
# value; the order step asks for the start date and offers today.
# PS_CAPTURES=DIR keeps the screens.
set -eu
. "$PS_SOURCE_DIR/tests/console/lib.sh"
start_sandbox
configure_sandbox 3600
"$ps" settings unset bigcommerce.orders.start_date >/dev/null 2>&1 || :

capture() {
	[ -n "${PS_CAPTURES:-}" ] && screen_of c >"$PS_CAPTURES/$1.txt" || :
}
setting() { "$ps" settings get "$1" 2>/dev/null | tail -1; }
# open_step N TITLE FROM - from the step list (step FROM selected), step N
open_step() {
	i=$3
	while [ "$i" -lt "$1" ]; do
		keys c j
		i=$((i + 1))
	done
	wait_match c "^>$1\. "
	keys c Enter
	wait_for c "Step $1 of 22: $2"
}

export PS_COLS=200 PS_ROWS=50
step="fetch the lists"
start_console c --screen setup
wait_for c "Setup, step by step"
keys c u
wait_for c "fetched from BigCommerce" 20

step="statuses: Space switches, the list stays open"
open_step 2 "Order sync" 1
wait_for c "Needs attention: set the start date"
keys c j Enter
wait_for c "Space switches a value on or off, Enter closes"
wait_match c '\[x\] 11 '
wait_match c '> *\[ \] 0 '
keys c j Space
wait_match c '\[x\] 1 '
keys c j Space
wait_match c '\[x\] 2 '
wait_for c "Space switches a value on or off" # still open
capture picker-after
keys c Enter
wait_gone c "Space switches a value on or off"
[ "$(setting bigcommerce.orders.import_statuses)" = "11,1,2" ] ||
	fail "import statuses: $(setting bigcommerce.orders.import_statuses)"

step="the start date, today by default"
keys c j j j j
wait_match c '^> Import orders created from'
keys c Enter
today=$(date -u +%Y-%m-%d)
wait_for c "Import orders created from (YYYY-MM-DD): $today"
capture start-date-after
keys c Enter
wait_match c "Import orders created from +$today"
[ "$(setting bigcommerce.orders.start_date)" = "$today" ] ||
	fail "start date: $(setting bigcommerce.orders.start_date)"
wait_match c "^ Done" # the step no longer asks for the date
keys c q
wait_for c "Setup, step by step"

step="notes: a choice of two"
open_step 7 "Notes" 2
keys c j j j
wait_match c '^> Brightpearl notes to BigCommerce field +staff_notes'
keys c Enter
wait_match c 'customer_message'
capture notes-after
keys c j Enter
wait_match c 'Brightpearl notes to BigCommerce field +customer_message'
[ "$(setting bigcommerce.notes.bp_note_to_bc_field)" = "customer_message" ] ||
	fail "notes field: $(setting bigcommerce.notes.bp_note_to_bc_field)"
if "$ps" settings set bigcommerce.notes.bp_note_to_bc_field staff_note >"$tmp/set.out" 2>&1; then
	fail "settings set took an unknown notes field"
fi
grep -q "staff_notes, customer_message" "$tmp/set.out" ||
	fail "the refusal does not name the choices: $(cat "$tmp/set.out")"
keys c Q
wait_exit c
[ "$rc" -eq 0 ] || fail "console exit status $rc"
exit 0
