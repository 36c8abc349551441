#!/usr/bin/env bash
# The .deb end to end on this machine: scripts/package builds it into a
# scratch directory, dpkg -i installs it, the installed command runs and
# man finds its page, dpkg -L lists the units and every page, then
# dpkg --purge removes it and every file with it. An EXIT trap purges the
# package whatever fails, so no half-installed package is left. Takes the
# dpkg lock: run serialised. Exit 77 (skipped) if geneve-nat64 was
# installed before: the test must not replace an operator's package.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/scripts/lib/lab.sh"
lab_init deb
PKG=geneve-nat64
installed() { dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null | grep -qv '^not-installed$'; }
if installed; then
  echo "SKIP $PKG is already installed here ($(dpkg-query -W -f='${Version} ${db:Status-Abbrev}' "$PKG")); not touching it"
  exit 77
fi
ours=0
purge() {
  [ "$ours" -eq 1 ] || return 0
  local rc=0
  # Another dpkg run (an engineer's apt-get) may hold the lock for a while.
  wait_until 120 dpkg --purge "$PKG" || { dpkg --purge "$PKG"; rc=$?; }
  ! installed || { echo "could not purge $PKG (status: $(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG"))"; rc=1; }
  return "$rc"
}
trap 'purge; lab_cleanup' EXIT

deb=$("$SRC/scripts/package" --out "$LAB_TMP/out" | tail -1)
version=$(sed -n 's/^project(geneve-nat64 VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
arch=$(dpkg --print-architecture)
check "scripts/package printed ${PKG}_${version}_$arch.deb in --out" test "$deb" = "$LAB_TMP/out/${PKG}_${version}_$arch.deb" -a -f "$deb"
[ -f "$deb" ] || { summary; exit 1; }
field() { dpkg-deb -f "$deb" "$1"; }
check "Version is the project's ($version)" test "$(field Version)" = "$version"
check "Section is net" test "$(field Section)" = net
check "Depends computed from the binaries (libc6, libsodium23, libmnl0)" \
  bash -c "dpkg-deb -f '$deb' Depends | grep -q libc6 && dpkg-deb -f '$deb' Depends | grep -q libsodium23 && dpkg-deb -f '$deb' Depends | grep -q libmnl0"
check "Maintainer set" test -n "$(field Maintainer)"

ours=1
install_log="$LAB_TMP/dpkg-i.log"
dpkg_install() { dpkg -i "$deb" >"$install_log" 2>&1; }
check "dpkg -i installs it" wait_until 120 dpkg_install
cat "$install_log"
check "$PKG is installed and configured" test "$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG")" = "ii "
check "/usr/sbin/geneve-symmetric --version prints $version" \
  bash -c "/usr/sbin/geneve-symmetric --version | grep -qx 'geneve-symmetric $version'"
check "man -w geneve-symmetric finds the installed page" \
  test "$(man -w geneve-symmetric 2>&1)" = /usr/share/man/man8/geneve-symmetric.8.gz
listing=$(dpkg -L "$PKG")
lists() { grep -qx "$1" <<<"$listing" || { echo "  dpkg -L lacks $1"; return 1; }; }
for f in /usr/lib/systemd/system/geneve-nat64@.service /usr/lib/systemd/system/geneve-nat64-gateway.service /usr/lib/systemd/system/geneve-bypass.service /usr/lib/systemd/system/geneve-nat64-health.service \
  /usr/share/doc/$PKG/operations.md /usr/share/doc/$PKG/README.md /usr/share/doc/$PKG/examples/README.md; do
  check "dpkg -L lists $f" lists "$f"
done
# Every example is installed, and the installed geneve-ctl reads each
# through the command its "mode" names (from /usr/sbin, next to it).
for ex in "$SRC"/examples/*.json; do
  name=$(basename "$ex" .json)
  check "installed example $name.json checks with /usr/sbin/geneve-ctl up --check" \
    bash -c "/usr/sbin/geneve-ctl up --check --config-dir /usr/share/doc/$PKG/examples $name >/dev/null"
done
for cmd in geneve-symmetric geneve-client geneve-server geneve-auto geneve-ctl geneve-nat64-gateway geneve-bypass geneve-nat64-health geneve-codec-tool; do
  check "dpkg -L lists /usr/sbin/$cmd and its page" \
    bash -c "grep -qx /usr/sbin/$cmd <<<\"\$1\" && grep -qx /usr/share/man/man8/$cmd.8.gz <<<\"\$1\"" _ "$listing"
done
files=$(grep -E '^/usr/(sbin|lib/systemd|share/man|share/doc/geneve-nat64/)' <<<"$listing")

check "dpkg --purge removes it" purge
ours=0
gone() {
  local f left=""
  for f in $files; do [ ! -e "$f" ] || [ -d "$f" ] || left+=" $f"; done
  [ -z "$left" ] || { echo "  left behind:$left"; return 1; }
  [ ! -d "/usr/share/doc/$PKG" ] || { echo "  /usr/share/doc/$PKG left behind"; return 1; }
}
check "every file it installed is gone" gone
check "dpkg knows it no more" bash -c "! dpkg-query -W -f='\${db:Status-Status}' $PKG 2>/dev/null | grep -qv '^not-installed\$'"
summary
