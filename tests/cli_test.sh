#!/usr/bin/env bash
# cli_test.sh — the command line as a user meets it: exit codes (2 for usage errors, 1 for
# bad files and missing drivers, 130 after Ctrl-C with a checkpoint saved), messages that
# name the flag or file, and a Ctrl-C'd run that resumes. Usage: cli_test.sh path/to/byolcl
set -u
byolcl=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 passed=0

expect() { # expect CODE NEEDLE -- command...
  local code=$1 needle=$2; shift 3
  "$@" >"$work/out" 2>&1
  local got=$?
  if [ "$got" -ne "$code" ] || ! grep -qi -- "$needle" "$work/out"; then
    echo "FAIL: $* -> exit $got (want $code), output lacks '$needle':"; sed 's/^/    /' "$work/out" | head -20
    failures=$((failures + 1))
  else
    passed=$((passed + 1))
  fi
}

expect 2 "usage"            -- "$byolcl"
expect 2 "unknown command"  -- "$byolcl" nosuch
expect 0 "device:"          -- "$byolcl" devices
expect 2 "available devices" -- "$byolcl" devices --device nosuch
expect 2 "malformed"        -- "$byolcl" devices --device 1:2:3
expect 0 '"devices"'        -- "$byolcl" devices --json
expect 1 "pocl-opencl-icd"  -- env OCL_ICD_VENDORS="$work/no-vendors" OCL_ICD_FILENAMES= "$byolcl" devices
expect 2 "--batch"          -- "$byolcl" train --batch abc
expect 2 "unknown flag"     -- "$byolcl" train --nosuch 1
expect 2 "--arch"           -- "$byolcl" train --arch resnet7 --steps 1 --out "$work/a"
expect 1 "/nonexistent"     -- "$byolcl" train --data /nonexistent/data --out "$work/b"
expect 1 "/nonexistent"     -- "$byolcl" data --data /nonexistent/data
expect 2 "--split"          -- "$byolcl" data --split nosuch
expect 1 "resume: .*none.ckpt" -- "$byolcl" train --resume "$work/none.ckpt"
expect 0 "usage"            -- "$byolcl" train --help

# Every flag of every subcommand (as byolcl --help lists them), read from its --help: a number out of range (or not
# finite) and an empty string are refused with exit 2 and the flag's name in the message.
commands=$("$byolcl" --help 2>&1 | sed -nE 's/^  ([a-z]+)  .*/\1/p')
[ "$(wc -w <<<"$commands")" -ge 9 ] || { echo "FAIL: byolcl --help lists too few commands: $commands"; failures=$((failures + 1)); }
for cmd in $commands; do
  "$byolcl" "$cmd" --help >"$work/help" 2>&1
  while read -r flag meta _; do
    case "$meta" in
      N) for bad in -2000000000 2000000000 nan inf; do expect 2 "$flag" -- "$byolcl" "$cmd" "$flag" "$bad"; done ;;
      VALUE) expect 2 "$flag" -- "$byolcl" "$cmd" "$flag=" ;;
    esac
  done < <(grep -E '^  --[a-z0-9-]+ (N|VALUE) ' "$work/help")
  # Augmentation flags (train and augment): values outside their documented ranges.
  grep -q -- '--aug-' "$work/help" || continue
  for key in crop-area crop-aspect blur-sigma; do expect 2 "$key" -- "$byolcl" "$cmd" "--aug-$key" 0.5,1e6; done
  for key in flip-prob jitter-prob grayscale-prob blur-prob solarize-prob solarize-threshold hue; do
    expect 2 "$key" -- "$byolcl" "$cmd" "--aug-$key" 2
  done
  for key in brightness contrast saturation blur-kernel-fraction; do expect 2 "$key" -- "$byolcl" "$cmd" "--aug-$key" 1e6; done
  for key in size mean std; do expect 2 "$key" -- "$byolcl" "$cmd" "--aug-$key" 100000; done
  for key in flip-prob size mean; do expect 2 "$key" -- "$byolcl" "$cmd" "--aug-$key" inf; done
done
# The values the issue tracker found accepted, one by one.
for bad in "--warmup-epochs -1" "--warmup-epochs 1e12" "--width 0" "--width -7" "--batch -5" "--steps -1" \
  "--image-size 1" "--image-size 3" "--proj-out -5" "--proj-hidden 0" "--checkpoint-every -3" \
  "--stop-after -2" "--log-every -1" "--lr inf"; do
  # shellcheck disable=SC2086
  expect 2 "${bad%% *}" -- "$byolcl" train $bad --out "$work/never"
done
expect 2 "--data: the value is empty" -- "$byolcl" train --data "" --out "$work/never"
expect 2 "--bn-views: 'both' is not one of separate, concat" -- "$byolcl" train --bn-views both --out "$work/never"
expect 2 "--bn-views" -- "$byolcl-bench" --step --bn-views both
expect 2 "--size must lie in" -- "$byolcl" data --size 100000
[ -e "$work/never" ] && { echo "FAIL: a refused train command created its --out folder"; failures=$((failures + 1)); }

# Ctrl-C during training: exit 130, a checkpoint, and --resume finishes the run.
if [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  run="$work/run"
  "$byolcl" train --steps 400 --batch 16 --width 4 --proj-hidden 16 --proj-out 8 --log-every 1 \
    --out "$run" >"$work/train.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do grep -q "step 2/" "$work/train.out" 2>/dev/null && break; sleep 0.1; done
  kill -INT "$pid"
  wait "$pid"
  code=$?
  if [ "$code" -ne 130 ] || [ ! -s "$run/checkpoint.ckpt" ] || ! grep -q "resume" "$work/train.out"; then
    echo "FAIL: Ctrl-C gave exit $code (want 130) or no checkpoint:"; tail -5 "$work/train.out"
    failures=$((failures + 1))
  else
    passed=$((passed + 1))
    expect 0 "resuming" -- "$byolcl" train --resume "$run" --stop-after 2
  fi
fi

# SIGKILL between two checkpoint steps that are not logging steps: a checkpoint exists (its
# own cadence, not the least common multiple with --log-every) and the run resumes from it.
if [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  kill9="$work/kill9"
  "$byolcl" train --steps 100000 --batch 16 --width 4 --proj-hidden 16 --proj-out 8 --log-every 1000 \
    --checkpoint-every 10 --out "$kill9" >"$work/kill9.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do [ -s "$kill9/checkpoint.ckpt" ] && break; sleep 0.05; done
  # A second run into the same folder is refused while the first holds it, naming it.
  expect 2 "in use by another run (pid $pid" -- "$byolcl" train --steps 4 --out "$kill9"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  touch "$kill9/checkpoint.ckpt.tmp.$pid.7" # what a kill during a write leaves
  expect 0 "resuming .* at step [1-9][0-9]*0 " -- "$byolcl" train --resume "$kill9" --stop-after 1
  [ -e "$kill9/checkpoint.ckpt.tmp.$pid.7" ] && { echo "FAIL: a dead run's temporary file was kept"; failures=$((failures + 1)); }
  # --resume: other flags are refused by name; --steps extends; a finished run says so.
  expect 2 "--batch, --lr" -- "$byolcl" train --resume "$kill9" --batch 8 --lr 0.5
  expect 2 "--bn-views would change it" -- "$byolcl" train --resume "$kill9" --bn-views concat
  expect 2 "--aug-\*" -- "$byolcl" train --resume "$kill9" --aug-flip-prob 0
  expect 2 "already done" -- "$byolcl" train --resume "$kill9" --steps 5
  expect 2 "--batch" -- "$byolcl" train --resume "$kill9" --batch=8
  expect 0 "now ends at step" -- "$byolcl" train --resume "$kill9" --steps 200000 --stop-after 1
  expect 0 "copied the run" -- "$byolcl" train --resume "$kill9" --out "$work/kill9copy" --stop-after 1
  "$byolcl" train --steps 2 --batch 8 --width 2 --proj-hidden 8 --proj-out 4 --out "$work/done" >/dev/null 2>&1
  expect 0 "already complete" -- "$byolcl" train --resume "$work/done"
  # --minutes: the length planned from the pace (whatever this machine's speed), stored, and
  # the run complete at its planned end; a budget is not combined with a length or a resume.
  expect 0 "planned: .* steps .* for 0.05 minutes" -- "$byolcl" train --minutes 0.05 --batch 8 --width 2 \
    --proj-hidden 8 --proj-out 4 --out "$work/budget"
  # config.json follows the plan: the length it records is the one the run finished at.
  done_steps=$(sed -n 's/^done: \([0-9]*\) steps.*/\1/p' "$work/out")
  grep -q "\"total_steps\": $done_steps," "$work/budget/config.json" ||
    { echo "FAIL: $work/budget/config.json does not record the $done_steps steps the run trained"; failures=$((failures + 1)); }
  expect 2 "--stages applies to --arch small" -- "$byolcl" train --arch resnet18 --stages 3 --steps 1 --out "$work/stages"
  expect 0 "already complete" -- "$byolcl" train --resume "$work/budget"
  expect 2 "--minutes would change it" -- "$byolcl" train --resume "$work/budget" --minutes 1
  expect 2 "cannot be combined with --steps" -- "$byolcl" train --minutes 1 --steps 4 --out "$work/budget2"
  grep -q "final loss" "$work/out" && { echo "FAIL: a finished run reported a final loss again"; failures=$((failures + 1)); }
fi

# PNG folders: a 1x1 image does not set the size; one-pixel folders are refused for
# training; transparent icons get a background; eval refuses splits with other classes.
png() { # png FILE W H ALPHA: a black square whose content is in the alpha channel
  python3 - "$@" <<'PY'
import struct, sys, zlib
path, w, h, alpha = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
ch = 4 if alpha else 1
rows = b"".join(b"\0" + bytes(((0, 0, 0, 255 * ((x + y) % 2)) if alpha else (((x * 7 + y * 3) % 256),))[i % ch]
                for x in range(w) for i in range(ch)) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", w, h, 8, 6 if alpha else 0, 0, 0, 0)
open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
}
if command -v python3 >/dev/null; then
  mkdir -p "$work/pngs" "$work/tiny" "$work/icons"
  png "$work/pngs/0.png" 1 1 0
  for i in 1 2 3 4; do png "$work/pngs/$i.png" 16 16 0; png "$work/icons/$i.png" 12 12 1; done
  png "$work/tiny/a.png" 2 2 0; png "$work/tiny/b.png" 2 2 0
  expect 0 "16 x 16" -- "$byolcl" data --data "$work/pngs"
  expect 2 "smaller than the 8 px" -- "$byolcl" train --data "$work/tiny" --batch 2 --steps 1 --out "$work/tinyrun"
  expect 0 "single color" -- "$byolcl" data --data "$work/icons" --background black
  if "$byolcl" data --data "$work/icons" 2>&1 | grep -q "single color"; then
    echo "FAIL: icons over the white default were called constant"; failures=$((failures + 1))
  fi
  expect 2 "--background" -- "$byolcl" data --data "$work/icons" --background 1,2
  mkdir -p "$work/cls/train/a" "$work/cls/train/b" "$work/cls/test/b" "$work/cls/test/c"
  for d in train/a train/b test/b test/c; do for i in 1 2 3 4; do png "$work/cls/$d/$i.png" 16 16 0; done; done
  if "$byolcl" train --data "$work/cls" --batch 4 --steps 1 --width 2 --proj-hidden 8 --proj-out 4 \
       --out "$work/clsrun" >"$work/clsrun.out" 2>&1; then
    expect 1 "different classes" -- "$byolcl" eval --checkpoint "$work/clsrun" --quiet
  else
    echo "FAIL: training on the class folders failed:"; tail -3 "$work/clsrun.out"; failures=$((failures + 1))
  fi
  # 3-channel images (RGBA files) against a checkpoint trained on 1 channel: the checkpoint is named.
  mkdir -p "$work/rgb/train/b" "$work/rgb/train/c" "$work/rgb/test/b" "$work/rgb/test/c"
  for d in train/b train/c test/b test/c; do for i in 1 2; do png "$work/rgb/$d/$i.png" 16 16 1; done; done
  expect 2 "checkpoint $work/clsrun" -- "$byolcl" eval --checkpoint "$work/clsrun" --data "$work/rgb" --quiet
fi

# Too big for the device: the message names the batch and architecture and suggests less.
if [ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  expect 1 "batch 50000 does not fit" -- "$byolcl" train --arch resnet18 --batch 50000 --steps 1 --out "$work/big"
  # A checkpoint made on one device continues on another (PoCL's two device drivers).
  expect 0 "checkpoint:" -- env POCL_DEVICES="basic pthread" "$byolcl" train --device basic --steps 4 --stop-after 2 \
    --batch 8 --width 2 --proj-hidden 8 --proj-out 4 --out "$work/moved"
  expect 0 "made on basic" -- env POCL_DEVICES="basic pthread" "$byolcl" train --device pthread --resume "$work/moved"
fi

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
