#!/usr/bin/env bash
# kill_test.sh — crash safety under stress: a training run is SIGKILLed N times at random
# moments (a checkpoint every step, so many kills land during a checkpoint write) and
# resumed each time until it finishes; its final parameters (every arena section of the
# checkpoint) and its per-step losses (metrics.jsonl) must equal, byte for byte, those of
# the same run left alone.
# Usage: tools/kill_test.sh path/to/byolcl [kills (10)] [steps (60)]
# Extra training flags can be given in $KILL_TEST_FLAGS (default: the small model, width 8).
set -u
byolcl=${1:?usage: tools/kill_test.sh path/to/byolcl [kills] [steps]}
kills=${2:-10}
steps=${3:-60}
flags=${KILL_TEST_FLAGS:-"--arch small --width 8 --proj-hidden 32 --proj-out 16 --batch 16 --seed 5"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086
common=(train $flags --steps "$steps" --log-every 1 --checkpoint-every 1 --quiet)

start=$(date +%s.%N)
"${byolcl}" "${common[@]}" --out "$work/straight" >"$work/straight.log" 2>&1 || {
  echo "kill_test: the uninterrupted run failed:"; tail -5 "$work/straight.log"; exit 1; }
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')

done_kills=0 during_write=0 resumes=0
while :; do
  args=("${common[@]}" --out "$work/killed")
  [ -e "$work/killed/checkpoint.ckpt" ] && { args=(train --resume "$work/killed" --quiet); resumes=$((resumes + 1)); }
  "$byolcl" "${args[@]}" >"$work/run.log" 2>&1 &
  pid=$!
  if [ "$done_kills" -lt "$kills" ]; then
    # A random moment within the time the rest of the run would take (a share of the
    # uninterrupted run's duration as large as the share of steps not yet logged).
    logged=$(cat "$work/killed/metrics.jsonl" 2>/dev/null | wc -l)
    sleep "$(awk -v s="$seconds" -v r="$RANDOM" -v d="$logged" -v n="$steps" \
      'BEGIN { printf "%.3f", s * (n - d + 1) / n * r / 32768 }')"
    # Every other kill waits for a checkpoint write in progress (its temporary file).
    if [ $((done_kills % 2)) -eq 1 ]; then
      for _ in $(seq 1 20000); do
        compgen -G "$work/killed/checkpoint.ckpt.tmp.$pid.*" >/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
      done
    fi
    if kill -KILL "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      done_kills=$((done_kills + 1))
      ls "$work/killed"/checkpoint.ckpt.tmp.* >/dev/null 2>&1 && during_write=$((during_write + 1))
      continue
    fi
  fi
  wait "$pid"
  code=$?
  if [ "$code" -ne 0 ]; then echo "kill_test: a resumed run failed (exit $code):"; tail -5 "$work/run.log"; exit 1; fi
  break
done

python3 - "$work/straight" "$work/killed" <<'PY' || exit 1
import struct, sys
def sections(path):
    data = open(path + "/checkpoint.ckpt", "rb").read()
    assert data[:8] == b"BYOLCKPT", path
    count = struct.unpack_from("<I", data, 12)[0]
    at, out = 24, {}
    for _ in range(count):
        name = data[at:at + 32].rstrip(b"\0").decode()
        size = struct.unpack_from("<Q", data, at + 32)[0]
        out[name] = data[at + 48:at + 48 + size]
        at += 48 + size
    return out
def losses(path):
    import json
    return [(r["step"], line.split('"loss":')[1].split(",")[0]) for line in open(path + "/metrics.jsonl")
            for r in [json.loads(line)]]
a, b = sections(sys.argv[1]), sections(sys.argv[2])
arenas = [n for n in a if n.startswith(("online.", "target."))]
bad = [n for n in arenas if a[n] != b[n]]
la, lb = losses(sys.argv[1]), losses(sys.argv[2])
if bad or la != lb:
    print("kill_test: FAILED: sections differing: %s; losses equal: %s (%d vs %d records)" % (bad, la == lb, len(la), len(lb)))
    sys.exit(1)
print("kill_test: parameters (%s, %d bytes) and %d per-step losses identical" %
      (", ".join(arenas), sum(len(a[n]) for n in arenas), len(la)))
PY
[ "$done_kills" -lt "$kills" ] && echo "kill_test: the run finished before all $kills kills were made"
echo "kill_test: passed: $done_kills SIGKILLs ($during_write during a checkpoint write), $resumes resumes, $steps steps"
