#!/bin/sh
# The man pages cannot drift from the program: pearlsync(1) and
# pearlsync.conf(5) as the build made them (build/man/) are checked against
#   - the commands `pearlsync --help` lists and every option their
#     `pearlsync help COMMAND` texts name, both ways (an option the page
#     names must exist);
#   - the config loader's key table (core/config.c) and the example config,
#     both ways;
#   - the operator settings, from the settings.def files and from
#     `pearlsync settings list` on a fresh database, both ways;
# and both pages render with groff -ww without a warning.
set -eu
src=${PS_SOURCE_DIR:?}
bin=${PS_BIN_DIR:?}/pearlsync
man=$(dirname "$PS_BIN_DIR")/man
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
page1=$man/pearlsync.1
page5=$man/pearlsync.conf.5
[ -f "$page1" ] && [ -f "$page5" ] || fail "no man pages in $man (build first)"

# one word a line, sorted and unique
words() { tr -s ' \t' '\n\n' | sed '/^$/d' | LC_ALL=C sort -u; }
# lines of $1 absent from $2, as "what: x y z"
diff_sets() {
	missing=$(LC_ALL=C comm -23 "$1" "$2" | tr '\n' ' ')
	[ -z "$missing" ] || fail "$3: $missing"
}
# roff text as plain text: \- and \e unescaped, fonts dropped
plain() { sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$@"; }

# --- commands and options -------------------------------------------------
"$bin" --help >"$tmp/main"
awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }' \
	"$tmp/main" | LC_ALL=C sort -u >"$tmp/commands"
[ -s "$tmp/commands" ] || fail "--help lists no command"
cp "$tmp/main" "$tmp/helps"
while read -r c; do
	"$bin" help "$c" >>"$tmp/helps"
done <"$tmp/commands"
plain "$page1" | sed -n 's/^\.SS "\(.*\)"$/\1/p' | LC_ALL=C sort -u >"$tmp/man_commands"
diff_sets "$tmp/commands" "$tmp/man_commands" \
	"commands missing from pearlsync.1"
diff_sets "$tmp/man_commands" "$tmp/commands" \
	"pearlsync.1 documents commands that do not exist"

opts() { grep -o -- '--[a-z][a-z-]*[a-z]' | LC_ALL=C sort -u; }
opts <"$tmp/helps" >"$tmp/options"
plain "$page1" | opts >"$tmp/man_options"
diff_sets "$tmp/options" "$tmp/man_options" "options missing from pearlsync.1"
diff_sets "$tmp/man_options" "$tmp/options" \
	"pearlsync.1 names options no command has"
for s in "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO" OPTIONS; do
	grep -q "^\.SH $s\$" "$page1" || fail "pearlsync.1 has no $s section"
done
# every environment variable the code reads is documented
grep -rhoE 'getenv\("[A-Z_]+"\)' "$src/core" "$src/tui" |
	sed 's/getenv("\(.*\)")/\1/' | LC_ALL=C sort -u >"$tmp/env"
echo PEARLSYNC_CONFIG >>"$tmp/env"
while read -r v; do
	plain "$page1" | grep -q "^\.B $v\$" ||
		fail "pearlsync.1's ENVIRONMENT lacks $v"
done <"$tmp/env"

# --- config file keys -------------------------------------------------------
# the loader's table: {NULL, "name", ...} and {"group", "name", ...}
sed -n 's/^[[:space:]]*{NULL, "\([a-z_]*\)",.*/\1/p;
	s/^[[:space:]]*{"\([a-z_]*\)", "\([a-z_]*\)",.*/\1.\2/p' \
	"$src/core/config.c" >"$tmp/config_keys"
[ "$(wc -l <"$tmp/config_keys")" -ge 5 ] ||
	fail "could not read config_keys from core/config.c"
# base_urls: one key per platform, the example config lists them
awk '/^base_urls = \{/ { on = 1; next } on && /^}/ { exit }
	on { sub(/^[ \t#]*/, ""); split($0, a, /[ =]/); print "base_urls." a[1] }' \
	"$src/config/pearlsync.conf.example" >>"$tmp/config_keys"
LC_ALL=C sort -u -o "$tmp/config_keys" "$tmp/config_keys"
# the example config: "#key = value;" lines, inside their group
awk '/^[a-z_]+ = \{/ { g = $1 "."; next } /^}/ { g = ""; next }
	/^[ \t]*#?[a-z_]+ = / { s = $0; sub(/^[ \t]*#?/, "", s);
	split(s, a, / /); print g a[1] }' \
	"$src/config/pearlsync.conf.example" | LC_ALL=C sort -u >"$tmp/example_keys"
diff_sets "$tmp/config_keys" "$tmp/example_keys" \
	"keys missing from config/pearlsync.conf.example"
diff_sets "$tmp/example_keys" "$tmp/config_keys" \
	"config/pearlsync.conf.example has keys the loader refuses"
plain "$page5" | awk '/^\.SH KEYS$/ { on = 1; next } /^\.SH / { on = 0 }
	on && prev == ".TP" && /^\.B / { print $2 } { prev = $0 }' |
	LC_ALL=C sort -u >"$tmp/man_config_keys"
diff_sets "$tmp/config_keys" "$tmp/man_config_keys" \
	"config keys missing from pearlsync.conf.5"
diff_sets "$tmp/man_config_keys" "$tmp/config_keys" \
	"pearlsync.conf.5 documents config keys the loader refuses"

# --- operator settings ------------------------------------------------------
find "$src/core" -name settings.def -exec cat {} + | tr '\n\t' '  ' |
	grep -oE 'PS_SETTING_ROW[A-Z_]*\( *[A-Z0-9_]+, *"[^"]+"' |
	sed 's/.*"\(.*\)"/\1/' | LC_ALL=C sort -u >"$tmp/def_keys"
[ -s "$tmp/def_keys" ] || fail "no settings found in the settings.def files"
printf 'database = "%s/db";\n' "$tmp" >"$tmp/conf"
"$bin" --config "$tmp/conf" init >/dev/null
"$bin" --config "$tmp/conf" settings list |
	awk 'NR > 1 { print $1 }' | LC_ALL=C sort -u >"$tmp/cli_keys"
diff_sets "$tmp/def_keys" "$tmp/cli_keys" \
	"settings.def keys that 'settings list' lacks"
diff_sets "$tmp/cli_keys" "$tmp/def_keys" \
	"'settings list' keys in no settings.def"
plain "$page5" | awk '/^\.SH OPERATOR SETTINGS$/ { on = 1; next }
	/^\.SH / { on = 0 } on && prev == ".TP" && /^\.B / { print $2 }
	{ prev = $0 }' | LC_ALL=C sort -u >"$tmp/man_settings"
diff_sets "$tmp/def_keys" "$tmp/man_settings" \
	"settings missing from pearlsync.conf.5"
diff_sets "$tmp/man_settings" "$tmp/def_keys" \
	"pearlsync.conf.5 documents settings that do not exist"
# and each with its description from the catalogue's table
grep -q 'Seconds between polls from the stored cursors' "$page5" ||
	fail "pearlsync.conf.5 lacks the settings' descriptions"

# --- rendering ----------------------------------------------------------------
if command -v groff >/dev/null 2>&1; then
	for p in "$page1" "$page5"; do
		warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$p" 2>&1)
		[ -z "$warn" ] || fail "$(basename "$p") renders with warnings: $warn"
		lines=$(LC_ALL=C.UTF-8 groff -man -Tutf8 "$p" | wc -l)
		[ "$lines" -gt 100 ] || fail "$(basename "$p") renders to $lines lines"
	done
else
	echo "man_drift: groff not installed: rendering not checked"
fi
echo "man_drift: ok ($(wc -l <"$tmp/commands") commands," \
	"$(wc -l <"$tmp/options") options, $(wc -l <"$tmp/config_keys")" \
	"config keys, $(wc -l <"$tmp/def_keys") settings)"
