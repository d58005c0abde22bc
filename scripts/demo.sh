#!/usr/bin/env bash
# make demo: the main job on an example the project generates itself.
# Today: writes a 16-bar song as MIDI, renders each part to a stem and the full
# arrangement with fluidsynth and the Debian General MIDI soundfont, then measures them
# with `bounce analyze`. (Mixing and mastering join the demo as `bounce mix` and
# `bounce master` land.)
set -euo pipefail
build=${1:-build}
out=${DEMO_OUT:-demo-out}
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
mkdir -p "$out/midi" "$out/stems"

"$build/bounce-demo-midi" "$out/midi"
render() {  # MIDI -> 44.1 kHz 24-bit WAV, effects off (see shared/peers.md)
  fluidsynth -q -ni -R 0 -C 0 -g 0.2 -r 44100 -T wav -O s24 -F "$2" "$soundfont" "$1" >/dev/null 2>&1
}
for part in drums bass keys lead; do
  render "$out/midi/$part.mid" "$out/stems/$part.wav"
done
render "$out/midi/song.mid" "$out/song.wav"

"$build/bounce" analyze "$out/song.wav" "$out"/stems/*.wav
"$build/bounce" analyze --json "$out/song.wav" "$out"/stems/*.wav > "$out/analysis.json"
"$build/bounce" analyze --curve "$out/song.loudness.csv" "$out/song.wav" > /dev/null

echo
echo "demo files:"
echo "  stems:           $out/stems/{drums,bass,keys,lead}.wav"
echo "  full song:       $out/song.wav"
echo "  analysis report: $out/analysis.json (one JSON object per file)"
echo "  loudness curve:  $out/song.loudness.csv"
