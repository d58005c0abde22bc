// The service's jobs: each an upload stored under a generated name, its options, and a
// state file, in DATA/jobs/ID/; a queue run by a pool of workers (bounce master, then
// bounce check on the master). Internal to the serve layer (server.cpp is its HTTP face).
#pragma once

#include "bounce/job_queue.h"
#include "bounce/master.h"
#include "bounce/server.h"

#include "http_answer.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bounce::serve {

using Json = nlohmann::ordered_json;

// A refusal with its HTTP status; the message is the one line the client sees.
struct HttpError {
    int status;
    std::string message;
    int retryAfterSeconds = 0;  // sent as Retry-After when set (429)
};

// The disk the jobs' files take, against --disk-budget-mb: uploads take from it as their
// bytes arrive (so that concurrent uploads cannot overshoot it together), deleted jobs
// give back.
class DiskLedger {
public:
    explicit DiskLedger(std::uint64_t budgetBytes) : budgetBytes_(budgetBytes) {}
    bool take(std::uint64_t bytes) {
        if (used_.fetch_add(bytes) + bytes <= budgetBytes_) return true;
        used_.fetch_sub(bytes);
        return false;
    }
    void add(std::uint64_t bytes) { used_.fetch_add(bytes); }  // a job's outputs: written whatever the budget
    void give(std::uint64_t bytes) { used_.fetch_sub(std::min<std::uint64_t>(bytes, used_.load())); }
    // The store as measured (`scannedBytes`, a scan that began when the ledger stood at
    // `usedBefore`) replaces what the ledger assumed; what was taken and given while the scan
    // ran is kept. With several API nodes on one store, each sees the others' uploads and the
    // workers' results at its next scan.
    void rebase(std::uint64_t usedBefore, std::uint64_t scannedBytes) {
        std::uint64_t current = used_.load(), next = 0;
        do {
            const auto moved = static_cast<std::int64_t>(current) - static_cast<std::int64_t>(usedBefore);
            next = static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(scannedBytes) + moved));
        } while (!used_.compare_exchange_weak(current, next));
    }
    std::uint64_t used() const { return used_.load(); }
    std::uint64_t budget() const { return budgetBytes_; }

private:
    std::uint64_t budgetBytes_;
    std::atomic<std::uint64_t> used_{0};
};

// Reads and drops a refused request's body (up to 64 MB), so that a client that sends it
// all before it reads (most do, without Expect: 100-continue) gets the answer rather than a
// broken connection.
void drainBody(const httplib::Request& request, const httplib::ContentReader& content);

// Checks a job's option fields (the options of bounce master, by name; `set` may repeat)
// and returns them as they came, [name, value] pairs in order, to be parsed again when the
// job runs. Throws HttpError 400 naming the field.
Json validatedOptions(const std::vector<std::pair<std::string, std::string>>& fields);

// The settings of bounce master a job's stored options give.
MasterSettings settingsFromOptions(const Json& options);

// Where a job's results are: DIR/result, committed by one rename (or DIR itself for a job
// finished by an earlier version).
std::filesystem::path resultFolder(const std::filesystem::path& dir);

// Runs the stored job in `dir` (its input and options.json): the master, its reports and
// previews written into a folder of this try's, flushed to the disk, and committed by
// renaming it to DIR/result; the first try to commit wins, so a job run twice (a slow
// worker taken for dead) is committed once. Returns the final state (the winner's).
// `progress` hears 0..100. Throws on failure. Used by the single machine's pool and by
// `bounce worker` (serve/worker.cpp).
Json runServiceJob(const std::filesystem::path& dir, const std::function<void(int)>& progress);

// The jobs as the single machine's pool or the broker sees them: gauges and counters for
// GET /metrics (Prometheus's text format).
std::string prometheusText(const QueueFigures& figures);

class JobService {
public:
    explicit JobService(const ServerSettings& settings);
    ~JobService();
    JobService(const JobService&) = delete;
    JobService& operator=(const JobService&) = delete;

    // With --queue: jobs go to the broker and run on `bounce worker`s; this node holds no
    // state of its own (docs/scale-out.md).
    bool distributed() const noexcept { return broker_ != nullptr; }
    QueueFigures figures() const;

    static bool validId(const std::string& id);
    bool exists(const std::string& id) const;
    std::filesystem::path folder(const std::string& id) const { return root_ / id; }
    std::filesystem::path results(const std::string& id) const { return resultFolder(root_ / id); }

    // Receives a job (multipart/form-data: the mix in 'file', optionally 'reference', and
    // option fields) as it arrives, straight to disk, counting every byte received against
    // the upload limit whatever the transfer encoding; content encodings are refused (a
    // small compressed body must not become a huge input). Queues it; returns its id.
    // Throws HttpError; nothing of a refused job stays.
    std::string create(const httplib::Request& request, const httplib::ContentReader& content);

    // For a client that asks first (Expect: 100-continue): a job whose declared size is over
    // the limit is refused before it is sent. Returns 100 or the refusal's status.
    int admit(const httplib::Request& request, httplib::Response& response) const;

    Json readState(const std::string& id) const;
    // Every job (the token's holder's: one token, one caller), oldest first, with its state.
    Json list() const;
    // 204 when deleted, 409 while it runs.
    int remove(const std::string& id);
    // Deletes the finished jobs older than --keep-hours; returns how many.
    int expire();

private:
    void writeState(const std::string& id, const Json& state) const;
    void checkDeclaredSize(const httplib::Request& request) const;
    void checkRoom(std::uint64_t declaredBytes) const;
    void deleteFolder(const std::string& id);
    void janitor();
    void checkAudio(const std::filesystem::path& path, const std::string& field) const;
    std::string newId() const;
    void work();
    void run(const std::string& id);
    void runJob(const std::string& id);
    void recordFailure(const std::string& id, const std::string& message) const;
    // A call to the broker, under its lock; a broker that cannot be reached is a 503.
    template <typename Call>
    auto withBroker(const Call& call) const;

    ServerSettings settings_;
    std::filesystem::path root_;
    mutable std::mutex mutex_;
    mutable std::mutex stateMutex_;
    std::condition_variable wake_;         // workers: a job is queued, or the service stops
    std::condition_variable janitorWake_;  // the janitor: the service stops
    std::deque<std::string> queue_;
    std::set<std::string> running_;
    bool stopping_ = false;
    DiskLedger disk_;
    std::atomic<double> lastJobSeconds_{30.0};
    std::vector<std::thread> workers_;
    std::thread janitor_;
    mutable std::mutex brokerMutex_;
    std::unique_ptr<RedisJobQueue> broker_;
    mutable std::mutex figuresMutex_;
    QueueFigures finished_;  // the single machine's counters (done, failed, durations)
};

}  // namespace bounce::serve
