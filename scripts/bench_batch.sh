#!/usr/bin/env bash
# A catalogue (issue 20): 20 four-minute stereo 44.1 kHz songs mastered to -14 LUFS /
# -1 dBTP as one batch with --jobs 2, the same 20 with --jobs 1 (one after another), and
# ffmpeg's two-pass loudnorm over the same files one after another (measure, then the
# linear pass, as ffmpeg-normalize does). On 2 cores the batch should approach 2x.
set -euo pipefail
build=${1:?build dir}
work=${2:?work dir}
songs=()
for i in $(seq 1 20); do
  song="$work/batch-song-$i.wav"
  [ -f "$song" ] || "$build/bench/bounce-bench-programme" "$song" 44100 240 2 "$i"
  songs+=("$song")
done
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

timed() {  # prints the wall time of the command
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  seconds "$start" "$end"
}

rm -rf "$work/batch-1" "$work/batch-2" "$work/batch-ffmpeg"
mkdir -p "$work/batch-ffmpeg"
one=$(timed "$build/bounce" master "${songs[@]}" -o "$work/batch-1/" --jobs 1)
two=$(timed "$build/bounce" master "${songs[@]}" -o "$work/batch-2/" --jobs 2)
loudnorm() {
  for song in "${songs[@]}"; do
    local measured
    measured=$(ffmpeg -nostdin -hide_banner -i "$song" -af loudnorm=I=-14:TP=-1:LRA=11:print_format=json -f null - 2>&1 | sed -n '/^{/,/^}/p')
    get() { echo "$measured" | sed -n "s/.*\"$1\" : \"\\(.*\\)\".*/\\1/p"; }
    ffmpeg -nostdin -v error -y -i "$song" -af "loudnorm=I=-14:TP=-1:LRA=11:measured_I=$(get input_i):measured_TP=$(get input_tp):measured_LRA=$(get input_lra):measured_thresh=$(get input_thresh):offset=$(get target_offset):linear=true" -ar 44100 -c:a pcm_s24le "$work/batch-ffmpeg/$(basename "$song")"
  done
}
ff=""
if command -v ffmpeg >/dev/null; then ff=$(timed loudnorm); fi
masters=$(find "$work/batch-2" -name '*.master.wav' | wc -l)
awk -v one="$one" -v two="$two" -v ff="$ff" -v n="$masters" 'BEGIN {
  printf "  bounce master, 20 songs, --jobs 1     %7.1f s\n", one
  printf "  bounce master, 20 songs, --jobs 2     %7.1f s   (%d masters; %.2fx the --jobs 1 run; the issue asks to approach 2x)\n", two, n, one / two
  if (ff != "") printf "  ffmpeg loudnorm, 2 passes, 20 songs   %7.1f s   (bounce --jobs 2 is %.1fx faster, --jobs 1 %.1fx)\n", ff, ff / two, ff / one
}'
