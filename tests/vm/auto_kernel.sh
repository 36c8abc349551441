#!/usr/bin/env bash
# Runs inside the VM: the auto-mode lab test (tests/lab/auto_detect.sh:
# symmetric through both gateways, direct, the direct link cut and restored
# under a ping, and the client-server lab) with the endpoints on the kernel
# data plane: every move between candidates is a tc replacement.
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
ENDPOINT_ARGS="--dataplane kernel" "$dir/../lab/auto_detect.sh"
