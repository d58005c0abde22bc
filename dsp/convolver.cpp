#include "bounce/convolver.h"
#include "bounce/fftw_planning.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace bounce {
namespace {

// acc += x * h over split complex arrays: the convolver's inner loop. Compiled twice, for
// AVX and for the x86-64 baseline, and picked at load time; the arithmetic per element
// is the same (no FMA), so both give the same bytes.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx", "default")))
#endif
void multiplyAccumulate(float* __restrict accRe, float* __restrict accIm, const float* __restrict xRe,
                        const float* __restrict xIm, const float* __restrict hRe, const float* __restrict hIm,
                        std::size_t n) noexcept {
    for (std::size_t k = 0; k < n; ++k) {
        accRe[k] += xRe[k] * hRe[k] - xIm[k] * hIm[k];
        accIm[k] += xRe[k] * hIm[k] + xIm[k] * hRe[k];
    }
}

}  // namespace

Convolver::~Convolver() { destroy(); }

Convolver::Convolver(Convolver&& other) noexcept { *this = std::move(other); }

Convolver& Convolver::operator=(Convolver&& other) noexcept {
    if (this == &other) return *this;
    destroy();
    streams_ = other.streams_;
    partition_ = other.partition_;
    partitions_ = other.partitions_;
    bins_ = other.bins_;
    forward_ = std::exchange(other.forward_, nullptr);
    inverse_ = std::exchange(other.inverse_, nullptr);
    timeBuffer_ = std::exchange(other.timeBuffer_, nullptr);
    spectrum_ = std::exchange(other.spectrum_, nullptr);
    filter_ = std::move(other.filter_);
    history_ = std::move(other.history_);
    accumulator_ = std::move(other.accumulator_);
    historyHead_ = other.historyHead_;
    input_ = std::move(other.input_);
    output_ = std::move(other.output_);
    fill_ = other.fill_;
    return *this;
}

void Convolver::destroy() noexcept {
    if (forward_) fftwf_destroy_plan(static_cast<fftwf_plan>(forward_));
    if (inverse_) fftwf_destroy_plan(static_cast<fftwf_plan>(inverse_));
    if (timeBuffer_) fftwf_free(timeBuffer_);
    if (spectrum_) fftwf_free(spectrum_);
    forward_ = inverse_ = nullptr;
    timeBuffer_ = nullptr;
    spectrum_ = nullptr;
}

void Convolver::allocate(std::size_t impulseFrames, std::size_t partitionFrames, int streams) {
    makeFftwPlannerThreadSafe();
    destroy();
    streams_ = streams;
    partition_ = 1;
    while (partition_ < std::max<std::size_t>(partitionFrames, 16)) partition_ *= 2;
    const std::size_t fftSize = 2 * partition_;
    bins_ = partition_ + 1;
    partitions_ = std::max<std::size_t>(1, (impulseFrames + partition_ - 1) / partition_);
    const auto n = static_cast<int>(fftSize);
    if (streams == 1) {
        timeBuffer_ = static_cast<float*>(fftwf_malloc(sizeof(float) * fftSize));
        spectrum_ = static_cast<std::complex<float>*>(fftwf_malloc(sizeof(fftwf_complex) * bins_));
        auto* spectrum = reinterpret_cast<fftwf_complex*>(spectrum_);
        forward_ = fftwf_plan_dft_r2c_1d(n, timeBuffer_, spectrum, FFTW_ESTIMATE);
        inverse_ = fftwf_plan_dft_c2r_1d(n, spectrum, timeBuffer_, FFTW_ESTIMATE);
    } else {
        timeBuffer_ = static_cast<float*>(fftwf_malloc(sizeof(fftwf_complex) * fftSize));
        spectrum_ = static_cast<std::complex<float>*>(fftwf_malloc(sizeof(fftwf_complex) * fftSize));
        auto* time = reinterpret_cast<fftwf_complex*>(timeBuffer_);
        auto* spectrum = reinterpret_cast<fftwf_complex*>(spectrum_);
        forward_ = fftwf_plan_dft_1d(n, time, spectrum, FFTW_FORWARD, FFTW_ESTIMATE);
        inverse_ = fftwf_plan_dft_1d(n, spectrum, time, FFTW_BACKWARD, FFTW_ESTIMATE);
    }
    const auto perStream = static_cast<std::size_t>(streams);
    filter_.assign(partitions_ * perStream * 2 * bins_, 0.0f);
    history_.assign(partitions_ * perStream * 2 * bins_, 0.0f);
    accumulator_.assign(perStream * 2 * bins_, 0.0f);
    input_.assign(perStream * fftSize, 0.0f);
    output_.assign(perStream * partition_, 0.0f);
}

void Convolver::prepare(const float* impulse, std::size_t impulseFrames, std::size_t partitionFrames) {
    allocate(impulseFrames, partitionFrames, 1);
    // Partition spectra: each partition zero-padded to 2B (overlap-save), scaled by 1/2B
    // for FFTW's unnormalised inverse.
    const std::size_t fftSize = 2 * partition_;
    const float scale = 1.0f / static_cast<float>(fftSize);
    for (std::size_t p = 0; p < partitions_; ++p) {
        std::fill(timeBuffer_, timeBuffer_ + fftSize, 0.0f);
        const std::size_t start = p * partition_;
        const std::size_t count = std::min(partition_, impulseFrames > start ? impulseFrames - start : 0);
        for (std::size_t i = 0; i < count; ++i) timeBuffer_[i] = impulse[start + i] * scale;
        fftwf_execute(static_cast<fftwf_plan>(forward_));
        float* re = filter(p, 0);
        float* im = re + bins_;
        for (std::size_t k = 0; k < bins_; ++k) {
            re[k] = spectrum_[k].real();
            im[k] = spectrum_[k].imag();
        }
    }
    reset();
}

namespace {

// Splits the transform of a + jb (n points) into the spectra of a and b, bins 0 .. n/2.
void separate(const std::complex<float>* z, std::size_t n, float* aRe, float* aIm, float* bRe, float* bIm) noexcept {
    for (std::size_t k = 0; k <= n / 2; ++k) {
        const std::complex<float> zk = z[k], zm = std::conj(z[(n - k) & (n - 1)]);
        const std::complex<float> sum = zk + zm, difference = zk - zm;
        aRe[k] = 0.5f * sum.real();
        aIm[k] = 0.5f * sum.imag();
        // (zk - zm) / 2j
        bRe[k] = 0.5f * difference.imag();
        bIm[k] = -0.5f * difference.real();
    }
}

}  // namespace

void Convolver::preparePair(const float* impulseA, const float* impulseB, std::size_t impulseFrames, std::size_t partitionFrames) {
    allocate(impulseFrames, partitionFrames, 2);
    const std::size_t fftSize = 2 * partition_;
    const float scale = 1.0f / static_cast<float>(fftSize);
    for (std::size_t p = 0; p < partitions_; ++p) {
        std::fill(timeBuffer_, timeBuffer_ + 2 * fftSize, 0.0f);
        const std::size_t start = p * partition_;
        const std::size_t count = std::min(partition_, impulseFrames > start ? impulseFrames - start : 0);
        for (std::size_t i = 0; i < count; ++i) {
            timeBuffer_[2 * i] = impulseA[start + i] * scale;
            timeBuffer_[2 * i + 1] = impulseB[start + i] * scale;
        }
        fftwf_execute(static_cast<fftwf_plan>(forward_));
        float* a = filter(p, 0);
        float* b = filter(p, 1);
        separate(spectrum_, fftSize, a, a + bins_, b, b + bins_);
    }
    reset();
}

void Convolver::reset() noexcept {
    std::fill(history_.begin(), history_.end(), 0.0f);
    std::fill(input_.begin(), input_.end(), 0.0f);
    std::fill(output_.begin(), output_.end(), 0.0f);
    historyHead_ = 0;
    fill_ = 0;
}

void Convolver::process(float* samples, std::size_t frames) noexcept {
    std::size_t done = 0;
    while (done < frames) {
        // Swap a run of input for the same run of the last partition's output.
        const std::size_t run = std::min(frames - done, partition_ - fill_);
        float* in = input_.data() + partition_ + fill_;
        const float* out = output_.data() + fill_;
        for (std::size_t i = 0; i < run; ++i) {
            const float x = samples[done + i];
            in[i] = std::isfinite(x) ? x : 0.0f;
            samples[done + i] = out[i];
        }
        fill_ += run;
        done += run;
        if (fill_ == partition_) {
            processPartition();
            fill_ = 0;
        }
    }
}

void Convolver::processPair(float* a, float* b, std::size_t frames) noexcept {
    const std::size_t fftSize = 2 * partition_;
    std::size_t done = 0;
    while (done < frames) {
        const std::size_t run = std::min(frames - done, partition_ - fill_);
        float* streams[2] = {a, b};
        for (int s = 0; s < 2; ++s) {
            float* in = input_.data() + static_cast<std::size_t>(s) * fftSize + partition_ + fill_;
            const float* out = output_.data() + static_cast<std::size_t>(s) * partition_ + fill_;
            float* x = streams[s] + done;
            for (std::size_t i = 0; i < run; ++i) {
                const float v = x[i];
                in[i] = std::isfinite(v) ? v : 0.0f;
                x[i] = out[i];
            }
        }
        fill_ += run;
        done += run;
        if (fill_ == partition_) {
            processPartitionPair();
            fill_ = 0;
        }
    }
}

// Sum over partitions: spectrum of input delayed by p partitions times partition p.
void Convolver::accumulate(int stream) noexcept {
    float* __restrict accRe = accumulator_.data() + static_cast<std::size_t>(stream) * 2 * bins_;
    float* __restrict accIm = accRe + bins_;
    std::fill(accRe, accRe + 2 * bins_, 0.0f);
    std::size_t slot = historyHead_;
    for (std::size_t p = 0; p < partitions_; ++p) {
        const float* __restrict xRe = history(slot, stream);
        const float* __restrict xIm = xRe + bins_;
        const float* __restrict hRe = filter(p, stream);
        const float* __restrict hIm = hRe + bins_;
        multiplyAccumulate(accRe, accIm, xRe, xIm, hRe, hIm, bins_);
        if (++slot == partitions_) slot = 0;
    }
}

void Convolver::processPartition() noexcept {
    const std::size_t fftSize = 2 * partition_;
    // Transform [previous B | current B] and push the spectrum into the delay line.
    std::memcpy(timeBuffer_, input_.data(), fftSize * sizeof(float));
    fftwf_execute(static_cast<fftwf_plan>(forward_));
    historyHead_ = (historyHead_ + partitions_ - 1) % partitions_;
    {
        float* re = history(historyHead_, 0);
        float* im = re + bins_;
        for (std::size_t k = 0; k < bins_; ++k) {
            re[k] = spectrum_[k].real();
            im[k] = spectrum_[k].imag();
        }
    }
    accumulate(0);
    const float* accRe = accumulator_.data();
    const float* accIm = accRe + bins_;
    for (std::size_t k = 0; k < bins_; ++k) spectrum_[k] = {accRe[k], accIm[k]};
    fftwf_execute(static_cast<fftwf_plan>(inverse_));
    // Overlap-save: the second half is the valid linear convolution.
    std::memcpy(output_.data(), timeBuffer_ + partition_, partition_ * sizeof(float));
    std::memmove(input_.data(), input_.data() + partition_, partition_ * sizeof(float));
}

void Convolver::processPartitionPair() noexcept {
    const std::size_t fftSize = 2 * partition_;
    const float* inA = input_.data();
    const float* inB = input_.data() + fftSize;
    for (std::size_t i = 0; i < fftSize; ++i) {
        timeBuffer_[2 * i] = inA[i];
        timeBuffer_[2 * i + 1] = inB[i];
    }
    fftwf_execute(static_cast<fftwf_plan>(forward_));
    historyHead_ = (historyHead_ + partitions_ - 1) % partitions_;
    float* a = history(historyHead_, 0);
    float* b = history(historyHead_, 1);
    separate(spectrum_, fftSize, a, a + bins_, b, b + bins_);
    accumulate(0);
    accumulate(1);
    // Y = YA + jYB on bins 0 .. B, and the conjugate-symmetric continuation above.
    const float* aRe = accumulator_.data();
    const float* aIm = aRe + bins_;
    const float* bRe = aIm + bins_;
    const float* bIm = bRe + bins_;
    for (std::size_t k = 0; k <= partition_; ++k) spectrum_[k] = {aRe[k] - bIm[k], aIm[k] + bRe[k]};
    for (std::size_t k = 1; k < partition_; ++k) spectrum_[fftSize - k] = {aRe[k] + bIm[k], bRe[k] - aIm[k]};
    fftwf_execute(static_cast<fftwf_plan>(inverse_));
    float* outA = output_.data();
    float* outB = output_.data() + partition_;
    for (std::size_t i = 0; i < partition_; ++i) {
        outA[i] = timeBuffer_[2 * (partition_ + i)];
        outB[i] = timeBuffer_[2 * (partition_ + i) + 1];
    }
    for (int s = 0; s < 2; ++s) {
        float* in = input_.data() + static_cast<std::size_t>(s) * fftSize;
        std::memmove(in, in + partition_, partition_ * sizeof(float));
    }
}

}  // namespace bounce
