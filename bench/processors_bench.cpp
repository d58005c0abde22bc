// Google Benchmarks per processor: stereo 48 kHz, blocks of 512 frames; items/s are
// frames per second.
#include "bounce/processor_registry.h"
#include "programme.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <string>

namespace {

using bounce::InsertSpec;
using bounce::ParamTable;

InsertSpec spec(const std::string& type, const std::map<std::string, bounce::ParamValue>& params) {
    InsertSpec insert;
    insert.type = type;
    insert.params.source = "bench";
    for (const auto& [key, value] : params) insert.params.entries[key] = {value, 1};
    return insert;
}

const bounce::AudioBuffer& programme() {
    static const bounce::AudioBuffer audio = bounce::bench::benchmarkProgramme(48000.0, 10.0);
    return audio;
}

void run(benchmark::State& state, const InsertSpec& insert) {
    auto processor = bounce::createProcessor(insert, 2);
    processor->prepare({48000.0, 512, 2});
    bounce::AudioBuffer work = programme();
    for (auto _ : state) {
        // A fresh copy each time: processing the already-processed signal would measure a
        // quieter (cheaper) input than the first pass.
        for (int c = 0; c < 2; ++c) std::copy_n(programme().channel(c), work.frames(), work.channel(c));
        for (std::size_t i = 0; i < work.frames(); i += 512)
            processor->process(work.view().subView(i, std::min<std::size_t>(512, work.frames() - i)));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * work.frames()));
}

ParamTable band(const std::map<std::string, bounce::ParamValue>& params) {
    ParamTable t;
    t.source = "bench";
    for (const auto& [key, value] : params) t.entries[key] = {value, 1};
    return t;
}

#define BOUNCE_PROCESSOR_BENCHMARK(name, ...)                                         \
    void BM_##name(benchmark::State& state) { run(state, spec(#name, __VA_ARGS__)); } \
    BENCHMARK(BM_##name)->Unit(benchmark::kMillisecond)

BOUNCE_PROCESSOR_BENCHMARK(peak, {{"freq_hz", 1000.0}, {"gain_db", 3.0}, {"q", 1.0}});
BOUNCE_PROCESSOR_BENCHMARK(highpass, {{"freq_hz", 80.0}, {"slope_db_oct", 24.0}});
BOUNCE_PROCESSOR_BENCHMARK(compressor, {{"threshold_db", -20.0}, {"ratio", 4.0}});
BOUNCE_PROCESSOR_BENCHMARK(gate, {{"threshold_db", -50.0}});
BOUNCE_PROCESSOR_BENCHMARK(de_esser, {{"threshold_db", -30.0}});
BOUNCE_PROCESSOR_BENCHMARK(limiter, {{"ceiling_dbtp", -1.0}});
BOUNCE_PROCESSOR_BENCHMARK(saturation, {{"drive_db", 6.0}});
BOUNCE_PROCESSOR_BENCHMARK(width, {{"width", 1.2}});
BOUNCE_PROCESSOR_BENCHMARK(delay, {{"time_ms", 375.0}});
BOUNCE_PROCESSOR_BENCHMARK(reverb, {{"decay_s", 2.0}});
BOUNCE_PROCESSOR_BENCHMARK(dither, {{"bits", 16.0}});
BOUNCE_PROCESSOR_BENCHMARK(multiband_compressor,
                           {{"band", std::vector<ParamTable>{band({{"up_to_hz", 120.0}}), band({{"up_to_hz", 2500.0}}), band({})}}});
BOUNCE_PROCESSOR_BENCHMARK(linear_phase_eq, {{"band", std::vector<ParamTable>{
                                                          band({{"type", std::string("peak")}, {"freq_hz", 1000.0}, {"gain_db", 3.0}})}}});

}  // namespace
