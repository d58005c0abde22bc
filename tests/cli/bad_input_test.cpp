// The bad-input corpus (issue 18): every command given hostile or wrong input. Each case
// checks the same contract: the exit code it names (below 128: no crash), one line on
// stderr naming the file (or option) at fault, no output and no temporary left behind,
// and every file that was there before byte-identical afterwards.
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

// The corpus below leaves a case's optional fields (setup, mayAppear) out where it has none.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

const std::string kBounce = BOUNCE_CLI;

struct BadInputCase {
    std::string name;
    // Arguments after "bounce"; "{dir}" stands for the case's folder.
    std::vector<std::string> args;
    int exitCode = 1;
    std::string message;                                // stderr contains it ("{dir}" expanded)
    std::function<void(const std::string& dir)> setup;  // more fixtures
    std::vector<std::string> mayAppear;                 // files this case may leave (none by default)
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

std::string readBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

void writeText(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// The fixtures every case starts from: a short stereo mix, a chain, a session, an album
// manifest and a folder of tracks.
void writeFixtures(const std::string& dir) {
    const auto tone = sine(44100.0, 2.0, 440.0, -12.0, 2);
    writeFile(dir + "/in.wav", tone.view(), 44100.0, SampleFormat::Pcm24);
    writeText(dir + "/chain.toml", "[[insert]]\ntype = \"gain\"\ngain_db = -1\n");
    writeText(dir + "/session.toml", "[[track]]\nname = \"vox\"\nfile = \"in.wav\"\n");
    writeText(dir + "/album.toml", "title = \"A\"\nartist = \"B\"\n[[track]]\nfile = \"in.wav\"\ntitle = \"One\"\n");
    fs::create_directories(dir + "/tracks");
    writeFile(dir + "/tracks/vocal.wav", tone.view(), 44100.0, SampleFormat::Pcm24);
}

// A FLAC file whose STREAMINFO claims `totalSamples` (36 bits; 0 means "unknown").
void writeFlacClaiming(const std::string& path, double seconds, std::uint64_t totalSamples) {
    writeFile(path, sine(44100.0, seconds, 440.0, -12.0, 2).view(), 44100.0, SampleFormat::Pcm16, FileFormat::Flac);
    std::string bytes = readBytes(path);
    ASSERT_EQ(bytes.substr(0, 4), "fLaC");
    // STREAMINFO's body starts at byte 8; the sample count is the low 4 bits of byte 13 and
    // bytes 14 to 17.
    bytes[8 + 13] = static_cast<char>((static_cast<unsigned char>(bytes[8 + 13]) & 0xF0) | ((totalSamples >> 32) & 0x0F));
    for (int k = 0; k < 4; ++k) bytes[8 + 14 + static_cast<std::size_t>(k)] = static_cast<char>((totalSamples >> (24 - 8 * k)) & 0xFF);
    std::ofstream(path, std::ios::binary) << bytes;
}

// A float file with a NaN half a second in, in its right channel.
void writeNanFile(const std::string& path) {
    auto tone = sine(44100.0, 1.0, 440.0, -12.0, 2);
    tone.channel(1)[22050] = std::numeric_limits<float>::quiet_NaN();
    writeFile(path, tone.view(), 44100.0, SampleFormat::Float32);
}

std::string expand(std::string text, const std::string& dir) {
    for (std::size_t at; (at = text.find("{dir}")) != std::string::npos;) text.replace(at, 5, dir);
    return text;
}

// Every file's bytes, and every folder (its name with a trailing '/'): a folder a failed
// run created and left counts as left behind.
std::map<std::string, std::string> snapshot(const std::string& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const std::string name = fs::relative(entry.path(), dir).string();
        if (entry.is_symlink() || entry.is_regular_file()) {
            files[name] = readBytes(entry.path());
        } else if (entry.is_directory()) {
            files[name + "/"] = "";
        }
    }
    return files;
}

std::vector<BadInputCase> corpus() {
    return {
        // Outputs that would replace an input (defect 2).
        {"process_output_is_the_chain",
         {"process", "{dir}/in.wav", "-o", "{dir}/chain.wav", "--chain", "{dir}/chain.wav"},
         1,
         "{dir}/chain.wav: is an input",
         [](const std::string& d) { fs::copy_file(d + "/chain.toml", d + "/chain.wav"); }},
        {"process_output_is_the_input",
         {"process", "{dir}/in.wav", "-o", "{dir}/in.wav", "--chain", "{dir}/chain.toml"},
         1,
         "{dir}/in.wav: is an input"},
        {"automix_output_is_a_track",
         {"automix", "{dir}/tracks", "-o", "{dir}/tracks/vocal.wav"},
         1,
         "{dir}/tracks/vocal.wav: is an input"},
        {"mix_output_is_a_track", {"mix", "{dir}/session.toml", "-o", "{dir}/in.wav"}, 1, "{dir}/in.wav: is an input"},
        {"mix_output_is_the_session", {"mix", "{dir}/session.toml", "-o", "{dir}/session.toml"}, 2, "{dir}/session.toml"},
        {"master_output_is_the_input", {"master", "{dir}/in.wav", "-o", "{dir}/in.wav"}, 1, "{dir}/in.wav: is an input"},
        {"master_report_is_the_input",
         {"master", "{dir}/in.wav", "-o", "{dir}/out.wav", "--json", "{dir}/in.wav"},
         1,
         "{dir}/in.wav: is an input"},
        {"master_report_is_the_master",
         {"master", "{dir}/in.wav", "-o", "{dir}/out.wav", "--json", "{dir}/out.wav"},
         1,
         "{dir}/out.wav: is an input"},
        {"check_report_is_the_input", {"check", "{dir}/in.wav", "--json", "{dir}/in.wav", "--no-codecs"}, 1, "{dir}/in.wav: is an input"},
        // Values that were accepted and ignored (defect 9).
        {"master_lufs_nan", {"master", "{dir}/in.wav", "-o", "{dir}/out.wav", "--lufs", "nan"}, 2, "--lufs"},
        {"master_lufs_above_range", {"master", "{dir}/in.wav", "-o", "{dir}/out.wav", "--lufs", "3"}, 2, "--lufs"},
        {"master_ceiling_above_zero", {"master", "{dir}/in.wav", "-o", "{dir}/out.wav", "--ceiling", "0.5"}, 2, "--ceiling"},
        {"album_lufs_nan", {"album", "{dir}/album.toml", "-o", "{dir}/out", "--lufs", "nan"}, 2, "--lufs"},
        {"album_ceiling_above_zero", {"album", "{dir}/album.toml", "-o", "{dir}/out", "--ceiling", "0.5"}, 2, "--ceiling"},
        // Missing and wrong files.
        {"master_missing_input", {"master", "{dir}/missing.wav", "-o", "{dir}/out.wav"}, 1, "{dir}/missing.wav"},
        {"master_output_folder_missing", {"master", "{dir}/in.wav", "-o", "{dir}/nowhere/out.wav"}, 1, "{dir}/nowhere/out.wav"},
        {"process_chain_unknown_insert",
         {"process", "{dir}/in.wav", "-o", "{dir}/out.wav", "--chain", "{dir}/bad.toml"},
         2,
         "{dir}/bad.toml:1: unknown insert type",
         [](const std::string& d) { writeText(d + "/bad.toml", "[[insert]]\ntype = \"fuzz\"\n"); }},
        {"mix_session_syntax_error",
         {"mix", "{dir}/bad.toml", "-o", "{dir}/out.wav"},
         2,
         "{dir}/bad.toml:2",
         [](const std::string& d) { writeText(d + "/bad.toml", "[[track]]\nname = = 3\n"); }},
        {"album_missing_song",
         {"album", "{dir}/bad.toml", "-o", "{dir}/out"},
         2,
         "missing.wav",
         [](const std::string& d) {
             writeText(d + "/bad.toml", "title = \"A\"\nartist = \"B\"\n[[track]]\nfile = \"missing.wav\"\ntitle = \"X\"\n");
         }},
        {"analyze_text_file",
         {"analyze", "{dir}/notes.txt"},
         1,
         "{dir}/notes.txt",
         [](const std::string& d) { writeText(d + "/notes.txt", "la la la\n"); }},
        // Lengths that would render without end, and allocations sized by a header (defects 1, 5).
        {"mix_track_starts_beyond_a_day",
         {"mix", "{dir}/far.toml", "-o", "{dir}/out.wav"},
         2,
         "{dir}/far.toml:1: track 'vox' ends at",
         [](const std::string& d) { writeText(d + "/far.toml", "[[track]]\nname = \"vox\"\nfile = \"in.wav\"\nstart = 1e9\n"); }},
        {"mix_end_beyond_a_day", {"mix", "{dir}/session.toml", "-o", "{dir}/out.wav", "--end", "1e6"}, 2, "--end"},
        {"process_impulse_longer_than_a_minute",
         {"process", "{dir}/in.wav", "-o", "{dir}/out.wav", "--chain", "{dir}/room.toml"},
         1,
         "{dir}/long.wav: the impulse response is longer than 60 s",
         [](const std::string& d) {
             writeFile(d + "/long.wav", AudioBuffer(1, 61 * 8000).view(), 8000.0, SampleFormat::Pcm16);
             writeText(d + "/room.toml", "[[insert]]\ntype = \"convolution_reverb\"\nimpulse = \"long.wav\"\n");
         }},
        // More wrong input, one line each.
        {"process_empty_input",
         {"process", "{dir}/empty.wav", "-o", "{dir}/out.wav", "--chain", "{dir}/chain.toml"},
         1,
         "{dir}/empty.wav",
         [](const std::string& d) { writeText(d + "/empty.wav", ""); }},
        {"process_missing_chain", {"process", "{dir}/in.wav", "-o", "{dir}/out.wav", "--chain", "{dir}/none.toml"}, 2, "{dir}/none.toml"},
        {"process_value_out_of_range",
         {"process", "{dir}/in.wav", "-o", "{dir}/out.wav", "--chain", "{dir}/loud.toml"},
         2,
         "{dir}/loud.toml:3: gain_db must be between -96 and 48",
         [](const std::string& d) { writeText(d + "/loud.toml", "[[insert]]\ntype = \"gain\"\ngain_db = 100\n"); }},
        {"mix_missing_session", {"mix", "{dir}/none.toml", "-o", "{dir}/out.wav"}, 2, "{dir}/none.toml"},
        {"mix_missing_track_file",
         {"mix", "{dir}/gone.toml", "-o", "{dir}/out.wav"},
         2,
         "{dir}/gone.toml:3",
         [](const std::string& d) { writeText(d + "/gone.toml", "[[track]]\nname = \"a\"\nfile = \"gone.wav\"\n"); }},
        {"mix_send_to_unknown_return",
         {"mix", "{dir}/send.toml", "-o", "{dir}/out.wav"},
         2,
         "{dir}/send.toml:4: send to unknown return",
         [](const std::string& d) {
             writeText(d + "/send.toml", "[[track]]\nname = \"a\"\nfile = \"in.wav\"\n[[track.send]]\nto = \"hall\"\n");
         }},
        {"mix_buses_in_a_cycle",
         {"mix", "{dir}/cycle.toml", "-o", "{dir}/out.wav"},
         2,
         "buses feed each other in a cycle",
         [](const std::string& d) {
             writeText(d + "/cycle.toml",
                       "[[track]]\nname = \"a\"\nfile = \"in.wav\"\nbus = \"x\"\n[[bus]]\nname = \"x\"\noutput = \"y\"\n"
                       "[[bus]]\nname = \"y\"\noutput = \"x\"\n");
         }},
        {"master_directory_as_input", {"master", "{dir}/tracks", "-o", "{dir}/out.wav"}, 1, "{dir}/tracks: is a directory"},
        {"master_unknown_style", {"master", "{dir}/in.wav", "-o", "{dir}/out.wav", "--style", "shiny"}, 2, "--style"},
        {"master_four_channels",
         {"master", "{dir}/quad.wav", "-o", "{dir}/out.wav"},
         2,
         "{dir}/quad.wav: mastering takes mono or stereo",
         [](const std::string& d) { writeFile(d + "/quad.wav", sine(44100.0, 1.0, 440.0, -12.0, 4).view(), 44100.0); }},
        {"check_unknown_system", {"check", "{dir}/in.wav", "--systems", "radio", "--no-codecs"}, 2, "--systems: unknown system \"radio\""},
        {"album_manifest_syntax_error",
         {"album", "{dir}/bad.toml", "-o", "{dir}/out"},
         2,
         "{dir}/bad.toml:1",
         [](const std::string& d) { writeText(d + "/bad.toml", "title = = \"A\"\n"); }},
        {"automix_empty_folder",
         {"automix", "{dir}/nothing", "-o", "{dir}/s.toml"},
         2,
         "{dir}/nothing: no audio files Bounce can read",
         [](const std::string& d) { fs::create_directories(d + "/nothing"); }},
        {"automix_missing_folder", {"automix", "{dir}/gone", "-o", "{dir}/s.toml"}, 2, "{dir}/gone: not a folder"},
        // Outputs that would share a name (defect 4).
        {"album_file_named_like_a_track",
         {"album", "{dir}/clash.toml", "-o", "{dir}/out"},
         2,
         "track 1 and the album file",
         [](const std::string& d) {
             writeText(d + "/clash.toml", "title = \"Song\"\nartist = \"01\"\n[[track]]\nfile = \"in.wav\"\ntitle = \"Song\"\n");
         }},
        {"mix_stems_share_a_name",
         {"mix", "{dir}/clash.toml", "-o", "{dir}/out.wav", "--stems", "{dir}/stems"},
         2,
         "would both be a_b.wav",
         [](const std::string& d) {
             writeText(d + "/clash.toml", "[[track]]\nname = \"a b\"\nfile = \"in.wav\"\n[[track]]\nname = \"a_b\"\nfile = \"in.wav\"\n");
         }},
        {"mix_stem_would_replace_the_mix",
         {"mix", "{dir}/session.toml", "-o", "{dir}/vox.wav", "--stems", "{dir}"},
         2,
         "would replace the mix"},
        // NaN is not audio, in every command (defect 9).
        {"process_nan_input",
         {"process", "{dir}/nan.wav", "-o", "{dir}/out.wav", "--chain", "{dir}/chain.toml"},
         1,
         "{dir}/nan.wav: holds a non-finite sample (NaN or infinity) at 0.500 s in channel 2",
         [](const std::string& d) { writeNanFile(d + "/nan.wav"); }},
        {"mix_nan_track",
         {"mix", "{dir}/nan.toml", "-o", "{dir}/out.wav"},
         1,
         "{dir}/nan.wav: holds a non-finite sample",
         [](const std::string& d) {
             writeNanFile(d + "/nan.wav");
             writeText(d + "/nan.toml", "[[track]]\nname = \"n\"\nfile = \"nan.wav\"\n");
         }},
        {"master_nan_input",
         {"master", "{dir}/nan.wav", "-o", "{dir}/out.wav"},
         1,
         "{dir}/nan.wav: holds",
         [](const std::string& d) { writeNanFile(d + "/nan.wav"); }},
        // Outputs that belong together appear together or not at all, and a folder the run
        // made for them goes too (defect 4): failures found late, after files were written.
        {"mix_stems_none_when_a_track_fails_late",
         {"mix", "{dir}/nan.toml", "-o", "{dir}/out.wav", "--stems", "{dir}/new/stems"},
         1,
         "{dir}/nan.wav: holds a non-finite sample",
         [](const std::string& d) {
             writeNanFile(d + "/nan.wav");
             writeText(d + "/nan.toml", "[[track]]\nname = \"v\"\nfile = \"in.wav\"\n[[track]]\nname = \"n\"\nfile = \"nan.wav\"\n");
         }},
        {"check_previews_none_when_the_comparison_fails",
         {"check", "{dir}/in.wav", "--no-codecs", "--preview", "{dir}/previews", "--against", "{dir}/other-rate.wav"},
         2,
         "--against: {dir}/other-rate.wav is at 48000 Hz",
         [](const std::string& d) { writeFile(d + "/other-rate.wav", sine(48000.0, 2.0, 440.0, -12.0, 2).view(), 48000.0); }},
        {"album_folder_gone_when_a_track_fails",
         {"album", "{dir}/nan-album.toml", "-o", "{dir}/out"},
         1,
         "{dir}/nan.wav: holds",
         [](const std::string& d) {
             writeNanFile(d + "/nan.wav");
             writeText(d + "/nan-album.toml",
                       "title = \"A\"\nartist = \"B\"\n[[track]]\nfile = \"in.wav\"\ntitle = \"One\"\n[[track]]\nfile = \"nan.wav\"\n"
                       "title = \"Two\"\n");
         }},
        // An output Bounce cannot write is named as typed, before any work (issue 20: it
        // named a temporary and exited 1).
        {"process_output_format_unknown",
         {"process", "{dir}/in.wav", "-o", "{dir}/p.xyz", "--chain", "{dir}/chain.toml"},
         2,
         "{dir}/p.xyz: Bounce cannot write this format"},
        {"mix_output_format_unknown",
         {"mix", "{dir}/session.toml", "-o", "{dir}/m.xyz"},
         2,
         "{dir}/m.xyz: Bounce cannot write this format"},
        {"master_artwork_too_large",
         {"master", "{dir}/in.wav", "-o", "{dir}/out.wav", "--artwork", "{dir}/big.jpg"},
         2,
         "{dir}/big.jpg: larger than 16 MB",
         [](const std::string& d) { writeText(d + "/big.jpg", "\xFF\xD8\xFF\xE0" + std::string(17 * 1024 * 1024, '\0')); }},
    };
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, RefusedInOneLineLeavingNothingBehind) {
    const BadInputCase& c = GetParam();
    const std::string dir = makeTempDir("bad-input");
    writeFixtures(dir);
    if (c.setup) c.setup(dir);
    const auto before = snapshot(dir);
    std::vector<std::string> argv{kBounce};
    for (const auto& a : c.args) argv.push_back(expand(a, dir));
    const auto r = runCommand(argv);

    EXPECT_EQ(r.exitCode, c.exitCode) << r.err;
    EXPECT_LT(r.exitCode, 128);
    EXPECT_NE(r.err.find(expand(c.message, dir)), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    const auto after = snapshot(dir);
    for (const auto& [file, bytes] : before) {
        const auto it = after.find(file);
        ASSERT_NE(it, after.end()) << file << " was removed";
        EXPECT_TRUE(it->second == bytes) << file << " was changed";
    }
    for (const auto& [file, bytes] : after) {
        if (!before.count(file)) {
            EXPECT_NE(std::find(c.mayAppear.begin(), c.mayAppear.end(), file), c.mayAppear.end()) << file << " was left behind";
        }
    }
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        EXPECT_EQ(entry.path().filename().string().find(".bounce-"), std::string::npos) << entry.path() << " is a temporary";
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(corpus()), [](const auto& info) { return info.param.name; });

// A header that does not give the length (FLAC, total_samples = 0) is read to its real end
// (the mix used to write without end), one that claims more than the file holds is taken
// at what it holds, and one that claims hours in a small file does not make the
// convolution reverb allocate them.
TEST(Lengths, UnknownAndOverstatedLengthsAreReadAsTheyAre) {
    const std::string dir = makeTempDir("lengths");
    writeFlacClaiming(dir + "/unknown.flac", 3.0, 0);
    std::ofstream(dir + "/s.toml") << "tail_s = 1.0\n[[track]]\nname = \"u\"\nfile = \"unknown.flac\"\n";
    const auto mixed = runCommand({"timeout", "60", kBounce, "mix", dir + "/s.toml", "-o", dir + "/m.wav"});
    ASSERT_EQ(mixed.exitCode, 0) << mixed.err;
    double rate = 0;
    EXPECT_EQ(readWholeFile(dir + "/m.wav", &rate).frames(), 4u * 44100u);

    // A cut FLAC (3 s claiming 60) mixes, and time-stretches, as the 3 s it holds: the mix
    // does not run on in silence to the claimed end.
    writeFlacClaiming(dir + "/cut.flac", 3.0, 60u * 44100u);
    std::ofstream(dir + "/cut.toml") << "tail_s = 1.0\n[[track]]\nname = \"c\"\nfile = \"cut.flac\"\n"
                                        "[[track]]\nname = \"slow\"\nfile = \"cut.flac\"\ntime_ratio = 1.5\n";
    const auto cut = runCommand({"timeout", "60", kBounce, "mix", dir + "/cut.toml", "-o", dir + "/cut.wav"});
    ASSERT_EQ(cut.exitCode, 0) << cut.err;
    EXPECT_NEAR(static_cast<double>(readWholeFile(dir + "/cut.wav", &rate).frames()), 5.5 * 44100.0, 0.05 * 44100.0);

    writeFlacClaiming(dir + "/claims.flac", 0.5, (1ull << 36) - 1);  // 0.5 s claiming 17 days
    std::ofstream(dir + "/room.toml") << "[[insert]]\ntype = \"convolution_reverb\"\nimpulse = \"claims.flac\"\n";
    writeFile(dir + "/in.wav", sine(44100.0, 2.0, 440.0, -12.0, 2).view(), 44100.0, SampleFormat::Pcm24);
    const auto processed = runCommand({kBounce, "process", dir + "/in.wav", "-o", dir + "/p.wav", "--chain", dir + "/room.toml"});
    EXPECT_EQ(processed.exitCode, 0) << processed.err;
    EXPECT_LT(processed.maxRssKb, 200 * 1024) << "the claimed length was allocated";
    fs::remove_all(dir);
}

// A pipe is read once: the tag reader does not reopen it (it used to, read-write, and hang).
TEST(Pipes, AnalyzeReadsAPipeWithoutHanging) {
    if (!haveTool("timeout")) GTEST_SKIP() << "no timeout(1)";
    const std::string dir = makeTempDir("pipe");
    writeFile(dir + "/in.wav", sine(44100.0, 2.0, 440.0, -12.0, 2).view(), 44100.0, SampleFormat::Pcm24);
    const auto r = runCommand({"timeout", "30", "sh", "-c", "cat '" + dir + "/in.wav' | '" + kBounce + "' analyze --json /dev/stdin"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"integrated_lufs\""), std::string::npos) << r.out;
    fs::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {

// Starts bounce with `args` and TMPDIR set to `tmp`, interrupts it with `signal` after
// `afterMs`, and returns its exit status (-1 if it had already ended).
int interruptAfter(const std::vector<std::string>& args, const std::string& tmp, int signal, int afterMs) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setenv("TMPDIR", tmp.c_str(), 1);
        std::vector<char*> argv{const_cast<char*>(kBounce.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::freopen("/dev/null", "w", stdout);
        ::freopen("/dev/null", "w", stderr);
        ::execv(kBounce.c_str(), argv.data());
        ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(afterMs));
    ::kill(pid, signal);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Processes whose command line mentions `text` (children left running).
int processesMentioning(const std::string& text) {
    int count = 0;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        std::ifstream in(entry.path() / "cmdline", std::ios::binary);
        std::stringstream cmdline;
        cmdline << in.rdbuf();
        if (cmdline.str().find(text) != std::string::npos) ++count;
    }
    return count;
}

// An interrupted check stops its encoders and removes its scratch folder (defect 7).
TEST(Interrupts, CheckStopsItsEncodersAndLeavesNoScratch) {
    if (!haveTool("ffmpeg")) GTEST_SKIP() << "no ffmpeg";
    const std::string dir = makeTempDir("interrupt-check"), tmp = dir + "/tmp";
    fs::create_directories(tmp);
    const std::string input = dir + "/long-interrupt-input.wav";
    writeFile(input, pinkishNoise(44100.0, 240.0, -18.0, 2, 5).view(), 44100.0, SampleFormat::Pcm24);
    // The round trips start after the analysis pass (about a second on this file).
    const int code = interruptAfter({"check", input, "--json", dir + "/r.json"}, tmp, SIGHUP, 2500);
    EXPECT_EQ(code, 128 + SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(processesMentioning("long-interrupt-input"), 0) << "an encoder is still running";
    EXPECT_TRUE(fs::is_empty(tmp)) << "a scratch folder was left in TMPDIR";
    EXPECT_FALSE(fs::exists(dir + "/r.json"));
    fs::remove_all(dir);
}

// An interrupted mix removes the folder of its pitch-changed regions (defect 7).
TEST(Interrupts, MixLeavesNoScratch) {
    const std::string dir = makeTempDir("interrupt-mix"), tmp = dir + "/tmp";
    fs::create_directories(tmp);
    writeFile(dir + "/a.wav", pinkishNoise(44100.0, 120.0, -18.0, 2, 6).view(), 44100.0, SampleFormat::Pcm24);
    std::ofstream(dir + "/s.toml") << "[[track]]\nname = \"a\"\nfile = \"a.wav\"\npitch_semitones = 2\n";
    const int code = interruptAfter({"mix", dir + "/s.toml", "-o", dir + "/m.wav"}, tmp, SIGINT, 1500);
    EXPECT_EQ(code, 128 + SIGINT);
    EXPECT_TRUE(fs::is_empty(tmp)) << "a scratch folder was left in TMPDIR";
    EXPECT_FALSE(fs::exists(dir + "/m.wav"));
    fs::remove_all(dir);
}

// Two albums rendered into one folder at once do not take each other's scratch (defect 8).
TEST(Interrupts, TwoAlbumsIntoOneFolderAtOnce) {
    const std::string dir = makeTempDir("two-albums");
    writeFile(dir + "/a.wav", pinkishNoise(44100.0, 20.0, -18.0, 2, 7).view(), 44100.0, SampleFormat::Pcm24);
    std::ofstream(dir + "/album.toml") << "title = \"A\"\nartist = \"B\"\n[[track]]\nfile = \"a.wav\"\ntitle = \"One\"\n";
    const auto run = [&] { return runCommand({kBounce, "album", dir + "/album.toml", "-o", dir + "/out"}); };
    auto second = std::async(std::launch::async, run);
    const auto first = run();
    const auto other = second.get();
    EXPECT_EQ(first.exitCode, 0) << first.err;
    EXPECT_EQ(other.exitCode, 0) << other.err;
    for (const auto& entry : fs::directory_iterator(dir + "/out"))
        EXPECT_EQ(entry.path().filename().string().find(".bounce-"), std::string::npos) << entry.path() << " was left";
    fs::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test
