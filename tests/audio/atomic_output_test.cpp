#include "bounce/atomic_output.h"
#include "bounce/error.h"
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

}  // namespace
}  // namespace bounce::test
