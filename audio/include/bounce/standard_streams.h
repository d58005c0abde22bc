// "-" for standard input and output, as sox and ffmpeg take it:
//     cat mix.wav | bounce master - -o - --format flac > m.flac
// Bounce's commands read their input more than once (a master measures, then renders in
// passes) and finish an output before it counts, so standard input is first copied to a
// scratch file, and an output named "-" is written to a scratch file and copied to
// standard output once it is complete (nothing half-written reaches the pipe). Memory does
// not grow with the audio: both go through the disk, in blocks.
#pragma once

#include "bounce/atomic_output.h"

#include <string>

namespace bounce {

inline constexpr const char* kStandardStream = "-";

class StandardStreams {
public:
    StandardStreams() : folder_("stdio") {}

    // The file to read for `path`: `path` itself, or for "-" standard input, copied once.
    // Throws ConfigError when standard input is a terminal (nothing piped in).
    std::string input(const std::string& path);
    // The file to write for `path`: `path` itself, or for "-" a scratch file named with
    // `extension` (so that the writers and taggers see the format). Throws ConfigError when
    // standard output is a terminal.
    std::string output(const std::string& path, const std::string& extension);
    // Copies the finished scratch output (if any) to standard output.
    void sendOutput();
    bool outputIsStandard() const noexcept { return !output_.empty(); }

private:
    ScratchFolder folder_;
    std::string input_, output_;
};

// `message` with the scratch files of any StandardStreams named as the user typed them
// ("standard input", "standard output"): for error messages.
std::string withStandardStreamNames(std::string message);

}  // namespace bounce
