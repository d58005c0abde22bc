#include "bounce/tags.h"

#include <taglib/fileref.h>
#include <taglib/tpropertymap.h>

namespace bounce {

std::vector<std::pair<std::string, std::string>> readTags(const std::string& path) {
    std::vector<std::pair<std::string, std::string>> tags;
    TagLib::FileRef file(path.c_str(), false);
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
