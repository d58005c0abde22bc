// Peers run inside the tests: libebur128 (the reference meter), and helpers to run
// command-line tools and the bounce binary.
#pragma once

#include "bounce/audio_buffer.h"

#include <optional>
#include <string>
#include <vector>

namespace bounce::test {

struct Libebur128Reading {
    std::optional<double> integratedLufs;
    std::optional<double> loudnessRangeLu;
    double truePeakDbtp = -1e9;  // max over channels
    double samplePeakDbfs = -1e9;
    std::optional<double> maxShortTermLufs;
};

// Feeds `audio` in blocks of 4096 frames to libebur128 (I | LRA | TRUE_PEAK | SAMPLE_PEAK).
// `channelMap` uses libebur128's ebur128_channel values; empty keeps its defaults.
Libebur128Reading measureWithLibebur128(ConstAudioView audio, double sampleRate, const std::vector<int>& channelMap = {},
                                        bool histogramMode = false);

// libebur128's loudness of each consecutive 100 ms of `audio` (ebur128_loudness_window,
// fed a tenth of a second at a time); -inf where it is silent.
std::vector<double> hopLoudnessWithLibebur128(ConstAudioView audio, double sampleRate);

struct CommandResult {
    int exitCode = -1;
    std::string out;
    std::string err;
    long maxRssKb = 0;  // peak resident set of the child
};

// Runs argv (no shell) with stdin closed; captures stdout and stderr.
CommandResult runCommand(const std::vector<std::string>& argv);

bool haveTool(const std::string& name);

// AddressSanitizer keeps freed memory in quarantine (256 MB), adds its shadow memory, and
// its runtime maps more of every shared library: a sanitized program's RSS says nothing
// about what the program itself holds. The memory bounds are checked in the plain build
// (make test); the sanitized one checks the rest.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kRssIsMeaningful = false;
#else
inline constexpr bool kRssIsMeaningful = true;
#endif

}  // namespace bounce::test
