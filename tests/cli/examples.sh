#!/usr/bin/env bash
# Every examples/*.json runs through `geneve-ctl up --check --config-dir
# examples NAME`: exit 0, the command named by its "mode" prints its
# effective settings, and they hold every value the file gives (so each
# example says what it means to say). Broken copies of the examples exit 2
# with one line naming the file and the key's path. As root, each check runs
# in a network namespace of its own, which must still hold only "lo"
# afterwards: --check-config creates nothing. Needs no lab lock (the
# namespaces are anonymous).
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init ex
EXAMPLES="$(cd "$(dirname "$0")/../../examples" && pwd)"
CTL="$BUILD_DIR/geneve-ctl"

# isolated CMD...: CMD in a fresh network namespace when root (its stdout
# and exit status kept; fails if the namespace gains an interface).
isolated() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
    return
  fi
  unshare --net -- bash -c '"$@"; rc=$?; links=$(ip -o link show | wc -l)
    [ "$links" -eq 1 ] || { echo "an interface was created" >&2; exit 99; }; exit $rc' bash "$@"
}

# holds FILE OUTPUT: every value FILE gives is in OUTPUT (objects: each key
# of FILE's, recursively; arrays: same length, element by element).
holds() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def sub(w, g, path):
    if isinstance(w, dict):
        if not isinstance(g, dict):
            sys.exit(f"{path}: not an object in the output")
        for k, v in w.items():
            if k not in g:
                sys.exit(f"{path}.{k}: missing from the output")
            sub(v, g[k], f"{path}.{k}")
    elif isinstance(w, list):
        if not isinstance(g, list) or len(g) != len(w):
            sys.exit(f"{path}: {g!r} in the output, {w!r} in the file")
        for i, (a, b) in enumerate(zip(w, g)):
            sub(a, b, f"{path}[{i}]")
    elif w != g:
        sys.exit(f"{path}: {g!r} in the output, {w!r} in the file")
sub(want, got, "")
PY
}

example_checks() {  # example_checks NAME
  local name="$1" out="$LAB_TMP/$1.out" err="$LAB_TMP/$1.err" rc
  isolated "$CTL" up --check --config-dir "$EXAMPLES" "$name" >"$out" 2>"$err"
  rc=$?
  [ "$rc" -eq 0 ] || { echo "  exit status $rc: $(cat "$err")"; return 1; }
  [ "$(jq -r .mode "$out")" = "$(jq -r .mode "$EXAMPLES/$name.json")" ] || { echo "  mode: $(jq .mode "$out")"; return 1; }
  holds "$EXAMPLES/$name.json" "$out" || return 1
}

n=0
for file in "$EXAMPLES"/*.json; do
  name=$(basename "$file" .json)
  check "examples/$name.json: geneve-ctl up --check exits 0, settings hold the file's values" example_checks "$name"
  n=$((n + 1))
done
check "there are examples (symmetric, server, client, auto, gateway)" test "$n" -ge 7
for mode in geneve-symmetric geneve-server geneve-client geneve-auto geneve-nat64-gateway geneve-bypass geneve-nat64-health; do
  check "an example for $mode" bash -c "grep -l '\"mode\": \"$mode\"' '$EXAMPLES'/*.json >/dev/null"
done
# Documentation addresses only, never the well-known NAT64 prefix.
check "no 64:ff9b::/96 in the examples" bash -c "! grep -i '64:ff9b' '$EXAMPLES'/*.json"

# The check can fail: the holds check on an output missing a value.
jq '.address = ["2001:db8:99::1/64"]' "$EXAMPLES/client-cgn.json" >"$LAB_TMP/changed.json"
"$CTL" up --check --config-dir "$EXAMPLES" client-cgn >"$LAB_TMP/cgn.out" 2>/dev/null
if holds "$LAB_TMP/changed.json" "$LAB_TMP/cgn.out" >/dev/null 2>&1; then
  check "the holds check fails on a value the output lacks" false
else
  check "the holds check fails on a value the output lacks" true
fi

# docs/operations.md has a row for every key of every endpoint command: the
# long options --help prints, '_' for '-' (the flag-only ones aside).
DOC="$(dirname "$0")/../../docs/operations.md"
documented_keys() {  # documented_keys CMD: every file key of CMD is in the doc's tables
  local section missing
  section=$(sed -n '/^## Configuration files/,/^## Keys/p' "$DOC")
  # Option lines only ("  --name ..."), not the usage text around them.
  missing=$("$BUILD_DIR/$1" --help | grep -oE -- '^  (-[a-z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u |
    grep -vxE -- '--(config|check-config|help|version)' | sed 's/^--//; s/-/_/g' |
    while read -r key; do grep -qF "\`$key\`" <<<"$section" || echo "$key"; done)
  [ -z "$missing" ] || { echo "  not in docs/operations.md: $missing"; return 1; }
}
for cmd in geneve-symmetric geneve-client geneve-auto geneve-server geneve-bypass geneve-nat64-health; do
  check "docs/operations.md documents every key of $cmd" documented_keys "$cmd"
done

# Broken copies: exit 2, one line on stderr naming the file and the key's path.
BAD="$LAB_TMP/bad"
mkdir -p "$BAD"
bad() {  # bad NAME WANT: geneve-ctl up --check NAME in $BAD exits 2, stderr one line containing WANT
  local name="$1" want="$2" err rc
  err=$(isolated "$CTL" up --check --config-dir "$BAD" "$name" 2>&1 >/dev/null)
  rc=$?
  [ "$rc" -eq 2 ] || { echo "  exit status $rc, want 2: $err"; return 1; }
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "  not one line: $err"; return 1; }
  [[ "$err" == *"$want"* ]] || { echo "  message: $err"; return 1; }
}
jq '.clients[1].address = "2001:db8:43::1/64"' "$EXAMPLES/server.json" >"$BAD/server-address.json"
check "server: a client's address not a list" bad server-address \
  "config $BAD/server-address.json: .clients[1].address: expected an array of strings, got string"
jq '.clients[0].allowed_ips = ["2001:db8:40:1::/64", 5]' "$EXAMPLES/server-one-interface.json" >"$BAD/server-allowed.json"
check "server: a client's allowed_ips entry not a string" bad server-allowed \
  ".clients[0].allowed_ips[1]: expected a string, got number"
jq '.keepalive = 60' "$EXAMPLES/client-cgn.json" >"$BAD/client-keepalive.json"
check "client: keepalive out of range" bad client-keepalive ".keepalive: keepalive interval '60'"
jq '.colour = "blue"' "$EXAMPLES/symmetric-a.json" >"$BAD/symmetric-unknown.json"
check "symmetric: an unknown key" bad symmetric-unknown ".colour: unknown key"
jq '.vni = "forty-two"' "$EXAMPLES/auto-a.json" >"$BAD/auto-vni.json"
check "auto: a bad VNI" bad auto-vni ".vni: VNI 'forty-two'"
jq '.allow = ["192.0.2.0/24"]' "$EXAMPLES/gateway.json" >"$BAD/gateway-allow.json"
check "gateway: an IPv4 allow prefix" bad gateway-allow ".allow[0]: allow prefix '192.0.2.0/24' must be an IPv6 prefix"
jq '.gateway = "192.0.2.7"' "$EXAMPLES/bypass.json" >"$BAD/bypass-gateway.json"
check "bypass: gateway not a list" bad bypass-gateway ".gateway: expected an array of strings, got string"
jq '.keepalive = 30' "$EXAMPLES/bypass.json" >"$BAD/bypass-keepalive.json"
check "bypass: keepalive out of range" bad bypass-keepalive ".keepalive: keepalive '30'"
jq '.mode = "geneve-bash"' "$EXAMPLES/client-cgn.json" >"$BAD/mode.json"
check "an unknown mode" bad mode ".mode: 'geneve-bash' is not one of"
jq 'del(.mode)' "$EXAMPLES/client-cgn.json" >"$BAD/no-mode.json"
check "no mode" bad no-mode ".mode: missing"
echo '{"mode": "geneve-client",' >"$BAD/not-json.json"
check "not JSON" bad not-json "not valid JSON"
check "no such file" bad absent "cannot read config file $BAD/absent.json"
check "an instance name with a slash" bad ../bad/mode "must be a plain file name"
ctl_usage_error() {  # ctl_usage_error WANT ARGS...: geneve-ctl ARGS exits 2 with WANT
  local want="$1" err rc
  shift
  err=$("$CTL" "$@" 2>&1 >/dev/null)
  rc=$?
  [ "$rc" -eq 2 ] && [[ "$err" == *"$want"* ]] || { echo "  exit status $rc: $err"; return 1; }
}
check "up takes no show options" ctl_usage_error "--json and --run-dir apply to 'show' only" up client-cgn --json
check "show takes no up options" ctl_usage_error "--check and --config-dir apply to 'up' only" show --check
check "up needs a NAME" ctl_usage_error "expected 'up NAME'" up

# Without --check, up execs the command itself: its message, its status.
# A LOCAL this (empty) namespace lacks is the command's exit 2, nothing made.
if [ "$(id -u)" -eq 0 ]; then
  jq --arg run "$LAB_TMP/run" '.run_dir = $run | del(.key_file)' "$EXAMPLES/symmetric-a.json" >"$BAD/exec.json"
  exec_runs_the_command() {
    local err rc
    err=$(isolated "$CTL" up --config-dir "$BAD" exec 2>&1 >/dev/null)
    rc=$?
    [ "$rc" -eq 2 ] || { echo "  exit status $rc, want 2: $err"; return 1; }
    [[ "$err" == "geneve-symmetric: "*"2001:db8:a::1"* ]] || { echo "  message: $err"; return 1; }
    [ -z "$(ls -A "$LAB_TMP/run" 2>/dev/null)" ] || { echo "  something left in $LAB_TMP/run"; return 1; }
  }
  check "up without --check execs the command (its exit status and message)" exec_runs_the_command
fi
summary
