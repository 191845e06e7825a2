#!/usr/bin/env bash
# Builds the crate into adapter.wasm for wasm32-wasip2 (the target is added with rustup on
# first use; needs only a Rust toolchain).
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo build --release --target wasm32-wasip2
cp "target/wasm32-wasip2/release/$(sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | head -1 | tr - _).wasm" adapter.wasm
echo "built $PWD/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
