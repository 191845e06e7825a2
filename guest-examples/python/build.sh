#!/usr/bin/env bash
# Builds app.py into a component with componentize-py, installed from PyPI into ./.tools on
# first use (needs python3 and pip). Output: ./adapter.wasm
set -euo pipefail
cd "$(dirname "$0")"
VERSION=0.25.1
if [ ! -x .tools/bin/componentize-py ]; then
  python3 -m pip install --quiet --target .tools "componentize-py==$VERSION"
fi
PYTHONPATH="$PWD/.tools" .tools/bin/componentize-py -d ../../wit -w dispatch-adapter componentize app -o adapter.wasm
echo "built $PWD/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
