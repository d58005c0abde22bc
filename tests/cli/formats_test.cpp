// Delivery formats (issue 20): MP3, AAC and ALAC in M4A, FLAC, Opus, written by bounce
// master with tags and artwork, read back by peers (ffprobe, ffmpeg's decoders, TagLib) and
// measured by peers (libebur128 for loudness, an ideal reconstruction for the true peak).
#include "bounce/sound_file.h"
#include "bounce/tags.h"
#include "ideal_peak.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;
constexpr double kRate = 44100.0;
constexpr double kCeilingDbtp = -1.0;

struct FormatCase {
    const char* name;       // --format
    const char* extension;  // of the output
    bool lossy;
};

std::string ffprobe(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv{"ffprobe", "-v", "error"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return runCommand(argv).out;
}

// Decoded by FFmpeg (not Bounce's reader) to float.
AudioBuffer decodeWithFfmpeg(const std::string& path, const std::string& dir) {
    const std::string wav = dir + "/decoded.wav";
    EXPECT_EQ(runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-c:a", "pcm_f32le", wav}).exitCode, 0) << path;
    return readWholeFile(wav);
}

AudioBuffer firstFrames(const AudioBuffer& audio, std::size_t frames) {
    AudioBuffer out(audio.channels(), std::min(frames, audio.frames()));
    for (int c = 0; c < audio.channels(); ++c) std::copy_n(audio.channel(c), out.frames(), out.channel(c));
    return out;
}

class Formats : public ::testing::TestWithParam<FormatCase> {
protected:
    static void SetUpTestSuite() {
        dir_ = makeTempDir("formats");
        // A loud master (-9 LUFS under -1 dBTP): the limiter works, and a lossy encoder's
        // overshoot would cross the ceiling if the decoded file were not what is measured.
        AudioBuffer song = pinkishNoise(kRate, 12.0, -18.0, 2, 11);
        applyFades(song, kRate, 0.5);
        writeFile(dir_ + "/song.wav", song.view(), kRate, SampleFormat::Pcm24);
        ASSERT_EQ(runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=red:s=32x32", "-frames:v", "1",
                              dir_ + "/cover.png"})
                      .exitCode,
                  0);
        const auto r =
            runCommand({kBounce, "master", dir_ + "/song.wav", "-o", dir_ + "/reference.wav", "--lufs", "-9", "--ceiling", "-1"});
        ASSERT_EQ(r.exitCode, 0) << r.err;
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }
    static std::string dir_;
};
std::string Formats::dir_;

TEST_P(Formats, MasterRoundTripsWithTagsArtworkAndLoudness) {
    if (!haveTool("ffmpeg") || !haveTool("ffprobe")) GTEST_SKIP() << "ffmpeg missing";
    const FormatCase& c = GetParam();
    const std::string out = dir_ + "/master-" + c.name + c.extension;
    const auto r = runCommand({kBounce, "master", dir_ + "/song.wav", "-o", out, "--format", c.name, "--lufs", "-9", "--ceiling", "-1",
                               "--title", "Tëst Song", "--artist", "Ärtist", "--artwork", dir_ + "/cover.png", "--json", out + ".json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const SoundFileInfo reference = SoundFileReader(dir_ + "/reference.wav").info();

    // Length and rate: Bounce's reader and the peers' agree with the WAV master.
    // Opus runs at 48 kHz: the master is converted (soxr) on the way.
    const double rate = std::string(c.name) == "opus" ? 48000.0 : kRate;
    const auto frames = static_cast<std::int64_t>(std::llround(static_cast<double>(reference.frames) * rate / kRate));
    const SoundFileInfo written = SoundFileReader(out).info();
    EXPECT_EQ(written.frames, frames) << c.name;
    EXPECT_EQ(written.sampleRate, rate);
    const AudioBuffer decoded = decodeWithFfmpeg(out, dir_);
    if (std::string(c.extension) == ".m4a") {
        // FFmpeg trims the AAC priming but not the last frame's padding; the edit list,
        // which ffprobe gives as the stream's duration, says where the audio ends.
        const std::string declared = ffprobe({"-select_streams", "a:0", "-show_entries", "stream=duration_ts", "-of", "csv=p=0", out});
        EXPECT_EQ(std::stoll(declared), frames) << declared;
    } else {
        EXPECT_EQ(static_cast<std::int64_t>(decoded.frames()), frames) << c.name;
    }

    // Tags and artwork, read by TagLib and by ffprobe.
    const auto tags = readTags(out);
    EXPECT_NE(std::find(tags.begin(), tags.end(), std::pair<std::string, std::string>{"title", "Tëst Song"}), tags.end()) << c.name;
    const std::string probed = ffprobe({"-show_entries", "format_tags:stream_tags:stream=codec_name", "-of", "default", out});
    std::string lower = probed;  // tag names in any case (TITLE in Vorbis comments, title in ID3)
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    EXPECT_NE(lower.find("title=t\xc3\xabst song"), std::string::npos) << probed;
    EXPECT_NE(lower.find("artist=\xc3\x84rtist"), std::string::npos) << probed;
    EXPECT_NE(lower.find("replaygain_track_gain="), std::string::npos) << probed;
    if (std::string(c.name) != "opus") {  // the cover
        EXPECT_NE(probed.find("codec_name=png"), std::string::npos) << probed;
    }

    // Loudness as decoded by FFmpeg and measured by libebur128: within 0.1 LU of the WAV
    // master; a lossy file's true peak, under ideal reconstruction, under the ceiling.
    const AudioBuffer wav = readWholeFile(dir_ + "/reference.wav");
    const AudioBuffer heard = firstFrames(decoded, static_cast<std::size_t>(frames));
    const auto expected = measureWithLibebur128(wav.view(), kRate);
    const auto got = measureWithLibebur128(heard.view(), rate);
    ASSERT_TRUE(expected.integratedLufs && got.integratedLufs);
    // Opus's decoded peaks move by up to 0.3 dB from one encode to the next, and the loop
    // settles within its 0.15 LU of the target rather than of the WAV master's landing.
    EXPECT_NEAR(*got.integratedLufs, *expected.integratedLufs, std::string(c.name) == "opus" ? 0.2 : 0.1) << c.name;
    EXPECT_LE(idealTruePeakDbtp(heard.view()), kCeilingDbtp) << c.name << ": the decoded file crosses the ceiling";
    std::cerr << c.name << ": " << *got.integratedLufs << " LUFS vs " << *expected.integratedLufs << ", ideal true peak "
              << idealTruePeakDbtp(heard.view()) << " dBTP\n";

    // The report says what it measured.
    std::ifstream json(out + ".json");
    const auto report = nlohmann::json::parse(json);
    EXPECT_EQ(report.at("output_measured"), c.lossy ? "decoded" : "as written");
    EXPECT_NEAR(report.at("output").at("integrated_lufs").get<double>(), -9.0, 0.15);  // the loop's tolerance
}

INSTANTIATE_TEST_SUITE_P(Delivery, Formats,
                         ::testing::Values(FormatCase{"mp3", ".mp3", true}, FormatCase{"aac", ".m4a", true},
                                           FormatCase{"alac", ".m4a", false}, FormatCase{"flac", ".flac", false},
                                           FormatCase{"opus", ".opus", true}),
                         [](const auto& info) { return std::string(info.param.name); });

// ALAC is lossless: FFmpeg's decoder gives back exactly the samples of the same master
// written as a 24-bit WAV.
TEST_F(Formats, AlacIsTheWavMasterBitForBit) {
    if (!haveTool("ffmpeg")) GTEST_SKIP() << "ffmpeg missing";
    const std::string out = dir_ + "/exact.m4a";
    const auto r = runCommand(
        {kBounce, "master", dir_ + "/song.wav", "-o", out, "--format", "alac", "--bits", "24", "--lufs", "-9", "--ceiling", "-1"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const AudioBuffer decoded = decodeWithFfmpeg(out, dir_);
    const AudioBuffer wav = readWholeFile(dir_ + "/reference.wav");
    ASSERT_EQ(decoded.frames(), wav.frames());
    for (int ch = 0; ch < 2; ++ch)
        for (std::size_t i = 0; i < wav.frames(); ++i) ASSERT_EQ(decoded.channel(ch)[i], wav.channel(ch)[i]) << "frame " << i;
}

// M4A files made by another encoder read as FFmpeg reads them; the bit rate asked for is
// the one written.
TEST_F(Formats, ReadsPeersM4aAndWritesTheBitrateAskedFor) {
    if (!haveTool("ffmpeg") || !haveTool("ffprobe")) GTEST_SKIP() << "ffmpeg missing";
    const std::string peer = dir_ + "/peer.m4a";
    ASSERT_EQ(runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=997:duration=2:sample_rate=48000",
                          "-ac", "2", "-c:a", "aac", "-b:a", "192k", peer})
                  .exitCode,
              0);
    const auto analyzed = runCommand({kBounce, "analyze", peer});
    EXPECT_EQ(analyzed.exitCode, 0) << analyzed.err;
    EXPECT_EQ(SoundFileReader(peer).info().frames, 96000);
    std::ofstream(dir_ + "/none.toml") << "";
    for (const auto& [name, extension, kbps] : {std::tuple{"mp3", ".mp3", "192"}, std::tuple{"aac", ".m4a", "128"}}) {
        const std::string out = dir_ + "/rate" + extension;
        const auto r = runCommand({kBounce, "process", peer, "-o", out, "--chain", dir_ + "/none.toml", "--bitrate", kbps});
        ASSERT_EQ(r.exitCode, 0) << name << ": " << r.err;
        const std::string bitrate = ffprobe({"-select_streams", "a:0", "-show_entries", "stream=bit_rate", "-of", "csv=p=0", out});
        EXPECT_NEAR(std::stod(bitrate) / 1000.0, std::stod(kbps), std::stod(kbps) * 0.1) << name;
    }
}

// FFmpeg's libraries (about a hundred shared objects) are mapped only when an M4A is read or
// written: the dynamic loader's own trace (LD_DEBUG=files) says what a run loads.
TEST_F(Formats, FfmpegIsLoadedOnlyForM4a) {
    const std::string wav = dir_ + "/song.wav";
    const std::string m4a = dir_ + "/loads.m4a";
    std::ofstream(dir_ + "/no_inserts.toml") << "";
    ASSERT_EQ(runCommand({kBounce, "process", wav, "-o", m4a, "--chain", dir_ + "/no_inserts.toml"}).exitCode, 0);
    const auto traced = [](const std::vector<std::string>& arguments) {
        std::vector<std::string> argv{"env", "LD_DEBUG=files", kBounce};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        return runCommand(argv);
    };
    for (const auto& arguments : {std::vector<std::string>{"--version"}, std::vector<std::string>{"analyze", wav}}) {
        const auto r = traced(arguments);
        EXPECT_EQ(r.exitCode, 0) << r.err;
        EXPECT_EQ(r.err.find("libavformat"), std::string::npos) << arguments.front() << " maps FFmpeg";
    }
    const auto r = traced({"analyze", m4a});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("bounce-mpeg4.so"), std::string::npos);
    EXPECT_NE(r.err.find("libavformat"), std::string::npos);
}

// --quality is LAME's VBR scale: V2 from Bounce averages what ffmpeg's libmp3lame -q:a 2
// gives on the same file; it is for MP3 only, and not with --bitrate.
TEST_F(Formats, QualityIsLamesVbrScale) {
    if (!haveTool("ffmpeg") || !haveTool("ffprobe")) GTEST_SKIP() << "ffmpeg missing";
    std::ofstream(dir_ + "/none.toml") << "";
    const std::string song = dir_ + "/reference.wav";
    const auto ours = runCommand({kBounce, "process", song, "-o", dir_ + "/v2.mp3", "--chain", dir_ + "/none.toml", "--quality", "2"});
    ASSERT_EQ(ours.exitCode, 0) << ours.err;
    ASSERT_EQ(runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", song, "-c:a", "libmp3lame", "-q:a", "2", dir_ + "/lame-v2.mp3"})
                  .exitCode,
              0);
    const auto bitrate = [](const std::string& path) {
        return std::stod(ffprobe({"-show_entries", "format=bit_rate", "-of", "csv=p=0", path}));
    };
    EXPECT_NEAR(bitrate(dir_ + "/v2.mp3"), bitrate(dir_ + "/lame-v2.mp3"), 0.03 * bitrate(dir_ + "/lame-v2.mp3"));
    const auto aac = runCommand({kBounce, "process", song, "-o", dir_ + "/q.m4a", "--chain", dir_ + "/none.toml", "--quality", "2"});
    EXPECT_EQ(aac.exitCode, 2) << aac.err;
    const auto both =
        runCommand({kBounce, "process", song, "-o", dir_ + "/q.mp3", "--chain", dir_ + "/none.toml", "--quality", "2", "--bitrate", "128"});
    EXPECT_EQ(both.exitCode, 2) << both.err;
    const auto master = runCommand({kBounce, "master", song, "-o", dir_ + "/m.mp3", "--quality", "0", "--json", dir_ + "/m.json"});
    ASSERT_EQ(master.exitCode, 0) << master.err;
    std::ifstream json(dir_ + "/m.json");
    EXPECT_EQ(nlohmann::json::parse(json).at("output_vbr_quality"), 0);
}

// A cut M4A is measured as far as it decodes, with a warning; one whose index is gone, or
// text named .m4a, is refused naming the file (exit 1).
TEST_F(Formats, DamagedM4aIsReadAsFarAsItGoesOrRefused) {
    if (!haveTool("ffmpeg")) GTEST_SKIP() << "ffmpeg missing";
    const std::string whole = dir_ + "/whole.m4a";
    ASSERT_EQ(
        runCommand({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", dir_ + "/song.wav", "-c:a", "aac", "-movflags", "+faststart", whole})
            .exitCode,
        0);
    std::ifstream in(whole, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir_ + "/cut.m4a", std::ios::binary) << bytes.substr(0, bytes.size() / 2);  // index first: half the audio
    std::ofstream(dir_ + "/text.m4a") << "not audio\n";
    const auto cut = runCommand({kBounce, "analyze", dir_ + "/cut.m4a"});
    EXPECT_EQ(cut.exitCode, 0) << cut.err;
    EXPECT_NE(cut.err.find("cut.m4a: warning: damaged or truncated"), std::string::npos) << cut.err;
    const auto text = runCommand({kBounce, "analyze", dir_ + "/text.m4a"});
    EXPECT_EQ(text.exitCode, 1);
    EXPECT_NE(text.err.find("text.m4a: not a readable sound file"), std::string::npos) << text.err;
}

// Errors name what the user typed, and exit 2 (a usage error), before any work.
TEST_F(Formats, UnwritableNamesAndMismatchesAreRefusedNamingTheFile) {
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::string in = dir_ + "/song.wav";
    const std::vector<Case> cases = {
        {{"master", in, "-o", dir_ + "/out.xyz"}, "out.xyz"},
        {{"master", in, "-o", dir_ + "/out.mp3", "--format", "alac"}, "out.mp3"},
        {{"master", in, "-o", dir_ + "/out.mp3", "--bits", "16"}, "out.mp3"},
        {{"master", in, "-o", dir_ + "/out.wav", "--bitrate", "128"}, "out.wav"},
        {{"process", in, "-o", dir_ + "/p.xyz", "--chain", dir_ + "/none.toml"}, "p.xyz"},
    };
    std::ofstream(dir_ + "/none.toml") << "";
    for (const auto& c : cases) {
        std::vector<std::string> argv{kBounce};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        const auto r = runCommand(argv);
        EXPECT_EQ(r.exitCode, 2) << c.says << ": " << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find(".bounce-"), std::string::npos) << "names a temporary: " << r.err;
    }
}

// bounce mix writes the mix and its stems in a lossless M4A (ALAC) or MP3 too.
TEST_F(Formats, MixAndStemsInAlacAndMp3) {
    std::ofstream(dir_ + "/session.toml") << "[[track]]\nname = \"vox\"\nfile = \"song.wav\"\n";
    ASSERT_EQ(runCommand({kBounce, "mix", dir_ + "/session.toml", "-o", dir_ + "/mix.wav"}).exitCode, 0);
    const std::int64_t wavFrames = SoundFileReader(dir_ + "/mix.wav").info().frames;  // the song and the session's tail
    for (const auto& [format, extension] : {std::pair{"alac", ".m4a"}, std::pair{"mp3", ".mp3"}}) {
        const std::string mix = dir_ + "/mix-" + format + extension;
        const auto r =
            runCommand({kBounce, "mix", dir_ + "/session.toml", "-o", mix, "--format", format, "--stems", dir_ + "/stems-" + format});
        ASSERT_EQ(r.exitCode, 0) << r.err;
        const SoundFileInfo info = SoundFileReader(mix).info();
        EXPECT_EQ(info.format, std::string(format) == "alac" ? FileFormat::Alac : FileFormat::Mp3);
        EXPECT_EQ(info.frames, wavFrames) << format;
        EXPECT_TRUE(fs::exists(dir_ + "/stems-" + format + "/vox" + extension)) << r.out;
    }
}

// A rate a format cannot hold is converted to the nearest it can (MP3 stops at 48 kHz);
// what an encoder cannot hold at all is refused naming the output, not its temporary.
TEST_F(Formats, RatesAreMadeToFitAndEncoderRefusalsNameTheOutput) {
    writeFile(dir_ + "/hi.wav", sine(96000.0, 1.0, 997.0, -12.0, 2).view(), 96000.0, SampleFormat::Pcm24);
    writeFile(dir_ + "/nine.wav", sine(48000.0, 0.5, 997.0, -12.0, 9).view(), 48000.0, SampleFormat::Pcm24);
    std::ofstream(dir_ + "/none.toml") << "";
    const auto hi = runCommand({kBounce, "process", dir_ + "/hi.wav", "-o", dir_ + "/hi.mp3", "--chain", dir_ + "/none.toml"});
    ASSERT_EQ(hi.exitCode, 0) << hi.err;
    EXPECT_EQ(SoundFileReader(dir_ + "/hi.mp3").info().sampleRate, 48000.0);
    EXPECT_NEAR(static_cast<double>(SoundFileReader(dir_ + "/hi.mp3").info().frames), 48000.0, 1.0);
    const auto nine = runCommand({kBounce, "process", dir_ + "/nine.wav", "-o", dir_ + "/nine.m4a", "--chain", dir_ + "/none.toml"});
    EXPECT_NE(nine.exitCode, 0);
    EXPECT_NE(nine.err.find(dir_ + "/nine.m4a: AAC cannot hold 9 channels"), std::string::npos) << nine.err;
    EXPECT_EQ(nine.err.find(".bounce-"), std::string::npos) << "names a temporary: " << nine.err;
}

}  // namespace
}  // namespace bounce::test
