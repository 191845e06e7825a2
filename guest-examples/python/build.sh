#!/usr/bin/env bash
# Builds app.py into a component with componentize-py, installed from PyPI into ./.tools on
# first use (needs python3 and pip). The guest SDK (adapters/sdk/python/jido_sdk.py) is put
# on the component's Python path.
# Usage: build.sh [DIR] builds DIR/app.py (default: this folder) into DIR/adapter.wasm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "${1:-$here}" && pwd)"
cd "$here"
VERSION=0.25.1
if [ ! -x .tools/bin/componentize-py ]; then
  python3 -m pip install --quiet --target .tools "componentize-py==$VERSION"
fi
cd "$src"
PYTHONPATH="$here/.tools" "$here/.tools/bin/componentize-py" -d "$here/../../wit" -w dispatch-adapter \
  componentize app -p "$src" -p "$here/../../adapters/sdk/python" -o adapter.wasm
echo "built $src/adapter.wasm ($(wc -c < adapter.wasm) bytes)"
