#!/usr/bin/env bash
# Issue 15: status sockets are per network namespace. Two geneve-symmetric
# endpoints named gnv0 with the default --run-dir, in namespaces a and b,
# both start; `geneve-ctl show --json` inside each lists that namespace's
# endpoint and no other (and the root namespace sees neither); another uid
# in the namespace is refused; after kill -9 the endpoint starts again at
# once (no stale socket). Two gateways with the same --tun in a and b both
# start and each answers `status` with its own prefix.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init sn
BIN="$BUILD_DIR"
RUN=/run/geneve-nat64  # the default: the case that collided before

ns a >/dev/null
ns b >/dev/null
link a va b vb
on a ip addr add 2001:db8:ab::a/64 dev va nodad
on b ip addr add 2001:db8:ab::b/64 dev vb nodad

start_a() {
  daemon a "$LAB_TMP/a.log" "$BIN/geneve-symmetric" 42 2001:db8:ab::a 2001:db8:ab::b 2001:db8:ab::b \
    --ifname gnv0 --address fd00:42::a/64
  PID_A=$LAST_PID
}
start_a
daemon b "$LAB_TMP/b.log" "$BIN/geneve-symmetric" 42 2001:db8:ab::b 2001:db8:ab::a 2001:db8:ab::a \
  --ifname gnv0 --address fd00:42::b/64
PID_B=$LAST_PID

check "a's gnv0 serves its status" wait_until 10 status_up a $RUN gnv0
check "b's gnv0 serves its status" wait_until 10 status_up b $RUN gnv0
check "both still running" kill -0 "$PID_A" "$PID_B"

# The endpoints in NODE, as "name remote" lines: exactly one, the given one.
only() {
  local node="$1" want="$2" got
  got=$(on "$node" "$BIN/geneve-ctl" show --json | /usr/bin/python3 -c '
import json, sys
print(" ".join("%s->%s" % (s["name"], p["remote"]) for s in json.load(sys.stdin) for p in s["peers"]))')
  echo "    $node sees: $got"
  [ "$got" = "$want" ]
}
check "geneve-ctl in a lists only a's endpoint" only a "gnv0->2001:db8:ab::b"
check "geneve-ctl in b lists only b's endpoint" only b "gnv0->2001:db8:ab::a"
check "the root namespace sees neither" bash -c "! '$BIN/geneve-ctl' show --json 2>/dev/null | grep -q 2001:db8:ab::"
check "show NAME in a answers a's" bash -c "ip netns exec $LAB-a '$BIN/geneve-ctl' show gnv0 --json |
  /usr/bin/python3 -c 'import json,sys; assert json.load(sys.stdin)[\"peers\"][0][\"remote\"] == \"2001:db8:ab::b\"'"
check "tunnel up: ping a -> b" wait_until 10 on a ping -c 1 -W 1 fd00:42::b

# Anyone in the namespace can reach an abstract name: the credentials check
# is what keeps the status root's.
check "another uid in a is refused" bash -c "
  out=\$(ip netns exec $LAB-a setpriv --reuid 65534 --regid 65534 --clear-groups '$BIN/geneve-ctl' show gnv0 --json 2>&1)
  rc=\$?; echo \"    nobody: rc \$rc: \$out\" | head -3; [ \$rc -ne 0 ] && ! grep -q remote <<<\"\$out\""
check "a logged the refusal" wait_until 5 grep -q "refused pid .* uid 65534" "$LAB_TMP/a.log"

# kill -9: nothing is cleaned up by the process, and nothing needs to be.
kill -KILL "$PID_A"
wait "$PID_A" 2>/dev/null || true
check "a's status is gone with its process" wait_until 5 status_gone a $RUN gnv0
wait_until 5 bash -c "! ip -n $LAB-a link show gnv0" >/dev/null 2>&1 || true  # the TAP goes with its last fd
start_a
check "a starts again after kill -9" wait_until 10 status_up a $RUN gnv0
check "the restarted a runs" kill -0 "$PID_A"
check "geneve-ctl in a lists only a's endpoint again" only a "gnv0->2001:db8:ab::b"
check "b unaffected" only b "gnv0->2001:db8:ab::a"
check "tunnel up again: ping a -> b" wait_until 10 on a ping -c 1 -W 1 fd00:42::b
if grep -q "already serves" "$LAB_TMP/a.log" "$LAB_TMP/b.log"; then
  check "no 'already serves' in the logs" false
fi

# The gateway: same TUN name, default --run-dir, two namespaces.
daemon a "$LAB_TMP/ga.log" "$BIN/geneve-nat64-gateway" --tun nat64 --prefix 2001:db8:64:a::/96 --pool 198.51.100.7 \
  --allow 2001:db8:a::/48
daemon b "$LAB_TMP/gb.log" "$BIN/geneve-nat64-gateway" --tun nat64 --prefix 2001:db8:64:b::/96 --pool 203.0.113.90 \
  --allow 2001:db8:b::/48
gw_prefix() {
  on "$1" "$BIN/geneve-nat64-gateway" status --json --tun nat64 |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["prefix"])'
}
check "gateway in a answers with a's prefix" wait_until 10 bash -c "[ \"\$(ip netns exec $LAB-a '$BIN/geneve-nat64-gateway' status --json --tun nat64 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"prefix\"])')\" = 2001:db8:64:a::/96 ]"
check "gateway in b answers with b's prefix" wait_until 10 bash -c "[ \"\$(ip netns exec $LAB-b '$BIN/geneve-nat64-gateway' status --json --tun nat64 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"prefix\"])')\" = 2001:db8:64:b::/96 ]"
echo "    a: $(gw_prefix a 2>&1), b: $(gw_prefix b 2>&1)"
summary
