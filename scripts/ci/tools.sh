# Sourced by the CI scripts: installs pinned tools from the npm registry into a cache directory
# outside the repository, once, and names their binaries.
SPINDLE_CI_CACHE="${SPINDLE_CI_CACHE:-/tmp/spindle-ci}"

# Pinned: the latest releases on the registry when these scripts were written. Raise them here.
NODE_22_VERSION=22.23.5
NODE_24_VERSION=24.22.3
BUN_VERSION=1.4.5
DENO_VERSION=2.9.6
TYPESCRIPT_OLDEST_VERSION=5.0.4

# ci_install <dir name> <package@version>: prints the directory whose node_modules holds it.
ci_install() {
  local dir="$SPINDLE_CI_CACHE/$1"
  if [ ! -f "$dir/.installed" ]; then
    mkdir -p "$dir"
    printf '{ "private": true }\n' > "$dir/package.json"
    # --prefix: never the repository's own package.json; the lock file is not ours to write.
    npm install --prefix "$dir" --no-audit --no-fund --no-package-lock --loglevel=error "$2" >&2
    touch "$dir/.installed"
  fi
  printf '%s\n' "$dir"
}

# node_bin <version>: the directory holding that release's `node` (the node-<os>-<arch> package).
node_bin() {
  local os arch
  os="$(node -p 'process.platform')"
  arch="$(node -p 'process.arch')"
  local dir
  dir="$(ci_install "node-$1" "node-$os-$arch@$1")"
  printf '%s\n' "$dir/node_modules/node-$os-$arch/bin"
}

# stage_time <label> <start seconds>: one line per stage, for the CI log.
stage_time() {
  printf '== %s: %ss\n' "$1" "$(($(date +%s) - $2))"
}
