#include "bounce/oversampler.h"

#include "bounce/kaiser.h"
#include "bounce/simd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace bounce {
namespace {

constexpr double kStopbandDb = 100.0;
// Transition band, as a fraction of the input rate, centred on its Nyquist frequency.
constexpr double kTransitionFraction = 0.093;

}  // namespace

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
#define BOUNCE_HAVE_AVX_DOT 1
// Eight products per step in one register; lanes 0-3 and 4-7 accumulate exactly as the SSE
// version's two registers do, and the reduction adds them in the same order.
__attribute__((target("avx"))) float dotProductAvx(const float* a, const float* b, int n) noexcept {
    int i = 0;
    __m256 s = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) s = _mm256_add_ps(s, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    const __m128 pair = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, pair);
    float sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}
#endif

}  // namespace

float largestMagnitude(const float* x, std::size_t n) noexcept {
    float most = 0.0f;
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128 absMask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    const __m128 infinity = _mm_set1_ps(HUGE_VALF);
    __m128 m = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) {
        const __m128 a = _mm_and_ps(_mm_loadu_ps(x + i), absMask);
        // |x| < infinity is false for NaN and infinity: those lanes count as 0.
        m = _mm_max_ps(m, _mm_and_ps(a, _mm_cmplt_ps(a, infinity)));
    }
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    most = _mm_cvtss_f32(m);
#endif
    for (; i < n; ++i) {
        const float a = std::fabs(x[i]);
        if (a > most && a < HUGE_VALF) most = a;
    }
    return most;
}

float largestValue(const float* x, std::size_t n) noexcept {
    float most = 0.0f;
    std::size_t i = 0;
#if defined(__SSE2__)
    __m128 m = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) m = _mm_max_ps(m, _mm_loadu_ps(x + i));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    most = _mm_cvtss_f32(m);
#endif
    for (; i < n; ++i) most = std::max(most, x[i]);
    return most;
}

float dotProduct(const float* a, const float* b, int n) noexcept {
#if defined(BOUNCE_HAVE_AVX_DOT)
    if (wideKernels()) return dotProductAvx(a, b, n);
#endif
    int i = 0;
    float sum = 0.0f;
#if defined(__SSE2__)
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
    for (; i + 8 <= n; i += 8) {
        s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
        s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
    }
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, _mm_add_ps(s0, s1));
    sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#endif
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

void Oversampler::prepare(int channels, int factor, int maxBlockFrames) {
    factor_ = factor <= 2 ? 2 : factor <= 4 ? 4 : factor <= 8 ? 8 : 16;
    maxBlock_ = static_cast<std::size_t>(maxBlockFrames);
    // Kaiser's formulas: beta and length for the stopband and transition width.
    const double beta = 0.1102 * (kStopbandDb - 8.7);
    const double width = kTransitionFraction / factor_;  // relative to the oversampled rate
    const int k = static_cast<int>(std::ceil((kStopbandDb - 7.95) / (2.285 * 2.0 * std::numbers::pi * width) / factor_));
    // An odd-length symmetric filter of k * L + 1 taps delays by k * L / 2 oversampled
    // samples; up and down together by k * L, i.e. k input frames.
    const int length = k * factor_ + 1;
    latency_ = k;
    // The input's Nyquist, relative to the oversampled rate; unity at DC.
    const std::vector<double> h = kaiserLowPass(length, 0.5 / factor_, beta);

    // Up: polyphase, each phase gains `factor` to make up for the zeros stuffed between samples.
    tapsPerPhase_ = (length + factor_ - 1) / factor_;
    upLanes_ = std::max(4, factor_);
    upMatrix_.assign(static_cast<std::size_t>(tapsPerPhase_ * upLanes_), 0.0f);
    for (int m = 0; m < tapsPerPhase_; ++m)
        for (int p = 0; p < factor_; ++p) {
            const int index = p + m * factor_;
            upMatrix_[static_cast<std::size_t>(m * upLanes_ + p)] =
                index < length ? static_cast<float>(h[static_cast<std::size_t>(index)] * factor_) : 0.0f;
        }
    taps_ = length;
    down_.resize(static_cast<std::size_t>(length));
    for (int j = 0; j < length; ++j) down_[static_cast<std::size_t>(length - 1 - j)] = static_cast<float>(h[static_cast<std::size_t>(j)]);

    channels_.assign(static_cast<std::size_t>(channels), Channel{});
    for (auto& c : channels_) {
        c.input.assign(static_cast<std::size_t>(tapsPerPhase_ - 1) + maxBlock_, 0.0f);
        c.oversampled.assign(static_cast<std::size_t>(taps_ - 1) + maxBlock_ * static_cast<std::size_t>(factor_), 0.0f);
    }
}

void Oversampler::reset() noexcept {
    for (auto& c : channels_) {
        std::fill(c.input.begin(), c.input.end(), 0.0f);
        std::fill(c.oversampled.begin(), c.oversampled.end(), 0.0f);
    }
}

namespace {

#if defined(BOUNCE_HAVE_AVX_DOT)
// Eight phases per register; per phase the same sum over m, in the same order, as the SSE
// version: bit-identical.
__attribute__((target("avx"))) void upsampleAvx(const float* matrix, int lanes, int taps, const float* newest, float* out,
                                                int factor) noexcept {
    for (int group = 0; group < lanes; group += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (int m = 0; m < taps; ++m)
            acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(matrix + m * lanes + group), _mm256_set1_ps(newest[-m])));
        alignas(32) float result[8];
        _mm256_store_ps(result, acc);
        for (int p = 0; p < 8 && group + p < factor; ++p) out[group + p] = result[p];
    }
}
#endif

}  // namespace

float* Oversampler::upsample(int channel, const float* input, std::size_t frames) noexcept {
    Channel& c = channels_[static_cast<std::size_t>(channel)];
    const std::size_t history = static_cast<std::size_t>(tapsPerPhase_ - 1);
    float* in = c.input.data();
    for (std::size_t i = 0; i < frames; ++i) in[history + i] = std::isfinite(input[i]) ? input[i] : 0.0f;
    float* out = c.oversampled.data() + (taps_ - 1);
    const float* matrix = upMatrix_.data();
#if defined(BOUNCE_HAVE_AVX_DOT)
    if (wideKernels() && upLanes_ >= 8) {
        for (std::size_t i = 0; i < frames; ++i)
            upsampleAvx(matrix, upLanes_, tapsPerPhase_, in + history + i, out + i * static_cast<std::size_t>(factor_), factor_);
        std::memmove(in, in + frames, history * sizeof(float));
        return out;
    }
#endif
    for (std::size_t i = 0; i < frames; ++i) {
        const float* newest = in + history + i;
        float* o = out + i * static_cast<std::size_t>(factor_);
        for (int group = 0; group < upLanes_; group += 4) {
#if defined(__SSE2__)
            __m128 acc = _mm_setzero_ps();
            for (int m = 0; m < tapsPerPhase_; ++m)
                acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(matrix + m * upLanes_ + group), _mm_set1_ps(newest[-m])));
            alignas(16) float result[4];
            _mm_store_ps(result, acc);
#else
            float result[4] = {};
            for (int m = 0; m < tapsPerPhase_; ++m)
                for (int p = 0; p < 4; ++p) result[p] += matrix[m * upLanes_ + group + p] * newest[-m];
#endif
            for (int p = 0; p < 4 && group + p < factor_; ++p) o[group + p] = result[p];
        }
    }
    std::memmove(in, in + frames, history * sizeof(float));
    return out;
}

void Oversampler::downsample(int channel, float* output, std::size_t frames) noexcept {
    Channel& c = channels_[static_cast<std::size_t>(channel)];
    const std::size_t history = static_cast<std::size_t>(taps_ - 1);
    float* u = c.oversampled.data();
    for (std::size_t n = 0; n < frames; ++n) {
        // y[n] = sum_j h[j] u[nL - j]: the window ends at u[nL].
        const float* window = u + n * static_cast<std::size_t>(factor_);
        output[n] = dotProduct(down_.data(), window, taps_);
    }
    std::memmove(u, u + frames * static_cast<std::size_t>(factor_), history * sizeof(float));
}

}  // namespace bounce
