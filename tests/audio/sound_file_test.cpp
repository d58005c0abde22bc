#include "bounce/error.h"
#include "bounce/sound_file.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace bounce::test {
namespace {

double maxAbsDifference(const AudioBuffer& a, const AudioBuffer& b) {
    double worst = 0;
    for (int c = 0; c < a.channels(); ++c)
        for (std::size_t i = 0; i < std::min(a.frames(), b.frames()); ++i)
            worst = std::max(worst, std::fabs(static_cast<double>(a.channel(c)[i]) - b.channel(c)[i]));
    return worst;
}

struct LosslessCase {
    FileFormat container;
    SampleFormat format;
    const char* extension;
    double tolerance;  // half a quantisation step: rounded to nearest, never floored
};

TEST(SoundFile, LosslessRoundTripsInEveryContainerAndSampleFormat) {
    const auto dir = makeTempDir("io");
    const auto audio = sine(48000, 0.5, 997.0, -1.0, 2);
    const LosslessCase cases[] = {
        {FileFormat::Wav, SampleFormat::Pcm16, ".wav", 0.5 / 32768},
        {FileFormat::Wav, SampleFormat::Pcm24, ".wav", 0.5 / 8388608},
        {FileFormat::Wav, SampleFormat::Pcm32, ".wav", 0.5 / 2147483648.0},
        {FileFormat::Wav, SampleFormat::Float32, ".wav", 0.0},
        {FileFormat::Wav, SampleFormat::Float64, ".wav", 0.0},
        {FileFormat::W64, SampleFormat::Pcm24, ".w64", 0.5 / 8388608},
        {FileFormat::Aiff, SampleFormat::Pcm24, ".aiff", 0.5 / 8388608},
        {FileFormat::Aiff, SampleFormat::Float32, ".aiff", 0.0},
        {FileFormat::Flac, SampleFormat::Pcm16, ".flac", 0.5 / 32768},
        {FileFormat::Flac, SampleFormat::Pcm24, ".flac", 0.5 / 8388608},
    };
    int index = 0;
    for (const auto& c : cases) {
        const std::string path = dir + "/case" + std::to_string(index++) + c.extension;
        writeFile(path, audio.view(), 48000, c.format, c.container);
        SoundFileReader reader(path);
        EXPECT_EQ(reader.info().channels, 2);
        EXPECT_EQ(reader.info().frames, static_cast<std::int64_t>(audio.frames()));
        EXPECT_EQ(reader.info().sampleFormat, c.format) << path;
        const auto back = readWholeFile(path);
        EXPECT_LE(maxAbsDifference(audio, back), c.tolerance) << path;
    }
    std::filesystem::remove_all(dir);
}

TEST(SoundFile, IntegerOutputClipsInsteadOfWrapping) {
    const auto dir = makeTempDir("clip");
    const auto loud = sine(48000, 0.1, 100.0, +6.0, 1);
    writeFile(dir + "/loud.wav", loud.view(), 48000, SampleFormat::Pcm16);
    const auto back = readWholeFile(dir + "/loud.wav");
    float peak = 0, lowest = 0;
    for (std::size_t i = 0; i < back.frames(); ++i) {
        peak = std::max(peak, back.channel(0)[i]);
        lowest = std::min(lowest, back.channel(0)[i]);
    }
    EXPECT_GT(peak, 0.999f);
    EXPECT_LT(lowest, -0.999f);
    // A wrapped sample would jump sign next to a full-scale one.
    for (std::size_t i = 1; i < back.frames(); ++i) EXPECT_LT(std::fabs(back.channel(0)[i] - back.channel(0)[i - 1]), 0.2f);
    std::filesystem::remove_all(dir);
}

// The same float samples quantised by sox without dither (round to nearest) and by Bounce
// give the same integers, in 16 and 24 bits, but for the way each breaks a tie.
TEST(SoundFile, IntegerOutputRoundsAsSoxDoes) {
    if (!haveTool("sox")) GTEST_SKIP() << "sox missing";
    const auto dir = makeTempDir("round");
    const auto audio = pinkishNoise(48000, 0.5, -12.0, 2, 7);
    writeFile(dir + "/float.wav", audio.view(), 48000, SampleFormat::Float32);
    for (const auto& [bits, format] : {std::pair{"16", SampleFormat::Pcm16}, std::pair{"24", SampleFormat::Pcm24}}) {
        writeFile(dir + "/ours.wav", audio.view(), 48000, format);
        ASSERT_EQ(runCommand({"sox", "-D", dir + "/float.wav", "-b", bits, dir + "/sox.wav"}).exitCode, 0);
        const auto ours = readWholeFile(dir + "/ours.wav");
        const auto sox = readWholeFile(dir + "/sox.wav");
        ASSERT_EQ(ours.frames(), sox.frames());
        // sox rounds twice (to 32 bits, then half up to 16 or 24) where Bounce rounds once,
        // half to even: the two may differ only at a tie, give or take sox's 32-bit step
        // (2^-16 of a 16-bit LSB, 2^-8 of a 24-bit one). A floor differs everywhere.
        const double step = std::string(bits) == "16" ? 32768.0 : 8388608.0;
        const double tieWidth = step / 2147483648.0;
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < ours.frames(); ++i) {
                if (ours.channel(c)[i] == sox.channel(c)[i]) continue;
                const double scaled = static_cast<double>(audio.channel(c)[i]) * step;
                ASSERT_NEAR(scaled - std::floor(scaled), 0.5, tieWidth) << bits << " bits, sample " << i;
            }
    }
    std::filesystem::remove_all(dir);
}

TEST(SoundFile, OpusIsWrittenAndReadBack) {
    const auto dir = makeTempDir("opus");
    const auto audio = sine(48000, 1.0, 440.0, -6.0, 2);
    writeFile(dir + "/a.opus", audio.view(), 48000, SampleFormat::Pcm16, FileFormat::Opus);
    SoundFileReader reader(dir + "/a.opus");
    EXPECT_EQ(reader.info().format, FileFormat::Opus);
    EXPECT_EQ(reader.info().channels, 2);
    std::filesystem::remove_all(dir);
}

TEST(SoundFile, ReadsMp3AndExtensibleWavMadeByPeers) {
    if (!haveTool("ffmpeg") || !haveTool("sox")) GTEST_SKIP() << "ffmpeg or sox missing";
    const auto dir = makeTempDir("peers");
    ASSERT_EQ(
        runCommand({"ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=1000:duration=1", "-ac", "2", dir + "/a.mp3"})
            .exitCode,
        0);
    SoundFileReader mp3(dir + "/a.mp3");
    EXPECT_EQ(mp3.info().format, FileFormat::Mp3);
    EXPECT_NEAR(static_cast<double>(mp3.info().frames) / mp3.info().sampleRate, 1.0, 0.1);

    // 5.1, 24-bit: sox writes WAVE_FORMAT_EXTENSIBLE with a channel mask.
    ASSERT_EQ(runCommand({"sox", "-n", "-r", "48000", "-c", "6", "-b", "24", dir + "/six.wav", "synth", "0.5", "sine", "440"}).exitCode, 0);
    SoundFileReader six(dir + "/six.wav");
    EXPECT_EQ(six.info().channels, 6);
    EXPECT_NE(six.info().formatName.find("WAVEX"), std::string::npos) << six.info().formatName;
    ASSERT_EQ(six.info().speakers.size(), 6u);
    EXPECT_EQ(six.info().speakers[3], Speaker::Lfe);
    std::filesystem::remove_all(dir);
}

TEST(SoundFile, ErrorsNameTheFile) {
    const auto dir = makeTempDir("errors");
    const auto expectError = [](const std::string& path, const std::string& words) {
        try {
            SoundFileReader reader(path);
            ADD_FAILURE() << "no error for " << path;
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find(path), std::string::npos) << message;
            EXPECT_NE(message.find(words), std::string::npos) << message;
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        }
    };
    expectError(dir + "/missing.wav", "no such file");
    expectError(dir, "directory");
    {
        FILE* f = std::fopen((dir + "/text.wav").c_str(), "w");
        std::fputs("this is not audio\n", f);
        std::fclose(f);
    }
    expectError(dir + "/text.wav", "not a readable sound file");
    EXPECT_THROW(SoundFileWriter(dir + "/x.flac", {48000, 2, FileFormat::Flac, SampleFormat::Float32}), Error);
    EXPECT_THROW(SoundFileWriter(dir + "/x.wav", {48000, 0, FileFormat::Wav, SampleFormat::Pcm24}), Error);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test

namespace bounce::test {
namespace {

TEST(SoundFile, WavIsPromotedToRf64PastFourGigabytes) {
    // 4.3 GB of audio on disk: only where there is room for it (CI machines vary).
    const auto dir = makeTempDir("rf64");
    const auto space = std::filesystem::space(dir);
    if (space.available < 12ull * 1024 * 1024 * 1024) {
        std::filesystem::remove_all(dir);
        GTEST_SKIP() << "needs 12 GB free for a >4 GiB file";
    }
    const std::string path = dir + "/big.wav";
    constexpr int kChannels = 8;
    const std::uint64_t frames = (4ull << 30) / (kChannels * 8) + 48000;  // just past 4 GiB of float64
    {
        SoundFileWriter writer(path, {48000, kChannels, FileFormat::Wav, SampleFormat::Float64});
        AudioBuffer block(kChannels, 65536);
        for (std::uint64_t done = 0; done < frames; done += block.frames())
            writer.write(ConstAudioView(block.view()).subView(0, std::min<std::uint64_t>(block.frames(), frames - done)));
        writer.close();
    }
    SoundFileReader reader(path);
    EXPECT_EQ(reader.info().format, FileFormat::Rf64) << reader.info().formatName;
    EXPECT_EQ(static_cast<std::uint64_t>(reader.info().frames), frames);
    std::filesystem::remove_all(dir);
}

// The one parse of --bits (issue 17): every command and file agrees, FLAC's included.
TEST(SoundFile, OutputBitsAreParsedOneWay) {
    EXPECT_EQ(outputSampleFormat("16", FileFormat::Wav), SampleFormat::Pcm16);
    EXPECT_EQ(outputSampleFormat("24", FileFormat::Flac), SampleFormat::Pcm24);
    EXPECT_EQ(outputSampleFormat("32f", FileFormat::Wav), SampleFormat::Float32);
    EXPECT_THROW(outputSampleFormat("32f", FileFormat::Flac), ConfigError);
    EXPECT_THROW(outputSampleFormat("20", FileFormat::Wav), ConfigError);
    EXPECT_THROW(outputSampleFormat("", FileFormat::Wav), ConfigError);
    EXPECT_EQ(outputBitsChoices(), (std::vector<std::string>{"16", "24", "32f"}));
}

TEST(SoundFile, SmallWavStaysPlainRiff) {
    const auto dir = makeTempDir("riff");
    writeFile(dir + "/a.wav", sine(48000, 0.1, 1000, -6, 2).view(), 48000, SampleFormat::Pcm24);
    std::ifstream in(dir + "/a.wav", std::ios::binary);
    char magic[4];
    in.read(magic, 4);
    EXPECT_EQ(std::string(magic, 4), "RIFF");
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test
