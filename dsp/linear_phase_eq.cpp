#include "bounce/linear_phase_eq.h"

#include "bounce/kaiser.h"

#include <fftw3.h>

#include <cmath>
#include <complex>
#include <numbers>

namespace bounce {
namespace {

constexpr std::size_t kPartitionFrames = 1024;
constexpr double kKaiserBeta = 8.0;


}  // namespace

void LinearPhaseEq::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    target_.setParams(params_.eq);
    target_.prepare({spec.sampleRate, 16, 1});

    int taps = params_.lengthFrames;
    if (taps <= 0) {
        taps = 1;
        while (taps < spec.sampleRate * 0.34) taps *= 2;
    }
    taps |= 1;  // odd: a whole-sample centre
    const int half = (taps - 1) / 2;

    // Target magnitude on a grid eight times denser than the filter is long.
    std::size_t grid = 1;
    while (grid < static_cast<std::size_t>(taps) * 8) grid *= 2;
    std::vector<std::complex<double>> spectrum(grid / 2 + 1);
    for (std::size_t k = 0; k < spectrum.size(); ++k) {
        const double f = spec.sampleRate * static_cast<double>(k) / static_cast<double>(grid);
        spectrum[k] = std::pow(10.0, target_.magnitudeDb(std::max(f, 0.1)) / 20.0);
    }
    std::vector<double> impulse(grid);
    fftw_plan plan = fftw_plan_dft_c2r_1d(static_cast<int>(grid), reinterpret_cast<fftw_complex*>(spectrum.data()),
                                          impulse.data(), FFTW_ESTIMATE);
    fftw_execute(plan);
    fftw_destroy_plan(plan);

    // Zero phase puts the impulse around index 0 (and wraps); centre it and window it.
    // Mirrored from one half, so the taps are exactly symmetric (exactly linear phase).
    taps_.assign(static_cast<std::size_t>(taps), 0.0f);
    for (int offset = 0; offset <= half; ++offset) {
        const double value = impulse[static_cast<std::size_t>(offset)] / static_cast<double>(grid);
        const double window = kaiserWindow(static_cast<double>(offset) / half, kKaiserBeta);
        taps_[static_cast<std::size_t>(half + offset)] = taps_[static_cast<std::size_t>(half - offset)] = static_cast<float>(value * window);
    }
    convolvers_.clear();
    convolvers_.resize(static_cast<std::size_t>(spec.channels));
    for (auto& c : convolvers_) c.prepare(taps_.data(), taps_.size(), kPartitionFrames);
}

void LinearPhaseEq::reset() noexcept {
    for (auto& c : convolvers_) c.reset();
}

void LinearPhaseEq::process(AudioView io) noexcept {
    for (int c = 0; c < io.channels() && c < static_cast<int>(convolvers_.size()); ++c)
        convolvers_[static_cast<std::size_t>(c)].process(io.channel(c), io.frames());
}

int LinearPhaseEq::latencyFrames() const noexcept {
    if (convolvers_.empty()) return 0;
    return static_cast<int>(taps_.size() - 1) / 2 + convolvers_[0].latencyFrames();
}

double LinearPhaseEq::magnitudeDb(double freqHz) const noexcept {
    const double w = 2.0 * std::numbers::pi * freqHz / spec_.sampleRate;
    std::complex<double> sum = 0.0;
    for (std::size_t n = 0; n < taps_.size(); ++n) sum += static_cast<double>(taps_[n]) * std::polar(1.0, -w * static_cast<double>(n));
    return 20.0 * std::log10(std::abs(sum));
}

}  // namespace bounce
