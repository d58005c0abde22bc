// Views of an AlbumResult: the JSON report of `bounce album --json` and the summary.
#pragma once

#include "bounce/album.h"

#include <nlohmann/json.hpp>
#include <string>

namespace bounce {

nlohmann::ordered_json albumToJson(const AlbumResult& result);
std::string albumSummary(const AlbumResult& result);

}  // namespace bounce
