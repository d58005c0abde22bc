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
#include <vector>

namespace bounce {

struct QueuedJob {
    std::string entry;             // the stream entry's id (what is acknowledged)
    std::string id;                // the job's id (the store's folder)
    std::string payload;           // JSON: what to do
    std::uint64_t deliveries = 1;  // times it has been handed out, this one included
};

// What the broker knows of the jobs, for GET /metrics (Prometheus) and `bounce batch`.
struct QueueFigures {
    std::uint64_t waiting = 0;                        // in the stream, not yet acknowledged (running ones included)
    std::uint64_t running = 0;                        // handed out, not yet acknowledged
    std::uint64_t done = 0, failed = 0, retried = 0;  // since the broker's data began
    std::uint64_t workers = 0;                        // workers seen within the last visibility timeout
    double durationSecondsSum = 0;
    std::vector<std::uint64_t> durationBuckets;  // counts per kDurationBucketsSeconds (cumulative: Prometheus's `le`)
};
// The upper bounds of the job-duration histogram, in seconds.
inline constexpr double kDurationBucketsSeconds[] = {1, 5, 15, 30, 60, 120, 300, 600, 1800};

// Not thread-safe: one per thread (a worker's slot), or one behind a mutex (an API node).
// A broken connection (the broker restarted) is reconnected on the next call.
class RedisJobQueue {
public:
    // `url`: redis://HOST:PORT (a Unix socket: unix:///path). Throws bounce::Error naming
    // the URL when the broker cannot be reached. Creates the stream and the group if needed.
    explicit RedisJobQueue(const std::string& url, std::string stream = "bounce:jobs", std::string group = "workers");
    ~RedisJobQueue();
    RedisJobQueue(const RedisJobQueue&) = delete;
    RedisJobQueue& operator=(const RedisJobQueue&) = delete;

    const std::string& url() const noexcept { return url_; }

    // Adds a job; returns its entry id.
    std::string enqueue(const std::string& id, const std::string& payload);
    // A job for `consumer`: first one whose worker has been silent for `visibility` (it died),
    // else a new one, waiting up to `wait` for it. nullopt when there is none.
    std::optional<QueuedJob> claim(const std::string& consumer, std::chrono::milliseconds visibility, std::chrono::milliseconds wait);
    // The job stays `consumer`'s: its idle time starts again (a worker's heartbeat).
    void heartbeat(const std::string& consumer, const QueuedJob& job);
    // Done with it, its result durable: no one is handed it again.
    void acknowledge(const QueuedJob& job);
    // Gives a job back unfinished (a worker stopping, or its engine crashed): the next claim
    // by any worker takes it at once rather than after the visibility timeout.
    void handBack(const std::string& consumer, const QueuedJob& job);
    // Entries in the stream not yet acknowledged, and those handed out and not acknowledged.
    std::uint64_t waiting();
    std::uint64_t pending();

    // A job's state: the JSON the API answers (queued, running with progress, done with
    // its figures, failed with its error), kept in the broker so that any API node answers
    // for any job. `setState` does nothing once the job is finished (a slow duplicate's
    // progress must not undo a result); `finish` records the final state and acknowledges
    // the entry in one transaction (and counts it, with its duration, for the metrics).
    void setState(const std::string& id, const std::string& stateJson);
    std::optional<std::string> state(const std::string& id);
    // Many at once, in one round trip (a batch's progress).
    std::vector<std::optional<std::string>> states(const std::vector<std::string>& ids);
    // `keep`: how long the final state stays in the broker (0: until forgotten; a batch's
    // jobs, which have no API node to delete them, are kept 30 days).
    void finish(const QueuedJob& job, const std::string& stateJson, bool failed, double seconds,
                std::chrono::seconds keep = std::chrono::seconds(0));
    void forget(const std::string& id);  // the job was deleted
    // The job's tries so far, this one counted (a crash or a dead worker counts a try).
    std::uint64_t countAttempt(const std::string& id);
    void uncountAttempt(const std::string& id);  // handed back unfinished: not a try
    // The last crash or error of a job that will be tried again.
    void setLastError(const std::string& id, const std::string& message);
    std::string lastError(const std::string& id);

    // A worker says it is alive (for the worker count of the metrics).
    void seen(const std::string& consumer);
    QueueFigures figures(std::chrono::milliseconds visibility);

    // Commands sent since this queue was made (for the benchmark's broker operations per job).
    std::uint64_t commandsSent() const noexcept;

private:
    struct Connection;
    std::unique_ptr<Connection> connection_;
    std::string url_, stream_, group_, prefix_;
    std::string key(const std::string& id) const { return prefix_ + "job:" + id; }
};

}  // namespace bounce
