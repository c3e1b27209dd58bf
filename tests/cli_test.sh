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

# Every flag of every subcommand, read from its --help: a number out of range (or not
# finite) and an empty string are refused with exit 2 and the flag's name in the message.
for cmd in devices data augment train eval embed plot; do
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
