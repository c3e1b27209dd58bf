#!/usr/bin/env bash
# quickstart.sh — README command 1: installs what is missing, builds byolcl in Release, and
# runs the main job on the default device: a short BYOL pretraining on Fashion-MNIST (150 steps), then
# the evaluation (kNN and linear probes against a random-init encoder and raw pixels), a
# loss curve and the embedding picture. A few minutes on a 2-core CPU: it shows the pipeline
# working, not what BYOL reaches (the README's Evaluation section has the 30-minute run).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBYOLCL_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"
run="runs/quickstart-$(date +%Y%m%d-%H%M%S)"
./build/byolcl devices
./build/byolcl train --steps 150 --log-every 25 --out "$run"
./build/byolcl eval --checkpoint "$run" --max-train 10000 --max-test 2000 --json "$run/eval.json"
./build/byolcl plot --run "$run" --out "$run/loss.png"
./build/byolcl embed --checkpoint "$run" --out "$run/embed.png"
echo "quickstart: everything is in $run (checkpoint, metrics.jsonl, eval.json, loss.png, embed.png)"
echo "quickstart: 150 steps (0.64 epochs) show the pipeline end to end, not what BYOL reaches: the"
echo "  'minus' lines above compare the encoder with its random initialization and with raw pixels."
echo "  For an encoder worth keeping, train longer: byolcl train --minutes 30 (README, Evaluation)."
