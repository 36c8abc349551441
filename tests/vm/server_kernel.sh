#!/usr/bin/env bash
# Runs inside the VM (issue 11): tests/lab/one_interface.sh with geneve-server
# on kernel GENEVE (one external device gns0 for its three clients), twice:
#   1. every client on the kernel too (c1 behind the CGN, c2 behind TAYGA,
#      c3 on the public IPv4 Internet);
#   2. interop: c1 on the userspace data plane, c2 and c3 on the kernel.
# SERVER_KERNEL_ARGS overrides the server's arguments (e.g. "--dataplane
# userspace", to try the clients on the kernel against today's server).
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
S="${SERVER_KERNEL_ARGS:---dataplane kernel}"
export UP_WAIT=40
rc=0
echo "-- server ($S), every client on the kernel"
SERVER_ARGS="$S" CLIENT_ARGS="--dataplane kernel" "$dir/../lab/one_interface.sh" || rc=1
echo "-- server ($S), c1 on userspace, c2 and c3 on the kernel"
SERVER_ARGS="$S" CLIENT1_ARGS="--dataplane userspace" CLIENT2_ARGS="--dataplane kernel" \
  CLIENT3_ARGS="--dataplane kernel" "$dir/../lab/one_interface.sh" || rc=1
exit $rc
