// Writes the benchmark programme (bench/programme.h) as a 24-bit WAV (16-bit with
// --bits 16), so Bounce and its peers can be timed on the same file.
// usage: bounce-bench-programme OUT.wav RATE SECONDS [CHANNELS [SEED [BITS]]] [--finished]
// (--finished: bench::finishedProgramme, a song that needs only gain to reach a target)
#include "bounce/sound_file.h"
#include "programme.h"

#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    const bool finished = argc > 1 && std::string(argv[argc - 1]) == "--finished";
    if (finished) --argc;
    if (argc < 4 || argc > 7) {
        std::fprintf(stderr, "usage: bounce-bench-programme OUT.wav RATE SECONDS [CHANNELS [SEED [BITS]]] [--finished]\n");
        return 2;
    }
    const double rate = std::atof(argv[2]), seconds = std::atof(argv[3]);
    const int channels = argc > 4 ? std::atoi(argv[4]) : 2;
    const auto seed = static_cast<std::uint64_t>(argc > 5 ? std::atoi(argv[5]) : 0);
    const bool sixteen = argc > 6 && std::string(argv[6]) == "16";
    const auto audio = finished ? bounce::bench::finishedProgramme(rate, seconds, channels, seed)
                                : bounce::bench::benchmarkProgramme(rate, seconds, channels, seed);
    bounce::SoundFileWriter writer(
        argv[1], {rate, channels, bounce::FileFormat::Wav, sixteen ? bounce::SampleFormat::Pcm16 : bounce::SampleFormat::Pcm24});
    writer.write(audio.view());
    writer.close();
    return 0;
}
