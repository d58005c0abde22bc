// Processors by name: the one place an insert's `type` and parameter keys (snake_case
// with units: freq_hz, gain_db, threshold_db, ceiling_dbtp) map onto the params structs.
// docs/processors.md documents the same table.
#pragma once

#include "bounce/insert_spec.h"
#include "bounce/processor.h"

#include <memory>
#include <string>
#include <vector>

namespace bounce {

// Throws ConfigError ("file:line: ...") for an unknown type, an unknown key, a value of
// the wrong type or out of range, or a processor that cannot run on `channels` channels.
std::unique_ptr<Processor> createProcessor(const InsertSpec& insert, int channels);

std::vector<std::string> processorTypeNames();

// Automation: applies an insert's (changed) parameters to a processor createProcessor()
// built from the same type. Does not allocate once every key has been read once.
// Processors whose parameters are fixed at prepare() (linear_phase_eq,
// convolution_reverb) are not automatable and are left as they are.
bool processorIsAutomatable(const std::string& type);
void configureProcessor(Processor& processor, const InsertSpec& insert, int channels);

}  // namespace bounce
