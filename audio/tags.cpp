#include "bounce/tags.h"

#include <taglib/fileref.h>
#include <taglib/tfilestream.h>
#include <taglib/tpropertymap.h>

#include <filesystem>

namespace bounce {

std::vector<std::pair<std::string, std::string>> readTags(const std::string& path) {
    std::vector<std::pair<std::string, std::string>> tags;
    // A pipe or a device has been read already (the audio); reopening it would read what
    // is left, or wait for ever on a FIFO opened read-write. Only regular files have tags
    // to read, and they are opened read-only: an input is never opened for writing.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return tags;
    TagLib::FileStream stream(path.c_str(), true);
    if (!stream.isOpen()) return tags;
    TagLib::FileRef file(&stream, false);
    if (file.isNull() || !file.file()) return tags;
    const TagLib::PropertyMap properties = file.file()->properties();
    const std::pair<const char*, const char*> wanted[] = {{"TITLE", "title"},      {"ARTIST", "artist"}, {"ALBUM", "album"},
                                                          {"DATE", "date"},        {"ISRC", "isrc"},     {"GENRE", "genre"},
                                                          {"TRACKNUMBER", "track"}};
    for (const auto& [key, name] : wanted)
        if (properties.contains(key) && !properties[key].isEmpty()) tags.emplace_back(name, properties[key].front().to8Bit(true));
    return tags;
}

}  // namespace bounce
