// The job queue of a Bounce service spread over machines (issue 24): Redis Streams with a
// consumer group, not a queue of Bounce's own making. docs/scale-out.md says why Redis,
// what each failure does, and what a hundred workers need of it.
//
// A job is an entry of one stream (its id and a JSON payload). Workers read with a consumer
// group: an entry handed to a worker stays pending until it is acknowledged, so a job is
// delivered at least once; a worker acknowledges only after its result is durable in the
// store. A worker that dies leaves its entry pending; after the visibility timeout any
// worker reclaims it (XAUTOCLAIM), and a worker on a long job keeps it by heartbeats (an
// XCLAIM to itself resets the idle time). Each delivery is counted, so a job that kills
// every worker it reaches (a poison job) is failed after a bounded number of tries.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace bounce {

struct QueuedJob {
    std::string entry;             // the stream entry's id (what is acknowledged)
    std::string id;                // the job's id (the store's folder)
    std::string payload;           // JSON: what to do
    std::uint64_t deliveries = 1;  // times it has been handed out, this one included
};

class RedisJobQueue {
public:
    // `url`: redis://HOST:PORT (a Unix socket: unix:///path). Throws bounce::Error naming
    // the URL when the broker cannot be reached. Creates the stream and the group if needed.
    explicit RedisJobQueue(const std::string& url, std::string stream = "bounce:jobs", std::string group = "workers");
    ~RedisJobQueue();
    RedisJobQueue(const RedisJobQueue&) = delete;
    RedisJobQueue& operator=(const RedisJobQueue&) = delete;

    // Adds a job; returns its entry id.
    std::string enqueue(const std::string& id, const std::string& payload);
    // A job for `consumer`: first one whose worker has been silent for `visibility` (it died),
    // else a new one, waiting up to `wait` for it. nullopt when there is none.
    std::optional<QueuedJob> claim(const std::string& consumer, std::chrono::milliseconds visibility, std::chrono::milliseconds wait);
    // The job stays `consumer`'s: its idle time starts again (a worker's heartbeat).
    void heartbeat(const std::string& consumer, const QueuedJob& job);
    // Done with it, its result durable: no one is handed it again.
    void acknowledge(const QueuedJob& job);
    // Entries in the stream not yet acknowledged, and those handed out and not acknowledged.
    std::uint64_t waiting();
    std::uint64_t pending();

private:
    struct Connection;
    std::unique_ptr<Connection> connection_;
    std::string url_, stream_, group_;
};

}  // namespace bounce
