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
  [[ "$err" == "$(basename "$BIN")":*"$want"* ]] || { echo "  message: $err"; return 1; }
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
# The refusal is only right where the kernel really lacks GENEVE (this host;
# not the VM): elsewhere the kernel data plane would start, so say so.
if host_has_geneve x; then
  echo "SKIP kernel data plane unavailable: this kernel has GENEVE, nothing to refuse"
else
  check "kernel data plane unavailable (no GENEVE here)" expect_usage_error "--dataplane kernel: this kernel has no GENEVE" \
    "${GOOD[@]}" --dataplane kernel
fi
check "LOCAL not on this host" expect_usage_error "2001:db8:a::99" 42 2001:db8:a::99 2001:db8:a::2 2001:db8:a::2
on x ip link add taken type veth peer name taken-peer
check "interface name taken" expect_usage_error "interface taken already exists" "${GOOD[@]}" --ifname taken
check "--help exits 0 and prints usage" bash -c "'$BIN' --help | grep -q '^Usage: geneve-symmetric'"
check "--version exits 0" bash -c "'$BIN' --version | grep -q '^geneve-symmetric [0-9]'"

# Keys: a missing or malformed key file stops the start, nothing created.
check "key file missing" expect_usage_error "cannot read key file $LAB_TMP/nokey" "${GOOD[@]}" --key-file "$LAB_TMP/nokey"
echo "c2hvcnQ=" >"$LAB_TMP/shortkey" && chmod 600 "$LAB_TMP/shortkey"
check "key file not a 32-byte key" expect_usage_error "not a base64-encoded 32-byte key" "${GOOD[@]}" \
  --key-file "$LAB_TMP/shortkey"
check "keepalive above the NAT timeout" expect_usage_error "keepalive interval '30'" "${GOOD[@]}" --keepalive 30

BIN="$BUILD_DIR/geneve-server"
check "server: PATH is not an argument" expect_usage_error "expected 3 arguments" "${GOOD[@]}"
check "server: config file missing" expect_usage_error "cannot read config file $LAB_TMP/none.json" \
  --config "$LAB_TMP/none.json"
echo '{"local": "2001:db8:a::1", "clients": [{"vni": 1}]}' >"$LAB_TMP/bad.json"
check "server: config entry without remote" expect_usage_error ".clients[0].remote: missing" --config "$LAB_TMP/bad.json"
check "server: kernel data plane refused, with the reason" expect_usage_error \
  "--dataplane kernel: a server on the kernel needs one interface for all its clients" 42 2001:db8:a::1 \
  2001:db8:a::2 --dataplane kernel
# With one interface for all clients the kernel could carry it, but this
# host's kernel has no GENEVE: refused with the kernel's reason, nothing made
# (no device, no TAP, no nftables table).
cat >"$LAB_TMP/shared.json" <<JSON
{"local": "2001:db8:a::1", "interface": {"ifname": "gnsk0", "address": ["fd01::1/48"]},
 "clients": [{"name": "c1", "vni": 101, "remote": "fd00:c1::1", "allowed_ips": ["fd01:0:0:1::/64"]}]}
JSON
check "server: kernel data plane on a kernel without GENEVE" expect_usage_error "--dataplane kernel: this kernel has no GENEVE" \
  --config "$LAB_TMP/shared.json" --dataplane kernel
check "server: no nftables table of ours left" bash -c "! ip netns exec $LAB-x nft list tables | grep -q geneve_nat64"
check "server: nothing of ours at all (GENEVE link, clsact, nftables table)" nothing_of_ours x
# --dataplane auto with the same config: it runs, on the userspace plane,
# and says why (the kernel's reason) in its log and in each peer's status.
if ! host_has_geneve x; then
  daemon x "$LAB_TMP/auto.log" "$BIN" --config "$LAB_TMP/shared.json" --dataplane auto --run-dir "$LAB_TMP/run-auto"
  PID_AUTO=$LAST_PID
  # (Before the server's socket exists, show lists no endpoint: "[]".)
  auto_status() {
    on x "$BUILD_DIR/geneve-ctl" show --json --run-dir "$LAB_TMP/run-auto" >"$LAB_TMP/auto.json" 2>/dev/null &&
      grep -q '"peers"' "$LAB_TMP/auto.json"
  }
  wait_until 10 auto_status || true
  reason=$(/usr/bin/python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))[0]["peers"][0]["dataplane"]
print(p["reason"] if p["kind"] == "userspace" else "")' "$LAB_TMP/auto.json" 2>/dev/null)
  echo "    auto: userspace because: ${reason:-(no status, or not userspace)}"
  [ -n "$reason" ] || head -c 300 "$LAB_TMP/auto.json" "$LAB_TMP/auto.log"
  check "server --dataplane auto, kernel without GENEVE: the peer is on userspace, the reason names the kernel" \
    bash -c "[[ '$reason' == *kernel* ]]"
  check "and the log says the userspace data plane carries it, with the same reason" \
    grep -qF "userspace data plane ($reason)" "$LAB_TMP/auto.log"
  check "and its interface is a TAP (not GENEVE)" bash -c "ip -n $LAB-x -d link show gnsk0 | grep -qw tun"
  kill -TERM "$PID_AUTO"
  wait "$PID_AUTO"
  check "SIGTERM: exit 0, gnsk0 gone" bash -c "[ $? -eq 0 ] && ! ip -n $LAB-x link show gnsk0 2>/dev/null"
fi
check "server: --help" bash -c "'$BIN' --help | grep -q '^Usage: geneve-server'"

BIN="$BUILD_DIR/geneve-client"
check "client: PATH host name that does not resolve" expect_usage_error "cannot resolve PATH no-such-host.invalid" \
  42 2001:db8:a::1 no-such-host.invalid 2001:db8:a::2
check "client: --help" bash -c "'$BIN' --help | grep -q '^Usage: geneve-client'"
BIN="$BUILD_DIR/geneve-auto"
check "auto: --help" bash -c "'$BIN' --help | grep -q '^Usage: geneve-auto'"
check "genkey prints a 32-byte base64 key" bash -c "'$BUILD_DIR/geneve-ctl' genkey | base64 -d | wc -c | grep -qx 32"
summary
