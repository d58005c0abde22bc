// Second-order IIR sections: coefficients and their analytic response.
//
// Coefficients follow the convention H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)
// (a0 normalised to 1), as in the RBJ Audio EQ Cookbook and ITU-R BS.1770.
#pragma once

namespace bounce {

struct BiquadCoefficients {
    double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;

    // |H(e^jw)| in dB at `freqHz` for a filter running at `sampleRate`.
    double magnitudeDb(double freqHz, double sampleRate) const noexcept;
};

}  // namespace bounce
