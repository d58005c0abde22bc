// True peak: the largest magnitude of the ideal band-limited reconstruction of the samples
// (what a perfect converter outputs), read within a few hundredths of a dB.
//
// BS.1770-4 Annex 2 asks for at least 4x oversampling; that alone can under-read by up to
// 0.69 dB near Nyquist (the largest point of a 4x grid can sit half a grid step from the
// crest), and a short interpolator under-reads whatever lies above its passband. Dense,
// clipped or limited material with energy near Nyquist reconstructs with overs that only
// a long sinc sees (a clipped-noise crest depends on samples hundreds away). So the
// detector works in two tiers:
//
// 1. A screen: a 4x polyphase grid from a 32-tap-per-phase Kaiser-windowed sinc, computed
//    four or eight outputs per SIMD operation, skipped wholesale where a bound proves
//    nothing can reach the threshold (see below).
// 2. The reconstruction: a 4096-tap Kaiser-windowed sinc (beta 9; flat within 0.001 dB to
//    0.49 fs, tested), evaluated at 64 fractional positions per sample. Wherever the screen could
//    be within reach of the threshold, every local crest of the screen's grid is located
//    by a parabola and read from the long filter, then found by a parabola through three
//    long-filter readings 1/32 sample apart (within 4e-5 dB over that span).
//
// The threshold is the running peak (for a reading) or a caller's floor (a limiter asks only
// whether a peak passes its ceiling). The bound that decides what is skipped is exact, not
// a guess: |screen| <= (largest input in the screen's span) x (its largest sum of |taps|),
// and, by summation by parts (Abel), |reconstruction - screen| <= sum over zones of
// TV_zone x R_zone, where TV_zone is the total variation of (-1)^k times the difference of
// the two filters' taps within 32, 64, ... 2048 samples of the centre (computed at prepare)
// and R_zone the range of the alternating partial sums S_k = sum (-1)^j x_j over that reach
// (tracked as samples arrive, in blocks). Music puts little energy near Nyquist, so R stays
// near the signal's own amplitude and little is computed; clipped noise makes R grow and
// the long filter runs where it must.
//
// Phase 0 of a windowed sinc is a unit impulse, so samples are read as they are and the
// true peak is never below the sample peak. NaN and infinite samples read as 0 (what every
// processor outputs in their place). Deterministic: the AVX and SSE paths give the same bits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bounce {

class TruePeakDetector {
public:
    static constexpr int kOversampling = 4;  // the screen's grid
    static constexpr int kScreenTaps = 32;   // per phase
    static constexpr double kScreenKaiserBeta = 6.5;
    static constexpr int kReconstructionTaps = 4096;
    static constexpr double kReconstructionKaiserBeta = 9.0;
    static constexpr int kFinePhases = 64;  // reconstruction positions per sample
    // The tail bound in zones: zone j holds the taps within kZoneRadius << j of the centre
    // (and beyond zone j - 1); the partial sums' range over each zone's reach is read from
    // summaries of blocks of kZoneRadius/4 << j samples, kept in rings of kRingSamples.
    static constexpr int kZones = 7;
    static constexpr int kZoneRadius = 32;  // 32 .. 2048 = kReconstructionTaps / 2

    enum class Mode {
        Reconstruction,  // the reading: screen, then the long filter where it can matter
        Screen,          // the 4x screen only (a limiter's first stage: fast, 17-frame delay)
        SamplePeak,      // no interpolation
    };

    // Allocates; call before process(). The sample rate does not change the filters: the
    // promise is against ideal reconstruction at any rate.
    void prepare(double sampleRate, Mode mode = Mode::Reconstruction);
    void reset() noexcept;

    // Updates the running peak. No allocation; any block size. With `peaks`, also writes
    // for each input i the largest magnitude of the reconstruction over [t, t + 1], t being
    // the sample delayFrames() before input i (a true-peak limiter's detector). A value at or
    // below `floor` may be written as any value at or below `floor`: a limiter with its
    // ceiling as the floor decides the same, and the detector skips what cannot reach it.
    void process(const float* samples, std::size_t count, float* peaks = nullptr, float floor = 0.0f) noexcept;

    // How far the per-sample peaks lag the input.
    int delayFrames() const noexcept { return delay_; }

    // Largest magnitude of the reconstruction so far (linear), including its ringing past
    // the last sample as if the stream ended here. Allocates (runs a copy to the end).
    double peak() const;
    // Largest absolute sample value so far (linear).
    double samplePeak() const noexcept;

    // Screen filter of one phase (0 .. 3), oldest sample first, centred on the output's
    // sample; exposed so tests can check its response against the design.
    std::array<float, kScreenTaps> screenTaps(int phase) const noexcept { return screen_[static_cast<std::size_t>(phase)]; }
    // The reconstruction at `phaseIndex / kFinePhases` past the centre sample, for tests.
    static const float* reconstructionTaps(int phaseIndex) noexcept;

private:
    static constexpr std::size_t kChunk = 1024;
    static constexpr int kRingSamples = 8192;  // >= history + chunk

    void processChunk(std::size_t count, float* peaks, float floor) noexcept;
    // processChunk's phases: the partial sums tailBound() reads, the tail bounds per group
    // of 8 outputs, and the refinement of the screen's values into readings.
    void summarisePartialSums(std::uint64_t base, std::size_t count) noexcept;
    void setTailBounds(std::uint64_t base, std::size_t count) noexcept;
    float refineGroups(std::uint64_t base, std::size_t count, float* peaks, float floor) noexcept;
    // Upper bound of |reconstruction - screen| for outputs whose centres lie in
    // [first, last] (absolute sample indices).
    double tailBound(std::uint64_t first, std::uint64_t last) const noexcept;
    // Replaces lanes_[i] with the reconstruction's crest over [c, c + 1] wherever the
    // screen's crests could reach `threshold`; returns the new lane.
    float refine(std::size_t i, float threshold, float tail) noexcept;
    float screenAt(std::ptrdiff_t centre, int phase) const noexcept;
    float reconstructionAt(std::ptrdiff_t centre, int finePhase) const noexcept;

    Mode mode_ = Mode::Reconstruction;
    int delay_ = 0;
    std::size_t history_ = 0;
    // screen_[p][k] multiplies the sample k - (kScreenTaps / 2 - 1) after the centre.
    std::array<std::array<float, kScreenTaps>, kOversampling> screen_{};
    float screenBound_ = 1.0f;  // no screen phase exceeds this x its largest input
    // TV of (-1)^k (reconstruction - screen) per zone, largest over positions.
    std::array<double, kZones> zoneVariation_{};

    // [history][chunk]: contiguous so the FIRs read straight.
    // [history][chunk] from offset_: the history slides along kWindowChunks chunks of room.
    std::vector<float> window_;
    std::size_t offset_ = 0;
    static constexpr std::size_t kWindowChunks = 8;
    const float* win() const noexcept { return window_.data() + offset_; }
    std::vector<float> lanes_;     // per output of a chunk
    std::vector<float> tails_;     // per 8 outputs of a chunk: the tail bound
    std::vector<float> groupMax_;  // per 8 outputs of a chunk: the largest screen value
    std::uint64_t samplesIn_ = 0;  // absolute index of the next fresh sample
    double partialSum_ = 0.0;
    // Per zone, min and max of the partial sums per block (ring by absolute block index).
    std::array<std::vector<double>, kZones> zoneMin_, zoneMax_;
    std::vector<double> blockScratchMin_, blockScratchMax_;  // per block of 8 of a chunk
    float peak_ = 0.0f;
    float samplePeak_ = 0.0f;
};

}  // namespace bounce
