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
    // Two streams, each with its own impulse response (same length), through one complex
    // FFT per partition instead of two real ones: a real signal's spectrum is conjugate-
    // symmetric, so Z = FFT(a + jb) holds both, A[k] = (Z[k] + Z*[N-k]) / 2 and
    // B[k] = (Z[k] - Z*[N-k]) / 2j, and the two outputs come back as the real and
    // imaginary parts of one inverse transform. Use processPair().
    void preparePair(const float* impulseA, const float* impulseB, std::size_t impulseFrames, std::size_t partitionFrames);
    void reset() noexcept;

    // Convolves in place, any number of frames. Output lags input by latencyFrames().
    void process(float* samples, std::size_t frames) noexcept;
    // After preparePair(): both streams, in place.
    void processPair(float* a, float* b, std::size_t frames) noexcept;
    int latencyFrames() const noexcept { return static_cast<int>(partition_); }

private:
    void allocate(std::size_t impulseFrames, std::size_t partitionFrames, int streams);
    void processPartition() noexcept;
    void processPartitionPair() noexcept;
    void accumulate(int stream) noexcept;
    float* history(std::size_t slot, int stream) noexcept {
        return history_.data() + (slot * static_cast<std::size_t>(streams_) + static_cast<std::size_t>(stream)) * 2 * bins_;
    }
    float* filter(std::size_t partition, int stream) noexcept {
        return filter_.data() + (partition * static_cast<std::size_t>(streams_) + static_cast<std::size_t>(stream)) * 2 * bins_;
    }
    void destroy() noexcept;

    int streams_ = 1;
    std::size_t partition_ = 0;
    std::size_t partitions_ = 0;
    std::size_t bins_ = 0;
    void* forward_ = nullptr;  // fftwf_plan
    void* inverse_ = nullptr;
    float* timeBuffer_ = nullptr;              // one stream: 2B reals; two: 2B complex (fftwf_malloc'd)
    std::complex<float>* spectrum_ = nullptr;  // one stream: B + 1 bins; two: 2B
    // Spectra in split form (all real parts, then all imaginary parts, per partition and
    // stream) so the multiply-accumulate vectorises without shuffles.
    std::vector<float> filter_;       // partitions x streams x 2 (B + 1)
    std::vector<float> history_;      // partitions x streams x 2 (B + 1): input spectra, ring
    std::vector<float> accumulator_;  // streams x 2 (B + 1)
    std::size_t historyHead_ = 0;
    std::vector<float> input_;   // streams x 2B: previous and current input partition
    std::vector<float> output_;  // streams x B: the last partition's output
    std::size_t fill_ = 0;       // frames of the current partition taken in
};

}  // namespace bounce
