#include "bounce/limiter.h"

#include "bounce/denormals.h"
#include "ring.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cmath>

namespace bounce {
namespace {

constexpr double kMainStageMarginDb = 0.02;
constexpr double kSafetyWindowMs = 0.5;
constexpr double kSafetyReleaseMs = 5.0;
// The safety stage aims a hair (0.0001 dB) under the ceiling, so that float rounding of
// the product cannot put a sample over.
constexpr double kSafetyMargin = 1.0 - 1e-5;

double releaseCoefficientFor(double ms, double sampleRate) { return 1.0 - std::exp(-1.0 / (ms * 0.001 * sampleRate)); }

}  // namespace

void TruePeakLimiter::Stage::prepare(const ProcessSpec& spec, int windowFrames, double release) {
    window = std::max(1, windowFrames);
    releaseCoefficient = release;
    maxBlock = spec.maxBlockFrames;
    detectors.assign(static_cast<std::size_t>(spec.channels), TruePeakDetector{});
    // Still the 4x screen (issue 15 moves the limiter onto the reconstruction next).
    for (auto& d : detectors) d.prepare(spec.sampleRate, TruePeakDetector::Mode::Screen);
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
    minGain = 1.0;
    sumGainReductionDb = 0.0;
    frames = 0;
}

namespace {

// The largest of n floats (n may be 0: returns 0).
float largest(const float* x, std::size_t n) noexcept {
    float most = 0.0f;
    std::size_t i = 0;
#if defined(__SSE2__)
    __m128 m = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) m = _mm_max_ps(m, _mm_loadu_ps(x + i));
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, m);
    most = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
#endif
    for (; i < n; ++i) most = std::max(most, x[i]);
    return most;
}

}  // namespace

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
        bool idle = released == 1.0 && previousNeed == 1.0 && averageSum == unity * window &&
                    (minSize == 0 || minValues[minHead] >= 1.0);
        for (int c = 0; c < channels && idle; ++c) idle = largest(peaks[static_cast<std::size_t>(c)].data(), count) <= ceiling;
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
            const double intervalNeed = peak > ceiling ? ceiling / peak : 1.0;
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
            if (gain < 1.0) sumGainReductionDb -= 20.0 * std::log10(gain);
            ++frames;
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
                  releaseCoefficientFor(std::clamp(params_.releaseMs, 1.0, 2000.0), fs));
    safety_.prepare(spec, static_cast<int>(std::lround(kSafetyWindowMs * 0.001 * fs)), releaseCoefficientFor(kSafetyReleaseMs, fs));
}

void TruePeakLimiter::reset() noexcept {
    main_.reset();
    safety_.reset();
}

void TruePeakLimiter::process(AudioView io) noexcept {
    ScopedFlushDenormals flushDenormals;
    const double ceiling = dbToGain(std::clamp(params_.ceilingDbtp, -24.0, 0.0));
    main_.process(io, ceiling * dbToGain(-kMainStageMarginDb));
    safety_.process(io, ceiling * kSafetyMargin);
}

double TruePeakLimiter::maxGainReductionDb() const noexcept {
    return -20.0 * std::log10(main_.minGain * safety_.minGain);
}

double TruePeakLimiter::meanGainReductionDb() const noexcept {
    const double frames = static_cast<double>(std::max<std::uint64_t>(main_.frames, 1));
    return (main_.sumGainReductionDb + safety_.sumGainReductionDb) / frames;
}

}  // namespace bounce
