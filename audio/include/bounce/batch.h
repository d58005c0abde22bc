// Many files through one command (bounce master a.wav b.wav ... --jobs N): each item on
// one of N worker threads, its failure caught and kept, so that one broken file does not
// stop the rest. Results come back in the order of the inputs, whatever order they finish in.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace bounce {

struct BatchOutcome {
    bool ok = false;
    bool usageError = false;  // a ConfigError: the settings, not the file, were wrong
    std::string error;        // one line, naming the file (the exception's message)
    double seconds = 0.0;     // wall time of this item
};

// The default number of workers: the machine's cores (at least 1).
int defaultBatchJobs();

// Runs work(i) for every i in [0, count) on min(jobs, count) threads (jobs <= 0: the
// default). `onFinished(i, outcome)` is called as each item finishes, one call at a time
// (under a lock: it may print).
std::vector<BatchOutcome> runBatch(std::size_t count, int jobs, const std::function<void(std::size_t)>& work,
                                   const std::function<void(std::size_t, const BatchOutcome&)>& onFinished = {});

}  // namespace bounce
