// Which vector width the hot kernels use. Binaries target the x86-64 baseline (SSE2);
// where the CPU has AVX, kernels written for it run 8 floats wide instead of 4. Every
// wide kernel does, per output, exactly the arithmetic of its narrow twin in the same
// order (no FMA), so results are bit-identical whichever runs; tests switch the wide
// kernels off to check that.
#pragma once

namespace bounce {

bool wideKernels() noexcept;
// AVX2 as well (256-bit integer operations, for kernels that build floats from bits);
// false whenever wideKernels() is.
bool wideIntegerKernels() noexcept;

// Returns the previous setting. Enabling has no effect on a CPU without AVX. Not for use
// while audio is being processed on another thread.
bool setWideKernels(bool enabled) noexcept;

}  // namespace bounce
