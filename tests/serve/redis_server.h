// A Redis for the scale-out tests (issue 24): started by the test on loopback with a
// private data folder and a random port, the append-only file on (fsync always), stopped
// by the test.
#pragma once

#include "bounce/error.h"
#include "bounce/job_queue.h"
#include "serve_fixture.h"

#include <spawn.h>

extern char** environ;

namespace bounce::test {

class RedisServer {
public:
    RedisServer() : dir_(makeTempDir("redis")), port_(freePort()) { start(); }
    ~RedisServer() {
        stop();
        fs::remove_all(dir_);
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    void start() {
        const std::string port = std::to_string(port_);
        std::vector<std::string> args = {
            "redis-server",  "--port", port,     "--bind", "127.0.0.1",   "--dir", dir_,        "--appendonly", "yes",
            "--appendfsync", "always", "--save", "",       "--daemonize", "no",    "--logfile", dir_ + "/log"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ASSERT_EQ(posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ), 0);
        for (int i = 0; i < 200; ++i) {  // up within 10 s
            try {
                RedisJobQueue probe(url());
                return;
            } catch (const Error&) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        FAIL() << "redis-server did not come up on " << url();
    }
    // SIGTERM: Redis finishes writing its append-only file and exits.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    std::string dir_;
    int port_;
    pid_t pid_ = -1;
};

inline bool haveRedis() { return haveTool("redis-server"); }

}  // namespace bounce::test
