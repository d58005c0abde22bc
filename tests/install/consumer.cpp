// A program outside the tree, built against an installed Bounce (find_package(Bounce) or
// pkg-config): writes a 997 Hz sine at -20 dBFS in both channels and measures it: -20.0
// LUFS (EBU Tech 3341, test 1: the same at -23 dBFS reads -23.0).
#include <bounce/analysis.h>
#include <bounce/sound_file.h>

#include <cmath>
#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const double rate = 48000.0;
    bounce::AudioBuffer tone(2, 48000 * 5);
    for (int c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < tone.frames(); ++i)
            tone.channel(c)[i] = static_cast<float>(0.1 * std::sin(2.0 * 3.14159265358979 * 997.0 * static_cast<double>(i) / rate));
    {
        bounce::SoundFileWriter writer(argv[1], {rate, 2, bounce::FileFormat::Wav, bounce::SampleFormat::Float32});
        writer.write(tone.view());
        writer.close();
    }
    const bounce::AnalysisResult result = bounce::analyzeFile(argv[1]);
    std::printf("%.2f\n", result.integratedLufs.value_or(-999.0));
    return 0;
}
