#!/usr/bin/env python3
"""pytorch_compare.py — the BYOL training step of byolcl's small ResNet in PyTorch on the CPU,
timed back to back with byolcl's own step (byolcl-bench --step) on the same machine; prints
images/s of both and the ratio byolcl / PyTorch.

PyTorch is optional: `apt-get install python3-torch` (Debian) provides it; without it the
script says so and exits 0 after timing byolcl alone.

Same step on both sides: small ResNet (stem 3x3 conv 1->w + BN + ReLU; one basic block per
stage at widths w, 2w, 4w, stride 2 at stages 2 and 3 with 1x1 conv + BN projection
shortcuts; global average pool), projector and predictor Linear(4w->512) + BN1d + ReLU +
Linear(512->128), batch B, two views, target forward (BN in training mode, no gradient)
of both views, online forward + backward of both views with the symmetric loss
2 - 2 cos(p, z'), SGD momentum 0.9 with weight decay 1.5e-6 on every parameter, EMA of
the target. Differences: byolcl applies weight decay to conv/linear weights only and
updates the target's BN running statistics from the online network; PyTorch here decays
every parameter (torch.optim.SGD has no per-parameter mask without param groups, which
would not change the cost). PyTorch gets fixed views; byolcl-bench --step augments both views on
the device and reports that time separately, and it is subtracted here.

The two sides alternate --rounds times (default 3) and the ratio is of their medians: on a
shared machine a neighbour's burst lands on one side of a single pair and moves its ratio by
20% or more. With several rounds the median of the rounds' own ratios (each pair measured
back to back) is printed as well: it follows a slow drift of the machine's speed that moves
both sides, which the ratio of medians mixes across rounds.

usage: tools/pytorch_compare.py [--width 16] [--batch 256] [--steps 5] [--threads 2]
                                [--rounds 3] [--bench build/byolcl-bench]
"""
import argparse
import os
import re
import subprocess
import sys
import time


def byolcl_step(bench, width, batch, steps):
    """images/s of byolcl's step without the augmentation (PyTorch's side has none), and the
    bench's report."""
    if not os.path.exists(bench):
        sys.exit(f"pytorch_compare: {bench} not found (build byolcl first: cmake --build build)")
    out = subprocess.run([bench, "--step", "--arch", "small", "--width", str(width), "--batch", str(batch),
                          "--steps", str(steps), "--optimizer", "sgd", "--stages", "3", "--bn-views", "separate"],
                         check=True, capture_output=True, text=True).stdout
    def median_ms(row):
        m = re.search(r"^small-w\d+ (?:byol )?" + re.escape(row) + r"\s+.*?\s([0-9.]+)\s+[0-9.]+\s+\d+\s", out, re.M)
        if not m:
            sys.exit(f"pytorch_compare: no '{row}' row in the output of {bench}:\n{out}")
        return float(m.group(1))
    step_ms, augment_ms = median_ms("step (wall clock)"), median_ms("augment")
    return batch / ((step_ms - augment_ms) / 1000.0), out.strip()


def build_networks(m):
    """BYOL's online network, predictor and target for model m (a dict: channels, width,
    blocks per stage, head hidden and out sizes), as PyTorch modules on the CPU: stem 3x3 conv
    + BN + ReLU, basic blocks (stride 2 first in every stage after the first, 1x1 conv + BN
    projection shortcuts), global average pool; heads Linear + BN1d + ReLU + Linear."""
    import torch.nn as nn
    import torch.nn.functional as F

    def conv_bn(cin, cout, k, stride, relu=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        return nn.Sequential(*layers)

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.a = conv_bn(cin, cout, 3, stride)
            self.b = conv_bn(cout, cout, 3, 1, relu=False)
            self.short = conv_bn(cin, cout, 1, stride, relu=False) if (stride != 1 or cin != cout) else None

        def forward(self, x):
            s = x if self.short is None else self.short(x)
            return F.relu(self.b(self.a(x)) + s)

    def encoder():
        w, cin = m["width"], m["width"]
        layers = [conv_bn(m["channels"], w, 3, 1)]
        for stage, blocks in enumerate(m["blocks"]):
            for b in range(blocks):
                layers.append(Block(cin, w << stage, 2 if stage > 0 and b == 0 else 1))
                cin = w << stage
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()), cin

    def head(i):
        return nn.Sequential(nn.Linear(i, m["hidden"]), nn.BatchNorm1d(m["hidden"]), nn.ReLU(inplace=True),
                             nn.Linear(m["hidden"], m["out"]))

    enc, features = encoder()
    online = nn.Sequential(enc, head(features))
    predictor = head(m["out"])
    target = nn.Sequential(encoder()[0], head(features))
    target.load_state_dict(online.state_dict())
    return online, predictor, target


def make_byol_step(m, batch, device="cpu", read_loss=True):
    """One BYOL step of model m (build_networks, plus size: the image side) on `device`, on
    fixed random views; read_loss reads each view's loss back (free on the CPU; on a GPU a
    wait for the device twice per step)."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(1)
    online, predictor, target = (net.to(device) for net in build_networks(m))
    for p in target.parameters():
        p.requires_grad_(False)
    params = list(online.parameters()) + list(predictor.parameters())
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1.5e-6)
    views = [torch.rand(batch, m["channels"], m["size"], m["size"], device=device) * 2 - 1 for _ in range(2)]

    def loss_fn(p, z):
        return (2 - 2 * F.cosine_similarity(p, z, dim=-1)).mean()

    def step():
        with torch.no_grad():
            z = [target(v) for v in views]
        opt.zero_grad(set_to_none=False)
        loss = 0.0
        for v in range(2):  # each view's forward then its backward, as byolcl does
            term = loss_fn(predictor(online(views[v])), z[1 - v])
            term.backward()
            if read_loss:
                loss += float(term)
        opt.step()
        with torch.no_grad():
            for t, o in zip(target.parameters(), online.parameters()):
                t.mul_(0.99).add_(o, alpha=0.01)
        return loss
    return step


def make_torch_step(width, batch, threads):
    """PyTorch's step function for the model above, and torch's version."""
    import torch

    torch.set_num_threads(threads)
    step = make_byol_step(dict(channels=1, size=28, width=width, blocks=[1, 1, 1], hidden=512, out=128), batch)
    step()  # warm-up
    return step, torch.__version__


def torch_images_per_s(step, batch, steps):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - t0)


def have_torch_or_reexec():
    """True when torch imports; else this script restarts under /usr/bin/python3 when that one
    has it (Debian's python3-torch belongs to it, and a pyenv or venv hides it); else False."""
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        system = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system) and \
                subprocess.run([system, "-c", "import torch"], capture_output=True).returncode == 0:
            os.execv(system, [system] + sys.argv)
        return False


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="alternating byolcl / PyTorch runs")
    ap.add_argument("--bench", default=os.path.join(os.path.dirname(__file__), "..", "build", "byolcl-bench"))
    a = ap.parse_args()
    have_torch = have_torch_or_reexec()
    if a.rounds < 1:
        ap.error(f"--rounds must be at least 1 (got {a.rounds})")
    ours, report = byolcl_step(a.bench, a.width, a.batch, a.steps)
    print(report)
    if not have_torch:
        print("pytorch_compare: PyTorch is not installed (apt-get install python3-torch); "
              "timed byolcl only")
        return 0
    step, version = make_torch_step(a.width, a.batch, a.threads)
    ours_runs, theirs_runs = [ours], []
    for r in range(a.rounds):
        if r > 0:
            ours_runs.append(byolcl_step(a.bench, a.width, a.batch, a.steps)[0])
        theirs_runs.append(torch_images_per_s(step, a.batch, a.steps))
        print(f"round {r + 1}: byolcl {ours_runs[-1]:.1f} images/s, pytorch {theirs_runs[-1]:.1f} images/s, "
              f"ratio {ours_runs[-1] / theirs_runs[-1]:.2f}")
    ours, theirs = median(ours_runs), median(theirs_runs)
    print(f"byolcl (step without augmentation): small w{a.width}, batch {a.batch}: {ours:.1f} images/s "
          f"(median of {a.rounds})")
    print(f"pytorch {version} ({a.threads} threads): small w{a.width}, batch {a.batch}: {theirs:.1f} images/s "
          f"(median of {a.rounds})")
    print(f"byolcl / pytorch = {ours / theirs:.2f}")
    if a.rounds > 1:
        ratios = [o / t for o, t in zip(ours_runs, theirs_runs)]
        print(f"byolcl / pytorch, median of the {a.rounds} rounds' ratios = {median(ratios):.2f} "
              f"(range {min(ratios):.2f}-{max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
