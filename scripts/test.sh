#!/usr/bin/env bash
# Installs what is missing, builds ganpp's tests and examples with warnings as errors, and runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
start=$(date +%s)
cmake --preset release
cmake --build --preset release
built=$(date +%s)
ctest --preset release
echo "build: $((built - start)) s, tests: $(($(date +%s) - built)) s"
