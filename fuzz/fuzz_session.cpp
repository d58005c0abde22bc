// The session parser on arbitrary bytes: a ConfigError or Error is the expected answer to
// bad input; anything else (a crash, another exception, a sanitizer report) is a bug.
#include "bounce/error.h"
#include "bounce/session.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        bounce::readSessionFile(bounce::fuzz::asFile(data, size, "session.toml"));
    } catch (const bounce::Error&) {}
    return 0;
}
