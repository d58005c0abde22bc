// The long-term tonal and stereo profile of a programme, for reference matching:
// the average power spectrum of mid and side over the programme's loud, representative
// parts, in third-octave bands, with its loudness, crest (peak to loudness) and width.
//
// Method: two streaming passes. The first measures the integrated loudness (BS.1770). The
// second runs a 4096-point Hann-windowed FFT (FFTW, hop 2048) over mid = (L+R)/2 and
// side = (L-R)/2, and accumulates the power of the frames whose momentary loudness is
// within 10 LU of the integrated loudness (the relative gate of BS.1770, so silence,
// fades and quiet intros do not colour the average). Power is summed per FFT bin in
// double and grouped into ISO 266 third-octave bands at the end: memory does not depend
// on the length. Any sample rate.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bounce {

struct SpectrumProfile {
    std::vector<double> bandHz;   // ISO third-octave centres, 25 Hz .. 20 kHz (those below Nyquist)
    std::vector<double> midDb;    // mean power per band, dB
    std::vector<double> sideDb;
    std::optional<double> integratedLufs;
    std::optional<double> truePeakDbtp;
    std::optional<double> crestDb;        // true peak - integrated loudness (PLR)
    std::vector<double> widthRatio;       // side / mid power per band
    double sampleRate = 0.0;
    std::size_t framesUsed = 0;           // FFT frames that passed the gate

    // Side over mid power, over 100 Hz .. 10 kHz: one number for "how wide".
    double overallWidth() const;
};

SpectrumProfile analyzeSpectrumProfile(const std::string& path);

// Third-octave distance between two profiles: the RMS over 40 Hz .. 16 kHz of the
// difference of their total (mid + side) spectra, after removing the mean difference
// (loudness-normalised), in dB.
double spectralDistanceDb(const SpectrumProfile& a, const SpectrumProfile& b);

}  // namespace bounce
