#include "programme_views.h"

#include "bounce/fftw_planning.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace bounce::detail {

ProgrammeViewWatcher::ProgrammeViewWatcher(double sampleRate, int channels, std::int64_t frames, std::size_t columns)
    : rate_(sampleRate),
      channels_(channels),
      framesPerColumn_(std::max(1.0, static_cast<double>(std::max<std::int64_t>(frames, 1)) / static_cast<double>(columns))),
      spectrogramColumns_(
          std::clamp<std::size_t>(static_cast<std::size_t>(std::max<std::int64_t>(frames, 0)) / kFftSize, 1, kSpectrogramColumns)),
      framesPerSpectrogramColumn_(
          std::max(1.0, static_cast<double>(std::max<std::int64_t>(frames, 1)) / static_cast<double>(spectrogramColumns_))),
      ll_(columns),
      rr_(columns),
      lr_(columns),
      fineScope_(channels == 2 ? static_cast<std::size_t>(kFineScope * kFineScope) : 0),
      window_(kFftSize),
      fftIn_(kFftSize),
      fftOut_(kFftSize / 2 + 1),
      bandPower_(spectrogramColumns_),
      framesIn_(spectrogramColumns_, 0) {
    // Hann: its sidelobes (-31 dB, falling 18 dB/octave) keep a loud band's leakage out of the
    // quiet bands a spectrogram is read for.
    for (std::size_t i = 0; i < kFftSize; ++i)
        window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / kFftSize));
    // ISO third-octave centres from 25 Hz, below Nyquist.
    for (int k = -17; k <= 13; ++k) {
        const double hz = 1000.0 * std::pow(2.0, k / 3.0);
        if (hz < sampleRate / 2.0 / std::pow(2.0, 1.0 / 6.0)) bandHz_.push_back(hz);
    }
    for (auto& column : bandPower_) column.assign(bandHz_.size(), 0.0);
    makeFftwPlannerThreadSafe();
    plan_ =
        fftwf_plan_dft_r2c_1d(static_cast<int>(kFftSize), fftIn_.data(), reinterpret_cast<fftwf_complex*>(fftOut_.data()), FFTW_ESTIMATE);
}

ProgrammeViewWatcher::~ProgrammeViewWatcher() { fftwf_destroy_plan(static_cast<fftwf_plan>(plan_)); }

void ProgrammeViewWatcher::add(ConstAudioView in) {
    for (std::size_t k = 0; k < in.frames(); ++k) {
        float left = in.channel(0)[k], right = channels_ > 1 ? in.channel(1)[k] : left;
        if (!std::isfinite(left)) left = 0.0f;
        if (!std::isfinite(right)) right = 0.0f;
        addFrame(left, right);
    }
}

void ProgrammeViewWatcher::addFrame(float left, float right) {
    const auto column = std::min(ll_.size() - 1, static_cast<std::size_t>(static_cast<double>(frame_) / framesPerColumn_));
    ll_[column] += static_cast<double>(left) * left;
    rr_[column] += static_cast<double>(right) * right;
    lr_[column] += static_cast<double>(left) * right;
    if (!fineScope_.empty()) {
        // Side across, mid up: (L - R) / 2 and (L + R) / 2 stay within +-1 for samples within +-1.
        const float side = 0.5f * (left - right), mid = 0.5f * (left + right);
        const auto bin = [](float v) { return std::clamp(static_cast<int>((v + 1.0f) * 0.5f * kFineScope), 0, kFineScope - 1); };
        ++fineScope_[static_cast<std::size_t>(bin(mid) * kFineScope + bin(side))];
        peak_ = std::max({peak_, std::fabs(side), std::fabs(mid)});
    }
    fftIn_[filled_++] = channels_ > 1 ? 0.5f * (left + right) : left;
    ++frame_;
    if (filled_ == kFftSize) analyseFrame();
}

// One windowed FFT frame's power, summed into its third-octave bands in the spectrogram
// column its centre falls in.
void ProgrammeViewWatcher::analyseFrame() {
    const std::uint64_t centre = frame_ - kFftSize / 2;
    const auto column =
        std::min(spectrogramColumns_ - 1, static_cast<std::size_t>(static_cast<double>(centre) / framesPerSpectrogramColumn_));
    for (std::size_t i = 0; i < kFftSize; ++i) fftIn_[i] *= window_[i];
    fftwf_execute(static_cast<fftwf_plan>(plan_));
    // dBFS as a sine's peak reads (a full-scale sine: 0 dB): |X|^2 scaled by
    // (2 / sum(window))^2, over Hann's equivalent noise bandwidth (1.5 bins), which its main
    // lobe spreads a sine's power across.
    const double scale = std::pow(2.0 / (0.5 * kFftSize), 2.0) / 1.5;
    const double binHz = rate_ / kFftSize;
    for (std::size_t b = 0; b < bandHz_.size(); ++b) {
        const double lo = bandHz_[b] / std::pow(2.0, 1.0 / 6.0), hi = bandHz_[b] * std::pow(2.0, 1.0 / 6.0);
        double power = 0.0;
        for (auto bin = static_cast<std::size_t>(std::ceil(lo / binHz)); bin < fftOut_.size() && bin * binHz < hi; ++bin)
            power += std::norm(fftOut_[bin]);
        bandPower_[column][b] += power * scale;
    }
    ++framesIn_[column];
    filled_ = 0;
}

ProgrammeViews ProgrammeViewWatcher::finish() {
    ProgrammeViews v;
    if (channels_ == 2)
        for (std::size_t c = 0; c < ll_.size(); ++c)
            v.correlation.push_back(ll_[c] > 1e-9 && rr_[c] > 1e-9 ? static_cast<float>(lr_[c] / std::sqrt(ll_[c] * rr_[c]))
                                                                   : std::numeric_limits<float>::quiet_NaN());
    if (!fineScope_.empty() && peak_ > 0.0f) {
        // Fitted to the peak: the fine grid's bins within +-peak, regrouped onto 48 x 48.
        constexpr int kSize = 48;
        v.scopeSize = kSize;
        v.scopeScale = peak_;
        v.scope.assign(static_cast<std::size_t>(kSize * kSize), 0);
        for (int y = 0; y < kFineScope; ++y)
            for (int x = 0; x < kFineScope; ++x) {
                const auto count = fineScope_[static_cast<std::size_t>(y * kFineScope + x)];
                if (count == 0) continue;
                const auto fitted = [&](int i) {
                    const double value = (static_cast<double>(i) + 0.5) / kFineScope * 2.0 - 1.0;
                    return std::clamp(static_cast<int>((value / peak_ + 1.0) * 0.5 * kSize), 0, kSize - 1);
                };
                v.scope[static_cast<std::size_t>(fitted(y) * kSize + fitted(x))] += count;
            }
    }
    v.spectrogramHz = bandHz_;
    v.spectrogramColumnSeconds = framesPerSpectrogramColumn_ / rate_;
    for (std::size_t c = 0; c < bandPower_.size(); ++c) {
        std::vector<float> column;
        for (double power : bandPower_[c])
            column.push_back(framesIn_[c] > 0 && power > 0.0 ? static_cast<float>(10.0 * std::log10(power / framesIn_[c])) : -120.0f);
        v.spectrogramDb.push_back(std::move(column));
    }
    return v;
}

}  // namespace bounce::detail
