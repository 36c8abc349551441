#!/usr/bin/env bash
# The installed systemd units pass `systemd-analyze verify`: installed into
# a scratch root (DESTDIR) with the host's targets beside them, so verify
# also finds the ExecStart binaries and the Documentation= man pages there.
# verify exits 0 on unknown keys and bad values (it only prints them), so
# any output fails too; shown first on broken copies: an unknown key, a bad
# value, a missing binary, a missing man page.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
. "$(dirname "$0")/install_tree.sh"
lab_init sdv
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (scripts/setup installs systemd)"; exit 1; }
ROOT="$LAB_TMP/root"
install_tree "$ROOT" || exit 1

# make_root DIR: a copy of the scratch install with the host's targets,
# which the units' After=/Wants=/WantedBy= name, and our units where
# systemd looks under --root if the prefix put them elsewhere.
make_root() {
  cp -a "$ROOT/." "$1/"
  mkdir -p "$1/usr/lib/systemd/system" "$1/etc/systemd/system"
  cp /usr/lib/systemd/system/*.target "$1/usr/lib/systemd/system/" 2>/dev/null ||
    cp /lib/systemd/system/*.target "$1/usr/lib/systemd/system/"
  case "${UNITS#"$ROOT"}" in
    /usr/lib/systemd/system | /usr/local/lib/systemd/system | /lib/systemd/system) ;;
    *) cp "$UNITS"/geneve-nat64*.service "$1/etc/systemd/system/" ;;
  esac
}

# verify_clean DIR: both units verify with exit 0 and not a word of output.
verify_clean() {
  local out rc
  out=$(MANPATH="$1$PREFIX/share/man" systemd-analyze verify --root="$1" \
    geneve-nat64@test.service geneve-nat64-gateway.service geneve-bypass.service geneve-nat64-health.service 2>&1)
  rc=$?
  [ "$rc" -eq 0 ] && [ -z "$out" ] && return 0
  echo "  exit $rc: $out"
  return 1
}

# broken NAME EDIT...: a fresh root with EDIT (a command run in it) applied;
# verify must fail there.
broken() {
  local dir="$LAB_TMP/$1"
  shift
  mkdir "$dir" && make_root "$dir"
  (cd "$dir" && "$@") || { echo "  could not break $dir"; return 1; }
  ! verify_clean "$dir" >/dev/null
}
rel_units=${UNITS#"$ROOT"}
rel_units=${rel_units#/}
gateway_unit="$rel_units/geneve-nat64-gateway.service"
check "verify fails on an unknown key" broken unknown_key sed -i 's/^ProtectSystem=/ProtectSytem=/' "$gateway_unit"
check "verify fails on a bad value" broken bad_value sed -i 's/^ProtectSystem=strict/ProtectSystem=bogus/' "$gateway_unit"
check "verify fails without the ExecStart binary" broken no_binary rm "${PREFIX#/}/sbin/geneve-nat64-gateway"
check "verify fails without a Documentation= man page" broken no_man rm "${PREFIX#/}/share/man/man8/geneve-ctl.8.gz"

mkdir "$LAB_TMP/good" && make_root "$LAB_TMP/good"
check "geneve-nat64@.service and geneve-nat64-gateway.service verify clean" verify_clean "$LAB_TMP/good"
# What the units promise operators (docs/operations.md, "Installing").
unit_has() { grep -qx "$2" "$UNITS/$1"; }
for unit in geneve-nat64@.service geneve-nat64-gateway.service geneve-bypass.service geneve-nat64-health.service; do
  for line in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    RuntimeDirectory=geneve-nat64 RuntimeDirectoryPreserve=yes Restart=on-failure Type=simple; do
    check "$unit: $line" unit_has "$unit" "$line"
  done
done
check "the template runs geneve-ctl up %i" unit_has geneve-nat64@.service "ExecStart=$PREFIX/sbin/geneve-ctl up %i"
check "the endpoints keep CAP_NET_ADMIN and CAP_NET_RAW only" \
  unit_has geneve-nat64@.service "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW"
check "the gateway keeps CAP_NET_ADMIN only" unit_has geneve-nat64-gateway.service "CapabilityBoundingSet=CAP_NET_ADMIN"
check "the gateway starts from /etc/geneve-nat64/gateway.json" unit_has geneve-nat64-gateway.service \
  "ExecStart=$PREFIX/sbin/geneve-nat64-gateway --config /etc/geneve-nat64/gateway.json"
check "the health checker keeps CAP_NET_RAW only" unit_has geneve-nat64-health.service "CapabilityBoundingSet=CAP_NET_RAW"
check "the health checker starts from /etc/geneve-nat64/nat64-health.json" unit_has geneve-nat64-health.service \
  "ExecStart=$PREFIX/sbin/geneve-nat64-health --config /etc/geneve-nat64/nat64-health.json"
summary
