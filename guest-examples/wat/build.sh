#!/usr/bin/env bash
# Builds adapter.wat into a component with wasm-tools, installed into ./.tools on first use
# (from crates.io; needs only a Rust toolchain). Output: ./adapter.wasm
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS_VERSION=1.263.0
tools="$PWD/.tools"
if [ ! -x "$tools/bin/wasm-tools" ] || ! "$tools/bin/wasm-tools" --version | grep -q "$WASM_TOOLS_VERSION"; then
  cargo install wasm-tools --version "$WASM_TOOLS_VERSION" --locked --root "$tools"
fi
# Attach the world's type information to the core module, then make it a component.
"$tools/bin/wasm-tools" component embed ../../wit --world dispatch-adapter adapter.wat -o .tools/embedded.wasm
"$tools/bin/wasm-tools" component new .tools/embedded.wasm -o adapter.wasm
"$tools/bin/wasm-tools" validate adapter.wasm
echo "built $PWD/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
