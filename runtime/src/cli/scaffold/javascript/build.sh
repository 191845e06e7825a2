#!/usr/bin/env bash
# Builds adapter.js (with the SDK, jido.js, bundled in front) into adapter.wasm with jco +
# componentize-js (QuickJS backend), installed from npm into ./.tools on first use (needs
# Node.js and npm; TOOLS names another folder holding them).
set -euo pipefail
cd "$(dirname "$0")"
tools="${TOOLS:-$PWD/.tools}"
if [ ! -x "$tools/node_modules/.bin/jco" ]; then
  npm install --prefix "$tools" --no-save --no-audit --no-fund \
    @bytecodealliance/jco@1.35 @bytecodealliance/componentize-js@0.23
fi
mkdir -p .build
{
  sed -E 's/^export (function|const|class) /\1 /' jido.js
  grep -v 'from "[^"]*jido\.js";' adapter.js
} > .build/adapter.js
"$tools/node_modules/.bin/jco" componentize "$PWD/.build/adapter.js" --wit "$PWD/wit" --world-name dispatch-adapter \
  --backend quickjs --backend-qjs-disable-async --cwd "$PWD/.build" -o adapter.wasm
echo "built $PWD/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
