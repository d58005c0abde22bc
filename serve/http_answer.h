// How the service answers: one JSON shape for every error, and the few request readings
// every part needs. Internal to the serve layer.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace bounce::serve {

// A message on one line (it goes into a JSON field and a log line).
inline std::string oneLine(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

inline void sendJson(httplib::Response& response, int status, const nlohmann::ordered_json& body) {
    response.status = status;
    response.set_content(body.dump(), "application/json");
}

// {"error": "one line"}; with Retry-After when it is given (429).
inline void sendError(httplib::Response& response, int status, const std::string& message, int retryAfterSeconds = 0) {
    if (retryAfterSeconds > 0) response.set_header("Retry-After", std::to_string(retryAfterSeconds));
    sendJson(response, status, {{"error", oneLine(message)}});
}

// The body's declared length (Content-Length); 0 when it has none (chunked).
inline std::uint64_t declaredLength(const httplib::Request& request) {
    return std::strtoull(request.get_header_value("Content-Length").c_str(), nullptr, 10);
}

}  // namespace bounce::serve
