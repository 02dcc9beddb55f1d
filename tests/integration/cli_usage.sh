#!/bin/sh
# The command line's shape: unknown commands and options print usage and
# exit 2, and every command has a full help text.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"

step="no command"
run
expect_rc 2
expect_err "usage: pearlsync"

step="--help"
ok --help
expect_out "usage: pearlsync"
commands=$(awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }' "$tmp/out")
[ -n "$commands" ] || fail "no commands listed in --help"
for c in help version init status logs settings mappings; do
	echo "$commands" | grep -qx "$c" || fail "--help does not list '$c'"
done

step="unknown command"
run frobnicate
expect_rc 2
expect_err "pearlsync: unknown command 'frobnicate'"
expect_err "usage: pearlsync"

step="unknown global option"
run --bogus status
expect_rc 2
expect_err "pearlsync: unknown option '--bogus'"
expect_err "usage: pearlsync"

for c in $commands; do
	step="help $c"
	ok help "$c"
	expect_out "usage: pearlsync $c"
	[ "$(wc -l <"$tmp/out")" -ge 1 ] || fail "empty help"
	cp "$tmp/out" "$tmp/help1"
	step="$c --help"
	ok "$c" --help
	cmp -s "$tmp/out" "$tmp/help1" || fail "differs from 'help $c'"
done

step="help for an unknown command"
run help frobnicate
expect_rc 2
expect_err "no command 'frobnicate'"

# unknown options and malformed arguments, per command: usage, exit 2,
# and no database is needed to find that out
for args in "status --bogus" "status extra" "logs --bogus" \
	"logs --status maybe" "logs --limit 0" "logs --limit 1001" \
	"logs --limit ten" "logs --flow" "init extra" "settings" \
	"settings frob" "settings get" "settings set onlykey" \
	"settings rollback" "settings export --bogus" \
	"settings export --include-secrets" "mappings" "mappings frob" \
	"mappings set a b c" "mappings list --bogus" "mappings import" \
	"version extra"; do
	step="pearlsync $args"
	# shellcheck disable=SC2086
	run $args
	expect_rc 2
	expect_err "pearlsync"
	expect_err "usage: pearlsync"
done
[ ! -e "$db" ] || fail "a usage error created the database"

# a usage error is one line saying what is wrong and where to read more,
# then the command's synopsis: never its whole help page
for args in "logs --bogus" "logs --status maybe" "status --bogus" \
	"settings frob" "mappings frob" "init extra" "retry" "report --bogus" \
	"console --bogus" "worker --bogus" "check-connection" "preview" \
	"preview order x" "pause --bogus x"; do
	cmd=${args%% *}
	step="short usage error: pearlsync $args"
	# shellcheck disable=SC2086
	run $args
	expect_rc 2
	head -1 "$tmp/err" |
		grep -q "^pearlsync: .*; see 'pearlsync $cmd --help'\$" ||
		fail "first line is not 'pearlsync: ...; see ...'"
	sed -n 2p "$tmp/err" | grep -q "^usage: pearlsync $cmd" ||
		fail "no synopsis after the message"
	grep -qE "^(Options|Examples?|Exit status|Columns)[: ]" "$tmp/err" &&
		fail "the whole help page was printed"
	[ "$(wc -l <"$tmp/err")" -le 10 ] || fail "more than 10 lines"
done

for args in "frobnicate" "--bogus status"; do
	step="short usage error: pearlsync $args"
	# shellcheck disable=SC2086
	run $args
	expect_rc 2
	[ "$(wc -l <"$tmp/err")" -eq 2 ] || fail "not one line and the synopsis"
	expect_err "; see 'pearlsync --help'\$"
	expect_err "^usage: pearlsync \[--config FILE\] COMMAND"
done

step="logs: an unknown flow or status names the known ones"
run logs --flow nope
expect_rc 2
expect_err "unknown flow 'nope'; flows: order_import_bc (orders), "
[ ! -s "$tmp/out" ] || fail "printed a (possibly empty) list"
run logs --status nope
expect_rc 2
expect_err "unknown status 'nope' (pending, in_flight, synced, failed)"
[ ! -s "$tmp/out" ] || fail "printed a (possibly empty) list"
[ ! -e "$db" ] || fail "a usage error created the database"

step="preview before anything is set up: a message, no internal names"
ok init
run preview order 5
expect_rc 1
expect_err "^pearlsync: cannot preview order 5: BigCommerce not connected"
grep -q "PS_E" "$tmp/err" && fail "an internal error name was printed"
[ ! -s "$tmp/out" ] || fail "printed a preview"

step="version"
ok version
expect_out "^pearlsync [0-9]"
echo "cli_usage: ok"
