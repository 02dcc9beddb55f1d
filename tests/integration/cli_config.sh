#!/bin/sh
# The config file as the CLI sees it: FILE:LINE errors with exit 2, a
# missing named file, and the lookup order (--config over
# $PEARLSYNC_CONFIG).
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
cfx="$fixtures/config"

for f in syntax_error:5 wrong_type:4 unknown_key:3 bad_port:2; do
	name=${f%%:*}
	line=${f#*:}
	for c in init status "logs --json" "settings list"; do
		step="$c with $name.conf"
		# shellcheck disable=SC2086
		run --config "$cfx/$name.conf" $c
		expect_rc 2
		expect_err "^pearlsync: $cfx/$name.conf:$line: "
	done
done

step="the environment's file is checked too"
PEARLSYNC_CONFIG="$cfx/unknown_key.conf" run status
expect_rc 2
expect_err "unknown_key.conf:3: unknown key 'databse_path'"

step="missing --config file"
run --config "$tmp/nope.conf" status
expect_rc 2
expect_err "nope.conf: cannot read"

step="missing \$PEARLSYNC_CONFIG file"
PEARLSYNC_CONFIG="$tmp/nope.conf" run status
expect_rc 2
expect_err "nope.conf: cannot read"

step="--config beats \$PEARLSYNC_CONFIG"
printf 'database = "%s";\n' "$tmp/explicit.db" >"$tmp/explicit.conf"
printf 'database = "%s";\n' "$tmp/env.db" >"$tmp/env.conf"
PEARLSYNC_CONFIG="$tmp/env.conf" run --config "$tmp/explicit.conf" init
expect_rc 0
[ -f "$tmp/explicit.db" ] || fail "--config's database not created"
[ ! -e "$tmp/env.db" ] || fail "the environment's database was used"

step="--config after the command name"
PEARLSYNC_CONFIG="$tmp/env.conf" run init --config="$tmp/explicit.conf"
expect_rc 0
[ ! -e "$tmp/env.db" ] || fail "the environment's database was used"

step="\$PEARLSYNC_CONFIG"
PEARLSYNC_CONFIG="$tmp/env.conf" run init
expect_rc 0
[ -f "$tmp/env.db" ] || fail "the environment's database not created"

step="status names the config in use"
PEARLSYNC_CONFIG="$tmp/env.conf" run status
expect_rc 0
expect_out "$tmp/env.conf"
expect_out "$tmp/env.db"

step="no database yet"
run status
expect_rc 1
expect_err "no database at $db; run 'pearlsync init'"
[ ! -e "$db" ] || fail "status created the database"

step="the example config is valid"
sed "s|^#database = .*|database = \"$tmp/example.db\";|" \
	"$PS_SOURCE_DIR/config/pearlsync.conf.example" >"$tmp/example.conf"
run --config "$tmp/example.conf" init
expect_rc 0
[ -f "$tmp/example.db" ] || fail "example config's database not created"
echo "cli_config: ok"
