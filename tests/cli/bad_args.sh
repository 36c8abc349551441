#!/usr/bin/env bash
# Bad arguments: one clear line on stderr, exit status 2, nothing created
# (no interface, no status socket). Needs root for the "nothing created"
# checks; runs in its own namespace so existing interfaces are not counted.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init ba
ns x >/dev/null
on x ip link add dummy0 type veth peer name dummy1
on x ip addr add 2001:db8:a::1/64 dev dummy0 nodad
on x ip link set dummy0 up
BIN="$BUILD_DIR/geneve-symmetric"
RUN="$LAB_TMP/run"
GOOD=(42 2001:db8:a::1 2001:db8:a::2 2001:db8:a::2)

expect_usage_error() {  # expect_usage_error WORDS-IN-MESSAGE ARGS...
  local want="$1"
  shift
  local before after err rc
  before=$(on x ip -o link show | wc -l)
  err=$(on x "$BIN" --run-dir "$RUN" "$@" 2>&1 >/dev/null)
  rc=$?
  after=$(on x ip -o link show | wc -l)
  [ "$rc" -eq 2 ] || { echo "  exit status $rc, want 2: $err"; return 1; }
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "  not one line: $err"; return 1; }
  [[ "$err" == geneve-symmetric:*"$want"* ]] || { echo "  message: $err"; return 1; }
  [ "$before" -eq "$after" ] || { echo "  an interface was created"; return 1; }
  [ -z "$(ls -A "$RUN" 2>/dev/null)" ] || { echo "  something left in $RUN"; return 1; }
}

check "VNI too large" expect_usage_error "VNI '16777216'" 16777216 "${GOOD[@]:1}"
check "VNI negative" expect_usage_error "VNI '-5'" -5 "${GOOD[@]:1}"
check "VNI not a number" expect_usage_error "VNI 'abc'" abc "${GOOD[@]:1}"
check "malformed LOCAL" expect_usage_error "LOCAL '2001:db8::g'" 42 2001:db8::g 2001:db8:a::2 2001:db8:a::2
check "IPv4 LOCAL" expect_usage_error "must be an IPv6" 42 192.0.2.1 2001:db8:a::2 2001:db8:a::2
check "malformed PATH" expect_usage_error "PATH 'nowhere'" 42 2001:db8:a::1 nowhere 2001:db8:a::2
check "malformed REMOTE" expect_usage_error "REMOTE '1.2.3'" 42 2001:db8:a::1 2001:db8:a::2 1.2.3
check "too few arguments" expect_usage_error "expected 4 arguments" 42 2001:db8:a::1
check "unknown option" expect_usage_error "unknown option '--frobnicate'" "${GOOD[@]}" --frobnicate
check "bad MTU" expect_usage_error "MTU '100'" "${GOOD[@]}" --mtu 100
check "bad port" expect_usage_error "port '70000'" "${GOOD[@]}" --port 70000
check "option value missing" expect_usage_error "needs a value" "${GOOD[@]}" --ifname
check "kernel data plane unavailable" expect_usage_error "kernel data plane" "${GOOD[@]}" --dataplane kernel
check "LOCAL not on this host" expect_usage_error "2001:db8:a::99" 42 2001:db8:a::99 2001:db8:a::2 2001:db8:a::2
on x ip link add taken type veth peer name taken-peer
check "interface name taken" expect_usage_error "interface taken already exists" "${GOOD[@]}" --ifname taken
check "--help exits 0 and prints usage" bash -c "'$BIN' --help | grep -q '^Usage: geneve-symmetric'"
check "--version exits 0" bash -c "'$BIN' --version | grep -q '^geneve-symmetric [0-9]'"
summary
