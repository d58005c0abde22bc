// Google Benchmarks for the analysis hot paths (frames per second, stereo, block 4096).
#include "bounce/loudness_meter.h"
#include "bounce/true_peak.h"
#include "programme.h"

#include <benchmark/benchmark.h>

namespace {

const bounce::AudioBuffer& programme() {
    static const bounce::AudioBuffer audio = bounce::bench::benchmarkProgramme(48000.0, 20.0);
    return audio;
}

void runMeter(benchmark::State& state, bool truePeak) {
    const auto view = bounce::ConstAudioView(programme().view());
    constexpr std::size_t block = 4096;
    for (auto _ : state) {
        bounce::LoudnessMeter meter({48000.0, {1.0, 1.0}, truePeak});
        for (std::size_t i = 0; i < view.frames(); i += block) meter.addFrames(view.subView(i, std::min(block, view.frames() - i)));
        benchmark::DoNotOptimize(meter.integratedLufs());
        benchmark::DoNotOptimize(meter.loudnessRangeLu());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * view.frames()));
}

void BM_LoudnessMeter(benchmark::State& state) { runMeter(state, true); }
void BM_LoudnessMeterNoTruePeak(benchmark::State& state) { runMeter(state, false); }

void BM_TruePeakDetector(benchmark::State& state) {
    const float* x = programme().channel(0);
    const std::size_t frames = programme().frames();
    for (auto _ : state) {
        bounce::TruePeakDetector detector;
        detector.prepare(48000.0);
        for (std::size_t i = 0; i < frames; i += 4096) detector.process(x + i, std::min<std::size_t>(4096, frames - i));
        benchmark::DoNotOptimize(detector.peak());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames));
}

BENCHMARK(BM_LoudnessMeter)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoudnessMeterNoTruePeak)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TruePeakDetector)->Unit(benchmark::kMillisecond);

}  // namespace
