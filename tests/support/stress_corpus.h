// Material on which a true-peak promise is hardest to keep (issue 15): energy near Nyquist,
// flat tops, naive waveforms whose reconstruction rings, tones whose samples miss their
// crests. Synthesised in code, deterministic, mono, peak sample level about -6 dBFS so that
// tests can drive them by +12 or +20 dB.
#pragma once

#include "bounce/audio_buffer.h"

#include <string>
#include <vector>

namespace bounce::test {

struct StressSignal {
    std::string name;
    AudioBuffer audio;
};

// The whole corpus at one rate (about 60 signals, 0.1 to 1 s each).
std::vector<StressSignal> stressCorpus(double sampleRate);
// The broadband part only (noise, clipped, naive waves, bursts; no tone sweep).
std::vector<StressSignal> broadbandStressCorpus(double sampleRate);

}  // namespace bounce::test
