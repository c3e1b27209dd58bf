#!/usr/bin/env bash
# compare_methods.sh — BYOL against SimCLR and the paper's two collapse ablations of BYOL
# (no predictor; tau 0: target = online with a stop-gradient) on the same data, device,
# steps, batch and seed: trains each run, evaluates each with `byolcl eval`, and writes
#   DIR/table.md      kNN, linear probe at 100/10/1% labels, final collapse monitor, the
#                     step it first fell below 0.1/sqrt(d), images/s; the random-init row
#   DIR/collapse.png  every run's collapse monitor over the steps (byolcl plot --run A,B,..)
#   DIR/embed.png     the test features by PCA, random init and each run side by side
# Usage: tools/compare_methods.sh [--steps N | --epochs N] [--batch N] [--out DIR]
#        [--byolcl PATH] [--eval "EVAL FLAGS"] [--runs "byol simclr ..."] [-- TRAIN FLAGS]
# Everything after -- goes to every `byolcl train` (e.g. --data, --device, --seed). Run again
# with the same --out, it continues stopped runs, keeps finished ones and evaluates again.
set -euo pipefail
cd "$(dirname "$0")/.."

byolcl=./build/byolcl
out="runs/compare-$(date +%Y%m%d-%H%M%S)"
length=(--epochs 5)
batch=256
eval_flags="--max-train 10000 --max-test 2000"
runs="byol simclr byol-no-predictor byol-tau0"
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --steps | --epochs) length=("$1" "$2"); shift 2 ;;
        --batch) batch="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --byolcl) byolcl="$2"; shift 2 ;;
        --eval) eval_flags="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h | --help) sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare_methods.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -x "$byolcl" ] || { echo "compare_methods.sh: no byolcl at $byolcl (build it, or pass --byolcl PATH)" >&2; exit 2; }

# The flags that make each run what its name says; everything else is shared.
method_flags() {
    case "$1" in
        byol) ;;
        simclr) echo "--method simclr" ;;
        byol-no-predictor) echo "--no-predictor" ;;
        byol-tau0) echo "--tau-base 0" ;;
        byol-tau1) echo "--tau-base 1" ;;
        *) echo "compare_methods.sh: unknown run '$1' (byol simclr byol-no-predictor byol-tau0 byol-tau1)" >&2; exit 2 ;;
    esac
}

mkdir -p "$out"
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "command: tools/compare_methods.sh ${length[*]} --batch $batch --out $out --eval \"$eval_flags\" --runs \"$runs\" -- ${extra[*]:-}"
} > "$out/about.txt"
first=1
dirs=()
for name in $runs; do
    flags=$(method_flags "$name")
    dir="$out/$name"
    dirs+=("$dir")
    if [ -f "$dir/checkpoint.ckpt" ]; then
        # A run of an earlier invocation (--out reused): continued if it was stopped, kept if done.
        echo "== $name: byolcl train --resume $dir"
        "$byolcl" train --resume "$dir" 2>&1 | tee -a "$dir.train.log" | grep -E '^(resuming|done|the run)' || true
    else
        echo "== $name: byolcl train $flags ${length[*]} --batch $batch ${extra[*]:-}"
        # shellcheck disable=SC2086 # the method flags are words
        "$byolcl" train $flags "${length[@]}" --batch "$batch" --log-every 10 --out "$dir" "${extra[@]}" 2>&1 |
            tee "$dir.train.log" | grep -Ev '^\s*$' | grep -E '^(device|method|training|done)|collapse|warn' || true
    fi
    [ -f "$dir/checkpoint.ckpt" ] || { echo "compare_methods.sh: $name did not leave a checkpoint (see $dir.train.log)" >&2; exit 1; }
    baseline=--no-baseline
    [ $first = 1 ] && baseline=
    # shellcheck disable=SC2086 # eval flags are words
    "$byolcl" eval --checkpoint "$dir" $eval_flags --no-pixels $baseline --quiet --json "$dir/eval.json" > "$dir.eval.txt"
    first=0
done

"$byolcl" plot --run "$(IFS=,; echo "${dirs[*]}")" --out "$out/collapse.png"
"$byolcl" embed --checkpoint "$(IFS=,; echo "${dirs[*]}")" --out "$out/embed.png" > /dev/null

python3 - "$out" $runs > "$out/table.md" <<'EOF'
import json, math, sys
out, names = sys.argv[1], sys.argv[2:]
rows, baseline = [], None
for name in names:
    run = f"{out}/{name}"
    config = json.load(open(f"{run}/config.json"))
    records = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
    ev = json.load(open(f"{run}/eval.json"))
    threshold = 0.1 / math.sqrt(config["proj_out"])
    below = [r["step"] for r in records if r.get("collapse") is not None and r["collapse"] < threshold]
    last = records[-1]
    probe = {p["fraction"]: p["top1"] for p in ev["rows"][0]["probe"]}
    rows.append((name, ev["rows"][0]["name"], 100 * ev["rows"][0]["knn_top1"], [100 * probe.get(f, float("nan")) for f in (1, 0.1, 0.01)],
                 last.get("collapse"), below[0] if below else None, last["step"] * config["batch"] / last["wall_s"], last["step"], config))
    if len(ev["rows"]) > 1 and baseline is None:
        b = ev["rows"][1]
        bp = {p["fraction"]: p["top1"] for p in b["probe"]}
        baseline = (b["name"], 100 * b["knn_top1"], [100 * bp.get(f, float("nan")) for f in (1, 0.1, 0.01)])
c = rows[0][8]
print(f"{rows[0][7]} steps each ({rows[0][7] / c['steps_per_epoch']:.2f} epochs), batch {c['batch']}, {c['arch']} width {c['width']}, "
      f"projection {c['proj_out']}-d (collapse threshold 0.1/sqrt(d) = {0.1 / math.sqrt(c['proj_out']):.4f}), on {c['device']}\n")
print("| run | kNN | probe 100% | probe 10% | probe 1% | final collapse | below threshold at step | images/s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, title, knn, probe, collapse, below, ips, steps, _ in rows:
    print(f"| {title} | {knn:.2f} | {probe[0]:.2f} | {probe[1]:.2f} | {probe[2]:.2f} | {collapse:.4f} | {below if below is not None else 'never'} | {ips:.0f} |")
if baseline:
    print(f"| {baseline[0]} | {baseline[1]:.2f} | {baseline[2][0]:.2f} | {baseline[2][1]:.2f} | {baseline[2][2]:.2f} | | | |")
EOF
cat "$out/table.md"
echo "compare_methods.sh: $out/table.md, $out/collapse.png, $out/embed.png (runs, logs and eval.json in $out)"
