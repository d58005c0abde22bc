// The fixture of the service's tests: `bounce serve` as a child process on a free loopback
// port, and cpp-httplib's client to talk to it.
#pragma once

#include "bounce/sound_file.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bounce::test {

namespace fs = std::filesystem;
using Json = nlohmann::json;

inline int freePort() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
    const int port = ntohs(address.sin_port);
    ::close(s);
    return port;
}

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The token the tests' server is started with.
inline const std::string kToken = "test-token-5f0c1d2e3a4b";

class Serve : public ::testing::Test {
protected:
    void SetUp() override {
        // The server may answer and close before a refused body is all sent: the client's
        // write then fails (EPIPE) rather than killing the test.
        std::signal(SIGPIPE, SIG_IGN);
        dir_ = makeTempDir("serve");
        writeFile(dir_ + "/mix.wav", pinkishNoise(44100, 15.0, -22.0, 2, 3).view(), 44100, SampleFormat::Pcm24);
        start();
    }
    void TearDown() override {
        stop();
        if (!std::getenv("BOUNCE_KEEP_TEST_FILES")) fs::remove_all(dir_);
    }
    void start(const std::vector<std::string>& extra = {}) {
        port_ = freePort();
        std::vector<std::string> args{BOUNCE_CLI, "serve",   "--port", std::to_string(port_), "--data", dir_ + "/data", "--jobs",
                                      "2",        "--token", kToken};
        args.insert(args.end(), extra.begin(), extra.end());
        pid_ = ::fork();
        if (pid_ == 0) {
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 2);
            ::execv(BOUNCE_CLI, argv.data());
            ::_exit(127);
        }
        for (int i = 0; i < 100; ++i) {
            if (client().Get("/api/health")) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL() << "the server did not come up";
    }
    void stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }
    // A client with the server's token.
    httplib::Client client() {
        httplib::Client c("127.0.0.1", port_);
        c.set_bearer_token_auth(kToken);
        c.set_read_timeout(60, 0);
        return c;
    }
    httplib::Result submit(httplib::MultipartFormDataItems items) { return client().Post("/api/jobs", items); }
    Json waitFor(const std::string& id, double seconds = 60.0) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        Json state;
        while (std::chrono::steady_clock::now() < until) {
            auto r = client().Get("/api/jobs/" + id);
            if (r && r->status == 200) {
                state = Json::parse(r->body);
                if (state["state"] == "done" || state["state"] == "failed") return state;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return state;
    }
    // The server's peak resident memory so far (VmHWM), in KB.
    long peakRssKb() const {
        std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
        for (std::string line; std::getline(status, line);)
            if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
        return -1;
    }
    bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// A request written by hand on a raw socket (what cpp-httplib's client will not send: a
// chunked multipart body, a content encoding): `head` is the request line and headers
// without the blank line; `body` is sent in chunks (Transfer-Encoding: chunked) when
// `chunked`, as is otherwise. Returns the answer's status code, 0 if none came.
inline int rawRequest(int port, const std::string& head, const std::string& body, bool chunked) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 0;
    timeval timeout{30, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    const auto sendAll = [s](const std::string& bytes) {
        for (std::size_t done = 0; done < bytes.size();) {
            const ssize_t n = ::send(s, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    };
    bool sent =
        sendAll(head + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + std::to_string(body.size()) + "\r\n") + "\r\n");
    constexpr std::size_t kChunk = 256 * 1024;
    for (std::size_t at = 0; sent && at < body.size(); at += kChunk) {
        const std::string piece = body.substr(at, kChunk);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        sent = chunked ? sendAll(size + piece + "\r\n") : sendAll(piece);
    }
    if (sent && chunked) sendAll("0\r\n\r\n");
    char answer[64] = {};
    const ssize_t got = ::recv(s, answer, sizeof answer - 1, 0);
    ::close(s);
    int status = 0;
    if (got > 12) std::sscanf(answer, "HTTP/1.%*d %d", &status);
    return status;
}

// A multipart/form-data body with the given (name, content) parts; boundary "bounceXYZ".
inline std::string multipartBody(const std::vector<std::pair<std::string, std::string>>& parts) {
    std::string body;
    for (const auto& [name, content] : parts)
        body += "--bounceXYZ\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"x.wav\"\r\n\r\n" + content + "\r\n";
    return body + "--bounceXYZ--\r\n";
}

inline std::size_t jobFolders(const std::string& dataDir) {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dataDir + "/jobs", ec); !ec && it != fs::directory_iterator(); ++it) ++n;
    return n;
}

}  // namespace bounce::test
