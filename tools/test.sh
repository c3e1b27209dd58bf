#!/usr/bin/env bash
# test.sh — README command 2: installs what is missing, builds with warnings as errors, and
# runs the whole test suite: the unit tests, the kernel tests under oclgrind, and the unit
# tests again in an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
jobs=$(nproc)

echo "== build (Debug, -Werror)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DBYOLCL_WERROR=ON >/dev/null
cmake --build build-test -j "$jobs"
echo "== unit tests"
(cd build-test && ctest -LE oclgrind --output-on-failure -j "$jobs")
echo "== kernel tests under oclgrind"
(cd build-test && ctest -L oclgrind --output-on-failure -j "$jobs")

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBYOLCL_WERROR=ON -DBYOLCL_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
echo "== unit tests under the sanitizers"
# Leak checking stays off: the OpenCL driver keeps allocations alive until process exit.
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest -LE oclgrind --output-on-failure -j "$jobs")
