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

step="version"
ok version
expect_out "^pearlsync [0-9]"
echo "cli_usage: ok"
