# shellcheck shell=bash disable=SC2034  # sets variables for the sourcing test
# Sourced by the package tests: installs the build into a scratch root.
#
#   install_tree ROOT   DESTDIR=ROOT cmake --install "$BUILD_DIR"; sets
#                       PREFIX (the configured install prefix), SBIN, MAN8
#                       (ROOT-relative paths made absolute under ROOT) and
#                       UNITS (the directory holding our units under ROOT)
install_tree() {
  local root="$1"
  DESTDIR="$root" cmake --install "$BUILD_DIR" >"$root.install.log" 2>&1 || {
    echo "cmake --install failed:"; cat "$root.install.log"; return 1
  }
  PREFIX=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD_DIR/CMakeCache.txt")
  SBIN="$root$PREFIX/sbin"
  MAN8="$root$PREFIX/share/man/man8"
  local unit
  unit=$(find "$root" -name 'geneve-nat64@.service' | head -1)
  [ -n "$unit" ] || { echo "no geneve-nat64@.service installed under $root"; return 1; }
  UNITS=$(dirname "$unit")
}
