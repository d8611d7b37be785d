#!/usr/bin/env bash
# The published declarations under the oldest TypeScript the package supports and under the
# current one: a strict ES module consumer (module NodeNext) and a CommonJS one (module NodeNext
# in a CommonJS package; and, for the oldest, module CommonJS with Node10 resolution), built from
# `npm pack` of the working tree, type-checked, compiled and run (each must exit by itself).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
. scripts/ci/tools.sh

# The newest @types/node whose declarations TypeScript $TYPESCRIPT_OLDEST_VERSION can read.
TYPES_NODE_FOR_OLDEST=20.17.28

oldest="$(ci_install "typescript-$TYPESCRIPT_OLDEST_VERSION" "typescript@$TYPESCRIPT_OLDEST_VERSION")"
oldest_tsc="$oldest/node_modules/typescript/bin/tsc"
current_tsc="$repo/node_modules/typescript/bin/tsc"

npm run --silent build:if-stale
mkdir -p "$SPINDLE_CI_CACHE"
work="$(mktemp -d "$SPINDLE_CI_CACHE/typescript-consumer.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tarball="$(npm pack --ignore-scripts --silent --pack-destination "$work")"
cp -R scripts/ci/typescript-consumer/. "$work/"
cd "$work"
printf '{ "private": true }\n' > package.json
npm install --no-audit --no-fund --no-package-lock --loglevel=error \
  "./$tarball" "@types/node@$TYPES_NODE_FOR_OLDEST"

check() { # check <tsc> <project> <out dir>
  echo "-- TypeScript $(node "$1" --version | cut -d' ' -f2): $2"
  node "$1" -p "$2" --outDir "$3"
  (cd "$(dirname "$3")" && timeout 60 node "$3/index.js")
}
check "$oldest_tsc" esm/tsconfig.json "$work/esm/out-oldest"
check "$oldest_tsc" cjs/tsconfig.json "$work/cjs/out-oldest"
check "$oldest_tsc" cjs/tsconfig.node10.json "$work/cjs/out-oldest-node10"
check "$current_tsc" esm/tsconfig.json "$work/esm/out-current"
check "$current_tsc" cjs/tsconfig.json "$work/cjs/out-current"
echo "TypeScript $TYPESCRIPT_OLDEST_VERSION and $(node "$current_tsc" --version | cut -d' ' -f2): ok"
