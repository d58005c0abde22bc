#include "bounce/biquad.h"

#include "bounce/simd.h"

#include <algorithm>
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

namespace {

constexpr double kPi = std::numbers::pi;

// RBJ Audio EQ Cookbook.
BiquadCoefficients rbj(FilterType type, double freqHz, double q, double gainDb, double sampleRate) {
    const double w0 = 2.0 * kPi * freqHz / sampleRate;
    const double cosw = std::cos(w0), sinw = std::sin(w0);
    const double alpha = sinw / (2.0 * q);
    const double A = std::pow(10.0, gainDb / 40.0);
    double b0 = 1, b1 = 0, b2 = 0, a0 = 1, a1 = 0, a2 = 0;
    // clang-format off: the Cookbook's table, one row a filter.
    switch (type) {
    case FilterType::LowPass:
        b0 = (1 - cosw) / 2;
        b1 = 1 - cosw;
        b2 = b0;
        a0 = 1 + alpha;
        a1 = -2 * cosw;
        a2 = 1 - alpha;
        break;
    case FilterType::HighPass:
        b0 = (1 + cosw) / 2;
        b1 = -(1 + cosw);
        b2 = b0;
        a0 = 1 + alpha;
        a1 = -2 * cosw;
        a2 = 1 - alpha;
        break;
    case FilterType::BandPass:  // constant 0 dB peak gain
        b0 = alpha;
        b1 = 0;
        b2 = -alpha;
        a0 = 1 + alpha;
        a1 = -2 * cosw;
        a2 = 1 - alpha;
        break;
    case FilterType::Notch:
        b0 = 1;
        b1 = -2 * cosw;
        b2 = 1;
        a0 = 1 + alpha;
        a1 = -2 * cosw;
        a2 = 1 - alpha;
        break;
    case FilterType::AllPass:
        b0 = 1 - alpha;
        b1 = -2 * cosw;
        b2 = 1 + alpha;
        a0 = 1 + alpha;
        a1 = -2 * cosw;
        a2 = 1 - alpha;
        break;
    case FilterType::Peak:
        b0 = 1 + alpha * A;
        b1 = -2 * cosw;
        b2 = 1 - alpha * A;
        a0 = 1 + alpha / A;
        a1 = -2 * cosw;
        a2 = 1 - alpha / A;
        break;
    // clang-format on
    case FilterType::LowShelf: {
        const double k = 2 * std::sqrt(A) * alpha;
        b0 = A * ((A + 1) - (A - 1) * cosw + k);
        b1 = 2 * A * ((A - 1) - (A + 1) * cosw);
        b2 = A * ((A + 1) - (A - 1) * cosw - k);
        a0 = (A + 1) + (A - 1) * cosw + k;
        a1 = -2 * ((A - 1) + (A + 1) * cosw);
        a2 = (A + 1) + (A - 1) * cosw - k;
        break;
    }
    case FilterType::HighShelf: {
        const double k = 2 * std::sqrt(A) * alpha;
        b0 = A * ((A + 1) + (A - 1) * cosw + k);
        b1 = -2 * A * ((A - 1) + (A + 1) * cosw);
        b2 = A * ((A + 1) + (A - 1) * cosw - k);
        a0 = (A + 1) - (A - 1) * cosw + k;
        a1 = 2 * ((A - 1) - (A + 1) * cosw);
        a2 = (A + 1) - (A - 1) * cosw - k;
        break;
    }
    }
    return {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}

// Vicanek 2016. Poles by impulse invariance (exact pole positions); the numerator is
// then chosen so that |H|^2, written as B0 phi0 + B1 phi1 + B2 phi2 with
// phi1 = sin^2(w/2), phi0 = 1 - phi1, phi2 = 4 phi0 phi1, matches the analog prototype
// at DC, at the centre frequency and (where the prototype has a value there) at Nyquist.
BiquadCoefficients vicanek(FilterType type, double freqHz, double q, double gainDb, double sampleRate) {
    const double w0 = 2.0 * kPi * freqHz / sampleRate;
    const double zeta = 1.0 / (2.0 * q);
    BiquadCoefficients c;
    const double e = std::exp(-zeta * w0);
    c.a1 = zeta <= 1.0 ? -2.0 * e * std::cos(std::sqrt(1.0 - zeta * zeta) * w0) : -2.0 * e * std::cosh(std::sqrt(zeta * zeta - 1.0) * w0);
    c.a2 = e * e;
    const double A0 = (1 + c.a1 + c.a2) * (1 + c.a1 + c.a2);
    const double A1 = (1 - c.a1 + c.a2) * (1 - c.a1 + c.a2);
    const double A2 = -4 * c.a2;
    const double phi1 = std::sin(w0 / 2) * std::sin(w0 / 2);
    const double phi0 = 1 - phi1;
    const double phi2 = 4 * phi0 * phi1;
    const double denominatorAtW0 = A0 * phi0 + A1 * phi1 + A2 * phi2;
    switch (type) {
    case FilterType::LowPass: {  // H(s) = 1 / (s^2 + s/Q + 1): |H(w0)|^2 = Q^2
        const double R1 = denominatorAtW0 * q * q;
        const double B0 = A0;
        const double B1 = std::max(0.0, (R1 - B0 * phi0) / phi1);
        c.b0 = 0.5 * (std::sqrt(B0) + std::sqrt(B1));
        c.b1 = std::sqrt(B0) - c.b0;
        c.b2 = 0;
        break;
    }
    case FilterType::HighPass: {  // H(s) = s^2 / (s^2 + s/Q + 1)
        c.b0 = std::sqrt(denominatorAtW0) * q / (4 * phi1);
        c.b1 = -2 * c.b0;
        c.b2 = c.b0;
        break;
    }
    case FilterType::BandPass: {  // H(s) = (s/Q) / (s^2 + s/Q + 1): 0 dB at w0
        const double R1 = denominatorAtW0;
        const double R2 = -A0 + A1 + 4 * (phi0 - phi1) * A2;
        const double B2 = (R1 - R2 * phi1) / (4 * phi1 * phi1);
        const double B1 = R2 + 4 * (phi1 - phi0) * B2;
        c.b1 = -0.5 * std::sqrt(std::max(0.0, B1));
        c.b0 = 0.5 * (std::sqrt(std::max(0.0, B2 + c.b1 * c.b1)) - c.b1);
        c.b2 = -c.b0 - c.b1;
        break;
    }
    case FilterType::Peak: {  // H(s) = (s^2 + s G/Q + 1) / (s^2 + s/Q + 1)
        const double G = std::pow(10.0, gainDb / 20.0);
        const double R1 = denominatorAtW0 * G * G;
        const double R2 = (-A0 + A1 + 4 * (phi0 - phi1) * A2) * G * G;
        const double B0 = A0;
        const double B2 = (R1 - R2 * phi1 - B0) / (4 * phi1 * phi1);
        const double B1 = R2 + B0 + 4 * (phi1 - phi0) * B2;
        const double W = 0.5 * (std::sqrt(B0) + std::sqrt(std::max(0.0, B1)));
        c.b0 = 0.5 * (W + std::sqrt(std::max(0.0, W * W + B2)));
        c.b1 = 0.5 * (std::sqrt(B0) - std::sqrt(std::max(0.0, B1)));
        c.b2 = -B2 / (4 * c.b0);
        break;
    }
    default: return rbj(type, freqHz, q, gainDb, sampleRate);
    }
    return c;
}

}  // namespace

BiquadCoefficients designBiquad(FilterType type, double freqHz, double q, double gainDb, double sampleRate, bool matched) {
    // Keep the design inside what a second-order section can represent.
    freqHz = std::clamp(freqHz, 1.0, 0.49 * sampleRate);
    q = std::clamp(q, 0.025, 100.0);
    const bool hasMatched =
        type == FilterType::LowPass || type == FilterType::HighPass || type == FilterType::BandPass || type == FilterType::Peak;
    return matched && hasMatched ? vicanek(type, freqHz, q, gainDb, sampleRate) : rbj(type, freqHz, q, gainDb, sampleRate);
}

BiquadCoefficients designFirstOrder(FilterType type, double freqHz, double sampleRate) {
    freqHz = std::clamp(freqHz, 1.0, 0.49 * sampleRate);
    const double k = std::tan(kPi * freqHz / sampleRate);
    const double a0 = k + 1.0;
    BiquadCoefficients c;
    c.a1 = (k - 1.0) / a0;
    if (type == FilterType::HighPass) {
        c.b0 = 1.0 / a0;
        c.b1 = -1.0 / a0;
    } else {
        c.b0 = k / a0;
        c.b1 = k / a0;
    }
    return c;
}

int designButterworth(FilterType type, int order, double freqHz, double sampleRate, bool matched,
                      std::array<BiquadCoefficients, 4>& sections) {
    order = std::clamp(order, 1, 8);
    int count = 0;
    // Pole pairs of an order-n Butterworth: Q_k = 1 / (2 cos(theta_k)),
    // theta_k = (2k + 1) pi / (2n) for k < n/2.
    for (int k = 0; k < order / 2; ++k) {
        const double theta = (2.0 * k + 1.0) * kPi / (2.0 * order);
        sections[static_cast<std::size_t>(count++)] = designBiquad(type, freqHz, 1.0 / (2.0 * std::cos(theta)), 0.0, sampleRate, matched);
    }
    if (order % 2 == 1) sections[static_cast<std::size_t>(count++)] = designFirstOrder(type, freqHz, sampleRate);
    return count;
}

void BiquadCascade::prepare(int channels) {
    channels_ = channels;
    states_.assign(static_cast<std::size_t>(channels) * kMaxSections, State{});
}

void BiquadCascade::reset() noexcept { std::fill(states_.begin(), states_.end(), State{}); }

void BiquadCascade::setSections(const BiquadCoefficients* sections, int count) noexcept {
    count_ = std::clamp(count, 0, kMaxSections);
    for (int i = 0; i < kMaxSections; ++i)
        coefficients_[static_cast<std::size_t>(i)] = i < count_ ? sections[i] : BiquadCoefficients{};  // identity
}

namespace {

#if defined(__GNUC__)
using simd::Double2;
#endif

// All sections per sample, with the states in locals: section k of sample n and section
// k-1 of sample n+1 do not depend on each other, so the CPU overlaps them (a
// section-by-section loop waits on one recursion at a time). T is double for one
// channel or a 2-lane vector for a stereo pair.
template <int N, typename T, typename Load, typename Store>
void runSections(const BiquadCoefficients* coefficients, T* s1, T* s2, std::size_t frames, Load load, Store store) noexcept {
    T b0[N], b1[N], b2[N], a1[N], a2[N], z1[N], z2[N];
    for (int k = 0; k < N; ++k) {
        b0[k] = T{} + coefficients[k].b0;
        b1[k] = T{} + coefficients[k].b1;
        b2[k] = T{} + coefficients[k].b2;
        a1[k] = T{} + coefficients[k].a1;
        a2[k] = T{} + coefficients[k].a2;
        z1[k] = s1[k];
        z2[k] = s2[k];
    }
    for (std::size_t i = 0; i < frames; ++i) {
        T x = load(i);
        for (int k = 0; k < N; ++k) {
            const T y = b0[k] * x + z1[k];
            z1[k] = b1[k] * x - a1[k] * y + z2[k];
            z2[k] = b2[k] * x - a2[k] * y;
            x = y;
        }
        store(i, x);
    }
    for (int k = 0; k < N; ++k) {
        s1[k] = z1[k];
        s2[k] = z2[k];
    }
}

bool finite(double v) noexcept { return std::isfinite(v); }
#if defined(__GNUC__)
bool finite(Double2 v) noexcept { return std::isfinite(v[0]) && std::isfinite(v[1]); }
#endif

// Dispatches on the section count so the states live in registers.
template <typename T, typename Load, typename Store>
void runCascade(const BiquadCoefficients* c, int count, T* s1, T* s2, std::size_t frames, Load load, Store store) noexcept {
    switch (count) {
    case 1: runSections<1>(c, s1, s2, frames, load, store); break;
    case 2: runSections<2>(c, s1, s2, frames, load, store); break;
    case 3: runSections<3>(c, s1, s2, frames, load, store); break;
    case 4: runSections<4>(c, s1, s2, frames, load, store); break;
    default: runSections<BiquadCascade::kMaxSections>(c, s1, s2, frames, load, store); break;
    }
    // A NaN or infinity would circulate for ever: start the sections again.
    for (int k = 0; k < count; ++k)
        if (!finite(s1[k]) || !finite(s2[k])) s1[k] = s2[k] = T{};
}

}  // namespace

void BiquadCascade::process(float* samples, std::size_t frames, int channel) noexcept {
    if (count_ == 0) return;
    State* state = states_.data() + static_cast<std::size_t>(channel) * kMaxSections;
    double s1[kMaxSections], s2[kMaxSections];
    for (int k = 0; k < kMaxSections; ++k) {
        s1[k] = k < count_ ? state[k].s1 : 0.0;
        s2[k] = k < count_ ? state[k].s2 : 0.0;
    }
    // Unused sections (above count_) are identities: b0 = 1, the rest 0.
    runCascade(
        coefficients_.data(), count_, s1, s2, frames, [samples](std::size_t i) { return static_cast<double>(samples[i]); },
        [samples](std::size_t i, double y) { samples[i] = static_cast<float>(y); });
    for (int k = 0; k < count_; ++k) {
        state[k].s1 = s1[k];
        state[k].s2 = s2[k];
    }
}

void BiquadCascade::processPair(float* left, float* right, std::size_t frames, int firstChannel) noexcept {
#if defined(__GNUC__)
    if (count_ == 0) return;
    State* a = states_.data() + static_cast<std::size_t>(firstChannel) * kMaxSections;
    State* b = a + kMaxSections;
    Double2 s1[kMaxSections], s2[kMaxSections];
    for (int k = 0; k < kMaxSections; ++k) {
        s1[k] = k < count_ ? Double2{a[k].s1, b[k].s1} : Double2{};
        s2[k] = k < count_ ? Double2{a[k].s2, b[k].s2} : Double2{};
    }
    runCascade(
        coefficients_.data(), count_, s1, s2, frames,
        [left, right](std::size_t i) {
            return Double2{static_cast<double>(left[i]), static_cast<double>(right[i])};
        },
        [left, right](std::size_t i, Double2 y) {
            left[i] = static_cast<float>(y[0]);
            right[i] = static_cast<float>(y[1]);
        });
    for (int k = 0; k < count_; ++k) {
        a[k].s1 = s1[k][0];
        b[k].s1 = s1[k][1];
        a[k].s2 = s2[k][0];
        b[k].s2 = s2[k][1];
    }
#else
    process(left, frames, firstChannel);
    process(right, frames, firstChannel + 1);
#endif
}

bool BiquadCascade::processSeries(BiquadCascade* const* cascades, int count, float* samples, std::size_t frames, int channel) noexcept {
    // Unused sections are identities with zero state (runCascade may run all of them).
    BiquadCoefficients coefficients[kMaxSections];
    double s1[kMaxSections] = {}, s2[kMaxSections] = {};
    int total = 0;
    for (int c = 0; c < count; ++c) {
        const BiquadCascade& cascade = *cascades[c];
        if (total + cascade.count_ > kMaxSections) return false;
        const State* state = cascade.states_.data() + static_cast<std::size_t>(channel) * kMaxSections;
        for (int k = 0; k < cascade.count_; ++k, ++total) {
            coefficients[total] = cascade.coefficients_[static_cast<std::size_t>(k)];
            s1[total] = state[k].s1;
            s2[total] = state[k].s2;
        }
    }
    if (total == 0) return true;
    runCascade(
        coefficients, total, s1, s2, frames, [samples](std::size_t i) { return static_cast<double>(samples[i]); },
        [samples](std::size_t i, double y) { samples[i] = static_cast<float>(y); });
    total = 0;
    for (int c = 0; c < count; ++c) {
        BiquadCascade& cascade = *cascades[c];
        State* state = cascade.states_.data() + static_cast<std::size_t>(channel) * kMaxSections;
        for (int k = 0; k < cascade.count_; ++k, ++total) {
            state[k].s1 = s1[total];
            state[k].s2 = s2[total];
        }
    }
    return true;
}

bool BiquadCascade::processSeriesPair(BiquadCascade* const* cascades, int count, float* left, float* right, std::size_t frames,
                                      int firstChannel) noexcept {
#if defined(__GNUC__)
    BiquadCoefficients coefficients[kMaxSections];
    Double2 s1[kMaxSections] = {}, s2[kMaxSections] = {};
    int total = 0;
    for (int c = 0; c < count; ++c) {
        const BiquadCascade& cascade = *cascades[c];
        if (total + cascade.count_ > kMaxSections) return false;
        const State* a = cascade.states_.data() + static_cast<std::size_t>(firstChannel) * kMaxSections;
        const State* b = a + kMaxSections;
        for (int k = 0; k < cascade.count_; ++k, ++total) {
            coefficients[total] = cascade.coefficients_[static_cast<std::size_t>(k)];
            s1[total] = Double2{a[k].s1, b[k].s1};
            s2[total] = Double2{a[k].s2, b[k].s2};
        }
    }
    if (total == 0) return true;
    runCascade(
        coefficients, total, s1, s2, frames,
        [left, right](std::size_t i) {
            return Double2{static_cast<double>(left[i]), static_cast<double>(right[i])};
        },
        [left, right](std::size_t i, Double2 y) {
            left[i] = static_cast<float>(y[0]);
            right[i] = static_cast<float>(y[1]);
        });
    total = 0;
    for (int c = 0; c < count; ++c) {
        BiquadCascade& cascade = *cascades[c];
        State* a = cascade.states_.data() + static_cast<std::size_t>(firstChannel) * kMaxSections;
        State* b = a + kMaxSections;
        for (int k = 0; k < cascade.count_; ++k, ++total) {
            a[k].s1 = s1[total][0];
            b[k].s1 = s1[total][1];
            a[k].s2 = s2[total][0];
            b[k].s2 = s2[total][1];
        }
    }
    return true;
#else
    return processSeries(cascades, count, left, frames, firstChannel) && processSeries(cascades, count, right, frames, firstChannel + 1);
#endif
}

double BiquadCascade::magnitudeDb(double freqHz, double sampleRate) const noexcept {
    double db = 0.0;
    for (int s = 0; s < count_; ++s) db += coefficients_[static_cast<std::size_t>(s)].magnitudeDb(freqHz, sampleRate);
    return db;
}

}  // namespace bounce
