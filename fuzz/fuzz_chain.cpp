// The chain parser and the processor registry on arbitrary bytes: every insert a chain
// names is built, for mono and stereo, as `bounce process` builds it.
#include "bounce/chain_file.h"
#include "bounce/error.h"
#include "bounce/processor_registry.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        for (const auto& insert : bounce::readChainFile(bounce::fuzz::asFile(data, size, "chain.toml")))
            for (int channels : {1, 2}) bounce::createProcessor(insert, channels);
    } catch (const bounce::Error&) {}
    return 0;
}
