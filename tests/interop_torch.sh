#!/usr/bin/env bash
# interop_torch.sh — byolcl's exported encoders in PyTorch give byolcl's features: a short
# ResNet-18 run loaded into torchvision's own resnet18 (3x3 stem, no max-pool, fc = Identity)
# and two small ResNets (28 px; 72 px with the 7x7 stem) through tools/byolcl_torch.py, each
# compared with `byolcl features` on 64 Fashion-MNIST test images (tests/interop_torch.py
# judges: max relative difference under 1e-4). Skips (exit 77, shown by ctest) without python3-torch / python3-torchvision.
# Usage: interop_torch.sh path/to/byolcl SOURCE_DIR
set -u
byolcl=$1 source_dir=$2
data=/usr/share/datasets/fashion-mnist
. "$source_dir/tests/torch_python.sh"
torch_test_needs "numpy, torch, torchvision" "python3-torch python3-torchvision" "$data/t10k-images-idx3-ubyte.gz" \
  "the PyTorch interop check"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # run LOG command...: quiet unless it fails
  local log=$1; shift
  if ! "$@" >"$work/$log" 2>&1; then
    echo "FAIL: $*"; sed 's/^/    /' "$work/$log" | tail -20
    exit 1
  fi
}

# A few steps at small batches: ResNet-18 at 28x28 is slow on a CPU OpenCL device.
run small.train "$byolcl" train --arch small --width 8 --steps 3 --batch 16 --proj-hidden 32 --proj-out 16 \
  --pred-hidden 32 --data "$data" --out "$work/small" --quiet
run r18.train "$byolcl" train --arch resnet18 --steps 2 --batch 4 --proj-hidden 32 --proj-out 16 \
  --pred-hidden 32 --data "$data" --out "$work/r18" --quiet
# At 72 px: the 7x7 stride-2 stem with max-pool, and images resized on both sides.
run big.train "$byolcl" train --arch small --width 4 --image-size 72 --steps 2 --batch 8 --proj-hidden 16 \
  --proj-out 8 --pred-hidden 16 --data "$data" --out "$work/big" --quiet
for run_name in small r18 big; do
  run "$run_name.export" "$byolcl" export --checkpoint "$work/$run_name" --out "$work/$run_name.safetensors"
  run "$run_name.features" "$byolcl" features --checkpoint "$work/$run_name" --data "$data" --split test \
    --max-images 64 --batch 64 --out "$work/$run_name.npy" --labels "$work/$run_name.labels.npy"
done
"$python" "$source_dir/tests/interop_torch.py" "$source_dir/tools" "$data" "$work"
