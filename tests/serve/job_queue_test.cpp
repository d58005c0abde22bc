// The scale-out queue (issue 24) against a real Redis, started by the test on loopback with
// a private data folder and a random port, and stopped by it: every job handed out once, a
// dead worker's job reclaimed after the visibility timeout, a heartbeat keeping a long job,
// nothing accepted lost when the broker restarts (append-only file on), delivery counts.
#include "redis_server.h"

#include <mutex>
#include <set>

namespace bounce::test {
namespace {
using namespace std::chrono_literals;

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

// A job's result is committed once: the first finish records the state and counts it; a
// duplicate's (a slow worker taken for dead) is dropped, and progress cannot undo it.
TEST(JobQueue, AResultIsCommittedOnceAndProgressCannotUndoIt) {
    if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
    RedisServer redis;
    RedisJobQueue queue(redis.url());
    queue.enqueue("twice", "{}");
    EXPECT_EQ(queue.state("twice").value_or(""), R"({"state":"queued","progress":0})");
    const auto first = queue.claim("slow", 200ms, 100ms);
    ASSERT_TRUE(first);
    std::this_thread::sleep_for(250ms);
    const auto second = queue.claim("fast", 200ms, 100ms);  // taken over: the slow one looked dead
    ASSERT_TRUE(second);
    queue.finish(*second, R"({"state":"done","by":"fast"})", false, 2.0);
    queue.setState("twice", R"({"state":"running","progress":50})");  // the slow one, still going
    queue.finish(*first, R"({"state":"done","by":"slow"})", false, 9.0);
    EXPECT_EQ(queue.state("twice").value_or(""), R"({"state":"done","by":"fast"})");
    const QueueFigures f = queue.figures(1min);
    EXPECT_EQ(f.done, 1u);
    EXPECT_EQ(f.durationSecondsSum, 2.0);
    EXPECT_EQ(f.waiting, 0u);
    EXPECT_EQ(f.running, 0u);
    // A deleted job's state is not brought back by a late worker.
    queue.enqueue("deleted", "{}");
    const auto job = queue.claim("w", 1min, 100ms);
    ASSERT_TRUE(job);
    queue.forget("deleted");
    queue.setState("deleted", R"({"state":"running"})");
    queue.finish(*job, R"({"state":"done"})", false, 1.0);
    EXPECT_FALSE(queue.state("deleted"));
}

// The worker count of the metrics: a worker seen within the visibility timeout, by the
// broker's clock; a name not seen for a day is dropped from the broker when any worker is seen.
TEST(JobQueue, WorkersAreCountedWhileSeenAndForgottenAfterADay) {
    if (!haveRedis() || !haveTool("redis-cli")) GTEST_SKIP() << "redis-server or redis-cli is not installed";
    RedisServer redis;
    RedisJobQueue queue(redis.url());
    const std::string port = redis.url().substr(redis.url().rfind(':') + 1);
    const auto cli = [&](std::vector<std::string> words) {
        words.insert(words.begin(), {"redis-cli", "-p", port});
        return runCommand(words).out;
    };
    EXPECT_EQ(queue.figures(60s).workers, 0u);
    queue.seen("w1");
    EXPECT_EQ(queue.figures(60s).workers, 1u);
    cli({"ZADD", "bounce:jobs:workers", "1000", "gone-since-1970"});  // a worker of long ago
    EXPECT_EQ(cli({"ZCARD", "bounce:jobs:workers"}), "2\n");
    EXPECT_EQ(queue.figures(60s).workers, 1u);
    queue.seen("w2");
    EXPECT_EQ(queue.figures(60s).workers, 2u);
    EXPECT_EQ(cli({"ZCARD", "bounce:jobs:workers"}), "2\n");  // w1 and w2: the old name is gone
    EXPECT_EQ(cli({"ZSCORE", "bounce:jobs:workers", "gone-since-1970"}), "\n");
}

}  // namespace
}  // namespace bounce::test
