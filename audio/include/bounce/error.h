// The one error type Bounce throws. Its message is a complete one-line sentence that
// names the file, line or parameter at fault ("song.wav: not a sound file (...)"), so the
// CLI prints it as it is.
#pragma once

#include <stdexcept>
#include <string>

namespace bounce {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace bounce

namespace bounce {

// A mistake in what the user wrote (a settings file, a chain, a flag value) rather than
// in the audio: the CLI exits with 2 for these. The message starts "file:line: ".
class ConfigError : public Error {
public:
    using Error::Error;
};

// The one shape of a mistake in a text file the user wrote: "file:line: message".
inline std::string fileLine(const std::string& file, long long line) { return file + ":" + std::to_string(line) + ": "; }
inline ConfigError fileLineError(const std::string& file, long long line, const std::string& message) {
    return ConfigError(fileLine(file, line) + message);
}

}  // namespace bounce
