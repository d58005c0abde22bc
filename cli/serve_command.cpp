#include "commands.h"

#include "bounce/server.h"

#include <memory>

namespace bounce::cli {

std::function<int()> addServeCommand(CLI::App& app) {
    auto s = std::make_shared<ServerSettings>();
    CLI::App* cmd = app.add_subcommand("serve", "Mastering as a service: an HTTP API on this machine (docs/api.md)");
    cmd->add_option("--host", s->host, "Address to listen on (default 127.0.0.1: this machine only)");
    cmd->add_option("--port", s->port, "Port (default 8080)")->check(CLI::Range(1, 65535));
    cmd->add_option("--data,--store", s->dataDir,
                    "Where jobs and their files live (default bounce-data); with --queue, the store every API node and worker shares");
    cmd->add_option("--queue", s->queueUrl,
                    "A broker (redis://HOST:PORT): jobs are queued there and run by bounce workers anywhere; this node keeps no state "
                    "(docs/scale-out.md)");
    cmd->add_option("--log", s->logFormat, "json, text, or auto: json unless standard error is a terminal (default auto)")
        ->check(CLI::IsMember({"json", "text", "auto"}));
    cmd->add_option("--jobs", s->jobs, "Jobs run at once (default: the number of cores; with --queue: none here, workers run them)")
        ->check(CLI::Range(0, 64));
    cmd->add_option("--max-upload-mb", s->maxUploadMb, "Largest upload in MB (default 500)")->check(CLI::Range(1.0, 100000.0));
    cmd->add_option("--max-minutes", s->maxDurationMinutes, "Longest audio in minutes (default 60)")->check(CLI::Range(1.0, 1000.0));
    cmd->add_option("--max-queue", s->maxQueued, "Jobs that may wait for a worker; more get 429 (default 32)")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--disk-budget-mb", s->diskBudgetMb, "Disk all jobs' files may take, in MB; past it uploads get 507 (default 20000)")
        ->check(CLI::Range(1.0, 1e9));
    cmd->add_option("--token", s->token, "The token API calls must carry (default: made on the first start, kept in DATA/token)");
    cmd->add_option("--allow-host", s->allowedHosts, "A Host name to accept besides this machine's addresses (a reverse proxy's)");
    cmd->add_option("--keep-hours", s->keepHours, "Hours a finished job is kept before it is deleted (default 24)")
        ->check(CLI::Range(0.0001, 1e6));
    // How often (seconds) a node of a broker measures the shared store for the disk budget (for the tests).
    cmd->add_option("--store-scan-seconds", s->storeScanSeconds)->group("")->check(CLI::Range(0.1, 3600.0));
    return [s] { return runServer(*s); };
}

}  // namespace bounce::cli
