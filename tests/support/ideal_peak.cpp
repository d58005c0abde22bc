#include "ideal_peak.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <mutex>
#include <utility>
#include <vector>

namespace bounce::test {
namespace {

constexpr std::ptrdiff_t kCore = 32768;
constexpr std::ptrdiff_t kContext = 16384;
constexpr std::ptrdiff_t kSegment = kCore + 2 * kContext;  // 65536
constexpr std::ptrdiff_t kFactor = 32;
constexpr std::ptrdiff_t kCoarseFactor = 4;
constexpr std::ptrdiff_t kOutside = 4096;

std::mutex& planMutex() {
    static std::mutex m;
    return m;
}

}  // namespace

double idealTruePeak(const float* samples, std::size_t count) {
    const auto n = static_cast<std::ptrdiff_t>(count);
    const auto at = [&](std::ptrdiff_t i) { return i >= 0 && i < n && std::isfinite(samples[i]) ? static_cast<double>(samples[i]) : 0.0; };
    std::vector<double> in(static_cast<std::size_t>(kSegment));
    std::vector<std::complex<double>> spectrum(static_cast<std::size_t>(kSegment / 2 + 1));
    std::vector<std::complex<double>> wide(static_cast<std::size_t>(kSegment * kFactor / 2 + 1));
    std::vector<double> out(static_cast<std::size_t>(kSegment * kFactor));
    fftw_plan forward, inverse, coarse;
    {
        std::lock_guard<std::mutex> lock(planMutex());
        forward =
            fftw_plan_dft_r2c_1d(static_cast<int>(kSegment), in.data(), reinterpret_cast<fftw_complex*>(spectrum.data()), FFTW_ESTIMATE);
        inverse = fftw_plan_dft_c2r_1d(static_cast<int>(kSegment * kFactor), reinterpret_cast<fftw_complex*>(wide.data()), out.data(),
                                       FFTW_ESTIMATE);
        coarse = fftw_plan_dft_c2r_1d(static_cast<int>(kSegment * kCoarseFactor), reinterpret_cast<fftw_complex*>(wide.data()), out.data(),
                                      FFTW_ESTIMATE);
    }
    const double scale = 1.0 / static_cast<double>(kSegment);  // FFTW's transforms are unnormalised
    // Interpolates the segment starting at `start` by `factor` into `out`; returns the range of
    // `out` that belongs to the segment's core.
    const auto interpolate = [&](std::ptrdiff_t start, std::ptrdiff_t factor, fftw_plan plan) {
        for (std::ptrdiff_t i = 0; i < kSegment; ++i) in[static_cast<std::size_t>(i)] = at(start - kContext + i);
        fftw_execute(forward);
        std::fill_n(wide.begin(), kSegment * factor / 2 + 1, std::complex<double>(0.0, 0.0));
        std::copy(spectrum.begin(), spectrum.end(), wide.begin());
        // The Nyquist bin of an even-length real DFT is shared by +fs/2 and -fs/2: in the
        // longer spectrum it is split between them (half stays at +fs/2).
        wide[static_cast<std::size_t>(kSegment / 2)] *= 0.5;
        fftw_execute(plan);
        return std::pair{kContext * factor, std::min(kContext + kCore, kContext + (n + kOutside - start)) * factor};
    };
    // First every segment on a 4x grid. A signal band-limited to fs/2 stays within
    // cos(pi/8) of a crest for 1/8 sample either side of it (Bernstein), so a segment whose
    // 4x maximum is under the best so far by more than that cannot hold the peak: only the
    // others are read at 32x, the loudest first.
    std::vector<std::pair<double, std::ptrdiff_t>> segments;
    for (std::ptrdiff_t start = -kOutside; start < n + kOutside; start += kCore) {
        const auto [first, last] = interpolate(start, kCoarseFactor, coarse);
        double most = 0.0;
        for (std::ptrdiff_t i = first; i < last; ++i) most = std::max(most, std::fabs(out[static_cast<std::size_t>(i)]));
        segments.emplace_back(most * scale, start);
    }
    std::sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    const double gridMiss = 1.0 / std::cos(std::acos(-1.0) / 8.0) * (1.0 + 1e-9);
    double peak = 0.0;
    for (const auto& [coarsePeak, start] : segments) {
        if (coarsePeak * gridMiss <= peak) break;
        const auto [first, last] = interpolate(start, kFactor, inverse);
        std::ptrdiff_t best = first;
        double bestValue = 0.0;
        for (std::ptrdiff_t i = first; i < last; ++i) {
            const double v = std::fabs(out[static_cast<std::size_t>(i)]);
            if (v > bestValue) bestValue = v, best = i;
        }
        bestValue *= scale;
        if (best > 0 && best + 1 < kSegment * kFactor) {
            const double y0 = std::fabs(out[static_cast<std::size_t>(best - 1)]) * scale, y1 = bestValue,
                         y2 = std::fabs(out[static_cast<std::size_t>(best + 1)]) * scale;
            const double den = y0 - 2 * y1 + y2;
            if (den < 0) bestValue = std::max(bestValue, y1 - 0.125 * (y0 - y2) * (y0 - y2) / den);
        }
        peak = std::max(peak, bestValue);
    }
    {
        std::lock_guard<std::mutex> lock(planMutex());
        fftw_destroy_plan(forward);
        fftw_destroy_plan(inverse);
        fftw_destroy_plan(coarse);
    }
    return peak;
}

double idealTruePeakDbtp(ConstAudioView audio) {
    double peak = 0.0;
    for (int c = 0; c < audio.channels(); ++c) peak = std::max(peak, idealTruePeak(audio.channel(c), audio.frames()));
    return 20.0 * std::log10(std::max(peak, 1e-30));
}

}  // namespace bounce::test
