#include "bounce/dynamics.h"

#include "bounce/denormals.h"
#include "bounce/oversampler.h"
#include "ring.h"
#include "bounce/fast_math.h"
#include "bounce/simd.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bounce {
namespace {

constexpr double kRampMs = 20.0;
constexpr double kFloorDb = -200.0;
constexpr double kPeakEnvelopeReleaseMs = 10.0;

inline double levelDb(double linear) noexcept { return linear > 1e-10 ? fast::gainToDb(linear) : kFloorDb; }

}  // namespace

double GainReductionSmoother::coefficient(double ms, double sampleRate) noexcept {
    return ms <= 0.0 ? 0.0 : std::exp(-1.0 / (ms * 0.001 * sampleRate));
}

double compressorCurveDb(double levelDb, double thresholdDb, double ratio, double kneeDb) noexcept {
    const double over = levelDb - thresholdDb;
    const double slope = 1.0 / ratio - 1.0;
    if (2.0 * over < -kneeDb) return 0.0;
    if (kneeDb > 0.0 && 2.0 * std::fabs(over) <= kneeDb) {
        const double x = over + kneeDb / 2.0;
        return slope * x * x / (2.0 * kneeDb);
    }
    return slope * over;
}

// ---------------------------------------------------------------- Compressor

void Compressor::setParams(const CompressorParams& params) noexcept {
    params_ = params;
    threshold_.setTarget(std::clamp(params.thresholdDb, -80.0, 0.0));
    ratio_.setTarget(std::clamp(params.ratio, 1.0, 100.0));
    knee_.setTarget(std::clamp(params.kneeDb, 0.0, 24.0));
    makeup_.setTarget(std::clamp(params.makeupDb, -24.0, 24.0));
    for (auto& s : smoothers_) {
        s.attack = GainReductionSmoother::coefficient(std::clamp(params.attackMs, 0.01, 500.0), spec_.sampleRate);
        s.release = GainReductionSmoother::coefficient(std::clamp(params.releaseMs, 1.0, 5000.0), spec_.sampleRate);
    }
    rmsCoefficient_ = GainReductionSmoother::coefficient(std::clamp(params.rmsMs, 0.1, 1000.0), spec_.sampleRate);
    if (params.sidechainHighpassHz > 0.0) {
        const auto hp = designBiquad(FilterType::HighPass, params.sidechainHighpassHz, 0.7071, 0.0, spec_.sampleRate, false);
        sidechainFilter_.setSections(&hp, 1);
    } else {
        sidechainFilter_.setSections(nullptr, 0);
    }
}

void Compressor::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    for (auto* s : {&threshold_, &ratio_, &knee_, &makeup_}) s->prepare(spec.sampleRate, kRampMs);
    smoothers_.assign(static_cast<std::size_t>(spec.channels), {});
    sidechainFilter_.prepare(spec.channels);
    setParams(params_);
    threshold_.setCurrentAndTarget(std::clamp(params_.thresholdDb, -80.0, 0.0));
    ratio_.setCurrentAndTarget(std::clamp(params_.ratio, 1.0, 100.0));
    knee_.setCurrentAndTarget(std::clamp(params_.kneeDb, 0.0, 24.0));
    makeup_.setCurrentAndTarget(std::clamp(params_.makeupDb, -24.0, 24.0));
    lookahead_ = static_cast<int>(std::lround(std::clamp(params_.lookaheadMs, 0.0, 20.0) * 0.001 * spec.sampleRate));
    keys_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames)));
    delay_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(lookahead_) + 1));
    meanSquare_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    levels_.assign(static_cast<std::size_t>(spec.channels), kFloorDb);
    work_.assign(256 + 8, 0.0f);  // 8 spare floats: the last SIMD group may be short
    level_.assign(256 + 8, 0.0f);
    reset();
}

void Compressor::reset() noexcept {
    for (auto& s : smoothers_) s.state = 0.0;
    std::fill(meanSquare_.begin(), meanSquare_.end(), 0.0);
    sidechainFilter_.reset();
    for (auto& line : delay_) std::fill(line.begin(), line.end(), 0.0f);
    delayWrite_ = 0;
    maxReductionDb_ = sumReductionDb_ = recentMaxReductionDb_ = 0.0;
    loudestLevel_ = 0.0;
    frames_ = 0;
}

double Compressor::maxDetectorLevelDb() const noexcept {
    if (!(loudestLevel_ > 0.0)) return -std::numeric_limits<double>::infinity();
    return params_.detector == DetectorMode::Rms ? 10.0 * std::log10(loudestLevel_) : 20.0 * std::log10(loudestLevel_);
}

// The detector's input (the signal or the external key) from `start`, made finite and
// high-passed, into keys_.
void Compressor::filterKeys(ConstAudioView source, std::size_t start, std::size_t frames) noexcept {
    for (int c = 0; c < source.channels(); ++c) {
        float* k = keys_[static_cast<std::size_t>(c)].data();
        const float* x = source.channel(c) + start;
        for (std::size_t i = 0; i < frames; ++i) k[i] = std::isfinite(x[i]) ? x[i] : 0.0f;
        sidechainFilter_.process(k, frames, c);
    }
}

void Compressor::process(AudioView io, ConstAudioView key) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const bool external = key.channels() == channels && key.frames() >= io.frames();
    const bool rms = params_.detector == DetectorMode::Rms;
    const double link = std::clamp(params_.stereoLink, 0.0, 1.0);
    const bool linked = link >= 1.0;
    const std::size_t ringSize = static_cast<std::size_t>(lookahead_) + 1;
    if (!external && canProcessLinked()) {
        processLinked(io);
        return;
    }
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        filterKeys(external ? key : ConstAudioView(io), start, frames);
        for (std::size_t i = 0; i < frames; ++i) {
            const double threshold = threshold_.next(), ratio = ratio_.next(), knee = knee_.next(), makeup = makeup_.next();
            // Below the knee the curve is flat: no logarithm needed there.
            if (threshold != quietThresholdDb_ || knee != quietKneeDb_) {
                quietThresholdDb_ = threshold;
                quietKneeDb_ = knee;
                quietBelow_ = dbToGain(threshold - knee / 2.0);
            }
            const double quietBelow = quietBelow_;
            double loudest = 0.0;  // linear: peak, or mean square for RMS
            for (int c = 0; c < channels; ++c) {
                const double x = keys_[static_cast<std::size_t>(c)][i];
                double level;
                if (rms) {
                    double& ms = meanSquare_[static_cast<std::size_t>(c)];
                    ms = rmsCoefficient_ * ms + (1.0 - rmsCoefficient_) * x * x;
                    level = ms;
                } else {
                    level = std::fabs(x);
                }
                levels_[static_cast<std::size_t>(c)] = level;
                loudest = std::max(loudest, level);
            }
            loudestLevel_ = std::max(loudestLevel_, loudest);
            const auto toDb = [&](double level) { return rms ? 0.5 * levelDb(level) : levelDb(level); };
            const auto targetFor = [&](double level) {
                const double threshold2 = rms ? quietBelow * quietBelow : quietBelow;
                return level < threshold2 ? 0.0 : -compressorCurveDb(toDb(level), threshold, ratio, knee);
            };
            const std::size_t readPosition = ringNext(delayWrite_, ringSize);
            double frameReduction = 0.0;
            if (linked) {
                // One detector, one smoother, one gain for every channel.
                const double reduction = smoothers_[0].next(targetFor(loudest));
                const auto gain = static_cast<float>(fast::dbToGain(makeup - reduction));
                for (int c = 0; c < channels; ++c) {
                    auto& line = delay_[static_cast<std::size_t>(c)];
                    float& sample = io.channel(c)[start + i];
                    line[delayWrite_] = std::isfinite(sample) ? sample : 0.0f;
                    sample = line[readPosition] * gain;
                }
                frameReduction = reduction;
            } else {
                const double loudestDb = toDb(loudest);
                for (int c = 0; c < channels; ++c) {
                    const double level = link * loudestDb + (1.0 - link) * toDb(levels_[static_cast<std::size_t>(c)]);
                    const double reduction =
                        smoothers_[static_cast<std::size_t>(c)].next(-compressorCurveDb(level, threshold, ratio, knee));
                    frameReduction = std::max(frameReduction, reduction);
                    auto& line = delay_[static_cast<std::size_t>(c)];
                    float& sample = io.channel(c)[start + i];
                    line[delayWrite_] = std::isfinite(sample) ? sample : 0.0f;
                    sample = static_cast<float>(line[readPosition] * fast::dbToGain(makeup - reduction));
                }
            }
            delayWrite_ = readPosition;
            maxReductionDb_ = std::max(maxReductionDb_, frameReduction);
            recentMaxReductionDb_ = std::max(recentMaxReductionDb_, frameReduction);
            sumReductionDb_ += frameReduction;
            ++frames_;
        }
    }
}

namespace {

// The gain smoothers of N compressors, frame by frame: work[g] holds targets (dB of
// reduction) in, log2 gains out. N is a template parameter so that the states stay in
// registers (a runtime-indexed array would put a store and a load into every recursion).
template <int N>
void smoothGroup(float* const* work, std::size_t frames, const double* attack, const double* release, const double* makeup,
                 double* stateOut, double* maxOut, double* sumOut) noexcept {
    double state[N], maxReduction[N], sumReduction[N], a[N], r[N], m[N];
    for (int g = 0; g < N; ++g) {
        state[g] = stateOut[g];
        maxReduction[g] = maxOut[g];
        sumReduction[g] = sumOut[g];
        a[g] = attack[g];
        r[g] = release[g];
        m[g] = makeup[g];
    }
    for (std::size_t i = 0; i < frames; ++i) {
        for (int g = 0; g < N; ++g) {
            const double target = work[g][i];
            const double k = target > state[g] ? a[g] : r[g];
            state[g] = k * state[g] + (1.0 - k) * target;
            maxReduction[g] = std::max(maxReduction[g], state[g]);
            sumReduction[g] += state[g];
            work[g][i] = static_cast<float>((m[g] - state[g]) * 0.16609640474436813);  // dB -> log2
        }
    }
    for (int g = 0; g < N; ++g) {
        stateOut[g] = state[g];
        maxOut[g] = maxReduction[g];
        sumOut[g] = sumReduction[g];
    }
}

#if defined(__GNUC__)
// The same two recursions two lanes at a time (SSE2 through GCC's vector extension): lane
// for lane the scalar code's arithmetic in the same order, so the bytes are the same.
using simd::Double2;
using simd::Mask2;

using simd::select;

// Stereo RMS detectors of N compressors: left and right of one compressor in one vector.
template <int N>
void rmsGroupStereo(const AudioView* ios, std::size_t start, std::size_t frames, const bool* rms, const double* coefficient,
                    double (*meanSquare)[8], float* const* level) noexcept {
    Double2 ms[N], a[N], b[N];
    const float* left[N];
    const float* right[N];
    for (int g = 0; g < N; ++g) {
        ms[g] = Double2{meanSquare[g][0], meanSquare[g][1]};
        a[g] = Double2{coefficient[g], coefficient[g]};
        b[g] = Double2{1.0 - coefficient[g], 1.0 - coefficient[g]};
        left[g] = ios[g].channel(0) + start;
        right[g] = ios[g].channel(1) + start;
    }
    for (std::size_t i = 0; i < frames; ++i) {
        for (int g = 0; g < N; ++g) {
            Double2 x{static_cast<double>(left[g][i]), static_cast<double>(right[g][i])};
            x = select((x - x) == Double2{}, x, Double2{});  // x - x is NaN for NaN and infinity
            ms[g] = a[g] * ms[g] + b[g] * x * x;
            level[g][i] = static_cast<float>(std::max(std::max(0.0, ms[g][0]), ms[g][1]));
        }
    }
    for (int g = 0; g < N; ++g)
        if (rms[g]) {
            meanSquare[g][0] = ms[g][0];
            meanSquare[g][1] = ms[g][1];
        }
}

// Gain smoothers of N compressors, two per vector (an odd last one runs beside a dummy).
template <int N>
void smoothGroupPairs(float* const* work, std::size_t frames, const double* attack, const double* release, const double* makeup,
                      double* stateOut, double* maxOut, double* sumOut) noexcept {
    constexpr int kPairs = (N + 1) / 2;
    Double2 state[kPairs], maxReduction[kPairs], sumReduction[kPairs], a[kPairs], r[kPairs], m[kPairs];
    const auto lane = [](const double* v, int g) { return g < N ? v[g] : 0.0; };
    float dummy[1] = {0.0f};
    float* out[2 * kPairs];
    for (int g = 0; g < 2 * kPairs; ++g) out[g] = g < N ? work[g] : dummy;
    for (int p = 0; p < kPairs; ++p) {
        state[p] = Double2{lane(stateOut, 2 * p), lane(stateOut, 2 * p + 1)};
        maxReduction[p] = Double2{lane(maxOut, 2 * p), lane(maxOut, 2 * p + 1)};
        sumReduction[p] = Double2{lane(sumOut, 2 * p), lane(sumOut, 2 * p + 1)};
        a[p] = Double2{lane(attack, 2 * p), lane(attack, 2 * p + 1)};
        r[p] = Double2{lane(release, 2 * p), lane(release, 2 * p + 1)};
        m[p] = Double2{lane(makeup, 2 * p), lane(makeup, 2 * p + 1)};
    }
    const Double2 one{1.0, 1.0}, toLog2{0.16609640474436813, 0.16609640474436813};
    for (std::size_t i = 0; i < frames; ++i) {
        for (int p = 0; p < kPairs; ++p) {
            const bool odd = 2 * p + 1 >= N;
            const Double2 target{static_cast<double>(out[2 * p][i]), odd ? 0.0 : static_cast<double>(out[2 * p + 1][i])};
            const Double2 k = select(target > state[p], a[p], r[p]);
            state[p] = k * state[p] + (one - k) * target;
            maxReduction[p] = select(maxReduction[p] < state[p], state[p], maxReduction[p]);  // std::max
            sumReduction[p] += state[p];
            const Double2 gain = (m[p] - state[p]) * toLog2;  // dB -> log2
            out[2 * p][i] = static_cast<float>(gain[0]);
            if (!odd) out[2 * p + 1][i] = static_cast<float>(gain[1]);
        }
    }
    for (int g = 0; g < N; ++g) {
        stateOut[g] = state[g / 2][g % 2];
        maxOut[g] = maxReduction[g / 2][g % 2];
        sumOut[g] = sumReduction[g / 2][g % 2];
    }
}
#endif

#if defined(__GNUC__)
// linkedTargets' and applyLinkedGains' loops, W frames at a time: 4 (SSE2) or 8 (AVX2,
// chosen at run time), one body, so the same bits. The last group may be short: it runs
// through the same lanes (padded), so a frame's result never depends on where a block
// boundary fell; work_ and level_ have spare floats for its stores.
template <int W>
BOUNCE_KERNEL void linkedTargetsBody(AudioView io, std::size_t start, std::size_t frames, bool rms, const float* level, float* work,
                                     float quietBelow, float threshold, float slope, float halfKnee, float inverseTwiceKnee) noexcept {
    using F = typename simd::FloatLanes<W>::F;
    using I = typename simd::FloatLanes<W>::I;
    // For RMS the level is a mean square: 10 log10 (and the quiet bound squared by the caller).
    const F dbPerOctave = simd::splat<F>(rms ? 3.0103f : 6.0205999f);
    for (std::size_t i = 0; i < frames; i += W) {
        const std::size_t lanes = std::min<std::size_t>(W, frames - i);
        F peak{};
        if (rms) {
            peak = simd::load<F>(level + i);
        } else {
            for (int c = 0; c < io.channels(); ++c) {
                F raw;
                if (lanes == W) {
                    raw = simd::load<F>(io.channel(c) + start + i);
                } else {
                    float padded[W] = {};
                    std::copy_n(io.channel(c) + start + i, lanes, padded);
                    raw = simd::load<F>(padded);
                }
                const F x = (F)((I)raw & 0x7fffffff);
                // NaN lanes: max keeps `peak`; infinite lanes are masked out.
                peak = simd::maxps(simd::select(x < HUGE_VALF, x, F{}), peak);
            }
        }
        const F over = dbPerOctave * fast::log2v(peak) - threshold;
        const F hard = slope * over;
        const F shifted = over + halfKnee;
        const F soft = slope * (shifted * shifted) * inverseTwiceKnee;
        // Gain change: 0 below the knee, soft inside it, hard above (eq. 4).
        const I aboveKnee = over > halfKnee;
        const I inKnee = ~aboveKnee & (over >= F{} - halfKnee);
        F change = (F)((aboveKnee & (I)hard) | (inKnee & (I)soft));
        change = simd::select(peak < quietBelow, F{}, change);
        simd::store(work + i, F{} - change);
    }
}

template <int W>
BOUNCE_KERNEL void linkedGainsBody(AudioView io, std::size_t start, std::size_t frames, float* work) noexcept {
    using F = typename simd::FloatLanes<W>::F;
    using I = typename simd::FloatLanes<W>::I;
    for (std::size_t i = 0; i < frames; i += W) simd::store(work + i, fast::exp2v(simd::load<F>(work + i)));
    // Non-finite samples become silence (|x| < infinity is false for NaN and infinity).
    for (int c = 0; c < io.channels(); ++c) {
        float* x = io.channel(c) + start;
        std::size_t k = 0;
        for (; k + W <= frames; k += W) {
            const F v = simd::load<F>(x + k);
            const I finite = (F)((I)v & 0x7fffffff) < HUGE_VALF;
            simd::store(x + k, simd::select(finite, v * simd::load<F>(work + k), F{}));
        }
        for (; k < frames; ++k) x[k] = std::isfinite(x[k]) ? x[k] * work[k] : 0.0f;
    }
}

void linkedTargets4(AudioView io, std::size_t start, std::size_t frames, bool rms, const float* level, float* work, float quietBelow,
                    float threshold, float slope, float halfKnee, float inverseTwiceKnee) noexcept {
    linkedTargetsBody<4>(io, start, frames, rms, level, work, quietBelow, threshold, slope, halfKnee, inverseTwiceKnee);
}
BOUNCE_WIDE_AVX2 void linkedTargets8(AudioView io, std::size_t start, std::size_t frames, bool rms, const float* level, float* work,
                                     float quietBelow, float threshold, float slope, float halfKnee, float inverseTwiceKnee) noexcept {
    linkedTargetsBody<8>(io, start, frames, rms, level, work, quietBelow, threshold, slope, halfKnee, inverseTwiceKnee);
}
void linkedGains4(AudioView io, std::size_t start, std::size_t frames, float* work) noexcept {
    linkedGainsBody<4>(io, start, frames, work);
}
BOUNCE_WIDE_AVX2 void linkedGains8(AudioView io, std::size_t start, std::size_t frames, float* work) noexcept {
    linkedGainsBody<8>(io, start, frames, work);
}
#endif

// The RMS detectors of a linked group: level[g][i] = the louder channel's mean square.
void rmsLevels(const AudioView* ios, std::size_t start, std::size_t frames, int count, int channels, const bool* rms,
               const double* rmsCoefficient, double (*meanSquare)[8], float* const* level) noexcept {
#if defined(__GNUC__)
    if (channels == 2 && count == 3) return rmsGroupStereo<3>(ios, start, frames, rms, rmsCoefficient, meanSquare, level);
    if (channels == 2 && count == 2) return rmsGroupStereo<2>(ios, start, frames, rms, rmsCoefficient, meanSquare, level);
#endif
    // Any other shape, plainly: the states go through memory.
    for (std::size_t i = 0; i < frames; ++i) {
        for (int g = 0; g < count; ++g) {
            if (!rms[g]) continue;
            double loudest = 0.0;
            for (int ch = 0; ch < channels; ++ch) {
                const float v = ios[g].channel(ch)[start + i];
                const double x = std::isfinite(v) ? v : 0.0;
                double& ms = meanSquare[g][ch];
                ms = rmsCoefficient[g] * ms + (1.0 - rmsCoefficient[g]) * x * x;
                loudest = std::max(loudest, ms);
            }
            level[g][i] = static_cast<float>(loudest);
        }
    }
}

// The gain smoothers of a linked group, side by side: in pairs of vector lanes where the
// vector extension is there, one by one otherwise.
template <int N>
void smoothGroupOf(float* const* work, std::size_t frames, const double* attack, const double* release, const double* makeup, double* state,
                   double* maxReduction, double* sumReduction) noexcept {
#if defined(__GNUC__)
    if constexpr (N > 1) return smoothGroupPairs<N>(work, frames, attack, release, makeup, state, maxReduction, sumReduction);
#endif
    smoothGroup<N>(work, frames, attack, release, makeup, state, maxReduction, sumReduction);
}

void smoothLinkedGroup(int count, float* const* work, std::size_t frames, const double* attack, const double* release, const double* makeup,
                       double* state, double* maxReduction, double* sumReduction) noexcept {
    using Smooth = void (*)(float* const*, std::size_t, const double*, const double*, const double*, double*, double*, double*) noexcept;
    static constexpr Smooth kByCount[] = {smoothGroupOf<1>, smoothGroupOf<2>, smoothGroupOf<3>, smoothGroupOf<4>,
                                          smoothGroupOf<5>, smoothGroupOf<6>, smoothGroupOf<7>, smoothGroupOf<8>};
    kByCount[std::clamp(count, 1, 8) - 1](work, frames, attack, release, makeup, state, maxReduction, sumReduction);
}

}  // namespace

bool Compressor::canProcessLinked() const noexcept {
    const bool steady = !threshold_.isSmoothing() && !ratio_.isSmoothing() && !knee_.isSmoothing() && !makeup_.isSmoothing();
    return steady && std::clamp(params_.stereoLink, 0.0, 1.0) >= 1.0 && lookahead_ == 0 && sidechainFilter_.sections() == 0;
}

void Compressor::processLinked(AudioView io) noexcept {
    Compressor* self = this;
    processLinkedGroup(&self, &io, 1);
}

// The common case, made tight: linked detection (peak or RMS) on the signal itself, no
// lookahead, parameters at rest. Several compressors (a multiband's bands) run side by
// side: their recursions (RMS detector, gain smoother) are independent, so running them in
// one loop lets the CPU overlap them, where one compressor at a time waits on each.
void Compressor::processLinkedGroup(Compressor* const* group, const AudioView* ios, int count, bool detectOnly) noexcept {
    constexpr int kMaxGroup = 8;
    count = std::min(count, kMaxGroup);
    if (count <= 0) return;
    const int channels = std::min(ios[0].channels(), kMaxGroup);
    const std::size_t total = ios[0].frames();
    bool rms[kMaxGroup], anyRms = false;
    double threshold[kMaxGroup], ratio[kMaxGroup], knee[kMaxGroup], makeup[kMaxGroup], quietBelow[kMaxGroup];
    double rmsCoefficient[kMaxGroup], attack[kMaxGroup], release[kMaxGroup], state[kMaxGroup];
    double meanSquare[kMaxGroup][kMaxGroup];
    double maxReduction[kMaxGroup], sumReduction[kMaxGroup];
    for (int g = 0; g < count; ++g) {
        const Compressor& c = *group[g];
        rms[g] = c.params_.detector == DetectorMode::Rms;
        anyRms = anyRms || rms[g];
        threshold[g] = c.threshold_.current();
        ratio[g] = c.ratio_.current();
        knee[g] = c.knee_.current();
        makeup[g] = c.makeup_.current();
        quietBelow[g] = dbToGain(threshold[g] - knee[g] / 2.0);
        rmsCoefficient[g] = c.rmsCoefficient_;
        attack[g] = c.smoothers_[0].attack;
        release[g] = c.smoothers_[0].release;
        state[g] = c.smoothers_[0].state;
        for (int ch = 0; ch < channels; ++ch) meanSquare[g][ch] = c.meanSquare_[static_cast<std::size_t>(ch)];
        maxReduction[g] = 0.0;  // this call's, merged below
        sumReduction[g] = c.sumReductionDb_;
    }
    // Four passes per sub-block: the level-to-target and reduction-to-gain passes have no
    // frame-to-frame dependency and run four frames at a time (SIMD log2/exp2); the RMS
    // detector and the smoother between them are the recursions. work_ holds the targets,
    // then the gains.
    const std::size_t capacity = group[0]->work_.size() - 8;  // 8 spare floats for the last SIMD group
    for (std::size_t start = 0; start < total; start += capacity) {
        const std::size_t frames = std::min(total - start, capacity);
        if (anyRms) {
            float* level[kMaxGroup];
            for (int g = 0; g < count; ++g) level[g] = group[g]->level_.data();
            rmsLevels(ios, start, frames, count, channels, rms, rmsCoefficient, meanSquare, level);
        }
        if (detectOnly) {
            for (int g = 0; g < count; ++g) group[g]->trackLoudest(ios[g], start, frames, rms[g]);
            continue;
        }
        for (int g = 0; g < count; ++g)
            group[g]->linkedTargets(ios[g], start, frames, rms[g], threshold[g], ratio[g], knee[g], quietBelow[g]);
        float* work[kMaxGroup];
        for (int g = 0; g < count; ++g) work[g] = group[g]->work_.data();
        smoothLinkedGroup(count, work, frames, attack, release, makeup, state, maxReduction, sumReduction);
        for (int g = 0; g < count; ++g) group[g]->applyLinkedGains(ios[g], start, frames);
    }
    for (int g = 0; g < count; ++g) {
        Compressor& c = *group[g];
        c.smoothers_[0].state = state[g];
        for (int ch = 0; ch < channels; ++ch) c.meanSquare_[static_cast<std::size_t>(ch)] = meanSquare[g][ch];
        c.maxReductionDb_ = std::max(c.maxReductionDb_, maxReduction[g]);
        c.recentMaxReductionDb_ = std::max(c.recentMaxReductionDb_, maxReduction[g]);
        c.sumReductionDb_ = sumReduction[g];
        c.frames_ += total;
    }
}

void Compressor::trackLoudest(AudioView io, std::size_t start, std::size_t frames, bool rms) noexcept {
    if (rms) {
        loudestLevel_ = std::max(loudestLevel_, static_cast<double>(largestValue(level_.data(), frames)));
    } else {
        for (int c = 0; c < io.channels(); ++c)
            loudestLevel_ = std::max(loudestLevel_, static_cast<double>(largestMagnitude(io.channel(c) + start, frames)));
    }
}

// work_[0 .. frames) = the static curve's gain change (dB, >= 0 as a reduction) for each
// frame's detector level: the louder channel's peak, or level_ (mean square) for RMS.
void Compressor::linkedTargets(AudioView io, std::size_t start, std::size_t frames, bool rms, double threshold, double ratio, double knee,
                               double quietBelow) noexcept {
    float* work = work_.data();
    trackLoudest(io, start, frames, rms);
#if defined(__GNUC__)
    const auto targets = wideIntegerKernels() ? linkedTargets8 : linkedTargets4;
    targets(io, start, frames, rms, level_.data(), work, static_cast<float>(rms ? quietBelow * quietBelow : quietBelow),
            static_cast<float>(threshold), static_cast<float>(1.0 / ratio - 1.0), static_cast<float>(knee / 2.0),
            knee > 0.0 ? static_cast<float>(1.0 / (2.0 * knee)) : 0.0f);
#else
    for (std::size_t i = 0; i < frames; ++i) {
        double peak = 0.0;
        if (rms) {
            peak = std::sqrt(static_cast<double>(level_[i]));
        } else {
            for (int c = 0; c < channels; ++c) {
                const double x = std::fabs(static_cast<double>(io.channel(c)[start + i]));
                if (x > peak && x < HUGE_VAL) peak = x;
            }
        }
        work[i] = peak < quietBelow ? 0.0f : static_cast<float>(-compressorCurveDb(levelDb(peak), threshold, ratio, knee));
    }
#endif
}

// work_ holds log2 gains: turn them into gains and apply them to every channel.
void Compressor::applyLinkedGains(AudioView io, std::size_t start, std::size_t frames) noexcept {
    float* work = work_.data();
#if defined(__GNUC__)
    (wideIntegerKernels() ? linkedGains8 : linkedGains4)(io, start, frames, work);
#else
    for (std::size_t i = 0; i < frames; ++i) work[i] = static_cast<float>(fast::exp2(work[i]));
    for (int c = 0; c < io.channels(); ++c) {
        float* x = io.channel(c) + start;
        for (std::size_t k = 0; k < frames; ++k) x[k] = std::isfinite(x[k]) ? x[k] * work[k] : 0.0f;
    }
#endif
}

double Compressor::meanGainReductionDb() const noexcept { return frames_ ? sumReductionDb_ / static_cast<double>(frames_) : 0.0; }

// ---------------------------------------------------------------- Gate

void Gate::setParams(const GateParams& params) noexcept {
    params_ = params;
    // The smoother's "attack" acts while the reduction grows: that is the gate closing.
    for (auto& s : smoothers_) {
        s.attack = GainReductionSmoother::coefficient(std::clamp(params.releaseMs, 1.0, 5000.0), spec_.sampleRate);
        s.release = GainReductionSmoother::coefficient(std::clamp(params.attackMs, 0.01, 500.0), spec_.sampleRate);
    }
}

void Gate::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    smoothers_.assign(static_cast<std::size_t>(spec.channels), {});
    open_.assign(static_cast<std::size_t>(spec.channels), false);
    holdRemaining_.assign(static_cast<std::size_t>(spec.channels), 0);
    peak_.assign(static_cast<std::size_t>(spec.channels), 0.0);
    peakRelease_ = GainReductionSmoother::coefficient(kPeakEnvelopeReleaseMs, spec.sampleRate);
    setParams(params_);
    reset();
}

void Gate::reset() noexcept {
    // Start closed, fully attenuated: a gate opens on signal, it does not fade out at the start.
    const double range = -std::clamp(params_.rangeDb, -120.0, 0.0);
    for (auto& s : smoothers_) s.state = range;
    std::fill(open_.begin(), open_.end(), false);
    std::fill(holdRemaining_.begin(), holdRemaining_.end(), 0);
    std::fill(peak_.begin(), peak_.end(), 0.0);
}

void Gate::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const double link = std::clamp(params_.stereoLink, 0.0, 1.0);
    const double threshold = params_.thresholdDb, closeBelow = params_.thresholdDb - std::max(0.0, params_.hysteresisDb);
    const double maxReduction = -std::clamp(params_.rangeDb, -120.0, 0.0);
    const double slope = std::max(params_.ratio, 1.0) - 1.0;
    const int holdFrames = static_cast<int>(std::lround(std::max(0.0, params_.holdMs) * 0.001 * spec_.sampleRate));
    for (std::size_t i = 0; i < io.frames(); ++i) {
        double loudest = kFloorDb;
        for (int c = 0; c < channels; ++c) {
            const float x = io.channel(c)[i];
            double& p = peak_[static_cast<std::size_t>(c)];
            p = std::max(std::isfinite(x) ? std::fabs(static_cast<double>(x)) : 0.0, p * peakRelease_);
            loudest = std::max(loudest, levelDb(p));
        }
        for (int c = 0; c < channels; ++c) {
            const auto ch = static_cast<std::size_t>(c);
            const double level = link * loudest + (1.0 - link) * levelDb(peak_[ch]);
            if (level >= threshold) {
                open_[ch] = true;
                holdRemaining_[ch] = holdFrames;
            } else if (level < closeBelow) {
                if (holdRemaining_[ch] > 0) {
                    --holdRemaining_[ch];
                } else {
                    open_[ch] = false;
                }
            }
            const double target = open_[ch] ? 0.0 : std::min(maxReduction, (threshold - level) * slope);
            const double reduction = smoothers_[ch].next(target);
            float& sample = io.channel(c)[i];
            sample = std::isfinite(sample) ? static_cast<float>(sample * fast::dbToGain(-reduction)) : 0.0f;
        }
    }
}

// ---------------------------------------------------------------- De-esser

void DeEsser::setParams(const DeEsserParams& params) noexcept {
    params_ = params;
    const auto bp = designBiquad(FilterType::BandPass, std::clamp(params.freqHz, 1000.0, 20000.0), std::clamp(params.q, 0.3, 4.0), 0.0,
                                 spec_.sampleRate, false);
    band_.setSections(&bp, 1);
    for (auto& s : smoothers_) {
        s.attack = GainReductionSmoother::coefficient(std::clamp(params.attackMs, 0.01, 100.0), spec_.sampleRate);
        s.release = GainReductionSmoother::coefficient(std::clamp(params.releaseMs, 1.0, 2000.0), spec_.sampleRate);
    }
}

void DeEsser::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    band_.prepare(spec.channels);
    smoothers_.assign(1, {});
    high_.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames)));
    setParams(params_);
    reset();
}

void DeEsser::reset() noexcept {
    band_.reset();
    for (auto& s : smoothers_) s.state = 0.0;
    envelope_ = 0.0;
    maxReductionDb_ = 0.0;
}

void DeEsser::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const int channels = io.channels();
    const double envelopeRelease = GainReductionSmoother::coefficient(kPeakEnvelopeReleaseMs, spec_.sampleRate);
    const double maxReduction = -std::clamp(params_.rangeDb, -48.0, 0.0);
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(spec_.maxBlockFrames)) {
        const std::size_t frames = std::min(io.frames() - start, static_cast<std::size_t>(spec_.maxBlockFrames));
        for (int c = 0; c < channels; ++c) {
            float* high = high_[static_cast<std::size_t>(c)].data();
            const float* x = io.channel(c) + start;
            for (std::size_t i = 0; i < frames; ++i) high[i] = std::isfinite(x[i]) ? x[i] : 0.0f;
            band_.process(high, frames, c);
        }
        for (std::size_t i = 0; i < frames; ++i) {
            // One linked envelope of the band: sibilance is turned down in both channels alike.
            double loudest = 0.0;
            for (int c = 0; c < channels; ++c)
                loudest = std::max(loudest, std::fabs(static_cast<double>(high_[static_cast<std::size_t>(c)][i])));
            envelope_ = std::max(loudest, envelope_ * envelopeRelease);
            const double target = std::min(maxReduction, -compressorCurveDb(levelDb(envelope_), params_.thresholdDb, params_.ratio, 0.0));
            const double reduction = smoothers_[0].next(target);
            maxReductionDb_ = std::max(maxReductionDb_, reduction);
            const double cut = reduction > 0.0 ? 1.0 - fast::dbToGain(-reduction) : 0.0;
            for (int c = 0; c < channels; ++c) {
                float& sample = io.channel(c)[start + i];
                const double dry = std::isfinite(sample) ? sample : 0.0;
                sample = static_cast<float>(dry - cut * high_[static_cast<std::size_t>(c)][i]);
            }
        }
    }
}

}  // namespace bounce
