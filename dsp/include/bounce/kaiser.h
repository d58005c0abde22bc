// The Kaiser window, shared by every windowed-sinc design in Bounce (true-peak
// interpolator, oversampler, linear-phase EQ).
#pragma once

#include <vector>

namespace bounce {

// Zeroth-order modified Bessel function of the first kind, by its power series.
double besselI0(double x) noexcept;

// Kaiser window at `position` in [-1, 1] (0 at the centre), shape `beta`; 0 outside.
double kaiserWindow(double position, double beta) noexcept;

// A linear-phase low-pass: `length` taps of a sinc with cutoff `cutoff` (a fraction of the
// sample rate) under a Kaiser window of shape `beta` spanning them, normalised to unity at
// DC. (The oversampler's and the limiter's guard.)
std::vector<double> kaiserLowPass(int length, double cutoff, double beta);

}  // namespace bounce
