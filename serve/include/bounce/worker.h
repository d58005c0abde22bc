// `bounce worker`: runs the jobs of a broker (docs/scale-out.md). Any number of workers on
// any machines that share the store take jobs from the queue, run each in a process of its
// own (so that a job that crashes the engine takes down that process, not the worker),
// heartbeat while it runs, commit its result into the store, and acknowledge it only then.
#pragma once

#include <string>

namespace bounce {

struct WorkerSettings {
    std::string queueUrl;           // redis://HOST:PORT
    std::string storeDir;           // the store the API nodes share (their --store); empty: batch jobs only
    int jobs = 1;                   // jobs at once; 0: the number of cores
    double visibilitySeconds = 60;  // a job whose worker is silent this long goes to another
    int maxTries = 3;               // a job that crashed its engine this many times fails
    double graceSeconds = 60;       // on SIGTERM: running jobs may finish this long, then are handed back
    std::string program;            // what runs a job (this program, `worker --run-job`); empty: /proc/self/exe
    std::string logFormat = "auto";
};

// Works until SIGTERM or SIGINT; returns the exit code. Throws bounce::Error when the
// broker cannot be reached at the start.
int runWorker(const WorkerSettings& settings);

// The process a job runs in: the job (`payload`, as queued) against the store, its progress
// and its outcome as JSON lines on standard output ({"progress": N}, then {"done": STATE}
// or {"failed": MESSAGE}). Returns 0, or 1 when the job failed.
int runQueuedJob(const std::string& storeDir, const std::string& payload);

}  // namespace bounce
