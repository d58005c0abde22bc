// Google Benchmarks for the analysis hot paths (frames per second, stereo, block 4096).
#include "bounce/analysis.h"
#include "bounce/linear_phase_eq.h"
#include "bounce/loudness_meter.h"
#include "bounce/spectrum_profile.h"
#include "bounce/true_peak.h"
#include "programme.h"

#include <benchmark/benchmark.h>

#include <algorithm>

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

// The reference-matching analysis: meter, statistics and mid/side spectrum in one pass.
void BM_ProgramAnalyzerWithSpectrum(benchmark::State& state) {
    const auto view = bounce::ConstAudioView(programme().view());
    for (auto _ : state) {
        bounce::ProgramAnalyzer analyzer(48000.0, 2);
        analyzer.enableSpectrumProfile();
        for (std::size_t i = 0; i < view.frames(); i += 4096)
            analyzer.addFrames(view.subView(i, std::min<std::size_t>(4096, view.frames() - i)));
        const auto result = analyzer.result();
        benchmark::DoNotOptimize(analyzer.spectrumProfile(result).midDb.data());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * view.frames()));
}

// The reference match's curve EQ (two 0.17 s linear-phase FIRs on mid and side).
void BM_MidSideCurveEq(benchmark::State& state) {
    bounce::MidSideCurveEqParams params;
    params.curveHz = {60.0, 250.0, 1000.0, 4000.0, 12000.0};
    params.midDb = {2.0, -1.0, 0.0, 1.5, 3.0};
    params.sideDb = {-3.0, 0.0, 1.0, 2.0, 2.0};
    bounce::MidSideCurveEq eq;
    eq.setParams(params);
    eq.prepare({48000.0, 4096, 2});
    bounce::AudioBuffer work(2, programme().frames());
    for (auto _ : state) {
        for (int c = 0; c < 2; ++c) std::copy_n(programme().channel(c), work.frames(), work.channel(c));
        for (std::size_t i = 0; i < work.frames(); i += 4096)
            eq.process(work.view().subView(i, std::min<std::size_t>(4096, work.frames() - i)));
        benchmark::DoNotOptimize(work.channel(0));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * work.frames()));
}

BENCHMARK(BM_LoudnessMeter)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ProgramAnalyzerWithSpectrum)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MidSideCurveEq)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoudnessMeterNoTruePeak)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TruePeakDetector)->Unit(benchmark::kMillisecond);

}  // namespace
