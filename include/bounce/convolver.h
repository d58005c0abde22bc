// Uniformly partitioned FFT convolution (overlap-save, FFTW3 single precision): the
// engine behind the linear-phase EQ and the convolution reverb.
//
// The impulse response is cut into partitions of B frames whose spectra are kept; each
// B frames of input are transformed once and multiplied against every partition through a
// frequency-domain delay line (Wefers, "Partitioned convolution algorithms for real-time
// auralization", 2015, ch. 5). Cost per sample grows with IR length / B; latency is B
// frames, reported, and independent of the caller's block size. Plans use
// FFTW_ESTIMATE, so results are the same bytes run after run.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace bounce {

class Convolver {
public:
    Convolver() = default;
    ~Convolver();
    Convolver(const Convolver&) = delete;
    Convolver& operator=(const Convolver&) = delete;
    Convolver(Convolver&& other) noexcept;
    Convolver& operator=(Convolver&& other) noexcept;

    // Allocates and plans. `partitionFrames` is rounded up to a power of two.
    void prepare(const float* impulse, std::size_t impulseFrames, std::size_t partitionFrames);
    void reset() noexcept;

    // Convolves in place, any number of frames. Output lags input by latencyFrames().
    void process(float* samples, std::size_t frames) noexcept;
    int latencyFrames() const noexcept { return static_cast<int>(partition_); }

private:
    void processPartition() noexcept;
    void destroy() noexcept;

    std::size_t partition_ = 0;
    std::size_t partitions_ = 0;
    std::size_t bins_ = 0;
    void* forward_ = nullptr;  // fftwf_plan
    void* inverse_ = nullptr;
    float* timeBuffer_ = nullptr;                    // 2B, fftwf_malloc'd
    std::complex<float>* spectrum_ = nullptr;        // B + 1
    // Spectra in split form (all real parts, then all imaginary parts, per partition) so
    // the multiply-accumulate vectorises without shuffles.
    std::vector<float> filter_;       // partitions x 2 (B + 1)
    std::vector<float> history_;      // partitions x 2 (B + 1): input spectra, ring
    std::vector<float> accumulator_;  // 2 (B + 1)
    std::size_t historyHead_ = 0;
    std::vector<float> input_;   // 2B: previous and current input partition
    std::vector<float> output_;  // B: the last partition's output
    std::size_t fill_ = 0;       // frames of the current partition taken in
};

}  // namespace bounce
