// The service's and the workers' log: one line per event on standard error, JSON for a log
// collector ({"time": ISO 8601 UTC with milliseconds, "level", "component", "event", and the
// event's fields}) or text for a person at a terminal. Internal to the serve layer.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace bounce::serve {

class EventLog {
public:
    // `format`: json, text, or auto (json unless standard error is a terminal).
    EventLog(std::string component, const std::string& format);
    void info(const std::string& event, const nlohmann::ordered_json& fields = nlohmann::ordered_json::object()) const;
    void warning(const std::string& event, const nlohmann::ordered_json& fields = nlohmann::ordered_json::object()) const;
    void error(const std::string& event, const nlohmann::ordered_json& fields = nlohmann::ordered_json::object()) const;
    bool json() const noexcept { return json_; }

private:
    void write(const char* level, const std::string& event, const nlohmann::ordered_json& fields) const;
    std::string component_;
    bool json_;
};

}  // namespace bounce::serve
