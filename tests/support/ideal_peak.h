// The physical truth a true-peak promise is measured against, for tests only (not the
// product's detector): the largest magnitude of the ideal band-limited reconstruction of
// the samples (Whittaker-Shannon: a sum of sincs, what a perfect converter outputs), the
// signal being zero before the first sample and after the last.
//
// Method: FFT interpolation in double precision of overlapping segments (each evaluated
// over its central 32768 samples, with 16384 samples of real context on either side,
// so a truncated sinc tail contributes below 1e-4 of full scale), 32x, then a parabola
// through the largest grid point and its neighbours. The reconstruction is read from
// 4096 samples before the first sample to 4096 after the last (it rings past the ends).
// Independent of analysis/true_peak.cpp by construction: no filter design is shared.
#pragma once

#include "bounce/audio_buffer.h"

#include <cstddef>

namespace bounce::test {

// Linear peak of one channel's reconstruction.
double idealTruePeak(const float* samples, std::size_t count);
// Largest over the channels, in dBTP.
double idealTruePeakDbtp(ConstAudioView audio);

}  // namespace bounce::test
