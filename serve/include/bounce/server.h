// `bounce serve`: mastering as a service on the user's own machine (docs/api.md).
//
// An HTTP server (cpp-httplib: Debian packages it, it is one well-kept dependency with a
// thread-pooled server, multipart parsing and a client the tests use) with a JSON API:
// upload a mix (and optionally a reference) with the options of `bounce master`, follow
// the job, download the master and its reports. Jobs run in a bounded pool of workers and
// queue beyond it; each job's files and state live under the data folder under generated
// names, so a restart keeps finished jobs (and marks the ones that were running failed).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace bounce {

struct ServerSettings {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string dataDir = "bounce-data";
    int jobs = 0;              // workers; 0: the number of cores
    double maxUploadMb = 500;  // larger uploads get 413
    double maxDurationMinutes = 60;
    int maxQueued = 32;           // jobs waiting beyond the running ones; more get 429
    double diskBudgetMb = 20000;  // all jobs' files together; an upload past it gets 507
    double keepHours = 24;        // finished jobs (done or failed) are deleted this long after
    // Every API call but the health check must carry this (Authorization: Bearer, or the
    // cookie the page gets); empty: read from DATA/token, made there on the first start.
    std::string token;
    std::vector<std::string> allowedHosts;  // Host names accepted besides this machine's addresses
    // A broker (redis://HOST:PORT): jobs are queued there and run by `bounce worker`s
    // anywhere; dataDir is then the store every API node and worker shares (docs/scale-out.md).
    std::string queueUrl;
    // With a broker, the store is measured again this often (seconds) for the disk budget:
    // the other nodes' uploads and the workers' results land in it unseen by this node.
    double storeScanSeconds = 10;
    std::string logFormat = "auto";  // json, text, or auto: json unless standard error is a terminal
};

// Serves until SIGINT or SIGTERM; returns the exit code. Throws ConfigError when it
// cannot listen.
int runServer(const ServerSettings& settings);

// A job's option fields checked as the service checks them before queueing it (the
// options of bounce master, by name), then parsed as the job would parse them. Throws
// ConfigError naming the field. Used by the service, and by its fuzzer.
void checkJobFields(const std::map<std::string, std::string>& fields);

}  // namespace bounce
