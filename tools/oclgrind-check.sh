#!/usr/bin/env bash
# oclgrind-check.sh — runs one test executable under oclgrind (out-of-bounds accesses, data
# races, uninitialized reads, API misuse) and fails on any problem oclgrind reports, not only
# on the exit code: oclgrind prints its findings and lets the program go on.
# BYOLCL_KEEP_RELEASED_BUFFERS works around an oclgrind bug (see buffer_release).
# Kernel code avoids what oclgrind 21.10 cannot simulate: % next to / on the same operands
# (LLVM joins them through a `freeze`), llvm.abs, float3 shuffles, and, under
# --uninitialized, scalars taken out of a float8/float16 (v.s0, v.lo: heap corruption that
# shows in the next kernel; cl/common.cl's lane_sumN goes through private memory instead).
set -u
if ! command -v oclgrind >/dev/null 2>&1; then
  echo "oclgrind-check: oclgrind is not installed (apt-get install oclgrind)" >&2
  exit 1
fi
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
BYOLCL_TEST_SMALL=1 BYOLCL_NO_CACHE=1 BYOLCL_DEVICE=auto BYOLCL_TEST_DEVICE=auto \
  BYOLCL_KEEP_RELEASED_BUFFERS=1 \
  oclgrind --check-api --data-races --uninitialized "$@" >"$out" 2>"$err"
status=$?
cat "$out"
cat "$err" >&2
if grep -qiE "Oclgrind - |Invalid (read|write)|data race|uninitiali[sz]ed|runtime error" "$err"; then
  echo "oclgrind-check: oclgrind reported problems in $*" >&2
  exit 1
fi
# The kernels must really have run on the simulator, not on another driver.
if ! grep -q "test device: Oclgrind" "$out"; then
  echo "oclgrind-check: the test did not run on the Oclgrind device" >&2
  exit 1
fi
exit $status
