// Lossy round trips: a file encoded by ffmpeg at a common streaming bit rate, decoded, and
// its true peak measured. bounce check reports them; bounce master --codec-safe keeps them
// under the ceiling.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bounce {

// A lossy round trip: encoded with ffmpeg, decoded, measured.
struct CodecCheck {
    std::string codec;  // "aac", "mp3", "opus"
    int bitrateKbps = 0;
    bool available = false;              // ffmpeg and the encoder were there and worked
    std::optional<double> truePeakDbtp;  // of the decoded file
};

// The lossy codecs a round trip can use, each at the common streaming bit rate bounce
// check measures: aac 256, mp3 320, opus 160 kbit/s.
const std::vector<std::string>& roundTripCodecs();
// Whether ffmpeg can be started from the PATH.
bool ffmpegAvailable();
// Encodes `path` with ffmpeg in each of `codecs` (names from roundTripCodecs(); empty: all),
// decodes it in a private temporary folder and measures the decoded file's true peak.
// A codec ffmpeg cannot encode or decode comes back with available = false.
std::vector<CodecCheck> codecRoundTrips(const std::string& path, const std::vector<std::string>& codecs = {});

}  // namespace bounce
