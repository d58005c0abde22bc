#include "bounce/true_peak.h"

#include "bounce/kaiser.h"
#include "bounce/simd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BOUNCE_HAVE_AVX_KERNEL 1
#endif

namespace bounce {
namespace {


#if defined(BOUNCE_HAVE_AVX_KERNEL)
// The same kernel eight outputs wide, for CPUs with AVX (chosen at run time, so the
// binary still runs on any x86-64). Each lane does exactly the SSE kernel's arithmetic in
// the same order (separate multiply and add, no FMA), so results are bit-identical.
// Returns how many outputs it computed (a multiple of 8).
__attribute__((target("avx"))) std::size_t kernelAvx(const float* w, std::size_t count, int factor,
                                                     const std::array<std::array<float, TruePeakDetector::kTapsPerPhase>, 4>& taps,
                                                     float* peaks, float& peakOut, float& samplePeakOut, float bound,
                                                     float skipAtOrBelow) noexcept {
    constexpr int n = TruePeakDetector::kTapsPerPhase;
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 peak = _mm256_set1_ps(peakOut);
    __m256 samplePeak = _mm256_set1_ps(samplePeakOut);
    std::size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 lane = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(w + i + n - 1 - n / 2), absMask), _mm256_setzero_ps());
        samplePeak = _mm256_max_ps(lane, samplePeak);
        // The 8 outputs read w[i .. i + n + 6]: when bound x their largest magnitude cannot
        // exceed skipAtOrBelow, the interpolated phases cannot matter (see processChunk).
        __m256 span = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(w + i), absMask), _mm256_and_ps(_mm256_loadu_ps(w + i + 8), absMask));
        span = _mm256_max_ps(span, _mm256_and_ps(_mm256_loadu_ps(w + i + 16), absMask));
        span = _mm256_max_ps(span, _mm256_and_ps(_mm256_loadu_ps(w + i + n - 1), absMask));
        __m128 half = _mm_max_ps(_mm256_castps256_ps128(span), _mm256_extractf128_ps(span, 1));
        half = _mm_max_ps(half, _mm_movehl_ps(half, half));
        half = _mm_max_ss(half, _mm_shuffle_ps(half, half, 1));
        if (_mm_cvtss_f32(half) * bound <= skipAtOrBelow) {
            peak = _mm256_max_ps(lane, peak);
            if (peaks) _mm256_storeu_ps(peaks + i, lane);
            continue;
        }
        if (factor == 4) {
            __m256 a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            for (int k = 0; k < n; ++k) {
                const __m256 x = _mm256_loadu_ps(w + i + n - 1 - k);
                a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_set1_ps(taps[1][static_cast<std::size_t>(k)]), x));
                a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_set1_ps(taps[2][static_cast<std::size_t>(k)]), x));
                a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_set1_ps(taps[3][static_cast<std::size_t>(k)]), x));
            }
            lane = _mm256_max_ps(_mm256_and_ps(a1, absMask), lane);
            lane = _mm256_max_ps(_mm256_and_ps(a2, absMask), lane);
            lane = _mm256_max_ps(_mm256_and_ps(a3, absMask), lane);
        } else if (factor == 2) {
            __m256 a1 = _mm256_setzero_ps();
            for (int k = 0; k < n; ++k)
                a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_set1_ps(taps[1][static_cast<std::size_t>(k)]), _mm256_loadu_ps(w + i + n - 1 - k)));
            lane = _mm256_max_ps(_mm256_and_ps(a1, absMask), lane);
        }
        peak = _mm256_max_ps(lane, peak);
        if (peaks) _mm256_storeu_ps(peaks + i, lane);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, peak);
    for (float v : lanes) peakOut = std::max(peakOut, v);
    _mm256_store_ps(lanes, samplePeak);
    for (float v : lanes) samplePeakOut = std::max(samplePeakOut, v);
    return i;
}

#endif

}  // namespace

int TruePeakDetector::oversamplingFor(double sampleRate) noexcept {
    if (sampleRate < 96000.0) return 4;
    if (sampleRate < 192000.0) return 2;
    return 1;
}

void TruePeakDetector::prepare(double sampleRate, int oversampling) {
    factor_ = oversampling > 0 ? std::min(oversampling, 4) : oversamplingFor(sampleRate);
    constexpr int n = kTapsPerPhase;
    // Phase p interpolates at (p / factor) samples after the input that is n/2 samples old:
    // y_p = sum_k x[-k] * s(k - n/2 + p/factor), s = sinc x Kaiser window of half-width n/2.
    // Each phase is normalised to unity gain at DC.
    for (int p = 0; p < factor_; ++p) {
        double taps[n];
        double sum = 0.0;
        for (int k = 0; k < n; ++k) {
            const double t = k - n / 2.0 + static_cast<double>(p) / factor_;
            const double window = kaiserWindow(t / (n / 2.0), kKaiserBeta);
            const double sinc = t == 0.0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
            taps[k] = sinc * window;
            sum += taps[k];
        }
        for (int k = 0; k < n; ++k) taps_[p][k] = static_cast<float>(taps[k] / sum);
    }
    // The most any phase can amplify: its sum of |taps|. The margin covers float rounding of
    // the n products and sums (relative n x 2^-24, far under 1e-4).
    double most = 1.0;
    for (int p = 0; p < factor_; ++p) {
        double l1 = 0.0;
        for (int k = 0; k < n; ++k) l1 += std::fabs(static_cast<double>(taps_[p][k]));
        most = std::max(most, l1);
    }
    bound_ = static_cast<float>(most * (1.0 + 1e-4));
    window_.assign(n - 1 + kChunk, 0.0f);
    reset();
}

void TruePeakDetector::reset() noexcept {
    std::fill(window_.begin(), window_.end(), 0.0f);
    peak_ = 0.0f;
    samplePeak_ = 0.0f;
}

void TruePeakDetector::process(const float* samples, std::size_t count, float* peaks, float floor) noexcept {
    constexpr std::size_t history = kTapsPerPhase - 1;
    while (count > 0) {
        const std::size_t chunk = std::min(count, kChunk);
        // NaN and infinity have no true peak; read them as silence so one bad sample cannot
        // become the reading (or a limiter's gain).
        float* fresh = window_.data() + history;
        for (std::size_t i = 0; i < chunk; ++i) fresh[i] = std::isfinite(samples[i]) ? samples[i] : 0.0f;
        processChunk(chunk, peaks, floor);
        std::memmove(window_.data(), window_.data() + chunk, history * sizeof(float));
        samples += chunk;
        count -= chunk;
        if (peaks) peaks += chunk;
    }
}

// The hot loop. Four consecutive outputs of one phase are computed at once: each tap is
// one multiply-add of a broadcast coefficient with four neighbouring inputs (an unaligned
// load), so no shuffles are needed. Phase 0 is the input itself (delayed), read directly.
// max(x, m) keeps m when x is NaN, so a NaN never becomes a reading.
//
// Skipping: every phase's output is a sum of n taps times inputs, so it is at most
// bound_ (the largest sum of |taps| over the phases, with a margin for float rounding)
// times the largest input it reads. A group of outputs whose inputs are all small enough
// cannot raise the running peak (when only the peak is wanted) or cross `floor` (when the
// per-sample peaks are wanted, for a limiter that only asks whether they exceed its
// ceiling): its phases are not computed and phase 0, the sample itself, stands for them.
// The running peak is exactly what the full computation gives; so is every per-sample
// peak above `floor`.
void TruePeakDetector::processChunk(std::size_t count, float* peaks, float floor) noexcept {
    constexpr int n = kTapsPerPhase;
    const float* w = window_.data();  // w[i + n - 1] is the newest sample of output i
    std::size_t i = 0;
    const float skipAtOrBelow = peaks ? floor : peak_;
#if defined(BOUNCE_HAVE_AVX_KERNEL)
    if (wideKernels()) i = kernelAvx(w, count, factor_, taps_, peaks, peak_, samplePeak_, bound_, skipAtOrBelow);
#endif
#if defined(__SSE2__)
    const __m128 absMask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    __m128 peak = _mm_set1_ps(peak_);
    __m128 samplePeak = _mm_set1_ps(samplePeak_);
    __m128 coef[3][n];
    for (int p = 1; p < factor_; ++p)
        for (int k = 0; k < n; ++k) coef[p - 1][k] = _mm_set1_ps(taps_[p][k]);
    for (; i + 4 <= count; i += 4) {
        // Phase 0: the sample n/2 back from the newest.
        __m128 lane = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(w + i + n - 1 - n / 2), absMask), _mm_setzero_ps());
        samplePeak = _mm_max_ps(lane, samplePeak);
        // The 4 outputs read w[i .. i + n + 2].
        __m128 span = _mm_and_ps(_mm_loadu_ps(w + i + n - 1), absMask);
        for (int k = 0; k + 4 <= n + 3; k += 4) span = _mm_max_ps(span, _mm_and_ps(_mm_loadu_ps(w + i + k), absMask));
        span = _mm_max_ps(span, _mm_movehl_ps(span, span));
        span = _mm_max_ss(span, _mm_shuffle_ps(span, span, 1));
        if (_mm_cvtss_f32(span) * bound_ <= skipAtOrBelow) {
            peak = _mm_max_ps(lane, peak);
            if (peaks) _mm_storeu_ps(peaks + i, lane);
            continue;
        }
        if (factor_ == 4) {
            __m128 a1 = _mm_setzero_ps(), a2 = _mm_setzero_ps(), a3 = _mm_setzero_ps();
            for (int k = 0; k < n; ++k) {
                const __m128 x = _mm_loadu_ps(w + i + n - 1 - k);
                a1 = _mm_add_ps(a1, _mm_mul_ps(coef[0][k], x));
                a2 = _mm_add_ps(a2, _mm_mul_ps(coef[1][k], x));
                a3 = _mm_add_ps(a3, _mm_mul_ps(coef[2][k], x));
            }
            lane = _mm_max_ps(_mm_and_ps(a1, absMask), lane);
            lane = _mm_max_ps(_mm_and_ps(a2, absMask), lane);
            lane = _mm_max_ps(_mm_and_ps(a3, absMask), lane);
        } else if (factor_ == 2) {
            __m128 a1 = _mm_setzero_ps();
            for (int k = 0; k < n; ++k) a1 = _mm_add_ps(a1, _mm_mul_ps(coef[0][k], _mm_loadu_ps(w + i + n - 1 - k)));
            lane = _mm_max_ps(_mm_and_ps(a1, absMask), lane);
        }
        peak = _mm_max_ps(lane, peak);
        if (peaks) _mm_storeu_ps(peaks + i, lane);
    }
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, peak);
    peak_ = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
    _mm_store_ps(lanes, samplePeak);
    samplePeak_ = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
#endif
    for (; i < count; ++i) {
        float lane = 0.0f;
        const float s = std::fabs(w[i + n - 1 - n / 2]);
        if (s > lane) lane = s;
        if (s > samplePeak_) samplePeak_ = s;
        for (int p = 1; p < factor_; ++p) {
            float acc = 0.0f;
            for (int k = 0; k < n; ++k) acc += taps_[p][k] * w[i + n - 1 - k];
            const float a = std::fabs(acc);
            if (a > lane) lane = a;
        }
        if (lane > peak_) peak_ = lane;
        if (peaks) peaks[i] = lane;
    }
}

double TruePeakDetector::samplePeak() const noexcept {
    // The newest n/2 samples have not reached phase 0 yet.
    float peak = samplePeak_;
    for (int k = kTapsPerPhase - 1 - kTapsPerPhase / 2; k < kTapsPerPhase - 1 && !window_.empty(); ++k)
        peak = std::max(std::fabs(window_[static_cast<std::size_t>(k)]), peak);
    return peak;
}

double TruePeakDetector::peak() const noexcept {
    if (window_.empty()) return 0.0;
    // The interpolator lags by n/2 samples, and the reconstructed signal rings on past the
    // last sample: run the kept history through the filter followed by zeros.
    constexpr int n = kTapsPerPhase;
    float tail[2 * n] = {};
    std::memcpy(tail, window_.data(), (n - 1) * sizeof(float));
    float peak = std::max(peak_, samplePeak_);
    for (int i = 0; i < n; ++i) {
        for (int p = 0; p < factor_; ++p) {
            float acc = 0.0f;
            for (int k = 0; k < n; ++k) acc += taps_[p][k] * tail[i + n - 1 - k];
            peak = std::max(std::fabs(acc), peak);
        }
    }
    return peak;
}

}  // namespace bounce
