// docs/processors.md against the processor registry: every parameter table in the docs is
// the one the descriptors give, and every insert type has one.
#include "bounce/processor_docs.h"
#include "bounce/processor_registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace bounce::test {
namespace {

const std::string kDocs = std::string(BOUNCE_SOURCE_DIR) + "/docs/processors.md";

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(ProcessorDocs, TheParameterTablesAreTheRegistrys) {
    const std::string docs = readText(kDocs);
    ASSERT_FALSE(docs.empty()) << kDocs;
    const std::string expected = withProcessorParamTables(docs);
    if (expected != docs && std::getenv("BOUNCE_UPDATE_DOCS")) {
        std::ofstream(kDocs) << expected;
        GTEST_SKIP() << "rewrote " << kDocs;
    }
    EXPECT_EQ(docs, expected) << "docs/processors.md differs from the registry; BOUNCE_UPDATE_DOCS=1 rewrites its tables";
}

TEST(ProcessorDocs, EveryInsertTypeHasATable) {
    const std::string docs = readText(kDocs);
    for (const auto& d : processorDescriptors()) {
        bool found = false;
        for (std::size_t at = docs.find("<!-- params:"); at != std::string::npos && !found; at = docs.find("<!-- params:", at + 1)) {
            std::istringstream names(docs.substr(at + 12, docs.find("-->", at) - at - 12));
            for (std::string t; names >> t;) found = found || t == d.type;
        }
        EXPECT_TRUE(found) << d.type << " has no <!-- params: --> table in docs/processors.md";
    }
}

}  // namespace
}  // namespace bounce::test
