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

# Five runs each, interleaved (a shared 2-core machine drifts): the median and the range.
median_of_5() {  # prints "median fastest slowest"
  printf '%s\n' "$@" | sort -n | awk '{ t[NR] = $1 } END { printf "%.3f %.3f %.3f", t[3], t[1], t[5] }'
}
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

echo
echo "== Whole process: analyse a 5-minute stereo 44.1 kHz 24-bit WAV (issue 15's file) =="
"$build/bench/bounce-bench-programme" "$work/song.wav" 44100 300
ours=() eb=() ff=()
for _ in 1 2 3 4 5; do
  ours+=("$(wall "$build/bounce" analyze --json "$work/song.wav")")
  if [ -x "$build/bench/bounce-bench-libebur128" ]; then eb+=("$(wall "$build/bench/bounce-bench-libebur128" "$work/song.wav")"); fi
  if command -v ffmpeg >/dev/null; then ff+=("$(wall ffmpeg -nostdin -v error -i "$work/song.wav" -af ebur128=peak=true -f null -)"); fi
done
read -r o olo ohi <<<"$(median_of_5 "${ours[@]}")"
echo "  bounce analyze                     ${o} s (median of 5; ${olo} to ${ohi})"
if [ ${#eb[@]} -gt 0 ]; then
  read -r p plo phi <<<"$(median_of_5 "${eb[@]}")"
  echo "  libebur128 (sndfile, I+LRA+TP)     ${p} s (median of 5; ${plo} to ${phi})"
  awk -v p="$p" -v o="$o" -v worst="$(awk -v a="$plo" -v b="$ohi" 'BEGIN { print a / b }')" 'BEGIN {
    printf "  ratio                              %.2fx faster than libebur128 (slowest against fastest: %.2fx; issue 15 asks for 8x: %s)\n",
      p / o, worst, (p / o >= 8 ? "met" : "NOT met") }'
fi
if [ ${#ff[@]} -gt 0 ]; then
  read -r p _ _ <<<"$(median_of_5 "${ff[@]}")"
  echo "  ffmpeg -af ebur128=peak=true       ${p} s (median of 5)"
  awk -v p="$p" -v o="$o" 'BEGIN { printf "  ratio                              %.2fx faster than ffmpeg\n", p / o }'
fi

echo
echo "== Processors against their peers: 60 s stereo 48 kHz, whole process, float WAV out =="
bash "$(dirname "$0")/bench_processors.sh" "$build" "$work"

echo
echo "== Hosting LV2 plugins: 5 minutes stereo 48 kHz, Bounce's lv2 insert beside ffmpeg's lv2 filter =="
bash "$(dirname "$0")/bench_lv2.sh" "$build" "$work"

echo
echo "== Mixing: 32 tracks, 4 minutes, 48 kHz =="
bash "$(dirname "$0")/bench_mix.sh" "$build" "$work"

echo
echo "== Mastering: 4 minutes stereo 44.1 kHz to -14 LUFS / -1 dBTP =="
bash "$(dirname "$0")/bench_master.sh" "$build" "$work"

echo
echo "== A catalogue: 20 four-minute songs mastered in a batch =="
bash "$(dirname "$0")/bench_batch.sh" "$build" "$work"

if [ -d "$build/python/bounce" ] && [ -x /usr/bin/python3 ]; then
  echo
  echo "== The Python module: a 5-minute stereo array =="
  PYTHONPATH="$build/python" /usr/bin/python3 "$(dirname "$0")/bench_python.py" "$build" "$work"
fi

echo
echo "== Album: 12 songs, 45 minutes, 44.1 kHz, with the CD image =="
bash "$(dirname "$0")/bench_album.sh" "$build" "$work"

echo
echo "== Service: bounce serve, 4-minute masters on 2 workers =="
bash "$(dirname "$0")/bench_serve.sh" "$build" "$work"

echo
echo "== Scale-out: a catalogue through a broker, 1 and 2 bounce workers =="
bash "$(dirname "$0")/bench_scale_out.sh" "$build" "$work"
