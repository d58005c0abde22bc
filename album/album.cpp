#include "bounce/album.h"

#include "bounce/atomic_output.h"
#include "bounce/dither.h"
#include "bounce/error.h"
#include "bounce/limiter.h"
#include "bounce/master.h"
#include "bounce/output_writer.h"
#include "bounce/sound_file.h"
#include "bounce/toml_params.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace bounce {
namespace fs = std::filesystem;

namespace {

constexpr double kCdRate = 44100.0;
constexpr std::uint64_t kCdFrame = 588;  // samples per CD frame (1/75 s at 44.1 kHz)
constexpr double kDefaultGapSeconds = 2.0;
constexpr std::size_t kBlock = 4096;

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

// A file name from a title: no path separators or characters file systems refuse.
std::string safeName(const std::string& text) {
    std::string out;
    for (char c : text) out += std::string("/\\:*?\"<>|").find(c) == std::string::npos && static_cast<unsigned char>(c) >= 32 ? c : '_';
    out = trimmed(out);
    return out.empty() ? "untitled" : out;
}

AlbumTrackSpec readTrack(const ParamTable& t, const fs::path& folder) {
    AlbumTrackSpec track;
    track.line = t.line;
    const std::string file = t.text("file", "");
    if (file.empty()) t.fail("file", "a track needs a file");
    fs::path path(file);
    if (path.is_relative()) path = folder / path;
    track.file = path.string();
    try {
        SoundFileReader reader(track.file);
        if (reader.info().channels > 2)
            t.fail("file", file + " has " + std::to_string(reader.info().channels) + " channels; an album takes mono or stereo songs");
        if (reader.info().frames == 0) t.fail("file", file + " holds no audio");
    } catch (const ConfigError&) {
        throw;
    } catch (const Error& e) {
        t.fail("file", e.what());
    }
    track.title = t.text("title", "");
    if (track.title.empty()) t.fail("title", "a track needs a title");
    track.artist = t.text("artist", "");
    track.isrc = t.text("isrc", "");
    if (!track.isrc.empty() && !isValidIsrc(track.isrc))
        t.fail("isrc", "isrc must be 12 characters (ISO 3901: 2 letters, 3 letters or digits, 7 digits), got \"" + track.isrc + "\"");
    // Read even when absent, so that the unknown-key message lists them.
    const double gap = t.number("gap_s", kDefaultGapSeconds, 0.0, 60.0);
    if (t.has("gap_s")) track.gapSeconds = gap;
    track.crossfadeSeconds = t.number("crossfade_s", 0.0, 0.0, 30.0);
    const std::string curve = t.choice("crossfade_curve", "equal_power", {"equal_power", "linear"});
    track.crossfadeCurve = curve == "linear" ? FadeShape::Linear : FadeShape::EqualPower;
    track.trimSilence = t.flag("trim_silence", false);
    std::vector<std::string> styleOrNone{""};
    styleOrNone.insert(styleOrNone.end(), masterStyles().begin(), masterStyles().end());
    track.style = t.choice("style", "", styleOrNone);
    const double intensity = t.number("intensity", 0.5, 0.0, 1.0);
    if (t.has("intensity")) track.intensity = intensity;
    track.loudnessOffsetLu = t.number("loudness_offset_lu", 0.0, -20.0, 6.0);
    t.rejectUnknownKeys("track '" + track.title + "'");
    return track;
}

}  // namespace

std::string normalisedCatalogueNumber(const std::string& code, const std::string& what) {
    std::string digits;
    for (char c : code)
        if (c != ' ' && c != '-') digits += c;
    bool ok = (digits.size() == 12 || digits.size() == 13) &&
              std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    if (ok) {
        if (digits.size() == 12) digits = "0" + digits;  // UPC-A is EAN-13 with a leading 0
        // GS1 check digit: weights 1 and 3 alternating from the left over the first 12.
        int sum = 0;
        for (int i = 0; i < 12; ++i) sum += (digits[static_cast<std::size_t>(i)] - '0') * (i % 2 ? 3 : 1);
        ok = (10 - sum % 10) % 10 == digits[12] - '0';
    }
    if (!ok) throw ConfigError(what + " must be a UPC-A (12 digits) or EAN-13 (13 digits) with a valid check digit, got \"" + code + "\"");
    return digits;
}

AlbumManifest readAlbumManifest(const std::string& path) {
    const toml::table root = readTomlFile(path, "album manifest");
    ParamTable top = paramTableFromToml(root, path);
    top.line = 1;
    const fs::path folder = fs::path(path).parent_path();
    AlbumManifest m;
    m.path = path;
    m.title = top.text("title", "");
    if (m.title.empty()) top.fail("title", "an album needs a title");
    m.artist = top.text("artist", "");
    if (m.artist.empty()) top.fail("artist", "an album needs an artist");
    m.date = top.text("date", "");
    m.genre = top.text("genre", "");
    if (top.has("upc")) m.upc = normalisedCatalogueNumber(top.text("upc", ""), top.where("upc") + ": upc");
    if (top.has("artwork")) {
        fs::path artwork(top.text("artwork", ""));
        if (artwork.is_relative()) artwork = folder / artwork;
        m.artworkPath = artwork.string();
        Metadata check;
        check.artworkPath = m.artworkPath;
        try {
            validateMetadata(check);
        } catch (const ConfigError& e) {
            top.fail("artwork", e.what());
        }
    }
    m.style = top.choice("style", "neutral", masterStyles());
    m.intensity = top.number("intensity", 0.5, 0.0, 1.0);
    for (const auto& t : top.tables("track")) m.tracks.push_back(readTrack(t, folder));
    top.rejectUnknownKeys("the album");
    if (m.tracks.empty()) top.fail("track", "an album needs at least one [[track]]");
    for (std::size_t i = 0; i < m.tracks.size(); ++i) {
        const AlbumTrackSpec& t = m.tracks[i];
        if (t.crossfadeSeconds <= 0.0) continue;
        const std::string where = fileLine(path, t.line);
        if (i + 1 == m.tracks.size()) throw ConfigError(where + "the last track has nothing to crossfade into");
        if (m.tracks[i + 1].gapSeconds && *m.tracks[i + 1].gapSeconds > 0.0)
            throw fileLineError(path, m.tracks[i + 1].line, "a track that is crossfaded into cannot have a gap");
    }
    return m;
}

std::vector<std::string> redBookProblems(const std::vector<AlbumTrackResult>& tracks, std::uint64_t totalFrames,
                                         const std::vector<std::string>& isrcs, const std::string& upc) {
    std::vector<std::string> problems;
    char text[200];
    if (tracks.size() > 99) problems.push_back("a CD holds at most 99 tracks (this album has " + std::to_string(tracks.size()) + ")");
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        const double seconds = static_cast<double>(tracks[i].end - tracks[i].index01) / kCdRate;
        if (seconds < 4.0) {
            std::snprintf(text, sizeof text, "track %zu is %.2f s long; a CD track must last at least 4 s", i + 1, seconds);
            problems.push_back(text);
        }
    }
    const double minutes = static_cast<double>(totalFrames) / kCdRate / 60.0;
    if (minutes > 79.8) {
        std::snprintf(text, sizeof text, "the album lasts %.2f minutes; a CD holds at most 79.8", minutes);
        problems.push_back(text);
    }
    if (!tracks.empty() && (tracks[0].index00 != 0 || tracks[0].index01 != static_cast<std::uint64_t>(2.0 * kCdRate)))
        problems.push_back("the first track must have a pre-gap of 2 s (INDEX 00 at 0, INDEX 01 at 2 s)");
    for (std::size_t i = 0; i < isrcs.size(); ++i)
        if (!isrcs[i].empty() && !isValidIsrc(isrcs[i]))
            problems.push_back("track " + std::to_string(i + 1) + ": ISRC \"" + isrcs[i] + "\" is not 12 characters of ISO 3901");
    if (!upc.empty()) {
        try {
            normalisedCatalogueNumber(upc, "the catalogue number");
        } catch (const ConfigError& e) {
            problems.push_back(e.what());
        }
    }
    return problems;
}

std::string cueSheet(const AlbumManifest& manifest, const std::vector<AlbumTrackResult>& tracks, const std::string& fileName) {
    const auto quoted = [](const std::string& s) {
        std::string out;
        for (char c : s) out += c == '"' ? '\'' : c;
        return "\"" + out + "\"";
    };
    const auto time = [](std::uint64_t frames) {
        const std::uint64_t cdFrames = frames / kCdFrame;
        char text[64];
        std::snprintf(text, sizeof text, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(cdFrames / 75 / 60),
                      static_cast<unsigned long long>(cdFrames / 75 % 60), static_cast<unsigned long long>(cdFrames % 75));
        return std::string(text);
    };
    std::string cue = "REM COMMENT \"Bounce\"\n";
    if (!manifest.date.empty()) cue += "REM DATE " + manifest.date + "\n";
    if (!manifest.upc.empty()) cue += "CATALOG " + manifest.upc + "\n";
    cue += "PERFORMER " + quoted(manifest.artist) + "\n";
    cue += "TITLE " + quoted(manifest.title) + "\n";
    cue += "FILE " + quoted(fileName) + " WAVE\n";
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        const AlbumTrackResult& t = tracks[i];
        char number[24];
        std::snprintf(number, sizeof number, "%02zu", i + 1);
        cue += std::string("  TRACK ") + number + " AUDIO\n";
        cue += "    TITLE " + quoted(t.title) + "\n";
        cue += "    PERFORMER " + quoted(t.artist) + "\n";
        const std::string& isrc = manifest.tracks[i].isrc;
        if (!isrc.empty()) {
            std::string code;
            for (char c : isrc)
                if (c != '-') code += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            cue += "    ISRC " + code + "\n";
        }
        if (t.index00 < t.index01) cue += "    INDEX 00 " + time(t.index00) + "\n";
        cue += "    INDEX 01 " + time(t.index01) + "\n";
    }
    return cue;
}

namespace {

// One song on the album's timeline: its mastered file, where it plays, how it fades.
struct Placement {
    std::string masteredPath;
    std::uint64_t skip = 0;    // frames trimmed at the head of the mastered file
    std::uint64_t start = 0;   // timeline frame of its first sample
    std::uint64_t length = 0;  // frames it plays
    std::uint64_t fadeIn = 0, fadeOut = 0;
    FadeShape fadeInShape = FadeShape::EqualPower, fadeOutShape = FadeShape::EqualPower;
    float gain = 1.0f;  // the album rule's correction (linear, <= 1)
    std::unique_ptr<SoundFileReader> reader;
    AudioBuffer scratch;
    std::uint64_t end() const noexcept { return start + length; }
};

std::uint64_t roundUpTo(std::uint64_t frames, std::uint64_t step) { return (frames + step - 1) / step * step; }
std::uint64_t roundTo(std::uint64_t frames, std::uint64_t step) { return (frames + step / 2) / step * step; }

// What the album is delivered as.
struct AlbumFormat {
    FileFormat container = FileFormat::Wav;
    SampleFormat sampleFormat = SampleFormat::Pcm24;  // Float32 for lossy files: the encoder takes the float render
    double rate = 0.0;
    int bitrateKbps = 0;  // MP3 and AAC; 0: the format's default
    int vbrQuality = -1;  // MP3: LAME's VBR scale
};

// The target, ceiling, container, bits and rate: CD's with --cd, else the target's, else
// the first song's.
AlbumFormat resolveAlbumFormat(const AlbumManifest& manifest, const AlbumSettings& settings, AlbumResult& result) {
    // Checked before any song is mastered.
    const LoudnessAim aim = resolveLoudnessAim(settings.target, settings.lufs, settings.ceilingDbtp);
    const LoudnessTarget* target = aim.target;
    result.targetLufs = aim.lufs;
    result.ceilingDbtp = aim.ceilingDbtp;
    const std::string bits = !settings.bits.empty() ? settings.bits : !target->bits.empty() ? target->bits : "24";
    AlbumFormat f;
    f.container = outputFormatNamed(settings.format);
    f.sampleFormat = outputSampleFormat(bits, f.container);
    f.bitrateKbps = settings.bitrateKbps;
    f.vbrQuality = settings.vbrQuality;
    if (f.bitrateKbps > 0 && f.container != FileFormat::Mp3 && f.container != FileFormat::Aac)
        throw ConfigError("--bitrate applies to mp3 and aac albums, not " + settings.format);
    f.rate = settings.cd                ? kCdRate
             : target->sampleRate > 0.0 ? target->sampleRate
                                        : SoundFileReader(manifest.tracks.front().file).info().sampleRate;
    // The streaming files at a rate their format holds (an MP3 album of 96 kHz songs: 48 kHz).
    if (settings.cd && deliverableRate(f.container, f.rate) != f.rate)
        throw ConfigError("--cd: the CD image and the " + settings.format + " files share one rate, and " + settings.format +
                          " cannot hold 44.1 kHz");
    f.rate = deliverableRate(f.container, f.rate);
    result.sampleRate = f.rate;
    return f;
}

// The loudness rule: each song's target (album mode keeps the songs' differences).
std::vector<double> songTargets(const AlbumManifest& manifest, const AlbumSettings& settings, std::vector<double>& inputLufs,
                                double targetLufs) {
    const std::size_t count = manifest.tracks.size();
    inputLufs.assign(count, 0.0);
    for (std::size_t i = 0; i < count; ++i) {
        const auto lufs = integratedLoudnessOf(manifest.tracks[i].file);
        if (!lufs) throw Error(manifest.tracks[i].file + ": the song is silent (no block above -70 LUFS)");
        inputLufs[i] = *lufs;
    }
    const double loudest = *std::max_element(inputLufs.begin(), inputLufs.end());
    std::vector<double> targets(count);
    for (std::size_t i = 0; i < count; ++i) {
        const double relative = settings.loudness == AlbumLoudness::Album ? inputLufs[i] - loudest : 0.0;
        targets[i] = std::clamp(targetLufs + relative + manifest.tracks[i].loudnessOffsetLu, kMinTargetLufs, kMaxTargetLufs);
    }
    return targets;
}

// Masters every song to a float file at the album's rate in `scratchFolder`, and places
// it (trimmed of silence where asked); one AlbumTrackResult per song into result.
std::vector<Placement> masterSongs(const AlbumManifest& manifest, const AlbumSettings& settings, double rate, const fs::path& scratchFolder,
                                   std::vector<std::unique_ptr<ScratchPath>>& intermediates, AlbumResult& result) {
    const std::size_t count = manifest.tracks.size();
    std::vector<double> inputLufs;
    const std::vector<double> songTarget = songTargets(manifest, settings, inputLufs, result.targetLufs);
    std::vector<Placement> songs(count);
    std::vector<double> delivered(count);
    for (std::size_t i = 0; i < count; ++i) {
        const AlbumTrackSpec& t = manifest.tracks[i];
        MasterSettings ms;
        ms.target = settings.target;
        ms.lufs = songTarget[i];
        ms.ceilingDbtp = result.ceilingDbtp;
        ms.style = t.style.empty() ? manifest.style : t.style;
        ms.intensity = t.intensity.value_or(manifest.intensity);
        ms.outputRate = rate;
        ms.bits = "32f";
        char name[32];
        std::snprintf(name, sizeof name, "%02zu.wav", i + 1);
        songs[i].masteredPath = (scratchFolder / name).string();
        intermediates.push_back(std::make_unique<ScratchPath>(songs[i].masteredPath));
        if (settings.onProgress)
            ms.onProgress = [&settings, i, count](double f) {
                settings.onProgress(0.9 * (static_cast<double>(i) + f) / static_cast<double>(count));
            };
        const MasterResult mastered = masterFile(t.file, songs[i].masteredPath, ms);
        for (const auto& w : mastered.warnings) result.warnings.push_back(t.title + ": " + w);
        delivered[i] = mastered.output.integratedLufs.value_or(songTarget[i]);
        std::uint64_t frames = mastered.output.frames;
        if (t.trimSilence) {
            const auto head = static_cast<std::uint64_t>(mastered.output.leadingSilenceSeconds * rate);
            const auto tail = static_cast<std::uint64_t>(mastered.output.trailingSilenceSeconds * rate);
            if (head + tail < frames) {
                songs[i].skip = head;
                frames -= head + tail;
            }
        }
        songs[i].length = frames;
        songs[i].scratch.resize(2, kBlock);
        AlbumTrackResult r;
        r.number = static_cast<int>(i + 1);
        r.title = t.title;
        r.artist = t.artist.empty() ? manifest.artist : t.artist;
        r.inputLufs = inputLufs[i];
        r.crossfadeSeconds = t.crossfadeSeconds;
        result.tracks.push_back(r);
    }
    // The album rule, exactly: each song's closed loop lands within 0.15 LU of its own
    // target; small gains (never up, so never over the ceiling) take every song to its
    // place relative to the others.
    if (settings.loudness == AlbumLoudness::Album) {
        double highest = -1e9;
        for (std::size_t i = 0; i < count; ++i) highest = std::max(highest, songTarget[i] - delivered[i]);
        for (std::size_t i = 0; i < count; ++i)
            songs[i].gain = static_cast<float>(std::pow(10.0, (songTarget[i] - delivered[i] - highest) / 20.0));
    }
    return songs;
}

// The layout: gaps, crossfades and INDEX marks. With --cd every INDEX falls on a CD
// frame: a gap is lengthened to end on one, a gapless start is rounded to the nearest;
// and the layout must be a valid Red Book disc. Returns the album's length in frames.
std::uint64_t layOut(const AlbumManifest& manifest, const AlbumSettings& settings, double rate, std::vector<Placement>& songs,
                     AlbumResult& result) {
    const std::size_t count = manifest.tracks.size();
    std::uint64_t position = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const AlbumTrackSpec& t = manifest.tracks[i];
        AlbumTrackResult& r = result.tracks[i];
        const bool crossfadedInto = i > 0 && manifest.tracks[i - 1].crossfadeSeconds > 0.0;
        double gap = t.gapSeconds.value_or(i == 0 || crossfadedInto ? 0.0 : kDefaultGapSeconds);
        if (i == 0 && settings.cd && !t.gapSeconds) gap = 2.0;  // Red Book's pre-gap
        if (crossfadedInto) {
            const auto overlap = static_cast<std::uint64_t>(std::llround(manifest.tracks[i - 1].crossfadeSeconds * rate));
            if (overlap > songs[i - 1].length || overlap > songs[i].length)
                throw fileLineError(manifest.path, manifest.tracks[i - 1].line, "the crossfade is longer than a song it joins");
            songs[i].start = songs[i - 1].end() - overlap;
            songs[i - 1].fadeOut = songs[i].fadeIn = overlap;
            songs[i - 1].fadeOutShape = songs[i].fadeInShape = manifest.tracks[i - 1].crossfadeCurve;
            r.index00 = r.index01 = settings.cd ? roundTo(songs[i].start, kCdFrame) : songs[i].start;
        } else {
            r.index00 = settings.cd ? roundUpTo(position, kCdFrame) : position;
            songs[i].start = position + static_cast<std::uint64_t>(std::llround(gap * rate));
            if (settings.cd) songs[i].start = gap > 0.0 ? roundUpTo(songs[i].start, kCdFrame) : roundTo(songs[i].start, kCdFrame);
            r.index01 = songs[i].start;
            if (gap == 0.0) r.index00 = r.index01;
        }
        r.gapSeconds = static_cast<double>(r.index01 - r.index00) / rate;
        position = std::max(position, songs[i].end());
    }
    const std::uint64_t total = settings.cd ? roundUpTo(position, kCdFrame) : position;
    result.frames = total;
    if (settings.cd && count > 0) result.cdPregapFrames = result.tracks[0].index01;
    for (std::size_t i = 0; i < count; ++i) result.tracks[i].end = i + 1 < count ? result.tracks[i + 1].index01 : total;
    if (settings.cd) {
        std::vector<std::string> isrcs;
        for (const auto& t : manifest.tracks) isrcs.push_back(t.isrc);
        const auto problems = redBookProblems(result.tracks, total, isrcs, manifest.upc);
        if (!problems.empty()) {
            std::string text = "not a valid CD (Red Book): " + problems.front();
            for (std::size_t i = 1; i < problems.size(); ++i) text += "; " + problems[i];
            throw ConfigError(text);
        }
    }
    return total;
}

// The names of the album's files: "NN - Title.ext" per track, "Artist - Title.ext" for the
// whole, and with --cd the image and its CUE sheet.
struct AlbumOutputNames {
    std::vector<std::string> tracks;
    std::string continuous, cd, cue;
};

AlbumOutputNames albumOutputNames(const AlbumManifest& manifest, const AlbumSettings& settings) {
    AlbumOutputNames names;
    const std::string extension = extensionFor(outputFormatNamed(settings.format));
    const std::string albumName = safeName(manifest.artist + " - " + manifest.title);
    for (std::size_t i = 0; i < manifest.tracks.size(); ++i) {
        char number[24];
        std::snprintf(number, sizeof number, "%02zu", i + 1);
        names.tracks.push_back(
            (fs::path(settings.outputDir) / (std::string(number) + " - " + safeName(manifest.tracks[i].title) + extension)).string());
    }
    names.continuous = (fs::path(settings.outputDir) / (albumName + extension)).string();
    if (settings.cd) {
        names.cd = (fs::path(settings.outputDir) / (albumName + " (CD).wav")).string();
        names.cue = (fs::path(settings.outputDir) / (albumName + " (CD).cue")).string();
    }
    return names;
}

// Two outputs with one name would share a file (and one would be lost): refused before
// anything is mastered, naming both.
void checkOutputNamesDiffer(const AlbumManifest& manifest, const AlbumSettings& settings) {
    const AlbumOutputNames names = albumOutputNames(manifest, settings);
    std::vector<std::pair<std::string, std::string>> all;  // path, what
    for (std::size_t i = 0; i < names.tracks.size(); ++i) all.emplace_back(names.tracks[i], "track " + std::to_string(i + 1));
    all.emplace_back(names.continuous, "the album file");
    for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = i + 1; j < all.size(); ++j)
            if (all[i].first == all[j].first)
                throw ConfigError(all[i].first + ": " + all[i].second + " and " + all[j].second +
                                  " would have this name; give one another title (or the album another artist)");
}

// The album's files, all written from one stream: a file per track (cut at the track
// boundaries), the continuous file, and with --cd the 16-bit image and its CUE sheet.
// All are opened (and checked against the inputs) before the long render, and committed
// together after tagging. The stream is dithered once, here, ahead of the writers: the
// tracks and the continuous file must hold the same samples.
class AlbumOutputs {
public:
    AlbumOutputs(const AlbumManifest& manifest, const AlbumSettings& settings, const AlbumFormat& format,
                 const std::vector<std::string>& inputs, OutputSet& set, AlbumResult& result)
        : result_(result), format_(format), set_(set), albumAnalyzer_(format.rate, 2) {
        const AlbumOutputNames names = albumOutputNames(manifest, settings);
        for (std::size_t i = 0; i < result.tracks.size(); ++i) {
            result.tracks[i].path = names.tracks[i];
            tracks_.push_back(&set.add(result.tracks[i].path, inputs));
        }
        result.continuousPath = names.continuous;
        continuous_ = &set.add(result.continuousPath, inputs);
        if (settings.cd) {
            result.cdPath = names.cd;
            result.cuePath = names.cue;
            cd_ = &set.add(result.cdPath, inputs);
            cue_ = &set.add(result.cuePath, inputs);
        }
        if (format.sampleFormat == SampleFormat::Pcm16) {
            dither_.setParams({16, DitherType::Tpdf});
            dither_.prepare({format.rate, static_cast<int>(kBlock), 2});
        }
        continuousWriter_ = writerInto(*continuous_, format.container, format.sampleFormat, DitherType::None);
        // The image is a copy of a 16-bit album, or dithered to 16 bits on its own.
        if (cd_)
            cdWriter_ = writerInto(*cd_, FileFormat::Wav, SampleFormat::Pcm16,
                                   format.sampleFormat == SampleFormat::Pcm16 ? DitherType::None : DitherType::Tpdf);
    }

    void deliver(AudioView block) {
        if (format_.sampleFormat == SampleFormat::Pcm16) dither_.process(block);
        if (cdWriter_) cdWriter_->write(block);
        // The CD's pre-gap goes to the image only (issue 20: streaming files have none).
        std::size_t done = 0;
        if (written_ < result_.cdPregapFrames) {
            done = static_cast<std::size_t>(std::min<std::uint64_t>(block.frames(), result_.cdPregapFrames - written_));
            written_ += done;
        }
        const ConstAudioView streamed = ConstAudioView(block).subView(done, block.frames() - done);
        continuousWriter_->write(streamed);
        albumAnalyzer_.addFrames(streamed);
        while (done < block.frames()) {
            // Cut at the next track boundary.
            if (!trackWriter_)
                trackWriter_ = writerInto(*tracks_[current_], format_.container, format_.sampleFormat, DitherType::None, true);
            const std::uint64_t boundary = result_.tracks[current_].end;
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(block.frames() - done, boundary - written_));
            trackWriter_->write(ConstAudioView(block).subView(done, n));
            done += n;
            written_ += n;
            if (written_ == boundary && current_ + 1 < tracks_.size()) finishTrack();
        }
    }

    std::uint64_t written() const noexcept { return written_; }

    // Closes the files (not yet committed) and reports each track's and the album's loudness.
    void finish() {
        finishTrack();
        continuousWriter_->close();
        if (cdWriter_) cdWriter_->close();
        const AnalysisResult album = albumAnalyzer_.result();
        result_.integratedLufs = album.integratedLufs;
        result_.loudnessRangeLu = album.loudnessRangeLu;
        result_.truePeakDbtp = album.truePeakDbtp;
    }

    void tagAndCommit(const AlbumManifest& manifest);

private:
    std::unique_ptr<OutputWriter> writerInto(AtomicOutputFile& file, FileFormat container, SampleFormat sampleFormat, DitherType dither,
                                             bool measure = false) {
        OutputSpec spec;
        spec.into = &file;
        spec.inputRate = format_.rate;
        spec.container = container;
        spec.sampleFormat = sampleFormat;
        spec.dither = dither;
        spec.bitrateKbps = container == format_.container ? format_.bitrateKbps : 0;
        spec.vbrQuality = container == format_.container ? format_.vbrQuality : -1;
        spec.blockFrames = kBlock;
        return std::make_unique<OutputWriter>(spec, measure ? std::make_unique<ProgramAnalyzer>(format_.rate, 2) : nullptr);
    }

    void finishTrack() {
        const AnalysisResult a = trackWriter_->close();
        result_.tracks[current_].integratedLufs = a.integratedLufs;
        result_.tracks[current_].truePeakDbtp = a.truePeakDbtp;
        trackWriter_.reset();
        ++current_;
    }

    AlbumResult& result_;
    AlbumFormat format_;
    OutputSet& set_;  // every file below: committed together
    std::vector<AtomicOutputFile*> tracks_;
    AtomicOutputFile* continuous_ = nullptr;
    AtomicOutputFile* cd_ = nullptr;
    AtomicOutputFile* cue_ = nullptr;
    Dither dither_;
    std::unique_ptr<OutputWriter> continuousWriter_, cdWriter_, trackWriter_;
    ProgramAnalyzer albumAnalyzer_;
    std::size_t current_ = 0;    // the per-track file being written
    std::uint64_t written_ = 0;  // frames delivered so far
};

// Tags: ReplayGain 2.0 and, in FLAC and Opus, R128 gains (replayGainTags); then the CUE
// sheet, and every file moved into place, all or none.
void AlbumOutputs::tagAndCommit(const AlbumManifest& manifest) {
    const double albumLufs = result_.integratedLufs.value_or(result_.targetLufs);
    Metadata whole;  // the album's tags; each track's start from them
    whole.title = manifest.title;
    whole.artist = manifest.artist;
    whole.album = manifest.title;
    whole.date = manifest.date;
    whole.genre = manifest.genre;
    whole.artworkPath = manifest.artworkPath;
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
        const AlbumTrackResult& r = result_.tracks[i];
        Metadata md = whole;
        md.title = r.title;
        md.artist = r.artist;
        md.isrc = manifest.tracks[i].isrc;
        md.trackNumber = r.number;
        md.trackTotal = static_cast<int>(tracks_.size());
        GainTags gain;
        gain.trackLufs = r.integratedLufs.value_or(albumLufs);
        gain.trackTruePeakDbtp = r.truePeakDbtp.value_or(0.0);
        gain.albumLufs = albumLufs;
        gain.albumTruePeakDbtp = result_.truePeakDbtp.value_or(0.0);
        md.extraTags = replayGainTags(gain, format_.container);
        writeMetadata(tracks_[i]->tempPath(), md);
    }
    writeMetadata(continuous_->tempPath(), whole);
    if (cue_) {
        TextOutput cue(*cue_);
        cue.write(cueSheet(manifest, result_.tracks, fs::path(result_.cdPath).filename().string()));
        cue.close();
    }
    set_.commit();
}

// Adds the part of `song` that plays in [at, at + block's length) into block, faded.
void addSong(Placement& song, std::uint64_t at, AudioView block) {
    const std::uint64_t from = std::max(at, song.start), to = std::min(at + block.frames(), song.end());
    if (from >= to) return;
    if (!song.reader) {
        song.reader = std::make_unique<SoundFileReader>(song.masteredPath);
        if (song.skip > 0) song.reader->seek(static_cast<std::int64_t>(song.skip));
    }
    const auto n = static_cast<std::size_t>(to - from);
    AudioBuffer& buffer = song.scratch;
    if (song.reader->info().channels == 2) {
        const std::size_t got = song.reader->read(buffer.view().subView(0, n));
        for (int c = 0; c < 2; ++c) std::fill(buffer.channel(c) + got, buffer.channel(c) + n, 0.0f);
    } else {
        // A mono song: read into the left, copy to the right.
        float* pointers[1] = {buffer.channel(0)};
        const std::size_t got = song.reader->read(AudioView(pointers, 1, n));
        std::fill(buffer.channel(0) + got, buffer.channel(0) + n, 0.0f);
        std::copy_n(buffer.channel(0), n, buffer.channel(1));
    }
    for (std::size_t k = 0; k < n; ++k) {
        const std::uint64_t into = from + k - song.start, left = song.end() - (from + k);
        double g = song.gain;
        if (into < song.fadeIn) g *= fadeGain(song.fadeInShape, (static_cast<double>(into) + 0.5) / static_cast<double>(song.fadeIn));
        if (left <= song.fadeOut) g *= fadeGain(song.fadeOutShape, (static_cast<double>(left) - 0.5) / static_cast<double>(song.fadeOut));
        const auto out = static_cast<std::size_t>(from + k - at);
        block.channel(0)[out] += static_cast<float>(buffer.channel(0)[k] * g);
        block.channel(1)[out] += static_cast<float>(buffer.channel(1)[k] * g);
    }
    if (to == song.end()) song.reader.reset();
}

// The stream: the songs summed on the timeline, then the limiter (the songs are under the
// ceiling already; it only acts where a crossfade sums over it, aiming under the ceiling
// by the master's guard for the meter's error); its latency is trimmed at the start and
// flushed with silence at the end.
void streamAlbum(std::vector<Placement>& songs, std::uint64_t total, double ceilingDbtp, double rate, AlbumOutputs& outputs) {
    TruePeakLimiter limiter;
    limiter.setParams({ceilingDbtp - kDeliveredTruePeakGuardDb, 1.5, 50.0});
    limiter.prepare({rate, static_cast<int>(kBlock), 2});
    const auto latency = static_cast<std::uint64_t>(limiter.latencyFrames());
    limiter.inputEndsIn(total);  // the delivered stream is cut there
    AudioBuffer mix(2, kBlock);
    std::uint64_t produced = 0;
    for (std::uint64_t at = 0; at < total + latency; at += kBlock) {
        const auto frames = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, total + latency - at));
        AudioView block = mix.view().subView(0, frames);
        for (int c = 0; c < 2; ++c) std::fill_n(block.channel(c), frames, 0.0f);
        if (at < total)
            for (Placement& s : songs) addSong(s, at, block);
        limiter.process(block);
        // Drop the limiter's latency from the front.
        const std::uint64_t skip = produced < latency ? std::min<std::uint64_t>(latency - produced, frames) : 0;
        produced += frames;
        const std::uint64_t keep = std::min<std::uint64_t>(frames - skip, total - outputs.written());
        if (keep > 0) outputs.deliver(block.subView(static_cast<std::size_t>(skip), static_cast<std::size_t>(keep)));
    }
}

}  // namespace

std::vector<std::string> albumInputs(const AlbumManifest& manifest) {
    std::vector<std::string> inputs;
    for (const auto& t : manifest.tracks) inputs.push_back(t.file);
    inputs.push_back(manifest.path);
    if (!manifest.artworkPath.empty()) inputs.push_back(manifest.artworkPath);
    return inputs;
}

AlbumResult renderAlbum(const AlbumManifest& manifest, const AlbumSettings& settings) {
    AlbumResult result;
    const AlbumFormat format = resolveAlbumFormat(manifest, settings, result);
    checkOutputNamesDiffer(manifest, settings);
    OutputSet delivered;  // declared first, so that it goes last: the folder it made is empty by then
    delivered.createFolder(settings.outputDir);
    const std::vector<std::string> inputs = albumInputs(manifest);

    // The songs are mastered into a scratch folder that goes however the render ends (an
    // interrupt included: ScratchPath).
    // A name of this run's own (mkdtemp): a second run into the same folder has its own.
    std::string pattern = (fs::path(settings.outputDir) / ".bounce-album-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw Error(settings.outputDir + ": cannot create a scratch folder (" + std::strerror(errno) + ")");
    const fs::path scratchFolder = pattern;
    ScratchPath scratch(scratchFolder.string());
    std::vector<std::unique_ptr<ScratchPath>> intermediates;
    std::vector<Placement> songs = masterSongs(manifest, settings, format.rate, scratchFolder, intermediates, result);
    const std::uint64_t total = layOut(manifest, settings, format.rate, songs, result);

    AlbumOutputs outputs(manifest, settings, format, inputs, delivered, result);
    streamAlbum(songs, total, result.ceilingDbtp, format.rate, outputs);
    outputs.finish();
    outputs.tagAndCommit(manifest);
    if (settings.onProgress) settings.onProgress(1.0);
    return result;
}

}  // namespace bounce
