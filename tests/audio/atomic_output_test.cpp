#include "bounce/atomic_output.h"
#include "bounce/error.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
