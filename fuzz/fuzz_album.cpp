// The album manifest parser on arbitrary bytes.
#include "bounce/album.h"
#include "bounce/error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        bounce::readAlbumManifest(bounce::fuzz::asFile(data, size, "album.toml"));
    } catch (const bounce::Error&) {}
    return 0;
}
