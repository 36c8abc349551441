#!/usr/bin/env bash
# Runs inside the VM (issue 11): tests/lab/client_server_rebind.sh with
# geneve-server on kernel GENEVE (one interface, gns): the CGN moves the
# client's mapping and the server, its tc filter and its nftables port map
# follow within 3 s; gw's reboot changes nothing. The client is on the
# userspace plane: it notices the silence after the move and probes at once
# (a client on the kernel does not watch its counters, docs/kernel.md).
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
ONE_INTERFACE=1 SERVER_ARGS="--dataplane kernel" CLIENT_ARGS="--dataplane userspace" MAX_GAP_MS=3000 UP_WAIT=40 \
  "$dir/../lab/client_server_rebind.sh"
