#include "bounce/convolver.h"

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

void Convolver::prepare(const float* impulse, std::size_t impulseFrames, std::size_t partitionFrames) {
    destroy();
    partition_ = 1;
    while (partition_ < std::max<std::size_t>(partitionFrames, 16)) partition_ *= 2;
    const std::size_t fftSize = 2 * partition_;
    bins_ = partition_ + 1;
    partitions_ = std::max<std::size_t>(1, (impulseFrames + partition_ - 1) / partition_);
    timeBuffer_ = static_cast<float*>(fftwf_malloc(sizeof(float) * fftSize));
    spectrum_ = static_cast<std::complex<float>*>(fftwf_malloc(sizeof(fftwf_complex) * bins_));
    forward_ = fftwf_plan_dft_r2c_1d(static_cast<int>(fftSize), timeBuffer_, reinterpret_cast<fftwf_complex*>(spectrum_),
                                     FFTW_ESTIMATE);
    inverse_ = fftwf_plan_dft_c2r_1d(static_cast<int>(fftSize), reinterpret_cast<fftwf_complex*>(spectrum_), timeBuffer_,
                                     FFTW_ESTIMATE);
    // Partition spectra: each partition zero-padded to 2B (overlap-save), scaled by 1/2B
    // for FFTW's unnormalised inverse.
    filter_.assign(partitions_ * 2 * bins_, 0.0f);
    const float scale = 1.0f / static_cast<float>(fftSize);
    for (std::size_t p = 0; p < partitions_; ++p) {
        std::fill(timeBuffer_, timeBuffer_ + fftSize, 0.0f);
        const std::size_t start = p * partition_;
        const std::size_t count = std::min(partition_, impulseFrames > start ? impulseFrames - start : 0);
        for (std::size_t i = 0; i < count; ++i) timeBuffer_[i] = impulse[start + i] * scale;
        fftwf_execute(static_cast<fftwf_plan>(forward_));
        float* re = filter_.data() + p * 2 * bins_;
        float* im = re + bins_;
        for (std::size_t k = 0; k < bins_; ++k) {
            re[k] = spectrum_[k].real();
            im[k] = spectrum_[k].imag();
        }
    }
    history_.assign(partitions_ * 2 * bins_, 0.0f);
    accumulator_.assign(2 * bins_, 0.0f);
    input_.assign(fftSize, 0.0f);
    output_.assign(partition_, 0.0f);
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

void Convolver::processPartition() noexcept {
    const std::size_t fftSize = 2 * partition_;
    // Transform [previous B | current B] and push the spectrum into the delay line.
    std::memcpy(timeBuffer_, input_.data(), fftSize * sizeof(float));
    fftwf_execute(static_cast<fftwf_plan>(forward_));
    historyHead_ = (historyHead_ + partitions_ - 1) % partitions_;
    {
        float* re = history_.data() + historyHead_ * 2 * bins_;
        float* im = re + bins_;
        for (std::size_t k = 0; k < bins_; ++k) {
            re[k] = spectrum_[k].real();
            im[k] = spectrum_[k].imag();
        }
    }
    // Sum over partitions: spectrum of input delayed by p partitions times partition p.
    float* __restrict accRe = accumulator_.data();
    float* __restrict accIm = accRe + bins_;
    std::fill(accumulator_.begin(), accumulator_.end(), 0.0f);
    std::size_t slot = historyHead_;
    for (std::size_t p = 0; p < partitions_; ++p) {
        const float* __restrict xRe = history_.data() + slot * 2 * bins_;
        const float* __restrict xIm = xRe + bins_;
        const float* __restrict hRe = filter_.data() + p * 2 * bins_;
        const float* __restrict hIm = hRe + bins_;
        multiplyAccumulate(accRe, accIm, xRe, xIm, hRe, hIm, bins_);
        if (++slot == partitions_) slot = 0;
    }
    for (std::size_t k = 0; k < bins_; ++k) spectrum_[k] = {accRe[k], accIm[k]};
    fftwf_execute(static_cast<fftwf_plan>(inverse_));
    // Overlap-save: the second half is the valid linear convolution.
    std::memcpy(output_.data(), timeBuffer_ + partition_, partition_ * sizeof(float));
    std::memmove(input_.data(), input_.data() + partition_, partition_ * sizeof(float));
}

}  // namespace bounce
