// Google Benchmarks of the sound-file writer, the last stage of every command: stereo 48 kHz,
// 10 s of programme written to /dev/shm (or /tmp) per iteration; items/s are frames per second.
#include "bounce/sound_file.h"
#include "programme.h"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

namespace {

const bounce::AudioBuffer& programme() {
    static const bounce::AudioBuffer audio = bounce::bench::benchmarkProgramme(48000.0, 10.0);
    return audio;
}

std::string scratchFile(const std::string& name) {
    const std::string folder = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    return folder + "/bounce-bench-" + name;
}

void writeProgramme(benchmark::State& state, bounce::FileFormat format, bounce::SampleFormat sampleFormat, const std::string& name) {
    const std::string path = scratchFile(name);
    for (auto _ : state) {
        bounce::SoundFileWriter writer(path, {48000.0, 2, format, sampleFormat});
        for (std::size_t i = 0; i < programme().frames(); i += 4096)
            writer.write(programme().view().subView(i, std::min<std::size_t>(4096, programme().frames() - i)));
        writer.close();
    }
    std::filesystem::remove(path);
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * programme().frames()));
}

void BM_write_wav16(benchmark::State& s) { writeProgramme(s, bounce::FileFormat::Wav, bounce::SampleFormat::Pcm16, "w16.wav"); }
void BM_write_wav24(benchmark::State& s) { writeProgramme(s, bounce::FileFormat::Wav, bounce::SampleFormat::Pcm24, "w24.wav"); }
void BM_write_wav32f(benchmark::State& s) { writeProgramme(s, bounce::FileFormat::Wav, bounce::SampleFormat::Float32, "w32f.wav"); }
void BM_write_flac24(benchmark::State& s) { writeProgramme(s, bounce::FileFormat::Flac, bounce::SampleFormat::Pcm24, "f24.flac"); }
BENCHMARK(BM_write_wav16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_write_wav24)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_write_wav32f)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_write_flac24)->Unit(benchmark::kMillisecond);

}  // namespace
