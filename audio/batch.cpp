#include "bounce/batch.h"

#include "bounce/error.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace bounce {

int defaultBatchJobs() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::vector<BatchOutcome> runBatch(std::size_t count, int jobs, const std::function<void(std::size_t)>& work,
                                   const std::function<void(std::size_t, const BatchOutcome&)>& onFinished) {
    std::vector<BatchOutcome> outcomes(count);
    std::atomic<std::size_t> next{0};
    std::mutex reporting;
    // Items are taken in order as workers free up: the longest files do not wait for a
    // static split, and the first results come first.
    const auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < count;) {
            BatchOutcome& outcome = outcomes[i];
            const auto start = std::chrono::steady_clock::now();
            try {
                work(i);
                outcome.ok = true;
            } catch (const ConfigError& e) {
                outcome.usageError = true;
                outcome.error = e.what();
            } catch (const std::exception& e) {
                outcome.error = e.what();
            }
            outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (onFinished) {
                const std::lock_guard<std::mutex> lock(reporting);
                onFinished(i, outcome);
            }
        }
    };
    const auto threads = static_cast<std::size_t>(std::max(1, jobs > 0 ? jobs : defaultBatchJobs()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < std::min(threads, count); ++t) pool.emplace_back(worker);
    worker();  // this thread is one of them
    for (auto& thread : pool) thread.join();
    return outcomes;
}

}  // namespace bounce
