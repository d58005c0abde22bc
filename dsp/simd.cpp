#include "bounce/simd.h"

namespace bounce {
namespace {

bool cpuHasAvx() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx");
#else
    return false;
#endif
}

bool cpuHasAvx2() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

bool gWide = cpuHasAvx();
const bool gAvx2 = cpuHasAvx2();

}  // namespace

bool wideKernels() noexcept { return gWide; }
bool wideIntegerKernels() noexcept { return gWide && gAvx2; }

bool setWideKernels(bool enabled) noexcept {
    const bool previous = gWide;
    gWide = enabled && cpuHasAvx();
    return previous;
}

}  // namespace bounce
