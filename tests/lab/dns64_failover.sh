#!/usr/bin/env bash
# Issue 16: a client behind two NAT64s learns both prefixes from its DNS64
# (RFC 7050, --nat64-prefix auto) and fails over between them. dns64 lab:
# client (IPv6 only, resolver: BIND with dns64 for 2001:db8:64:a::/96 via
# TAYGA and 2001:db8:64:b::/96 via our gateway) to geneve-server behind gw
# (192.0.2.7, the extension).
#  (a) geneve-client ... 192.0.2.7 ... --nat64-prefix auto comes up; its
#      status lists both prefixes, source dns64, and both PATH candidates
#      alive.
#  (b) during a 20/s inner ping, the NAT64 carrying data is killed: the
#      tunnel moves to the other within 10 s (gap between echo replies
#      printed and asserted); when it is back, the tunnel returns to it
#      (the first prefix is preferred).
#  (c) discovery's bad input, in a namespace of its own whose /etc/hosts
#      and nsswitch.conf are bind-mounted: an ipv4only.arpa that is no
#      synthesis, none at all, a resolver that does not answer: exit 1,
#      one line saying which; a bad prefix list entry: exit 2.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology dns64
BIN="$BUILD_DIR"
SERVER=2001:db8:5::1
CLIENT=2001:db8:d::10
PA=2001:db8:64:a::c000:207  # 192.0.2.7 in TAYGA's prefix
PB=2001:db8:64:b::c000:207  # ... in gwb's
MAX_GAP_MS=10000

umask 077
"$BIN/geneve-ctl" genkey >"$LAB_TMP/key"
daemon server "$LAB_TMP/server.log" "$BIN/geneve-server" 42 $SERVER $CLIENT --ifname gns \
  --address fd00:42::1/64 --key-file "$LAB_TMP/key" --run-dir "$LAB_TMP/run-s"
daemon client "$LAB_TMP/client.log" "$BIN/geneve-client" 42 $CLIENT 192.0.2.7 $SERVER --nat64-prefix auto \
  --key-file "$LAB_TMP/key" --ifname gnc --address fd00:42::2/64 --run-dir "$LAB_TMP/run-c"
check "tunnel up within 15 s" wait_until 15 on client ping -c 1 -W 1 fd00:42::1

status() { on client "$BIN/geneve-ctl" show gnc --json --run-dir "$LAB_TMP/run-c"; }
# in_use: the target data goes to, e.g. [2001:db8:64:a::c000:207]:6081
in_use() { status | jq -r '.peers[0].path.target'; }
uses() { [ "$(in_use)" = "[$1]:6081" ]; }
both_alive() {
  [ "$(status | jq '[.peers[0].candidates[] | select(.kind == "nat64-prefix" and .alive)] | length')" = 2 ]
}

check "the log names the prefixes from the DNS64" \
  grep -q "NAT64 prefixes from the DNS64 (RFC 7050, ipv4only.arpa): 2001:db8:64:[ab]::/96, 2001:db8:64:[ab]::/96" \
  "$LAB_TMP/client.log"
prefixes_seen() { status | jq -c '.nat64_prefixes | {s: .source, p: (.prefixes | sort)}'; }
check "status: both prefixes, source dns64" \
  test "$(prefixes_seen)" = '{"s":"dns64","p":["2001:db8:64:a::/96","2001:db8:64:b::/96"]}'
check "both PATH candidates (nat64-prefix) alive within 15 s" wait_until 15 both_alive
first=$(in_use)
first=${first#[}
first=${first%]:6081}
echo "    data goes to $first (the first prefix the DNS64 gave)"
check "data goes to one of the two PATHs" bash -c "[ '$first' = $PA ] || [ '$first' = $PB ]"
if [ "$first" = $PA ]; then victim=tayga other=$PB; else victim=gwb other=$PA; fi

# ---- (b) the NAT64 in use dies, and comes back -------------------------------
log="$LAB_TMP/ping-failover.log"
on client ping -D -i 0.05 -W 1 -w 30 fd00:42::1 >"$log" 2>&1 &
ping_pid=$!
LAB_PIDS+=("$ping_pid")
check "ping running" wait_until 5 replies_at_least "$log" 5
t_kill=$(now_ms)
lab dns64 kill "$victim" >/dev/null
check "data moved to $other within 10 s of killing $victim" wait_until 10 uses "$other"
t_moved=$(now_ms)
check "echo replies after the move" wait_until 5 reply_after "$log" "$t_moved"
gap=$(max_gap_ms "$log")
echo "    $victim killed at +0 ms, data on $other at +$((t_moved - t_kill)) ms; largest gap between echo replies $gap ms"
check "failover: gap $gap ms < $MAX_GAP_MS ms" test "$gap" -gt 0 -a "$gap" -lt $MAX_GAP_MS
reason=$(status | jq -r '.peers[0].path.reason')
echo "    reason: $reason"
check "the reason names the dead PATH passed over" bash -c "[[ '$reason' == *'passed over: PATH [$first]:6081 dead'* ]]"
last_miss_of() { status | jq ".peers[0].candidates[] | select(.target == \"[$1]:6081\") | .last_miss_seconds_ago"; }
check "the dead candidate has a last miss ($(last_miss_of "$first") s ago)" test "$(last_miss_of "$first")" != null

t_back=$(now_ms)
lab dns64 restart "$victim" >/dev/null
check "back on $first within 15 s of $victim's restart" wait_until 15 uses "$first"
echo "    $victim restarted: data back on $first after $(($(now_ms) - t_back)) ms"
t_return=$(now_ms)
check "echo replies after the return" wait_until 5 reply_after "$log" "$t_return"
kill "$ping_pid" 2>/dev/null || true
wait "$ping_pid" 2>/dev/null || true
gap=$(max_gap_ms "$log")
echo "    over both moves: largest gap $gap ms; $(grep -E 'packets transmitted' "$log" || true)"
check "the return lost less than the failover (gap $gap ms < $MAX_GAP_MS ms)" test "$gap" -lt $MAX_GAP_MS
head -c 20000000 /dev/urandom >"$LAB_TMP/20mb"
check "20 MB through the tunnel after both moves, sha256 matches" transfer_file client fd00:42::1 server "$LAB_TMP/20mb"

# ---- (c) discovery's bad input ----------------------------------------------
# discovery HOSTS NSSWITCH ARGS...: geneve-client in a fresh network and
# mount namespace that sees HOSTS as /etc/hosts and NSSWITCH as
# /etc/nsswitch.conf (and a resolver at ::1 that is not there).
printf 'nameserver ::1\noptions timeout:1 attempts:1\n' >"$LAB_TMP/resolv.conf"
discovery() {
  local hosts="$1" nss="$2"
  shift 2
  unshare --net --mount -- bash -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf &&
    mount --bind "$3" /etc/resolv.conf && ip link set lo up && shift 3 && exec "$@"' _ \
    "$hosts" "$nss" "$LAB_TMP/resolv.conf" "$BIN/geneve-client" 42 $CLIENT 192.0.2.7 $SERVER "$@"
}
# bad WANT_STATUS WANT HOSTS NSS ARGS...: exit WANT_STATUS, one line with WANT.
bad() {
  local want_rc="$1" want="$2" err rc
  shift 2
  err=$(discovery "$@" 2>&1 >/dev/null)
  rc=$?
  err=$(grep -v ' info: ' <<<"$err" || true)
  [ "$rc" = "$want_rc" ] || { echo "  exit status $rc, want $want_rc: $err"; return 1; }
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "  not one line: $err"; return 1; }
  [[ "$err" == *"$want"* ]] || { echo "  message: $err"; return 1; }
}
echo 'hosts: files' >"$LAB_TMP/nss-files"
echo 'hosts: dns' >"$LAB_TMP/nss-dns"
printf '2001:db8::1 ipv4only.arpa\n2001:db8:64::c000:201 ipv4only.arpa\n' >"$LAB_TMP/hosts-bad"
printf '192.0.0.170 ipv4only.arpa\n' >"$LAB_TMP/hosts-v4"
check "AAAA records that are no synthesis: exit 1, one line" bad 1 \
  "embed neither 192.0.0.170 nor 192.0.0.171 where RFC 6052 puts an IPv4 address" \
  "$LAB_TMP/hosts-bad" "$LAB_TMP/nss-files" --nat64-prefix auto
check "no AAAA at all (nothing synthesized): exit 1, one line" bad 1 "no AAAA record: no DNS64 on the way" \
  "$LAB_TMP/hosts-v4" "$LAB_TMP/nss-files" --nat64-prefix auto
check "a resolver that does not answer: exit 1, one line" bad 1 "looking up ipv4only.arpa:" \
  "$LAB_TMP/hosts-v4" "$LAB_TMP/nss-dns" --nat64-prefix auto
check "a bad entry in a prefix list: exit 2, one line naming it" bad 2 \
  "--nat64-prefix: NAT64 prefix '2001:db8:64:b::/80'" \
  "$LAB_TMP/hosts-v4" "$LAB_TMP/nss-files" --nat64-prefix 2001:db8:64:a::/96,2001:db8:64:b::/80
summary
