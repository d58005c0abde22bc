// Processors by name: the one table of insert types. Each type's descriptor holds its
// parameter keys (snake_case with units: freq_hz, gain_db, threshold_db, ceiling_dbtp),
// their units, ranges and defaults, whether the type is linear and automatable, and its
// factory. Chain and session files, automation, the mix graph's linearity test, the
// contract tests and the parameter tables in docs/processors.md all read it.
#pragma once

#include "bounce/insert_spec.h"
#include "bounce/processor.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bounce {

enum class ParamKind { Number, Integer, Flag, Choice, Text, Tables };

struct ParamDescriptor {
    std::string key;
    ParamKind kind = ParamKind::Number;
    std::string unit;  // "Hz", "dB", "ms", ...; empty for plain ratios and names
    bool required = false;
    double defaultValue = 0.0;  // Number, Integer, Flag (0 or 1)
    double minValue = 0.0;      // Number, Integer: the inclusive range
    double maxValue = 0.0;
    std::vector<double> allowed;       // Integer: the only values allowed (empty: any in range)
    std::vector<std::string> choices;  // Choice: the names allowed
    std::string defaultText;           // Choice, Text
    bool isFile = false;               // Text: a path, relative to the file the insert is written in
    std::string note;                  // what the key does, for the docs
};

class ParamReader;
using ProcessorFactory = std::function<std::unique_ptr<Processor>(const ParamReader&, int channels, Processor* existing)>;

struct ProcessorDescriptor {
    std::string type;
    // A linear time-invariant map from input to output: stems taken before a chain of
    // such processors still sum to what the chain makes of their sum.
    bool linear = false;
    // Takes new parameters while running (automation). The others fix theirs at prepare()
    // (filter designs that need FFTs, or files).
    bool automatable = true;
    bool stereoOnly = false;
    std::vector<ParamDescriptor> params;
    // The keys of each nested table (`[[insert.band]]` of a multiband_compressor); the
    // bands of an eq take the keys of their own filter type instead.
    std::vector<ParamDescriptor> tableParams;
    ProcessorFactory factory;
};

// Reads a parameter table against descriptors: the range, default and allowed values come
// from the descriptor, so there is one home for them. Throws ConfigError "file:line: ...".
class ParamReader {
public:
    ParamReader(const ParamTable& table, const std::vector<ParamDescriptor>& params) : table_(table), params_(params) {}

    double number(const std::string& key) const;
    double requiredNumber(const std::string& key) const;  // required here, whatever the default
    int integer(const std::string& key) const;
    bool flag(const std::string& key) const;
    bool flag(const std::string& key, bool fallback) const;
    std::string choice(const std::string& key) const;
    std::string text(const std::string& key) const;
    const ParamTable& table() const { return table_; }

private:
    const ParamDescriptor& descriptor(const std::string& key) const;
    const ParamTable& table_;
    const std::vector<ParamDescriptor>& params_;
};

// Every insert type, in the order docs/processors.md presents them.
const std::vector<ProcessorDescriptor>& processorDescriptors();
// nullptr for an unknown type.
const ProcessorDescriptor* findProcessorDescriptor(const std::string& type);
std::vector<std::string> processorTypeNames();

// Throws ConfigError ("file:line: ...") for an unknown type, an unknown key, a value of
// the wrong type or out of range, or a processor that cannot run on `channels` channels.
std::unique_ptr<Processor> createProcessor(const InsertSpec& insert, int channels);

// Automation: applies an insert's (changed) parameters to a processor createProcessor()
// built from the same type. Does not allocate once every key has been read once.
// Processors that are not automatable are left as they are.
bool processorIsAutomatable(const std::string& type);

// The files an insert reads (its file parameters, resolved): inputs of the run, which no
// output may replace.
std::vector<std::string> insertInputFiles(const InsertSpec& insert);
bool processorIsLinear(const std::string& type);
void configureProcessor(Processor& processor, const InsertSpec& insert, int channels);
// The same with the type's descriptor found once (the mix's automation calls this every 32
// frames: no search by name there).
void configureProcessor(Processor& processor, const ProcessorDescriptor& descriptor, const InsertSpec& insert, int channels);

}  // namespace bounce
