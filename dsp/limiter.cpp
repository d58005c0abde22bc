#include "bounce/limiter.h"

#include "bounce/denormals.h"
#include "bounce/kaiser.h"
#include "bounce/oversampler.h"
#include "ring.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace bounce {
namespace {

// Margins under the ceiling each stage aims at (see limiter.h): the main stage's screen may
// under-read, the safety stage's own gain changes leave overs of a few hundredths of a dB,
// the final stage's of a few thousandths (measured on the stress corpus against an ideal
// reconstruction: at most 0.002 dB), which its own margin covers.
constexpr double kMainStageMarginDb = 0.02;
constexpr double kSafetyStageMarginDb = 0.05;
constexpr double kFinalStageMarginDb = 0.003;
// The safety and final stages take off half as much again as the over they see, at most
// 0.05 dB more: a gain change lowers some of the samples a neighbouring crest is made of,
// and through the sinc's negative lobes that can raise it; the extra covers that.
constexpr double kOverCorrection = 0.5;
constexpr double kOverCorrectionMostDb = 0.05;
constexpr double kSafetyWindowMs = 0.5;
constexpr double kSafetyReleaseMs = 5.0;
// The guard: a linear-phase low-pass (Kaiser-windowed sinc, 1023 taps, beta 12.3: 120 dB, so
// that the passband ripple is 1e-6, a null to -120 dB) flat to 0.4905 fs and 120 dB down
// from 0.4981 fs, below where the detector's reconstruction filter begins to roll off
// (0.4987 fs). Transition width by Kaiser's formula (A - 8) / (14.36 (N - 1)).
constexpr int kGuardTaps = 1023;
constexpr double kGuardCutoff = 0.4943;  // of the sample rate
constexpr double kGuardKaiserBeta = 12.3;
constexpr std::size_t kGuardPartition = 512;
// Where it acts: within kGuardReach samples of any sample less than kGuardWakeDb under the
// ceiling (the reconstruction filter's reach; a crest's inter-sample over can exceed its
// samples by a dB or two, not 6), fading out over kGuardRamp beyond. Elsewhere the output is the
// input, bit for bit.
constexpr double kGuardWakeDb = 6.0;
constexpr int kGuardReach = TruePeakDetector::kReconstructionTaps / 2;
constexpr int kGuardRamp = 1024;
constexpr int kGuardHold = 2 * kGuardReach + kGuardRamp;

double releaseCoefficientFor(double ms, double sampleRate) { return 1.0 - std::exp(-1.0 / (ms * 0.001 * sampleRate)); }

}  // namespace

void TruePeakLimiter::Stage::prepare(const ProcessSpec& spec, int windowFrames, double release, TruePeakDetector::Mode mode) {
    window = std::max(1, windowFrames);
    releaseCoefficient = release;
    maxBlock = spec.maxBlockFrames;
    detectors.assign(static_cast<std::size_t>(spec.channels), TruePeakDetector{});
    for (auto& d : detectors) d.prepare(spec.sampleRate, mode);
    latency = window - 1 + (detectors.empty() ? 0 : detectors.front().delayFrames());
    peaks.assign(static_cast<std::size_t>(spec.channels), std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames)));
    delay.assign(static_cast<std::size_t>(spec.channels), DelayLine{});
    for (auto& line : delay) line.prepare(static_cast<std::size_t>(latency));
    minValues.assign(static_cast<std::size_t>(window) + 1, 1.0);
    minIndices.assign(static_cast<std::size_t>(window) + 1, 0);
    average.assign(static_cast<std::size_t>(window), 0);
    reset();
}

void TruePeakLimiter::Stage::reset() noexcept {
    for (auto& d : detectors) d.reset();
    for (auto& line : delay) line.reset();
    minHead = minSize = 0;
    frame = 0;
    previousNeed = 1.0;
    released = 1.0;
    const auto unity = static_cast<std::int64_t>(kFixedScale);
    std::fill(average.begin(), average.end(), unity);
    averagePosition = 0;
    averageSum = unity * window;
    minGain = recentMinGain = 1.0;
    sumGainReductionDb = 0.0;
    frames = 0;
}

void TruePeakLimiter::Stage::process(AudioView io, double ceiling) noexcept {
    const int channels = io.channels();
    const std::size_t capacity = minValues.size();
    for (std::size_t start = 0; start < io.frames(); start += static_cast<std::size_t>(maxBlock)) {
        const std::size_t count = std::min(io.frames() - start, static_cast<std::size_t>(maxBlock));
        for (int c = 0; c < channels; ++c) {
            float* x = io.channel(c) + start;
            // Only whether a peak exceeds the ceiling matters below: the detector may skip what
            // cannot. The floor is a hair under the ceiling, so float rounding of it decides
            // nothing.
            detectors[static_cast<std::size_t>(c)].process(x, count, peaks[static_cast<std::size_t>(c)].data(),
                                                           static_cast<float>(ceiling * (1.0 - 1e-6)));
            // The audio is delayed by the look-ahead (non-finite samples become silence);
            // the gains computed below apply to the delayed samples.
            for (std::size_t i = 0; i < count; ++i) x[i] = std::isfinite(x[i]) ? x[i] : 0.0f;
            delay[static_cast<std::size_t>(c)].process(x, count);
        }

        // At rest (unity gain, nothing pending) and nothing over the ceiling in this block:
        // the gain stays exactly 1, so the block only passes through the delay.
        const auto unity = static_cast<std::int64_t>(kFixedScale);
        bool idle = released == 1.0 && previousNeed == 1.0 && averageSum == unity * window && (minSize == 0 || minValues[minHead] >= 1.0);
        for (int c = 0; c < channels && idle; ++c) idle = largestValue(peaks[static_cast<std::size_t>(c)].data(), count) <= ceiling;
        if (idle) {
            frame += count;
            minSize = 1;
            minValues[minHead] = 1.0;
            minIndices[minHead] = frame - 1;
            frames += count;
            continue;
        }
        for (std::size_t i = 0; i < count; ++i) {
            double peak = 0.0;
            for (int c = 0; c < channels; ++c) peak = std::max(peak, static_cast<double>(peaks[static_cast<std::size_t>(c)][i]));
            // Samples t and t+1 both scale the overs between them: each sample takes the
            // lower of the needs of the intervals on either side.
            const double intervalNeed =
                peak > ceiling ? ceiling / peak * std::max(std::pow(ceiling / peak, overCorrection), extraFloor) : 1.0;
            const double need = std::min(intervalNeed, previousNeed);
            previousNeed = intervalNeed;

            // Running minimum over the last W frames (monotonic queue).
            while (minSize > 0 && minValues[ringWrap(minHead + minSize - 1, capacity)] >= need) --minSize;
            minValues[ringWrap(minHead + minSize, capacity)] = need;
            minIndices[ringWrap(minHead + minSize, capacity)] = frame;
            ++minSize;
            while (frame - minIndices[minHead] >= static_cast<std::uint64_t>(window)) {
                minHead = ringNext(minHead, capacity);
                --minSize;
            }
            const double held = minValues[minHead];

            // Release towards 1, never above what is held.
            released = std::min(held, released + (1.0 - released) * releaseCoefficient);
            if (1.0 - released < 1e-12) released = 1.0;

            // Moving average over W frames, exact in fixed point.
            const auto fixed = static_cast<std::int64_t>(released * kFixedScale + 0.5);
            averageSum += fixed - average[averagePosition];
            average[averagePosition] = fixed;
            averagePosition = ringNext(averagePosition, average.size());
            const double gain = static_cast<double>(averageSum) / (kFixedScale * window);

            for (int c = 0; c < channels; ++c) {
                float& sample = io.channel(c)[start + i];
                sample = static_cast<float>(sample * gain);
            }
            ++frame;
            minGain = std::min(minGain, gain);
            recentMinGain = std::min(recentMinGain, gain);
            if (gain < 1.0) sumGainReductionDb -= 20.0 * std::log10(gain);
            ++frames;
        }
    }
}

void TruePeakLimiter::Guard::prepare(const ProcessSpec& spec) {
    const auto design = kaiserLowPass(kGuardTaps, kGuardCutoff, kGuardKaiserBeta);
    const std::vector<float> taps(design.begin(), design.end());
    const auto channels = static_cast<std::size_t>(spec.channels);
    lowPass.clear();
    lowPass.resize(channels);
    for (auto& f : lowPass) f.prepare(taps.data(), taps.size(), kGuardPartition);
    // The amount at input frame j covers frames j - latency +- kGuardReach (a hold of
    // kGuardHold then a kGuardRamp moving average: a trapezoid centred latency back).
    latency = (kGuardHold + kGuardRamp) / 2 - 1;
    const int lowPassLatency = static_cast<int>(kGuardPartition) + kGuardTaps / 2;
    dryDelay.assign(channels, DelayLine{});
    lowPassDelay.assign(channels, DelayLine{});
    for (auto& d : dryDelay) d.prepare(static_cast<std::size_t>(latency));
    for (auto& d : lowPassDelay) d.prepare(static_cast<std::size_t>(latency - lowPassLatency));
    lowPassed.assign(channels, std::vector<float>(static_cast<std::size_t>(spec.maxBlockFrames)));
    amount.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
    held.assign(kGuardRamp, 0);
    reset();
}

void TruePeakLimiter::Guard::reset() noexcept {
    for (auto& f : lowPass) f.reset();
    for (auto& d : dryDelay) d.reset();
    for (auto& d : lowPassDelay) d.reset();
    std::fill(held.begin(), held.end(), 0);
    heldPosition = 0;
    heldCount = 0;
    frame = 0;
    lastLoud = 0;
    anyLoud = false;
}

void TruePeakLimiter::Guard::process(AudioView io, double threshold) noexcept {
    const auto level = static_cast<float>(threshold);
    for (std::size_t start = 0; start < io.frames(); start += amount.size()) {
        const std::size_t count = std::min(io.frames() - start, amount.size());
        bool active = false;
        for (std::size_t i = 0; i < count; ++i, ++frame) {
            bool loud = false;
            for (int c = 0; c < io.channels(); ++c) loud = loud || std::fabs(io.channel(c)[start + i]) > level;
            if (loud) lastLoud = frame, anyLoud = true;
            const unsigned char h = anyLoud && frame - lastLoud < static_cast<std::uint64_t>(kGuardHold);
            heldCount += h - held[heldPosition];
            held[heldPosition] = h;
            heldPosition = ringNext(heldPosition, held.size());
            amount[i] = static_cast<float>(heldCount) / kGuardRamp;
            active = active || heldCount > 0;
        }
        for (int c = 0; c < io.channels(); ++c) {
            const auto ch = static_cast<std::size_t>(c);
            float* x = io.channel(c) + start;
            float* low = lowPassed[ch].data();
            std::copy_n(x, count, low);
            lowPass[ch].process(low, count);
            lowPassDelay[ch].process(low, count);
            dryDelay[ch].process(x, count);
            // Where the amount is 0 the output is the delayed input exactly.
            if (active)
                for (std::size_t i = 0; i < count; ++i) x[i] -= amount[i] * (x[i] - low[i]);
        }
    }
}

void TruePeakLimiter::setParams(const LimiterParams& params) noexcept {
    params_ = params;
    main_.releaseCoefficient = releaseCoefficientFor(std::clamp(params.releaseMs, 1.0, 2000.0), spec_.sampleRate);
}

void TruePeakLimiter::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    const double fs = spec.sampleRate;
    main_.prepare(spec, static_cast<int>(std::lround(std::clamp(params_.lookaheadMs, 0.5, 20.0) * 0.001 * fs)),
                  releaseCoefficientFor(std::clamp(params_.releaseMs, 1.0, 2000.0), fs), TruePeakDetector::Mode::Screen);
    guard_.prepare(spec);
    const int safetyWindow = static_cast<int>(std::lround(kSafetyWindowMs * 0.001 * fs));
    safety_.overCorrection = final_.overCorrection = kOverCorrection;
    safety_.extraFloor = final_.extraFloor = dbToGain(-kOverCorrectionMostDb);
    safety_.prepare(spec, safetyWindow, releaseCoefficientFor(kSafetyReleaseMs, fs), TruePeakDetector::Mode::Reconstruction);
    final_.prepare(spec, safetyWindow, releaseCoefficientFor(kSafetyReleaseMs, fs), TruePeakDetector::Mode::Reconstruction);
    reset();
}

void TruePeakLimiter::reset() noexcept {
    main_.reset();
    guard_.reset();
    safety_.reset();
    final_.reset();
    inputFrames_ = 0;
    inputEnd_ = UINT64_MAX;
}

void TruePeakLimiter::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const double ceiling = dbToGain(std::clamp(params_.ceilingDbtp, -24.0, 0.0));
    main_.process(io, ceiling * dbToGain(-kMainStageMarginDb));
    guard_.process(io, ceiling * dbToGain(-kGuardWakeDb));
    // Guard output frame g stands for input frame g - lag. Before the input's start and past
    // its end the delivered output is cut (latency compensation), so the stages after see
    // silence there, as a reading of the delivered file does, not the guard's ringing.
    const auto lag = static_cast<std::uint64_t>(main_.latency + guard_.latency);
    const std::uint64_t first = inputFrames_;
    inputFrames_ += io.frames();
    if (first < lag || (inputFrames_ > lag && inputFrames_ - lag > inputEnd_)) {
        for (std::size_t i = 0; i < io.frames(); ++i) {
            const std::uint64_t g = first + i;
            if (g >= lag && g - lag < inputEnd_) continue;
            for (int c = 0; c < io.channels(); ++c) io.channel(c)[i] = 0.0f;
        }
    }
    safety_.process(io, ceiling * dbToGain(-kSafetyStageMarginDb));
    final_.process(io, ceiling * dbToGain(-kFinalStageMarginDb));
}

double TruePeakLimiter::takeRecentGainReductionDb() noexcept {
    const double gain =
        std::exchange(main_.recentMinGain, 1.0) * std::exchange(safety_.recentMinGain, 1.0) * std::exchange(final_.recentMinGain, 1.0);
    return -20.0 * std::log10(gain);
}

double TruePeakLimiter::maxGainReductionDb() const noexcept { return -20.0 * std::log10(main_.minGain * safety_.minGain * final_.minGain); }

double TruePeakLimiter::meanGainReductionDb() const noexcept {
    const double frames = static_cast<double>(std::max<std::uint64_t>(main_.frames, 1));
    return (main_.sumGainReductionDb + safety_.sumGainReductionDb + final_.sumGainReductionDb) / frames;
}

}  // namespace bounce
