// Flush denormals to zero for the lifetime of a scope.
//
// Recursive filters fed with silence decay towards the denormal range, where x86 runs
// floating-point operations 10-100x slower. Every process() call that runs a recursion
// opens one of these; it only touches the MXCSR register of the calling thread.
#pragma once

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace bounce {

class ScopedFlushDenormals {
public:
    ScopedFlushDenormals() noexcept {
#if defined(__SSE__) || defined(__x86_64__)
        saved_ = _mm_getcsr();
        _mm_setcsr(saved_ | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
#endif
    }
    ~ScopedFlushDenormals() {
#if defined(__SSE__) || defined(__x86_64__)
        _mm_setcsr(saved_);
#endif
    }
    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

private:
    unsigned int saved_ = 0;
};

}  // namespace bounce
