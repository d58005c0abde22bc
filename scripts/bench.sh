#!/usr/bin/env bash
# make bench: Bounce beside its peers on the same input in one run, as ratios.
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== Google Benchmark: the meter and every processor (frames per second) =="
"$build/bench/bounce_benchmarks" --benchmark_min_time=0.5

echo
echo "== In-process: the meter against libebur128 =="
"$build/bench/bounce_compare_meter"

# Whole processes, file to numbers: best of 3 wall-clock runs each.
best_of_3() {
  local best=""
  for _ in 1 2 3; do
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  printf '%.3f' "$best"
}

echo
echo "== Whole process: analyse a 4-minute stereo 44.1 kHz 24-bit WAV =="
"$build/bench/bounce-bench-programme" "$work/song.wav" 44100 240
ours=$(best_of_3 "$build/bounce" analyze --json "$work/song.wav")
echo "  bounce analyze                     ${ours} s"
if [ -x "$build/bench/bounce-bench-libebur128" ]; then
  peer=$(best_of_3 "$build/bench/bounce-bench-libebur128" "$work/song.wav")
  echo "  libebur128 (sndfile, I+LRA+TP)     ${peer} s"
  awk -v p="$peer" -v o="$ours" 'BEGIN { printf "  ratio                              %.2fx faster than libebur128 (issue 15 asks for 8x)\n", p / o }'
fi
if command -v ffmpeg >/dev/null; then
  peer=$(best_of_3 ffmpeg -nostdin -v error -i "$work/song.wav" -af ebur128=peak=true -f null -)
  echo "  ffmpeg -af ebur128=peak=true       ${peer} s"
  awk -v p="$peer" -v o="$ours" 'BEGIN { printf "  ratio                              %.2fx faster than ffmpeg\n", p / o }'
fi

echo
echo "== Processors against their peers: 60 s stereo 48 kHz, whole process, float WAV out =="
bash "$(dirname "$0")/bench_processors.sh" "$build" "$work"

echo
echo "== Mixing: 32 tracks, 4 minutes, 48 kHz =="
bash "$(dirname "$0")/bench_mix.sh" "$build" "$work"

echo
echo "== Mastering: 4 minutes stereo 44.1 kHz to -14 LUFS / -1 dBTP =="
bash "$(dirname "$0")/bench_master.sh" "$build" "$work"

echo
echo "== Album: 12 songs, 45 minutes, 44.1 kHz, with the CD image =="
bash "$(dirname "$0")/bench_album.sh" "$build" "$work"

echo
echo "== Service: bounce serve, 4-minute masters on 2 workers =="
bash "$(dirname "$0")/bench_serve.sh" "$build" "$work"
