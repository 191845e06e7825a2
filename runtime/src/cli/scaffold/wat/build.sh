#!/usr/bin/env bash
# Builds adapter.wat into adapter.wasm with wasm-tools, installed from crates.io into ./.tools
# on first use (needs only a Rust toolchain; TOOLS names another folder holding it).
set -euo pipefail
cd "$(dirname "$0")"
version=1.263.0
tools="${TOOLS:-$PWD/.tools}"
if [ ! -x "$tools/bin/wasm-tools" ] || ! "$tools/bin/wasm-tools" --version | grep -q "$version"; then
  cargo install wasm-tools --version "$version" --locked --root "$tools"
fi
mkdir -p .build
"$tools/bin/wasm-tools" component embed wit --world dispatch-adapter adapter.wat -o .build/embedded.wasm
"$tools/bin/wasm-tools" component new .build/embedded.wasm -o adapter.wasm
"$tools/bin/wasm-tools" validate adapter.wasm
echo "built $PWD/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
