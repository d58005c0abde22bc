#include "bounce/k_weighting.h"

#include <cmath>
#include <numbers>

namespace bounce {

KWeighting KWeighting::design(double sampleRate) {
    KWeighting k;
    k.sampleRate = sampleRate;

    // Stage 1, high shelf: centre 1681.97 Hz, +4.0 dB, Q 0.7072.
    {
        const double f0 = 1681.974450955533;
        const double gainDb = 3.999843853973347;
        const double q = 0.7071752369554196;
        const double K = std::tan(std::numbers::pi * f0 / sampleRate);
        const double vh = std::pow(10.0, gainDb / 20.0);
        const double vb = std::pow(vh, 0.4996667741545416);
        const double a0 = 1.0 + K / q + K * K;
        k.shelf.b0 = (vh + vb * K / q + K * K) / a0;
        k.shelf.b1 = 2.0 * (K * K - vh) / a0;
        k.shelf.b2 = (vh - vb * K / q + K * K) / a0;
        k.shelf.a1 = 2.0 * (K * K - 1.0) / a0;
        k.shelf.a2 = (1.0 - K / q + K * K) / a0;
    }
    // Stage 2, RLB high-pass: 38.135 Hz, Q 0.5003. BS.1770 keeps the numerator at
    // (1, -2, 1) rather than normalising the passband gain, and so do we.
    {
        const double f0 = 38.13547087602444;
        const double q = 0.5003270373238773;
        const double K = std::tan(std::numbers::pi * f0 / sampleRate);
        const double a0 = 1.0 + K / q + K * K;
        k.highPass.b0 = 1.0;
        k.highPass.b1 = -2.0;
        k.highPass.b2 = 1.0;
        k.highPass.a1 = 2.0 * (K * K - 1.0) / a0;
        k.highPass.a2 = (1.0 - K / q + K * K) / a0;
    }
    return k;
}

}  // namespace bounce
