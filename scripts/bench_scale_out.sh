#!/usr/bin/env bash
# Scale-out (issue 24): a catalogue of eight 4-minute songs mastered through a broker by one
# `bounce worker`, then by two, on this machine; the throughput of each and their ratio
# (near 2x on 2 cores), and the broker commands a job costs (workers' and the submitter's,
# from Redis's own count), from which docs/scale-out.md works out what 100 workers need.
set -euo pipefail
build=${1:?build dir}
work=${2:?work dir}/scale-out
command -v redis-server >/dev/null || { echo "  (skipped: redis-server is not installed)"; exit 0; }
rm -rf "$work"
mkdir -p "$work/catalogue" "$work/store" "$work/redis"
for i in $(seq 8); do "$build/bench/bounce-bench-programme" "$work/catalogue/song$i.wav" 44100 240 >/dev/null; done
port=$(( 20000 + RANDOM % 20000 ))
redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --appendfsync everysec --save "" \
  --daemonize no --logfile "$work/redis/log" &
redis=$!
workers=()
trap 'kill "${workers[@]}" $redis 2>/dev/null || true' EXIT
for i in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
queue="redis://127.0.0.1:$port"
commands() { redis-cli -p "$port" info stats | awk -F: '/^total_commands_processed/ { print $2 + 0 }'; }

run() {  # workers, output folder: prints seconds and broker commands per job
  local n=$1 out=$2 i
  workers=()
  for i in $(seq "$n"); do
    "$build/bounce" worker --queue "$queue" --store "$work/store" --jobs 1 --log json 2>"$work/worker-$n-$i.log" &
    workers+=($!)
  done
  sleep 1.5  # the workers connect and wait
  local before start end after
  before=$(commands)
  start=$(date +%s.%N)
  "$build/bounce" batch master "$work/catalogue" -o "$work/$out" --queue "$queue" --target spotify -q >/dev/null
  end=$(date +%s.%N)
  after=$(commands)
  kill -TERM "${workers[@]}"
  wait "${workers[@]}" 2>/dev/null || true
  local worker_commands
  worker_commands=$(cat "$work"/worker-"$n"-*.log | sed -n 's/.*"event":"worker.stopped".*"broker_commands":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }')
  awk -v a="$start" -v b="$end" -v c=$((after - before)) -v w="$worker_commands" \
    'BEGIN { printf "%.3f %.1f %.1f\n", b - a, c / 8, w / 8 }'
}

# The machine's own ceiling: two bare `bounce master` processes at once against one (2 vCPUs
# that share a core's caches, or SMT siblings, do not give 2x to any program).
bare() {  # processes: seconds for 2 masters each
  local n=$1 start end
  start=$(date +%s.%N)
  if [ "$n" = 1 ]; then
    "$build/bounce" master "$work/catalogue/song1.wav" -o "$work/bare1.wav" -q
    "$build/bounce" master "$work/catalogue/song2.wav" -o "$work/bare2.wav" -q
  else
    "$build/bounce" master "$work/catalogue/song1.wav" -o "$work/bare1.wav" -q &
    "$build/bounce" master "$work/catalogue/song2.wav" -o "$work/bare2.wav" -q &
    wait
  fi
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
bare_one=$(bare 1)
bare_two=$(bare 2)

read -r one total_one workers_one < <(run 1 out-1)
read -r two total_two workers_two < <(run 2 out-2)
cmp -s "$work/out-1/song1.master.wav" "$work/out-2/song1.master.wav" || echo "  WARNING: the two runs' masters differ"
awk -v o="$one" -v t="$two" -v b1="$bare_one" -v b2="$bare_two" 'BEGIN {
  printf "  8 four-minute masters: 1 worker %.2f s (%.2f jobs/s), 2 workers %.2f s (%.2f jobs/s): %.2fx (target near 2x on 2 cores)\n",
    o, 8 / o, t, 8 / t, o / t
  printf "  the machine itself: two bare bounce master one after the other %.2f s, at once %.2f s: %.2fx\n", b1, b2, b1 / b2 }'
echo "  broker commands per job: ${total_two} in all with 2 workers (${total_one} with 1), of them the workers' ${workers_two} (${workers_one}); the rest the submitter's progress polls"
