#!/usr/bin/env bash
# gpu-check.sh — checks byolcl on a machine with a GPU but no package registry and no
# toolchain guarantees, from a build made on a machine like ours, and writes every result
# into one folder: the device list, each test executable's log (op tests against their
# references on the GPU), and `byolcl-bench --step` for the small ResNet and ResNet-18 and
# `--filter gemm` (else the quick bench).
#
#   here:   cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DBYOLCL_STATIC_DEPS=ON
#           cmake --build build-gpu -j && tools/gpu-check.sh --prepare build-gpu
#   there:  tools/gpu-check.sh [BUILD_DIR (default build-gpu)] [OUT_DIR (default gpu-check-<date>)]
#
# --prepare copies the shared libraries a static build still needs besides the driver (the
# ICD loader libOpenCL.so.1 and libcmocka.so.0 for the tests) into BUILD_DIR/gpu-libs; they
# are used there only when the system lacks them. When /etc/OpenCL/vendors lists no NVIDIA
# ICD but libnvidia-opencl.so.1 exists, the script registers it through an .icd file in a
# temporary folder (OCL_ICD_VENDORS). BYOLCL_GPU_SELECTOR picks the device (default: gpu).
set -uo pipefail
cd "$(dirname "$0")/.."

find_library() { # prints the path of a shared library the dynamic linker or common folders know
  local name=$1 path
  path=$(/sbin/ldconfig -p 2>/dev/null | awk -v n="$name" '$1 == n { print $NF; exit }')
  if [ -z "$path" ]; then
    local IFS_SAVED=$IFS
    IFS=:
    local extra=(${LD_LIBRARY_PATH:-})
    IFS=$IFS_SAVED
    for dir in "${extra[@]}" /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib /usr/local/nvidia/lib64 \
               /usr/lib/x86_64-linux-gnu/nvidia/current /usr/local/cuda/lib64 /usr/local/cuda/compat; do
      if [ -e "$dir/$name" ]; then path="$dir/$name"; break; fi
    done
  fi
  [ -n "$path" ] && echo "$path"
}

if [ "${1:-}" = "--prepare" ]; then
  build=${2:-build-gpu}
  [ -x "$build/byolcl" ] || { echo "gpu-check: build $build first (see the header of $0)" >&2; exit 1; }
  mkdir -p "$build/gpu-libs"
  for lib in libOpenCL.so.1 libcmocka.so.0; do
    path=$(find_library "$lib") || { echo "gpu-check: $lib not found here" >&2; exit 1; }
    cp -L "$path" "$build/gpu-libs/$lib"
  done
  echo "gpu-check: $build is ready; copy the source tree with it and run tools/gpu-check.sh $build"
  exit 0
fi

build=${1:-build-gpu}
out=${2:-gpu-check-$(date +%Y%m%d-%H%M%S)}
selector=${BYOLCL_GPU_SELECTOR:-gpu}
[ -x "$build/byolcl" ] || { echo "gpu-check: no byolcl in $build (see the header of $0)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=$(cd "$build" && pwd)
summary="$out/summary.txt"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }

# Shared libraries the system lacks come from the build's gpu-libs folder.
for lib in libOpenCL.so.1 libcmocka.so.0; do
  if ! find_library "$lib" >/dev/null && [ -e "$build/gpu-libs/$lib" ]; then
    export LD_LIBRARY_PATH="$build/gpu-libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    note "using the build's copy of $lib"
  fi
done

# The NVIDIA ICD: container images often ship the driver library but no vendors file.
icd_dir=""
if ! grep -qsi nvidia /etc/OpenCL/vendors/*.icd && [ -z "${OCL_ICD_VENDORS:-}" ]; then
  if nvidia_lib=$(find_library libnvidia-opencl.so.1); then
    icd_dir=$(mktemp -d)
    echo "$nvidia_lib" >"$icd_dir/nvidia.icd"
    for existing in /etc/OpenCL/vendors/*.icd; do [ -e "$existing" ] && cp "$existing" "$icd_dir/"; done
    export OCL_ICD_VENDORS="$icd_dir"
    note "registered $nvidia_lib through $icd_dir/nvidia.icd (OCL_ICD_VENDORS)"
  fi
fi
trap '[ -n "$icd_dir" ] && rm -rf "$icd_dir"' EXIT

export BYOLCL_CACHE_DIR="$out/cache" BYOLCL_SOURCE_DIR="$PWD" BYOLCL_BINARY_DIR="$build"
export BYOLCL_TEST_DEVICE="$selector" BYOLCL_DEVICE="$selector"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "host: $(uname -a)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  command -v nvidia-smi >/dev/null && nvidia-smi
  echo "OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-} LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  ls -l /etc/OpenCL/vendors 2>&1
  ldd "$build/byolcl"
} >"$out/environment.txt" 2>&1

failures=0
run_step() { # name, timeout seconds, command...
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$out/$name.txt" 2>&1
  local code=$?
  note "$(printf '%-28s exit %3d  %4ds' "$name" "$code" $((SECONDS - start)))"
  [ "$code" -eq 0 ] || failures=$((failures + 1))
  return "$code"
}

run_step devices 120 "$build/byolcl" devices
"$build/byolcl" devices --json >"$out/devices.json" 2>/dev/null
run_step devices-check 300 "$build/byolcl" devices --device "$selector" --check

mkdir -p "$out/tests"
for test in "$build"/tests/test_*; do
  [ -x "$test" ] || continue
  run_step "tests/$(basename "$test")" 900 "$test"
done

if "$build/byolcl-bench" --help 2>/dev/null | grep -q -- '--step'; then
  run_step bench-step 600 "$build/byolcl-bench" --device "$selector" --step --json "$out/bench-step.json"
  # The GPU default model on 32x32 color images, and every model GEMM through both paths.
  run_step bench-step-resnet18 600 "$build/byolcl-bench" --device "$selector" --step --arch resnet18 \
    --image-size 32 --channels 3 --steps 3 --json "$out/bench-step-resnet18.json"
  run_step bench-gemm 600 "$build/byolcl-bench" --device "$selector" --filter gemm --runs 5 --json "$out/bench-gemm.json"
else
  note "byolcl-bench has no --step in this build: running the quick bench instead"
  run_step bench-quick 600 "$build/byolcl-bench" --device "$selector" --quick --json "$out/bench-quick.json"
fi

note "results in $out: $failures failed step(s)"
[ "$failures" -eq 0 ]
