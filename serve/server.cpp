#include "bounce/server.h"

#include "bounce/check.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/sound_file.h"

#include "access.h"
#include "event_log.h"
#include "guarded_server.h"
#include "jobs.h"
#include "web_page.h"

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
using serve::sendError;
using serve::sendJson;

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

void addJobRoutes(httplib::Server& server, JobService& jobs, const serve::AccessGuard& access) {
    // Its access is checked here rather than before routing, so that a refused body can be
    // drained (see drainBody).
    server.Post("/api/jobs", [&jobs, &access](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& content) {
        if (access.intercept(req, res)) return serve::drainBody(req, content);
        try {
            sendJson(res, 201, {{"id", jobs.create(req, content)}});
        } catch (const HttpError& e) {
            // The rest of a refused body is not read: the connection ends with the answer.
            res.set_header("Connection", "close");
            sendError(res, e.status, e.message, e.retryAfterSeconds);
        }
    });
    server.Get("/api/jobs", [&jobs](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, jobs.list()); });
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
        const fs::path path = jobs.results(id) / name;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
            return sendError(res, 404, "not there (yet): " + jobs.readState(id).value("state", std::string("unknown")));
        sendFile(res, path, type);
    };
    server.Get(R"(/api/jobs/([^/]+)/master)", [&jobs, download](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (!jobs.exists(id)) return sendError(res, 404, "no such job");
        const Json state = jobs.readState(id);
        const std::string name = state.value("master", std::string("master.wav"));
        const std::string type = mediaTypeFor(fileFormatForPath(name));
        // Named after the upload ("My Mix.master.wav"; the name holds only safe characters).
        res.set_header("Content-Disposition", "attachment; filename=\"" + state.value("download", name) + "\"");
        download(id, name, type, res);
    });
    server.Get(R"(/api/jobs/([^/]+)/report\.json)", [download](const httplib::Request& req, httplib::Response& res) {
        download(req.matches[1], "report.json", "application/json", res);
    });
    server.Get(R"(/api/jobs/([^/]+)/report\.html)", [download](const httplib::Request& req, httplib::Response& res) {
        download(req.matches[1], "report.html", "text/html; charset=utf-8", res);
    });
    server.Get(R"(/api/jobs/([^/]+)/check\.html)", [download](const httplib::Request& req, httplib::Response& res) {
        download(req.matches[1], "check.html", "text/html; charset=utf-8", res);
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

// Where to find the server and its token; a loud warning when other machines can reach it.
void announce(const ServerSettings& settings, const std::string& token, const serve::EventLog& log) {
    const std::string address = settings.host.find(':') != std::string::npos ? "[" + settings.host + "]" : settings.host;
    const std::string base =
        "http://" + (settings.host == "0.0.0.0" || settings.host == "::" ? "127.0.0.1" : address) + ":" + std::to_string(settings.port);
    if (log.json()) {  // for a collector: one event (the token stays out of logs)
        log.info("listening",
                 {{"address", address + ":" + std::to_string(settings.port)},
                  {"store", settings.dataDir},
                  {"queue", settings.queueUrl.empty() ? "none: this machine's workers" : settings.queueUrl},
                  {"loopback_only", serve::isLoopback(settings.host)},
                  {"token_file", settings.token.empty() ? (fs::path(settings.dataDir) / "token").string() : "given by --token"}});
        if (!serve::isLoopback(settings.host))
            log.warning("reachable-from-other-machines",
                        {{"message",
                          "other machines can reach this server over plain HTTP: the token and the music cross the network "
                          "unencrypted; serve it behind a TLS reverse proxy bound to 127.0.0.1 instead (docs/api.md, "
                          "Deployment)"}});
        return;
    }
    std::cerr << "bounce serve: listening on " << address << ":" << settings.port << " (data in " << settings.dataDir << ")\n"
              << "bounce serve: open " << base << "/?token=" << token << "\n"
              << "bounce serve: API calls need the header: Authorization: Bearer " << token << "\n";
    if (serve::isLoopback(settings.host)) {
        std::cerr << "bounce serve: only this machine can reach it" << std::endl;
        return;
    }
    std::cerr << "bounce serve: WARNING: listening on " << address << ": other machines can reach this server, over plain HTTP.\n"
              << "bounce serve: WARNING: the token and the music cross the network unencrypted; serve it behind a TLS reverse\n"
              << "bounce serve: WARNING: proxy bound to 127.0.0.1 instead (docs/api.md, Deployment)." << std::endl;
}

}  // namespace

int runServer(const ServerSettings& settings) {
    // A client that goes away mid-answer must not take the server with it: writes to its
    // socket fail (EPIPE) instead of raising SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    const serve::EventLog log("serve", settings.logFormat);
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
        } catch (const HttpError& e) {  // the broker away (503)
            return sendError(res, e.status, e.message, e.retryAfterSeconds);
        } catch (const std::exception& e) {
            message = e.what();
        } catch (...) {}
        sendError(res, 500, message);
    });

    const std::string token = serve::serviceToken(settings);
    const serve::AccessGuard access(settings, token);
    server.set_pre_routing_handler([&access](const httplib::Request& req, httplib::Response& res) {
        if (req.method == "POST" && req.path == "/api/jobs") return httplib::Server::HandlerResponse::Unhandled;  // its route checks
        return access.intercept(req, res) ? httplib::Server::HandlerResponse::Handled : httplib::Server::HandlerResponse::Unhandled;
    });
    // A client that asks before it sends (Expect: 100-continue) is told the same as it
    // would be after: who may, then whether the job fits.
    server.set_expect_100_continue_handler([&access, &jobs](const httplib::Request& req, httplib::Response& res) {
        return access.intercept(req, res) ? res.status : jobs.admit(req, res);
    });
    server.Get("/api/health", [](const httplib::Request&, httplib::Response& res) { sendJson(res, 200, {{"ok", true}}); });
    // The delivery targets and styles, for the page's choices (the library's one table of each).
    server.Get("/api/targets", [](const httplib::Request&, httplib::Response& res) {
        Json targets = Json::array();
        for (const auto& t : loudnessTargets())
            targets.push_back({{"name", t.name}, {"integrated_lufs", t.integratedLufs}, {"ceiling_dbtp", t.ceilingDbtp}, {"note", t.note}});
        sendJson(res, 200, {{"targets", targets}, {"styles", masterStyles()}});
    });
    // The queue's figures in Prometheus's text format (a scraper sends the token as a bearer).
    server.Get("/metrics", [&jobs](const httplib::Request&, httplib::Response& res) {
        try {
            res.set_content(serve::prometheusText(jobs.figures()), "text/plain; version=0.0.4; charset=utf-8");
        } catch (const HttpError& e) {
            sendError(res, e.status, e.message, e.retryAfterSeconds);
        }
    });
    addJobRoutes(server, jobs, access);
    addDownloadRoutes(server, jobs);
    server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kWebPage, "text/html; charset=utf-8"); });

    if (!server.bindTo(settings.host, settings.port))
        throw ConfigError("cannot listen on " + settings.host + ":" + std::to_string(settings.port) +
                          " (in use, or not an address of this machine)");
    announce(settings, token, log);
    server.listen_after_bind();
    return 0;
}

}  // namespace bounce
