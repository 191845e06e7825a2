#!/usr/bin/env bash
# Builds the Slack-message transform into a component: needs only rustup (adds the
# wasm32-wasip2 target).
# Output: target/wasm32-wasip2/release/jido_example_slack_transform.wasm (repository target dir).
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2
cargo build --release --target wasm32-wasip2 -p jido-example-slack-transform
echo "built $(cd ../.. && pwd)/target/wasm32-wasip2/release/jido_example_slack_transform.wasm"
