#!/usr/bin/env bash
# Runs inside the VM: the symmetric NAT64 lab test (tests/lab/symmetric_nat64.sh:
# two IPv6-only sites behind our extension gateways, ping, 50 MB each way,
# only pool:6081 on the IPv4 leg, the option, DF, no fragments) with both
# endpoints on the kernel data plane.
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
ENDPOINT_ARGS="--dataplane kernel" "$dir/../lab/symmetric_nat64.sh"
