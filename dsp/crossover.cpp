#include "bounce/crossover.h"

#include "bounce/denormals.h"
#include "bounce/kaiser.h"
#include "bounce/simd.h"

#include <algorithm>
#include <complex>
#include <cstring>
#include <numbers>

namespace bounce {
namespace {
constexpr double kButterworthQ = 0.70710678118654752;
}

void Crossover::prepare(int channels, double sampleRate) {
    sampleRate_ = sampleRate;
    channels_ = channels;
    states_.assign(static_cast<std::size_t>(channels), {});
}

void Crossover::reset() noexcept {
    for (auto& s : states_) s.fill(0.0);
}

void Crossover::setFrequencies(const double* frequencies, int count) noexcept {
    splits_ = std::clamp(count, 1, kMaxBands - 1);
    for (int k = 0; k < splits_; ++k) {
        const double f = frequencies[k];
        lowPass_[static_cast<std::size_t>(k)] = designBiquad(FilterType::LowPass, f, kButterworthQ, 0.0, sampleRate_, false);
        highPass_[static_cast<std::size_t>(k)] = designBiquad(FilterType::HighPass, f, kButterworthQ, 0.0, sampleRate_, false);
        allPass_[static_cast<std::size_t>(k)] = designBiquad(FilterType::AllPass, f, kButterworthQ, 0.0, sampleRate_, false);
    }
}

namespace {

#if defined(__GNUC__)
using simd::Double2;
bool finite(Double2 v) noexcept { return std::isfinite(v[0]) && std::isfinite(v[1]); }
#endif
bool finite(double v) noexcept { return std::isfinite(v); }

// Every filter of every split per sample, all states in locals: the splits' recursions do
// not depend on each other, so the CPU overlaps them (filter-by-filter passes over a block
// would each wait on one recursion at a time). T is double for one channel or a 2-lane
// vector for a pair. Section order and arithmetic are those of BiquadCascade (transposed
// direct form II).
template <int Splits, typename T, typename Load, typename Store>
void runSplits(const BiquadCoefficients* lowPass, const BiquadCoefficients* highPass, const BiquadCoefficients* allPass, T* s1, T* s2,
               std::size_t frames, Load load, Store store) noexcept {
    constexpr int kSections = 4 * Splits + Splits * (Splits - 1) / 2;
    T z1[kSections], z2[kSections];
    for (int j = 0; j < kSections; ++j) {
        z1[j] = s1[j];
        z2[j] = s2[j];
    }
    const auto section = [&](const BiquadCoefficients& c, T x, int j) {
        const T y = c.b0 * x + z1[j];
        z1[j] = c.b1 * x - c.a1 * y + z2[j];
        z2[j] = c.b2 * x - c.a2 * y;
        return y;
    };
    for (std::size_t i = 0; i < frames; ++i) {
        T bands[Splits + 1];
        T rest = load(i);
        int j = 0;
        for (int k = 0; k < Splits; ++k) {
            const T low = section(lowPass[k], section(lowPass[k], rest, j), j + 1);
            rest = section(highPass[k], section(highPass[k], rest, j + 2), j + 3);
            j += 4;
            // LP4 + HP4 of split k is its all-pass: the bands below take it too.
            for (int b = 0; b < k; ++b) bands[b] = section(allPass[k], bands[b], j++);
            bands[k] = low;
        }
        bands[Splits] = rest;
        store(i, bands);
    }
    // A NaN or infinity would circulate for ever: start the sections again.
    for (int j = 0; j < kSections; ++j) {
        const bool ok = finite(z1[j]) && finite(z2[j]);
        s1[j] = ok ? z1[j] : T{};
        s2[j] = ok ? z2[j] : T{};
    }
}

template <typename T, typename Load, typename Store>
void runCrossover(int splits, const BiquadCoefficients* lowPass, const BiquadCoefficients* highPass, const BiquadCoefficients* allPass,
                  T* s1, T* s2, std::size_t frames, Load load, Store store) noexcept {
    switch (splits) {
    case 1: runSplits<1>(lowPass, highPass, allPass, s1, s2, frames, load, store); break;
    case 2: runSplits<2>(lowPass, highPass, allPass, s1, s2, frames, load, store); break;
    case 3: runSplits<3>(lowPass, highPass, allPass, s1, s2, frames, load, store); break;
    case 4: runSplits<4>(lowPass, highPass, allPass, s1, s2, frames, load, store); break;
    default: runSplits<Crossover::kMaxBands - 1>(lowPass, highPass, allPass, s1, s2, frames, load, store); break;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define BOUNCE_HAVE_AVX_CROSSOVER 1
using simd::Double4;

// The stereo pair with AVX (chosen at run time): each split's low-pass and high-pass run
// in one 4-lane vector [LP left, LP right, HP left, HP right], both of their sections in
// turn (the second low-pass section takes the first's output, lane for lane, and so does
// the high-pass). Lane for lane it is runSplits' arithmetic in the same order (no FMA), so
// the bytes are the same as the 2-lane path's. States are read from and written back to
// the 2-lane layout, so either path can take over from the other.
template <int Splits>
__attribute__((target("avx"))) void runSplitsAvx(const BiquadCoefficients* lowPass, const BiquadCoefficients* highPass,
                                                 const BiquadCoefficients* allPass, Double2* s1, Double2* s2, std::size_t frames,
                                                 const float* left, const float* right, float* const* bandsLeft,
                                                 float* const* bandsRight) noexcept {
    constexpr int kAllPasses = Splits * (Splits - 1) / 2 > 0 ? Splits * (Splits - 1) / 2 : 1;
    Double4 b0[Splits], b1[Splits], b2[Splits], a1[Splits], a2[Splits];
    Double4 z1First[Splits], z2First[Splits], z1Second[Splits], z2Second[Splits];
    Double2 z1All[kAllPasses], z2All[kAllPasses];
    int j = 0, a = 0;
    for (int k = 0; k < Splits; ++k) {
        const BiquadCoefficients& l = lowPass[k];
        const BiquadCoefficients& h = highPass[k];
        b0[k] = Double4{l.b0, l.b0, h.b0, h.b0};
        b1[k] = Double4{l.b1, l.b1, h.b1, h.b1};
        b2[k] = Double4{l.b2, l.b2, h.b2, h.b2};
        a1[k] = Double4{l.a1, l.a1, h.a1, h.a1};
        a2[k] = Double4{l.a2, l.a2, h.a2, h.a2};
        z1First[k] = Double4{s1[j][0], s1[j][1], s1[j + 2][0], s1[j + 2][1]};
        z2First[k] = Double4{s2[j][0], s2[j][1], s2[j + 2][0], s2[j + 2][1]};
        z1Second[k] = Double4{s1[j + 1][0], s1[j + 1][1], s1[j + 3][0], s1[j + 3][1]};
        z2Second[k] = Double4{s2[j + 1][0], s2[j + 1][1], s2[j + 3][0], s2[j + 3][1]};
        j += 4;
        for (int b = 0; b < k; ++b, ++j, ++a) {
            z1All[a] = s1[j];
            z2All[a] = s2[j];
        }
    }
    for (std::size_t i = 0; i < frames; ++i) {
        Double2 bands[Splits + 1];
        Double2 rest{static_cast<double>(left[i]), static_cast<double>(right[i])};
        a = 0;
        for (int k = 0; k < Splits; ++k) {
            const Double4 x{rest[0], rest[1], rest[0], rest[1]};
            const Double4 y = b0[k] * x + z1First[k];
            z1First[k] = b1[k] * x - a1[k] * y + z2First[k];
            z2First[k] = b2[k] * x - a2[k] * y;
            const Double4 out = b0[k] * y + z1Second[k];
            z1Second[k] = b1[k] * y - a1[k] * out + z2Second[k];
            z2Second[k] = b2[k] * y - a2[k] * out;
            const BiquadCoefficients& c = allPass[k];
            for (int b = 0; b < k; ++b, ++a) {
                const Double2 in = bands[b];
                const Double2 ap = c.b0 * in + z1All[a];
                z1All[a] = c.b1 * in - c.a1 * ap + z2All[a];
                z2All[a] = c.b2 * in - c.a2 * ap;
                bands[b] = ap;
            }
            bands[k] = Double2{out[0], out[1]};
            rest = Double2{out[2], out[3]};
        }
        bands[Splits] = rest;
        for (int b = 0; b <= Splits; ++b) {
            bandsLeft[b][i] = static_cast<float>(bands[b][0]);
            bandsRight[b][i] = static_cast<float>(bands[b][1]);
        }
    }
    j = 0;
    a = 0;
    for (int k = 0; k < Splits; ++k) {
        s1[j] = Double2{z1First[k][0], z1First[k][1]};
        s1[j + 2] = Double2{z1First[k][2], z1First[k][3]};
        s2[j] = Double2{z2First[k][0], z2First[k][1]};
        s2[j + 2] = Double2{z2First[k][2], z2First[k][3]};
        s1[j + 1] = Double2{z1Second[k][0], z1Second[k][1]};
        s1[j + 3] = Double2{z1Second[k][2], z1Second[k][3]};
        s2[j + 1] = Double2{z2Second[k][0], z2Second[k][1]};
        s2[j + 3] = Double2{z2Second[k][2], z2Second[k][3]};
        j += 4;
        for (int b = 0; b < k; ++b, ++j, ++a) {
            s1[j] = z1All[a];
            s2[j] = z2All[a];
        }
    }
    // A NaN or infinity would circulate for ever: start the sections again.
    for (int n = 0; n < j; ++n)
        if (!finite(s1[n]) || !finite(s2[n])) s1[n] = s2[n] = Double2{};
}
#endif

}  // namespace

void Crossover::process(int channel, const float* input, float* const* bands, std::size_t frames) noexcept {
    auto& state = states_[static_cast<std::size_t>(channel)];
    double* s1 = state.data();
    double* s2 = state.data() + kMaxSections;
    const int outputs = splits_ + 1;
    runCrossover(
        splits_, lowPass_.data(), highPass_.data(), allPass_.data(), s1, s2, frames,
        [input](std::size_t i) { return static_cast<double>(input[i]); },
        [bands, outputs](std::size_t i, const double* y) {
            for (int b = 0; b < outputs; ++b) bands[b][i] = static_cast<float>(y[b]);
        });
}

void Crossover::processPair(int firstChannel, const float* left, const float* right, float* const* bandsLeft, float* const* bandsRight,
                            std::size_t frames) noexcept {
#if defined(__GNUC__)
    auto& a = states_[static_cast<std::size_t>(firstChannel)];
    auto& b = states_[static_cast<std::size_t>(firstChannel) + 1];
    Double2 s1[kMaxSections], s2[kMaxSections];
    for (int j = 0; j < kMaxSections; ++j) {
        s1[j] = Double2{a[static_cast<std::size_t>(j)], b[static_cast<std::size_t>(j)]};
        s2[j] = Double2{a[static_cast<std::size_t>(kMaxSections + j)], b[static_cast<std::size_t>(kMaxSections + j)]};
    }
    const int outputs = splits_ + 1;
#if defined(BOUNCE_HAVE_AVX_CROSSOVER)
    const bool wide = wideKernels();
    if (wide && splits_ == 1)
        runSplitsAvx<1>(lowPass_.data(), highPass_.data(), allPass_.data(), s1, s2, frames, left, right, bandsLeft, bandsRight);
    else if (wide && splits_ == 2)
        runSplitsAvx<2>(lowPass_.data(), highPass_.data(), allPass_.data(), s1, s2, frames, left, right, bandsLeft, bandsRight);
    else if (wide && splits_ == 3)
        runSplitsAvx<3>(lowPass_.data(), highPass_.data(), allPass_.data(), s1, s2, frames, left, right, bandsLeft, bandsRight);
    else
#endif
        runCrossover(
            splits_, lowPass_.data(), highPass_.data(), allPass_.data(), s1, s2, frames,
            [left, right](std::size_t i) {
                return Double2{static_cast<double>(left[i]), static_cast<double>(right[i])};
            },
            [bandsLeft, bandsRight, outputs](std::size_t i, const Double2* y) {
                for (int band = 0; band < outputs; ++band) {
                    bandsLeft[band][i] = static_cast<float>(y[band][0]);
                    bandsRight[band][i] = static_cast<float>(y[band][1]);
                }
            });
    for (int j = 0; j < kMaxSections; ++j) {
        a[static_cast<std::size_t>(j)] = s1[j][0];
        b[static_cast<std::size_t>(j)] = s1[j][1];
        a[static_cast<std::size_t>(kMaxSections + j)] = s2[j][0];
        b[static_cast<std::size_t>(kMaxSections + j)] = s2[j][1];
    }
#else
    process(firstChannel, left, bandsLeft, frames);
    process(firstChannel + 1, right, bandsRight, frames);
#endif
}

double Crossover::bandMagnitudeDb(int band, double freqHz) const noexcept {
    double db = 0.0;
    for (int k = 0; k < splits_; ++k) {
        // Two sections each; all-passes have unit magnitude.
        if (band == k) db += 2.0 * lowPass_[static_cast<std::size_t>(k)].magnitudeDb(freqHz, sampleRate_);
        if (band > k) db += 2.0 * highPass_[static_cast<std::size_t>(k)].magnitudeDb(freqHz, sampleRate_);
    }
    return db;
}

double Crossover::sumPhaseDegrees(double freqHz) const noexcept {
    // Unwrapped: each split's second-order all-pass turns from 0 to -360 degrees, through
    // -180 at its frequency; its phase is -2 atan2 of the denominator's (a pole pair's) angle.
    const double w = 2.0 * std::numbers::pi * freqHz / sampleRate_;
    double degrees = 0.0;
    for (int k = 0; k < splits_; ++k) {
        const BiquadCoefficients& c = allPass_[static_cast<std::size_t>(k)];
        // All-pass: numerator = z^-2 conj(denominator(z)), so the phase is -2w - 2 arg D.
        const std::complex<double> z1 = std::polar(1.0, -w), z2 = std::polar(1.0, -2.0 * w);
        const std::complex<double> d = 1.0 + c.a1 * z1 + c.a2 * z2;
        degrees += (-2.0 * w - 2.0 * std::arg(d)) * 180.0 / std::numbers::pi;
    }
    return degrees;
}

void LinearPhaseCrossover::prepare(int channels, double sampleRate, int maxBlockFrames) {
    channels_ = channels;
    sampleRate_ = sampleRate;
    maxBlock_ = maxBlockFrames;
    if (splits_ > 0) setFrequencies(frequencies_.data(), splits_);
}

void LinearPhaseCrossover::reset() noexcept {
    for (auto& perChannel : convolvers_)
        for (auto& c : perChannel) c.reset();
    for (auto& d : direct_) d.reset();
}

void LinearPhaseCrossover::setFrequencies(const double* frequencies, int count) {
    splits_ = std::clamp(count, 1, Crossover::kMaxBands - 1);
    std::copy_n(frequencies, splits_, frequencies_.begin());
    if (channels_ == 0) return;
    // Kaiser's estimate of the length for an 80 dB stop band (beta 7.86) over a transition
    // of width f (from f/2 to 3f/2): (80 - 7.95) / (2.285 * 2 pi f / fs), made odd so that
    // the delay is whole samples.
    const double lowest = std::max(10.0, *std::min_element(frequencies_.begin(), frequencies_.begin() + splits_));
    const int half = static_cast<int>(std::ceil((80.0 - 7.95) / (2.285 * 2.0 * std::numbers::pi * lowest / sampleRate_) / 2.0));
    taps_ = 2 * half + 1;
    constexpr std::size_t kPartition = 512;
    std::vector<std::vector<float>> lowPass(static_cast<std::size_t>(splits_));
    for (int k = 0; k < splits_; ++k) {
        const auto h = kaiserLowPass(taps_, frequencies_[static_cast<std::size_t>(k)] / sampleRate_, 7.86);
        lowPass[static_cast<std::size_t>(k)].assign(h.begin(), h.end());
    }
    convolvers_.clear();
    convolvers_.resize(static_cast<std::size_t>(channels_));
    for (auto& perChannel : convolvers_) {
        for (int k = 0; k < splits_; k += 2) {
            perChannel.emplace_back();
            if (k + 1 < splits_)
                perChannel.back().preparePair(lowPass[static_cast<std::size_t>(k)].data(), lowPass[static_cast<std::size_t>(k + 1)].data(),
                                              static_cast<std::size_t>(taps_), kPartition);
            else
                perChannel.back().prepare(lowPass[static_cast<std::size_t>(k)].data(), static_cast<std::size_t>(taps_), kPartition);
        }
    }
    latency_ = convolvers_.front().front().latencyFrames() + half;
    direct_.assign(static_cast<std::size_t>(channels_), DelayLine{});
    for (auto& d : direct_) d.prepare(static_cast<std::size_t>(latency_));
    lowPassed_.assign(static_cast<std::size_t>(splits_), std::vector<float>(static_cast<std::size_t>(maxBlock_)));
}

void LinearPhaseCrossover::process(int channel, const float* input, float* const* bands, std::size_t frames) noexcept {
    auto& convolvers = convolvers_[static_cast<std::size_t>(channel)];
    for (int k = 0; k < splits_; k += 2) {
        float* a = lowPassed_[static_cast<std::size_t>(k)].data();
        std::copy_n(input, frames, a);
        if (k + 1 < splits_) {
            float* b = lowPassed_[static_cast<std::size_t>(k + 1)].data();
            std::copy_n(input, frames, b);
            convolvers[static_cast<std::size_t>(k / 2)].processPair(a, b, frames);
        } else {
            convolvers[static_cast<std::size_t>(k / 2)].process(a, frames);
        }
    }
    // The top band: the delayed input less the highest low-pass; those below: differences
    // of neighbouring low-passes; the lowest: the first low-pass.
    float* top = bands[splits_];
    std::copy_n(input, frames, top);
    direct_[static_cast<std::size_t>(channel)].process(top, frames);
    for (std::size_t i = 0; i < frames; ++i) top[i] -= lowPassed_[static_cast<std::size_t>(splits_ - 1)][i];
    for (int k = splits_ - 1; k >= 1; --k) {
        const float* upper = lowPassed_[static_cast<std::size_t>(k)].data();
        const float* lower = lowPassed_[static_cast<std::size_t>(k - 1)].data();
        float* band = bands[k];
        for (std::size_t i = 0; i < frames; ++i) band[i] = upper[i] - lower[i];
    }
    std::copy_n(lowPassed_[0].data(), frames, bands[0]);
}

void MultibandCompressor::setParams(const MultibandCompressorParams& params) noexcept {
    const bool splitsChanged = params.bandCount != params_.bandCount || params.crossoverHz != params_.crossoverHz;
    params_ = params;
    params_.bandCount = std::clamp(params.bandCount, 2, Crossover::kMaxBands);
    for (int b = 0; b < Crossover::kMaxBands; ++b) {
        CompressorParams band = params_.bands[static_cast<std::size_t>(b)];
        band.lookaheadMs = params_.bands[0].lookaheadMs;  // bands must stay aligned to sum
        compressors_[static_cast<std::size_t>(b)].setParams(band);
    }
    if (splitsChanged) crossover_.setFrequencies(params_.crossoverHz.data(), params_.bandCount - 1);
}

void MultibandCompressor::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    crossover_.prepare(spec.channels, spec.sampleRate);
    crossover_.setFrequencies(params_.crossoverHz.data(), params_.bandCount - 1);
    linear_ = params_.crossover == CrossoverType::LinearPhase;
    if (linear_) {
        linearPhase_.prepare(spec.channels, spec.sampleRate, spec.maxBlockFrames);
        linearPhase_.setFrequencies(params_.crossoverHz.data(), params_.bandCount - 1);
    }
    setParams(params_);
    for (auto& c : compressors_) c.prepare(spec);
    bandBuffers_.assign(static_cast<std::size_t>(Crossover::kMaxBands),
                        std::vector<std::vector<float>>(static_cast<std::size_t>(spec.channels),
                                                        std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames))));
    reset();
}

void MultibandCompressor::reset() noexcept {
    crossover_.reset();
    linearPhase_.reset();
    for (auto& c : compressors_) c.reset();
}

int MultibandCompressor::latencyFrames() const noexcept {
    return compressors_[0].latencyFrames() + (linear_ ? linearPhase_.latencyFrames() : 0);
}

// One block (at most maxBlockFrames) of `in` into the band buffers, then the bands'
// compressors on them (detectOnly: their detectors only).
void MultibandCompressor::splitAndCompress(ConstAudioView in, std::size_t start, std::size_t frames, bool detectOnly) noexcept {
    const int bands = crossover_.bands();
    const int channels = in.channels();
    std::array<float*, Crossover::kMaxBands> left{}, right{};
    const auto pointTo = [&](std::array<float*, Crossover::kMaxBands>& pointers, int channel) {
        for (int b = 0; b < bands; ++b)
            pointers[static_cast<std::size_t>(b)] = bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(channel)].data();
    };
    int c = 0;
    if (linear_) {
        for (; c < channels; ++c) {
            pointTo(left, c);
            linearPhase_.process(c, in.channel(c) + start, left.data(), frames);
        }
    }
    for (; c + 1 < channels; c += 2) {
        pointTo(left, c);
        pointTo(right, c + 1);
        crossover_.processPair(c, in.channel(c) + start, in.channel(c + 1) + start, left.data(), right.data(), frames);
    }
    for (; c < channels; ++c) {
        pointTo(left, c);
        crossover_.process(c, in.channel(c) + start, left.data(), frames);
    }
    std::array<std::array<float*, 8>, Crossover::kMaxBands> channelPointers{};
    std::array<AudioView, Crossover::kMaxBands> bandViews{};
    std::array<Compressor*, Crossover::kMaxBands> group{};
    bool together = true;
    const int compressed = std::min(channels, 8);  // the compressors' channels (linked: up to 8)
    for (int b = 0; b < bands; ++b) {
        for (int k = 0; k < compressed; ++k)
            channelPointers[static_cast<std::size_t>(b)][static_cast<std::size_t>(k)] =
                bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(k)].data();
        bandViews[static_cast<std::size_t>(b)] = AudioView(channelPointers[static_cast<std::size_t>(b)].data(), compressed, frames);
        group[static_cast<std::size_t>(b)] = &compressors_[static_cast<std::size_t>(b)];
        together = together && compressors_[static_cast<std::size_t>(b)].canProcessLinked();
    }
    // At rest, the bands' compressors run side by side (their recursions overlap).
    if (together) {
        Compressor::processLinkedGroup(group.data(), bandViews.data(), bands, detectOnly);
    } else {
        for (int b = 0; b < bands; ++b) compressors_[static_cast<std::size_t>(b)].process(bandViews[static_cast<std::size_t>(b)]);
    }
}

void MultibandCompressor::measure(ConstAudioView in) noexcept {
    ScopedFlushDenormals flushDenormals;
    for (std::size_t start = 0; start < in.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames))
        splitAndCompress(in, start, std::min(in.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames)), true);
}

void MultibandCompressor::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int bands = crossover_.bands();
    const int channels = io.channels();
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        splitAndCompress(io, start, frames, false);
        for (int c = 0; c < channels; ++c) {
            float* out = io.channel(c) + start;
            std::fill(out, out + frames, 0.0f);
            for (int b = 0; b < bands; ++b) {
                const float* band = bandBuffers_[static_cast<std::size_t>(b)][static_cast<std::size_t>(c)].data();
                for (std::size_t i = 0; i < frames; ++i) out[i] += band[i];
            }
        }
    }
}

}  // namespace bounce
