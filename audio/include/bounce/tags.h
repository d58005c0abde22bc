// Reading a file's release metadata (TagLib), for display: title, artist, album, date,
// ISRC, genre, track. Writing is master/metadata.cpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bounce {

// (name, value) pairs in a fixed order; empty when the file has none or is not taggable.
std::vector<std::pair<std::string, std::string>> readTags(const std::string& path);

}  // namespace bounce
