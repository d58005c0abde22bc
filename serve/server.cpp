#include "bounce/server.h"

#include "bounce/atomic_output.h"
#include "bounce/check.h"
#include "bounce/check_report.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "bounce/master_report.h"
#include "bounce/sound_file.h"

#include "web_page.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fftw3.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

namespace bounce {
namespace fs = std::filesystem;

namespace {

using Json = nlohmann::ordered_json;

// The options of `bounce master` a job takes, as form fields named like its flags.
const std::set<std::string> kOptionFields = {"target", "lufs",   "ceiling", "style", "intensity", "format", "bits", "dither",
                                             "title",  "artist", "album",   "date",  "isrc",      "genre",  "track"};

struct HttpError {
    int status;
    std::string message;
};

std::string oneLine(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

// Checks a job's options before it is queued, with the one parse of bounce master's options
// the CLI uses too (applyMasterOption); returns them as they came, to be parsed again when
// the job runs.
Json validatedOptions(const std::map<std::string, std::string>& fields) {
    Json options = Json::object();
    MasterSettings scratch;
    for (const auto& [name, value] : fields) {
        if (!kOptionFields.count(name))
            throw HttpError{400, "unknown field '" + name + "' (the options of bounce master: target, lufs, ceiling, style, ...)"};
        if (name == "format") {
            if (value != "wav" && value != "flac" && value != "aiff") throw HttpError{400, "field 'format' must be wav, flac or aiff"};
        } else {
            try {
                applyMasterOption(scratch, name, value);
            } catch (const ConfigError& e) {
                throw HttpError{400, "field '" + name + "': " + e.what()};
            }
        }
        options[name] = value;
    }
    return options;
}

MasterSettings settingsFrom(const Json& o) {
    MasterSettings s;
    for (const auto& [name, value] : o.items()) {
        if (name == "format" || name == "reference") continue;  // the output's container; the stored reference
        // Jobs stored by an earlier version hold numbers for the numeric fields.
        applyMasterOption(s, name, value.is_string() ? value.get<std::string>() : value.dump());
    }
    return s;
}

}  // namespace

void checkJobFields(const std::map<std::string, std::string>& fields) {
    try {
        settingsFrom(validatedOptions(fields));
    } catch (const HttpError& e) {
        throw ConfigError(e.message);
    }
}

namespace {

class Service {
public:
    explicit Service(const ServerSettings& settings) : settings_(settings), root_(fs::path(settings.dataDir) / "jobs") {
        fs::create_directories(root_);
        // A restart: finished jobs stay, queued ones run again, running ones failed.
        std::vector<std::string> requeue;
        for (const auto& entry : fs::directory_iterator(root_)) {
            const std::string id = entry.path().filename().string();
            if (!validId(id)) continue;
            Json state = readState(id);
            if (state.value("state", "") == "running") {
                state["state"] = "failed";
                state["error"] = "the server stopped while this job ran; submit it again";
                writeState(id, state);
            } else if (state.value("state", "") == "queued") {
                requeue.push_back(id);
            }
        }
        std::sort(requeue.begin(), requeue.end());
        for (const auto& id : requeue) queue_.push_back(id);
        const int workers = settings.jobs > 0 ? settings.jobs : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
        for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
    }
    ~Service() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
    }

    static bool validId(const std::string& id) { return std::regex_match(id, std::regex("[0-9a-f]{16}")); }
    bool exists(const std::string& id) const { return validId(id) && fs::exists(root_ / id / "state.json"); }
    fs::path folder(const std::string& id) const { return root_ / id; }

    Json readState(const std::string& id) const {
        std::lock_guard<std::mutex> lock(stateMutex_);
        std::ifstream in(root_ / id / "state.json");
        Json state = Json::parse(in, nullptr, false);
        return state.is_discarded() ? Json{{"state", "failed"}, {"error", "its state file is unreadable"}} : state;
    }
    void writeState(const std::string& id, const Json& state) const {
        std::lock_guard<std::mutex> lock(stateMutex_);
        writeTextFile((root_ / id / "state.json").string(), state.dump() + "\n");
    }

    std::string create(const httplib::Request& req) {
        if (!req.is_multipart_form_data()) throw HttpError{400, "send the job as multipart/form-data with the mix in a field named 'file'"};
        if (!req.has_file("file")) throw HttpError{400, "the field 'file' (the mix) is missing"};
        std::map<std::string, std::string> fields;
        for (const auto& [name, item] : req.files)
            if (name != "file" && name != "reference") fields[name] = item.content;
        Json options = validatedOptions(fields);
        const std::string id = newId();
        const fs::path dir = root_ / id;
        fs::create_directories(dir);
        try {
            // Uploads are stored under generated names only: a client's file name never
            // reaches the file system.
            store(dir / "input", req.get_file_value("file").content, "file");
            if (req.has_file("reference")) {
                store(dir / "reference", req.get_file_value("reference").content, "reference");
                options["reference"] = true;
            }
            writeTextFile((dir / "options.json").string(), options.dump() + "\n");
            writeState(id, {{"state", "queued"}, {"progress", 0}});
        } catch (...) {
            std::error_code ignored;
            fs::remove_all(dir, ignored);
            throw;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.push_back(id);
        }
        wake_.notify_one();
        return id;
    }

    // 204 when deleted, 409 while it runs.
    int remove(const std::string& id) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (running_.count(id)) return 409;
            queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
        }
        std::error_code ignored;
        fs::remove_all(root_ / id, ignored);
        return 204;
    }

private:
    void store(const fs::path& path, const std::string& bytes, const std::string& field) {
        {
            std::ofstream out(path, std::ios::binary);
            out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            if (!out.good()) throw HttpError{500, "could not store the upload"};
        }
        try {
            SoundFileReader reader(path.string());
            const SoundFileInfo info = reader.info();
            if (info.channels > 2)
                throw HttpError{415,
                                "field '" + field + "': " + std::to_string(info.channels) + " channels; mastering takes mono or stereo"};
            if (info.frames <= 0) throw HttpError{415, "field '" + field + "': the file holds no audio"};
            if (static_cast<double>(info.frames) / info.sampleRate > settings_.maxDurationMinutes * 60.0)
                throw HttpError{413, "field '" + field + "': longer than " +
                                         std::to_string(static_cast<int>(settings_.maxDurationMinutes)) + " minutes"};
        } catch (const Error& e) {
            throw HttpError{415, "field '" + field + "' is not audio Bounce can read (WAV, FLAC, AIFF, Ogg, Opus, MP3)"};
        }
    }

    std::string newId() {
        static std::atomic<unsigned> counter{0};
        std::random_device device;
        std::mt19937_64 rng((static_cast<std::uint64_t>(device()) << 32) ^ device() ^ (counter++ * 0x9E3779B97F4A7C15ull));
        for (;;) {
            char text[17];
            std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(rng()));
            if (!fs::exists(root_ / text)) return text;
        }
    }

    void work() {
        for (;;) {
            std::string id;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (stopping_) return;
                id = queue_.front();
                queue_.pop_front();
                running_.insert(id);
            }
            run(id);
            std::lock_guard<std::mutex> lock(mutex_);
            running_.erase(id);
        }
    }

    void run(const std::string& id) {
        const fs::path dir = root_ / id;
        try {
            writeState(id, {{"state", "running"}, {"progress", 10}});
            std::ifstream in(dir / "options.json");
            const Json options = Json::parse(in);
            MasterSettings settings = settingsFrom(options);
            if (options.value("reference", false)) settings.references = {(dir / "reference").string()};
            const std::string ext = options.value("format", std::string("wav"));
            const std::string master = (dir / ("master." + ext)).string();
            settings.onProgress = [&](double fraction) {
                const int progress = 10 + static_cast<int>(70.0 * fraction);
                if (progress > 10 && progress < 80) writeState(id, {{"state", "running"}, {"progress", progress}});
            };
            const MasterResult result = masterFile((dir / "input").string(), master, settings);
            writeTextFile((dir / "report.json").string(), masterToJson(result, settings).dump(2) + "\n");
            writeState(id, {{"state", "running"}, {"progress", 80}});
            CheckSettings check;
            check.codecs = false;
            check.previewDir = (dir / "previews").string();
            const CheckResult checked = checkFile(master, check);
            writeTextFile((dir / "report.html").string(), checkToHtml(checked, result.targetLufs));
            writeState(id, {{"state", "done"},
                            {"progress", 100},
                            {"master", "master." + ext},
                            {"integrated_lufs", result.output.integratedLufs.value_or(-99.0)},
                            {"true_peak_dbtp", result.output.truePeakDbtp.value_or(-99.0)}});
        } catch (const std::exception& e) {
            writeState(id, {{"state", "failed"}, {"progress", 100}, {"error", oneLine(e.what())}});
        }
    }

    ServerSettings settings_;
    fs::path root_;
    std::mutex mutex_;
    mutable std::mutex stateMutex_;
    std::condition_variable wake_;
    std::deque<std::string> queue_;
    std::set<std::string> running_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

void sendJson(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& message) { sendJson(res, status, {{"error", message}}); }

}  // namespace

int runServer(const ServerSettings& settings) {
    // Workers plan FFTs concurrently: FFTW's planner must be made thread-safe first.
    fftw_make_planner_thread_safe();
    fftwf_make_planner_thread_safe();
    Service service(settings);
    httplib::Server server;
    server.set_payload_max_length(static_cast<std::size_t>(settings.maxUploadMb * 1024.0 * 1024.0));

    server.Get("/api/health", [](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, {{"ok", true}}); });
    server.Post("/api/jobs", [&](const httplib::Request& req, httplib::Response& res) {
        try {
            sendJson(res, 201, {{"id", service.create(req)}});
        } catch (const HttpError& e) {
            sendError(res, e.status, e.message);
        } catch (const std::exception& e) {
            sendError(res, 500, oneLine(e.what()));
        }
    });
    server.Get(R"(/api/jobs/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (!service.exists(id)) return sendError(res, 404, "no such job");
        sendJson(res, 200, service.readState(id));
    });
    const auto download = [&](const std::string& id, const std::string& name, const std::string& type, httplib::Response& res) {
        if (!service.exists(id)) return sendError(res, 404, "no such job");
        const fs::path path = service.folder(id) / name;
        if (!fs::exists(path))
            return sendError(res, 404, "not there (yet): " + service.readState(id).value("state", std::string("unknown")));
        std::ifstream in(path, std::ios::binary);
        res.set_content(std::string(std::istreambuf_iterator<char>(in), {}), type);
    };
    server.Get(R"(/api/jobs/([^/]+)/master)", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (!service.exists(id)) return sendError(res, 404, "no such job");
        const std::string name = service.readState(id).value("master", std::string("master.wav"));
        const std::string type = name.ends_with(".flac") ? "audio/flac" : name.ends_with(".aiff") ? "audio/aiff" : "audio/wav";
        res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
        download(id, name, type, res);
    });
    server.Get(R"(/api/jobs/([^/]+)/report\.json)", [&](const httplib::Request& req, httplib::Response& res) {
        download(req.matches[1], "report.json", "application/json", res);
    });
    server.Get(R"(/api/jobs/([^/]+)/report\.html)", [&](const httplib::Request& req, httplib::Response& res) {
        download(req.matches[1], "report.html", "text/html; charset=utf-8", res);
    });
    // The master as a playback system plays it (bounce check's previews).
    server.Get(R"(/api/jobs/([^/]+)/preview/([a-z]+))", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string system = req.matches[2];
        if (!findPlaybackSystem(system)) return sendError(res, 404, "no such playback system: " + system);
        const std::string id = req.matches[1];
        if (!service.exists(id)) return sendError(res, 404, "no such job");
        const std::string master = service.readState(id).value("master", std::string("master.wav"));
        download(id, "previews/" + fs::path(master).stem().string() + "." + system + ".wav", "audio/wav", res);
    });
    server.Delete(R"(/api/jobs/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (!service.exists(id)) return sendError(res, 404, "no such job");
        const int status = service.remove(id);
        if (status == 409) return sendError(res, 409, "the job is running; delete it when it is done");
        res.status = 204;
    });
    server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kWebPage, "text/html; charset=utf-8"); });

    if (!server.bind_to_port(settings.host, settings.port))
        throw ConfigError("cannot listen on " + settings.host + ":" + std::to_string(settings.port) +
                          " (in use, or not an address of this machine)");
    std::cerr << "bounce serve: listening on http://" << settings.host << ":" << settings.port << "/ (data in " << settings.dataDir << ")"
              << (settings.host == "127.0.0.1" || settings.host == "localhost"
                      ? "; only this machine can reach it (--host 0.0.0.0 to open it)"
                      : "")
              << std::endl;
    server.listen_after_bind();
    return 0;
}

}  // namespace bounce
