#!/usr/bin/env bash
# bounce serve (issues 11 and 19): idle memory, one 4-minute master, then eight queued at
# once on two workers (the eight in under 5x the time of one, under 50 MB idle); then a
# fresh server's peak memory through three 300 MB uploads at once and three 100 MB
# downloads at once (issue 19: under 100 MB).
set -euo pipefail
build=${1:?build dir}
work=${2:?work dir}/serve
song=${2}/master-song.wav
mkdir -p "$work"
[ -f "$song" ] || "$build/bench/bounce-bench-programme" "$song" 44100 240
port=$(( 20000 + RANDOM % 20000 ))
rm -rf "$work/data"
token=bench-token-0123456789
auth=(-H "Authorization: Bearer $token")
start_server() {
  "$build/bounce" serve --port "$port" --data "$work/data" --jobs 2 --token "$token" 2>/dev/null &
  server=$!
  for i in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
}
start_server
trap 'kill $server 2>/dev/null || true' EXIT
idle=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
submit() { curl -sf "${auth[@]}" -F "file=@$song" -F target=spotify "http://127.0.0.1:$port/api/jobs" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/'; }
wait_done() { while ! curl -sf "${auth[@]}" "http://127.0.0.1:$port/api/jobs/$1" | grep -q '"state":"\(done\|failed\)"'; do sleep 0.1; done; }
start=$(date +%s.%N)
id=$(submit); wait_done "$id"
one=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
start=$(date +%s.%N)
ids=()
for i in $(seq 8); do ids+=("$(submit)"); done
for id in "${ids[@]}"; do wait_done "$id"; done
eight=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
busy=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
awk -v o="$one" -v e="$eight" -v i="$idle" -v p="$busy" 'BEGIN {
  printf "  one 4-minute master: %.1f s; eight queued on 2 workers: %.1f s = %.1fx one (target under 5x); idle RSS %.0f MB (target under 50 MB), peak %.0f MB\n",
    o, e, e / o, i / 1024, p / 1024 }'

# Uploads and downloads through disk: a fresh server, three 300 MB uploads at once (not
# audio: stored, then refused), then the first job's master replaced by 100 MB and
# downloaded three times at once.
kill $server; wait $server 2>/dev/null || true
head -c $((300 << 20)) /dev/urandom > "$work/upload.bin"
head -c $((100 << 20)) /dev/urandom > "$work/data/jobs/${ids[0]}/result/master.wav"
start_server
for i in 1 2 3; do curl -s -o /dev/null "${auth[@]}" -F "file=@$work/upload.bin" "http://127.0.0.1:$port/api/jobs" & done; wait_uploads=$(jobs -p | grep -v "^$server$" || true)
for p in $wait_uploads; do wait "$p" || true; done
for i in 1 2 3; do curl -s -o /dev/null "${auth[@]}" "http://127.0.0.1:$port/api/jobs/${ids[0]}/master" & done
for p in $(jobs -p | grep -v "^$server$" || true); do wait "$p" || true; done
streamed=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
rm -f "$work/upload.bin"
awk -v p="$streamed" 'BEGIN { printf "  three 300 MB uploads, then three 100 MB downloads, at once: server peak RSS %.0f MB (target under 100 MB)\n", p / 1024 }'
