#!/usr/bin/python3
"""The automix corpus (issue 25): multitrack songs rendered part by part, and the tables
bounce automix is built with, measured on them.

Needs the Debian packages planetblupi-music-midi, mma, python3-mido, fluidsynth and
fluid-soundfont-gm (scripts/install-deps.sh installs them), and a built bounce.

Sources, all General MIDI from Debian packages:
  - planetblupi-music-midi: the game's ten songs;
  - mma: the examples its documentation ships with four or more parts, and songs MMA
    writes from automix/corpus/song.mma (a 16-bar chart with a melody) in each groove
    listed in automix/corpus/grooves.txt.
Not used: the music of simutrans-data and openttd-openmsx, kept apart for an independent
evaluation.

Each song: its first 60 seconds; each MIDI channel with 20 notes or more becomes a part,
`chNN_<program>.wav` (the General MIDI program's name from automix/general_midi.csv,
`drum_kit` on channel 10), and the whole song `mix.wav`, all rendered by fluidsynth with the
FluidR3 soundfont as the demo does (no reverb or chorus, gain 0.2, 44.1 kHz, 24-bit). The
composer's balance is what the file asks for: velocities, channel volume and expression, as
the soundfont sounds them.

Then each part as `bounce automix --json` measures it on a folder of the song's parts: the
level of its loud passages and of its hits (automix balances what it puts on its drums bus
by its hits, the rest by their loud passages), its active loudness (BS.1770
integrated: its gates leave out its rests) and its sound features; and the mix's loudness, by
`bounce analyze`. Songs, not tracks, are split, and the split is fixed: the test part is the
songs automix/corpus/split.txt lists (every fourth song by name when it was first written);
every other song fits:
  - automix/corpus/role_levels.csv: each family's level relative to the lead (fit_levels);
  - automix/corpus/sound_families.csv: each family's features (write_sound_table).
The build compiles both in (CMakeLists.txt configures again when they change).

Usage: scripts/automix_corpus.py BUILD_DIR OUT_DIR [--jobs N] [--reuse] [--test-part] [--cross-validate]
  --reuse           keep songs already rendered in OUT_DIR
  --test-part       render only the test part's songs, and write no table (the test does this)
  --cross-validate  also print the fitting part's cross-validated error for each level measure
                    and prior (how the measure and PRIOR_SD_LU were chosen)
About 15 minutes on two cores from nothing; writes OUT_DIR/songs/NAME/*.wav and
OUT_DIR/parts.csv (every part measured), and prints the table's predicted error.
"""
import csv
import hashlib
import json
import math
import os
import random
import shutil
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

# The General MIDI level 1 sound set, shared with bounce automix (which is built with it).
with open(os.path.join(REPO, "automix/general_midi.csv")) as _f:
    _rows = [line.strip().split(",") for line in _f if line.strip() and not line.startswith("#")][1:]
PROGRAMS = [r[1] for r in _rows]
PROGRAM_FAMILY = [r[2] for r in _rows]
FAMILIES = list(dict.fromkeys(PROGRAM_FAMILY))
assert len(PROGRAMS) == 128 and len(FAMILIES) == 16

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
        # MMA is Python: a fixed hash seed as well as the chart's RndSeed, so that it writes the
        # same file every run (its channels were otherwise dealt out in a different order).
        subprocess.run(["mma", text, "-f", midi], check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        songs.append(("groove_" + groove.lower(), midi))
    # Once each: two sources with the same notes are one song.
    seen, unique = set(), []
    for name, path in songs:
        digest = digest_of(path)
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


def part_of(channel, program):
    """A part's file name (without .wav) and its family."""
    if channel == 9:
        return f"ch{channel:02d}_drum_kit", "drums"
    return f"ch{channel:02d}_{PROGRAMS[program]}", PROGRAM_FAMILY[program]


def digest_of(path):
    return hashlib.sha1(open(path, "rb").read()).hexdigest()


def render_song(work, name, path):
    """Renders a song's parts and mix into a folder of its own, emptied first; the folder's
    source.sha1, written last, names the MIDI file it was rendered from (--reuse trusts a
    folder only when that matches)."""
    folder = os.path.join(work, "songs", name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    song = mido.MidiFile(path)
    parts = []
    for channel, program in parts_of(song):
        part, family = part_of(channel, program)
        first_seconds(song, channel).save(os.path.join(folder, part + ".mid"))
        render(os.path.join(folder, part + ".mid"), os.path.join(folder, part + ".wav"))
        parts.append((part, family, program))
    first_seconds(song, None).save(os.path.join(folder, "mix.mid"))
    render(os.path.join(folder, "mix.mid"), os.path.join(folder, "mix.wav"))
    with open(os.path.join(folder, "source.sha1"), "w") as f:
        f.write(digest_of(path) + "\n")
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


# A melodic family's level is pulled toward the typical melodic part's by how little its
# parts say (shrink): the prior's standard deviation, in LU, chosen by cross-validation on the
# fitting part (--cross-validate; docs/automix.md).
PRIOR_SD_LU = 1.0
RHYTHM = ("drums", "bass")  # in nearly every song: measured well enough, and not melodic parts
DRUM_BUS = ("drums", "percussive")  # the families automix puts on its drums bus, balanced by their hits


def fit_levels(rows, key="level_lufs", prior_sd=PRIOR_SD_LU):
    """Each family's level, so that a part's level (`key`: the level of its loud passages, or of
    its hits on the drums bus, as automix balances by) is its family's level plus its song's
    offset, fitted robustly (robust_fit): the level automix gives a track of that family is then
    off from the composer's by the residual, which is the per-track gain error the evaluation
    reports. Then shrunk (shrink).
    Returned relative to the lead: the median over the songs of the lead's level less its
    song's offset; with each part's residual, and each family's level before shrinking."""
    level, offset = robust_fit(rows, key)
    anchor = statistics.median([r[key] - offset[r["song"]] for r in rows if r["is_lead"]])
    residual = {id(r): r[key] - offset[r["song"]] - level[r["family"]] for r in rows}
    shrunk = shrink(level, residual, rows, prior_sd)
    return {f: v - anchor for f, v in shrunk.items()}, residual, {f: v - anchor for f, v in level.items()}


HUBER_LU = 1.0  # residuals beyond this count linearly, not squared (Huber 1964)


def robust_fit(rows, key):
    """level[family] + offset[song] fitted to the parts' levels by Huber's loss, by iteratively
    reweighted least squares (each least-squares step by alternating weighted means). The loss
    is convex, so the fit does not depend on where it starts, as alternating medians did; and
    the odd part 15 dB off its family counts for little."""
    by_family, by_song = {}, {}
    for r in rows:
        by_family.setdefault(r["family"], []).append(r)
        by_song.setdefault(r["song"], []).append(r)
    level = {f: 0.0 for f in by_family}
    offset = {s: statistics.median([r[key] for r in group]) for s, group in by_song.items()}
    weight = {id(r): 1.0 for r in rows}

    def weighted_mean(group, value):
        return sum(weight[id(r)] * value(r) for r in group) / sum(weight[id(r)] for r in group)
    for _ in range(30):
        for _ in range(10):
            level = {f: weighted_mean(group, lambda r: r[key] - offset[r["song"]]) for f, group in by_family.items()}
            offset = {s: weighted_mean(group, lambda r: r[key] - level[r["family"]]) for s, group in by_song.items()}
        for r in rows:
            error = abs(r[key] - offset[r["song"]] - level[r["family"]])
            weight[id(r)] = 1.0 if error <= HUBER_LU else HUBER_LU / error
    return level, offset


def shrink(level, residual, rows, prior_sd):
    """The posterior mean of each melodic family's level under a normal prior about the
    median melodic part's level (sd prior_sd) and its parts' spread about it (their standard
    deviation; the pooled one of all melodic parts when it has fewer than three): a family
    heard in two parts, or in parts that disagree by 15 dB, is not taken at its median's
    word. Drums and bass stay as measured."""
    melodic = [r for r in rows if r["family"] not in RHYTHM]
    if prior_sd is None or not melodic:
        return dict(level)
    prior = statistics.median([level[r["family"]] + residual[id(r)] for r in melodic])
    pooled = statistics.pstdev([residual[id(r)] for r in melodic]) ** 2
    shrunk = {}
    for family, value in level.items():
        parts = [residual[id(r)] for r in rows if r["family"] == family]
        if family in RHYTHM:
            shrunk[family] = value
            continue
        variance = statistics.pstdev(parts) ** 2 if len(parts) >= 3 else pooled
        weight = prior_sd ** 2 / (prior_sd ** 2 + variance / len(parts))
        shrunk[family] = weight * value + (1 - weight) * prior
    return shrunk


def song_errors(rows, level, key="level_lufs"):
    """The per-track gain error a table gives on these songs: automix sets each track from its
    measured level, so the scramble cancels and what is left is how far each part's level sits
    from its family's, the song's overall level aside (the median over its parts)."""
    errors = []
    for song in sorted({r["song"] for r in rows}):
        off = [level.get(r["family"], 0.0) - r[key] for r in rows if r["song"] == song]
        centre = statistics.median(off)
        errors += [abs(o - centre) for o in off]
    return errors


def baseline_errors(rows):
    """A do-nothing mix's error after a +-12 dB scramble of each part."""
    rng = random.Random(25)
    baseline = []
    for song in sorted({r["song"] for r in rows}):
        scramble = [rng.uniform(-12, 12) for r in rows if r["song"] == song]
        centre = statistics.median(scramble)
        baseline += [abs(x - centre) for x in scramble]
    return baseline


def cross_validate(fit, key, prior_sd, repeats=15):
    """Median and 90th-percentile error of a table fitted without the songs it is tried on:
    the fitting part's songs in four folds, shuffled `repeats` times (seeded); means."""
    songs = sorted({r["song"] for r in fit})
    medians, tails = [], []
    for repeat in range(repeats):
        order = songs[:]
        random.Random(repeat).shuffle(order)
        errors = []
        for fold in range(4):
            held = set(order[fold::4])
            level, _, _ = fit_levels([r for r in fit if r["song"] not in held], key, prior_sd)
            errors += song_errors([r for r in fit if r["song"] in held], level, key)
        medians.append(statistics.median(errors))
        tails.append(statistics.quantiles(errors, n=10)[8])
    return statistics.mean(medians), statistics.mean(tails)


# The features automix's sound classifier reads (automix/roles.cpp), as it reads them: log
# centroid, low share, log onsets a second, duty cycle, log flatness.
FEATURES = [("log_centroid", lambda t: math.log(t["centroid_hz"] + 1.0)), ("low_share", lambda t: t["low_share"]),
            ("log_onsets", lambda t: math.log(t["onsets_per_s"] + 0.1)), ("duty_cycle", lambda t: t["duty_cycle"]),
            ("log_flatness", lambda t: math.log(t["flatness"] + 1e-4))]


def measure(build, work, name, parts):
    """Each part as bounce automix measures it (a folder of the song's parts): the level of its
    loud passages and of its hits, its active loudness and its sound features."""
    folder = os.path.join(work, "parts", name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for part in parts:
        os.symlink(os.path.join(work, "songs", name, part + ".wav"), os.path.join(folder, part + ".wav"))
    subprocess.run([os.path.join(build, "bounce"), "automix", folder, "-o", folder + ".toml", "--json", folder + ".json"],
                   check=True, capture_output=True)
    return {t["name"]: t for t in json.load(open(folder + ".json"))["tracks"]}


def write_sound_table(rows, path, songs):
    """Per family (five parts or more): each feature's mean and spread, for a Gaussian naive
    Bayes classifier; a spread is at least a quarter of the feature's over all parts, so that a
    family of alike parts does not claim a point it merely never saw."""
    overall = [statistics.pstdev([r["features"][i] for r in rows]) for i in range(len(FEATURES))]
    with open(path, "w") as f:
        f.write("# Written by scripts/automix_corpus.py: the sound of each General MIDI family in the fitting part of the\n"
                f"# corpus ({songs} songs), for telling a track's family from its sound when its name says nothing\n"
                "# (automix/roles.cpp): each feature's mean and standard deviation; families of five parts or more.\n")
        f.write("family,parts," + ",".join(f"mean_{n},sd_{n}" for n, _ in FEATURES) + "\n")
        for family in ["drums"] + FAMILIES:
            group = [r["features"] for r in rows if r["family"] == family]
            if len(group) < 5:
                continue
            cells = []
            for i in range(len(FEATURES)):
                values = [g[i] for g in group]
                cells += [f"{statistics.mean(values):.4f}", f"{max(statistics.pstdev(values), 0.25 * overall[i]):.4f}"]
            f.write(f"{family},{len(group)}," + ",".join(cells) + "\n")


def render_all(work, songs, jobs, reuse):
    def one(song):
        name, path = song
        marker = os.path.join(work, "songs", name, "source.sha1")
        if reuse and os.path.exists(marker) and open(marker).read().strip() == digest_of(path):
            return name, [(*part_of(c, prog), prog) for c, prog in parts_of(mido.MidiFile(path))]
        return render_song(work, name, path)
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(one, songs))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else os.cpu_count() or 2
    songs = sources(work)
    split_file = os.path.join(REPO, "automix/corpus/split.txt")
    if "--test-part" in sys.argv:
        # The evaluation's songs only (automix's test renders them): the fixed split's test part.
        test = {line.strip() for line in open(split_file) if line.strip() and not line.startswith("#")}
        rendered = render_all(work, [s for s in songs if s[0] in test], jobs, "--reuse" in sys.argv)
        for name, parts in sorted(rendered):
            print(name, len(parts))
        return
    rendered = render_all(work, songs, jobs, "--reuse" in sys.argv)
    rows = measure_rows(build, work, rendered)
    # The split is fixed: the test part is the songs split.txt lists (every fourth by name when
    # it was first written); a song added to the corpus since fits.
    if not os.path.exists(split_file):
        names = sorted({r["song"] for r in rows})
        with open(split_file, "w") as f:
            f.write("# The corpus's test part (scripts/automix_corpus.py): every fourth song by name when first written;\n"
                    "# fixed since. Every other song fits the tables.\n")
            f.write("\n".join(n for i, n in enumerate(names) if i % 4 == 3) + "\n")
    test = {line.strip() for line in open(split_file) if line.strip() and not line.startswith("#")}
    for r in rows:
        r["split"] = "test" if r["song"] in test else "fit"
    with open(os.path.join(work, "parts.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[k for k in rows[0] if k != "features"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    fit = [r for r in rows if r["split"] == "fit"]
    fit_songs, test_songs = len({r["song"] for r in fit}), len({r["song"] for r in rows}) - len({r["song"] for r in fit})
    if "--cross-validate" in sys.argv:
        measures = (("active_lufs", "active loudness"), ("loud_lufs", "loud passages"),
                    ("level_lufs", "loud passages, drums and percussive by their hits"))
        for key, what in measures:
            for prior_sd in (None, 2.0, 1.5, 1.0, 0.5):
                median, tail = cross_validate(fit, key, prior_sd)
                print(f"cross-validated on the fitting part: {what}, prior sd {prior_sd}: median {median:.2f} dB, "
                      f"90th percentile {tail:.2f} dB")
    table = os.path.join(REPO, "automix/corpus/role_levels.csv")
    levels = write_level_table(fit, table, fit_songs, test_songs)
    write_sound_table(fit, os.path.join(REPO, "automix/corpus/sound_families.csv"), fit_songs)
    for part, group in (("fit", fit), ("test", [r for r in rows if r["split"] == "test"])):
        errors, baseline = song_errors(group, levels), baseline_errors(group)
        q = statistics.quantiles(errors, n=10)
        print(f"{part}: table error median {statistics.median(errors):.2f} dB, 90th percentile {q[8]:.2f} dB; "
              f"do nothing {statistics.median(baseline):.2f} dB ({len(group)} parts)")
    print(f"{fit_songs + test_songs} songs ({test_songs} in the test part), {len(rows)} parts; table in {table}")


def measure_rows(build, work, rendered):
    """One row a part of every multitrack song: its family, levels and sound features."""
    rows = []
    for name, parts in sorted(rendered):
        if len(parts) < 3:
            continue  # not a multitrack song
        folder = os.path.join(work, "songs", name)
        mix = loudness(build, [os.path.join(folder, "mix.wav")])[os.path.join(folder, "mix.wav")]
        tracks = measure(build, work, name, [p for p, _, _ in parts])
        measured = [(p, f, prog, tracks[p]) for p, f, prog in parts if tracks[p]["loud_lufs"] is not None]
        melodic = [m for m in measured if m[1] not in RHYTHM] or measured
        lead = max(melodic, key=lambda m: m[3]["loud_lufs"])
        for part, family, program, t in measured:
            lufs = t["active_lufs"]
            rows.append({"song": name, "part": part, "family": family, "program": program, "active_lufs": lufs,
                         "loud_lufs": t["loud_lufs"], "hits_lufs": t["hits_lufs"],
                         "level_lufs": t["hits_lufs"] if family in DRUM_BUS else t["loud_lufs"],
                         "mix_lufs": round(mix, 2), "rel_mix_lu": round(lufs - mix, 2),
                         "rel_lead_lu": round(lufs - lead[3]["active_lufs"], 2), "is_lead": int(part == lead[0]),
                         "features": [f(t) for _, f in FEATURES]})
    return rows


def write_level_table(fit, table, fit_songs, test_songs):
    """automix/corpus/role_levels.csv; returns the levels it holds."""
    levels, residual, measured = fit_levels(fit)
    with open(table, "w", newline="") as f:
        f.write("# Written by scripts/automix_corpus.py: each General MIDI family's level in the fitting part of the corpus\n"
                f"# ({fit_songs} songs; the test part, {test_songs} songs listed in split.txt, is not used here). Levels are\n"
                "# those of the parts' loud passages (the loudest tenth of their 100 ms blocks, K-weighted; drums' and\n"
                "# percussive's, their hits: the loudest 3 %), as automix balances by. measured_lu: the family's level\n"
                "# relative to the song's lead (its loudest part not drums or bass), fitted as level + song offset;\n"
                "# level_lu, what automix uses: a melodic family's pulled toward the typical melodic part's by how little\n"
                f"# its parts say (prior sd {PRIOR_SD_LU} LU); spread_lu: the interquartile range of its parts about the\n"
                "# fit. rel_mix and rel_lead: each part's active loudness (BS.1770, gated) less the mix's and less the\n"
                "# lead's (median, interquartile range).\n")
        f.write("family,parts,songs,level_lu,measured_lu,spread_lu,median_rel_mix_lu,spread_rel_mix_lu,median_rel_lead_lu,"
                "spread_rel_lead_lu\n")
        for family in ["drums"] + FAMILIES:
            group = [r for r in fit if r["family"] == family]
            if not group:
                continue
            rel_mix = [r["rel_mix_lu"] for r in group]
            rel_lead = [r["rel_lead_lu"] for r in group if not r["is_lead"]] or [0.0]
            f.write(f"{family},{len(group)},{len({r['song'] for r in group})},{levels[family]:.1f},{measured[family]:.1f},"
                    f"{spread([residual[id(r)] for r in group]):.1f},{statistics.median(rel_mix):.1f},{spread(rel_mix):.1f},"
                    f"{statistics.median(rel_lead):.1f},{spread(rel_lead):.1f}\n")
    return levels


if __name__ == "__main__":
    main()
