#!/usr/bin/env bash
# Builds transform.js into a component of the dispatch-transform world with jco +
# componentize-js (QuickJS backend), the toolchain the JavaScript adapter example installs
# into ../javascript/.tools on first use (needs Node.js and npm).
# Usage: build.sh [DIR] builds DIR/transform.js (default: this folder) into DIR/transform.wasm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "${1:-$here}" && pwd)"
tools="$here/../javascript/.tools"
if [ ! -x "$tools/node_modules/.bin/jco" ]; then
  npm install --prefix "$tools" --no-save --no-audit --no-fund \
    @bytecodealliance/jco@1.35 @bytecodealliance/componentize-js@0.23
fi
mkdir -p "$src/.build"
cp "$src/transform.js" "$src/.build/transform.js"
"$tools/node_modules/.bin/jco" componentize "$src/.build/transform.js" --wit "$here/../../wit" \
  --world-name dispatch-transform --backend quickjs --backend-qjs-disable-async --cwd "$src/.build" \
  -o "$src/transform.wasm"
echo "built $src/transform.wasm ($(wc -c < "$src/transform.wasm") bytes)"
