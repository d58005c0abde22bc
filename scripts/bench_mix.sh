#!/usr/bin/env bash
# The mix engine: a 32-track, 4-minute, 48 kHz session (EQ and compressor on every track,
# 4 buses, 2 reverb returns) and a plain 32-track sum against sox -m of the same files.
set -euo pipefail
build=${1:?build dir}
work=${2:?work dir}
seconds=${BENCH_MIX_SECONDS:-240}
mkdir -p "$work/mix"
for i in $(seq 1 32); do
  # (Re)made when missing or of another length than asked, so the ratio below is true.
  if [ ! -f "$work/mix/t$i.wav" ] || [ "$(soxi -D "$work/mix/t$i.wav" | cut -d. -f1)" != "$seconds" ]; then
    "$build/bench/bounce-bench-programme" "$work/mix/t$i.wav" 48000 "$seconds" $(( (i % 2) + 1 )) "$i" 16
    rm -f "$work/mix/s$i.wav"
  fi
done

{
  echo "sample_rate = 48000"
  echo "tail_s = 0"
  for i in $(seq 1 32); do
    printf '[[track]]\nname = "t%d"\nfile = "t%d.wav"\ngain_db = -12\npan = %s\nbus = "b%d"\n' "$i" "$i" "$(awk -v i="$i" 'BEGIN { printf "%.2f", ((i % 7) - 3) / 4 }')" $(( (i % 4) + 1 ))
    printf '[[track.insert]]\ntype = "eq"\n[[track.insert.band]]\ntype = "highpass"\nfreq_hz = 60\nslope_db_oct = 12\n[[track.insert.band]]\ntype = "peak"\nfreq_hz = 2500\ngain_db = 2\nq = 1\n'
    printf '[[track.insert]]\ntype = "compressor"\nthreshold_db = -24\nratio = 3\n'
    printf '[[track.send]]\nto = "%s"\nlevel_db = -18\n' "$([ $((i % 2)) -eq 0 ] && echo hall || echo room)"
  done
  for b in 1 2 3 4; do printf '[[bus]]\nname = "b%d"\ngain_db = -3\n' "$b"; done
  printf '[[return]]\nname = "hall"\n[[return.insert]]\ntype = "reverb"\ndecay_s = 2.5\nmix = 1.0\n'
  printf '[[return]]\nname = "room"\n[[return.insert]]\ntype = "reverb"\ndecay_s = 0.8\nsize = 0.4\nmix = 1.0\n'
  printf '[master]\nbits = "32f"\n'
} > "$work/mix/session.toml"
{
  echo "sample_rate = 48000"
  echo "tail_s = 0"
  for i in $(seq 1 32); do printf '[[track]]\nname = "t%d"\nfile = "t%d.wav"\npan_law = "0dB"\n' "$i" "$i"; done
  printf '[master]\nbits = "32f"\n'
} > "$work/mix/plain.toml"

time_run() {  # prints seconds and the peak RSS (kB) of one run
  /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1
}
# Three runs, the median reported (one run on a shared machine can be 30 % slow).
runs=""
for run in 1 2 3; do
  read -r t rss <<<"$(time_run taskset -c 0 "$build/bounce" mix "$work/mix/session.toml" -o "$work/mix/out.wav")"
  runs="$runs $t"
done
full=$(printf '%s\n' $runs | sort -n | sed -n 2p)
awk -v t="$full" -v s="$seconds" -v r="$rss" -v all="$runs" 'BEGIN { printf "  32 tracks, EQ + compressor each, 4 buses, 2 reverbs: %.2f s (median of%s) for %d s of audio = %.0fx realtime on one core (target 60x), peak RSS %.0f MB\n", t, all, s, s / t, r / 1024 }'
read -r plain _ <<<"$(time_run taskset -c 0 "$build/bounce" mix "$work/mix/plain.toml" -o "$work/mix/plain.wav")"
args=()
for i in $(seq 1 32); do args+=(-v 1 "$work/mix/t$i.wav"); done
# sox -m wants equal channel counts: give it the stereo versions of the mono files.
for i in $(seq 1 32); do
  if [ "$(soxi -c "$work/mix/t$i.wav")" = 1 ]; then
    [ -f "$work/mix/s$i.wav" ] || sox "$work/mix/t$i.wav" "$work/mix/s$i.wav" channels 2
    args[$(( (i - 1) * 3 + 2 ))]="$work/mix/s$i.wav"
  fi
done
read -r sox _ <<<"$(time_run taskset -c 0 sox -m "${args[@]}" -e floating-point -b 32 "$work/mix/sox.wav")"
awk -v b="$plain" -v x="$sox" 'BEGIN { printf "  plain 32-track sum: bounce %.2f s, sox -m %.2f s: %.2fx faster\n", b, x, x / b }'

# bounce automix (issues 10 and 25): 24 of the 4-minute tracks analysed and the session written;
# issue 25 asks for under 5 s on one core.
mkdir -p "$work/mix/automix"
for i in $(seq 1 24); do ln -sf "../t$i.wav" "$work/mix/automix/t$i.wav"; done
/usr/bin/time -f "%e %M" -o "$work/mix/automix-time.txt" taskset -c 0 "$build/bounce" automix "$work/mix/automix" -o "$work/mix/automix.toml" >/dev/null
read -r t rss < "$work/mix/automix-time.txt"
awk -v t="$t" -v s="$seconds" -v r="$rss" 'BEGIN { printf "  automix: 24 tracks of %d s analysed, session written: %.2f s on one core (target under 5 s), peak RSS %.0f MB\n", s, t, r / 1024 }'
