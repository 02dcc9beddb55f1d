#!/bin/sh
# The Debian package: a fresh Release build of the pearlsync command with
# prefix /usr, `cpack -G DEB`, then the .deb's contents and control files,
# and an install into a scratch root with `dpkg --root` (maintainer scripts
# run chrootless with DPKG_ROOT set, as in a bootstrap): the system user,
# the state directory's owner and mode, the config's group and mode, the
# unit enabled, `pearlsync --version` and `--help` from the root, and the
# unit's ExecStart naming a binary that is there.  Then an upgrade keeps a
# changed config, remove keeps config and state, purge deletes them.
# Skipped (77) without dpkg-deb, dpkg or cpack.
set -eu
for tool in dpkg-deb dpkg cpack cmake; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "SKIP: $tool not installed"; exit 77; }
done
src=${PS_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- build only the command and its man pages, then package -------------
b=$tmp/build
cmake -S "$src" -B "$b" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
	-DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
	>"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
cmake --build "$b" -j 2 --target pearlsync pearlsync-man \
	>"$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; fail "build"; }
(cd "$b" && cpack -G DEB) >"$tmp/cpack.log" 2>&1 ||
	{ cat "$tmp/cpack.log"; fail "cpack"; }
set -- "$b"/pearlsync_*.deb
[ -f "$1" ] || fail "no pearlsync_*.deb in the build dir"
deb=$1

# --- contents -------------------------------------------------------------
dpkg-deb -c "$deb" >"$tmp/contents"
has() {
	grep -q " \./$1\$" "$tmp/contents" || {
		cat "$tmp/contents" >&2
		fail "the package lacks /$1"
	}
}
has usr/bin/pearlsync
has usr/share/man/man1/pearlsync.1.gz
has usr/share/man/man5/pearlsync.conf.5.gz
has etc/pearlsync/pearlsync.conf
has var/lib/pearlsync/
unit=$(awk '/\/pearlsync-worker\.service$/ { print substr($NF, 2) }' \
	"$tmp/contents")
[ -n "$unit" ] || fail "the package lacks pearlsync-worker.service"
case "$unit" in
/lib/systemd/system/* | /usr/lib/systemd/system/*) ;;
*) fail "unit installed as $unit, not in the systemd unit dir" ;;
esac
grep -q 'pearlsync-sandbox' "$tmp/contents" &&
	fail "the test tool pearlsync-sandbox is in the package"
grep -q ' root/root .* \./etc/pearlsync/pearlsync.conf$' "$tmp/contents" ||
	fail "config not owned by root in the package"
grep -q '^-rw-r----- .* \./etc/pearlsync/pearlsync.conf$' "$tmp/contents" ||
	fail "config is not mode 0640 in the package"

dpkg-deb -I "$deb" conffiles >"$tmp/conffiles"
[ "$(cat "$tmp/conffiles")" = /etc/pearlsync/pearlsync.conf ] ||
	fail "conffiles: $(cat "$tmp/conffiles")"
dpkg-deb -f "$deb" Package | grep -qx pearlsync || fail "package name"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libcurl libjansson libsqlite3 libconfig libmicrohttpd libncursesw; do
	case "$depends" in
	*"$lib"*) ;;
	*) fail "Depends lacks $lib: $depends" ;;
	esac
done
for script in postinst prerm postrm; do
	dpkg-deb -I "$deb" "$script" >/dev/null 2>&1 ||
		fail "no $script in the package"
done

# --- install into a scratch root -------------------------------------------
root=$tmp/root
mkdir -p "$root/etc" "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
printf 'root:*::\n' >"$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
host_passwd=$(cksum </etc/passwd)
dpkg_root() {
	dpkg --root="$root" --instdir="$root" --admindir="$root/var/lib/dpkg" \
		--log=/dev/null --force-not-root --force-script-chrootless \
		--force-depends --force-confold "$@" >>"$tmp/dpkg.log" 2>&1 ||
		{ cat "$tmp/dpkg.log" >&2; fail "dpkg $*"; }
}
dpkg_root -i "$deb"
[ "$(cksum </etc/passwd)" = "$host_passwd" ] ||
	fail "the install changed this machine's /etc/passwd"

uid=$(awk -F: '$1 == "pearlsync" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "pearlsync" { print $3 }' "$root/etc/group")
[ -n "$uid" ] || fail "no pearlsync user in the root's /etc/passwd"
[ -n "$gid" ] || fail "no pearlsync group in the root's /etc/group"
grep -q '^pearlsync:.*:/var/lib/pearlsync:/usr/sbin/nologin$' \
	"$root/etc/passwd" || fail "pearlsync user: $(grep pearlsync "$root/etc/passwd")"
[ "$uid" -lt 1000 ] || fail "pearlsync is not a system user (uid $uid)"
[ "$(stat -c '%a %u' "$root/var/lib/pearlsync")" = "700 $uid" ] ||
	fail "/var/lib/pearlsync: $(stat -c '%a %u' "$root/var/lib/pearlsync")"
[ "$(stat -c '%a %u %g' "$root/etc/pearlsync/pearlsync.conf")" = "640 0 $gid" ] ||
	fail "config: $(stat -c '%a %u %g' "$root/etc/pearlsync/pearlsync.conf")"
grep -q '^database = "/var/lib/pearlsync/pearlsync.db";' \
	"$root/etc/pearlsync/pearlsync.conf" ||
	fail "the installed config does not name /var/lib/pearlsync's database"
[ -L "$root/etc/systemd/system/multi-user.target.wants/pearlsync-worker.service" ] ||
	! command -v deb-systemd-helper >/dev/null 2>&1 ||
	fail "the unit was not enabled"

# the binary from the root
"$root/usr/bin/pearlsync" --version >"$tmp/version" ||
	fail "pearlsync --version failed"
grep -qx 'pearlsync [0-9][0-9.]*' "$tmp/version" ||
	fail "--version printed: $(cat "$tmp/version")"
"$root/usr/bin/pearlsync" --help >"$tmp/help" || fail "pearlsync --help failed"
grep -q '^Commands:' "$tmp/help" || fail "--help printed no command list"
"$root/usr/bin/pearlsync" --config "$root/etc/pearlsync/pearlsync.conf" \
	help init >/dev/null || fail "the installed config does not load"

# ExecStart names a binary the package installed, and the config it reads
execstart=$(sed -n 's/^ExecStart=//p' "$root$unit")
bin=${execstart%% *}
[ "$bin" = /usr/bin/pearlsync ] || fail "ExecStart runs $bin"
[ -x "$root$bin" ] || fail "ExecStart's $bin is not in the package"
case "$execstart" in
*"--config /etc/pearlsync/pearlsync.conf worker"*) ;;
*) fail "ExecStart: $execstart" ;;
esac

# the man pages are gzipped roff that renders
if command -v groff >/dev/null 2>&1; then
	for page in man1/pearlsync.1 man5/pearlsync.conf.5; do
		warn=$(gzip -dc "$root/usr/share/man/$page.gz" |
			LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z 2>&1)
		[ -z "$warn" ] || fail "$page: $warn"
	done
fi

# --- upgrade keeps a changed config; remove keeps state; purge deletes -----
echo '# changed by the admin' >>"$root/etc/pearlsync/pearlsync.conf"
: >"$root/var/lib/pearlsync/pearlsync.db"
dpkg_root -i "$deb"
grep -q 'changed by the admin' "$root/etc/pearlsync/pearlsync.conf" ||
	fail "reinstalling replaced the admin's config"
dpkg_root -r pearlsync
[ ! -e "$root/usr/bin/pearlsync" ] || fail "remove left the binary"
[ -f "$root/etc/pearlsync/pearlsync.conf" ] || fail "remove deleted the config"
[ -f "$root/var/lib/pearlsync/pearlsync.db" ] ||
	fail "remove deleted the database"
dpkg_root -P pearlsync
[ ! -e "$root/etc/pearlsync" ] || fail "purge left /etc/pearlsync"
[ ! -e "$root/var/lib/pearlsync" ] || fail "purge left /var/lib/pearlsync"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/pearlsync-worker.service" ] ||
	fail "purge left the unit enabled"
echo "package: ok ($(basename "$deb"))"
