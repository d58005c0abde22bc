#include "commands.h"

#include "bounce/error.h"
#include "bounce/worker.h"

#include <memory>

namespace bounce::cli {

std::function<int()> addWorkerCommand(CLI::App& app) {
    auto s = std::make_shared<WorkerSettings>();
    auto runJob = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("worker", "Run the jobs of a broker, beside any number of other workers (docs/scale-out.md)");
    cmd->add_option("--queue", s->queueUrl, "The broker: redis://HOST:PORT or unix:///PATH");
    cmd->add_option("--store", s->storeDir,
                    "The store the API nodes share (their --store); without it the worker runs only bounce batch's jobs");
    cmd->add_option("--jobs", s->jobs, "Jobs at once (default 1; 0: the number of cores)")->check(CLI::Range(0, 256));
    cmd->add_option("--visibility", s->visibilitySeconds,
                    "Seconds a job's worker may be silent before another takes the job over (default 60; heartbeats every third)")
        ->check(CLI::Range(1.0, 86400.0));
    cmd->add_option("--tries", s->maxTries, "Tries of a job that crashes its engine before it fails (default 3)")
        ->check(CLI::Range(1, 100));
    cmd->add_option("--grace", s->graceSeconds,
                    "On SIGTERM, seconds running jobs may take to finish before they are handed back (default 60)")
        ->check(CLI::Range(0.0, 86400.0));
    cmd->add_option("--log", s->logFormat, "json, text, or auto: json unless standard error is a terminal (default auto)")
        ->check(CLI::IsMember({"json", "text", "auto"}));
    // The process a job runs in (started by the worker itself).
    cmd->add_option("--run-job", *runJob)->group("");
    return [s, runJob] {
        if (!runJob->empty()) return runQueuedJob(s->storeDir, *runJob);
        if (s->queueUrl.empty()) throw ConfigError("bounce worker: --queue is required (redis://HOST:PORT)");
        return runWorker(*s);
    };
}

}  // namespace bounce::cli
