#!/usr/bin/python3
"""The automix corpus (issue 25): multitrack songs rendered part by part, and the role
table measured on them.

Unfinished (issue 25's first slice): not yet run to the end, and nothing reads its output
yet. Needs the Debian packages planetblupi-music-midi, mma and python3-mido (not yet in
scripts/install-deps.sh).

Sources, all General MIDI from Debian packages:
  - planetblupi-music-midi: the game's ten songs;
  - mma: the examples its documentation ships with four or more parts, and songs MMA
    writes from automix/corpus/song.mma (a 16-bar chart with a melody) in each groove
    listed in automix/corpus/grooves.txt.
Not used: the music of simutrans-data and openttd-openmsx, kept apart for an independent
evaluation.

Each song: its first 60 seconds; each MIDI channel with 20 notes or more becomes a part,
`chNN_<program>.wav` (the General MIDI program's name, `drum_kit` on channel 10), and the
whole song `mix.wav`, all rendered by fluidsynth with the FluidR3 soundfont as the demo
does (no reverb or chorus, gain 0.2, 44.1 kHz, 24-bit). The composer's balance is what the
file asks for: velocities, channel volume and expression, as the soundfont sounds them.

Then each part's active loudness (BS.1770 integrated: its gates leave out its rests) and
the mix's, by `bounce analyze`, and the table: for each General MIDI family, the median and
spread of its parts' loudness relative to the mix and to the song's lead (its loudest
part that is not drums or bass), over the fitting part of the corpus only. Songs, not
tracks, are split: every fourth song by name is in the test part.

Usage: scripts/automix_corpus.py BUILD_DIR OUT_DIR [--jobs N]
Writes OUT_DIR/songs/NAME/*.wav, OUT_DIR/parts.csv (every part measured) and
automix/corpus/role_levels.csv (the table, in the repository).
"""
import csv
import hashlib
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import mido

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SECONDS = 60.0
MIN_NOTES = 20

# The General MIDI level 1 program names (MMA Technical Note, "General MIDI Level 1
# Sound Set"), as file-name words.
PROGRAMS = """acoustic_grand bright_acoustic electric_grand honky_tonk electric_piano_1 electric_piano_2 harpsichord clavinet
celesta glockenspiel music_box vibraphone marimba xylophone tubular_bells dulcimer
drawbar_organ percussive_organ rock_organ church_organ reed_organ accordion harmonica tango_accordion
nylon_guitar steel_guitar jazz_guitar clean_guitar muted_guitar overdriven_guitar distortion_guitar guitar_harmonics
acoustic_bass fingered_bass picked_bass fretless_bass slap_bass_1 slap_bass_2 synth_bass_1 synth_bass_2
violin viola cello contrabass tremolo_strings pizzicato_strings orchestral_harp timpani
string_ensemble_1 string_ensemble_2 synth_strings_1 synth_strings_2 choir_aahs voice_oohs synth_voice orchestra_hit
trumpet trombone tuba muted_trumpet french_horn brass_section synth_brass_1 synth_brass_2
soprano_sax alto_sax tenor_sax baritone_sax oboe english_horn bassoon clarinet
piccolo flute recorder pan_flute blown_bottle shakuhachi whistle ocarina
square_lead saw_lead calliope_lead chiff_lead charang_lead voice_lead fifths_lead bass_lead
new_age_pad warm_pad polysynth_pad choir_pad bowed_pad metallic_pad halo_pad sweep_pad
rain_fx soundtrack_fx crystal_fx atmosphere_fx brightness_fx goblins_fx echoes_fx sci_fi_fx
sitar banjo shamisen koto kalimba bagpipe fiddle shanai
tinkle_bell agogo steel_drums woodblock taiko_drum melodic_tom synth_drum reverse_cymbal
guitar_fret_noise breath_noise seashore bird_tweet telephone_ring helicopter applause gunshot""".split()
FAMILIES = ["piano", "chromatic_percussion", "organ", "guitar", "bass", "strings", "ensemble", "brass", "reed", "pipe",
            "synth_lead", "synth_pad", "synth_effects", "ethnic", "percussive", "sound_effects"]
assert len(PROGRAMS) == 128

# The MMA examples with four parts or more that are songs (not one-feature demos), once each.
MMA_EXAMPLES = ["after/cresc", "aria/barb", "aria/bossa", "aria/when-or-where", "harmony/harmony", "harmony/smile",
                "midi-inc/frankie", "midi-inc/frankie3", "midi-inc/frankie4", "midi-inc/mid2seq/countme",
                "midi-inc/mid2seq/rockgroove", "midi-inc/mid2seq/solo-seq", "midi-inc/mid2seq/test", "misc/grooves",
                "misc/midinote", "misc/truncate", "riffs/riffs", "rndset/tempo", "scales/scales", "simple/bill-bailey",
                "simple/marine-hymn", "solo/solo", "triggers/hits", "tutorial/deep-river", "tutorial/fella2"]


def sources(work):
    songs = []
    for n in range(10):
        songs.append((f"blupi_{n:02d}", f"/usr/share/planetblupi/music/music{n:03d}.mid"))
    for example in MMA_EXAMPLES:
        songs.append(("mma_" + example.split("/")[-1].replace("-", "_"), f"/usr/share/doc/mma/examples/{example}.mid"))
    chart = open(os.path.join(REPO, "automix/corpus/song.mma")).read()
    os.makedirs(os.path.join(work, "mma"), exist_ok=True)
    for groove in open(os.path.join(REPO, "automix/corpus/grooves.txt")).read().split():
        text = os.path.join(work, "mma", groove + ".mma")
        midi = os.path.join(work, "mma", groove + ".mid")
        with open(text, "w") as f:
            f.write(chart.replace("GROOVE", groove))
        subprocess.run(["mma", text, "-f", midi], check=True, capture_output=True)
        songs.append(("groove_" + groove.lower(), midi))
    # Once each: two sources with the same notes are one song.
    seen, unique = set(), []
    for name, path in songs:
        digest = hashlib.sha1(open(path, "rb").read()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            unique.append((name, path))
    return unique


def first_seconds(song, channel):
    """The song's first SECONDS as one track at 960 ticks a second, all channels or one."""
    out = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    out.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    now = last = 0.0
    for message in song:
        now += message.time
        if now > SECONDS:
            break
        if message.is_meta or not hasattr(message, "channel"):
            continue
        if channel is not None and message.channel != channel:
            continue
        ticks = round((now - last) * 960)
        last += ticks / 960
        track.append(message.copy(time=ticks))
    # Then every note off, and a second later every sound off (a drum kit's looped samples
    # would ring on), so that a part ends where the song was cut.
    for c in ([channel] if channel is not None else range(16)):
        track.append(mido.Message("control_change", channel=c, control=123, value=0, time=0))
    for i, c in enumerate([channel] if channel is not None else range(16)):
        track.append(mido.Message("control_change", channel=c, control=120, value=0, time=960 if i == 0 else 0))
    return out


def parts_of(song):
    notes, programs = {}, {}
    now = 0.0
    for message in song:
        now += message.time
        if now > SECONDS:
            break
        if message.type == "program_change":
            programs.setdefault(message.channel, message.program)
        if message.type == "note_on" and message.velocity > 0:
            notes[message.channel] = notes.get(message.channel, 0) + 1
    return [(c, programs.get(c, 0)) for c in sorted(notes) if notes[c] >= MIN_NOTES]


def render(midi_path, wav_path):
    subprocess.run(["fluidsynth", "-q", "-ni", "-R", "0", "-C", "0", "-g", "0.2", "-r", "44100", "-T", "wav", "-O", "s24",
                    "-F", wav_path, SOUNDFONT, midi_path], check=True, capture_output=True)


def render_song(work, name, path):
    folder = os.path.join(work, "songs", name)
    os.makedirs(folder, exist_ok=True)
    song = mido.MidiFile(path)
    parts = []
    for channel, program in parts_of(song):
        part = f"ch{channel:02d}_" + ("drum_kit" if channel == 9 else PROGRAMS[program])
        first_seconds(song, channel).save(os.path.join(folder, part + ".mid"))
        render(os.path.join(folder, part + ".mid"), os.path.join(folder, part + ".wav"))
        parts.append((part, "drums" if channel == 9 else FAMILIES[program // 8], program))
    first_seconds(song, None).save(os.path.join(folder, "mix.mid"))
    render(os.path.join(folder, "mix.mid"), os.path.join(folder, "mix.wav"))
    return name, parts


def loudness(build, paths):
    result = subprocess.run([os.path.join(build, "bounce"), "analyze", "--json", *paths], capture_output=True, text=True)
    values = {}
    for line in result.stdout.splitlines():
        row = json.loads(line)
        values[row["path"]] = row.get("integrated_lufs")
    return values


def spread(values):
    """The interquartile range (half of it is the typical distance from the median)."""
    if len(values) < 4:
        return float("nan")
    q = statistics.quantiles(values, n=4)
    return q[2] - q[0]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else os.cpu_count() or 2
    songs = sources(work)
    with ThreadPoolExecutor(jobs) as pool:
        rendered = list(pool.map(lambda s: render_song(work, *s), songs))
    rows = []
    for index, (name, parts) in enumerate(sorted(rendered)):
        if len(parts) < 3:
            continue  # not a multitrack song
        folder = os.path.join(work, "songs", name)
        level = loudness(build, [os.path.join(folder, p + ".wav") for p, _, _ in parts] + [os.path.join(folder, "mix.wav")])
        mix = level[os.path.join(folder, "mix.wav")]
        measured = [(p, f, prog, level[os.path.join(folder, p + ".wav")]) for p, f, prog in parts]
        measured = [m for m in measured if m[3] is not None]
        melodic = [m for m in measured if m[1] not in ("drums", "bass")]
        lead = max(melodic, key=lambda m: m[3]) if melodic else max(measured, key=lambda m: m[3])
        for part, family, program, lufs in measured:
            rows.append({"song": name, "part": part, "family": family, "program": program, "active_lufs": round(lufs, 2),
                         "mix_lufs": round(mix, 2), "rel_mix_lu": round(lufs - mix, 2), "rel_lead_lu": round(lufs - lead[3], 2),
                         "is_lead": int(part == lead[0])})
    names = sorted({r["song"] for r in rows})
    test = {n for i, n in enumerate(names) if i % 4 == 3}
    for r in rows:
        r["split"] = "test" if r["song"] in test else "fit"
    with open(os.path.join(work, "parts.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    fit = [r for r in rows if r["split"] == "fit"]
    table = os.path.join(REPO, "automix/corpus/role_levels.csv")
    with open(table, "w", newline="") as f:
        f.write("# Written by scripts/automix_corpus.py: each General MIDI family's active loudness relative to the mix\n"
                f"# and to the song's lead, over the fitting part of the corpus ({len(names) - len(test)} songs; the test part,\n"
                f"# {len(test)} songs, is every fourth by name and is not used here). Spread: the interquartile range.\n")
        f.write("family,parts,songs,median_rel_mix_lu,spread_rel_mix_lu,median_rel_lead_lu,spread_rel_lead_lu\n")
        for family in ["drums"] + FAMILIES:
            group = [r for r in fit if r["family"] == family]
            if not group:
                continue
            rel_mix = [r["rel_mix_lu"] for r in group]
            rel_lead = [r["rel_lead_lu"] for r in group if not r["is_lead"]] or [0.0]
            f.write(f"{family},{len(group)},{len({r['song'] for r in group})},{statistics.median(rel_mix):.1f},{spread(rel_mix):.1f},"
                    f"{statistics.median(rel_lead):.1f},{spread(rel_lead):.1f}\n")
    with open(os.path.join(REPO, "automix/corpus/split.txt"), "w") as f:
        f.write("# The corpus's test part (scripts/automix_corpus.py): every fourth song by name. The rest fits the table.\n")
        f.write("\n".join(sorted(test)) + "\n")
    print(f"{len(names)} songs ({len(test)} in the test part), {len(rows)} parts; table in {table}")


if __name__ == "__main__":
    main()
