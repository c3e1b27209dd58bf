#!/usr/bin/env python3
"""gemm_rounds.py — issue 9's GEMM target as a table: runs `byolcl-bench --filter gemm` several
times back to back and prints, for every product, the median GFLOP/s of ours, CLBlast and
OpenBLAS over the runs and the median (and range) of the runs' own ours / OpenBLAS ratios,
then how many products reach the threshold (0.75x) in the median. Each run's ratio is the
median over pairs of runs timed in alternation (ours, OpenBLAS, ours, ...), which byolcl-bench
does for every product when built with OpenBLAS: both sides of a pair see the same moment.

One run is not enough on a shared machine: on the 2-core CI VM the same product's ratio moved
by up to 3x between runs minutes apart. Needs a byolcl-bench built with OpenBLAS
(libopenblas-dev, -DBYOLCL_BENCH_OPENBLAS=ON). On this VM OpenBLAS picks a slow kernel unless
OPENBLAS_CORETYPE names the CPU (e.g. OPENBLAS_CORETYPE=SkylakeX), so the README's runs set it.

usage: tools/gemm_rounds.py [--rounds 5] [--filter gemm] [--runs 5] [--threshold 0.75]
                            [--bench build/byolcl-bench]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def one_run(bench, filter_text, runs, json_path):
    """Rows of one byolcl-bench run: {(name, shape): {kind: (gflops, median_ms)}}."""
    command = [bench, "--filter", filter_text, "--runs", str(runs), "--json", json_path]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"gemm_rounds: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    with open(json_path) as f:
        rows = json.load(f)["rows"]
    products = {}
    for row in rows:
        if row["section"] != "gemm":
            continue
        impl = row["implementation"]
        kind = "ours" if impl.startswith("ours") else impl.split()[0]
        products.setdefault((row["name"], row["shape"]), {})[kind] = (row["gflops"], row["median_ms"])
        if kind == "ours" and row.get("paired_with") == "openblas":
            products[(row["name"], row["shape"])]["paired"] = row["speedup_median"]
    return products


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--filter", default="gemm")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case inside each bench run")
    parser.add_argument("--threshold", type=float, default=0.75)
    parser.add_argument("--bench", default="build/byolcl-bench")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not os.access(args.bench, os.X_OK):
        parser.error(f"--bench {args.bench}: not an executable (build byolcl first)")

    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.rounds):
            runs.append(one_run(args.bench, args.filter, args.runs, os.path.join(folder, f"run{r}.json")))
            print(f"run {r + 1} of {args.rounds} done", file=sys.stderr)

    passing = counted = 0
    print("| GEMM (m x n x k) | ours | CLBlast | OpenBLAS | ours / OpenBLAS (range) |")
    print("|---|---|---|---|---|")
    for key in runs[0]:
        kinds = [run[key] for run in runs if key in run]
        if not all("ours" in k and "openblas" in k for k in kinds):
            continue  # a bench built without OpenBLAS
        ratios = [k["paired"] if "paired" in k else k["openblas"][1] / k["ours"][1] for k in kinds]
        ratio = statistics.median(ratios)
        cells = [f"{statistics.median(k[kind][0] for k in kinds):.1f}" if all(kind in k for k in kinds) else "-"
                 for kind in ("ours", "clblast", "openblas")]
        counted += 1
        passing += ratio >= args.threshold
        print(f"| {key[0]} `{key[1]}` | {' | '.join(cells)} | {ratio:.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |")
    if counted == 0:
        sys.exit("gemm_rounds: no product had an OpenBLAS row: build byolcl-bench with -DBYOLCL_BENCH_OPENBLAS=ON")
    print(f"\n{passing} of {counted} products at {args.threshold}x OpenBLAS or better "
          f"(median of {args.rounds} runs)")


if __name__ == "__main__":
    main()
