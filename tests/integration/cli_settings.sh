#!/bin/sh
# Settings end to end: init (mode 0600), set, history, rollback, export and
# import, and that every rejected change leaves the database as it was.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"

step="init"
ok init
expect_out "$db"
[ -f "$db" ] || fail "no database file"
mode=$(stat -c %a "$db")
[ "$mode" = 600 ] || fail "database mode $mode, want 600"
step="init again (upgrade path) is harmless"
ok init
mode=$(stat -c %a "$db")
[ "$mode" = 600 ] || fail "database mode $mode after second init"

step="init creates missing directories 0700"
printf 'database = "%s";\n' "$tmp/deep/er/p.db" >"$tmp/deep.conf"
ok --config "$tmp/deep.conf" init
[ "$(stat -c %a "$tmp/deep/er")" = 700 ] || fail "new directory not 0700"
[ "$(stat -c %a "$tmp/deep/er/p.db")" = 600 ] || fail "db not 0600"

step="logs --json on an empty database"
ok logs --json
[ "$(tr -d ' \n' <"$tmp/out")" = "[]" ] || fail "want [], got $(cat "$tmp/out")"
step="logs on an empty database"
ok logs
expect_out "ORDER #"
ok logs --status failed --flow order_import_bc --search 1042 --limit 5 --json
[ "$(tr -d ' \n' <"$tmp/out")" = "[]" ] || fail "want []"

step="status"
ok status
expect_out "worker: *never started"
ok status --json
expect_out '"counts"'
expect_out '"worker"'

str_key=$(setting_of_type string)
bool_key=$(setting_of_type bool)
[ -n "$str_key" ] || fail "no setting of type string in the catalogue"
[ -n "$bool_key" ] || fail "no setting of type bool in the catalogue"

step="settings set / get / history"
ok settings set "$str_key" "First Value"
expect_out "version 1"
ok settings get "$str_key"
[ "$(cat "$tmp/out")" = "First Value" ] || fail "get returned $(cat "$tmp/out")"
ok settings history
expect_out "$str_key: (unset) -> First Value"
expect_out " cli "
ok settings set "$str_key" "Second Value"
ok settings set "$bool_key" true
ok settings history "$str_key"
expect_out "$str_key: First Value -> Second Value"
grep -q "$bool_key" "$tmp/out" && fail "history KEY shows other keys"
ok settings list
expect_out "^$str_key  *string  *Second Value"
step="same value again records nothing"
ok settings set "$str_key" "Second Value"
expect_out "unchanged"

step="unknown setting"
snapshot before
run settings set no.such.setting 1
[ "$rc" -ne 0 ] || fail "unknown setting accepted"
expect_err "unknown setting 'no.such.setting'"
run settings get no.such.setting
[ "$rc" -ne 0 ] || fail "get of unknown setting succeeded"
expect_unchanged before

step="invalid value"
run settings set "$bool_key" maybe
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
expect_err "$bool_key"
expect_unchanged before

step="value from stdin"
printf 'From Stdin\n' >"$tmp/value"
run_in "$tmp/value" settings set "$str_key" -
expect_rc 0
ok settings get "$str_key"
[ "$(cat "$tmp/out")" = "From Stdin" ] || fail "got $(cat "$tmp/out")"

step="rollback"
# versions: 1 First, 2 Second, 3 bool, 4 From Stdin
ok settings rollback 1
expect_out "as of version 1"
ok settings get "$str_key"
[ "$(cat "$tmp/out")" = "First Value" ] || fail "after rollback: $(cat "$tmp/out")"
ok settings history
expect_out "$str_key: From Stdin -> First Value"
step="rollback to 0 unsets everything"
ok settings rollback 0
ok settings list
grep -q "^$str_key .*First Value" "$tmp/out" && fail "value survived rollback 0"
step="a rollback can be rolled back"
ok settings rollback 4
ok settings get "$str_key"
[ "$(cat "$tmp/out")" = "From Stdin" ] || fail "got $(cat "$tmp/out")"
step="rollback past the latest version"
snapshot before
run settings rollback 999
expect_rc 1
expect_err "no version 999"
expect_unchanged before

step="export"
ok mappings set order_status 'bc>bp' 11 4
ok settings export
cp "$tmp/out" "$tmp/export.json"
expect_out '"pearlsync": "settings"'
expect_out "\"$str_key\": \"From Stdin\""
expect_out '"order_status"'

step="import into a fresh database reproduces it"
printf 'database = "%s";\n' "$tmp/copy.db" >"$tmp/copy.conf"
ok --config "$tmp/copy.conf" init
ok --config "$tmp/copy.conf" settings import "$tmp/export.json"
expect_out "imported"
ok --config "$tmp/copy.conf" settings get "$str_key"
[ "$(cat "$tmp/out")" = "From Stdin" ] || fail "got $(cat "$tmp/out")"
ok --config "$tmp/copy.conf" mappings export
expect_out "order_status,bc>bp,11,4"
ok --config "$tmp/copy.conf" settings history
expect_out " import "
step="importing the same document again changes nothing"
ok --config "$tmp/copy.conf" settings import "$tmp/export.json"
expect_out "nothing changed"

# Rejected documents: a clear message, exit 1, the database unchanged.
snapshot before
bad() {
	step="import: $1"
	printf '%s\n' "$2" >"$tmp/bad.json"
	run settings import "$tmp/bad.json"
	expect_rc 1
	expect_err "$3"
	expect_err "nothing was imported"
	expect_unchanged before
}
bad "wrong type" "{\"settings\": {\"$str_key\": \"ok\", \"$bool_key\": 5}}" \
	"settings.$bool_key: expected true, false or a string (type bool) or null, not an integer"
bad "wrong type for a string" "{\"settings\": {\"$str_key\": [1]}}" \
	"settings.$str_key: expected a string"
bad "unknown setting" "{\"settings\": {\"$str_key\": \"x\", \"no.such\": \"1\"}}" \
	"unknown setting 'no.such'"
bad "invalid value" "{\"settings\": {\"$str_key\": \"x\", \"$bool_key\": \"maybe\"}}" \
	"$bool_key"
bad "bad JSON" "{\"settings\": {\"$str_key\": \"x\",
}" "bad.json:2:"
bad "not an object" "[1, 2]" "must be a JSON object"
bad "duplicate key" "{\"settings\": {\"$str_key\": \"a\", \"$str_key\": \"b\"}}" \
	"duplicate object key"
bad "unknown member" "{\"setings\": {}}" "unknown member \"setings\""
bad "bad mapping" "{\"settings\": {\"$str_key\": \"x\"}, \"mappings\": [{\"kind\": \"k\", \"direction\": \"bc>bp\", \"source\": \"1\"}]}" \
	"mappings\\[0\\]: missing \"target\""
bad "mapping field type" "{\"mappings\": [{\"kind\": \"k\", \"direction\": \"bc>bp\", \"source\": 1, \"target\": \"2\"}]}" \
	"mappings\\[0\\].source: must be a string, not an integer"
step="import of a missing file"
run settings import "$tmp/none.json"
expect_rc 1
expect_unchanged before
echo "cli_settings: ok"
