#!/usr/bin/env bash
# Builds adapter.js into a component with jco + componentize-js (QuickJS backend), both
# installed from npm into ./.tools on first use (needs Node.js and npm). Output: ./adapter.wasm
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .tools/node_modules/.bin/jco ]; then
  npm install --prefix .tools --no-save --no-audit --no-fund \
    @bytecodealliance/jco@1.35 @bytecodealliance/componentize-js@0.23
fi
.tools/node_modules/.bin/jco componentize adapter.js --wit ../../wit --world-name dispatch-adapter \
  --backend quickjs --backend-qjs-disable-async --cwd "$PWD" -o adapter.wasm
echo "built $PWD/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
