// The processor contract, checked on every processor type: block-size independence,
// reset determinism, latency, recovery from NaN/inf, and no click on a parameter jump.
#include "bounce/crossover.h"
#include "bounce/dither.h"
#include "bounce/dynamics.h"
#include "bounce/equalizer.h"
#include "bounce/limiter.h"
#include "bounce/saturation.h"
#include "bounce/stereo.h"
#include "bounce/time_effects.h"
#include "inserts.h"
#include "signals.h"
#include "spectrum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <numbers>
#include <limits>

namespace bounce::test {
namespace {

constexpr double kRate = 48000.0;

struct ContractCase {
    std::string name;
    std::string type;
    std::vector<Param> params;
    // Applies a second set of parameters (a jump) to a processor of this type.
    std::function<void(Processor&)> jump;
    bool nonlinear = false;  // skip the impulse-response checks
    // Linear-phase processors delay an impulse's peak, not its onset, by their latency;
    // nonlinear ones are measured with a small impulse where they are nearly linear.
    bool delayAtPeak = false;
    float impulse = 1.0f;
};

void PrintTo(const ContractCase& c, std::ostream* os) { *os << c.name; }

// A short decaying response on disk, for the convolution reverb.
std::string contractImpulsePath() {
    static const std::string path = [] {
        const std::string file = makeTempDir("contract") + "/room.wav";
        auto ir = whiteNoise(48000, 0.3, 0.5, 2, 21);
        for (int c = 0; c < 2; ++c)
            for (std::size_t i = 0; i < ir.frames(); ++i)
                ir.channel(c)[i] *= static_cast<float>(std::exp(-static_cast<double>(i) / 3000.0));
        writeFile(file, ir.view(), 48000, SampleFormat::Float32);
        return file;
    }();
    return path;
}

std::vector<ContractCase> contractCases() {
    return {
        {"highpass",
         "highpass",
         {{"freq_hz", 80.0}, {"slope_db_oct", 24.0}},
         [](Processor& p) {
             EqParams e;
             e.bands[0] = {EqBandType::HighPass, 400, 0, 0.7071, 24, true};
             e.bandCount = 1;
             static_cast<Equalizer&>(p).setParams(e);
         }},
        {"peak",
         "peak",
         {{"freq_hz", 1000.0}, {"gain_db", 6.0}, {"q", 1.0}},
         [](Processor& p) {
             EqParams e;
             e.bands[0] = {EqBandType::Peak, 1000, -12, 1.0, 12, true};
             e.bandCount = 1;
             static_cast<Equalizer&>(p).setParams(e);
         }},
        {"high_shelf",
         "high_shelf",
         {{"freq_hz", 6000.0}, {"gain_db", -4.0}},
         [](Processor& p) {
             EqParams e;
             e.bands[0] = {EqBandType::HighShelf, 3000, 6, 0.7071, 12, true};
             e.bandCount = 1;
             static_cast<Equalizer&>(p).setParams(e);
         }},
        {"lowpass",
         "lowpass",
         {{"freq_hz", 8000.0}, {"slope_db_oct", 12.0}},
         [](Processor& p) {
             EqParams e;
             e.bands[0] = {EqBandType::LowPass, 2000, 0, 0.7071, 12, true};
             e.bandCount = 1;
             static_cast<Equalizer&>(p).setParams(e);
         }},
        {"tilt",
         "tilt",
         {{"gain_db", 2.0}},
         [](Processor& p) {
             EqParams e;
             e.bands[0] = {EqBandType::Tilt, 1000, -4, 0.7071, 12, true};
             e.bandCount = 1;
             static_cast<Equalizer&>(p).setParams(e);
         }},
        {"gain", "gain", {{"gain_db", -6.0}}, [](Processor& p) { static_cast<Gain&>(p).setParams({6.0}); }},
        {"pan",
         "pan",
         {{"pan", -0.5}},
         [](Processor& p) {
             static_cast<Pan&>(p).setParams({0.8, PanLaw::ConstantPower3dB});
         }},
        {"width", "width", {{"width", 1.0}}, [](Processor& p) { static_cast<Width&>(p).setParams({0.0}); }},
        {"polarity",
         "polarity",
         {{"invert", false}},
         [](Processor& p) {
             PolarityParams pp;
             pp.invert.fill(true);
             static_cast<Polarity&>(p).setParams(pp);
         }},
        {"channel_delay",
         "channel_delay",
         {{"left_ms", 0.0}, {"right_ms", 5.0}},
         [](Processor& p) {
             ChannelDelayParams d;
             d.delayMs[0] = 3.0;
             d.delayMs[1] = 0.0;
             static_cast<ChannelDelay&>(p).setParams(d);
         },
         true},
        {"dither", "dither", {{"bits", 16.0}}, nullptr, true},
        {"limiter",
         "limiter",
         {{"ceiling_dbtp", -1.0}},
         [](Processor& p) {
             static_cast<TruePeakLimiter&>(p).setParams({-12.0, 2.0, 100.0});
         }},
        {"compressor",
         "compressor",
         {{"threshold_db", -30.0}, {"ratio", 4.0}, {"lookahead_ms", 1.0}},
         [](Processor& p) {
             CompressorParams c;
             c.thresholdDb = -10;
             c.ratio = 2;
             c.lookaheadMs = 1.0;
             static_cast<Compressor&>(p).setParams(c);
         },
         false,
         false,
         1e-3f},
        {"gate",
         "gate",
         {{"threshold_db", -60.0}},
         [](Processor& p) {
             GateParams g;
             g.thresholdDb = -3.0;
             g.rangeDb = -20.0;
             static_cast<Gate&>(p).setParams(g);
         },
         true},
        {"de_esser",
         "de_esser",
         {{"threshold_db", -30.0}},
         [](Processor& p) {
             DeEsserParams d;
             d.freqHz = 200.0;
             d.thresholdDb = -40.0;
             static_cast<DeEsser&>(p).setParams(d);
         },
         false,
         false,
         1e-3f},
        {"multiband_compressor",
         "multiband_compressor",
         {{"band",
           std::vector<ParamTable>{makeTable({{"up_to_hz", 200.0}, {"threshold_db", -30.0}}),
                                   makeTable({{"up_to_hz", 3000.0}, {"threshold_db", -30.0}}), makeTable({{"threshold_db", -30.0}})}}},
         [](Processor& p) {
             MultibandCompressorParams m;
             m.crossoverHz = {200.0, 3000.0};
             for (auto& b : m.bands) b.thresholdDb = -40;
             static_cast<MultibandCompressor&>(p).setParams(m);
         },
         false,
         false,
         1e-3f},
        {"multiband_compressor_linear_phase",
         "multiband_compressor",
         {{"linear_phase", true},
          {"band",
           std::vector<ParamTable>{makeTable({{"up_to_hz", 200.0}, {"threshold_db", -30.0}}),
                                   makeTable({{"up_to_hz", 3000.0}, {"threshold_db", -30.0}}), makeTable({{"threshold_db", -30.0}})}}},
         [](Processor& p) {
             MultibandCompressorParams m;
             m.crossoverHz = {200.0, 3000.0};
             m.crossover = CrossoverType::LinearPhase;
             for (auto& b : m.bands) b.thresholdDb = -40;
             static_cast<MultibandCompressor&>(p).setParams(m);
         },
         false,
         false,
         1e-3f},
        {"delay",
         "delay",
         {{"time_ms", 120.0}, {"feedback", 0.4}, {"ping_pong", true}},
         [](Processor& p) {
             DelayParams d;
             d.timeMs = 200;
             d.feedback = 0.6;
             d.mix = 0.5;
             static_cast<FeedbackDelay&>(p).setParams(d);
         }},
        {"reverb",
         "reverb",
         {{"decay_s", 1.5}, {"predelay_ms", 5.0}},
         [](Processor& p) {
             ReverbParams r;
             r.decayS = 1.5;
             r.predelayMs = 5.0;
             r.mix = 0.6;
             static_cast<AlgorithmicReverb&>(p).setParams(r);
         }},
        {"linear_phase_eq",
         "linear_phase_eq",
         {{"band", std::vector<ParamTable>{makeTable({{"type", std::string("peak")}, {"freq_hz", 2000.0}, {"gain_db", 4.0}})}}},
         nullptr,
         false,
         true},
        {"convolution_reverb",
         "convolution_reverb",
         {{"impulse", contractImpulsePath()}, {"mix", 0.3}},
         [](Processor& p) {
             ConvolutionReverbParams r;
             r.impulsePath = contractImpulsePath();
             r.mix = 0.8;
             static_cast<ConvolutionReverb&>(p).setParams(r);
         }},
        {"saturation",
         "saturation",
         {{"drive_db", 6.0}, {"style", std::string("tube")}},
         [](Processor& p) {
             SaturationParams s;
             s.type = SaturationType::Tube;
             s.driveDb = 18;
             s.mix = 0.5;
             static_cast<Saturation&>(p).setParams(s);
         },
         false,
         true,
         1e-4f},
    };
}

AudioBuffer render(Processor& p, const AudioBuffer& input, std::size_t block) {
    AudioBuffer out = input;
    for (std::size_t i = 0; i < out.frames(); i += block) p.process(out.view().subView(i, std::min(block, out.frames() - i)));
    return out;
}

bool identical(const AudioBuffer& a, const AudioBuffer& b) {
    for (int c = 0; c < a.channels(); ++c)
        for (std::size_t i = 0; i < a.frames(); ++i)
            if (std::memcmp(&a.channel(c)[i], &b.channel(c)[i], sizeof(float)) != 0) return false;
    return true;
}

class ProcessorContract : public ::testing::TestWithParam<ContractCase> {
protected:
    std::unique_ptr<Processor> make() const {
        auto p = makeProcessor(GetParam().type, GetParam().params, 2);
        p->prepare({kRate, 4096, 2});
        return p;
    }
};

TEST_P(ProcessorContract, BlockSizeDoesNotChangeTheOutput) {
    const auto input = pinkishNoise(kRate, 1.0, -18.0, 2, 1);
    auto reference = make();
    const auto expected = render(*reference, input, 4096);
    for (std::size_t block : {1u, 17u, 512u}) {
        auto p = make();
        EXPECT_TRUE(identical(render(*p, input, block), expected)) << "block " << block;
    }
}

TEST_P(ProcessorContract, ResetThenTheSameInputGivesTheSameBytes) {
    const auto input = pinkishNoise(kRate, 0.5, -18.0, 2, 2);
    auto p = make();
    const auto first = render(*p, input, 512);
    p->reset();
    EXPECT_TRUE(identical(render(*p, input, 512), first));
}

TEST_P(ProcessorContract, LatencyIsTheMeasuredImpulseDelay) {
    if (GetParam().nonlinear) GTEST_SKIP() << "not a linear time-invariant processor";
    auto p = make();
    auto ir = impulseResponse(*p, 2, std::max<std::size_t>(8192, 2 * static_cast<std::size_t>(p->latencyFrames()) + 1024), 4096,
                              GetParam().impulse);
    for (auto& v : ir) v /= GetParam().impulse;
    std::size_t measured = 0;
    if (GetParam().delayAtPeak) {
        for (std::size_t i = 0; i < ir.size(); ++i)
            if (std::fabs(ir[i]) > std::fabs(ir[measured])) measured = i;
    } else {
        while (measured < ir.size() && std::fabs(ir[measured]) < 1e-7) ++measured;
    }
    EXPECT_EQ(static_cast<int>(measured), p->latencyFrames());
}

TEST_P(ProcessorContract, NanAndInfinityDoNotPoisonLaterBlocks) {
    auto poisoned = make();
    auto clean = make();
    AudioBuffer bad(2, 512), zeros(2, 512);
    bad.channel(0)[10] = std::numeric_limits<float>::quiet_NaN();
    bad.channel(1)[20] = std::numeric_limits<float>::infinity();
    poisoned->process(bad.view());
    clean->process(zeros.view());
    const auto input = pinkishNoise(kRate, 1.0, -18.0, 2, 3);
    const auto a = render(*poisoned, input, 512);
    const auto b = render(*clean, input, 512);
    double worst = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = a.frames() / 2; i < a.frames(); ++i) {
            ASSERT_TRUE(std::isfinite(a.channel(c)[i])) << "frame " << i;
            worst = std::max(worst, std::fabs(static_cast<double>(a.channel(c)[i]) - b.channel(c)[i]));
        }
    EXPECT_LT(worst, 1e-3);
}

TEST_P(ProcessorContract, AParameterJumpDoesNotClick) {
    if (!GetParam().jump) GTEST_SKIP() << "no continuous parameter";
    // A 200 Hz sine at -6 dBFS; its largest sample-to-sample step is 2 pi 200/48000 x 0.5.
    const auto input = sine(kRate, 1.0, 200.0, -6.0, 2);
    auto p = make();
    AudioBuffer out = input;
    const std::size_t half = out.frames() / 2;
    p->process(out.view().subView(0, half));
    GetParam().jump(*p);
    p->process(out.view().subView(half, out.frames() - half));
    const double sineStep = 2 * std::numbers::pi * 200.0 / kRate * 0.5;
    double worst = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = half - 100; i < half + 4800; ++i)
            worst = std::max(worst, std::fabs(static_cast<double>(out.channel(c)[i]) - out.channel(c)[i - 1]));
    // The processed sine may be up to 4x louder (+12 dB boosts); a click is a step far above that.
    EXPECT_LT(worst, 4.0 * sineStep) << "largest step " << worst;
}

INSTANTIATE_TEST_SUITE_P(AllProcessors, ProcessorContract, ::testing::ValuesIn(contractCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace bounce::test
