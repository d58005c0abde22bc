// Data files of the repository compiled into the automix layer (CMakeLists.txt writes
// automix_data.cpp from automix/automix_data.cpp.in at configure time, and configures again
// when a file changes), so that `bounce automix` needs no file beside the program.
#pragma once

namespace bounce::automix_data {

extern const char* const kGeneralMidiCsv;    // automix/general_midi.csv
extern const char* const kRoleLevelsCsv;     // automix/corpus/role_levels.csv
extern const char* const kSoundFamiliesCsv;  // automix/corpus/sound_families.csv

}  // namespace bounce::automix_data
