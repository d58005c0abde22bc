// The parameter tables of docs/processors.md, written from the processor descriptors
// (processor_registry.h), so the docs cannot drift from what the files accept. A test
// compares every table in the docs with this; BOUNCE_UPDATE_DOCS=1 rewrites them.
#pragma once

#include <string>
#include <vector>

namespace bounce {

// A Markdown table of the keys of `types` (one type, or a family such as the eight
// filters, whose rows then say which types use a key and where their ranges differ).
std::string processorParamTable(const std::vector<std::string>& types);

// Replaces every block between "<!-- params: TYPE ... -->" and "<!-- end params -->" in
// `markdown` with processorParamTable() of the types it names.
std::string withProcessorParamTables(const std::string& markdown);

}  // namespace bounce
