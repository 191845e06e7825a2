#!/usr/bin/env bash
# Builds the Slack example into a component: needs only rustup (adds the wasm32-wasip2 target).
# Output: target/wasm32-wasip2/release/jido_example_slack.wasm (in the repository's target dir).
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2
cargo build --release --target wasm32-wasip2 -p jido-example-slack
echo "built $(cd ../.. && pwd)/target/wasm32-wasip2/release/jido_example_slack.wasm"
