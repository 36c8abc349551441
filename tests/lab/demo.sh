#!/usr/bin/env bash
# scripts/demo as the README runs it (minus setup and build: DEMO_NO_BUILD,
# the binaries of BUILD_DIR): it exits 0 within 180 s of wall time, both
# transfers arrive with the sha256 they were sent with, the status names
# the paths truthfully (nat64-extension between the sites, ipv4 from the
# client behind the CGN, learned at the server), and nothing is left:
# no lab namespace, no process of ours, no lab state.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT=$(mktemp /tmp/gndemo-test.XXXX)
trap 'rm -f "$OUT"' EXIT
LIMIT_S=180

t0=$(now_ms)
rc=0
DEMO_NO_BUILD=1 BUILD_DIR="$BUILD_DIR" timeout "$LIMIT_S" "$ROOT/scripts/demo" >"$OUT" 2>&1 || rc=$?
t1=$(now_ms)
sed 's/^/    | /' "$OUT"

check "the demo exits 0 (rc $rc)" test "$rc" -eq 0
check "within $LIMIT_S s ($(((t1 - t0) / 1000)) s)" test $((t1 - t0)) -lt $((LIMIT_S * 1000))
# Each transfer prints both hashes; they must be equal, twice.
check "both transfers: sha256 received = sha256 sent" /usr/bin/python3 -c '
import re, sys
text = open(sys.argv[1]).read()
sent = re.findall(r"sha256 sent +([0-9a-f]{64})", text)
got = re.findall(r"sha256 received +([0-9a-f]{64})", text)
assert len(sent) == 2 and sent == got, (sent, got)' "$OUT"
check "both transfers print their rate" test "$(grep -c 'Mbit/s' "$OUT")" -ge 2
check "sites a and b: path nat64-extension" test "$(grep -c 'path: nat64-extension' "$OUT")" -ge 2
check "client4: path ipv4" grep -q 'path: ipv4 192.0.2.7' "$OUT"
check "server: path learned" grep -q 'path: learned' "$OUT"
check "no path called plain nat64" bash -c "! grep -qE 'path: nat64 ' '$OUT'"
check "the demo says nothing is left" grep -q "nothing left" "$OUT"
check "no lab namespace left" bash -c "! ip netns list | grep -qE '^gnlab-(symmetric|client-server)-'"
check "no process of ours left" bash -c "! pgrep -f '^$BUILD_DIR/geneve-'"
check "no lab state left" bash -c "[ ! -e /run/geneve-nat64-lab/symmetric ] && [ ! -e /run/geneve-nat64-lab/client-server ]"
summary
