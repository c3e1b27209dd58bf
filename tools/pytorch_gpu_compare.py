#!/usr/bin/env python3
"""pytorch_gpu_compare.py — the BYOL training step of byolcl's models in PyTorch CUDA, timed in
alternation with byolcl's own step (byolcl-bench --step) on the same GPU; prints images/s of
each side and the ratios byolcl / PyTorch, for PyTorch in true FP32 (TF32 off for matmuls and
cuDNN convolutions) and with PyTorch's defaults (which let cuDNN convolutions use TF32 on
Ampere and later GPUs).

Same step on both sides (tools/pytorch_compare.py is the CPU twin; its notes on the
differences apply here too: byolcl decays conv/linear weights only and updates the target's
BN statistics from the online network; PyTorch gets fixed views and byolcl's augmentation
time, reported separately by --step, is subtracted):
  resnet18  ResNet-18 with the 3x3 stride-1 stem and no max-pool (what byolcl builds for small
            images), 32x32x3, basic blocks [2, 2, 2, 2] at widths 64-512 with 1x1 conv + BN
            projection shortcuts, global average pool; projector Linear(512->4096) + BN1d +
            ReLU + Linear(4096->256), predictor Linear(256->4096) + BN1d + ReLU +
            Linear(4096->256); batch 256.
  small     the small ResNet at 28x28x1, width 16 (stem + one basic block per stage at w,
            2w, 4w), heads 4w->512->128; batch 256.
Two views: target forward of both (no gradient), online forward + backward of each view
with the symmetric loss 2 - 2 cos(p, z'), SGD momentum 0.9, weight decay 1.5e-6, EMA of the
target. PyTorch's time is the GPU's (torch.cuda.synchronize after the timed steps).

The sides alternate --rounds times (byolcl, PyTorch FP32, PyTorch defaults, ...) and the
ratios are of the medians, with the median of the rounds' own ratios alongside.

--device cpu runs the PyTorch side on the CPU (and byolcl on --bench-device, e.g. cpu): a dry
run for a machine without a GPU, to check the script end to end with a small --batch.

usage: tools/pytorch_gpu_compare.py [--models resnet18,small] [--batch 256] [--steps 5]
        [--rounds 3] [--precision fp32,default] [--device cuda] [--bench-device gpu]
        [--bench build-gpu/byolcl-bench]
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_compare import have_torch_or_reexec, make_byol_step, median  # noqa: E402

# byolcl-bench --step's arguments and the PyTorch model of each name (see the docstring).
MODELS = {
    "resnet18": dict(arch="resnet18", size=32, channels=3, width=64, blocks=[2, 2, 2, 2], hidden=4096, out=256),
    "small": dict(arch="small", size=28, channels=1, width=16, blocks=[1, 1, 1], hidden=512, out=128),
}
PRECISIONS = ("fp32", "default")


def byolcl_step(bench, bench_device, m, batch, steps):
    """images/s of byolcl's step without the augmentation, and the bench's report."""
    if not os.path.exists(bench):
        sys.exit(f"pytorch_gpu_compare: {bench} not found (build byolcl first)")
    command = [bench, "--device", bench_device, "--step", "--arch", m["arch"], "--width", str(m["width"]),
               "--batch", str(batch), "--image-size", str(m["size"]), "--channels", str(m["channels"]),
               "--steps", str(steps), "--optimizer", "sgd", "--bn-views", "separate"]  # PyTorch's side: per view
    if m["arch"] == "small":
        command += ["--stages", str(len(m["blocks"]))]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"pytorch_gpu_compare: {' '.join(command)} exited with {run.returncode}:\n{run.stdout}{run.stderr}")
    out = run.stdout
    label = f"{m['arch']}-w{m['width']}"

    def median_ms(row):
        # the bench names BYOL's rows "<model> byol <kind>" (--method adds SimCLR's)
        found = re.search(r"^" + re.escape(label) + " (?:byol )?" + re.escape(row) + r"\s+.*?\s([0-9.]+)\s+[0-9.]+\s+\d+\s",
                          out, re.M)
        if not found:
            sys.exit(f"pytorch_gpu_compare: no '{label} {row}' row in the output of {bench}:\n{out}")
        return float(found.group(1))
    step_ms, augment_ms = median_ms("step (wall clock)"), median_ms("augment")
    return batch / ((step_ms - augment_ms) / 1000.0), out.strip()


def make_torch_step(m, batch, device):
    """PyTorch's BYOL step for model m on `device`, and a function that waits for the device."""
    import torch

    step = make_byol_step(m, batch, device, read_loss=False)

    def wait():
        if device == "cuda":
            torch.cuda.synchronize()
    return step, wait


def set_precision(precision, defaults):
    """fp32: TF32 off for matmuls and cuDNN; default: the flags as PyTorch had them."""
    import torch
    matmul, cudnn = (False, False) if precision == "fp32" else defaults
    torch.backends.cuda.matmul.allow_tf32 = matmul
    torch.backends.cudnn.allow_tf32 = cudnn


def torch_images_per_s(step, wait, batch, steps):
    step()  # warm-up after a precision switch (cuDNN picks its algorithms again)
    wait()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    wait()
    return batch * steps / (time.perf_counter() - t0)


def compare(a, name, m, torch_version, defaults):
    step, wait = make_torch_step(m, a.batch, a.device)
    ours_runs, theirs = [], {p: [] for p in a.precision}
    for r in range(a.rounds):
        ours, report = byolcl_step(a.bench, a.bench_device, m, a.batch, a.steps)
        if r == 0:
            print(report)
        ours_runs.append(ours)
        line = f"{name} round {r + 1}: byolcl {ours:.1f} images/s"
        for p in a.precision:
            set_precision(p, defaults)
            theirs[p].append(torch_images_per_s(step, wait, a.batch, a.steps))
            line += f", pytorch {p} {theirs[p][-1]:.1f} (ratio {ours / theirs[p][-1]:.2f})"
        print(line, flush=True)
    ours = median(ours_runs)
    print(f"byolcl (step without augmentation, {a.bench_device}): {name}, batch {a.batch}: {ours:.1f} images/s "
          f"(median of {a.rounds})")
    for p in a.precision:
        t = median(theirs[p])
        ratios = [o / x for o, x in zip(ours_runs, theirs[p])]
        print(f"pytorch {torch_version} {a.device} {p}: {name}, batch {a.batch}: {t:.1f} images/s (median of "
              f"{a.rounds}); byolcl / pytorch = {ours / t:.2f}, median of the rounds' ratios {median(ratios):.2f} "
              f"(range {min(ratios):.2f}-{max(ratios):.2f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="resnet18,small", help="comma-separated: " + ", ".join(MODELS))
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5, help="timed steps per round and side")
    ap.add_argument("--rounds", type=int, default=3, help="alternating byolcl / PyTorch rounds")
    ap.add_argument("--precision", default="fp32,default", help="PyTorch's: fp32 (TF32 off), default, or both")
    ap.add_argument("--device", default="cuda", help="PyTorch's device: cuda, or cpu for a dry run")
    ap.add_argument("--bench-device", default="gpu", help="byolcl-bench's --device")
    ap.add_argument("--bench", default=os.path.join(os.path.dirname(__file__), "..", "build-gpu", "byolcl-bench"))
    a = ap.parse_args()
    names = [n for n in a.models.split(",") if n]
    a.precision = [p for p in a.precision.split(",") if p]
    unknown = [n for n in names if n not in MODELS] + [p for p in a.precision if p not in PRECISIONS]
    if unknown or not names or not a.precision:
        ap.error(f"unknown or missing --models / --precision: {', '.join(unknown) or '(none given)'}")
    if a.rounds < 1 or a.steps < 1 or a.batch < 2:
        ap.error("--rounds and --steps must be at least 1, --batch at least 2 (batch norm)")
    if a.device not in ("cuda", "cpu"):
        ap.error(f"--device must be cuda or cpu (got {a.device})")
    if not have_torch_or_reexec():
        sys.exit("pytorch_gpu_compare: PyTorch is not installed for " + sys.executable)
    import torch
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("pytorch_gpu_compare: PyTorch sees no CUDA device (use --device cpu for a dry run)")
    if a.device == "cuda":
        print(f"pytorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
              f"{torch.cuda.get_device_name(0)}")
    defaults = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    print(f"pytorch defaults: matmul allow_tf32={defaults[0]}, cudnn allow_tf32={defaults[1]}")
    for name in names:
        compare(a, name, MODELS[name], torch.__version__, defaults)
    return 0


if __name__ == "__main__":
    sys.exit(main())
