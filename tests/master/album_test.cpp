// bounce album: manifests, the loudness rule, gapless cutting, crossfades, the CD image
// and its CUE sheet, Red Book checks. Loudness and true peak are measured by libebur128,
// the ceiling also against an ideal reconstruction (tests/support/ideal_peak).
#include "bounce/album.h"
#include "bounce/error.h"
#include "bounce/sound_file.h"
#include "ideal_peak.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <taglib/fileref.h>
#include <taglib/tpropertymap.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bounce::test {
namespace {

namespace fs = std::filesystem;

class Album : public ::testing::Test {
protected:
    void SetUp() override { dir_ = makeTempDir("album"); }
    void TearDown() override {
        if (!std::getenv("BOUNCE_KEEP_TEST_FILES")) fs::remove_all(dir_);
    }
    void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }
    CommandResult album(std::vector<std::string> extra) {
        std::vector<std::string> argv{BOUNCE_CLI, "album", dir_ + "/album.toml", "-o", dir_ + "/out", "--json", dir_ + "/report.json"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return runCommand(argv);
    }
    nlohmann::json report() {
        std::ifstream in(dir_ + "/report.json");
        return nlohmann::json::parse(in);
    }
    std::string dir_;
};

double lufsOf(const std::string& path) {
    double rate = 0;
    const AudioBuffer audio = readWholeFile(path, &rate);
    return measureWithLibebur128(ConstAudioView(audio.view()), rate).integratedLufs.value_or(-99.0);
}

// The smallest manifest of the issue, as written: it renders, the per-track files play
// back to back as the continuous file sample for sample, and the tags are there.
TEST_F(Album, SmallestManifestRendersAndPerTrackFilesConcatenateToTheWhole) {
    writeFile(dir_ + "/01.wav", pinkishNoise(44100, 8.0, -20.0, 2, 1).view(), 44100);
    writeFile(dir_ + "/02.wav", pinkishNoise(44100, 7.0, -24.0, 2, 2).view(), 44100);
    write("album.toml", R"(title = "First Light"
artist = "The Examples"

[[track]]
file = "01.wav"
title = "Opening"
isrc = "XXA012600001"

[[track]]
file = "02.wav"
title = "Second"
gap_s = 0.0
)");
    const auto r = album({});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto rep = report();
    ASSERT_EQ(rep["tracks"].size(), 2u);
    double rate = 0;
    const AudioBuffer whole = readWholeFile(rep["outputs"]["continuous"].get<std::string>(), &rate);
    std::size_t at = 0;
    for (const auto& t : rep["tracks"]) {
        const AudioBuffer part = readWholeFile(t["file"].get<std::string>());
        if (t["number"].get<int>() > 1) {
            EXPECT_EQ(at, t["start_frame"].get<std::size_t>()) << "track " << t["number"];
        }
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < part.frames(); ++i)
                ASSERT_EQ(part.channel(c)[i], whole.channel(c)[at + i]) << "track " << t["number"] << " frame " << i;
        at += part.frames();
    }
    EXPECT_EQ(at, whole.frames());
    // Gapless: the second starts where the first ends (no default 2 s gap).
    const AudioBuffer first = readWholeFile(rep["tracks"][0]["file"].get<std::string>());
    EXPECT_NEAR(static_cast<double>(first.frames()) / rate, 8.0, 0.01);

    TagLib::FileRef file(rep["tracks"][0]["file"].get<std::string>().c_str());
    ASSERT_FALSE(file.isNull());
    const auto tags = file.file()->properties();
    EXPECT_EQ(tags["TITLE"].front().to8Bit(true), "Opening");
    EXPECT_EQ(tags["ALBUM"].front().to8Bit(true), "First Light");
    EXPECT_EQ(tags["TRACKNUMBER"].front().to8Bit(true), "1/2");
    EXPECT_EQ(tags["ISRC"].front().to8Bit(true), "XXA012600001");
    ASSERT_TRUE(tags.contains("REPLAYGAIN_TRACK_GAIN"));
    ASSERT_TRUE(tags.contains("REPLAYGAIN_ALBUM_GAIN"));
    // ReplayGain 2: -18 LUFS minus the track's loudness (libebur128's reading).
    const double gain = std::stod(tags["REPLAYGAIN_TRACK_GAIN"].front().to8Bit(true));
    EXPECT_NEAR(gain, -18.0 - lufsOf(rep["tracks"][0]["file"].get<std::string>()), 0.1);
}

// Album mode: the loudest song reaches the target and the others keep their distance to
// it (within 0.2 LU); track mode: every song at the target. True peak never over.
TEST_F(Album, AlbumModeKeepsTheSongsLoudnessDifferences) {
    writeFile(dir_ + "/a.wav", pinkishNoise(48000, 10.0, -16.0, 2, 3).view(), 48000);
    writeFile(dir_ + "/b.wav", pinkishNoise(48000, 10.0, -22.0, 2, 4).view(), 48000);
    writeFile(dir_ + "/c.wav", pinkishNoise(48000, 10.0, -27.0, 2, 5).view(), 48000);
    write("album.toml", R"(title = "Levels"
artist = "Tests"
[[track]]
file = "a.wav"
title = "A"
[[track]]
file = "b.wav"
title = "B"
[[track]]
file = "c.wav"
title = "C"
)");
    const double inA = lufsOf(dir_ + "/a.wav"), inB = lufsOf(dir_ + "/b.wav"), inC = lufsOf(dir_ + "/c.wav");
    for (const std::string mode : {"album", "track"}) {
        const auto r = album({"--loudness", mode, "--target", "spotify"});
        ASSERT_EQ(r.exitCode, 0) << r.err;
        const auto rep = report();
        const double a = lufsOf(rep["tracks"][0]["file"]), b = lufsOf(rep["tracks"][1]["file"]), c = lufsOf(rep["tracks"][2]["file"]);
        if (mode == "album") {
            EXPECT_NEAR(a, -14.0, 0.2);
            EXPECT_NEAR(a - b, inA - inB, 0.2);
            EXPECT_NEAR(a - c, inA - inC, 0.2);
        } else {
            EXPECT_NEAR(a, -14.0, 0.2);
            EXPECT_NEAR(b, -14.0, 0.2);
            EXPECT_NEAR(c, -14.0, 0.2);
        }
        double rate = 0;
        const AudioBuffer whole = readWholeFile(rep["outputs"]["continuous"].get<std::string>(), &rate);
        EXPECT_LE(measureWithLibebur128(ConstAudioView(whole.view()), rate).truePeakDbtp, -1.0) << mode;
        // Every delivered file holds the ceiling against an ideal reconstruction.
        EXPECT_LE(idealTruePeakDbtp(whole.view()), -1.0) << mode;
        for (int t = 0; t < 3; ++t) {
            const AudioBuffer track = readWholeFile(rep["tracks"][t]["file"].get<std::string>(), &rate);
            EXPECT_LE(idealTruePeakDbtp(track.view()), -1.0) << mode << " track " << t;
        }
        fs::remove_all(dir_ + "/out");
    }
}

// An equal-power crossfade of two uncorrelated songs of the same loudness: no bump (the
// level in 100 ms windows across the crossfade stays within 1 dB of the songs'), and the
// sum never crosses the ceiling.
TEST_F(Album, EqualPowerCrossfadeHasNoLevelBumpAndNoOver) {
    writeFile(dir_ + "/a.wav", pinkishNoise(44100, 12.0, -18.0, 2, 6).view(), 44100);
    writeFile(dir_ + "/b.wav", pinkishNoise(44100, 12.0, -18.0, 2, 7).view(), 44100);
    write("album.toml", R"(title = "Fade"
artist = "Tests"
[[track]]
file = "a.wav"
title = "A"
crossfade_s = 4.0
[[track]]
file = "b.wav"
title = "B"
)");
    const auto r = album({"--loudness", "track"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto rep = report();
    double rate = 0;
    const AudioBuffer whole = readWholeFile(rep["outputs"]["continuous"].get<std::string>(), &rate);
    EXPECT_LE(measureWithLibebur128(ConstAudioView(whole.view()), rate).truePeakDbtp, -1.0);
    EXPECT_LE(idealTruePeakDbtp(whole.view()), -1.0);
    // The second starts 4 s before the first ends.
    EXPECT_NEAR(rep["tracks"][1]["start_s"].get<double>(), 8.0, 0.01);
    EXPECT_NEAR(static_cast<double>(whole.frames()) / rate, 20.0, 0.01);
    const auto windowDb = [&](double from) {
        const auto start = static_cast<std::size_t>(from * rate), n = static_cast<std::size_t>(0.2 * rate);
        double sum = 0;
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = start; i < start + n; ++i) sum += static_cast<double>(whole.channel(c)[i]) * whole.channel(c)[i];
        return 10.0 * std::log10(sum / (2.0 * static_cast<double>(n)));
    };
    double reference = 0;
    for (int k = 0; k < 10; ++k) reference += windowDb(5.0 + 0.2 * k) / 10.0;  // song A alone, 5 to 7 s
    for (int k = 0; k < 20; ++k) EXPECT_NEAR(windowDb(8.0 + 0.2 * k), reference, 1.0) << "at " << 8.0 + 0.2 * k << " s";
}

// The CD image: 44.1 kHz 16-bit, a CUE sheet whose INDEX times (MM:SS:FF) are whole CD
// frames and are exactly where the tracks start in the image; the first track's 2 s
// pre-gap; CATALOG and ISRC written.
TEST_F(Album, CdImageAndCueSheetAgreeSampleForSample) {
    writeFile(dir_ + "/a.wav", pinkishNoise(48000, 6.3, -18.0, 2, 8).view(), 48000);
    writeFile(dir_ + "/b.wav", pinkishNoise(48000, 5.1, -18.0, 1, 9).view(), 48000);
    writeFile(dir_ + "/c.wav", pinkishNoise(44100, 4.7, -18.0, 2, 10).view(), 44100);
    write("album.toml", R"(title = "Disc"
artist = "Tests"
upc = "036000291452"
[[track]]
file = "a.wav"
title = "A"
isrc = "GB-AYE-26-00001"
[[track]]
file = "b.wav"
title = "B"
gap_s = 1.3
[[track]]
file = "c.wav"
title = "C"
gap_s = 0
)");
    const auto r = album({"--cd"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto rep = report();
    const std::string image = rep["outputs"]["cd_image"], cuePath = rep["outputs"]["cue_sheet"];
    SoundFileReader reader(image);
    EXPECT_EQ(reader.info().sampleRate, 44100.0);
    EXPECT_EQ(reader.info().frames % 588, 0);
    {
        // The CD image (16-bit, dithered) holds the album's ceiling against an ideal
        // reconstruction too.
        double rate = 0;
        EXPECT_LE(idealTruePeakDbtp(readWholeFile(image, &rate).view()), rep["ceiling_dbtp"].get<double>());
    }
    std::ifstream cueIn(cuePath);
    const std::string cue((std::istreambuf_iterator<char>(cueIn)), {});
    EXPECT_NE(cue.find("CATALOG 0036000291452"), std::string::npos);
    EXPECT_NE(cue.find("ISRC GBAYE2600001"), std::string::npos);
    std::regex index(R"(INDEX (\d\d) (\d\d):(\d\d):(\d\d))");
    std::vector<std::pair<int, long>> indexes;  // (index number, sample position)
    for (auto it = std::sregex_iterator(cue.begin(), cue.end(), index); it != std::sregex_iterator(); ++it) {
        const long frames = (std::stol((*it)[2]) * 60 + std::stol((*it)[3])) * 75 + std::stol((*it)[4]);
        indexes.emplace_back(std::stoi((*it)[1]), frames * 588);
    }
    std::vector<long> starts;
    for (const auto& [number, sample] : indexes)
        if (number == 1) starts.push_back(sample);
    ASSERT_EQ(starts.size(), 3u);
    EXPECT_EQ(indexes.front(), std::make_pair(0, 0L));  // track 1's pre-gap
    EXPECT_EQ(starts[0], 88200);                        // 2 s
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(starts[i], rep["tracks"][i]["start_frame"].get<long>()) << "track " << i + 1;
    // The image holds silence in the pre-gaps and audio right from each INDEX 01.
    const AudioBuffer audio = readWholeFile(image);
    const auto peakIn = [&](long from, long to) {
        float peak = 0;
        for (int c = 0; c < 2; ++c)
            for (long i = from; i < to; ++i) peak = std::max(peak, std::fabs(audio.channel(c)[static_cast<std::size_t>(i)]));
        return peak;
    };
    EXPECT_LT(peakIn(0, 88200 - 600), 1e-3f);  // dither only
    EXPECT_GT(peakIn(starts[0], starts[0] + 4410), 0.01f);
    EXPECT_GT(peakIn(starts[1], starts[1] + 4410), 0.01f);
    // The pre-gap is the CD image's only (issue 20): the first track's file and the
    // continuous file start with the music, and are the image less its 2 s.
    EXPECT_EQ(rep["cd_pregap_frames"].get<long>(), 88200);
    const auto leadingSilenceFrames = [](const AudioBuffer& b) {
        std::size_t i = 0;
        while (i < b.frames() && std::fabs(b.channel(0)[i]) < 1e-3f && std::fabs(b.channel(1)[i]) < 1e-3f) ++i;
        return i;
    };
    const AudioBuffer firstTrack = readWholeFile(rep["tracks"][0]["file"].get<std::string>());
    const AudioBuffer continuous = readWholeFile(rep["outputs"]["continuous"].get<std::string>());
    EXPECT_LT(leadingSilenceFrames(firstTrack), 4410u) << "the first track's file starts with the CD's pre-gap";
    EXPECT_LT(leadingSilenceFrames(continuous), 4410u) << "the continuous file starts with the CD's pre-gap";
    EXPECT_EQ(continuous.frames() + 88200, audio.frames());
    EXPECT_EQ(firstTrack.frames(), static_cast<std::size_t>(rep["tracks"][0]["end_frame"].get<long>() - 88200));
}

// trim_silence cuts a song's digital silence at both ends; FLAC output carries R128 gains;
// a loudness offset moves one song against the rule.
TEST_F(Album, TrimSilenceFlacTagsAndLoudnessOffset) {
    const auto silence = AudioBuffer(2, 44100);
    const auto body = pinkishNoise(44100, 6.0, -18.0, 2, 14);
    writeFile(dir_ + "/a.wav", concatenate({&silence, &body, &silence}).view(), 44100);
    writeFile(dir_ + "/b.wav", pinkishNoise(44100, 6.0, -18.0, 2, 15).view(), 44100);
    write("album.toml", R"(title = "Trim"
artist = "Tests"
[[track]]
file = "a.wav"
title = "A"
trim_silence = true
[[track]]
file = "b.wav"
title = "B"
gap_s = 0
loudness_offset_lu = -3.0
)");
    const auto r = album({"--format", "flac", "--loudness", "track"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto rep = report();
    double rate = 0;
    const AudioBuffer a = readWholeFile(rep["tracks"][0]["file"].get<std::string>(), &rate);
    // The 2 s of silence are gone, but for the mastering filters' ringing above -60 dBFS.
    EXPECT_NEAR(static_cast<double>(a.frames()) / rate, 6.0, 0.15);
    EXPECT_NEAR(lufsOf(rep["tracks"][0]["file"]) - lufsOf(rep["tracks"][1]["file"]), 3.0, 0.2);
    TagLib::FileRef file(rep["tracks"][1]["file"].get<std::string>().c_str());
    ASSERT_FALSE(file.isNull());
    const auto tags = file.file()->properties();
    ASSERT_TRUE(tags.contains("R128_TRACK_GAIN"));
    // Q7.8 dB relative to -23 LUFS.
    EXPECT_NEAR(std::stod(tags["R128_TRACK_GAIN"].front().to8Bit(true)) / 256.0, -23.0 - lufsOf(rep["tracks"][1]["file"]), 0.1);
}

// Memory does not grow with the album: a long one peaks no higher than a short one. (All
// files are made before either run: a child's peak RSS counts the parent's at the spawn.)
TEST_F(Album, PeakMemoryDoesNotGrowWithTheAlbumsLength) {
    for (int seconds : {5, 90}) {
        const std::string s = std::to_string(seconds);
        writeFile(dir_ + "/a" + s + ".wav", pinkishNoise(44100, seconds, -18.0, 2, 16).view(), 44100, SampleFormat::Pcm16);
        writeFile(dir_ + "/b" + s + ".wav", pinkishNoise(44100, seconds, -20.0, 2, 17).view(), 44100, SampleFormat::Pcm16);
    }
    std::vector<long> rss;
    for (int seconds : {5, 90}) {
        const std::string s = std::to_string(seconds);
        write("album.toml", "title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"a" + s + ".wav\"\ntitle = \"A\"\n[[track]]\nfile = \"b" +
                                s + ".wav\"\ntitle = \"B\"\n");
        fs::remove_all(dir_ + "/out");
        const auto r = album({});
        ASSERT_EQ(r.exitCode, 0) << r.err;
        rss.push_back(r.maxRssKb);
    }
    EXPECT_LT(rss[1], rss[0] + 4096) << "5 s songs: " << rss[0] << " kB, 90 s songs: " << rss[1] << " kB";
}

// Interrupted while it masters the songs or assembles them: nothing is left in the output
// folder, neither outputs nor the mastered intermediates.
TEST_F(Album, AnInterruptedRunLeavesNothing) {
    for (int i = 1; i <= 3; ++i)
        writeFile(dir_ + "/s" + std::to_string(i) + ".wav", pinkishNoise(44100, 60.0, -20.0, 2, 30 + static_cast<std::uint64_t>(i)).view(),
                  44100);
    write("album.toml",
          "title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"s1.wav\"\ntitle = \"A\"\n[[track]]\nfile = \"s2.wav\"\ntitle = \"B\"\n"
          "[[track]]\nfile = \"s3.wav\"\ntitle = \"C\"\n");
    for (int delayMs : {300, 900}) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::execl(BOUNCE_CLI, BOUNCE_CLI, "album", (dir_ + "/album.toml").c_str(), "-o", (dir_ + "/out").c_str(), nullptr);
            ::_exit(127);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (fs::exists(dir_ + "/out"))
            for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/out"))
                ADD_FAILURE() << "left behind: " << entry.path() << " (after " << delayMs << " ms)";
        fs::remove_all(dir_ + "/out");
    }
}

TEST(AlbumRedBook, EveryViolationIsCaught) {
    const auto layout = [](std::size_t tracks, double seconds, double firstPregap) {
        std::vector<AlbumTrackResult> out;
        std::uint64_t at = 0;
        for (std::size_t i = 0; i < tracks; ++i) {
            AlbumTrackResult t;
            t.index00 = at;
            t.index01 = at + static_cast<std::uint64_t>((i == 0 ? firstPregap : 0.0) * 44100);
            t.end = t.index01 + static_cast<std::uint64_t>(seconds * 44100);
            at = t.end;
            out.push_back(t);
        }
        return out;
    };
    const auto problems = [](const std::vector<AlbumTrackResult>& t, std::vector<std::string> isrcs = {}, std::string upc = "") {
        return redBookProblems(t, t.empty() ? 0 : t.back().end, isrcs, upc);
    };
    EXPECT_TRUE(problems(layout(12, 200, 2.0)).empty());
    EXPECT_EQ(problems(layout(100, 10, 2.0)).size(), 1u);  // 100 tracks
    EXPECT_EQ(problems(layout(3, 3.9, 2.0)).size(), 3u);   // each under 4 s
    EXPECT_EQ(problems(layout(10, 480, 2.0)).size(), 1u);  // 80 minutes
    EXPECT_EQ(problems(layout(3, 60, 0.0)).size(), 1u);    // no 2 s pre-gap
    EXPECT_EQ(problems(layout(3, 60, 2.0), {"XXA012600001", "BAD", ""}).size(), 1u);
    EXPECT_EQ(problems(layout(3, 60, 2.0), {}, "036000291453").size(), 1u);  // wrong check digit
    EXPECT_TRUE(problems(layout(3, 60, 2.0), {}, "036000291452").empty());
}

TEST_F(Album, ACdWithATrackUnderFourSecondsIsRefused) {
    writeFile(dir_ + "/a.wav", pinkishNoise(44100, 6.0, -18.0, 2, 11).view(), 44100);
    writeFile(dir_ + "/b.wav", pinkishNoise(44100, 3.0, -18.0, 2, 12).view(), 44100);
    write("album.toml",
          "title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"a.wav\"\ntitle = \"A\"\n[[track]]\nfile = \"b.wav\"\ntitle = \"B\"\n");
    const auto r = album({"--cd"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("at least 4 s"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/out/01 - A.wav"));
}

// Manifest errors name the file and line, exit 2, and write nothing.
TEST_F(Album, ManifestErrorsNameTheLine) {
    writeFile(dir_ + "/a.wav", pinkishNoise(44100, 5.0, -18.0, 2, 13).view(), 44100);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"a.wav\"\ntitle = \"A\"\ntempo = 3\n", "album.toml:6:"},
        {"title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"a.wav\"\ntitle = 5\n", "album.toml:5:"},
        {"title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"missing.wav\"\ntitle = \"A\"\n", "album.toml:4:"},
        {"title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"a.wav\"\ntitle = \"A\"\nisrc = \"12\"\n", "album.toml:6:"},
        {"title = \"T\"\nartist = \"A\"\nupc = \"123\"\n[[track]]\nfile = \"a.wav\"\ntitle = \"A\"\n", "album.toml:3:"},
        {"title = \"T\"\nartist = \"A\"\n[[track]]\nfile = \"a.wav\"\ntitle = \"A\"\ncrossfade_s = 2\n[[track]]\nfile = \"a.wav\"\ntitle = "
         "\"B\"\ngap_s = 1\n",
         "album.toml:7:"},
        {"title = \"T\"\nartist = \"A\"\n[[track]\n", "album.toml:3:"},
    };
    for (const auto& [manifest, where] : cases) {
        write("album.toml", manifest);
        const auto r = album({});
        EXPECT_EQ(r.exitCode, 2) << manifest;
        EXPECT_NE(r.err.find(where), std::string::npos) << r.err << " for\n" << manifest;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(fs::exists(dir_ + "/out")) << manifest;
    }
}

}  // namespace
}  // namespace bounce::test
