#!/bin/sh
# No secret value ever appears in any output: set a token, run every
# command that shows settings (and some that fail), and search everything
# they printed.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
token="tok-7f3c9e1a2b4d6e8f0a1b2c3d"
token2="second-4e5f6a7b8c9d0e1f2a3b"
ok init

secret_key=$(setting_of_type secret)
[ -n "$secret_key" ] || fail "no setting of type secret in the catalogue"
step="set a secret"
ok settings set "$secret_key" "$token"
printf '%s\n' "$token2" >"$tmp/token2"
run_in "$tmp/token2" settings set "$secret_key" -
expect_rc 0

step="show it every way"
ok settings list
expect_out "^$secret_key .*\*\*\*\*"
ok settings get "$secret_key"
expect_out "\*\*\*\*"
ok settings history
expect_out "$secret_key: .*\*\*\*\*"
ok settings history "$secret_key"
ok settings export
expect_out "\"secrets_omitted\""
grep -q "\"$secret_key\":" "$tmp/out" && fail "export carries the secret key"
ok status
ok status --json
ok logs
ok logs --json
ok settings rollback 1
ok settings rollback 2

step="failures that could echo it"
run settings set "$secret_key" "$token
with a newline"
run settings import "$tmp/token2"
printf '{"settings": {"%s": "%s", "no.such": 1}}\n' "$secret_key" "$token" \
	>"$tmp/doc.json"
run settings import "$tmp/doc.json"
expect_rc 1
printf '{"settings": {"%s": "********"}}\n' "$secret_key" >"$tmp/masked.json"
run settings import "$tmp/masked.json"
expect_rc 1
expect_err "masked secret"

step="--include-secrets writes only a new 0600 file"
run settings export --include-secrets
expect_rc 2
ok settings export --include-secrets -o "$tmp/full.json"
[ "$(stat -c %a "$tmp/full.json")" = 600 ] || fail "export file not 0600"
grep -q "$token2" "$tmp/full.json" || fail "export file lacks the secret"
run settings export --include-secrets -o "$tmp/full.json"
expect_rc 1
step="a full export restores the secret elsewhere"
printf 'database = "%s";\n' "$tmp/copy.db" >"$tmp/copy.conf"
ok --config "$tmp/copy.conf" init
ok --config "$tmp/copy.conf" settings import "$tmp/full.json"
ok --config "$tmp/copy.conf" settings get "$secret_key"
expect_out "\*\*\*\*"

step="no output contains a secret"
for t in "$token" "$token2"; do
	if grep -n "$t" "$tmp/all-output" >&2; then
		fail "a secret value was printed"
	fi
done
echo "cli_secrets: ok"
