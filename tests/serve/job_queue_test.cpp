// The scale-out queue (issue 24) against a real Redis, started by the test on loopback with
// a private data folder and a random port, and stopped by it: every job handed out once, a
// dead worker's job reclaimed after the visibility timeout, a heartbeat keeping a long job,
// nothing accepted lost when the broker restarts (append-only file on), delivery counts.
#include "bounce/error.h"
#include "bounce/job_queue.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <mutex>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

extern char** environ;

namespace bounce::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

int freePort() {
    // The kernel's choice for port 0 is free now; Redis binds it a moment later.
    const auto r = runCommand({"python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"});
    return std::stoi(r.out);
}

class RedisServer {
public:
    RedisServer() : dir_(makeTempDir("redis")), port_(freePort()) { start(); }
    ~RedisServer() {
        stop();
        fs::remove_all(dir_);
    }
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
                std::this_thread::sleep_for(50ms);
            }
        }
        FAIL() << "redis-server did not come up on " << url();
    }
    // SIGTERM: Redis finishes writing its append-only file and exits.
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    std::string dir_;
    int port_;
    pid_t pid_ = -1;
};

bool haveRedis() { return haveTool("redis-server"); }

TEST(JobQueue, EveryJobIsHandedOutOnceToThreeWorkers) {
    if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh installs it)";
    RedisServer redis;
    RedisJobQueue api(redis.url());
    for (int i = 0; i < 60; ++i) api.enqueue("job" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}");
    std::mutex lock;
    std::multiset<std::string> done;
    std::vector<std::thread> workers;
    for (int w = 0; w < 3; ++w)
        workers.emplace_back([&, w] {
            RedisJobQueue queue(redis.url());
            while (auto job = queue.claim("worker" + std::to_string(w), 30s, 200ms)) {
                queue.acknowledge(*job);
                const std::lock_guard hold(lock);
                done.insert(job->id);
            }
        });
    for (auto& t : workers) t.join();
    EXPECT_EQ(done.size(), 60u);
    for (int i = 0; i < 60; ++i) EXPECT_EQ(done.count("job" + std::to_string(i)), 1u) << i;
    EXPECT_EQ(api.pending(), 0u);
    EXPECT_EQ(api.waiting(), 0u);
}

TEST(JobQueue, ADeadWorkersJobGoesToAnotherAfterTheVisibilityTimeout) {
    if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
    RedisServer redis;
    RedisJobQueue queue(redis.url());
    queue.enqueue("song", "{}");
    const auto taken = queue.claim("dies", 300ms, 100ms);
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->deliveries, 1u);
    // The worker "dies" (never acknowledges). Before the timeout nobody else gets the job.
    EXPECT_FALSE(queue.claim("other", 300ms, 50ms));
    std::this_thread::sleep_for(400ms);
    const auto again = queue.claim("other", 300ms, 50ms);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, "song");
    EXPECT_EQ(again->deliveries, 2u);  // counted: a job that kills every worker is failed after a few
    queue.acknowledge(*again);
    EXPECT_EQ(queue.pending(), 0u);
}

TEST(JobQueue, AHeartbeatKeepsALongJob) {
    if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
    RedisServer redis;
    RedisJobQueue queue(redis.url()), other(redis.url());
    queue.enqueue("long", "{}");
    const auto job = queue.claim("busy", 300ms, 100ms);
    ASSERT_TRUE(job);
    for (int i = 0; i < 8; ++i) {
        std::this_thread::sleep_for(100ms);
        queue.heartbeat("busy", *job);
        EXPECT_FALSE(other.claim("idle", 300ms, 10ms)) << "taken from a worker that was still on it";
    }
    queue.acknowledge(*job);
}

TEST(JobQueue, NothingAcceptedIsLostWhenTheBrokerRestarts) {
    if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
    RedisServer redis;
    {
        RedisJobQueue queue(redis.url());
        for (int i = 0; i < 5; ++i) queue.enqueue("job" + std::to_string(i), "{}");
        ASSERT_TRUE(queue.claim("worker", 300ms, 100ms));  // in hand when the broker goes down
    }
    redis.stop();
    redis.start();
    RedisJobQueue queue(redis.url());
    EXPECT_EQ(queue.waiting(), 5u);
    EXPECT_EQ(queue.pending(), 1u);
    std::this_thread::sleep_for(350ms);
    std::set<std::string> ids;
    while (auto job = queue.claim("after", 300ms, 100ms)) {
        ids.insert(job->id);
        queue.acknowledge(*job);
    }
    EXPECT_EQ(ids.size(), 5u);
}

TEST(JobQueue, AQueueThatCannotBeReachedIsAClearError) {
    try {
        RedisJobQueue queue("redis://127.0.0.1:1");
        ADD_FAILURE() << "connected to port 1";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("--queue redis://127.0.0.1:1: cannot reach the broker"), std::string::npos) << e.what();
    }
    EXPECT_THROW(RedisJobQueue("http://example.org"), ConfigError);
}

}  // namespace
}  // namespace bounce::test
