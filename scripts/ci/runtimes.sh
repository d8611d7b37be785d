#!/usr/bin/env bash
# The core API on Bun and Deno (installed from the npm registry into $SPINDLE_CI_CACHE): the
# smoke program test/runtimes/smoke.mjs against the built package, under a timeout, since the
# process must also exit by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/tools.sh

npm run --silent build:if-stale
bun="$(ci_install "bun-$BUN_VERSION" "bun@$BUN_VERSION")/node_modules/.bin/bun"
deno="$(ci_install "deno-$DENO_VERSION" "deno@$DENO_VERSION")/node_modules/.bin/deno"

smoke() { # smoke <label> <command…>
  local label="$1" start status=0
  shift
  start=$(date +%s)
  timeout 120 "$@" test/runtimes/smoke.mjs || status=$?
  if [ "$status" -eq 124 ]; then echo "$label: the smoke test did not exit within 120 s" >&2; fi
  if [ "$status" -ne 0 ]; then exit "$status"; fi
  stage_time "smoke test on $label" "$start"
}
smoke "bun $BUN_VERSION" "$bun" run
# Deno keeps its caches under DENO_DIR: in the CI cache, not the home directory.
DENO_DIR="$SPINDLE_CI_CACHE/deno-dir" DENO_NO_UPDATE_CHECK=1 \
  smoke "deno $DENO_VERSION" "$deno" run --allow-read --allow-env --allow-sys
