#include "bounce/kaiser.h"

#include <cmath>

namespace bounce {

double besselI0(double x) noexcept {
    // Converges quickly for the arguments windows use (x up to ~20).
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 100; ++k) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

double kaiserWindow(double position, double beta) noexcept {
    if (std::fabs(position) > 1.0) return 0.0;
    return besselI0(beta * std::sqrt(1.0 - position * position)) / besselI0(beta);
}

}  // namespace bounce
