#include "bounce/biquad.h"

#include <cmath>
#include <complex>
#include <numbers>

namespace bounce {

double BiquadCoefficients::magnitudeDb(double freqHz, double sampleRate) const noexcept {
    const double w = 2.0 * std::numbers::pi * freqHz / sampleRate;
    const std::complex<double> z1 = std::polar(1.0, -w);
    const std::complex<double> z2 = z1 * z1;
    const std::complex<double> h = (b0 + b1 * z1 + b2 * z2) / (1.0 + a1 * z1 + a2 * z2);
    return 20.0 * std::log10(std::abs(h));
}

}  // namespace bounce
