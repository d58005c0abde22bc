// What the check report draws beyond the meter's readings (private to the check layer): the
// L/R correlation over time, a vectorscope (where the samples fall in the side/mid plane) and
// a spectrogram, gathered in the check's one pass over the file.
#pragma once

#include "bounce/audio_buffer.h"
#include "bounce/check.h"

#include <complex>
#include <cstdint>
#include <vector>

namespace bounce::detail {

class ProgrammeViewWatcher {
public:
    // `columns` of the correlation curve (the waveform's), and up to kSpectrogramColumns of
    // the spectrogram (at least one FFT frame each), over `frames` frames.
    ProgrammeViewWatcher(double sampleRate, int channels, std::int64_t frames, std::size_t columns);
    ~ProgrammeViewWatcher();
    ProgrammeViewWatcher(const ProgrammeViewWatcher&) = delete;
    ProgrammeViewWatcher& operator=(const ProgrammeViewWatcher&) = delete;

    void add(ConstAudioView in);
    ProgrammeViews finish();

    static constexpr std::size_t kSpectrogramColumns = 240;
    static constexpr std::size_t kFftSize = 4096;
    static constexpr int kFineScope = 256;  // the vectorscope's grid before it is fitted to the peak

private:
    void addFrame(float left, float right);
    void analyseFrame();

    double rate_;
    int channels_;
    double framesPerColumn_;
    std::size_t spectrogramColumns_;
    double framesPerSpectrogramColumn_;
    std::uint64_t frame_ = 0;
    std::vector<double> ll_, rr_, lr_;      // per correlation column
    std::vector<std::uint32_t> fineScope_;  // kFineScope^2 counts over +-1
    float peak_ = 0.0f;
    std::vector<float> window_, fftIn_;
    std::vector<std::complex<float>> fftOut_;
    std::size_t filled_ = 0;
    void* plan_ = nullptr;  // fftwf_plan
    std::vector<double> bandHz_;
    std::vector<std::vector<double>> bandPower_;  // [column][band], summed
    std::vector<int> framesIn_;                   // FFT frames per spectrogram column
};

}  // namespace bounce::detail
