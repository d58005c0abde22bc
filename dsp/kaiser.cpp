#include "bounce/kaiser.h"

#include <cmath>
#include <numbers>

namespace bounce {

namespace {

// 1 / k^2 for the series' terms: a multiply per term instead of two divisions (the true-peak
// detector's shared table takes some 130 000 of these at every start).
struct InverseSquares {
    double v[100]{};
    constexpr InverseSquares() {
        for (int k = 1; k < 100; ++k) v[k] = 1.0 / (static_cast<double>(k) * k);
    }
};
constexpr InverseSquares kInverseSquares;

}  // namespace

double besselI0(double x) noexcept {
    // sum over k of ((x/2)^k / k!)^2; converges quickly for the arguments windows use (x up
    // to ~20).
    const double y = 0.25 * x * x;
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 100; ++k) {
        term *= y * kInverseSquares.v[k];
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

double kaiserWindow(double position, double beta) noexcept {
    if (std::fabs(position) > 1.0) return 0.0;
    return besselI0(beta * std::sqrt(1.0 - position * position)) / besselI0(beta);
}

std::vector<double> kaiserLowPass(int length, double cutoff, double beta) {
    std::vector<double> h(static_cast<std::size_t>(length));
    const double centre = (length - 1) / 2.0;
    double sum = 0.0;
    for (int i = 0; i < length; ++i) {
        const double t = i - centre;
        const double sinc = t == 0.0 ? 2 * cutoff : std::sin(2 * std::numbers::pi * cutoff * t) / (std::numbers::pi * t);
        h[static_cast<std::size_t>(i)] = sinc * (centre > 0.0 ? kaiserWindow(t / centre, beta) : 1.0);
        sum += h[static_cast<std::size_t>(i)];
    }
    for (auto& v : h) v /= sum;
    return h;
}

}  // namespace bounce
