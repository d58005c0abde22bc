#!/usr/bin/env bash
# Processors against their peers on the same 60 s stereo 48 kHz file, whole process to a
# 32-bit float WAV on both sides, best of 5 wall-clock runs. Prints each ratio.
set -euo pipefail
build=${1:?build dir}
work=${2:?work dir}
in="$work/programme48k.wav"
"$build/bench/bounce-bench-programme" "$in" 48000 60

# shellcheck source=bench_rows.sh
source "$(dirname "$0")/bench_rows.sh"

echo "(ratio = peer time / bounce time; above 1 means Bounce is faster)"
row "peak EQ" $'[[insert]]\ntype = "peak"\nfreq_hz = 1000\ngain_db = 3\nq = 1.0' \
  "sox equalizer" sox "$in" -e floating-point -b 32 "$work/peer.wav" equalizer 1000 1q 3
row "high-pass 24 dB/oct" $'[[insert]]\ntype = "highpass"\nfreq_hz = 80\nslope_db_oct = 24' \
  "sox highpass x2 (24 dB/oct)" sox "$in" -e floating-point -b 32 "$work/peer.wav" highpass 80 highpass 80
row "compressor" $'[[insert]]\ntype = "compressor"\nthreshold_db = -20\nratio = 4\nattack_ms = 10\nrelease_ms = 100' \
  "sox compand" sox "$in" -e floating-point -b 32 "$work/peer.wav" compand 0.01,0.1 6:-20,-20,-5 0 -90 0
row "compressor" $'[[insert]]\ntype = "compressor"\nthreshold_db = -20\nratio = 4\nattack_ms = 10\nrelease_ms = 100' \
  "ffmpeg acompressor" ffmpeg -nostdin -v error -y -i "$in" -af acompressor=threshold=0.1:ratio=4:attack=10:release=100 -c:a pcm_f32le "$work/peer.wav"
row "limiter (true peak)" $'[[insert]]\ntype = "limiter"\nceiling_dbtp = -1' \
  "ffmpeg alimiter (sample peak)" ffmpeg -nostdin -v error -y -i "$in" -af alimiter=limit=0.891251:level=0:attack=5:release=50:latency=1 -c:a pcm_f32le "$work/peer.wav"
row "limiter (true peak)" $'[[insert]]\ntype = "limiter"\nceiling_dbtp = -1' \
  "x42-dpl true peak (ffmpeg lv2)" ffmpeg -nostdin -v error -y -i "$in" -af "lv2=p='http\://gareus.org/oss/lv2/dpl#stereo':c='gain=0|threshold=-1|release=0.05|truepeak=1'" -c:a pcm_f32le "$work/peer.wav"
row "reverb" $'[[insert]]\ntype = "reverb"\ndecay_s = 2.0\nmix = 0.3' \
  "sox reverb" sox "$in" -e floating-point -b 32 "$work/peer.wav" reverb 50 50 100
# FIR: the same 2 s stereo impulse response through both convolution engines.
sox -n -r 48000 -c 2 -b 32 -e floating-point "$work/ir.wav" synth 2 whitenoise fade l 0 2 2 vol 0.1 >/dev/null 2>&1
row "convolution (2 s IR)" $'[[insert]]\ntype = "convolution_reverb"\nimpulse = "ir.wav"\nmix = 1.0\nnormalize = false' \
  "ffmpeg afir" ffmpeg -nostdin -v error -y -i "$in" -i "$work/ir.wav" -filter_complex "[0:a][1:a]afir=dry=10:wet=10" -c:a pcm_f32le "$work/peer.wav"
