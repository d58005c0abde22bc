#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "bounce/sound_file.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

TEST(AtomicOutput, TargetAppearsOnlyOnCommit) {
    const auto dir = makeTempDir("atomic");
    const std::string target = dir + "/out.wav";
    std::string temp;
    {
        AtomicOutputFile out(target);
        temp = out.tempPath();
        std::ofstream(temp) << "data";
        EXPECT_FALSE(fs::exists(target));
        EXPECT_EQ(fs::path(temp).parent_path(), fs::path(target).parent_path());
        out.commit();
    }
    EXPECT_TRUE(fs::exists(target));
    EXPECT_FALSE(fs::exists(temp));
    {
        AtomicOutputFile out(dir + "/abandoned.wav");
        temp = out.tempPath();
        std::ofstream(temp) << "half";
    }
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(dir + "/abandoned.wav"));
    fs::remove_all(dir);
}

TEST(AtomicOutput, RefusesToOverwriteAnInput) {
    const auto dir = makeTempDir("inputs");
    const std::string input = dir + "/in.wav";
    std::ofstream(input) << "x";
    fs::create_hard_link(input, dir + "/link.wav");
    fs::create_symlink(input, dir + "/sym.wav");
    EXPECT_THROW(AtomicOutputFile(input, {input}), Error);
    EXPECT_THROW(AtomicOutputFile(dir + "/./in.wav", {input}), Error);
    EXPECT_THROW(AtomicOutputFile(dir + "/link.wav", {input}), Error);
    EXPECT_THROW(AtomicOutputFile(dir + "/sym.wav", {input}), Error);
    EXPECT_NO_THROW(AtomicOutputFile(dir + "/other.wav", {input}));
    EXPECT_THROW(AtomicOutputFile(dir + "/no/such/folder/out.wav"), Error);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

// Temporaries have names no one can predict, are created by Bounce (O_EXCL), and a file or
// symbolic link planted beside the target is never written through (issue 18, defect 3).
TEST(AtomicOutput, TemporariesAreFreshAndNeverFollowALink) {
    const auto dir = makeTempDir("atomic-link");
    std::ofstream(dir + "/victim.txt") << "precious";
    // The name the old scheme would have used, planted as a link to the victim.
    fs::create_symlink(dir + "/victim.txt", dir + "/.out.bounce-tmp-" + std::to_string(::getpid()) + ".wav");
    {
        AtomicOutputFile a(dir + "/out.wav"), b(dir + "/out.wav");
        EXPECT_NE(a.tempPath(), b.tempPath());
        EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(a.tempPath())));
        std::ofstream(a.tempPath()) << "new";
        a.commit();
    }
    std::ifstream victim(dir + "/victim.txt");
    std::string text;
    victim >> text;
    EXPECT_EQ(text, "precious");
    fs::remove_all(dir);
}

// A temporary replaced by a link after it was made (someone with write access to the
// folder) is not written through: the sound and text writers open it with O_NOFOLLOW.
TEST(AtomicOutput, WritersDoNotFollowALinkPutInPlaceOfTheTemporary) {
    const auto dir = makeTempDir("atomic-swap");
    std::ofstream(dir + "/victim.txt") << "precious";
    {
        AtomicOutputFile wav(dir + "/out.wav"), text(dir + "/out.txt");
        for (const auto* out : {&wav, &text}) {
            fs::remove(out->tempPath());
            fs::create_symlink(dir + "/victim.txt", out->tempPath());
        }
        EXPECT_THROW(SoundFileWriter(wav.tempPath(), SoundFileSpec{48000.0, 2, FileFormat::Wav, SampleFormat::Pcm24}), Error);
        EXPECT_THROW(TextOutput{text}, Error);
    }
    std::ifstream victim(dir + "/victim.txt");
    std::string bytes;
    victim >> bytes;
    EXPECT_EQ(bytes, "precious");
    fs::remove_all(dir);
}

// A report that cannot be written whole is an error naming it, and nothing is left (a full
// disk, here a file-size limit, used to leave an empty file and exit 0: defect 6).
TEST(AtomicOutput, AFailedTextWriteIsAnErrorAndLeavesNothing) {
    const auto dir = makeTempDir("atomic-full");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{4096, 4096};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        try {
            writeTextFile(dir + "/report.json", std::string(1 << 20, 'x'));
        } catch (const Error& e) {
            ::_exit(std::string(e.what()).find("report.json") != std::string::npos ? 0 : 2);
        }
        ::_exit(1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error; 2: the error did not name the file";
    EXPECT_TRUE(fs::is_empty(dir)) << "a partial report or a temporary was left";
    fs::remove_all(dir);
}

std::string readAll(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    return text;
}

bool leftTemporaries(const std::string& dir) {
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.path().filename().string().find(".bounce-") != std::string::npos) return true;
    return false;
}

// A set's outputs appear together: all on commit, none before (defect 4).
TEST(OutputSet, AllAppearOnCommitReplacingWhatWasThere) {
    const auto dir = makeTempDir("set");
    std::ofstream(dir + "/a.wav") << "old a";
    {
        OutputSet set;
        set.createFolder(dir + "/stems/deeper");
        for (const char* name : {"/a.wav", "/b.wav", "/stems/deeper/c.wav"}) std::ofstream(set.add(dir + name).tempPath()) << "new";
        EXPECT_EQ(readAll(dir + "/a.wav"), "old a");
        EXPECT_FALSE(fs::exists(dir + "/b.wav"));
        set.commit();
    }
    for (const char* name : {"/a.wav", "/b.wav", "/stems/deeper/c.wav"}) EXPECT_EQ(readAll(dir + name), "new") << name;
    EXPECT_FALSE(leftTemporaries(dir));
    fs::remove_all(dir);
}

// A move that fails part-way puts back what was moved: a replaced file has its old bytes
// again, a new one is gone, and no temporary or backup remains.
TEST(OutputSet, AFailedMovePutsBackTheOnesBeforeIt) {
    const auto dir = makeTempDir("set-fail");
    std::ofstream(dir + "/a.wav") << "old a";
    {
        OutputSet set;
        for (const char* name : {"/a.wav", "/b.wav", "/c.wav"}) std::ofstream(set.add(dir + name).tempPath()) << "new";
        // c.wav becomes a folder with something in it after its output was opened: the
        // third move fails.
        fs::create_directories(dir + "/c.wav/inside");
        EXPECT_THROW(set.commit(), Error);
    }
    EXPECT_EQ(readAll(dir + "/a.wav"), "old a");
    EXPECT_FALSE(fs::exists(dir + "/b.wav"));
    EXPECT_TRUE(fs::is_directory(dir + "/c.wav/inside"));
    EXPECT_FALSE(leftTemporaries(dir));
    fs::remove_all(dir);
}

// An uncommitted set leaves nothing: its temporaries, and the folders it made (not one
// that was there, nor one someone else put a file in).
TEST(OutputSet, UncommittedLeavesNoFileAndNoFolderItMade) {
    const auto dir = makeTempDir("set-abandon");
    fs::create_directories(dir + "/there");
    {
        OutputSet set;
        set.createFolder(dir + "/there");
        set.createFolder(dir + "/made/deeper");
        set.createFolder(dir + "/shared");
        std::ofstream(set.add(dir + "/made/deeper/x.wav").tempPath()) << "half";
        std::ofstream(dir + "/shared/theirs.txt") << "keep";
    }
    EXPECT_TRUE(fs::is_directory(dir + "/there"));
    EXPECT_FALSE(fs::exists(dir + "/made"));
    EXPECT_EQ(readAll(dir + "/shared/theirs.txt"), "keep");
    fs::remove_all(dir);
}

// An interrupt while outputs are being written removes them and the folder made for them.
TEST(OutputSet, AnInterruptLeavesNothing) {
    const auto dir = makeTempDir("set-signal");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        installOutputCleanupOnSignal();
        auto* set = new OutputSet;  // never destroyed: the handler alone cleans up
        set->createFolder(dir + "/out");
        std::ofstream(set->add(dir + "/out/a.wav").tempPath()) << "half";
        std::raise(SIGINT);
        ::_exit(1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT);
    EXPECT_TRUE(fs::is_empty(dir)) << "a temporary or the folder was left";
    fs::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test
