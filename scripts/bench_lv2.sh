#!/usr/bin/env bash
# Hosting LV2 plugins (issue 22): the same plugin with the same settings on the same
# 5-minute stereo 48 kHz file, through `bounce process` (the lv2 insert) and through
# ffmpeg's lv2 filter (lilv too), both whole processes writing 32-bit float WAV.
set -euo pipefail
build=${1:?build dir}
work=${2:?work dir}
in="$work/programme5min48k.wav"
"$build/bench/bounce-bench-programme" "$in" 48000 300
# shellcheck source=bench_rows.sh
source "$(dirname "$0")/bench_rows.sh"

filters=$(ffmpeg -hide_banner -filters 2>/dev/null || true)
if ! grep -q ' lv2 ' <<< "$filters"; then
  echo "  (this ffmpeg has no lv2 filter: no peer to compare with)"
  exit 0
fi
eq='http://lsp-plug.in/plugins/lv2/para_equalizer_x16_stereo'
dpl='http://gareus.org/oss/lv2/dpl#stereo'
echo "(ratio = ffmpeg time / bounce time; above 1 means Bounce is faster)"
row "LSP EQ x16, one bell" "$(printf '[[insert]]\ntype = "lv2"\nuri = "%s"\n[insert.params]\nft_0 = 1\nfm_0 = 1\nf_0 = 1000.0\ng_0 = 2.0\nq_0 = 1.0' "$eq")" \
  "ffmpeg -af lv2 (the same plugin)" ffmpeg -nostdin -v error -y -i "$in" \
  -af "lv2=p='${eq//:/\\:}':c='ft_0=1|fm_0=1|f_0=1000|g_0=2|q_0=1'" -c:a pcm_f32le "$work/peer.wav"
row "x42 dpl limiter" "$(printf '[[insert]]\ntype = "lv2"\nuri = "%s"\n[insert.params]\nthreshold = -1.0\ntruepeak = 1' "$dpl")" \
  "ffmpeg -af lv2 (the same plugin)" ffmpeg -nostdin -v error -y -i "$in" \
  -af "lv2=p='${dpl//:/\\:}':c='threshold=-1|truepeak=1'" -c:a pcm_f32le "$work/peer.wav"
