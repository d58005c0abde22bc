#include "bounce/true_peak.h"

#include "bounce/kaiser.h"
#include "bounce/oversampler.h"
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

using Screen = std::array<std::array<float, TruePeakDetector::kScreenTaps>, TruePeakDetector::kOversampling>;

// Taps of a Kaiser-windowed sinc of `taps` points interpolating at `fraction` (0 <= f < 1)
// past the centre sample; tap k multiplies the sample k - (taps / 2 - 1) after the centre.
// Normalised to unity at DC (the window's sum is not exactly 1 off the grid).
std::vector<double> windowedSinc(int taps, double beta, double fraction) {
    std::vector<double> h(static_cast<std::size_t>(taps));
    double sum = 0.0;
    for (int k = 0; k < taps; ++k) {
        const double t = fraction - (k - (taps / 2 - 1));  // distance from that sample
        const double x = std::numbers::pi * t;
        const double sinc = t == 0.0 ? 1.0 : std::sin(x) / x;
        // The window unnormalised (kaiserWindow without its constant 1 / I0(beta)): the
        // normalisation to unity at DC below takes care of the scale.
        const double position = t / (taps / 2.0);
        h[static_cast<std::size_t>(k)] = std::fabs(position) > 1.0 ? 0.0 : sinc * besselI0(beta * std::sqrt(1.0 - position * position));
        sum += h[static_cast<std::size_t>(k)];
    }
    for (double& v : h) v /= sum;
    return h;
}

// The reconstruction filter at kFinePhases positions per sample, built once and shared by
// every detector (256 KB, read-only after its construction).
struct ReconstructionTable {
    static constexpr int n = TruePeakDetector::kReconstructionTaps;
    std::vector<float> taps;  // [phase][n]
    ReconstructionTable() : taps(static_cast<std::size_t>(TruePeakDetector::kFinePhases) * n) {
        // Phase P - p is phase p reversed (the distances from the samples change sign and
        // sinc and window are even), so half the phases are computed.
        constexpr int P = TruePeakDetector::kFinePhases;
        for (int p = 0; p <= P / 2; ++p) {
            const auto h = windowedSinc(n, TruePeakDetector::kReconstructionKaiserBeta, static_cast<double>(p) / P);
            for (int k = 0; k < n; ++k) {
                const auto v = static_cast<float>(h[static_cast<std::size_t>(k)]);
                taps[static_cast<std::size_t>(p) * n + static_cast<std::size_t>(k)] = v;
                if (p > 0 && p < P / 2) taps[static_cast<std::size_t>(P - p) * n + static_cast<std::size_t>(n - 1 - k)] = v;
            }
        }
    }
    const float* phase(int p) const noexcept { return taps.data() + static_cast<std::size_t>(p) * n; }
};

const ReconstructionTable& reconstructionTable() {
    static const ReconstructionTable table;
    return table;
}

// Parabola through (-1, y0), (0, y1), (1, y2): the vertex offset, clamped to [-0.5, 0.5]
// (0 when the three points do not bend down).
double vertexOffset(double y0, double y1, double y2) noexcept {
    const double den = y0 - 2.0 * y1 + y2;
    if (!(den < 0.0)) return 0.0;
    return std::clamp(0.5 * (y0 - y2) / den, -0.5, 0.5);
}

// The most a crest of the screen's reconstruction can rise above its 4x grid: a signal
// band-limited to fs/2 bends at most (pi fs)^2 |x|max (Bernstein's inequality), so half a
// grid step (1/8 sample) from its crest it is down at most (pi/8)^2 / 2 = 7.7 % (0.69 dB).
// 0.75 dB, for the screen's own slight excess over fs/2.
constexpr float kGridMiss = 1.0902954f;  // 10^(0.75/20)
// The parabola through a crest's grid points can fall short of the crest; by far less than
// this (0.1 dB) for content up to 0.49 fs.
constexpr float kParabolaMiss = 1.0115795f;  // 10^(0.1/20)
// The first tail bound covers this many outputs at once (a quarter of a chunk).
constexpr std::size_t kTailSpan = 256;

// The screen's hot loop. Consecutive outputs of one phase are computed together: each tap
// is one multiply-add of a broadcast coefficient with neighbouring inputs (an unaligned
// load), so no shuffles are needed. Phase 0 is the sample itself. `w` points at the first
// sample output 0 reads; output i reads w[i .. i + n - 1] and its centre is w[i + n/2 - 1].
// A group whose inputs are small enough that neither the screen nor the reconstruction can
// pass `skipAtOrBelow` (span x bound + the group's tail bound) is written as its samples.
// max(x, m) keeps m when x is NaN, so a NaN never becomes a reading.
#if defined(__GNUC__)
template <typename F>
BOUNCE_KERNEL F absv(F v) noexcept {
    using I = typename simd::FloatLanes<sizeof(F) / sizeof(float)>::I;
    return (F)((I)v & 0x7fffffff);
}

// The largest lane, in MAXPS's order (8 lanes: halves first; then as SSE's movehl and
// max_ss), so the bits do not depend on the width.
BOUNCE_KERNEL float largestLane(simd::Float4 m) noexcept {
    m = simd::maxps(m, __builtin_shufflevector(m, m, 2, 3, 2, 3));
    return m[0] > m[1] ? m[0] : m[1];
}
BOUNCE_KERNEL float largestLane(simd::Float8 m) noexcept {
    return largestLane(simd::maxps(__builtin_shufflevector(m, m, 0, 1, 2, 3), __builtin_shufflevector(m, m, 4, 5, 6, 7)));
}

// Outputs from `start` in groups of W; returns where the groups end.
template <int W>
BOUNCE_KERNEL std::size_t screenBody(std::size_t start, const float* w, std::size_t count, const Screen& taps, float* out,
                                     float& samplePeakOut, float bound, const float* tails, float skipAtOrBelow) noexcept {
    using F = typename simd::FloatLanes<W>::F;
    constexpr int n = TruePeakDetector::kScreenTaps;
    F samplePeak = simd::splat<F>(samplePeakOut);
    std::size_t i = start;
    for (; i + W <= count; i += W) {
        F lane = simd::maxps(absv(simd::load<F>(w + i + n / 2 - 1)), F{});
        samplePeak = simd::maxps(lane, samplePeak);
        // The W outputs read w[i .. i + n + W - 2].
        F span = absv(simd::load<F>(w + i + n - 1));
        for (int k = 0; k < n; k += W) span = simd::maxps(span, absv(simd::load<F>(w + i + k)));
        if (largestLane(span) * bound + tails[i >> 3] <= skipAtOrBelow) {
            simd::store(out + i, lane);
            continue;
        }
        F a1{}, a2{}, a3{};
        for (int k = 0; k < n; ++k) {
            const F x = simd::load<F>(w + i + k);
            a1 = a1 + taps[1][static_cast<std::size_t>(k)] * x;
            a2 = a2 + taps[2][static_cast<std::size_t>(k)] * x;
            a3 = a3 + taps[3][static_cast<std::size_t>(k)] * x;
        }
        lane = simd::maxps(absv(a1), lane);
        lane = simd::maxps(absv(a2), lane);
        lane = simd::maxps(absv(a3), lane);
        simd::store(out + i, lane);
    }
    // The lanes are never NaN (max with 0 above), so their order does not matter.
    float lanes[W];
    simd::store(lanes, samplePeak);
    for (float v : lanes) samplePeakOut = std::max(samplePeakOut, v);
    return i;
}

// Not inlined into processChunk: there it made the narrow path 5 to 8 % slower (measured
// with a floor, in the limiter's use), as screen8 is a call of its own too.
__attribute__((noinline)) std::size_t screen4(std::size_t start, const float* w, std::size_t count, const Screen& taps, float* out,
                                              float& samplePeakOut, float bound, const float* tails, float skipAtOrBelow) noexcept {
    return screenBody<4>(start, w, count, taps, out, samplePeakOut, bound, tails, skipAtOrBelow);
}
BOUNCE_WIDE_AVX std::size_t screen8(std::size_t start, const float* w, std::size_t count, const Screen& taps, float* out,
                                    float& samplePeakOut, float bound, const float* tails, float skipAtOrBelow) noexcept {
    return screenBody<8>(start, w, count, taps, out, samplePeakOut, bound, tails, skipAtOrBelow);
}
#endif

// The alternating partial sums (samples at even indices add, odd ones subtract) over
// `blocks` whole blocks of 8 from `x` (whose first sample is at an even index), four blocks
// at a time: each block's sums relative to its start are independent of the others, so
// they are computed side by side (a 4 x 8 transpose puts sample k of each block in one
// vector); the running sum then carries one addition per block. `mins` and `maxs` get each
// block's extremes. Returns the blocks done (a multiple of 4).
__attribute__((target("avx"))) std::size_t alternatingSumsAvx(const float* x, std::size_t blocks, double& sum, double* mins,
                                                              double* maxs) noexcept {
    std::size_t b = 0;
    double running = sum;
    for (; b + 4 <= blocks; b += 4) {
        const float* p = x + 8 * b;
        const __m256 r0 = _mm256_loadu_ps(p), r1 = _mm256_loadu_ps(p + 8), r2 = _mm256_loadu_ps(p + 16), r3 = _mm256_loadu_ps(p + 24);
        const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
        const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        // u_k holds sample k (low half) and sample k + 4 (high half) of the four blocks.
        const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        const __m256d c0 = _mm256_cvtps_pd(_mm256_castps256_ps128(u0)), c4 = _mm256_cvtps_pd(_mm256_extractf128_ps(u0, 1));
        const __m256d c1 = _mm256_cvtps_pd(_mm256_castps256_ps128(u1)), c5 = _mm256_cvtps_pd(_mm256_extractf128_ps(u1, 1));
        const __m256d c2 = _mm256_cvtps_pd(_mm256_castps256_ps128(u2)), c6 = _mm256_cvtps_pd(_mm256_extractf128_ps(u2, 1));
        const __m256d c3 = _mm256_cvtps_pd(_mm256_castps256_ps128(u3)), c7 = _mm256_cvtps_pd(_mm256_extractf128_ps(u3, 1));
        const __m256d l2 = _mm256_sub_pd(c0, c1), l4 = _mm256_add_pd(l2, _mm256_sub_pd(c2, c3));
        const __m256d l6 = _mm256_add_pd(l4, _mm256_sub_pd(c4, c5)),
                      l8 = _mm256_add_pd(l4, _mm256_add_pd(_mm256_sub_pd(c4, c5), _mm256_sub_pd(c6, c7)));
        const __m256d l1 = c0, l3 = _mm256_add_pd(l2, c2), l5 = _mm256_add_pd(l4, c4), l7 = _mm256_add_pd(l6, c6);
        const __m256d lo = _mm256_min_pd(_mm256_min_pd(_mm256_min_pd(l1, l2), _mm256_min_pd(l3, l4)),
                                         _mm256_min_pd(_mm256_min_pd(l5, l6), _mm256_min_pd(l7, l8)));
        const __m256d hi = _mm256_max_pd(_mm256_max_pd(_mm256_max_pd(l1, l2), _mm256_max_pd(l3, l4)),
                                         _mm256_max_pd(_mm256_max_pd(l5, l6), _mm256_max_pd(l7, l8)));
        alignas(32) double total[4];
        _mm256_store_pd(total, l8);
        alignas(32) double start[4];
        start[0] = running;
        start[1] = start[0] + total[0];
        start[2] = start[1] + total[1];
        start[3] = start[2] + total[2];
        running = start[3] + total[3];
        // Rounding is monotonic, so the start plus the relative extreme is the extreme of
        // the start plus each relative sum.
        const __m256d s = _mm256_load_pd(start);
        _mm256_storeu_pd(mins + b, _mm256_add_pd(s, lo));
        _mm256_storeu_pd(maxs + b, _mm256_add_pd(s, hi));
    }
    sum = running;
    return b;
}

void screenKernel(const float* w, std::size_t count, const Screen& taps, float* out, float& samplePeakOut, float bound, const float* tails,
                  float skipAtOrBelow) noexcept {
    constexpr int n = TruePeakDetector::kScreenTaps;
    std::size_t i = 0;
#if defined(__GNUC__)
    // Groups of 8 where the CPU has AVX, then of 4, then one by one.
    if (wideKernels()) i = screen8(i, w, count, taps, out, samplePeakOut, bound, tails, skipAtOrBelow);
    i = screen4(i, w, count, taps, out, samplePeakOut, bound, tails, skipAtOrBelow);
#endif
    for (; i < count; ++i) {
        const float s = std::fabs(w[i + n / 2 - 1]);
        float lane = s > 0.0f ? s : 0.0f;
        if (lane > samplePeakOut) samplePeakOut = lane;
        float span = 0.0f;
        for (int k = 0; k < n; ++k) span = std::max(span, std::fabs(w[i + static_cast<std::size_t>(k)]));
        if (span * bound + tails[i >> 3] > skipAtOrBelow) {
            for (int p = 1; p < TruePeakDetector::kOversampling; ++p) {
                float acc = 0.0f;
                for (int k = 0; k < n; ++k)
                    acc += taps[static_cast<std::size_t>(p)][static_cast<std::size_t>(k)] * w[i + static_cast<std::size_t>(k)];
                const float a = std::fabs(acc);
                if (a > lane) lane = a;
            }
        }
        out[i] = lane;
    }
}

}  // namespace

const float* TruePeakDetector::reconstructionTaps(int phaseIndex) noexcept { return reconstructionTable().phase(phaseIndex); }

namespace {

// The screen's taps and the bounds on both filters: the same for every detector, so
// computed once (a few hundred thousand Kaiser windows).
struct FilterBounds {
    std::array<std::array<float, TruePeakDetector::kScreenTaps>, TruePeakDetector::kOversampling> screen{};
    float screenBound = 1.0f;
    std::array<double, TruePeakDetector::kZones> zoneVariation{};
    FilterBounds();
};

const FilterBounds& filterBounds() {
    static const FilterBounds bounds;
    return bounds;
}

FilterBounds::FilterBounds() {
    constexpr int n = TruePeakDetector::kScreenTaps, N = TruePeakDetector::kReconstructionTaps;
    constexpr int kZones = TruePeakDetector::kZones, kZoneRadius = TruePeakDetector::kZoneRadius;
    for (int p = 0; p < TruePeakDetector::kOversampling; ++p) {
        const auto h = windowedSinc(n, TruePeakDetector::kScreenKaiserBeta, static_cast<double>(p) / TruePeakDetector::kOversampling);
        for (int k = 0; k < n; ++k)
            screen[static_cast<std::size_t>(p)][static_cast<std::size_t>(k)] = static_cast<float>(h[static_cast<std::size_t>(k)]);
    }
    // The bounds hold at every position between samples, not only on the grid: the most any
    // screen-like interpolator amplifies (its sum of |taps|) and the total variation of
    // (-1)^k (reconstruction - screen), both over kFinePhases positions. Margins cover float
    // rounding of the n and N products (relative n x 2^-24, under 1e-4).
    double most = 1.0;
    for (int f = 0; f < TruePeakDetector::kFinePhases; ++f) {
        const auto near = windowedSinc(n, TruePeakDetector::kScreenKaiserBeta, static_cast<double>(f) / TruePeakDetector::kFinePhases);
        double l1 = 0.0;
        for (double v : near) l1 += std::fabs(v);
        most = std::max(most, l1);
        const float* longTaps = reconstructionTable().phase(f);
        // Both filters on the long one's index: screen tap j sits at long index j + N/2 - n/2;
        // the centre sample is long index N/2 - 1. The difference term (k, k + 1) belongs to
        // the first zone that reaches both.
        std::array<double, kZones> tv{};
        const auto e = [&](int k) {
            if (k < 0 || k >= N) return 0.0;
            const int j = k - (N / 2 - n / 2);
            const double d = static_cast<double>(longTaps[k]) - (j >= 0 && j < n ? near[static_cast<std::size_t>(j)] : 0.0);
            return (k & 1) ? -d : d;
        };
        for (int k = -1; k < N; ++k) {
            const int reach = std::max(std::abs(k - (N / 2 - 1)), std::abs(k + 1 - (N / 2 - 1)));
            int zone = 0;
            while (zone + 1 < kZones && reach > (kZoneRadius << zone)) ++zone;
            tv[static_cast<std::size_t>(zone)] += std::fabs(e(k) - e(k + 1));
        }
        for (int z = 0; z < kZones; ++z)
            zoneVariation[static_cast<std::size_t>(z)] =
                std::max(zoneVariation[static_cast<std::size_t>(z)], tv[static_cast<std::size_t>(z)]);
    }
    screenBound = static_cast<float>(std::max(most, static_cast<double>(kGridMiss)) * (1.0 + 1e-4));
    for (double& v : zoneVariation) v *= 1.0 + 1e-4;
}

}  // namespace

void TruePeakDetector::prepare(double /*sampleRate*/, Mode mode) {
    mode_ = mode;
    constexpr int n = kScreenTaps, N = kReconstructionTaps;
    const FilterBounds& bounds = filterBounds();
    screen_ = bounds.screen;
    screenBound_ = bounds.screenBound;
    zoneVariation_ = bounds.zoneVariation;
    for (int z = 0; z < kZones; ++z) {
        const std::size_t blocks = mode == Mode::Reconstruction ? static_cast<std::size_t>(kRingSamples / ((kZoneRadius / 4) << z)) : 0;
        zoneMin_[static_cast<std::size_t>(z)].assign(blocks, 0.0);
        zoneMax_[static_cast<std::size_t>(z)].assign(blocks, 0.0);
    }

    switch (mode) {
    case Mode::Reconstruction:
        // The crest search reads the reconstruction up to 1 1/4 samples past the centre.
        delay_ = N / 2 + 1;
        history_ = N + 1;
        break;
    case Mode::Screen:
        delay_ = n / 2;
        history_ = n - 1;
        break;
    case Mode::SamplePeak:
        delay_ = 0;
        history_ = 0;
        break;
    }
    window_.assign(history_ + kWindowChunks * kChunk, 0.0f);
    lanes_.assign(kChunk, 0.0f);
    tails_.assign(kChunk / 8 + 1, 0.0f);
    groupMax_.assign(kChunk / 8 + 1, 0.0f);
    blockScratchMin_.assign(kChunk / 8, 0.0);
    blockScratchMax_.assign(kChunk / 8, 0.0);
    reset();
}

void TruePeakDetector::reset() noexcept {
    std::fill(window_.begin(), window_.end(), 0.0f);
    offset_ = 0;
    samplesIn_ = 0;
    partialSum_ = 0.0;
    for (auto& v : zoneMin_) std::fill(v.begin(), v.end(), 0.0);
    for (auto& v : zoneMax_) std::fill(v.begin(), v.end(), 0.0);
    peak_ = 0.0f;
    samplePeak_ = 0.0f;
}

void TruePeakDetector::process(const float* samples, std::size_t count, float* peaks, float floor) noexcept {
    if (mode_ == Mode::SamplePeak) {
        for (std::size_t i = 0; i < count; ++i) {
            const float a = std::isfinite(samples[i]) ? std::fabs(samples[i]) : 0.0f;
            if (a > samplePeak_) samplePeak_ = a;
            if (peaks) peaks[i] = a;
        }
        peak_ = samplePeak_;
        return;
    }
    while (count > 0) {
        const std::size_t chunk = std::min(count, kChunk);
        // NaN and infinity have no true peak; read them as silence so one bad sample cannot
        // become the reading (or a limiter's gain).
        // The history slides along the buffer and moves back to the front only when the next
        // chunk would not fit (once in kWindowChunks chunks).
        if (offset_ + history_ + chunk > window_.size()) {
            std::memmove(window_.data(), window_.data() + offset_, history_ * sizeof(float));
            offset_ = 0;
        }
        float* fresh = window_.data() + offset_ + history_;
        for (std::size_t i = 0; i < chunk; ++i) fresh[i] = std::isfinite(samples[i]) ? samples[i] : 0.0f;
        processChunk(chunk, peaks, floor);
        offset_ += chunk;
        samples += chunk;
        count -= chunk;
        if (peaks) peaks += chunk;
    }
}

double TruePeakDetector::tailBound(std::uint64_t first, std::uint64_t last) const noexcept {
    // Summation by parts with S_c as the constant: |sum (S_k - S_c)(e_k - e_k+1)| <= sum over
    // zones of (range of S over the zone's reach around the centres) x (the zone's TV).
    // Reaches are widened to whole blocks and to all centres in [first, last]: larger ranges,
    // still a bound. S before the stream is 0.
    double low = 0.0, high = 0.0, bound = 0.0;
    bool any = false;
    const std::uint64_t newest = samplesIn_ - 1;
    for (int z = 0; z < kZones; ++z) {
        const std::uint64_t radius = static_cast<std::uint64_t>(kZoneRadius) << z;
        const int shift = 3 + z;  // blocks of kZoneRadius/4 << z = 8 << z samples
        const auto& mins = zoneMin_[static_cast<std::size_t>(z)];
        const auto& maxs = zoneMax_[static_cast<std::size_t>(z)];
        const std::size_t mask = mins.size() - 1;
        std::uint64_t from = first;
        if (from < radius) {
            if (!any) low = high = 0.0;
            any = true;
            from = 0;
        } else {
            from -= radius;
        }
        const std::uint64_t to = std::min(last + radius + 1, newest);
        for (std::uint64_t b = from >> shift; b <= to >> shift; ++b) {
            const double lo = mins[b & mask], hi = maxs[b & mask];
            if (!any) {
                low = lo, high = hi, any = true;
            } else {
                low = std::min(low, lo), high = std::max(high, hi);
            }
        }
        // The relative margin covers the double sums' rounding.
        bound += zoneVariation_[static_cast<std::size_t>(z)] * ((high - low) + 1e-12 * (std::fabs(high) + std::fabs(low)));
    }
    return bound;
}

float TruePeakDetector::screenAt(std::ptrdiff_t centre, int phase) const noexcept {
    constexpr int n = kScreenTaps;
    return dotProduct(screen_[static_cast<std::size_t>(phase)].data(), win() + centre - (n / 2 - 1), n);
}

float TruePeakDetector::reconstructionAt(std::ptrdiff_t centre, int finePhase) const noexcept {
    constexpr int N = kReconstructionTaps;
    centre += finePhase / kFinePhases;
    finePhase %= kFinePhases;
    if (finePhase == 0) return win()[centre];
    return dotProduct(reconstructionTable().phase(finePhase), win() + centre - (N / 2 - 1), N);
}

float TruePeakDetector::refine(std::size_t i, float threshold, float tail) noexcept {
    const std::ptrdiff_t c = static_cast<std::ptrdiff_t>(history_ + i) - delay_;
    const float sample = std::fabs(win()[c]);
    float best = sample;
    // The grid at -1/4, 0, 1/4, 1/2, 3/4, 1, 5/4 samples from the centre. Where the tail bound
    // is small against the threshold (under 15 %) the screen's grid finds the crests (it differs from the
    // reconstruction by at most `tail`); where it is not, the reconstruction's own grid does.
    const bool screenGuides = tail < 0.15f * threshold;
    float g[7];
    if (screenGuides) {
        g[0] = screenAt(c - 1, 3), g[2] = screenAt(c, 1), g[3] = screenAt(c, 2), g[4] = screenAt(c, 3), g[6] = screenAt(c + 1, 1);
    } else {
        constexpr int q = kFinePhases / kOversampling;
        g[0] = reconstructionAt(c - 1, 3 * q), g[2] = reconstructionAt(c, q), g[3] = reconstructionAt(c, 2 * q);
        g[4] = reconstructionAt(c, 3 * q), g[6] = reconstructionAt(c + 1, q);
    }
    g[1] = win()[c];
    g[5] = win()[c + 1];
    float a[7];
    for (int m = 0; m < 7; ++m) a[m] = std::fabs(g[m]);
    if (!screenGuides) best = std::max({best, a[2], a[3], a[4]});
    for (int m = 1; m <= 5; ++m) {
        if (a[m] < a[m - 1] || a[m] < a[m + 1]) continue;
        const double delta = vertexOffset(a[m - 1], a[m], a[m + 1]);
        const double estimate = a[m] - 0.25 * (a[m - 1] - a[m + 1]) * delta;
        if (static_cast<float>(estimate) * kParabolaMiss + (screenGuides ? tail : 0.0f) <= threshold) continue;
        // The crest on the reconstruction: read at the parabola's vertex and 1/32 sample either
        // side (positions on the 1/64 grid, within [c, c + 1]), then at the vertex of those.
        const auto readAt = [&](double position) {
            const int f = static_cast<int>(std::lround(std::clamp(position, 0.0, 1.0) * kFinePhases));
            return std::fabs(reconstructionAt(c, f));
        };
        const double u = (m - 1 + delta) / kOversampling;
        constexpr double h = 2.0 / kFinePhases;
        const float y0 = readAt(u - h), y1 = readAt(u), y2 = readAt(u + h);
        // The crest from the parabola through the three: over 1/16 of a sample a band-limited
        // signal is a parabola to within (pi / 16)^4 / 24 of its amplitude, 4e-5 dB, so a
        // fourth reading at the vertex would add nothing but its cost.
        const double d = vertexOffset(y0, y1, y2);
        const auto crest = static_cast<float>(y1 - 0.25 * (static_cast<double>(y0) - y2) * d);
        best = std::max({best, y0, y1, y2, crest});
    }
    return best;
}

void TruePeakDetector::processChunk(std::size_t count, float* peaks, float floor) noexcept {
    constexpr int n = kScreenTaps;
    const std::uint64_t base = samplesIn_;
    if (mode_ == Mode::Reconstruction) summarisePartialSums(base, count);
    samplesIn_ += count;
    setTailBounds(base, count);
    const float threshold = peaks ? floor : peak_;
    float* out = peaks && mode_ == Mode::Screen ? peaks : lanes_.data();
    const float* w = win() + (history_ - static_cast<std::size_t>(delay_) - (n / 2 - 1));
    screenKernel(w, count, screen_, out, samplePeak_, screenBound_, tails_.data(), threshold);

    if (mode_ == Mode::Reconstruction) {
        peak_ = refineGroups(base, count, peaks, floor);
    } else {
        float running = peak_;  // a local: peak_ could alias out[] and be reloaded every step
        for (std::size_t i = 0; i < count; ++i) running = std::max(running, out[i]);
        peak_ = running;
    }
}

// The alternating partial sums of the fresh samples, summarised per block at every zone's
// block size (a block may span chunks: it starts over at its first sample): what
// tailBound() reads.
void TruePeakDetector::summarisePartialSums(std::uint64_t base, std::size_t count) noexcept {
    const float* fresh = win() + history_;
    auto& mins = zoneMin_[0];
    auto& maxs = zoneMax_[0];
    const std::size_t mask = mins.size() - 1;
    double sum = partialSum_;
    std::size_t i = 0;
    while (i < count) {
        const std::uint64_t j = base + i;
        const std::size_t b = (j >> 3) & mask;
#if defined(BOUNCE_HAVE_AVX_KERNEL)
        if ((j & 7) == 0 && i + 32 <= count && wideKernels()) {
            // Whole blocks, four at a time, into a scratch run of slots.
            const std::size_t blocks = std::min<std::size_t>((count - i) / 8, blockScratchMin_.size());
            const std::size_t done = alternatingSumsAvx(fresh + i, blocks, sum, blockScratchMin_.data(), blockScratchMax_.data());
            for (std::size_t k = 0; k < done; ++k) {
                mins[(b + k) & mask] = blockScratchMin_[k];
                maxs[(b + k) & mask] = blockScratchMax_[k];
            }
            i += 8 * done;
            continue;
        }
#endif
        if ((j & 7) == 0 && i + 8 <= count) {
            // A whole block: its sums relative to its start (the even ones from pair
            // differences, a dependency chain of 2 adds instead of 8; the odd ones from
            // those), then the start added to the extremes: the arithmetic of
            // alternatingSumsAvx, so both give the same bits.
            double x[8];
            for (int k = 0; k < 8; ++k) x[k] = static_cast<double>(fresh[i + static_cast<std::size_t>(k)]);
            const double l2 = x[0] - x[1], l4 = l2 + (x[2] - x[3]), l6 = l4 + (x[4] - x[5]), l8 = l4 + ((x[4] - x[5]) + (x[6] - x[7]));
            const double l1 = x[0], l3 = l2 + x[2], l5 = l4 + x[4], l7 = l6 + x[6];
            // As _mm256_min_pd and _mm256_max_pd (the second operand where either is NaN).
            const auto mn = [](double a, double c) { return a < c ? a : c; };
            const auto mx = [](double a, double c) { return a > c ? a : c; };
            mins[b] = sum + mn(mn(mn(l1, l2), mn(l3, l4)), mn(mn(l5, l6), mn(l7, l8)));
            maxs[b] = sum + mx(mx(mx(l1, l2), mx(l3, l4)), mx(mx(l5, l6), mx(l7, l8)));
            sum += l8;
            i += 8;
            continue;
        }
        // The rest of this block of 8 (all of it, unless the chunk cuts it).
        const std::size_t end = std::min(count, i + (8 - (j & 7)));
        double lo = (j & 7) == 0 ? 1e300 : mins[b], hi = (j & 7) == 0 ? -1e300 : maxs[b];
        // Samples at even absolute indices add, odd ones subtract.
        double sign = (j & 1) ? -1.0 : 1.0;
        for (; i < end; ++i, sign = -sign) {
            sum += sign * static_cast<double>(fresh[i]);
            lo = std::min(lo, sum);
            hi = std::max(hi, sum);
        }
        mins[b] = lo;
        maxs[b] = hi;
    }
    partialSum_ = sum;
    // Coarser blocks from their two halves, for the blocks this chunk touched.
    for (int z = 1; z < kZones; ++z) {
        const int shift = 3 + z;
        const auto& fineMin = zoneMin_[static_cast<std::size_t>(z - 1)];
        const auto& fineMax = zoneMax_[static_cast<std::size_t>(z - 1)];
        auto& mins = zoneMin_[static_cast<std::size_t>(z)];
        auto& maxs = zoneMax_[static_cast<std::size_t>(z)];
        const std::uint64_t newest = base + count - 1;
        for (std::uint64_t b = base >> shift; b <= newest >> shift; ++b) {
            const std::uint64_t left = 2 * b, right = 2 * b + 1;
            const std::size_t slot = b & (mins.size() - 1), l = left & (fineMin.size() - 1), r = right & (fineMin.size() - 1);
            double lo = fineMin[l], hi = fineMax[l];
            if ((right << (shift - 1)) <= newest) lo = std::min(lo, fineMin[r]), hi = std::max(hi, fineMax[r]);
            mins[slot] = lo;
            maxs[slot] = hi;
        }
    }
}

// The tail bound for the centres of each kTailSpan outputs (from base - delay) as a whole:
// looser than per group, and enough to skip most of a programme (spans of a whole chunk
// skipped less: bounce analyze took 7 % longer). A group that this bound does not settle
// gets its own, tighter bound (refineGroups).
void TruePeakDetector::setTailBounds(std::uint64_t base, std::size_t count) noexcept {
    const auto d = static_cast<std::uint64_t>(delay_);
    const auto centreOf = [&](std::uint64_t output) { return base + output >= d ? base + output - d : 0; };
    for (std::size_t from = 0; from < count; from += kTailSpan) {
        const std::size_t to = std::min(count, from + kTailSpan);
        const float spanTail =
            mode_ == Mode::Reconstruction ? static_cast<float>(tailBound(centreOf(from), centreOf(to - 1))) * (1.0f + 1e-4f) : 0.0f;
        for (std::size_t g = from / 8; g * 8 < to; ++g) tails_[g] = spanTail;
    }
}

// The screen's values (lanes_) made readings: groups of 8 whose screen value and tail bound
// cannot reach the reading (or the caller's floor) stand; in the others each output that
// might is refined on the reconstruction. Returns the new reading.
float TruePeakDetector::refineGroups(std::uint64_t base, std::size_t count, float* peaks, float floor) noexcept {
    const auto d = static_cast<std::uint64_t>(delay_);
    const auto centreOf = [&](std::uint64_t output) { return base + output >= d ? base + output - d : 0; };
    std::size_t tightened = static_cast<std::size_t>(-1);
    const auto groupTail = [&](std::size_t g) {
        if (g != tightened) {
            tightened = g;
            tails_[g] = static_cast<float>(tailBound(centreOf(g * 8), centreOf(std::min(count, g * 8 + 8) - 1))) * (1.0f + 1e-4f);
        }
        return tails_[g];
    };
    float running = peak_;
    // The largest screen value of each group of 8 outputs (the groups share a tail bound).
    const std::size_t groups = (count + 7) / 8;
    for (std::size_t g = 0; g < groups; ++g) groupMax_[g] = largestValue(lanes_.data() + g * 8, std::min<std::size_t>(8, count - g * 8));
    // For a reading, the chunk's own crest is at least its largest screen value less
    // that value's tail bound: nothing below that needs the reconstruction.
    float atLeast = running;
    if (!peaks)
        for (std::size_t g = 0; g < groups; ++g) atLeast = std::max(atLeast, groupMax_[g] - tails_[g]);
    for (std::size_t g = 0; g < groups; ++g) {
        const std::size_t end = std::min(count, g * 8 + 8);
        if (groupMax_[g] * kGridMiss + tails_[g] <= (peaks ? floor : std::max(running, atLeast))) {
            // Nothing in the group can reach the reading (or the caller's floor): its
            // screen values stand.
            running = std::max(running, groupMax_[g]);
            if (peaks) std::copy(lanes_.data() + g * 8, lanes_.data() + end, peaks + g * 8);
            continue;
        }
        for (std::size_t i = g * 8; i < end; ++i) {
            const float limit = peaks ? floor : std::max(running, atLeast);
            float lane = lanes_[i];
            if (lane * kGridMiss + tails_[g] > limit) {
                const float tail = groupTail(g);
                if (lane * kGridMiss + tail > limit) lane = refine(i, limit, tail);
            }
            running = std::max(running, lane);
            if (peaks) peaks[i] = lane;
        }
    }
    return running;
}

double TruePeakDetector::samplePeak() const noexcept {
    // The newest delay_ samples have not reached the centre yet.
    float peak = samplePeak_;
    for (std::size_t k = history_ - static_cast<std::size_t>(delay_); k < history_ && !window_.empty(); ++k)
        peak = std::max(std::fabs(win()[k]), peak);
    return peak;
}

double TruePeakDetector::peak() const {
    if (mode_ == Mode::SamplePeak) return samplePeak_;
    if (window_.empty()) return 0.0;
    // The reading lags by delay_ samples, and the reconstruction rings on past the last
    // sample: run a copy on through zeros until the ringing has been read.
    TruePeakDetector rest = *this;
    const std::vector<float> zeros(static_cast<std::size_t>(delay_) + 2, 0.0f);
    rest.process(zeros.data(), zeros.size());
    return std::max(rest.peak_, rest.samplePeak_);
}

}  // namespace bounce
