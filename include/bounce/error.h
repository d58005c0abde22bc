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
