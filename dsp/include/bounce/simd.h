// Which vector width the hot kernels use. Binaries target the x86-64 baseline (SSE2);
// where the CPU has AVX, kernels written for it run 8 floats wide instead of 4. Every
// wide kernel does, per output, exactly the arithmetic of its narrow twin in the same
// order (no FMA), so results are bit-identical whichever runs; tests switch the wide
// kernels off to check that.
#pragma once

#include <cstdint>
#include <cstring>

namespace bounce {

bool wideKernels() noexcept;
// AVX2 as well (256-bit integer operations, for kernels that build floats from bits);
// false whenever wideKernels() is.
bool wideIntegerKernels() noexcept;

// Returns the previous setting. Enabling has no effect on a CPU without AVX. Not for use
// while audio is being processed on another thread.
bool setWideKernels(bool enabled) noexcept;

}  // namespace bounce

#if defined(__GNUC__)
// The vector types every kernel uses (GCC's vector extensions: +, -, *, /, comparisons
// giving -1/0 lane masks, and bit operations on the integer types), and the width chosen
// by a template parameter: one body serves 4 lanes (SSE2, the baseline) and 8 (AVX or
// AVX2, inlined into a function compiled for it: BOUNCE_WIDE_AVX / BOUNCE_WIDE_AVX2).
namespace bounce::simd {

#define BOUNCE_KERNEL inline __attribute__((always_inline))
#define BOUNCE_WIDE_AVX __attribute__((target("avx")))
#define BOUNCE_WIDE_AVX2 __attribute__((target("avx2")))

using Double2 = double __attribute__((vector_size(16)));
using Double4 = double __attribute__((vector_size(32)));
using Mask2 = long long __attribute__((vector_size(16)));  // Double2's comparisons
using Float4 = float __attribute__((vector_size(16)));
using Float8 = float __attribute__((vector_size(32)));
using Int4 = std::int32_t __attribute__((vector_size(16)));
using Int8 = std::int32_t __attribute__((vector_size(32)));
using UInt4 = std::uint32_t __attribute__((vector_size(16)));
using UInt8 = std::uint32_t __attribute__((vector_size(32)));

template <int W>
struct FloatLanes;
template <>
struct FloatLanes<4> {
    using F = Float4;
    using I = Int4;
    using U = UInt4;
};
template <>
struct FloatLanes<8> {
    using F = Float8;
    using I = Int8;
    using U = UInt8;
};

// Unaligned load and store (memcpy: the compiler emits one vector move).
template <typename V>
BOUNCE_KERNEL V load(const void* p) noexcept {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <typename V>
BOUNCE_KERNEL void store(void* p, V v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

// Every lane x (exactly, -0 included).
// (A shuffle of lane 0: built lane by lane, the vector becomes a chain of inserts. In a hot
// loop, `scalar * vector` is better still: GCC broadcasts the scalar from memory.)
template <typename F>
BOUNCE_KERNEL F splat(float x) noexcept {
    static_assert(sizeof(F) == 16 || sizeof(F) == 32);
    F v{};
    v[0] = x;
    if constexpr (sizeof(F) == 16) {
        return __builtin_shufflevector(v, v, 0, 0, 0, 0);
    } else {
        return __builtin_shufflevector(v, v, 0, 0, 0, 0, 0, 0, 0, 0);
    }
}

// The lane-wise select of a comparison mask (-1 lanes take a, 0 lanes take b), bit for
// bit as SSE's and/andnot/or.
template <typename F, typename I>
BOUNCE_KERNEL F select(I mask, F a, F b) noexcept {
    return (F)((mask & (I)a) | (~mask & (I)b));
}

// max and min as MAXPS and MINPS compute them (the second operand where either is NaN, or
// where they are equal), so a kernel's bits do not depend on the instruction set.
template <typename F>
BOUNCE_KERNEL F maxps(F a, F b) noexcept {
    return a > b ? a : b;
}
template <typename F>
BOUNCE_KERNEL F minps(F a, F b) noexcept {
    return a < b ? a : b;
}

}  // namespace bounce::simd
#endif
