#include "spectrum.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>

namespace bounce::test {

std::vector<double> impulseResponse(Processor& processor, int channels, std::size_t length, std::size_t blockFrames, float amplitude) {
    AudioBuffer buffer(channels, length);
    for (int c = 0; c < channels; ++c) buffer.channel(c)[0] = amplitude;
    for (std::size_t i = 0; i < length; i += blockFrames) processor.process(buffer.view().subView(i, std::min(blockFrames, length - i)));
    return std::vector<double>(buffer.channel(0), buffer.channel(0) + length);
}

MagnitudeSpectrum::MagnitudeSpectrum(const std::vector<double>& signal, double sampleRate, std::size_t fftSize) {
    std::size_t n = fftSize ? fftSize : 1;
    while (n < signal.size()) n *= 2;
    std::vector<double> in(n, 0.0);
    std::copy(signal.begin(), signal.end(), in.begin());
    std::vector<std::complex<double>> out(n / 2 + 1);
    fftw_plan plan = fftw_plan_dft_r2c_1d(static_cast<int>(n), in.data(), reinterpret_cast<fftw_complex*>(out.data()), FFTW_ESTIMATE);
    fftw_execute(plan);
    fftw_destroy_plan(plan);
    power_.resize(out.size());
    for (std::size_t k = 0; k < out.size(); ++k) power_[k] = std::norm(out[k]);
    binHz_ = sampleRate / static_cast<double>(n);
}

double MagnitudeSpectrum::db(double freqHz) const {
    const double position = freqHz / binHz_;
    const auto k = std::min(static_cast<std::size_t>(position), power_.size() - 2);
    const double t = position - static_cast<double>(k);
    const double a = 10 * std::log10(std::max(power_[k], 1e-300));
    const double b = 10 * std::log10(std::max(power_[k + 1], 1e-300));
    return a + t * (b - a);
}

double MagnitudeSpectrum::bandPower(double lowHz, double highHz) const {
    double sum = 0;
    for (std::size_t k = static_cast<std::size_t>(lowHz / binHz_); k < power_.size() && static_cast<double>(k) * binHz_ < highHz; ++k)
        sum += power_[k];
    return sum;
}

}  // namespace bounce::test

namespace bounce::test {

double responseDb(const std::vector<double>& impulse, double freqHz, double sampleRate) {
    const double w = 2.0 * 3.14159265358979323846 * freqHz / sampleRate;
    // Rotate a phasor rather than calling sin/cos per sample; renormalise now and then.
    std::complex<double> phasor(1.0, 0.0);
    const std::complex<double> step = std::polar(1.0, -w);
    std::complex<double> sum(0.0, 0.0);
    for (std::size_t n = 0; n < impulse.size(); ++n) {
        sum += impulse[n] * phasor;
        phasor *= step;
        if ((n & 1023) == 1023) phasor /= std::abs(phasor);
    }
    return 20.0 * std::log10(std::abs(sum));
}

}  // namespace bounce::test
