#!/usr/bin/env bash
# mpi_test.sh — data-parallel training under mpirun (2 ranks on PoCL, oversubscribed): the
# same per-step losses and final parameters as one rank with the whole batch, resuming a
# 2-rank checkpoint with 1 rank and the reverse, a batch the ranks cannot share refused, a
# rank that cannot start stopping the job, SIGTERM to one rank saving once (exit 130), and
# a SIGKILLed rank ending the job with a readable last checkpoint, a failure on one rank
# stopping all of them; SimCLR with its negatives gathered from both ranks.
# Usage: mpi_test.sh path/to/byolcl path/to/tests (exit 77: skipped, with the reason)
set -u
byolcl=$1
here=$2
data=${BYOLCL_MPI_TEST_DATA:-/usr/share/datasets/fashion-mnist}
command -v mpirun >/dev/null || { echo "skipped: mpirun not found (Debian: openmpi-bin)"; exit 77; }
[ -e "$data/train-images-idx3-ubyte.gz" ] || { echo "skipped: no Fashion-MNIST at $data (Debian: dataset-fashion-mnist)"; exit 77; }
# CI runs as root; Open MPI refuses that unless told twice.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The ranks share this machine's cores: no binding, more ranks than cores allowed.
mpi=(timeout 120 mpirun --oversubscribe --bind-to none)
work=$(mktemp -d)
mpirun_pid=
trap '[ -n "$mpirun_pid" ] && kill -KILL "$mpirun_pid" 2>/dev/null; rm -rf "$work"' EXIT
failures=0 passed=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
compare() { python3 "$here/mpi_compare.py" "$@"; }

# SGD: LARS's trust ratios amplify float rounding (2 ranks sum the batch in another order),
# so that its losses part at the 1e-4 level after ~10 steps; SGD keeps them within 1e-6.
# Blur on every view and the paper's 8% crops: with the small-image defaults (no blur, 30%
# crops) this width-8 model amplifies the same rounding as LARS does (losses 1e-6 apart for
# 6-12 steps, then 1e-3; measured 2026-12-03). The equality is of the arithmetic, not the views.
# Three stages: with the default four and batch norm per view (8 images a rank), the losses
# stay 1e-6 apart for 5 steps, then part by 1e-4 and 1e-2 (the fourth stage's 4x4 maps of 8
# images give batch norm few values; measured 2026-12-03 18:50 UTC); three stay 1e-6 apart.
common=(train --arch small --width 8 --stages 3 --batch 16 --data "$data" --seed 3 --optimizer sgd
        --aug-blur-prob 1 --aug-crop-area 0.08,1 --log-every 1 --quiet)

run() { # run NAME RANKS -- byolcl arguments...
  local name=$1 ranks=$2; shift 3
  if [ "$ranks" = 1 ]; then
    "$byolcl" "$@" >"$work/$name.log" 2>&1
  else
    "${mpi[@]}" -np "$ranks" "$byolcl" "$@" >"$work/$name.log" 2>&1
  fi
}

# 1. One rank x 16 images against two ranks x 8, 20 steps (parameters checked equal on both
#    ranks every 5 steps).
run one 1 -- "${common[@]}" --steps 20 --out "$work/one" || fail "1 rank: $(tail -3 "$work/one.log")"
BYOLCL_DIST_CHECK=5 run two 2 -- "${common[@]}" --steps 20 --out "$work/two" || fail "2 ranks: $(tail -5 "$work/two.log")"
if compare losses "$work/one" "$work/two" 1e-4; then ok "2 ranks x 8 = 1 rank x 16: losses of 20 steps"; else fail "losses differ"; fi
if compare params "$work/one" "$work/two" 5e-3; then ok "... and the parameters after them"; else fail "parameters differ"; fi
grep -q "^rank 1 of 2 on .*device:" "$work/two.log" && grep -q "^ranks: *2, 8 images each" "$work/two.log" &&
  [ "$(grep -c '^done:' "$work/two.log")" = 1 ] && ok "every rank names its device, rank 0 alone reports" ||
  fail "start lines / summary: $(head -3 "$work/two.log")"
[ "$(compare info "$work/two")" = "step 20 ranks 2" ] && ok "the checkpoint records 2 ranks" || fail "info: $(compare info "$work/two")"

# SimCLR: the negatives gathered from both ranks. Its losses part at 1e-5 after ~7 steps
# (the same rounding, amplified faster; with batch norm per view a momentum value is 6e-6
# apart after 5 steps and 5e-3 after 6), so 5 are compared, and the parameters after them.
run simclr_one 1 -- "${common[@]}" --method simclr --steps 5 --out "$work/simclr_one" || fail "SimCLR 1 rank"
run simclr_two 2 -- "${common[@]}" --method simclr --steps 5 --out "$work/simclr_two" || fail "SimCLR 2 ranks: $(tail -3 "$work/simclr_two.log")"
if compare losses "$work/simclr_one" "$work/simclr_two" 1e-4 && compare params "$work/simclr_one" "$work/simclr_two" 5e-3; then
  ok "SimCLR: 2 ranks x 8 = 1 rank x 16 (negatives from both ranks)"
else fail "SimCLR on 2 ranks differs"; fi

# 2. Without cross-replica batch norm each rank normalizes its 8 images: another loss at step 1.
run nosync 2 -- "${common[@]}" --steps 1 --sync-bn off --out "$work/nosync" || fail "--sync-bn off: $(tail -3 "$work/nosync.log")"
a=$(head -1 "$work/one/metrics.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["loss"])')
b=$(head -1 "$work/nosync/metrics.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["loss"])')
[ "$a" != "$b" ] && ok "--sync-bn off differs ($b vs $a): the sync is what makes them equal" || fail "--sync-bn off gave $b = $a"

# 3. Resume at another rank count: 2 ranks for 10 steps then 1 rank, and the reverse; both
#    must end where the uninterrupted 1-rank run did.
run two_one_a 2 -- "${common[@]}" --steps 20 --stop-after 10 --out "$work/two_one" &&
  run two_one_b 1 -- train --resume "$work/two_one" --quiet || fail "2 -> 1 ranks: $(tail -3 "$work/two_one_b.log")"
run one_two_a 1 -- "${common[@]}" --steps 20 --stop-after 10 --out "$work/one_two" &&
  run one_two_b 2 -- train --resume "$work/one_two" --quiet || fail "1 -> 2 ranks: $(tail -3 "$work/one_two_b.log")"
for r in two_one one_two; do
  if compare losses "$work/one" "$work/$r" 1e-4 && compare params "$work/one" "$work/$r" 5e-3; then
    ok "resumed $r: the losses and parameters of the uninterrupted run"
  else fail "resumed $r differs"; fi
done

# 4. A batch the ranks cannot share, and a rank that cannot start (a device selector matching
#    nothing on rank 0 only): refused, no rank left waiting.
run odd 2 -- "${common[@]}" --batch 15 --steps 1 --out "$work/odd"
code=$?
[ "$code" = 2 ] && grep -q -- "--batch 15 cannot be shared by 2 ranks" "$work/odd.log" && ok "--batch 15 on 2 ranks: exit 2" ||
  fail "--batch 15 on 2 ranks: exit $code, $(tail -3 "$work/odd.log")"
"${mpi[@]}" -np 1 "$byolcl" "${common[@]}" --steps 1 --device nosuch --out "$work/bad" : \
  -np 1 "$byolcl" "${common[@]}" --steps 1 --out "$work/bad" >"$work/bad.log" 2>&1
code=$?
# (Rank 1's "another rank could not start" may be cut off: mpirun ends the job at rank 0's exit.)
[ "$code" != 0 ] && [ "$code" != 124 ] && grep -q "device selector 'nosuch'" "$work/bad.log" &&
  ok "a rank that cannot start stops the job (exit $code)" || fail "bad device on rank 0: exit $code, $(tail -5 "$work/bad.log")"
"${mpi[@]}" -np 1 "$byolcl" "${common[@]}" --steps 1 --seed 1 --out "$work/seeds" : \
  -np 1 "$byolcl" "${common[@]}" --steps 1 --seed 2 --out "$work/seeds" >"$work/seeds.log" 2>&1
code=$?
[ "$code" = 2 ] && grep -q "ranks were started with different settings" "$work/seeds.log" &&
  ok "ranks started with different flags: exit 2" || fail "different seeds per rank: exit $code, $(tail -3 "$work/seeds.log")"

# The process id of rank 1 of the run writing to $work/NAME (not another user's byolcl).
rank1_pid() {
  local p
  for p in $(pgrep -x byolcl); do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "--out $work/$1 " &&
      tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && { echo "$p"; return; }
  done
}
start_long_run() { # start_long_run NAME [flags]: a 2-rank run to be interrupted
  local name=$1; shift
  "${mpi[@]}" -np 2 "$byolcl" "${common[@]}" --steps 100000 --log-every 5 --out "$work/$name" "$@" >"$work/$name.log" 2>&1 &
  mpirun_pid=$!
  for _ in $(seq 300); do [ -s "$work/$name/metrics.jsonl" ] && [ -n "$(rank1_pid "$name")" ] && return 0; sleep 0.1; done
  return 1
}

# 5. SIGTERM to one rank: every rank stops at the same step, rank 0 saves once, exit 130.
if start_long_run term; then
  kill -TERM "$(rank1_pid term)"
  wait "$mpirun_pid"; code=$?; mpirun_pid=
  last=$(tail -1 "$work/term/metrics.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["step"])')
  [ "$code" = 130 ] && grep -q "stopped by SIGTERM at step $last; checkpoint saved" "$work/term.log" &&
    [ "$(compare info "$work/term")" = "step $last ranks 2" ] && ok "SIGTERM to rank 1: saved at step $last, exit 130" ||
    fail "SIGTERM: exit $code, checkpoint $(compare info "$work/term"), last logged step $last: $(tail -5 "$work/term.log")"
else fail "the run to stop with SIGTERM did not start: $(tail -5 "$work/term.log")"; fi

# 6. SIGKILL to one rank: the job ends with a message naming it; the checkpoint (every 5
#    steps) stays readable.
if start_long_run kill --checkpoint-every 5 && for _ in $(seq 300); do [ -e "$work/kill/checkpoint.ckpt" ] && break; sleep 0.1; done; then
  kill -KILL "$(rank1_pid kill)"
  started=$(date +%s)
  wait "$mpirun_pid"; code=$?; mpirun_pid=
  took=$(($(date +%s) - started))
  if [ "$code" != 0 ] && [ "$took" -le 20 ] && grep -q "rank 1 .*signal 9" "$work/kill.log" &&
    "$byolcl" export --checkpoint "$work/kill" --out "$work/kill.safetensors" >"$work/export.log" 2>&1; then
    ok "SIGKILL to rank 1: the job ended in ${took} s (exit $code), $(compare info "$work/kill") readable"
  else fail "SIGKILL: exit $code after ${took} s: $(tail -4 "$work/kill.log"; tail -2 "$work/export.log")"; fi
else fail "the run to kill did not start: $(tail -5 "$work/kill.log")"; fi

# 7. A failure on one rank only (a corrupt image in its share of a batch, --strict): that
#    rank names itself, its host and the cause and stops every rank (MPI_Abort); the
#    checkpoint of the step before stays readable. 48 PNGs of 8x8, the 18th cut short
#    after its header (found only when decoded).
mkdir -p "$work/png"
python3 - "$work/png" <<'PNG'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
for i in range(48):
    rows = b"".join(b"\0" + bytes((x * 31 + y * 17 + i * 7) % 256 for x in range(8)) for y in range(8))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    with open(f"{sys.argv[1]}/img{i:02d}.png", "wb") as f:
        f.write(png[:45] if i == 17 else png)
PNG
run bad_png 2 -- train --data "$work/png" --strict --aug-mean 0.5 --aug-std 0.25 --arch small --width 8 --batch 8 \
  --steps 6 --checkpoint-every 1 --quiet --out "$work/bad_png"
code=$?
if [ "$code" != 0 ] && [ "$code" != 124 ] && grep -q "rank [01] of 2 on .*img17.png: corrupt PNG" "$work/bad_png.log" &&
  compare info "$work/bad_png" >/dev/null; then
  ok "a corrupt image on one rank: '$(grep -o 'rank [01] of 2 on [^:]*' "$work/bad_png.log" | head -1)' stopped the job (exit $code), $(compare info "$work/bad_png") readable"
else fail "corrupt image on one rank: exit $code: $(grep -v '^ *$' "$work/bad_png.log" | tail -4)"; fi

echo "mpi_test: $passed passed, $failures failed"
[ "$failures" = 0 ]
