// The one output writer: the target appears only when closed (not at all when written into
// another's output), rate conversion keeps the length, the dither follows the policy, and
// what is measured is what is in the file (read back and measured by libebur128).
#include "bounce/output_writer.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace bounce::test {
namespace {
namespace fs = std::filesystem;

double peakOf(const AudioBuffer& b) {
    double peak = 0;
    for (int c = 0; c < b.channels(); ++c)
        for (std::size_t i = 0; i < b.frames(); ++i) peak = std::max(peak, std::fabs(static_cast<double>(b.channel(c)[i])));
    return peak;
}

TEST(OutputWriter, TheTargetAppearsWholeWhenClosed) {
    const auto dir = makeTempDir("writer");
    OutputSpec spec;
    spec.path = dir + "/out.wav";
    spec.inputRate = 48000.0;
    OutputWriter writer(spec);
    const auto tone = sine(48000.0, 0.5, 1000.0, -6.0);
    writer.write(tone.view());
    EXPECT_FALSE(fs::exists(spec.path));
    EXPECT_EQ(writer.close().path, spec.path);
    EXPECT_EQ(readWholeFile(spec.path).frames(), tone.frames());
    fs::remove_all(dir);
}

TEST(OutputWriter, IntoAnotherOutputLeavesTheCommitToItsOwner) {
    const auto dir = makeTempDir("writer-into");
    AtomicOutputFile owner(dir + "/out.wav");
    OutputSpec spec;
    spec.into = &owner;
    spec.path = owner.targetPath();
    OutputWriter writer(spec);
    writer.write(sine(48000.0, 0.1, 1000.0, -6.0).view());
    writer.close();
    EXPECT_FALSE(fs::exists(owner.targetPath()));
    EXPECT_TRUE(fs::exists(owner.tempPath()));
    owner.commit();
    EXPECT_TRUE(fs::exists(owner.targetPath()));
    fs::remove_all(dir);
}

TEST(OutputWriter, RateConversionKeepsTheDuration) {
    const auto dir = makeTempDir("writer-rate");
    OutputSpec spec;
    spec.path = dir + "/out.wav";
    spec.inputRate = 48000.0;
    spec.outputRate = 44100.0;
    OutputWriter writer(spec);
    const auto tone = sine(48000.0, 1.0, 1000.0, -6.0);
    for (std::size_t i = 0; i < tone.frames(); i += 1000)
        writer.write(ConstAudioView(tone.view()).subView(i, std::min<std::size_t>(1000, tone.frames() - i)));
    writer.close();
    double rate = 0;
    const auto out = readWholeFile(spec.path, &rate);
    EXPECT_EQ(rate, 44100.0);
    EXPECT_EQ(out.frames(), 44100u);
    fs::remove_all(dir);
}

// 16 bits are dithered (silence becomes noise of about an LSB); 24 bits are not, in every
// command (one policy, issue 20): silence stays digital silence.
TEST(OutputWriter, DitherFollowsThePolicy) {
    const auto dir = makeTempDir("writer-dither");
    const AudioBuffer silence(2, 48000);
    const auto render = [&](SampleFormat format) {
        OutputSpec spec;
        spec.path = dir + "/out.wav";
        spec.sampleFormat = format;
        OutputWriter writer(spec);
        writer.write(silence.view());
        writer.close();
        return peakOf(readWholeFile(spec.path));
    };
    EXPECT_GT(render(SampleFormat::Pcm16), 0.5 / 32768.0);
    EXPECT_LT(render(SampleFormat::Pcm16), 3.0 / 32768.0);
    EXPECT_EQ(render(SampleFormat::Pcm24), 0.0);
    fs::remove_all(dir);
}

TEST(OutputWriter, TheMeasurementIsOfWhatIsInTheFile) {
    const auto dir = makeTempDir("writer-measure");
    OutputSpec spec;
    spec.path = dir + "/out.wav";
    spec.inputRate = 48000.0;
    spec.outputRate = 44100.0;
    spec.sampleFormat = SampleFormat::Pcm16;
    OutputWriter writer(spec, std::make_unique<ProgramAnalyzer>(44100.0, 2));
    writer.write(pinkishNoise(48000.0, 5.0, -20.0, 2, 7).view());
    const AnalysisResult measured = writer.close();
    ASSERT_TRUE(measured.integratedLufs);
    double rate = 0;
    const auto written = readWholeFile(spec.path, &rate);
    const auto peer = measureWithLibebur128(written.view(), rate);
    ASSERT_TRUE(peer.integratedLufs);
    EXPECT_NEAR(*measured.integratedLufs, *peer.integratedLufs, 0.05);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace bounce::test
