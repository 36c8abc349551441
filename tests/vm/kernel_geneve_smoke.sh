#!/usr/bin/env bash
# Runs inside the VM (scripts/vm-run): the kernel there has GENEVE, so this
# checks what the kernel data plane will rely on: a GENEVE device with UDP
# checksums on, an external (collect-metadata) device, one per namespace.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init vm
ns x >/dev/null
check "geneve device over IPv4 with UDP checksums" \
  on x ip link add g4 type geneve id 42 remote 192.0.2.1 dstport 6081 udpcsum
check "geneve device over IPv6 with UDP checksums" \
  on x ip link add g6 type geneve id 43 remote 2001:db8::1 dstport 6082 udp6zerocsumtx
check "the IPv4 device reports udpcsum" sh -c "ip -n $LAB-x -d link show g4 | grep -qw udpcsum"
ns y >/dev/null
check "external (collect-metadata) geneve device" on y ip link add ge type geneve external
summary
