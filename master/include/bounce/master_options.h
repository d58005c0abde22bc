// The options of `bounce master` by name: the CLI's flags without "--", the service's form
// fields. One parse for both (issue 17), into MasterSettings; a bad value throws ConfigError
// naming the option ("--lufs must be between -40 and -5 (got "x")").
#pragma once

#include "bounce/master.h"

#include <string>
#include <vector>

namespace bounce {

// Every name applyMasterOption() takes: target, lufs, ceiling, style, intensity, rate, bits,
// dither, title, artist, album, date, isrc, genre, track, artwork, codec-safe, set,
// reference, match, dry-run, strict. (Where the file goes and in which container, -o and
// --format, are the caller's.)
const std::vector<std::string>& masterOptionNames();

// Sets one option from its text. Repeatable options (set, reference) add to what is there;
// flags (dry-run, strict) take "true" or "false"; codec-safe takes "all" or a list such as
// "aac,opus".
void applyMasterOption(MasterSettings& settings, const std::string& name, const std::string& value);

}  // namespace bounce
