#!/usr/bin/env bash
# Issue 3: geneve-nat64-gateway is a real NAT64, not only a GENEVE relay. In
# the `symmetric` lab, site A (IPv6 only, no GENEVE anywhere) pings an IPv4
# host through ga and exchanges plain UDP with it; the IPv4 host sees ga's
# pool address; unsolicited IPv4 traffic is dropped.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology symmetric
HOST4=192.0.2.1                        # inet's "Internet host" (lo)
HOST6=2001:db8:64:a::192.0.2.1         # the same, inside GA's prefix

check "a pings $HOST4 through ga as $HOST6" on a ping -q -c 3 -i 0.2 -W 2 $HOST6
check "b pings $HOST4 through gb" on b ping -q -c 3 -i 0.2 -W 2 2001:db8:64:b::192.0.2.1
check "full-size ping (1452 bytes of IPv6 payload), DF" on a ping -q -c 2 -W 2 -M do -s 1452 $HOST6

# UDP echo on the IPv4 host that answers with the address it saw.
daemon inet "$LAB_TMP/echo.log" socat UDP4-RECVFROM:7000,bind=$HOST4,fork SYSTEM:'read l; echo "$l from $SOCAT_PEERADDR:$SOCAT_PEERPORT"'
wait_until 5 on inet sh -c "ss -lunH 'sport = :7000' | grep -q ."
reply=$(echo hello | on a timeout 5 socat -t 2 - "UDP6:[$HOST6]:7000" || true)
echo "reply: $reply"
check "plain UDP a -> $HOST4:7000 and back; the IPv4 host saw the pool address" bash -c "[[ '$reply' == 'hello from 198.51.100.7:'* ]]"
reply=$(echo again | on a timeout 5 socat -t 2 - "UDP6:[$HOST6]:7000,sourceport=6081" || true)
check "a UDP sender on the GENEVE port keeps pool port 6081 ($reply)" test "$reply" = "again from 198.51.100.7:6081"

status=$(gw_status ga)
check "ga shows a's outbound UDP and ICMP bindings, kept port 6081" /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1])
b = s["bindings"]
assert any(x["protocol"] == "icmp" and x["ipv6"].startswith("[2001:db8:a::1]") for x in b), b
assert any(x["ipv6"] == "[2001:db8:a::1]:6081" and x["pool_port"] == 6081 and x["created_by"] == "outbound" for x in b), b
c = s["fates"]
assert c["translated_6to4"] >= 6 and c["translated_4to6"] >= 6, c
assert c["bad_checksum"] == 0 and c["malformed"] == 0, c
' "$status"

# Unsolicited IPv4 traffic to the pool: dropped (no_session), not delivered.
before=$(gw_status ga | python3 -c 'import json,sys; print(json.load(sys.stdin)["fates"]["no_session"])')
echo probe | on inet socat -u - UDP4:198.51.100.7:9999,bind=$HOST4 || true
check "unsolicited IPv4 UDP to the pool is dropped (no_session)" wait_until 3 bash -c \
  "[ \$(ip netns exec $LAB-ga $BUILD_DIR/geneve-nat64-gateway status --json --tun nat64 --run-dir $LAB_STATE/run-ga | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"fates\"][\"no_session\"])') -gt $before ]"
check "inet pings the pool address (answered by the gateway)" on inet ping -q -c 2 -i 0.2 -W 2 198.51.100.7
check "scripts/lab status shows both gateways" bash -c "lab() { BUILD_DIR=$BUILD_DIR $LAB_CMD \"\$@\"; }; lab symmetric status | grep -c 'NAT64 2001:db8:64:' | grep -qx 2"
summary
