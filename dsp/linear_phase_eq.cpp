#include "bounce/linear_phase_eq.h"
#include "bounce/fftw_planning.h"

#include "bounce/kaiser.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <numbers>

namespace bounce {
namespace {

constexpr std::size_t kPartitionFrames = 1024;
// The mid/side curve EQ serves offline mastering, where latency costs nothing: longer
// partitions mean fewer of them to multiply per sample (about half the work of 1024).
// 2048 is the fastest here with FFTW_ESTIMATE plans (4096-point complex transforms).
constexpr std::size_t kCurvePartitionFrames = 2048;
constexpr double kKaiserBeta = 8.0;

}  // namespace

std::vector<float> designLinearPhaseFir(const std::function<double(double)>& magnitudeDb, double sampleRate, int taps,
                                        double defaultSeconds) {
    if (taps <= 0) {
        taps = 1;
        while (taps < sampleRate * defaultSeconds) taps *= 2;
    }
    taps |= 1;  // odd: a whole-sample centre
    const int half = (taps - 1) / 2;

    // Target magnitude on a grid eight times denser than the filter is long.
    std::size_t grid = 1;
    while (grid < static_cast<std::size_t>(taps) * 8) grid *= 2;
    std::vector<std::complex<double>> spectrum(grid / 2 + 1);
    for (std::size_t k = 0; k < spectrum.size(); ++k) {
        const double f = sampleRate * static_cast<double>(k) / static_cast<double>(grid);
        spectrum[k] = std::pow(10.0, magnitudeDb(std::max(f, 0.1)) / 20.0);
    }
    std::vector<double> impulse(grid);
    makeFftwPlannerThreadSafe();
    fftw_plan plan =
        fftw_plan_dft_c2r_1d(static_cast<int>(grid), reinterpret_cast<fftw_complex*>(spectrum.data()), impulse.data(), FFTW_ESTIMATE);
    fftw_execute(plan);
    fftw_destroy_plan(plan);

    // Zero phase puts the impulse around index 0 (and wraps); centre it and window it.
    // Mirrored from one half, so the taps are exactly symmetric (exactly linear phase).
    std::vector<float> fir(static_cast<std::size_t>(taps), 0.0f);
    for (int offset = 0; offset <= half; ++offset) {
        const double value = impulse[static_cast<std::size_t>(offset)] / static_cast<double>(grid);
        const double window = kaiserWindow(static_cast<double>(offset) / half, kKaiserBeta);
        fir[static_cast<std::size_t>(half + offset)] = fir[static_cast<std::size_t>(half - offset)] = static_cast<float>(value * window);
    }
    return fir;
}

double firMagnitudeDb(const std::vector<float>& taps, double freqHz, double sampleRate) noexcept {
    const double w = 2.0 * std::numbers::pi * freqHz / sampleRate;
    std::complex<double> sum = 0.0;
    for (std::size_t n = 0; n < taps.size(); ++n) sum += static_cast<double>(taps[n]) * std::polar(1.0, -w * static_cast<double>(n));
    return 20.0 * std::log10(std::abs(sum));
}

void LinearPhaseEq::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    target_.setParams(params_.eq);
    target_.prepare({spec.sampleRate, 16, 1});
    taps_ = designLinearPhaseFir([this](double f) { return target_.magnitudeDb(f); }, spec.sampleRate, params_.lengthFrames);
    // Channel pairs share one complex FFT per partition (Convolver::preparePair); an odd
    // last channel has one of its own.
    convolvers_.clear();
    convolvers_.resize(static_cast<std::size_t>((spec.channels + 1) / 2));
    for (std::size_t i = 0; i < convolvers_.size(); ++i) {
        if (2 * static_cast<int>(i) + 1 < spec.channels)
            convolvers_[i].preparePair(taps_.data(), taps_.data(), taps_.size(), kPartitionFrames);
        else
            convolvers_[i].prepare(taps_.data(), taps_.size(), kPartitionFrames);
    }
}

void LinearPhaseEq::reset() noexcept {
    for (auto& c : convolvers_) c.reset();
}

void LinearPhaseEq::process(AudioView io) noexcept {
    const int channels = std::min(io.channels(), spec_.channels);
    for (int c = 0; c < channels; c += 2) {
        Convolver& convolver = convolvers_[static_cast<std::size_t>(c / 2)];
        if (c + 1 < spec_.channels)
            convolver.processPair(io.channel(c), io.channel(c + 1), io.frames());
        else
            convolver.process(io.channel(c), io.frames());
    }
}

int LinearPhaseEq::latencyFrames() const noexcept {
    if (convolvers_.empty()) return 0;
    return static_cast<int>(taps_.size() - 1) / 2 + convolvers_[0].latencyFrames();
}

double LinearPhaseEq::magnitudeDb(double freqHz) const noexcept { return firMagnitudeDb(taps_, freqHz, spec_.sampleRate); }

}  // namespace bounce

namespace bounce {

double MidSideCurveEq::curveAtDb(const std::vector<double>& hz, const std::vector<double>& db, double freqHz) noexcept {
    if (hz.empty() || db.size() != hz.size()) return 0.0;
    if (freqHz <= hz.front()) return db.front();
    if (freqHz >= hz.back()) return db.back();
    const std::size_t i = static_cast<std::size_t>(std::upper_bound(hz.begin(), hz.end(), freqHz) - hz.begin());
    const double t = std::log(freqHz / hz[i - 1]) / std::log(hz[i] / hz[i - 1]);
    return db[i - 1] + t * (db[i] - db[i - 1]);
}

void MidSideCurveEq::prepare(const ProcessSpec& spec) {
    spec_ = spec;
    const auto& p = params_;
    // Half the parametric EQ's default length: the curves are smoothed over about an octave
    // and held flat below 40 Hz, so 0.17 s (about 6 Hz resolution) resolves them, with half
    // the pre-ringing and half the convolution work.
    const double seconds = 0.17;
    midTaps_ = designLinearPhaseFir([&p](double f) { return curveAtDb(p.curveHz, p.midDb, f); }, spec.sampleRate, p.lengthFrames, seconds);
    sideTaps_ =
        designLinearPhaseFir([&p](double f) { return curveAtDb(p.curveHz, p.sideDb, f); }, spec.sampleRate, p.lengthFrames, seconds);
    // Mid and side through one complex FFT per partition (Convolver::preparePair).
    if (spec.channels >= 2)
        convolver_.preparePair(midTaps_.data(), sideTaps_.data(), midTaps_.size(), kCurvePartitionFrames);
    else
        convolver_.prepare(midTaps_.data(), midTaps_.size(), kCurvePartitionFrames);
    midBuffer_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
    sideBuffer_.assign(static_cast<std::size_t>(spec.maxBlockFrames), 0.0f);
}

void MidSideCurveEq::reset() noexcept { convolver_.reset(); }

void MidSideCurveEq::process(AudioView io) noexcept {
    if (io.channels() == 1 || spec_.channels == 1) {
        convolver_.process(io.channel(0), io.frames());
        return;
    }
    float* l = io.channel(0);
    float* r = io.channel(1);
    for (std::size_t start = 0; start < io.frames(); start += midBuffer_.size()) {
        const std::size_t n = std::min(midBuffer_.size(), io.frames() - start);
        for (std::size_t i = 0; i < n; ++i) {
            midBuffer_[i] = 0.5f * (l[start + i] + r[start + i]);
            sideBuffer_[i] = 0.5f * (l[start + i] - r[start + i]);
        }
        convolver_.processPair(midBuffer_.data(), sideBuffer_.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
            l[start + i] = midBuffer_[i] + sideBuffer_[i];
            r[start + i] = midBuffer_[i] - sideBuffer_[i];
        }
    }
}

int MidSideCurveEq::latencyFrames() const noexcept { return static_cast<int>(midTaps_.size() - 1) / 2 + convolver_.latencyFrames(); }

}  // namespace bounce
