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

#if defined(__GNUC__)
// Eight products per step, in one 8-lane vector or two 4-lane ones: lane j of the sum
// holds the products j, j + 8, j + 16, ... either way, and the reduction adds the lanes in
// one order, so both widths give the same bits.
template <int W>
BOUNCE_KERNEL float dotProductBody(const float* a, const float* b, int n) noexcept {
    using F = typename simd::FloatLanes<W>::F;
    constexpr int kVectors = 8 / W;
    F acc[kVectors] = {};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int v = 0; v < kVectors; ++v) acc[v] = acc[v] + simd::load<F>(a + i + v * W) * simd::load<F>(b + i + v * W);
    float lanes[8];
    for (int v = 0; v < kVectors; ++v) simd::store(lanes + v * W, acc[v]);
    const float pair[4] = {lanes[0] + lanes[4], lanes[1] + lanes[5], lanes[2] + lanes[6], lanes[3] + lanes[7]};
    float sum = (pair[0] + pair[1]) + (pair[2] + pair[3]);
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

float dotProduct4(const float* a, const float* b, int n) noexcept { return dotProductBody<4>(a, b, n); }
BOUNCE_WIDE_AVX float dotProduct8(const float* a, const float* b, int n) noexcept { return dotProductBody<8>(a, b, n); }

// One input frame's `factor` outputs: W phases per vector, per phase the sum over m in
// one order, so both widths give the same bits.
template <int W>
BOUNCE_KERNEL void upsampleFrameBody(const float* matrix, int lanes, int taps, const float* newest, float* out, int factor) noexcept {
    using F = typename simd::FloatLanes<W>::F;
    for (int group = 0; group < lanes; group += W) {
        F acc{};
        for (int m = 0; m < taps; ++m) acc = acc + simd::load<F>(matrix + m * lanes + group) * newest[-m];
        float result[W];
        simd::store(result, acc);
        for (int p = 0; p < W && group + p < factor; ++p) out[group + p] = result[p];
    }
}

void upsampleFrames4(const float* matrix, int lanes, int taps, const float* newest, float* out, int factor, std::size_t frames) noexcept {
    for (std::size_t i = 0; i < frames; ++i) upsampleFrameBody<4>(matrix, lanes, taps, newest + i, out + i * factor, factor);
}
BOUNCE_WIDE_AVX void upsampleFrames8(const float* matrix, int lanes, int taps, const float* newest, float* out, int factor,
                                     std::size_t frames) noexcept {
    for (std::size_t i = 0; i < frames; ++i) upsampleFrameBody<8>(matrix, lanes, taps, newest + i, out + i * factor, factor);
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
#if defined(__GNUC__)
    return wideKernels() ? dotProduct8(a, b, n) : dotProduct4(a, b, n);
#else
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
#endif
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

float* Oversampler::upsample(int channel, const float* input, std::size_t frames) noexcept {
    Channel& c = channels_[static_cast<std::size_t>(channel)];
    const std::size_t history = static_cast<std::size_t>(tapsPerPhase_ - 1);
    float* in = c.input.data();
    for (std::size_t i = 0; i < frames; ++i) in[history + i] = std::isfinite(input[i]) ? input[i] : 0.0f;
    float* out = c.oversampled.data() + (taps_ - 1);
    const float* matrix = upMatrix_.data();
#if defined(__GNUC__)
    // Eight phases per vector where there are eight (factors 8 and 16) and the CPU has AVX.
    if (wideKernels() && upLanes_ >= 8) {
        upsampleFrames8(matrix, upLanes_, tapsPerPhase_, in + history, out, factor_, frames);
    } else {
        upsampleFrames4(matrix, upLanes_, tapsPerPhase_, in + history, out, factor_, frames);
    }
#else
    for (std::size_t i = 0; i < frames; ++i) {
        const float* newest = in + history + i;
        float* o = out + i * static_cast<std::size_t>(factor_);
        for (int p = 0; p < factor_; ++p) {
            float result = 0.0f;
            for (int m = 0; m < tapsPerPhase_; ++m) result += matrix[m * upLanes_ + p] * newest[-m];
            o[p] = result;
        }
    }
#endif
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
