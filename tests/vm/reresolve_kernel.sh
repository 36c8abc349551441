#!/usr/bin/env bash
# Runs inside the VM: PATH as a host name that moves (tests/lab/
# reresolve_path.sh) with the client on the kernel data plane: the
# GENEVE device's path is moved in place when the name resolves elsewhere.
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
ENDPOINT_ARGS="--dataplane kernel" "$dir/../lab/reresolve_path.sh"
