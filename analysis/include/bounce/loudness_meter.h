// Loudness meter after ITU-R BS.1770-4 and EBU R 128 (Tech 3341 "EBU Mode", Tech 3342
// loudness range): momentary (400 ms), short-term (3 s), integrated (gated), loudness
// range, their maxima, and true and sample peak per channel.
//
// Written in the project rather than taken from libebur128 because it is the heart of
// mastering and must be faster: the K-weighting runs two channels at a time in double
// precision (SIMD), energies are kept per 100 ms hop so 400 ms and 3 s windows are sums
// of a few numbers rather than re-scans of the audio, and the true-peak interpolator is a
// vectorised polyphase FIR.
//
// Memory does not grow with the length of the programme: integrated loudness and
// loudness range are computed from histograms of block energies (0.01 LU bins, each
// holding a count and the exact sum of its blocks' energies), not from a list of blocks.
//
// Timing follows libebur128 and BS.1770-4: hops of round(fs / 10) frames from the first
// sample; a gating block (400 ms) ends on every hop from the 4th on; short-term values
// for the loudness range are taken every 1 s (3 s windows overlapping by 2 s, as in
// libebur128), short-term readings every hop. A trailing partial hop counts towards the
// peaks but not towards any loudness window.
#pragma once

#include "bounce/audio_buffer.h"
#include "bounce/sound_file.h"
#include "bounce/true_peak.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace bounce {

// Loudness in LUFS of a mean-square energy already weighted and summed over channels:
// BS.1770-4 eq. 2, L = -0.691 + 10 log10(sum G_i z_i). nullopt for zero energy.
std::optional<double> lufsFromEnergy(double energy) noexcept;

// The meter's state at the end of one 100 ms hop.
struct LoudnessHop {
    std::uint64_t index = 0;  // 0-based; hop i ends at frame (i + 1) * hopFrames
    double endSeconds = 0.0;
    std::optional<double> hopLufs;        // this 100 ms alone (K-weighted like the others)
    std::optional<double> momentaryLufs;  // once 400 ms have passed
    std::optional<double> shortTermLufs;  // once 3 s have passed
};

class LoudnessMeter {
public:
    struct Settings {
        double sampleRate = 48000.0;
        // One weight per channel (BS.1770-4 Table 3: 1.0 front, 1.41 surround, 0 LFE).
        std::vector<double> channelWeights{1.0, 1.0};
        bool measureTruePeak = true;
        // Read the true peak on a second thread, batches of 32768 frames behind (the
        // readings are the same bits; whole-file analysis on a machine with two cores runs
        // in about half the time). Its readings then wait for that thread.
        bool truePeakOnSecondThread = false;
    };

    // BS.1770-4 channel weights for a file: from its declared speaker layout when it has
    // one, otherwise by channel count in WAV order (L R C LFE Ls Rs, then side/back pairs
    // as surrounds); 4 channels are read as L R Ls Rs and 5 as L R C Ls Rs, as libebur128
    // does.
    static std::vector<double> channelWeightsFor(int channels, const std::vector<Speaker>& speakers = {});

    explicit LoudnessMeter(const Settings& settings);
    ~LoudnessMeter();
    LoudnessMeter(LoudnessMeter&&) noexcept;
    LoudnessMeter& operator=(LoudnessMeter&&) noexcept;

    // Called at the end of every hop, from inside addFrames(). Set before adding audio.
    void setHopCallback(std::function<void(const LoudnessHop&)> callback);

    // Any block size; channel count as in the settings. No allocation.
    void addFrames(ConstAudioView block) noexcept;
    void reset() noexcept;

    double sampleRate() const noexcept;
    int channels() const noexcept;
    std::size_t hopFrames() const noexcept;
    std::uint64_t framesAdded() const noexcept;

    // Readings for the window ending at the last completed hop; nullopt while the window
    // is not yet full or the window is digital silence.
    std::optional<double> momentaryLufs() const noexcept;
    std::optional<double> shortTermLufs() const noexcept;
    std::optional<double> maxMomentaryLufs() const noexcept;
    std::optional<double> maxShortTermLufs() const noexcept;
    // nullopt when no 400 ms block passes the -70 LUFS absolute gate.
    std::optional<double> integratedLufs() const noexcept;
    // nullopt when no short-term value passes the absolute gate.
    std::optional<double> loudnessRangeLu() const noexcept;

    // Linear peaks per channel. truePeak() is the sample peak when true-peak measurement
    // is off.
    double samplePeak(int channel) const noexcept;
    double truePeak(int channel) const noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// BS.1770-4 integrated loudness (§2.8: the -70 LUFS absolute gate, then 10 LU under the
// mean) of gating blocks given by their loudness, one per 100 ms hop as a meter's hop
// callback reports them (-inf or below the gate: silent). Gated by the meter's own code,
// for loudness predicted from blocks rather than measured from samples: automix sums its
// tracks' blocks as powers to predict the mix's. nullopt when no block passes the gates.
std::optional<double> integratedLufsOfBlocks(const std::vector<double>& blockLufs);

}  // namespace bounce
