// Frequency-domain measurement for tests (FFTW3): the magnitude response of a processor
// measured from its impulse response, and band powers of a signal.
#pragma once

#include "bounce/processor.h"

#include <vector>

namespace bounce::test {

// Runs a unit impulse (then silence) of `length` frames through `processor` (prepared
// for `channels` channels) and returns channel 0's response.
std::vector<double> impulseResponse(Processor& processor, int channels, std::size_t length, std::size_t blockFrames = 4096,
                                    float amplitude = 1.0f);

// |DFT| in dB of `signal` at `freqHz` (exact bin frequency not required: evaluated by
// FFT of a zero-padded copy and linear interpolation in dB between bins).
class MagnitudeSpectrum {
public:
    MagnitudeSpectrum(const std::vector<double>& signal, double sampleRate, std::size_t fftSize = 0);
    double db(double freqHz) const;
    double power(std::size_t bin) const { return power_[bin]; }
    std::size_t bins() const { return power_.size(); }
    double binHz() const { return binHz_; }
    // Sum of power over [lowHz, highHz).
    double bandPower(double lowHz, double highHz) const;

private:
    std::vector<double> power_;
    double binHz_;
};

}  // namespace bounce::test

namespace bounce::test {

// |H(e^jw)| in dB of an impulse response at one frequency (direct DTFT, exact).
double responseDb(const std::vector<double>& impulse, double freqHz, double sampleRate);

}  // namespace bounce::test
