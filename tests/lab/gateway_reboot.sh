#!/usr/bin/env bash
# Issue 3: a gateway that dies (kill -9) and comes back with empty state
# loses the tunnel only briefly: the endpoints keep sending from 6081, and
# the restarted gateway rebuilds the binding from whichever side's packet
# arrives first (outbound or routing option). A ping every 50 ms through the
# tunnel (ping -D timestamps) measures the gap; it must stay under 10 s,
# without restarting either endpoint. Done for gb, then for ga.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology symmetric
BIN="$BUILD_DIR"
MAX_GAP_MS=10000

daemon a "$LAB_TMP/a.log" "$BIN/geneve-symmetric" 42 2001:db8:a::1 2001:db8:64:a::203.0.113.90 2001:db8:b::1 \
  --ifname gnv0 --address fd00:42::a/64 --run-dir "$LAB_TMP/run-a"
PID_A=$LAST_PID
daemon b "$LAB_TMP/b.log" "$BIN/geneve-symmetric" 42 2001:db8:b::1 2001:db8:64:b::198.51.100.7 2001:db8:a::1 \
  --ifname gnv0 --address fd00:42::b/64 --run-dir "$LAB_TMP/run-b"
PID_B=$LAST_PID
wait_until 5 on a ip link show gnv0 && wait_until 5 on b ip link show gnv0
check "tunnel up before the reboots" wait_until 5 on a ping -c 1 -W 1 fd00:42::b

reboot() {  # reboot GATEWAY
  local log="$LAB_TMP/ping-$1.log" ping_pid t_kill t_up gap
  # A fixed 12 s run (-w): async commands ignore SIGINT, so ping is not
  # interrupted but ends by itself, with its statistics.
  on a ping -D -i 0.05 -W 1 -w 12 fd00:42::b >"$log" 2>&1 &
  ping_pid=$!
  LAB_PIDS+=("$ping_pid")
  wait_until 5 replies_at_least "$log" 10 || true
  t_kill=$(now_ms)
  lab symmetric kill "$1" KILL
  lab symmetric restart "$1"
  t_up=$(now_ms)
  wait "$ping_pid" || true
  gap=$(max_gap_ms "$log")
  last=$(last_reply_ms "$log")
  echo "    $1: kill -9 at +0 ms, gateway back (TUN, routes, socket) at +$((t_up - t_kill)) ms; largest gap between replies $gap ms"
  echo "    $1: $(grep -E 'packets transmitted' "$log")"
  check "$1 rebooted: tunnel carries traffic again, gap $gap ms < $MAX_GAP_MS ms" test "$gap" -gt 0 -a "$gap" -lt $MAX_GAP_MS -a "$last" -gt "$t_up"
}

reboot gb
check "gb rebuilt b's binding on pool:6081" binding_is gb 2001:db8:b::1 any
reboot ga
check "ga rebuilt a's binding on pool:6081" binding_is ga 2001:db8:a::1 any

# Traffic still flows in bulk after both reboots.
head -c 5000000 /dev/urandom >"$LAB_TMP/data"
check "5 MB after the reboots, matching sha256" transfer_file a fd00:42::b b "$LAB_TMP/data"
check "neither endpoint was restarted" bash -c "kill -0 $PID_A && kill -0 $PID_B"
summary
