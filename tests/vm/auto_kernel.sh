#!/usr/bin/env bash
# Runs inside the VM: the auto-mode lab test (tests/lab/auto_detect.sh:
# symmetric through both gateways, direct, the direct link cut and restored
# under a ping, and the client-server lab) with the endpoints on the kernel
# data plane: every move between candidates is a tc replacement.
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
# The status queries that read when each side moved take about 0.5 s each
# under TCG: 2 s more for the reported move (CI saw 10318 ms with a ping
# gap of 7.6 s). The ping gap keeps its 10 s bound.
AUTO_MOVE_BOUND_MS=12000 ENDPOINT_ARGS="--dataplane kernel" "$dir/../lab/auto_detect.sh"
