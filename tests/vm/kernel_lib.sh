# Shared by the kernel data plane VM tests (source after scripts/lib/lab.sh
# and lab_init). Two namespaces a and b joined by a veth pair va/vb over
# IPv6 (2001:db8:ab::a, ::b); kernel_tunnel drives KernelDataplane.
#
#   underlay                      namespaces a, b and the veth pair
#   kt NS LOG ARGS...             kernel_tunnel up ARGS in NS, in the background ($LAST_PID)
#   stop PID                      SIGTERM, wait; returns its exit status
#   capture_start NS IF FILE      tcpdump of UDP on IF into FILE ($CAPTURE_PID), once listening
#   capture_stop                  stop it once everything sent is in the file
#   outer_fields FILE             one line per GENEVE packet, fields separated by '|':
#                                 ipv6-src sport dport csum csum-status(0 bad, 1 good, 2 unverified)
#                                 vni(hex) opt-class opt-type opt-len opt-data ipv4-src ipv4-df
#   xfer FROM ADDR TO FILE        transfer_file with a time limit (it waits forever
#                                 for a connection that never comes)
# (ours and nothing_of_ours come from lab.sh.)

KT="$BUILD_DIR/tests/kernel_tunnel"
LAB_SH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib" && pwd)/lab.sh"
A6=2001:db8:ab::a
B6=2001:db8:ab::b
VNI=4242

underlay() {
  ns a >/dev/null
  ns b >/dev/null
  link a va b vb
  on a ip addr add $A6/64 dev va nodad
  on b ip addr add $B6/64 dev vb nodad
  # Checksums computed in software on A's side, so the capture on va shows
  # the real ones (with offload the capture sees a partial checksum).
  on a ethtool -K va tx off rx off >/dev/null
}

kt() {
  local n="$1" log="$2"
  shift 2
  daemon "$n" "$log" "$KT" up "$@"
}

stop() {
  kill -TERM "$1" 2>/dev/null
  wait "$1"
}

# Waits until kernel_tunnel in LOG says it is up.
up_in() { wait_until "${2:-20}" grep -q "^up " "$1"; }

# Whole packets (-s 0): tshark verifies a UDP checksum only over the whole
# datagram.
capture_start() {
  CAPTURE_FILE="$3"
  rm -f "$3"
  # Not through `on`: a backgrounded function is a subshell, and $! would
  # not be tcpdump's pid.
  ip netns exec "$LAB-$1" tcpdump -i "$2" -U -s 0 -w "$3" udp >"$3.log" 2>&1 &
  CAPTURE_PID=$!
  LAB_PIDS+=("$CAPTURE_PID")
  wait_until 20 grep -q "listening on" "$3.log"
}

# Stops the capture once it holds everything sent before: a marker datagram
# from A to B's discard port, sent last, must be in the file first (tcpdump
# hands packets over in blocks, and what it has not written when it stops is
# lost). Captures are on A's underlay link.
capture_stop() {
  on a /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"capture marker", (sys.argv[1], 9))' "$B6"
  wait_until 10 sh -c "tcpdump -r '$CAPTURE_FILE' -n 'udp dst port 9' 2>/dev/null | grep -q ."
  # TERM, not INT: background jobs of a non-interactive shell ignore SIGINT.
  kill -TERM "$CAPTURE_PID" 2>/dev/null
  wait "$CAPTURE_PID" 2>/dev/null || true
}

outer_fields() {
  tshark -r "$1" -o udp.check_checksum:TRUE -Y geneve -T fields -E 'separator=|' -E occurrence=f \
    -e ipv6.src -e udp.srcport -e udp.dstport -e udp.checksum -e udp.checksum.status -e geneve.vni \
    -e geneve.option.class -e geneve.option.type -e geneve.option.length -e geneve.option.unknown.data \
    -e ip.src -e ip.flags.df 2>/dev/null
}

# send_geneve NS SRC DST VNI: one GENEVE datagram from SRC (any port) to
# [DST]:6081 carrying a control frame (docs/protocol.md 6), no option.
send_geneve() {
  local frame
  frame=$("$BUILD_DIR/geneve-codec-tool" build --vni "$4" --payload 03474e363400020000000c0c88b5474e363401000000)
  on "$1" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[2], 6081))
' "$2" "$3" "$frame"
}

# ingress_dropped NS: packets the ingress drop filter of gnv0 dropped.
ingress_dropped() {
  on "$1" tc -s filter show dev gnv0 ingress | sed -n '/pref 2 matchall/,$p' |
    grep -m1 -o 'Sent [0-9]* bytes [0-9]* pkt' | awk '{print $4}'
}

xfer() {
  LAB="$LAB" BUILD_DIR="$BUILD_DIR" timeout -k 5 "${XFER_TIMEOUT:-150}" \
    bash -c '. "$0"; transfer_file "$@"' "$LAB_SH" "$@"
}
