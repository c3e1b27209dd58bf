#!/usr/bin/env bash
# quickstart.sh — README command 1: installs what is missing, builds byolcl in Release and
# runs the main job on the default device.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBYOLCL_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"
./build/byolcl devices
