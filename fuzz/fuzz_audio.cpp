// Bounce's reader (libsndfile underneath) on arbitrary bytes: whatever a header claims
// (channels, rate, length), opening and reading to the end stay within what the file holds,
// and a NaN check on the way (as process and mix read) names its position.
#include "bounce/audio_buffer.h"
#include "bounce/error.h"
#include "bounce/sound_file.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        bounce::SoundFileReader reader(bounce::fuzz::asFile(data, size, "audio.wav"));
        if (size % 2) reader.refuseNonFinite();
        bounce::AudioBuffer block(reader.info().channels, 512);
        while (reader.read(block.view()) > 0) {}
    } catch (const bounce::Error&) {}
    return 0;
}
