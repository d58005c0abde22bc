// Bounce's meter against libebur128 on the same 5-minute stereo 44.1 kHz programme, in one
// run: integrated + loudness range + true peak, one thread, blocks of 4096 frames, best of
// several runs. Prints both times, the ratio and both readings.
#include "bounce/loudness_meter.h"
#include "programme.h"

#include <ebur128.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

constexpr std::size_t kBlock = 4096;
constexpr int kRuns = 5;

template <typename Fn>
double bestSeconds(Fn fn) {
    double best = 1e30;
    for (int run = 0; run < kRuns; ++run) {
        const auto start = std::chrono::steady_clock::now();
        fn();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
}

}  // namespace

int main() {
    using namespace bounce;
    const double rate = 44100.0;
    const AudioBuffer audio = bench::benchmarkProgramme(rate, 300.0);
    const ConstAudioView view = audio.view();
    // libebur128 takes interleaved frames; interleave once, outside the timing, so that
    // neither side pays for a layout conversion.
    std::vector<float> interleaved(audio.frames() * 2);
    for (std::size_t i = 0; i < audio.frames(); ++i) {
        interleaved[2 * i] = audio.channel(0)[i];
        interleaved[2 * i + 1] = audio.channel(1)[i];
    }

    double ourIntegrated = 0, ourRange = 0, ourPeak = 0;
    const double ours = bestSeconds([&] {
        LoudnessMeter meter({rate, {1.0, 1.0}, true});
        for (std::size_t i = 0; i < view.frames(); i += kBlock) meter.addFrames(view.subView(i, std::min(kBlock, view.frames() - i)));
        ourIntegrated = meter.integratedLufs().value_or(NAN);
        ourRange = meter.loudnessRangeLu().value_or(NAN);
        ourPeak = 20 * std::log10(std::max(meter.truePeak(0), meter.truePeak(1)));
    });

    double peerIntegrated = 0, peerRange = 0, peerPeak = 0;
    const double peer = bestSeconds([&] {
        ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(rate),
                                         EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_HISTOGRAM);
        for (std::size_t i = 0; i < audio.frames(); i += kBlock)
            ebur128_add_frames_float(st, interleaved.data() + 2 * i, std::min(kBlock, audio.frames() - i));
        double l = 0, r = 0;
        ebur128_loudness_global(st, &peerIntegrated);
        ebur128_loudness_range(st, &peerRange);
        ebur128_true_peak(st, 0, &l);
        ebur128_true_peak(st, 1, &r);
        peerPeak = 20 * std::log10(std::max(l, r));
        ebur128_destroy(&st);
    });

    std::printf("loudness meter (I + LRA + true peak), 5 min stereo 44.1 kHz, best of %d:\n", kRuns);
    std::printf("  bounce      %7.3f s   I %.3f LUFS  LRA %.3f LU  TP %.3f dBTP\n", ours, ourIntegrated, ourRange, ourPeak);
    std::printf("  libebur128  %7.3f s   I %.3f LUFS  LRA %.3f LU  TP %.3f dBTP\n", peer, peerIntegrated, peerRange, peerPeak);
    std::printf("  ratio       %.2fx faster (libebur128 time / bounce time)\n", peer / ours);
    return 0;
}
