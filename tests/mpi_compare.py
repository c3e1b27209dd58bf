#!/usr/bin/env python3
"""mpi_compare.py — what tests/mpi_test.sh checks between two runs: the per-step losses of
their metrics.jsonl, the arenas of their checkpoints (src/byol/checkpoint.c's layout:
"BYOLCKPT", u32 version, u32 section count, u64 checksum, then per section a 32-byte name,
u64 size, u64 checksum and the bytes), and a checkpoint's step and rank count.

  mpi_compare.py losses RUN_A RUN_B TOLERANCE   same steps, |loss difference| <= TOLERANCE
  mpi_compare.py params RUN_A RUN_B TOLERANCE   every float of the arenas within TOLERANCE
                                                (relative, absolute below 1)
  mpi_compare.py info RUN                       prints "step S ranks R" of the checkpoint
"""
import json
import struct
import sys

ARENAS = ("online.params", "online.state", "online.momentum", "target.params", "target.state")


def sections(run):
    with open(run + "/checkpoint.ckpt", "rb") as f:
        blob = f.read()
    if blob[:8] != b"BYOLCKPT":
        sys.exit(f"{run}: not a byolcl checkpoint")
    count = struct.unpack_from("<I", blob, 12)[0]
    at, out = 24, {}
    for _ in range(count):
        name = blob[at:at + 32].split(b"\0")[0].decode()
        size = struct.unpack_from("<Q", blob, at + 32)[0]
        at += 48
        out[name] = blob[at:at + size]
        at += size
    return out


def losses(run):
    with open(run + "/metrics.jsonl") as f:
        return {r["step"]: r["loss"] for r in map(json.loads, f)}


def main():
    what, runs = sys.argv[1], sys.argv[2:]
    if what == "info":
        s = sections(runs[0])
        # TrainProgress starts with the int64 steps done.
        step = struct.unpack_from("<q", s["progress"], 0)[0]
        ranks = struct.unpack("<i", s["ranks"])[0] if "ranks" in s else 1
        print(f"step {step} ranks {ranks}")
        return
    a, b, tolerance = runs[0], runs[1], float(runs[2])
    worst, where = 0.0, ""
    if what == "losses":
        la, lb = losses(a), losses(b)
        if sorted(la) != sorted(lb):
            sys.exit(f"the runs logged different steps: {sorted(la)} / {sorted(lb)}")
        for step in sorted(la):
            d = abs(la[step] - lb[step])
            if d > worst:
                worst, where = d, f"step {step}: {la[step]} vs {lb[step]}"
    else:
        sa, sb = sections(a), sections(b)
        for name in ARENAS:
            if name not in sa and name not in sb:
                continue  # SimCLR has no target
            fa = struct.unpack(f"<{len(sa[name]) // 4}f", sa[name])
            fb = struct.unpack(f"<{len(sb[name]) // 4}f", sb[name])
            for i, (x, y) in enumerate(zip(fa, fb)):
                d = abs(x - y) / max(1.0, abs(x))
                if d > worst:
                    worst, where = d, f"{name}[{i}]: {x} vs {y}"
    print(f"{what}: largest difference {worst:.3g} ({where or 'none'}), tolerance {tolerance:g}")
    if worst > tolerance:
        sys.exit(1)


main()
