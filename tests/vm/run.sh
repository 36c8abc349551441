#!/usr/bin/env bash
# Runs several VM test scripts in one boot (each boot costs seconds):
#   scripts/vm-run --env BUILD_DIR -- tests/vm/run.sh a.sh b.sh ...
# Prints each script's output under a header; exits 1 if any failed.
set -u
dir="$(cd "$(dirname "$0")" && pwd)"
failed=()
for t in "$@"; do
  echo "== $t"
  start=$(date +%s)
  if "$dir/$t"; then
    echo "== $t: passed ($(($(date +%s) - start)) s)"
  else
    echo "== $t: FAILED ($(($(date +%s) - start)) s)"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}"
  exit 1
fi
echo "all ${#@} passed"
