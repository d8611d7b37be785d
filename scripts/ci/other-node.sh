#!/usr/bin/env bash
# The whole test suite under the current Node.js 22 and 24 releases (installed from the npm
# registry into $SPINDLE_CI_CACHE), against the build made by the Node.js that runs CI: `npm
# test`'s command, and the consumer projects' when the package has them, with that Node first on
# the PATH, so that the processes the tests start (consumer projects, child programs) run under it
# too. Both releases strip types, so the consumer test of Node's own type stripping must run there.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/tools.sh

script() { node -p "require('./package.json').scripts['$1'] ?? ''"; }
test_command="$(script test)"
consumers_command="$(script test:consumers)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Each release runs to the end, whatever the other's result: the log shows both.
failed=()
for version in "$NODE_22_VERSION" "$NODE_24_VERSION"; do
  bin="$(node_bin "$version")"
  start=$(date +%s)
  echo "== tests on node $("$bin/node" --version)"
  PATH="$bin:$PATH" bash -c "$test_command" 2>&1 | tee "$log" || failed+=("$version: npm test")
  if [ -n "$consumers_command" ]; then
    PATH="$bin:$PATH" bash -c "$consumers_command" 2>&1 | tee -a "$log" ||
      failed+=("$version: npm run test:consumers")
  fi
  if ! grep -q "Node's own type stripping" "$log" || grep -q 'cannot strip types' "$log"; then
    failed+=("$version: the consumer test of Node's own type stripping did not run")
  fi
  stage_time "tests on node $version" "$start"
done
if [ ${#failed[@]} -gt 0 ]; then
  printf 'failed on node %s\n' "${failed[@]}" >&2
  exit 1
fi
