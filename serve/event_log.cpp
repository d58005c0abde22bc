#include "event_log.h"

#include "bounce/error.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <unistd.h>

namespace bounce::serve {

EventLog::EventLog(std::string component, const std::string& format)
    : component_(std::move(component)), json_(format == "json" || (format == "auto" && !::isatty(2))) {
    if (format != "json" && format != "text" && format != "auto") throw ConfigError("--log " + format + ": give json, text or auto");
}

void EventLog::info(const std::string& event, const nlohmann::ordered_json& fields) const { write("info", event, fields); }
void EventLog::warning(const std::string& event, const nlohmann::ordered_json& fields) const { write("warning", event, fields); }
void EventLog::error(const std::string& event, const nlohmann::ordered_json& fields) const { write("error", event, fields); }

// One write(2) per line, so that lines of threads (and of processes sharing the stream)
// do not interleave.
void EventLog::write(const char* level, const std::string& event, const nlohmann::ordered_json& fields) const {
    std::string line;
    if (json_) {
        const auto now = std::chrono::system_clock::now();
        const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
        std::tm utc{};
        ::gmtime_r(&seconds, &utc);
        char time[64];
        std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                      utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms));
        nlohmann::ordered_json record = {{"time", time}, {"level", level}, {"component", component_}, {"event", event}};
        for (const auto& [key, value] : fields.items()) record[key] = value;
        line = record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    } else {
        line = "bounce " + component_ + ": " + (std::string(level) == "info" ? "" : std::string(level) + ": ") + event;
        for (const auto& [key, value] : fields.items())
            line += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
        line += "\n";
    }
    for (std::size_t done = 0; done < line.size();) {
        const ssize_t n = ::write(2, line.data() + done, line.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace bounce::serve
