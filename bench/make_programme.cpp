// Writes the benchmark programme (bench/programme.h) as a 24-bit WAV, so Bounce and its
// peers can be timed on the same file. usage: bounce-bench-programme OUT.wav RATE SECONDS
#include "bounce/sound_file.h"
#include "programme.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: bounce-bench-programme OUT.wav RATE SECONDS\n");
        return 2;
    }
    const double rate = std::atof(argv[2]), seconds = std::atof(argv[3]);
    const auto audio = bounce::bench::benchmarkProgramme(rate, seconds);
    bounce::SoundFileWriter writer(argv[1], {rate, 2, bounce::FileFormat::Wav, bounce::SampleFormat::Pcm24});
    writer.write(audio.view());
    writer.close();
    return 0;
}
