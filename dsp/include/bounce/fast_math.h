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

#if defined(__GNUC__)
#include "bounce/simd.h"

namespace bounce::fast {

// log2, exp2 and tanh on a vector of single-precision lanes (4 or 8: simd::FloatLanes),
// for gain computers and waveshapers working a block at a time. One body for every width,
// the same operations in the same order per lane, so the same bits whichever width runs.
// Relative error about 1e-7 (log2, exp2; below 1e-5 dB) and 1e-6 (tanh).
template <typename F>
BOUNCE_KERNEL F log2v(F x) noexcept {
    using I = typename simd::FloatLanes<sizeof(F) / sizeof(float)>::I;
    using U = typename simd::FloatLanes<sizeof(F) / sizeof(float)>::U;
    const U bits = (U)x;
    I exponent = (I)(bits >> 23) - 127;
    F m = (F)((bits & 0x007fffffu) | 0x3f800000u);
    // Reduce m from [1, 2) to [sqrt(1/2), sqrt(2)).
    const I big = m > 1.41421356f;
    m = simd::select(big, m * 0.5f, m);
    exponent -= big;  // big lanes are -1
    // log(m) = 2 atanh(t), t = (m - 1) / (m + 1)
    const F t = (m - 1.0f) / (m + 1.0f);
    const F t2 = t * t;
    F series = t2 * (2.0f / 9) + 2.0f / 7;
    series = series * t2 + 2.0f / 5;
    series = series * t2 + 2.0f / 3;
    series = series * t2 + 2.0f;
    series = series * t;
    return __builtin_convertvector(exponent, F) + series * 1.44269504f;
}

template <typename F>
BOUNCE_KERNEL F exp2v(F x) noexcept {
    using I = typename simd::FloatLanes<sizeof(F) / sizeof(float)>::I;
    x = simd::minps(simd::maxps(x, F{} - 126.0f), F{} + 126.0f);
    // Round to nearest, ties to even (as CVTPS2DQ in the default mode): adding and taking
    // away 1.5 x 2^23 leaves the integer nearest |x| <= 2^22.
    const F rounded = (x + 12582912.0f) - 12582912.0f;
    const I n = __builtin_convertvector(rounded, I);
    const F f = (x - rounded) * 0.69314718f;
    // e^f, |f| <= ln2 / 2, Taylor to f^6.
    F e = f * (1.0f / 720) + 1.0f / 120;
    e = e * f + 1.0f / 24;
    e = e * f + 1.0f / 6;
    e = e * f + 0.5f;
    e = e * f + 1.0f;
    e = e * f + 1.0f;
    const F scale = (F)((n + 127) << 23);
    return e * scale;
}

// Odd by construction (computed on |x|, sign restored).
template <typename F>
BOUNCE_KERNEL F tanhv(F x) noexcept {
    using I = typename simd::FloatLanes<sizeof(F) / sizeof(float)>::I;
    const I signMask = I{} + static_cast<std::int32_t>(0x80000000u);
    const I sign = (I)x & signMask;
    const F a = simd::minps((F)(~signMask & (I)x), F{} + 9.0f);
    // tanh a = 1 - 2 / (e^(2a) + 1); near 0 that cancels, so use the series there.
    const F e = exp2v(a * 2.8853900818f);  // 2 / ln 2
    const F large = 1.0f - 2.0f / (e + 1.0f);
    const F a2 = a * a;
    const F small = a * (1.0f + a2 * (-1.0f / 3 + a2 * (2.0f / 15 + a2 * (-17.0f / 315))));
    const F t = simd::select(a < 0.125f, small, large);
    return (F)((I)t | sign);
}

}  // namespace bounce::fast
#endif
