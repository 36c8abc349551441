# Shared helpers for namespace labs, tests and the demo. Source it; it sets
# an EXIT trap that removes every namespace and process it started, even
# when the caller fails half-way.
#
#   lab_init TAG            unique namespace prefix; cleanup on exit
#   ns NAME                 create namespace "$LAB-NAME" with lo up; echo its name
#   link NS1 IF1 NS2 IF2    veth pair between two namespaces
#   on NAME CMD...          run CMD inside namespace NAME
#   daemon NAME LOG CMD...  start CMD in namespace NAME in the background
#   wait_until SECS CMD...  retry CMD every 0.1 s until it succeeds, for at
#                           most SECS of wall time (the one wait of every
#                           lab and VM test: wait on a condition, never sleep)
#   check DESC CMD...       run CMD, count and print PASS/FAIL
#   summary                 "N passed, N failed"; returns 1 on any failure

: "${BUILD_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
LAB_PIDS=()
LAB_NAMESPACES=()
LAB_PASSED=0
LAB_FAILED=0

lab_init() {
  LAB="gn$1$$"
  LAB_TMP=$(mktemp -d "/tmp/$LAB.XXXX")
  trap lab_cleanup EXIT
  trap 'exit 130' INT TERM
}

lab_cleanup() {
  local pid ns
  for pid in "${LAB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${LAB_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for ns in "${LAB_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [ -n "${KEEP_LAB_TMP:-}" ] || rm -rf "$LAB_TMP"
}

ns() {
  local name="$LAB-$1"
  ip netns add "$name"
  LAB_NAMESPACES+=("$name")
  ip -n "$name" link set lo up
  # Routers and hosts alike: the labs forward between their links.
  ip netns exec "$name" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1 \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

link() {
  ip link add "$2" netns "$LAB-$1" type veth peer name "$4" netns "$LAB-$3"
  ip -n "$LAB-$1" link set "$2" up
  ip -n "$LAB-$3" link set "$4" up
}

on() {
  local name="$1"
  shift
  ip netns exec "$LAB-$name" "$@"
}

daemon() {
  local name="$1" log="$2"
  shift 2
  ip netns exec "$LAB-$name" "$@" >"$log" 2>&1 &
  LAB_PIDS+=("$!")
  LAST_PID=$!
}

# Wall time, not a count of tries: a slow CMD (a status call with many
# peers, a ping with -W) would otherwise stretch the bound many times over.
# CMD runs in this shell, so a function can record what it saw.
wait_until() {
  local end=$(($(now_ms) + $1 * 1000))
  shift
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(now_ms)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

check() {
  local desc="$1"
  shift
  if "$@"; then
    LAB_PASSED=$((LAB_PASSED + 1))
    echo "PASS $desc"
  else
    LAB_FAILED=$((LAB_FAILED + 1))
    echo "FAIL $desc"
  fi
}

summary() {
  echo "$LAB_PASSED passed, $LAB_FAILED failed"
  [ "$LAB_FAILED" -eq 0 ]
}

# Named topologies (scripts/lab, docs/lab.md). After lab_topology, `on`,
# `daemon`, `check` work on the topology's nodes ("on a ping ...").
#
#   lab_topology TOPO       scripts/lab TOPO up (after a down of leftovers);
#                           on exit: our processes stopped, then TOPO down
#   lab TOPO-ARGS...        scripts/lab with BUILD_DIR set
#   gw_status DAEMON        the gateway's `status --json`, run in its node
#   status_up NODE DIR NAME the status socket of endpoint NAME (--run-dir DIR)
#                           listens in NODE's network namespace
#   status_gone NODE DIR NAME  it does not (the endpoint stopped or died)
#   now_ms                  wall clock in milliseconds
#   replies_at_least LOG N  the log of a `ping -D` has N answered requests
#   reply_after LOG MS      that log has a reply later than MS (now_ms clock)
#   last_reply_ms LOG       the time of its last reply (ms)
#   max_gap_ms LOG [END]    the longest time between two replies, or from the
#                           last reply to END (ms) if given
#   host_has_geneve NODE    the kernel can create a GENEVE device (in NODE)
#   binding_is GW EP BY     a gateway holds [EP]:6081 <-> pool:6081, created by BY
#   transfer_file FROM ADDR TO FILE   TCP transfer between namespaces, sha256 checked
#   capture NODE IF FILE [FILTER...]  tcpdump on IF in NODE into FILE (pcap);
#                           returns once it listens, its pid in LAST_PID
#   capture_stop PID        stop a capture, its packets written
#   ours NODE               what of ours is in NODE: GENEVE links, clsact qdiscs,
#                           geneve_nat64 nftables tables (one line each)
#   nothing_of_ours NODE    none of those in NODE
#   server_for_client4 LOG RUN-DIR ARGS...  geneve-server in node server for
#                           client4 (VNI 42, fd00:c4::1) on gns with
#                           fd00:42::1/64, in the background ($LAST_PID);
#                           with ONE_INTERFACE set, from a --config whose
#                           one interface is gns and the client's
#                           allowed_ips fd00:42::2/128 (what a server on
#                           kernel GENEVE needs), status socket still gns
#   tc_packets NODE DEV DIR CHAIN PREF [HANDLE]  packets counted by the first
#                           action of the tc filters at PREF (and HANDLE) in
#                           CHAIN of DEV's DIR (ingress, egress); 0 if none

LAB_CMD="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lab"

lab() { BUILD_DIR="$BUILD_DIR" "$LAB_CMD" "$@"; }

lab_topology() {
  LAB_TOPO="$1"
  LAB="gnlab-$1"
  LAB_STATE="/run/geneve-nat64-lab/$1"
  LAB_TMP=$(mktemp -d "/tmp/gnlab-$1.XXXX")
  trap lab_topology_cleanup EXIT
  trap 'exit 130' INT TERM
  lab "$1" down
  lab "$1" up >/dev/null
}

lab_topology_cleanup() {
  lab_cleanup
  lab "$LAB_TOPO" down || true
}

gw_status() {
  on "$1" "$BUILD_DIR/geneve-nat64-gateway" status --json --tun nat64 --run-dir "$LAB_STATE/run-$1"
}

# Status sockets are abstract Unix names "@DIR/NAME.sock", one set per
# network namespace (src/control/control_socket.hpp): /proc/net/unix read
# inside the node lists that namespace's. Cheap whatever the document's size.
status_up() {
  on "$1" grep -qF " @$2/$3.sock" /proc/net/unix
}

status_gone() { ! status_up "$@"; }

now_ms() { date +%s%3N; }

replies_at_least() { [ "$(grep -c 'bytes from' "$1")" -ge "$2" ]; }

reply_after() {
  awk -F'[][]' -v t="$2" '/bytes from/ && $2 * 1000 > t { found = 1 } END { exit !found }' "$1"
}

last_reply_ms() { awk -F'[][]' '/bytes from/ { t = $2 * 1000 } END { printf "%.0f", t }' "$1"; }

# With END, a ping that never recovers shows its outage as the gap (without
# it, the gaps between the replies before an outage all look fine).
max_gap_ms() {
  awk -F'[][]' -v end="${2:-}" '
    /bytes from/ { t = $2 * 1000; if (last && t - last > gap) gap = t - last; last = t }
    END { if (end != "" && end - last > gap) gap = end - last; printf "%.0f\n", gap }' "$1"
}

host_has_geneve() {
  on "$1" ip link add gnvprobe type geneve id 1 remote 2001:db8::1 2>/dev/null || return 1
  on "$1" ip link del gnvprobe
}

# binding_is GW ENDPOINT CREATED_BY: the gateway holds [ENDPOINT]:6081 <->
# pool:6081, created by CREATED_BY ("any": either way), and nothing
# conflicted, was fragmented or had a bad checksum.
binding_is() {
  /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); ep, by = sys.argv[2], sys.argv[3]
b = [x for x in s["bindings"] if x["ipv6"] == "[%s]:6081" % ep]
assert len(b) == 1 and b[0]["pool_port"] == 6081 and by in ("any", b[0]["created_by"]), s["bindings"]
c = s["fates"]
assert c["binding_conflict"] == 0 and c["fragment"] == 0 and c["bad_checksum"] == 0, c
print("   ", sys.argv[4], b[0]["ipv6"], "<-> pool", b[0]["pool_port"], "created by", b[0]["created_by"],
      [x["remote"] + " " + x["state"] for x in b[0]["sessions"]])
' "$(gw_status "$1")" "$2" "$3" "$1"
}

# transfer_file FROM TO_ADDR TO_NS FILE: sends FILE over TCP from namespace
# FROM to TO_ADDR (an address in TO_NS), prints the time taken, and succeeds
# if what arrived has the same sha256.
transfer_file() {
  local from="$1" addr="$2" to="$3" file="$4"
  local port=$((5000 + RANDOM % 1000)) received="$4.received.$3" t0 t1 rx
  on "$to" socat -u "TCP6-LISTEN:$port,reuseaddr" "OPEN:$received,creat,trunc" &
  rx=$!
  wait_until 5 on "$to" sh -c "ss -ltnH 'sport = :$port' | grep -q ."
  t0=$(now_ms)
  on "$from" timeout 120 socat -u "OPEN:$file" "TCP6:[$addr]:$port" || true
  wait "$rx" || true
  t1=$(now_ms)
  local bytes
  bytes=$(stat -c %s "$file")
  echo "    $((bytes / 1000000)) MB $from -> $to in $((t1 - t0)) ms ($((bytes * 8 / 1000 / (t1 - t0 + 1))) Mbit/s)"
  [ "$(sha256sum <"$file")" = "$(sha256sum <"$received")" ]
}

# The capture is one of our processes (stopped on exit) and started in this
# shell, so capture_stop can wait for it to write its last packets.
# --immediate-mode: without it the kernel hands tcpdump its packets a ring
# block at a time (up to a second late), and those still in the ring when it
# is stopped are counted "received by filter" but never written.
capture() {
  local node="$1" dev="$2" file="$3"
  shift 3
  ip netns exec "$LAB-$node" tcpdump -i "$dev" -n -U --immediate-mode -w "$file" "$@" >"$file.log" 2>&1 &
  LAB_PIDS+=("$!")
  LAST_PID=$!
  wait_until 5 grep -q "listening on" "$file.log"
}

capture_stop() {
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

ours() {
  {
    on "$1" ip -d link show type geneve 2>/dev/null | grep -E '^[0-9]+:|alias'
    on "$1" tc qdisc show 2>/dev/null | grep clsact
    on "$1" nft list tables 2>/dev/null | grep geneve_nat64
  } || true
}

nothing_of_ours() { [ -z "$(ours "$1")" ]; }

# The JSON of iproute2 6.1 (`tc -s -j filter show`): one entry per filter
# with "options": {"handle", "actions": [{"stats": {"packets"}}]} (and a
# bare entry per pref before them).
tc_packets() {
  on "$1" tc -s -j filter show dev "$2" "$3" chain "$4" | /usr/bin/python3 -c '
import json, sys
pref, handle = int(sys.argv[1]), (int(sys.argv[2], 0) if len(sys.argv) > 2 else None)
n = 0
for f in json.load(sys.stdin):
    o = f.get("options")
    if f["pref"] == pref and o and (handle is None or o.get("handle") == handle):
        n += o["actions"][0]["stats"]["packets"]
print(n)' "${@:5}"
}

server_for_client4() {
  local log="$1" run="$2"
  shift 2
  if [ -z "${ONE_INTERFACE:-}" ]; then
    daemon server "$log" "$BUILD_DIR/geneve-server" 42 2001:db8:5::1 fd00:c4::1 --ifname gns \
      --address fd00:42::1/64 --run-dir "$run" "$@"
    return
  fi
  cat >"$run.json" <<EOF
{"local": "2001:db8:5::1", "interface": {"ifname": "gns", "address": ["fd00:42::1/64"]},
 "clients": [{"name": "c4", "vni": 42, "remote": "fd00:c4::1", "allowed_ips": ["fd00:42::2/128"]}]}
EOF
  daemon server "$log" "$BUILD_DIR/geneve-server" --config "$run.json" --name gns --run-dir "$run" "$@"
}
