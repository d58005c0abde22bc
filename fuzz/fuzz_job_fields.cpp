// The service's check of a job's option fields on arbitrary input: lines of name=value.
#include "bounce/error.h"
#include "bounce/server.h"

#include <cstdint>
#include <map>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::map<std::string, std::string> fields;
    std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
    for (std::string line; std::getline(lines, line);) {
        const auto equals = line.find('=');
        if (equals != std::string::npos) fields[line.substr(0, equals)] = line.substr(equals + 1);
    }
    try {
        bounce::checkJobFields(fields);
    } catch (const bounce::Error&) {}
    return 0;
}
