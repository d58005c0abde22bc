#!/usr/bin/env bash
# Mastering a 4-minute stereo 44.1 kHz song to -14 LUFS / -1 dBTP: bounce master against
# ffmpeg's two-pass loudnorm (measure, then the linear pass with the measured values, as
# ffmpeg-normalize does), same file, same output format (24-bit WAV, 44.1 kHz).
set -euo pipefail
build=${1:?build dir}
work=${2:?work dir}
song="$work/master-song.wav"
[ -f "$song" ] || "$build/bench/bounce-bench-programme" "$song" 44100 240

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

start=$(date +%s.%N)
"$build/bounce" master "$song" -o "$work/bounce-master.wav" --target spotify >/dev/null
end=$(date +%s.%N)
ours=$(seconds "$start" "$end")

start=$(date +%s.%N)
measured=$(ffmpeg -nostdin -hide_banner -i "$song" -af loudnorm=I=-14:TP=-1:LRA=11:print_format=json -f null - 2>&1 | sed -n '/^{/,/^}/p')
get() { echo "$measured" | sed -n "s/.*\"$1\" : \"\\(.*\\)\".*/\\1/p"; }
ffmpeg -nostdin -v error -y -i "$song" -af "loudnorm=I=-14:TP=-1:LRA=11:measured_I=$(get input_i):measured_TP=$(get input_tp):measured_LRA=$(get input_lra):measured_thresh=$(get input_thresh):offset=$(get target_offset):linear=true" -ar 44100 -c:a pcm_s24le "$work/ffmpeg-master.wav"
end=$(date +%s.%N)
theirs=$(seconds "$start" "$end")

report() {  # name, file, seconds
  "$build/bounce" analyze --json "$2" | awk -v n="$1" -v t="$3" -F'[:,]' '{
    for (i = 1; i <= NF; i++) { if ($i ~ /"integrated_lufs"/) I = $(i+1); if ($i ~ /"true_peak_dbtp"/) TP = $(i+1) }
    printf "  %-26s %6.2f s   %7.2f LUFS (off by %+.2f)   %6.2f dBTP (%s the -1 ceiling)\n", n, t, I, I + 14, TP, (TP <= -1 ? "under" : "OVER") }'
}
report "bounce master" "$work/bounce-master.wav" "$ours"
report "ffmpeg loudnorm, 2 passes" "$work/ffmpeg-master.wav" "$theirs"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "  ratio: bounce %.1fx faster\n", b / a }'
# Issue 15 lets the reconstruction-true detector and limiter cost mastering at most 10 %
# against the figure before it: 2.0 s on this machine, this song.
awk -v a="$ours" 'BEGIN { printf "  bounce master before issue 15: 2.0 s; now %.2f s (%+.0f %%; issue 15 allows +10 %%: %s)\n", a, 100 * (a / 2.0 - 1), (a <= 2.2 ? "met" : "NOT met") }'

# A finished song that needs only gain (issue 16): every stage but the gain bypassed, so the
# master is one read, one write and the analysis. Beside the full chain's time above, and
# sox applying the same gain (one read, one write, no analysis) as the floor.
finished="$work/master-finished.wav"
[ -f "$finished" ] || "$build/bench/bounce-bench-programme" "$finished" 44100 240 --finished
runs=""
for run in 1 2 3; do
  start=$(date +%s.%N)
  "$build/bounce" master "$finished" -o "$work/bounce-gain-only.wav" --target spotify --json "$work/gain-only.json" >/dev/null
  end=$(date +%s.%N)
  runs="$runs $(seconds "$start" "$end")"
done
gainOnly=$(printf '%s\n' $runs | sort -n | sed -n 2p)
gainDb=$(grep -m1 '"gain_db":' "$work/gain-only.json" | sed 's/.*: *\([-0-9.]*\).*/\1/')
active=$(awk '/"name":/ { gsub(/[",]/, "", $2); name = $2 } /"active": true/ { printf "%s ", name }' "$work/gain-only.json")
start=$(date +%s.%N)
sox "$finished" "$work/sox-gain.wav" gain "$gainDb" 2>/dev/null || true
end=$(date +%s.%N)
soxTime=$(seconds "$start" "$end")
awk -v t="$gainOnly" -v full="$ours" -v sx="$soxTime" -v a="$active" -v g="$gainDb" 'BEGIN {
  printf "  %-26s %6.2f s (median of 3; full chain above: %.2f s; sox gain %s dB, read and write only: %.2f s)   stages in the path: %s\n",
    "bounce master, gain only", t, full, g, sx, a }'

# Reference-matched master (issue 7): the same song against a different programme at
# 48 kHz as the reference. Issue 7 asks for under 1.5 s and under 200 MB; Matchering 2.0.6
# takes 7 to 11 s and 1.3 to 1.8 GB on such songs (figures from the issue: Matchering is
# not installable here, PyPI being unreachable).
reference="$work/master-reference.wav"
[ -f "$reference" ] || "$build/bench/bounce-bench-programme" "$reference" 48000 200 2 7
# Five runs: the median is the figure (one run on a shared 2-core machine can be 30 %
# slow); the fastest and slowest are printed beside it.
times=()
rss=0
for run in 1 2 3 4 5; do
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    rss=$(/usr/bin/time -f %M "$build/bounce" master "$song" --reference "$reference" -o "$work/bounce-ref-master.wav" 2>&1 >/dev/null | tail -1)
  else
    "$build/bounce" master "$song" --reference "$reference" -o "$work/bounce-ref-master.wav" >/dev/null
  fi
  end=$(date +%s.%N)
  times+=("$(seconds "$start" "$end")")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
refTime=$(echo "$sorted" | sed -n 3p)
fastest=$(echo "$sorted" | sed -n 1p)
slowest=$(echo "$sorted" | sed -n 5p)
distance=$("$build/bounce" compare --json "$work/bounce-ref-master.wav" "$reference" | sed -n 's/.*"distance_db":\([0-9.]*\),"match_curve".*/\1/p')
before=$("$build/bounce" compare --json "$song" "$reference" | sed -n 's/.*"distance_db":\([0-9.]*\),"match_curve".*/\1/p')
awk -v t="$refTime" -v lo="$fastest" -v hi="$slowest" -v r="$rss" -v a="$before" -v b="$distance" 'BEGIN {
  printf "  %-26s %6.2f s (median of 5; %.2f to %.2f)   peak RSS %.0f MB   distance to the reference %.2f dB -> %.2f dB (target: under 1.5 s, %s)\n",
    "bounce master --reference", t, lo, hi, r / 1024, a, b, (t < 1.5 ? "met" : "NOT met") }'

# bounce check (issue 9): every playback system, HTML and JSON reports, no previews, no
# codec round trip (excluded by the issue). Median of 3.
runs=""
for run in 1 2 3; do
  start=$(date +%s.%N)
  "$build/bounce" check "$song" --no-codecs --report "$work/check.html" --json "$work/check.json" >/dev/null || true
  end=$(date +%s.%N)
  runs="$runs $(seconds "$start" "$end")"
done
median=$(printf '%s\n' $runs | sort -n | sed -n 2p)
awk -v t="$median" -v all="$runs" 'BEGIN { printf "  %-26s %6.2f s   (median of%s; all six systems, HTML and JSON reports; target: under 2 s)\n", "bounce check", t, all }'
