#!/usr/bin/env bash
# Issue 16: geneve-nat64-health against a real BIND DNS64 and two real
# NAT64s (scripts/lab dns64: TAYGA with 2001:db8:64:a::/96, our gateway with
# 2001:db8:64:b::/96). Both prefixes are synthesized at the start; with
# TAYGA killed the daemon withdraws its prefix from the dns64 fragment and
# reloads named within a bound (the detection time printed), and after a
# restart of TAYGA puts it back; an unchanged fragment is not reloaded; bad
# input is one line and exit status 2; down leaves nothing.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology dns64
BIN="$BUILD_DIR"
NAMED="$LAB_STATE/named"
FRAGMENT="$NAMED/dns64.conf"
RUN="$LAB_STATE/run-health"
A=2001:db8:64:a::/96
B=2001:db8:64:b::/96
INTERVAL=200 # ms between probes; dead after 3 lost in a row: about 0.6 s
BOUND=5      # s: the detection bound asserted

not() { ! "$@"; }
aaaa() { on client dig +short +time=2 +tries=1 AAAA "$1" @2001:db8:d::53 | sort | tr '\n' ' '; }
aaaa_is() { [ "$(aaaa "$1")" = "$2" ]; }
health() { on dns "$BIN/geneve-nat64-health" status --json --run-dir "$RUN"; }
prefix_field() { health | jq -r ".prefixes[] | select(.prefix == \"$1\") | $2"; }
is_health() { [ "$(prefix_field "$1" .health)" = "$2" ]; }
both_alive() { is_health "$A" alive && is_health "$B" alive; }
listed() { grep -q "^dns64 $1 {" "$FRAGMENT"; }
reloads() { health | jq -r .reloads; }
# usage_error WANT ARGS...: exit status 2 and one line on stderr containing WANT.
usage_error() {
  local want="$1" err rc=0
  shift
  err=$(on dns "$BIN/geneve-nat64-health" "$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 2 ] || { echo "  exit status $rc: $err"; return 1; }
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "  not one line: $err"; return 1; }
  [[ "$err" == *"$want"* ]] || { echo "  message: $err"; return 1; }
  echo "    $err"
}

# --- the DNS64 and both NAT64s, before the daemon runs
BOTH="2001:db8:64:a::cb00:710a 2001:db8:64:b::cb00:710a "
ONLY_B="2001:db8:64:b::cb00:710a "
check "AAAA v4only.lab: synthesized in both prefixes" aaaa_is v4only.lab "$BOTH"
check "AAAA ipv4only.arpa: 192.0.0.170 and .171 in both prefixes" aaaa_is ipv4only.arpa \
  "2001:db8:64:a::c000:aa 2001:db8:64:a::c000:ab 2001:db8:64:b::c000:aa 2001:db8:64:b::c000:ab "
check "AAAA dual.lab: its own AAAA excluded (2001:db8::/32, seed 001) and synthesized over" aaaa_is dual.lab \
  "2001:db8:64:a::cb00:710b 2001:db8:64:b::cb00:710b "
check "getaddrinfo in client asks the DNS64" bash -c \
  "ip netns exec $LAB-client getent ahosts v4only.lab | grep -q 2001:db8:64:b::cb00:710a"
check "ping through nat64a (TAYGA)" on client ping -c 1 -W 2 2001:db8:64:a::203.0.113.10
check "ping through nat64b (our gateway)" on client ping -c 1 -W 2 2001:db8:64:b::203.0.113.10

# --- the daemon, in dns: it reaches both prefixes through site as clients do
daemon dns "$LAB_TMP/health.log" "$BIN/geneve-nat64-health" --prefix "$A" --prefix "$B" --target 203.0.113.10 \
  --fragment "$FRAGMENT" --exclude ::/3 --exclude 4000::/2 --exclude 8000::/1 --exclude 2001:db8::/32 \
  --interval "$INTERVAL" --timeout "$INTERVAL" --rise 2 --fall 3 \
  --reload-command "rndc -c $NAMED/rndc.conf reload" --run-dir "$RUN"
HEALTH_PID=$LAST_PID
check "both prefixes alive" wait_until 10 both_alive
check "the fragment lists both, each with the clients and exclude lists" bash -c \
  "[ \$(grep -c '^dns64 ' '$FRAGMENT') = 2 ] && [ \$(grep -cF 'clients { any; };' '$FRAGMENT') = 2 ] &&
   [ \$(grep -cF 'exclude { ::/3; 4000::/2; 8000::/1; 2001:db8::/32; };' '$FRAGMENT') = 2 ]"
check "geneve-ctl show points at it, not reading it as an endpoint" bash -c \
  "ip netns exec $LAB-dns '$BIN/geneve-ctl' show --run-dir '$RUN' | grep -q '^geneve-nat64-health (pid [0-9]*): not an endpoint'"
R0=$(reloads)
sleep 1 # the window measured: nothing changes, so nothing may be written or reloaded
check "an unchanged fragment is not reloaded (reloads stay $R0)" test "$(reloads)" = "$R0"

# --- TAYGA dies: its prefix goes
T0=$(now_ms)
lab dns64 kill tayga KILL
check "nat64a's prefix leaves the fragment within $BOUND s" wait_until "$BOUND" not listed "$A"
T1=$(now_ms)
echo "    detected and withdrawn in $((T1 - T0)) ms (probes every $INTERVAL ms, dead after 3 lost)"
check "nat64b's prefix stays" listed "$B"
check "named reloaded" wait_until 5 test "$(reloads)" -gt "$R0"
check "AAAA v4only.lab: only the b prefix" wait_until 5 aaaa_is v4only.lab "$ONLY_B"
check "AAAA ipv4only.arpa: only the b prefix" aaaa_is ipv4only.arpa "2001:db8:64:b::c000:aa 2001:db8:64:b::c000:ab "
check "status: a dead, not listed, its last failure a timeout; b alive" bash -c \
  "s=\$(ip netns exec $LAB-dns '$BIN/geneve-nat64-health' status --json --run-dir '$RUN'); echo \"\$s\" |
   jq -e '(.prefixes[0] | .health == \"dead\" and .listed == false and .last_failure.reason == \"timeout\" and
           .consecutive_failures >= 3) and (.prefixes[1] | .health == \"alive\" and .listed) and
           .listed == [\"$B\"]' >/dev/null"
echo "    $(on dns "$BIN/geneve-nat64-health" status --run-dir "$RUN" | grep -A1 "^  $A")"

# --- TAYGA back: so is its prefix
R1=$(reloads)
T2=$(now_ms)
lab dns64 restart tayga
check "nat64a's prefix back in the fragment within $BOUND s" wait_until "$BOUND" listed "$A"
echo "    back after $(($(now_ms) - T2)) ms (alive after 2 answered)"
check "named reloaded again" wait_until 5 test "$(reloads)" -gt "$R1"
check "AAAA v4only.lab: both prefixes again" wait_until 5 aaaa_is v4only.lab "$BOTH"
check "no reload failed" test "$(health | jq -r .reload_failures)" = 0

# --- UDP probes (--probe udp) to an echo service on the target, --once
daemon target "$LAB_TMP/echo.log" socat UDP4-RECVFROM:7,fork PIPE
wait_until 5 on target sh -c "ss -lunH 'sport = :7' | grep -q ."
once_udp() {  # once_udp PORT: geneve-nat64-health --once --probe udp to PORT, its output in $LAB_TMP/once.out
  on dns "$BIN/geneve-nat64-health" --once --probe udp --port "$1" --prefix "$A" --prefix "$B" \
    --target 203.0.113.10 --fragment "$LAB_TMP/udp.conf" --reload-command "" --interval "$INTERVAL" \
    --timeout "$INTERVAL" >"$LAB_TMP/once.out" 2>"$LAB_TMP/once.err"
}
check "UDP probes to the echo port: --once exits 0, both alive" bash -c \
  "$(declare -f once_udp on); LAB=$LAB BIN=$BIN A=$A B=$B LAB_TMP=$LAB_TMP INTERVAL=$INTERVAL; once_udp 7 &&
   [ \$(grep -c 'alive, listed' '$LAB_TMP/once.out') = 2 ]"
sed 's/^/    /' "$LAB_TMP/once.out"
check "UDP probes to a closed port: --once exits 1, both dead (and listed: fail open)" bash -c \
  "$(declare -f once_udp on); LAB=$LAB BIN=$BIN A=$A B=$B LAB_TMP=$LAB_TMP INTERVAL=$INTERVAL; ! once_udp 9 &&
   [ \$(grep -c 'dead, listed' '$LAB_TMP/once.out') = 2 ] && [ \$(grep -c '^dns64 ' '$LAB_TMP/udp.conf') = 2 ]"
sed 's/^/    /' "$LAB_TMP/once.out"

# --- bad input: one line, exit status 2
check "a bad prefix entry is named" usage_error "prefix entry '2001:db8:64:b::/95'" --prefix "$A" \
  --prefix 2001:db8:64:b::/95 --target 203.0.113.10 --fragment "$LAB_TMP/x.conf"
check "a missing target" usage_error "no probe target" --prefix "$A" --fragment "$LAB_TMP/x.conf"
check "a bad exclude entry is named" usage_error "exclude entry '192.0.2.0/24'" --prefix "$A" \
  --target 203.0.113.10 --fragment "$LAB_TMP/x.conf" --exclude 192.0.2.0/24
check "a second instance in the namespace is refused" usage_error "" --prefix "$A" --target 203.0.113.10 \
  --fragment "$LAB_TMP/x.conf" --run-dir "$RUN"

# --- down leaves nothing
kill -TERM "$HEALTH_PID"
check "SIGTERM: the daemon exits 0" wait "$HEALTH_PID"
lab dns64 down
check "down: no namespace of the topology left" bash -c "! ip netns list | grep -q '^$LAB-'"
check "down: no /etc/netns file left" test ! -e "/etc/netns/$LAB-client"
check "down: no state left" test ! -e "$LAB_STATE"
# [/]: the pattern must not match this check's own command line.
check "down: no named or tayga of the lab left" bash -c "! pgrep -f '[/]run/geneve-nat64-lab/dns64/' >/dev/null"
summary
