#!/usr/bin/env bash
# Installs the official CloudEvents SDKs the interop tests drive, into this folder on first
# use: the Python SDK from PyPI (./.python, needs python3 >= 3.10 and pip) and the
# JavaScript SDK from npm (./node_modules, needs node and npm).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON_SDK=2.2.0
JS_SDK=10.0.0
if [ ! -f ".python/cloudevents-$PYTHON_SDK.dist-info/METADATA" ]; then
  rm -rf .python
  python3 -m pip install --quiet --disable-pip-version-check --target .python "cloudevents==$PYTHON_SDK"
fi
if [ ! -f node_modules/cloudevents/package.json ] || ! grep -q "\"version\": \"$JS_SDK\"" node_modules/cloudevents/package.json; then
  npm install --silent --no-audit --no-fund --no-save "cloudevents@$JS_SDK" >/dev/null
fi
