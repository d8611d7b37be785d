#!/usr/bin/env bash
# The whole test suite under the current Node.js 22 and 24 releases (installed from the npm
# registry into $SPINDLE_CI_CACHE), against the build made by the Node.js that runs CI. Each
# runs `npm test`'s command with that Node first on the PATH, so that the processes the tests
# start (consumer projects, child programs) run under it too.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/tools.sh

test_command="$(node -p 'require("./package.json").scripts.test')"
for version in "$NODE_22_VERSION" "$NODE_24_VERSION"; do
  bin="$(node_bin "$version")"
  start=$(date +%s)
  echo "== tests on node $("$bin/node" --version)"
  PATH="$bin:$PATH" bash -c "$test_command"
  stage_time "tests on node $version" "$start"
done
