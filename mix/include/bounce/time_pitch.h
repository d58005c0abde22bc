// Pitch and time changes of a track, offline, with Rubber Band Library's R3 engine.
//
// Rubber Band's offline mode reads the audio twice (a study pass, then the processing
// pass) and then produces exactly input x time ratio frames, with its own start delay
// already removed. Bounce renders the changed region once to a temporary float file
// and mixes from that, so the stretcher never sits in the block-by-block render. Memory is
// Rubber Band's own: its study data grows slowly with the length of the region (a few
// bytes per analysis hop), the audio itself is streamed.
#pragma once

#include <string>

namespace bounce {

struct TimePitchParams {
    double timeRatio = 1.0;       // output length / input length, 0.25 .. 4
    double pitchSemitones = 0.0;  // -24 .. 24, cents included
    bool preserveFormants = false;
};

// Reads frames [startFrame, endFrame) of `inputPath`, changes them, writes a 32-bit float
// WAV to `outputPath`. Throws bounce::Error on failure.
void renderTimePitch(const std::string& inputPath, long long startFrame, long long endFrame, const TimePitchParams& params,
                     const std::string& outputPath);

}  // namespace bounce
