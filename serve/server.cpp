#include "bounce/server.h"

#include "bounce/check.h"
#include "bounce/error.h"

#include "guarded_server.h"
#include "jobs.h"
#include "web_page.h"

#include <fftw3.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

namespace bounce {
namespace fs = std::filesystem;

namespace {

using serve::HttpError;
using serve::JobService;
using serve::Json;

void sendJson(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void sendError(httplib::Response& res, int status, const std::string& message) { sendJson(res, status, {{"error", message}}); }

// A file sent from disk as the client reads it, a block at a time: three downloads of a
// 100 MB master hold a few blocks, not three copies. The file stays readable while it is
// sent even if its job is deleted meanwhile (the descriptor holds it).
void sendFile(httplib::Response& res, const fs::path& path, const std::string& type) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) return sendError(res, 404, "not there");
    std::shared_ptr<std::FILE> shared(file, std::fclose);
    std::error_code ec;
    const auto size = static_cast<std::size_t>(fs::file_size(path, ec));
    res.set_content_provider(size, type, [shared](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        static constexpr std::size_t kBlock = 64 * 1024;
        char block[kBlock];
        if (std::fseek(shared.get(), static_cast<long>(offset), SEEK_SET) != 0) return false;
        const std::size_t got = std::fread(block, 1, std::min(length, kBlock), shared.get());
        return got > 0 && sink.write(block, got);
    });
}

void addJobRoutes(httplib::Server& server, JobService& jobs) {
    server.Post("/api/jobs", [&jobs](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& content) {
        try {
            sendJson(res, 201, {{"id", jobs.create(req, content)}});
        } catch (const HttpError& e) {
            // The rest of a refused body is not read: the connection ends with the answer.
            res.set_header("Connection", "close");
            if (e.retryAfterSeconds > 0) res.set_header("Retry-After", std::to_string(e.retryAfterSeconds));
            sendError(res, e.status, e.message);
        }
    });
    server.Get(R"(/api/jobs/([^/]+))", [&jobs](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (!jobs.exists(id)) return sendError(res, 404, "no such job");
        sendJson(res, 200, jobs.readState(id));
    });
    server.Delete(R"(/api/jobs/([^/]+))", [&jobs](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (!jobs.exists(id)) return sendError(res, 404, "no such job");
        if (jobs.remove(id) == 409) return sendError(res, 409, "the job is running; delete it when it is done");
        res.status = 204;
    });
}

void addDownloadRoutes(httplib::Server& server, JobService& jobs) {
    const auto download = [&jobs](const std::string& id, const std::string& name, const std::string& type, httplib::Response& res) {
        if (!jobs.exists(id)) return sendError(res, 404, "no such job");
        const fs::path path = jobs.folder(id) / name;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
            return sendError(res, 404, "not there (yet): " + jobs.readState(id).value("state", std::string("unknown")));
        sendFile(res, path, type);
    };
    server.Get(R"(/api/jobs/([^/]+)/master)", [&jobs, download](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (!jobs.exists(id)) return sendError(res, 404, "no such job");
        const std::string name = jobs.readState(id).value("master", std::string("master.wav"));
        const std::string type = name.ends_with(".flac") ? "audio/flac" : name.ends_with(".aiff") ? "audio/aiff" : "audio/wav";
        res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
        download(id, name, type, res);
    });
    server.Get(R"(/api/jobs/([^/]+)/report\.json)", [download](const httplib::Request& req, httplib::Response& res) {
        download(req.matches[1], "report.json", "application/json", res);
    });
    server.Get(R"(/api/jobs/([^/]+)/report\.html)", [download](const httplib::Request& req, httplib::Response& res) {
        download(req.matches[1], "report.html", "text/html; charset=utf-8", res);
    });
    // The master as a playback system plays it (bounce check's previews).
    server.Get(R"(/api/jobs/([^/]+)/preview/([a-z]+))", [&jobs, download](const httplib::Request& req, httplib::Response& res) {
        const std::string system = req.matches[2];
        if (!findPlaybackSystem(system)) return sendError(res, 404, "no such playback system: " + system);
        const std::string id = req.matches[1];
        if (!jobs.exists(id)) return sendError(res, 404, "no such job");
        const std::string master = jobs.readState(id).value("master", std::string("master.wav"));
        download(id, "previews/" + fs::path(master).stem().string() + "." + system + ".wav", "audio/wav", res);
    });
}

}  // namespace

int runServer(const ServerSettings& settings) {
    // Workers plan FFTs concurrently: FFTW's planner must be made thread-safe first.
    fftw_make_planner_thread_safe();
    fftwf_make_planner_thread_safe();
    // A client that goes away mid-answer must not take the server with it: writes to its
    // socket fail (EPIPE) instead of raising SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    JobService jobs(settings);
    serve::GuardedServer server{serve::ConnectionLimits{}};
    // JobService::create judges an upload's size (declared, or counted as it arrives); this
    // is the library's own bound for any other body, above it and what it drains.
    server.set_payload_max_length(static_cast<std::size_t>(settings.maxUploadMb * 1024.0 * 1024.0) + (80u << 20));
    // No request may take the server down: whatever a handler throws becomes a 500.
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string message = "internal error";
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            message = e.what();
        } catch (...) {}
        for (char& c : message)
            if (c == '\n' || c == '\r') c = ' ';
        sendError(res, 500, message);
    });

    server.set_expect_100_continue_handler([&jobs](const httplib::Request& req, httplib::Response& res) { return jobs.admit(req, res); });
    server.Get("/api/health", [](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, {{"ok", true}}); });
    addJobRoutes(server, jobs);
    addDownloadRoutes(server, jobs);
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
