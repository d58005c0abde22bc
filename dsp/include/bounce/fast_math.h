// Logarithm and exponential for per-sample gain computers (dB <-> linear), where the
// libm calls dominate a compressor's cost. Exponents come straight from the IEEE-754
// bits; the mantissa is reduced to [sqrt(1/2), sqrt(2)) and handled by short series, for
// errors under 1e-9 in log2 and 1e-10 relative in exp2: far below 0.0001 dB, so curves
// and time constants are unchanged to any test's tolerance.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace bounce::fast {

// log2(x) for normal x > 0; returns -1074 for x <= 0 or subnormal x.
inline double log2(double x) noexcept {
    if (!(x >= 2.2250738585072014e-308)) return -1074.0;
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;  // mantissa in [1, 2)
    double m;
    std::memcpy(&m, &bits, sizeof m);
    if (m > 1.4142135623730951) {
        m *= 0.5;
        ++exponent;
    }
    // log(m) = 2 atanh(t), t = (m - 1) / (m + 1), |t| <= 0.1716
    const double t = (m - 1.0) / (m + 1.0);
    const double t2 = t * t;
    const double series = t * (2.0 + t2 * (2.0 / 3 + t2 * (2.0 / 5 + t2 * (2.0 / 7 + t2 * (2.0 / 9 + t2 * (2.0 / 11))))));
    return exponent + series * 1.4426950408889634;  // / ln 2
}

// 2^x for |x| <= 1000.
inline double exp2(double x) noexcept {
    if (x < -1000.0) return 0.0;
    if (x > 1000.0) return HUGE_VAL;
    // Round to nearest by truncating a positive number (std::floor is a library call on
    // plain x86-64).
    const std::int64_t n = static_cast<std::int64_t>(x + 1024.5) - 1024;
    const double f = (x - static_cast<double>(n)) * 0.6931471805599453;  // |f| <= ln2 / 2
    // e^f by its Taylor series to f^8 (|error| < 5e-10 relative).
    const double e =
        1 + f * (1 + f * (1.0 / 2 + f * (1.0 / 6 + f * (1.0 / 24 + f * (1.0 / 120 + f * (1.0 / 720 + f * (1.0 / 5040 + f / 40320)))))));
    const std::uint64_t scaleBits = static_cast<std::uint64_t>(n + 1023) << 52;
    double scale;
    std::memcpy(&scale, &scaleBits, sizeof scale);
    return e * scale;
}

// 20 log10(x) and 10^(db / 20).
inline double gainToDb(double x) noexcept { return 6.020599913279624 * log2(x); }
inline double dbToGain(double db) noexcept { return exp2(db * 0.16609640474436813); }

}  // namespace bounce::fast

#if defined(__SSE2__)
#include <emmintrin.h>

namespace bounce::fast {

// Four single-precision log2 / exp2 at once (SSE2). Relative error about 1e-7, i.e.
// below 1e-5 dB: for gain computers working a block of frames at a time.
inline __m128 log2x4(__m128 x) noexcept {
    const __m128i bits = _mm_castps_si128(x);
    __m128i exponent = _mm_sub_epi32(_mm_srli_epi32(bits, 23), _mm_set1_epi32(127));
    __m128 m = _mm_castsi128_ps(_mm_or_si128(_mm_and_si128(bits, _mm_set1_epi32(0x007fffff)), _mm_set1_epi32(0x3f800000)));
    // Reduce m from [1, 2) to [sqrt(1/2), sqrt(2)).
    const __m128 big = _mm_cmpgt_ps(m, _mm_set1_ps(1.41421356f));
    m = _mm_or_ps(_mm_and_ps(big, _mm_mul_ps(m, _mm_set1_ps(0.5f))), _mm_andnot_ps(big, m));
    exponent = _mm_sub_epi32(exponent, _mm_castps_si128(big));  // big lanes are -1 as integers
    const __m128 one = _mm_set1_ps(1.0f);
    const __m128 t = _mm_div_ps(_mm_sub_ps(m, one), _mm_add_ps(m, one));
    const __m128 t2 = _mm_mul_ps(t, t);
    __m128 series = _mm_set1_ps(2.0f / 9);
    series = _mm_add_ps(_mm_mul_ps(series, t2), _mm_set1_ps(2.0f / 7));
    series = _mm_add_ps(_mm_mul_ps(series, t2), _mm_set1_ps(2.0f / 5));
    series = _mm_add_ps(_mm_mul_ps(series, t2), _mm_set1_ps(2.0f / 3));
    series = _mm_add_ps(_mm_mul_ps(series, t2), _mm_set1_ps(2.0f));
    series = _mm_mul_ps(series, t);
    return _mm_add_ps(_mm_cvtepi32_ps(exponent), _mm_mul_ps(series, _mm_set1_ps(1.44269504f)));
}

inline __m128 exp2x4(__m128 x) noexcept {
    x = _mm_min_ps(_mm_max_ps(x, _mm_set1_ps(-126.0f)), _mm_set1_ps(126.0f));
    const __m128i n = _mm_cvtps_epi32(x);  // round to nearest (the default MXCSR mode)
    const __m128 f = _mm_mul_ps(_mm_sub_ps(x, _mm_cvtepi32_ps(n)), _mm_set1_ps(0.69314718f));
    // e^f, |f| <= ln2 / 2, Taylor to f^6.
    __m128 e = _mm_set1_ps(1.0f / 720);
    e = _mm_add_ps(_mm_mul_ps(e, f), _mm_set1_ps(1.0f / 120));
    e = _mm_add_ps(_mm_mul_ps(e, f), _mm_set1_ps(1.0f / 24));
    e = _mm_add_ps(_mm_mul_ps(e, f), _mm_set1_ps(1.0f / 6));
    e = _mm_add_ps(_mm_mul_ps(e, f), _mm_set1_ps(0.5f));
    e = _mm_add_ps(_mm_mul_ps(e, f), _mm_set1_ps(1.0f));
    e = _mm_add_ps(_mm_mul_ps(e, f), _mm_set1_ps(1.0f));
    const __m128 scale = _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(n, _mm_set1_epi32(127)), 23));
    return _mm_mul_ps(e, scale);
}

}  // namespace bounce::fast
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BOUNCE_HAVE_AVX2_MATH 1

namespace bounce::fast {

// log2x4 and exp2x4 eight lanes wide, for AVX2 CPUs (chosen at run time): the same
// operations in the same order per lane, so the same bits.
__attribute__((target("avx2"))) inline __m256 log2x8(__m256 x) noexcept {
    const __m256i bits = _mm256_castps_si256(x);
    __m256i exponent = _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f800000)));
    const __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(1.41421356f), _CMP_GT_OQ);
    m = _mm256_or_ps(_mm256_and_ps(big, _mm256_mul_ps(m, _mm256_set1_ps(0.5f))), _mm256_andnot_ps(big, m));
    exponent = _mm256_sub_epi32(exponent, _mm256_castps_si256(big));
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 t = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
    const __m256 t2 = _mm256_mul_ps(t, t);
    __m256 series = _mm256_set1_ps(2.0f / 9);
    series = _mm256_add_ps(_mm256_mul_ps(series, t2), _mm256_set1_ps(2.0f / 7));
    series = _mm256_add_ps(_mm256_mul_ps(series, t2), _mm256_set1_ps(2.0f / 5));
    series = _mm256_add_ps(_mm256_mul_ps(series, t2), _mm256_set1_ps(2.0f / 3));
    series = _mm256_add_ps(_mm256_mul_ps(series, t2), _mm256_set1_ps(2.0f));
    series = _mm256_mul_ps(series, t);
    return _mm256_add_ps(_mm256_cvtepi32_ps(exponent), _mm256_mul_ps(series, _mm256_set1_ps(1.44269504f)));
}

__attribute__((target("avx2"))) inline __m256 exp2x8(__m256 x) noexcept {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-126.0f)), _mm256_set1_ps(126.0f));
    const __m256i n = _mm256_cvtps_epi32(x);
    const __m256 f = _mm256_mul_ps(_mm256_sub_ps(x, _mm256_cvtepi32_ps(n)), _mm256_set1_ps(0.69314718f));
    __m256 e = _mm256_set1_ps(1.0f / 720);
    e = _mm256_add_ps(_mm256_mul_ps(e, f), _mm256_set1_ps(1.0f / 120));
    e = _mm256_add_ps(_mm256_mul_ps(e, f), _mm256_set1_ps(1.0f / 24));
    e = _mm256_add_ps(_mm256_mul_ps(e, f), _mm256_set1_ps(1.0f / 6));
    e = _mm256_add_ps(_mm256_mul_ps(e, f), _mm256_set1_ps(0.5f));
    e = _mm256_add_ps(_mm256_mul_ps(e, f), _mm256_set1_ps(1.0f));
    e = _mm256_add_ps(_mm256_mul_ps(e, f), _mm256_set1_ps(1.0f));
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(e, scale);
}

}  // namespace bounce::fast
#endif

#if defined(__SSE2__)
namespace bounce::fast {

// Four tanh at once, odd by construction (computed on |x|, sign restored), relative error
// about 1e-6: for waveshapers, where libm's tanh per oversampled sample is the cost.
inline __m128 tanhx4(__m128 x) noexcept {
    const __m128 signMask = _mm_set1_ps(-0.0f);
    const __m128 sign = _mm_and_ps(x, signMask);
    const __m128 a = _mm_min_ps(_mm_andnot_ps(signMask, x), _mm_set1_ps(9.0f));
    // tanh a = 1 - 2 / (e^(2a) + 1); near 0 that cancels, so use the series there.
    const __m128 e = exp2x4(_mm_mul_ps(a, _mm_set1_ps(2.8853900818f)));  // 2 / ln 2
    const __m128 large = _mm_sub_ps(_mm_set1_ps(1.0f), _mm_div_ps(_mm_set1_ps(2.0f), _mm_add_ps(e, _mm_set1_ps(1.0f))));
    const __m128 a2 = _mm_mul_ps(a, a);
    const __m128 small = _mm_mul_ps(
        a, _mm_add_ps(
               _mm_set1_ps(1.0f),
               _mm_mul_ps(a2, _mm_add_ps(_mm_set1_ps(-1.0f / 3),
                                         _mm_mul_ps(a2, _mm_add_ps(_mm_set1_ps(2.0f / 15), _mm_mul_ps(a2, _mm_set1_ps(-17.0f / 315))))))));
    const __m128 useSmall = _mm_cmplt_ps(a, _mm_set1_ps(0.125f));
    const __m128 t = _mm_or_ps(_mm_and_ps(useSmall, small), _mm_andnot_ps(useSmall, large));
    return _mm_or_ps(t, sign);
}

}  // namespace bounce::fast
#endif
