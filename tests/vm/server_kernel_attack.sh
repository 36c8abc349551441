#!/usr/bin/env bash
# Runs inside the VM (issue 11): tests/lab/client_server_attack.sh with
# geneve-server on kernel GENEVE (one interface, gns) and the client on the
# kernel too: forged and replayed probes and replies move nothing, in the
# status nor in the kernel (tc filters and nftables table identical before
# and after), each counted by its exact number; without a key, the
# documented hijack, which the kernel then follows.
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
ONE_INTERFACE=1 SERVER_ARGS="--dataplane kernel" CLIENT_ARGS="--dataplane kernel" UP_WAIT=40 \
  "$dir/../lab/client_server_attack.sh"
