#!/usr/bin/env bash
# pytorch_train_smoke.sh — tools/pytorch_train.py runs end to end: a few BYOL steps on a small
# Fashion-MNIST subset with the non-default choices switched on (BN over both views, LARS on
# every parameter, target BN in eval mode, averaged loss), then its kNN and probe evaluation;
# fails on any error or a non-finite loss. Skips (exit 77) without numpy + torch or the data.
# Usage: pytorch_train_smoke.sh SOURCE_DIR
set -u
source_dir=$1
data=/usr/share/datasets/fashion-mnist
. "$source_dir/tests/torch_python.sh"
torch_test_needs "numpy, torch" "python3-torch" "$data/train-images-idx3-ubyte.gz" "pytorch_train.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! "$python" "$source_dir/tools/pytorch_train.py" --data "$data" --steps 4 --batch 16 --max-train-images 128 \
    --width 4 --proj-hidden 16 --proj-out 8 --max-train 200 --max-test 100 --probe-epochs 1 --log-every 2 \
    --bn-views concat --optimizer lars --wd-mask all --target-bn eval --loss mean --threads 1 \
    --out "$work/run" >"$work/log" 2>&1; then
  echo "FAIL: pytorch_train.py"; sed 's/^/    /' "$work/log" | tail -20
  exit 1
fi
cat "$work/log"
grep -q "^step 4/4 loss [0-9]" "$work/log" || { echo "FAIL: no finite loss at step 4"; exit 1; }
grep -q "^trained: kNN [0-9]" "$work/log" || { echo "FAIL: no evaluation row"; exit 1; }
for f in encoder.pt train.npy test.npy results.json; do
  [ -s "$work/run/$f" ] || { echo "FAIL: $f was not written"; exit 1; }
done
echo "ok: pytorch_train.py trains, evaluates and writes its outputs"
