#!/usr/bin/env bash
# Man pages cannot rot: installs the build into a scratch root and checks
# that every installed command has a section 8 page that man renders
# without warnings, that every long option the command's --help prints
# appears in its page, and that every option the page defines (OPTIONS)
# is one --help prints. Shows first that the check fails on a page with an
# option missing, and on one defining an option the command lacks.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
. "$(dirname "$0")/install_tree.sh"
lab_init man
ROOT="$LAB_TMP/root"
install_tree "$ROOT" || exit 1

# The page as plain text: roff font escapes and \- removed.
page_text() { zcat "$1" | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g'; }
# Long options printed by --help, one per line.
help_options() { "$1" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
# Options the page defines: scdoc renders a definition as its term line
# followed by ".RS 4"; only those inside the OPTIONS section.
defined_options() {
  page_text "$1" | awk '/^\.SH /{in_opts = ($0 ~ /^\.SH OPTIONS/)} in_opts && /^\.RS 4/{print prev} {prev = $0}' |
    grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# page_matches_help CMD PAGE: the two checks above, naming what differs.
page_matches_help() {
  local cmd="$1" page="$2" text missing extra
  text=$(page_text "$page")
  missing=$(help_options "$cmd" | while read -r opt; do
    grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" <<<"$text" || echo "$opt"
  done)
  extra=$(comm -13 <(help_options "$cmd") <(defined_options "$page"))
  [ -z "$missing" ] || { echo "  $(basename "$page") lacks ${missing//$'\n'/ } from --help"; return 1; }
  [ -z "$extra" ] || { echo "  $(basename "$page") defines ${extra//$'\n'/ }, which --help does not print"; return 1; }
}

renders_clean() {  # renders_clean PAGE: man formats it, no warnings
  local err
  err=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null)
  [ -z "$err" ] || { echo "  $err"; return 1; }
  MANWIDTH=80 man -l "$1" 2>/dev/null | grep -q '^NAME'
}

commands=$(ls "$SBIN")
[ -n "$commands" ] || { echo "no commands installed in $SBIN"; exit 1; }
for want in geneve-symmetric geneve-client geneve-server geneve-auto geneve-ctl geneve-nat64-gateway geneve-bypass geneve-nat64-health geneve-codec-tool; do
  check "$want is installed" test -x "$SBIN/$want"
done
for cmd in $commands; do
  page="$MAN8/$cmd.8.gz"
  check "$cmd has a section 8 page" test -f "$page"
  [ -f "$page" ] || continue
  check "$cmd(8) renders without warnings" renders_clean "$page"
  check "$cmd(8) names every option --help prints, defines no other" page_matches_help "$SBIN/$cmd" "$page"
done

# The check itself can fail: a page with --mtu's definition removed, and one
# defining an option geneve-symmetric does not have.
fails() { ! "$@" >/dev/null; }
zcat "$MAN8/geneve-symmetric.8.gz" | sed 's/--mtu/--mtv/g' | gzip >"$LAB_TMP/lacks.8.gz"
check "the check fails on a page lacking --mtu" fails page_matches_help "$SBIN/geneve-symmetric" "$LAB_TMP/lacks.8.gz"
zcat "$MAN8/geneve-symmetric.8.gz" | sed 's/^\\fB--no-offload\\fR$/\\fB--no-offload\\fR, \\fB--frobnicate\\fR/' |
  gzip >"$LAB_TMP/extra.8.gz"
check "the check fails on a page defining --frobnicate" fails page_matches_help "$SBIN/geneve-symmetric" "$LAB_TMP/extra.8.gz"
summary
