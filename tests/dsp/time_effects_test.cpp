// Convolution engine, linear-phase EQ, convolution reverb, delay and algorithmic reverb.
#include "bounce/convolver.h"
#include "bounce/delay_line.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/time_effects.h"
#include "signals.h"
#include "spectrum.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <complex>
#include <filesystem>
#include <numbers>
#include <random>
#include <thread>

namespace bounce::test {
namespace {

TEST(DelayLine, DelaysByExactlyItsLengthForAnyBlockSizes) {
    std::vector<float> x(5000);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
    for (std::size_t delay : {0u, 1u, 7u, 480u}) {
        DelayLine line;
        line.prepare(delay);
        auto y = x;
        // Uneven blocks, shorter and longer than the delay.
        for (std::size_t start = 0, block = 1; start < y.size(); start += block, block = block * 7 % 997 + 1)
            line.process(y.data() + start, std::min(block, y.size() - start));
        for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], i < delay ? 0.0f : x[i - delay]) << "delay " << delay << " at " << i;
    }
}

TEST(Convolver, MatchesDirectConvolutionForAnyBlockSize) {
    std::mt19937 rng(5);
    std::normal_distribution<float> gauss(0.0f, 0.3f);
    std::vector<float> ir(3000), x(20000);
    for (auto& v : ir) v = gauss(rng) * 0.05f;
    for (auto& v : x) v = gauss(rng);
    std::vector<double> expected(x.size(), 0.0);
    for (std::size_t n = 0; n < x.size(); ++n)
        for (std::size_t k = 0; k < ir.size() && k <= n; ++k) expected[n] += static_cast<double>(ir[k]) * x[n - k];
    for (std::size_t block : {1u, 17u, 256u, 5000u}) {
        Convolver c;
        c.prepare(ir.data(), ir.size(), 256);
        ASSERT_EQ(c.latencyFrames(), 256);
        auto y = x;
        for (std::size_t i = 0; i < y.size(); i += block) c.process(y.data() + i, std::min(block, y.size() - i));
        double worst = 0;
        for (std::size_t n = 256; n < y.size(); ++n) worst = std::max(worst, std::fabs(y[n] - expected[n - 256]));
        EXPECT_LT(worst, 2e-5) << "block " << block;
    }
}

// Plans are made on many threads at once (the service's jobs, a batch's masters): FFTW's
// planner must be made thread-safe first (makeFftwPlannerThreadSafe). Four threads each
// prepare convolvers of varying sizes and check that a unit impulse through each comes
// out as its impulse response, delayed by its latency.
TEST(Convolver, ConvolversPreparedOnManyThreadsAtOnceAreCorrect) {
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([t, &wrong] {
            for (int round = 0; round < 60; ++round) {
                const std::size_t partition = std::size_t{16} << ((round + t) % 6);
                std::vector<float> ir(partition * 3 + 5);
                for (std::size_t i = 0; i < ir.size(); ++i) ir[i] = std::sin(0.37f * static_cast<float>(i + 1)) / static_cast<float>(i + 1);
                Convolver c;
                c.prepare(ir.data(), ir.size(), partition);
                std::vector<float> x(ir.size() + partition * 2, 0.0f);
                x[0] = 1.0f;
                c.process(x.data(), x.size());
                const auto latency = static_cast<std::size_t>(c.latencyFrames());
                for (std::size_t i = 0; i < ir.size(); ++i)
                    if (std::fabs(x[latency + i] - ir[i]) > 1e-5f) ++wrong;
            }
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST(Convolver, PairMatchesDirectConvolutionOfEachStreamForAnyBlockSize) {
    std::mt19937 rng(9);
    std::normal_distribution<float> gauss(0.0f, 0.3f);
    std::vector<float> irA(3000), irB(3000), a(20000), b(20000);
    for (auto& v : irA) v = gauss(rng) * 0.05f;
    for (auto& v : irB) v = gauss(rng) * 0.05f;
    for (auto& v : a) v = gauss(rng);
    for (auto& v : b) v = gauss(rng);
    const auto direct = [](const std::vector<float>& ir, const std::vector<float>& x) {
        std::vector<double> y(x.size(), 0.0);
        for (std::size_t n = 0; n < x.size(); ++n)
            for (std::size_t k = 0; k < ir.size() && k <= n; ++k) y[n] += static_cast<double>(ir[k]) * x[n - k];
        return y;
    };
    const auto expectedA = direct(irA, a), expectedB = direct(irB, b);
    for (std::size_t block : {1u, 17u, 256u, 5000u}) {
        Convolver c;
        c.preparePair(irA.data(), irB.data(), irA.size(), 256);
        ASSERT_EQ(c.latencyFrames(), 256);
        auto ya = a, yb = b;
        for (std::size_t i = 0; i < ya.size(); i += block) c.processPair(ya.data() + i, yb.data() + i, std::min(block, ya.size() - i));
        double worstA = 0, worstB = 0;
        for (std::size_t n = 256; n < ya.size(); ++n) {
            worstA = std::max(worstA, std::fabs(ya[n] - expectedA[n - 256]));
            worstB = std::max(worstB, std::fabs(yb[n] - expectedB[n - 256]));
        }
        EXPECT_LT(worstA, 2e-5) << "block " << block;
        EXPECT_LT(worstB, 2e-5) << "block " << block;
    }
}

EqParams masteringBands() {
    EqParams p;
    p.bands[0] = {EqBandType::LowShelf, 100, 2.5, 0.7071, 12, true};
    p.bands[1] = {EqBandType::Peak, 1000, -2, 1.0, 12, true};
    p.bands[2] = {EqBandType::HighShelf, 10000, 1.5, 0.7071, 12, true};
    p.bandCount = 3;
    return p;
}

TEST(LinearPhaseEq, FollowsTheTargetAndIsSymmetric) {
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        LinearPhaseEq eq;
        eq.setParams({masteringBands(), 0});
        eq.prepare({rate, 4096, 1});
        const auto& taps = eq.taps();
        const std::size_t centre = (taps.size() - 1) / 2;
        for (std::size_t n = 1; n <= centre; ++n) ASSERT_EQ(taps[centre - n], taps[centre + n]);
        const auto ir = impulseResponse(eq, 1, static_cast<std::size_t>(eq.latencyFrames()) * 2 + 4096);
        std::size_t peak = 0;
        for (std::size_t i = 0; i < ir.size(); ++i)
            if (std::fabs(ir[i]) > std::fabs(ir[peak])) peak = i;
        EXPECT_EQ(static_cast<int>(peak), eq.latencyFrames());
        for (double f = 30; f <= 20000; f *= 1.09) {
            EXPECT_NEAR(eq.magnitudeDb(f), eq.targetMagnitudeDb(f), 0.1) << f << " Hz at " << rate;
            EXPECT_NEAR(responseDb(ir, f, rate), eq.magnitudeDb(f), 0.01) << f << " Hz at " << rate;
        }
    }
}

TEST(MidSideCurveEq, MidAndSideFollowTheirOwnCurves) {
    const double rate = 48000.0;
    MidSideCurveEqParams p;
    p.curveHz = {100.0, 1000.0, 8000.0};
    p.midDb = {-3.0, 0.0, 4.0};
    p.sideDb = {-12.0, 6.0, 6.0};
    MidSideCurveEq eq;
    eq.setParams(p);
    eq.prepare({rate, 1000, 2});
    const auto latency = static_cast<std::size_t>(eq.latencyFrames());
    // A mid impulse (L = R) comes out as mid only, shaped by the mid curve; a side
    // impulse (L = -R) as side only, shaped by the side curve.
    for (bool side : {false, true}) {
        eq.reset();
        AudioBuffer x(2, latency * 2 + 8192);
        x.channel(0)[0] = 1.0f;
        x.channel(1)[0] = side ? -1.0f : 1.0f;
        for (std::size_t i = 0; i < x.frames(); i += 1000) eq.process(x.view().subView(i, std::min<std::size_t>(1000, x.frames() - i)));
        std::vector<double> mid(x.frames()), sideSignal(x.frames());
        for (std::size_t i = 0; i < x.frames(); ++i) {
            mid[i] = 0.5f * (x.channel(0)[i] + x.channel(1)[i]);
            sideSignal[i] = 0.5f * (x.channel(0)[i] - x.channel(1)[i]);
        }
        const auto& wanted = side ? sideSignal : mid;
        const auto& other = side ? mid : sideSignal;
        double leak = 0;
        for (double v : other) leak = std::max(leak, std::fabs(v));
        EXPECT_LT(leak, 1e-6);
        for (double f = 40; f <= 16000; f *= 1.2) {
            const double want = MidSideCurveEq::curveAtDb(p.curveHz, side ? p.sideDb : p.midDb, f);
            EXPECT_NEAR(responseDb(wanted, f, rate), want, 0.15) << f << " Hz " << (side ? "side" : "mid");
        }
        std::size_t peak = 0;
        for (std::size_t i = 0; i < wanted.size(); ++i)
            if (std::fabs(wanted[i]) > std::fabs(wanted[peak])) peak = i;
        EXPECT_EQ(peak, latency);
    }
}

std::string writeImpulse(const std::string& dir, double rate, std::size_t at, float value = 1.0f) {
    AudioBuffer ir(1, at + 64);
    ir.channel(0)[at] = value;
    const std::string path = dir + "/ir" + std::to_string(static_cast<int>(rate)) + ".wav";
    writeFile(path, ir.view(), rate, SampleFormat::Float32);
    return path;
}

TEST(ConvolutionReverb, ADelayedImpulseResponseDelaysTheSignal) {
    const auto dir = makeTempDir("ir");
    ConvolutionReverb reverb;
    reverb.setParams({writeImpulse(dir, 48000, 100), 1.0, 0.0, false, 512});
    reverb.prepare({48000, 1000, 2});
    const auto input = pinkishNoise(48000, 1.0, -20, 2, 4);
    auto out = input;
    reverb.process(out.view());
    const auto delay = static_cast<std::size_t>(reverb.latencyFrames() + 100);
    double worst = 0;
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = delay; i < out.frames(); ++i)
            worst = std::max(worst, std::fabs(static_cast<double>(out.channel(c)[i]) - input.channel(c)[i - delay]));
    EXPECT_LT(20 * std::log10(worst), -110.0);
    std::filesystem::remove_all(dir);
}

TEST(ConvolutionReverb, AResponseAtAnotherRateIsResampled) {
    // 10 ms at 44.1 kHz is 480 frames at 48 kHz.
    const auto dir = makeTempDir("ir-rate");
    ConvolutionReverb reverb;
    reverb.setParams({writeImpulse(dir, 44100, 441), 1.0, 0.0, false, 512});
    reverb.prepare({48000, 4096, 1});
    const auto ir = impulseResponse(reverb, 1, 4096);
    std::size_t peak = 0;
    for (std::size_t i = 0; i < ir.size(); ++i)
        if (std::fabs(ir[i]) > std::fabs(ir[peak])) peak = i;
    EXPECT_EQ(static_cast<int>(peak) - reverb.latencyFrames(), 480);
    std::filesystem::remove_all(dir);
}

TEST(FeedbackDelay, RepeatsAtTheTimeAndFallByTheFeedbackThroughItsFilters) {
    const double rate = 48000;
    DelayParams d;
    d.bpm = 120;
    d.noteBeats = 0.75;  // dotted eighth: 375 ms
    d.feedback = 0.5;
    d.highCutHz = 6000;
    d.lowCutHz = 100;
    d.mix = 1.0;
    FeedbackDelay delay;
    delay.setParams(d);
    delay.prepare({rate, 4096, 1});
    EXPECT_DOUBLE_EQ(noteDelayMs(0.75, 120), 375.0);
    // A 1 kHz burst of 20 ms; each repeat's RMS falls by feedback x |LP(1k)| x |HP(1k)|.
    auto audio = sine(rate, 2.0, 1000.0, -6.0, 1);
    std::fill(audio.channel(0) + static_cast<std::size_t>(0.02 * rate), audio.channel(0) + audio.frames(), 0.0f);
    double burst = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(0.02 * rate); ++i) burst += audio.channel(0)[i] * audio.channel(0)[i];
    burst = std::sqrt(burst);
    delay.process(audio.view());
    const auto rmsAround = [&](double seconds) {
        const auto start = static_cast<std::size_t>(seconds * rate);
        double sum = 0;
        for (std::size_t i = start; i < start + static_cast<std::size_t>(0.02 * rate); ++i)
            sum += audio.channel(0)[i] * audio.channel(0)[i];
        return std::sqrt(sum);
    };
    const double echo1 = rmsAround(0.375), echo2 = rmsAround(0.75), echo3 = rmsAround(1.125);
    EXPECT_NEAR(20 * std::log10(echo1 / burst), 0.0, 0.2);  // the first repeat is the burst itself
    const double lp = std::exp(-2 * std::numbers::pi * 6000 / rate), hp = std::exp(-2 * std::numbers::pi * 100 / rate);
    const std::complex<double> z = std::polar(1.0, -2 * std::numbers::pi * 1000 / rate);
    const double filters = std::abs((1.0 - lp) / (1.0 - lp * z)) * std::abs(hp * (1.0 - z) / (1.0 - hp * z));
    EXPECT_NEAR(20 * std::log10(echo2 / echo1), 20 * std::log10(0.5 * filters), 0.2);
    EXPECT_NEAR(20 * std::log10(echo3 / echo2), 20 * std::log10(0.5 * filters), 0.2);
    EXPECT_LT(rmsAround(0.2), 1e-6);  // silence between
}

TEST(FeedbackDelay, PingPongAlternatesSides) {
    const double rate = 48000;
    DelayParams d;
    d.timeMs = 100;
    d.feedback = 0.5;
    d.pingPong = true;
    d.mix = 1.0;
    FeedbackDelay delay;
    delay.setParams(d);
    delay.prepare({rate, 4096, 2});
    AudioBuffer audio(2, static_cast<std::size_t>(0.5 * rate));
    for (std::size_t i = 0; i < 480; ++i) audio.channel(0)[i] = 0.5f * std::sin(2 * std::numbers::pi * 1000 * i / rate);
    delay.process(audio.view());
    const auto energy = [&](int c, double at) {
        double sum = 0;
        for (std::size_t i = static_cast<std::size_t>(at * rate); i < static_cast<std::size_t>((at + 0.01) * rate); ++i)
            sum += audio.channel(c)[i] * audio.channel(c)[i];
        return sum;
    };
    EXPECT_GT(energy(0, 0.1), 1e-2);
    EXPECT_LT(energy(1, 0.1), 1e-12);
    EXPECT_GT(energy(1, 0.2), 1e-3);
    EXPECT_LT(energy(0, 0.2), 1e-12);
}

// RT60 from an impulse response by Schroeder backward integration, fitting -5 to -35 dB.
double rt60Seconds(const std::vector<double>& ir, double rate) {
    std::vector<double> edc(ir.size());
    double sum = 0;
    for (std::size_t i = ir.size(); i-- > 0;) {
        sum += ir[i] * ir[i];
        edc[i] = sum;
    }
    std::size_t t5 = 0, t35 = 0;
    for (std::size_t i = 0; i < edc.size(); ++i) {
        const double db = 10 * std::log10(edc[i] / edc[0]);
        if (!t5 && db <= -5) t5 = i;
        if (!t35 && db <= -35) {
            t35 = i;
            break;
        }
    }
    return 2.0 * static_cast<double>(t35 - t5) / rate;  // 30 dB of decay, doubled
}

TEST(AlgorithmicReverb, DecaysInTheSetTime) {
    const double rate = 48000;
    for (double decay : {0.8, 2.5}) {
        ReverbParams r;
        r.decayS = decay;
        r.highDecayRatio = 1.0;
        r.lowDecayRatio = 1.0;
        r.predelayMs = 0;
        r.mix = 1.0;
        AlgorithmicReverb reverb;
        reverb.setParams(r);
        reverb.prepare({rate, 4096, 2});
        const auto ir = impulseResponse(reverb, 2, static_cast<std::size_t>(decay * 1.5 * rate));
        EXPECT_NEAR(rt60Seconds(ir, rate), decay, 0.1 * decay) << decay;
    }
}

TEST(AlgorithmicReverb, HighsDieFasterWithDampingAndWidthZeroIsMono) {
    const double rate = 48000;
    ReverbParams r;
    r.decayS = 2.0;
    r.highDecayRatio = 0.3;
    r.dampingHz = 4000;
    r.mix = 1.0;
    r.width = 0.0;
    AlgorithmicReverb reverb;
    reverb.setParams(r);
    reverb.prepare({rate, 4096, 2});
    AudioBuffer audio(2, static_cast<std::size_t>(3 * rate));
    audio.channel(0)[0] = 1.0f;
    reverb.process(audio.view());
    for (std::size_t i = 0; i < audio.frames(); ++i) ASSERT_EQ(audio.channel(0)[i], audio.channel(1)[i]);
    // Late (1 s) over early (0.1 s) energy, above 8 kHz versus below 1 kHz.
    std::vector<double> ir(audio.channel(0), audio.channel(0) + audio.frames());
    const auto bandEnergy = [&](double from, double lowHz, double highHz) {
        std::vector<double> window(ir.begin() + static_cast<long>(from * rate), ir.begin() + static_cast<long>((from + 0.1) * rate));
        MagnitudeSpectrum s(window, rate);
        return s.bandPower(lowHz, highHz);
    };
    const double highFall = bandEnergy(1.0, 8000, 16000) / bandEnergy(0.1, 8000, 16000);
    const double lowFall = bandEnergy(1.0, 200, 1000) / bandEnergy(0.1, 200, 1000);
    EXPECT_LT(highFall, lowFall / 100);  // at least 20 dB more loss up top over 0.9 s
}

}  // namespace
}  // namespace bounce::test
