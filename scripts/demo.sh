#!/usr/bin/env bash
# make demo: the main job on an example the project generates itself.
# Writes a 16-bar song as MIDI, renders each part to a track with fluidsynth and the
# Debian General MIDI soundfont, mixes the example session (examples/demo/session.toml)
# into a stereo mix and stems with `bounce mix`, masters the mix for streaming with
# `bounce master` (with release tags, a JSON report and an HTML page of the mix and the master), and measures the result.
set -euo pipefail
build=${1:-build}
out=${DEMO_OUT:-demo-out}
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
mkdir -p "$out/midi" "$out/tracks"

"$build/bounce-demo-midi" "$out/midi"
render() {  # MIDI -> 44.1 kHz 24-bit WAV, effects off (see shared/peers.md)
  fluidsynth -q -ni -R 0 -C 0 -g 0.2 -r 44100 -T wav -O s24 -F "$2" "$soundfont" "$1" >/dev/null 2>&1
}
for part in drums bass keys pad lead vox; do
  render "$out/midi/$part.mid" "$out/tracks/$part.wav"
done
cp examples/demo/session.toml "$out/session.toml"

"$build/bounce" mix "$out/session.toml" -o "$out/mix.wav" --stems "$out/stems"
"$build/bounce" analyze --json "$out/mix.wav" "$out"/stems/*.wav > "$out/analysis.json"
echo
# --codec-safe: the AAC, MP3 and Opus round trips of the master stay under the ceiling too.
"$build/bounce" master "$out/mix.wav" -o "$out/master.wav" --target spotify --codec-safe \
  --title "Bounce Demo" --artist "Bounce" --album "Examples" --date 2026 --json "$out/master.json" --report "$out/master.html"
echo
"$build/bounce" analyze "$out/master.wav"
echo
# How the master plays on earbuds, a phone, a laptop, a TV, a car and a club; QC findings.
# (Exit code 1 would mean an error finding: shown, not fatal to the demo.)
"$build/bounce" check "$out/master.wav" --target spotify --preview "$out/previews" --report "$out/check.html" --json "$out/check.json" || true

echo
echo "demo files:"
echo "  session:         $out/session.toml (from examples/demo/session.toml)"
echo "  tracks:          $out/tracks/*.wav (rendered from $out/midi/*.mid)"
echo "  mix:             $out/mix.wav"
echo "  stems:           $out/stems/*.wav (they sum to the mix)"
echo "  analysis report: $out/analysis.json (mix and stems, one JSON object per file)"
echo "  master:          $out/master.wav (Spotify: -14 LUFS, -1 dBTP, codec-safe, 24-bit, tagged)"
echo "  master report:   $out/master.html (open in a browser: mix and master side by side, what was done and why)"
echo "                   $out/master.json (every stage, input and output analysis, platform playback, the verdict)"
echo "  check report:    $out/check.html (open in a browser: pass or fail against Spotify, loudness, spectra per playback system,"
echo "                   spectrogram, waveform, stereo, findings)"
echo "                   $out/check.json, and $out/previews/*.wav to listen to each system"
