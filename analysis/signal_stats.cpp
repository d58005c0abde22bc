// Sample statistics for QC that the loudness meter does not give: RMS, DC, L/R
// correlation, clipping runs, leading/trailing silence, non-finite samples.
#include "signal_stats.h"

#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bounce {

SignalStats::SignalStats(int channels, double silenceThresholdLinear)
    : channels_(channels),
      silenceThreshold_(static_cast<float>(silenceThresholdLinear)),
      sum_(static_cast<std::size_t>(channels), 0.0),
      sumSquares_(static_cast<std::size_t>(channels), 0.0),
      clipRun_(static_cast<std::size_t>(channels), 0),
      clipped_(static_cast<std::size_t>(channels), 0) {}

namespace {

// The common case, four samples at a time: finite samples below full scale, outside a clip
// run. Adds their sum and sum of squares (in double, four partial sums each) and returns
// how many frames it took: it stops at the first group that needs the careful loop.
std::size_t addPlainSamples(const float* x, std::size_t frames, double& sum, double& sumSquares) noexcept {
#if defined(__SSE2__)
    const __m128 absMask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    const __m128 fullScale = _mm_set1_ps(kFullScaleThreshold);
    __m128d s0 = _mm_setzero_pd(), s1 = _mm_setzero_pd(), q0 = _mm_setzero_pd(), q1 = _mm_setzero_pd();
    std::size_t i = 0;
    for (; i + 4 <= frames; i += 4) {
        const __m128 v = _mm_loadu_ps(x + i);
        // |v| < full scale is false for NaN and infinity too.
        if (_mm_movemask_ps(_mm_cmplt_ps(_mm_and_ps(v, absMask), fullScale)) != 0xf) break;
        const __m128d lo = _mm_cvtps_pd(v), hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
        s0 = _mm_add_pd(s0, lo);
        s1 = _mm_add_pd(s1, hi);
        q0 = _mm_add_pd(q0, _mm_mul_pd(lo, lo));
        q1 = _mm_add_pd(q1, _mm_mul_pd(hi, hi));
    }
    alignas(16) double a[2], b[2];
    _mm_store_pd(a, _mm_add_pd(s0, s1));
    _mm_store_pd(b, _mm_add_pd(q0, q1));
    sum += a[0] + a[1];
    sumSquares += b[0] + b[1];
    return i;
#else
    (void)x;
    (void)frames;
    (void)sum;
    (void)sumSquares;
    return 0;
#endif
}

// Sum of l * r over frames where both are finite.
double crossProduct(const float* l, const float* r, std::size_t frames) noexcept {
    double cross = 0.0;
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128 absMask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    const __m128 infinity = _mm_set1_ps(HUGE_VALF);
    __m128d c0 = _mm_setzero_pd(), c1 = _mm_setzero_pd();
    for (; i + 4 <= frames; i += 4) {
        __m128 a = _mm_loadu_ps(l + i), b = _mm_loadu_ps(r + i);
        // Zero both where either is not finite.
        const __m128 ok = _mm_and_ps(_mm_cmplt_ps(_mm_and_ps(a, absMask), infinity), _mm_cmplt_ps(_mm_and_ps(b, absMask), infinity));
        a = _mm_and_ps(a, ok);
        b = _mm_and_ps(b, ok);
        c0 = _mm_add_pd(c0, _mm_mul_pd(_mm_cvtps_pd(a), _mm_cvtps_pd(b)));
        c1 = _mm_add_pd(c1, _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(a, a)), _mm_cvtps_pd(_mm_movehl_ps(b, b))));
    }
    alignas(16) double sums[2];
    _mm_store_pd(sums, _mm_add_pd(c0, c1));
    cross = sums[0] + sums[1];
#endif
    for (; i < frames; ++i)
        if (std::isfinite(l[i]) && std::isfinite(r[i])) cross += static_cast<double>(l[i]) * r[i];
    return cross;
}

}  // namespace

void SignalStats::addFrames(ConstAudioView block) noexcept {
    const std::size_t frames = block.frames();
    for (int c = 0; c < channels_; ++c) {
        const auto ch = static_cast<std::size_t>(c);
        const float* x = block.channel(c);
        double sum = 0.0, sumSquares = 0.0;
        std::uint64_t run = clipRun_[ch];
        // A clip run in progress needs the careful loop from the first sample.
        const std::size_t plain = run == 0 ? addPlainSamples(x, frames, sum, sumSquares) : 0;
        for (std::size_t i = plain; i < frames; ++i) {
            const float v = x[i];
            if (!std::isfinite(v)) {
                if (nonFinite_ == 0) {
                    firstNonFiniteFrame_ = framesSeen_ + i;
                    firstNonFiniteChannel_ = c;
                }
                ++nonFinite_;
                continue;
            }
            sum += v;
            sumSquares += static_cast<double>(v) * v;
            if (std::fabs(v) >= kFullScaleThreshold) {
                ++run;
            } else {
                if (run >= kClipRunSamples) clipped_[ch] += run;
                run = 0;
            }
        }
        clipRun_[ch] = run;
        sum_[ch] += sum;
        sumSquares_[ch] += sumSquares;
    }
    if (channels_ >= 2) crossLR_ += crossProduct(block.channel(0), block.channel(1), frames);
    // Silence: the first and last frame where any channel reaches the threshold. Scanning
    // from the block's end finds the last one at once in anything but silence.
    const auto loudAt = [&](std::size_t i) {
        for (int c = 0; c < channels_; ++c)
            if (std::fabs(block.channel(c)[i]) >= silenceThreshold_) return true;
        return false;
    };
    for (std::size_t i = frames; i-- > 0;) {
        if (loudAt(i)) {
            lastLoudFrame_ = framesSeen_ + i;
            if (!firstLoudFrame_) {
                std::size_t first = 0;
                while (!loudAt(first)) ++first;
                firstLoudFrame_ = framesSeen_ + first;
            }
            break;
        }
    }
    framesSeen_ += frames;
}

std::uint64_t SignalStats::clippedSamples(int channel) const noexcept {
    const auto ch = static_cast<std::size_t>(channel);
    return clipped_[ch] + (clipRun_[ch] >= kClipRunSamples ? clipRun_[ch] : 0);
}

double SignalStats::meanSquare(int channel) const noexcept {
    return framesSeen_ ? sumSquares_[static_cast<std::size_t>(channel)] / static_cast<double>(framesSeen_) : 0.0;
}

double SignalStats::dcOffset(int channel) const noexcept {
    return framesSeen_ ? sum_[static_cast<std::size_t>(channel)] / static_cast<double>(framesSeen_) : 0.0;
}

std::optional<double> SignalStats::correlation() const noexcept {
    if (channels_ < 2) return std::nullopt;
    const double energy = sumSquares_[0] * sumSquares_[1];
    if (!(energy > 0.0)) return std::nullopt;
    return std::clamp(crossLR_ / std::sqrt(energy), -1.0, 1.0);
}

std::uint64_t SignalStats::leadingSilentFrames() const noexcept { return firstLoudFrame_ ? *firstLoudFrame_ : framesSeen_; }

std::uint64_t SignalStats::trailingSilentFrames() const noexcept {
    return firstLoudFrame_ ? framesSeen_ - 1 - lastLoudFrame_ : framesSeen_;
}

}  // namespace bounce
