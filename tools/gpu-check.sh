#!/usr/bin/env bash
# gpu-check.sh — the one prepared script a GPU session runs: checks and measures byolcl on a
# machine with a GPU but no package registry and no toolchain guarantees, from a build made
# on a machine like ours, each step under its own time limit and the whole within
# GPU_CHECK_SECONDS (default 480), and writes every result into one folder:
#   devices      the device list and `byolcl devices --check`
#   tests/       each test executable's log (op tests against their references on the GPU,
#                most relevant first, while the tests' time budget lasts)
#   bench-gemm   the GEMMs of the models (small ResNet, ResNet-18) and the squares up to 4096,
#                ours and CLBlast, with the measured FMA peak (each row's % of it)
#   step-before  `byolcl-bench --step` for ResNet-18 at 32x32x3 (batch 256) and the small
#                ResNet, on the untuned defaults
#   tune         `byolcl-bench --tune --tune-seconds 90`: our GPU GEMM's sizes, the implicit-GEMM
#                convolutions' (ResNet-18's three passes at batch 256) and split-k, 90 s shared
#                between the three, saved as this device's profile in the results' kernel cache
#                (and copied beside the results); tune.txt has the before / after tables
#   step-after   the same steps on the tuned profile (every later step loads it: the bench's
#                header names the profile file it loaded)
#   pytorch      tools/pytorch_gpu_compare.py: the same BYOL steps in PyTorch CUDA (FP32 with TF32
#                off, and PyTorch's defaults), alternating with byolcl's
#   train, eval  a short `byolcl train --device gpu` on Fashion-MNIST and `byolcl eval` of it
#   summary.txt  one line per step: exit code and seconds
#
#   here:   cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DBYOLCL_STATIC_DEPS=ON
#           cmake --build build-gpu -j && tools/gpu-check.sh --prepare build-gpu
#   there:  tools/gpu-check.sh [--device SELECTOR] [--quick] [BUILD_DIR (default build-gpu)] [RESULTS_DIR]
#   dry run on a CPU driver: tools/gpu-check.sh --device cpu --quick build-test /tmp/gpu-check-dry
#
# --prepare copies the shared libraries a static build still needs besides the driver (the
# ICD loader libOpenCL.so.1 and libcmocka.so.0 for the tests) into BUILD_DIR/gpu-libs, and a
# Fashion-MNIST subset (the first 12000 training images and the whole test split, ~10 MB)
# into BUILD_DIR/gpu-data/fashion-mnist for the training run; they are used there only when
# the system lacks them. When /etc/OpenCL/vendors lists no NVIDIA ICD but
# libnvidia-opencl.so.1 exists, the script registers it through an .icd file in a temporary
# folder (OCL_ICD_VENDORS). --device (or BYOLCL_GPU_SELECTOR) picks the device (default:
# gpu). --quick shrinks every step to a smoke test (tiny batches, one test program), for a
# dry run on a CPU driver. With $OUT set (the device machine's return folder) the results
# also go there as summary.txt and gpu-check.tar.gz (that folder takes only a few files).
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
  source_data=${BYOLCL_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
  [ -e "$source_data/train-images-idx3-ubyte.gz" ] || { echo "gpu-check: no Fashion-MNIST in $source_data" >&2; exit 1; }
  mkdir -p "$build/gpu-data/fashion-mnist"
  python3 - "$source_data" "$build/gpu-data/fashion-mnist" 12000 <<'PY' || exit 1
import gzip, shutil, struct, sys
src, dst, keep = sys.argv[1], sys.argv[2], int(sys.argv[3])
for name, header in (("train-images-idx3-ubyte", 16), ("train-labels-idx1-ubyte", 8)):
    with gzip.open(f"{src}/{name}.gz") as f:
        data = f.read()
    dims = struct.unpack(">I", data[8:12])[0] * struct.unpack(">I", data[12:16])[0] if header == 16 else 1
    out = data[:4] + struct.pack(">I", keep) + data[8:header] + data[header:header + keep * dims]
    with gzip.open(f"{dst}/{name}.gz", "wb") as f:
        f.write(out)
for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
    shutil.copy(f"{src}/{name}.gz", f"{dst}/{name}.gz")
PY
  echo "gpu-check: $build is ready; copy the source tree with it and run tools/gpu-check.sh $build"
  exit 0
fi

selector=${BYOLCL_GPU_SELECTOR:-gpu}
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --device) selector=${2:?gpu-check: --device needs a selector}; shift 2 ;;
    --quick) quick=1; shift ;;
    --*) echo "gpu-check: unknown flag $1 (see the header of $0)" >&2; exit 2 ;;
    *) break ;;
  esac
done
build=${1:-build-gpu}
stamp=$(date +%Y%m%d-%H%M%S)
out=${2:-${OUT:+/tmp/}gpu-check-$stamp}
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
# The whole run ends within GPU_CHECK_SECONDS (default 480): a step gets what is left of it
# at most, and the steps after that are skipped, so the results always come back whole.
deadline=$((SECONDS + ${GPU_CHECK_SECONDS:-480}))
run_step() { # name, timeout seconds, command...
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS left=$((deadline - SECONDS))
  if [ "$left" -lt 10 ]; then
    note "$(printf '%-28s skipped: the run'"'"'s %ss are spent' "$name" "${GPU_CHECK_SECONDS:-480}")"
    failures=$((failures + 1))
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  timeout -k 10 "$limit" "$@" >"$out/$name.txt" 2>&1
  local code=$?
  note "$(printf '%-28s exit %3d  %4ds' "$name" "$code" $((SECONDS - start)))"
  [ "$code" -eq 0 ] || failures=$((failures + 1))
  return "$code"
}
bench="$build/byolcl-bench"
# Sizes of each step: the GPU run, or --quick (a smoke test of the script on a CPU driver).
if [ "$quick" = 1 ]; then
  tests_budget=240 test_order="test_gemm" step_args=(--quick --steps 1) tune_args=(--tune-gemm-gpu --quick)
  compare_args=(--device cpu --models small --batch 2 --steps 1 --rounds 1)
  train_args=(--arch small --batch 8 --steps 2 --log-every 1)
  eval_args=(--max-train 200 --max-test 100 --probe-epochs 1 --fractions 1 --no-baseline)
  export BYOLCL_TEST_SMALL=1
else
  tests_budget=90 step_args=(--steps 3) tune_args=(--tune --tune-seconds 90)
  test_order="test_gemm test_linear test_conv2d test_conv2d_wgrad test_batchnorm test_elementwise test_loss test_pool
              test_optimizer test_augment test_network test_byol_step"
  compare_args=(--models resnet18,small --batch 256 --steps 3 --rounds 2)
  train_args=(--steps 60 --log-every 10)
  eval_args=(--max-train 5000 --max-test 2000 --probe-epochs 20 --fractions 1,0.1)
fi

run_step devices 60 "$build/byolcl" devices
"$build/byolcl" devices --json >"$out/devices.json" 2>/dev/null
run_step devices-check 120 "$build/byolcl" devices --device "$selector" --check

# Test programs, the ones this GPU path touches first, then the rest, while the budget lasts.
mkdir -p "$out/tests"
tests_end=$((SECONDS + tests_budget))
ordered=()
for name in $test_order; do [ -x "$build/tests/$name" ] && ordered+=("$build/tests/$name"); done
if [ "$quick" = 0 ]; then
  for test in "$build"/tests/test_*; do
    case " $test_order " in *" $(basename "$test") "*) continue ;; esac
    [ -x "$test" ] && ordered+=("$test")
  done
fi
for test in "${ordered[@]}"; do
  left=$((tests_end - SECONDS))
  if [ "$left" -lt 5 ]; then note "tests/$(basename "$test"): skipped (tests' ${tests_budget}s spent)"; continue; fi
  run_step "tests/$(basename "$test")" "$left" "$test"
done

if ! "$bench" --help 2>/dev/null | grep -q -- '--tune-gemm-gpu'; then
  note "byolcl-bench in $build predates the GPU GEMM: rebuild it"
  exit 1
fi
# The model's GEMMs and the squares against the measured FMA peak (% peak column).
if [ "$quick" = 1 ]; then
  run_step bench-gemm 300 "$bench" --device "$selector" --quick --filter gemm/square --json "$out/bench-gemm.json"
else
  run_step bench-gemm 60 "$bench" --device "$selector" --filter gemm/ --runs 3 --budget-ms 100 --json "$out/bench-gemm.json"
fi
steps() { # name: ResNet-18 at 32x32x3 and the small ResNet at 28x28x1, batch 256 (--quick: the small one)
  if [ "$quick" = 0 ]; then
    run_step "$1-resnet18" 90 "$bench" --device "$selector" --step --arch resnet18 --image-size 32 --channels 3 \
      --batch 256 "${step_args[@]}" --json "$out/$1-resnet18.json"
  fi
  run_step "$1-small" 90 "$bench" --device "$selector" --step --arch small --width 16 "${step_args[@]}" \
    --json "$out/$1-small.json"
}
steps step-before
# The tuned profile lands in $BYOLCL_CACHE_DIR (the results' cache), which the later steps load.
# 90 s of searches, then CLBlast's timing, the peak and the before / after tables: 150 s at most.
run_step tune 150 "$bench" --device "$selector" "${tune_args[@]}"
cp "$BYOLCL_CACHE_DIR"/profiles/*.profile "$out/" 2>/dev/null
steps step-after
run_step pytorch 150 python3 tools/pytorch_gpu_compare.py --bench "$bench" --bench-device "$selector" "${compare_args[@]}"

data=/usr/share/datasets/fashion-mnist
[ -e "$data/train-images-idx3-ubyte.gz" ] || data="$build/gpu-data/fashion-mnist"
run_step train 150 "$build/byolcl" train --device "$selector" --data "$data" "${train_args[@]}" --out "$out/train-run"
run_step eval 120 "$build/byolcl" eval --device "$selector" --checkpoint "$out/train-run" "${eval_args[@]}" \
  --json "$out/eval.json"

note "results in $out: $failures failed step(s)"
if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then
  cp "$summary" "$OUT/summary.txt"
  tar -czf "$OUT/gpu-check.tar.gz" -C "$(dirname "$out")" --exclude=cache --exclude='*.ckpt' "$(basename "$out")"
fi
[ "$failures" -eq 0 ]
