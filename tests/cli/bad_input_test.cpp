// The bad-input corpus (issue 18): every command given hostile or wrong input. Each case
// checks the same contract: the exit code it names (below 128: no crash), one line on
// stderr naming the file (or option) at fault, no output and no temporary left behind,
// and every file that was there before byte-identical afterwards.
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

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

std::string expand(std::string text, const std::string& dir) {
    for (std::size_t at; (at = text.find("{dir}")) != std::string::npos;) text.replace(at, 5, dir);
    return text;
}

std::map<std::string, std::string> snapshot(const std::string& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file() || entry.is_symlink()) files[fs::relative(entry.path(), dir).string()] = readBytes(entry.path());
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
