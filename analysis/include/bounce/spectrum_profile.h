// The long-term tonal and stereo profile of a programme, for reference matching:
// the average power spectrum of mid and side over the programme's loud, representative
// parts, in third-octave bands, with its loudness, crest (peak to loudness) and width.
//
// Method: one streaming pass, beside the loudness meter. A 4096-point Hann-windowed FFT
// (FFTW, hop 2048) runs over mid = (L+R)/2 and side = (L-R)/2; each frame's power is
// summed per ISO 266 third-octave band (in double) and filed under the frame's momentary
// loudness in a histogram of 0.1 LU bins, the way BS.1770's gating keeps its blocks. At
// the end, when the integrated loudness is known, the bins within 10 LU of it are summed
// (the relative gate of BS.1770, so silence, fades and quiet intros do not colour the
// average). Memory does not depend on the length (1000 bins x 2 x the band count). Any
// sample rate.
#pragma once

#include "bounce/audio_buffer.h"
#include "bounce/linear_phase_eq.h"

#include <memory>

#include <optional>
#include <string>
#include <vector>

namespace bounce {

struct SpectrumProfile {
    std::vector<double> bandHz;  // ISO third-octave centres, 25 Hz .. 20 kHz (those below Nyquist)
    std::vector<double> midDb;   // mean power per band, dB
    std::vector<double> sideDb;
    std::optional<double> integratedLufs;
    std::optional<double> truePeakDbtp;
    std::optional<double> crestDb;   // true peak - integrated loudness (PLR)
    std::vector<double> widthRatio;  // side / mid power per band
    double sampleRate = 0.0;
    std::size_t framesUsed = 0;  // FFT frames that passed the gate

    // Side over mid power, the mean of the bands' ratios over 100 Hz .. 10 kHz: one number
    // for "how wide" (0 mono, about 1 for uncorrelated channels), independent of the tone.
    double overallWidth() const;

    // A band's total (mid + side) level, mean power per bin in dB (L^2 + R^2 = 2 (M^2 + S^2)).
    double totalDb(std::size_t band) const;
    // The power of the bands whose centres lie in [loHz, hiHz], each band's mean per bin
    // times its width (proportional to its centre): comparable across band groupings.
    double powerBetween(double loHz, double hiHz, bool mid = true, bool side = true) const;
};

struct AnalysisResult;

// The streaming half of a profile, fed alongside a loudness meter (ProgramAnalyzer does
// both: see its enableSpectrumProfile()). Feed at most framesToNextHop() frames at a time,
// with the meter's momentary loudness after those frames (nullopt before the first 400 ms).
class SpectrumAccumulator {
public:
    SpectrumAccumulator(double sampleRate, int channels);
    ~SpectrumAccumulator();
    SpectrumAccumulator(SpectrumAccumulator&&) noexcept;
    SpectrumAccumulator& operator=(SpectrumAccumulator&&) noexcept;

    std::size_t framesToNextHop() const noexcept;
    // Takes min(block.frames(), framesToNextHop()) frames. No allocation.
    void addFrames(ConstAudioView block, std::optional<double> momentaryLufs) noexcept;
    // The profile, gated by the integrated loudness of `analysis` (the same audio's).
    SpectrumProfile profile(const AnalysisResult& analysis) const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Reads the file once. `analysisOut`: receives the file's full analysis when given.
SpectrumProfile analyzeSpectrumProfile(const std::string& path, AnalysisResult* analysisOut = nullptr);

// Third-octave distance between two profiles: the RMS over 40 Hz .. 16 kHz of the
// difference of their total (mid + side) spectra, after removing the mean difference
// (loudness-normalised), in dB.
double spectralDistanceDb(const SpectrumProfile& a, const SpectrumProfile& b);

// Several references as one: their energy-weighted average (powers are averaged per band
// after each is brought to the same loudness, so a loud reference does not dominate the
// colour; loudness and crest are the plain means). Bands are those of the first.
SpectrumProfile averageProfiles(const std::vector<SpectrumProfile>& profiles);

// How far each aspect moves toward the reference: 0 = leave, 1 = full match.
struct MatchAmounts {
    double tone = 1.0;
    double width = 1.0;
    double loudness = 1.0;
    double dynamics = 0.5;
};

// The correction that takes `input` toward `reference`, per third-octave band.
// Tone: the difference of the total (mid + side) spectra, level-normalised (mean over
// 40 Hz .. 16 kHz removed), smoothed over about an octave (weights 1/4, 1/2, 1/4 on
// neighbouring bands), limited to +-kMaxToneDb, held flat outside 40 Hz .. 16 kHz and
// where either spectrum is more than 80 dB below its loudest band (no reliable content),
// then scaled by `tone`. It applies to mid and side alike, so it does not change width.
// Width: the change of each band's side/mid power ratio toward the reference's, smoothed
// and limited the same way, scaled by `width`, realised as a mid gain and a side gain that
// keep the band's total power (so width does not change tone). It widens the lows only
// as far as the reference's lows are wide.
struct ReferenceMatch {
    static constexpr double kMaxToneDb = 12.0;
    std::vector<double> bandHz;
    std::vector<double> toneDb;         // mid and side
    std::vector<double> widthChangeDb;  // change of the side/mid power ratio
    std::vector<double> midWidthDb;     // mid, on top of toneDb (power-preserving width)
    std::vector<double> sideWidthDb;    // side, on top of toneDb
    double inputLufs = 0.0, referenceLufs = 0.0;
    double inputCrestDb = 0.0, referenceCrestDb = 0.0;
    double inputWidth = 0.0, referenceWidth = 0.0;  // overallWidth()
    double distanceDb = 0.0;                        // spectralDistanceDb(input, reference)

    // The curve between band centres (linear in log frequency, flat beyond the ends).
    double toneAtDb(double freqHz) const noexcept;
    // What the curves do to the input's integrated loudness, predicted from its K-weighted
    // band powers (L^2 + R^2 = 2 (M^2 + S^2)), so the master's first pass starts at the
    // right gain.
    double predictedLoudnessChangeDb(const SpectrumProfile& input) const;
    double sideWidthAtDb(double freqHz) const noexcept;
    double midWidthAtDb(double freqHz) const noexcept;
    // The curves as the mid/side EQ that applies them: mid = tone + mid width, side =
    // tone + side width.
    MidSideCurveEqParams curveEqParams() const;
};

ReferenceMatch matchToReference(const SpectrumProfile& input, const SpectrumProfile& reference, const MatchAmounts& amounts);

// Octave bands for reports: ISO centres 31.5 Hz .. 16 kHz.
const std::vector<double>& octaveBandsHz();
// The power (mid, side or both) of octave band `octave` of octaveBandsHz().
double octaveBandPower(const SpectrumProfile& p, std::size_t octave, bool mid = true, bool side = true);

// Left and right against each other per octave (from a programme's profile, mid and side
// power: correlation (M - S) / (M + S)), as bounce check judges them. Bands with nothing in
// them (40 dB under the loudest) are not judged. `inverted`: opposed (under -0.3) in at
// least 7 of 10 judged bands, one channel's polarity flipped; otherwise `outOfPhase` lists
// the bands under -0.2 (indices into octaveBandsHz()). Out-of-phase bass is such a band at
// or below 125 Hz.
struct PhaseFindings {
    bool inverted = false;
    int judged = 0, opposed = 0;
    std::vector<std::size_t> outOfPhase;
    std::vector<double> correlation;  // per octave
};
PhaseFindings phaseFindings(const SpectrumProfile& profile);
constexpr double kOutOfPhaseBassUpToHz = 125.0;

}  // namespace bounce
