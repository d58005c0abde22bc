#include "bounce/time_pitch.h"

#include "bounce/audio_buffer.h"
#include "bounce/error.h"
#include "bounce/sound_file.h"

#include <rubberband/RubberBandStretcher.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace bounce {

void renderTimePitch(const std::string& inputPath, long long startFrame, long long endFrame, const TimePitchParams& params,
                     const std::string& outputPath) {
    using RubberBand::RubberBandStretcher;
    constexpr std::size_t kBlock = 4096;
    SoundFileReader reader(inputPath);
    reader.refuseNonFinite();
    const SoundFileInfo info = reader.info();
    const auto frames = static_cast<std::size_t>(std::max(0LL, endFrame - startFrame));
    RubberBandStretcher::Options options = RubberBandStretcher::OptionProcessOffline | RubberBandStretcher::OptionEngineFiner;
    if (params.preserveFormants) options |= RubberBandStretcher::OptionFormantPreserved;
    RubberBandStretcher stretcher(static_cast<std::size_t>(info.sampleRate), static_cast<std::size_t>(info.channels), options,
                                  params.timeRatio, std::pow(2.0, params.pitchSemitones / 12.0));
    stretcher.setExpectedInputDuration(frames);
    stretcher.setMaxProcessSize(kBlock);

    AudioBuffer block(info.channels, kBlock);
    std::vector<const float*> in(static_cast<std::size_t>(info.channels));
    const auto passOver = [&](auto&& consume) {
        reader.seek(startFrame);
        std::size_t left = frames;
        while (left > 0) {
            const std::size_t got = reader.read(block.view().subView(0, std::min(left, kBlock)));
            if (got == 0) throw Error(inputPath + ": ended early while changing its pitch or time");
            left -= got;
            for (int c = 0; c < info.channels; ++c) in[static_cast<std::size_t>(c)] = block.channel(c);
            consume(got, left == 0);
        }
    };
    passOver([&](std::size_t got, bool last) { stretcher.study(in.data(), got, last); });

    SoundFileWriter writer(outputPath, {info.sampleRate, info.channels, FileFormat::Wav, SampleFormat::Float32});
    AudioBuffer output(info.channels, kBlock);
    std::vector<float*> out(static_cast<std::size_t>(info.channels));
    for (int c = 0; c < info.channels; ++c) out[static_cast<std::size_t>(c)] = output.channel(c);
    const auto drain = [&] {
        int available;
        while ((available = stretcher.available()) > 0) {
            const std::size_t got = stretcher.retrieve(out.data(), std::min<std::size_t>(static_cast<std::size_t>(available), kBlock));
            writer.write(ConstAudioView(output.view()).subView(0, got));
        }
        return available;
    };
    passOver([&](std::size_t got, bool last) {
        stretcher.process(in.data(), got, last);
        drain();
    });
    while (drain() >= 0) {}
    writer.close();
}

}  // namespace bounce
