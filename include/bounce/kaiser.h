// The Kaiser window, shared by every windowed-sinc design in Bounce (true-peak
// interpolator, oversampler, linear-phase EQ).
#pragma once

namespace bounce {

// Zeroth-order modified Bessel function of the first kind, by its power series.
double besselI0(double x) noexcept;

// Kaiser window at `position` in [-1, 1] (0 at the centre), shape `beta`; 0 outside.
double kaiserWindow(double position, double beta) noexcept;

}  // namespace bounce
