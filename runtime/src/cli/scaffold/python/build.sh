#!/usr/bin/env bash
# Builds app.py (with adapter.py and the SDK, jido_sdk.py) into adapter.wasm with
# componentize-py, installed from PyPI into ./.tools on first use (needs python3 and pip;
# TOOLS names another folder holding it).
set -euo pipefail
cd "$(dirname "$0")"
tools="${TOOLS:-$PWD/.tools}"
if [ ! -x "$tools/bin/componentize-py" ]; then
  python3 -m pip install --quiet --target "$tools" "componentize-py==0.25.1"
fi
PYTHONPATH="$tools" "$tools/bin/componentize-py" -d wit -w dispatch-adapter componentize app -p . -o adapter.wasm
echo "built $PWD/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
