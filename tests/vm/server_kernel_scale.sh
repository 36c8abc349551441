#!/usr/bin/env bash
# Runs inside the VM: issue 11's scale row. tests/lab/many_clients.sh with
# the server's one interface on the kernel data plane: MANY_CLIENTS clients
# (default 100 here: TCG runs about 100 times slower than the host) behind
# the CGN, each learned, pinged and answered, every peer reporting the
# kernel data plane; the kernel's slab memory before and after is printed.
# The time and CPU bounds are the host's, widened for TCG: correctness is
# what the VM shows, speed is measured on the host (scripts/bench).
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
slab() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
before=$(slab)
export MANY_CLIENTS=${MANY_CLIENTS:-100} MANY_CLIENTS_MODE=one-interface SERVER_ARGS="--dataplane kernel"
export MAX_UP_MS=60000 MAX_LEARNED_MS=240000 MAX_CPU_US_PER_CLIENT=1000000
"$dir/../lab/many_clients.sh"
rc=$?
echo "    kernel slab memory: $before kB before, $(slab) kB after the run with $MANY_CLIENTS clients"
exit $rc
