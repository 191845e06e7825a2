#!/usr/bin/env bash
# Builds adapter.js into a component with jco + componentize-js (QuickJS backend), both
# installed from npm into ./.tools on first use (needs Node.js and npm). The guest SDK
# (adapters/sdk/javascript/jido.js) is bundled in front of the adapter: its `export`s become
# plain declarations and the adapter's import of it is dropped.
# Usage: build.sh [DIR] builds DIR/adapter.js (default: this folder) into DIR/adapter.wasm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "${1:-$here}" && pwd)"
sdk="$here/../../adapters/sdk/javascript/jido.js"
cd "$here"
if [ ! -x .tools/node_modules/.bin/jco ]; then
  npm install --prefix .tools --no-save --no-audit --no-fund \
    @bytecodealliance/jco@1.35 @bytecodealliance/componentize-js@0.23
fi
mkdir -p "$src/.build"
{
  sed -E 's/^export (function|const|class) /\1 /' "$sdk"
  grep -v 'from "[^"]*jido\.js";' "$src/adapter.js"
} > "$src/.build/adapter.js"
.tools/node_modules/.bin/jco componentize "$src/.build/adapter.js" --wit "$here/../../wit" \
  --world-name dispatch-adapter --backend quickjs --backend-qjs-disable-async --cwd "$src/.build" \
  -o "$src/adapter.wasm"
echo "built $src/adapter.wasm ($(wc -c < "$src/adapter.wasm") bytes)"
