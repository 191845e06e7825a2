#!/usr/bin/env bash
# Runs the jido-dispatch conformance kit against adapter.wasm (build it first: ./build.sh).
# JIDO_DISPATCH names the jido-dispatch binary (default: the one on PATH).
set -euo pipefail
cd "$(dirname "$0")"
"${JIDO_DISPATCH:-jido-dispatch}" adapter test adapter.wasm --opts '{{opts}}' {{stubs}}"$@"
