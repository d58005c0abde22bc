#include "bounce/worker.h"

#include "bounce/catalogue.h"
#include "bounce/error.h"
#include "bounce/job_queue.h"

#include "event_log.h"
#include "http_answer.h"
#include "jobs.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bounce {
namespace fs = std::filesystem;
using serve::EventLog;
using serve::Json;

namespace {

std::atomic<bool> gStopRequested{false};
extern "C" void onStopSignal(int) { gStopRequested.store(true); }

using Clock = std::chrono::steady_clock;

struct JobProcess {
    pid_t pid = -1;
    int output = -1;  // its standard output: the JSON lines of runQueuedJob
};

// The job's own process: `program worker --store DIR --run-job PAYLOAD`. It dies with this
// worker (PR_SET_PDEATHSIG: a worker killed with -9 leaves no orphan writing into the store),
// and in a process group of its own (a terminal's Ctrl-C or a stop signal reaches the
// worker, which decides: finish, or hand back).
JobProcess startJobProcess(const std::string& program, const std::string& store, const std::string& payload) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("cannot make a pipe for a job (") + std::strerror(errno) + ")");
    std::vector<std::string> args = {program, "worker", "--run-job", payload};
    if (!store.empty()) args.insert(args.begin() + 2, {"--store", store});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw Error(std::string("cannot start a job's process (") + std::strerror(errno) + ")");
    }
    if (pid == 0) {  // only async-signal-safe calls from here to exec
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::setpgid(0, 0);
        ::dup2(fds[1], 1);
        const int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        ::execv(program.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    return {pid, fds[0]};
}

std::string describeEnd(int status) {
    if (WIFSIGNALED(status)) {
        const int signal = WTERMSIG(status);
        return "the engine crashed on this job (signal " + std::to_string(signal) + ", " + ::strsignal(signal) + ")";
    }
    return "the job's process ended without a result (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
}

class Slot {
public:
    Slot(const WorkerSettings& settings, const EventLog& log, std::string consumer)
        : settings_(settings), log_(log), consumer_(std::move(consumer)), queue_(settings.queueUrl) {}

    void work() {
        const auto visibility = std::chrono::milliseconds(static_cast<long long>(settings_.visibilitySeconds * 1000.0));
        while (!gStopRequested.load()) {
            std::optional<QueuedJob> job;
            if (!tryBroker([&] {
                    queue_.seen(consumer_);
                    job = queue_.claim(consumer_, visibility, std::chrono::milliseconds(1000));
                })) {
                std::this_thread::sleep_for(std::chrono::seconds(1));
                continue;
            }
            if (job && !tryBroker([&] { run(*job); })) std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    }

    std::uint64_t brokerCommands() const noexcept { return queue_.commandsSent(); }

private:
    // A call to the broker; false (said once in the log) when it cannot be reached.
    bool tryBroker(const std::function<void()>& call) {
        try {
            call();
            if (brokerAway_) log_.info("broker.back", {{"worker", consumer_}});
            brokerAway_ = false;
            return true;
        } catch (const Error& e) {
            if (!brokerAway_) log_.error("broker.unreachable", {{"worker", consumer_}, {"error", e.what()}});
            brokerAway_ = true;
            return false;
        }
    }

    // After a job's process ended: what the broker must hear (its result is durable in the
    // store already), tried every second for a visibility timeout. If the broker stays away
    // the job is taken over later, and its next try finds the committed result.
    void tellBroker(const QueuedJob& job, const std::function<void()>& call) {
        const auto until = Clock::now() + std::chrono::duration<double>(settings_.visibilitySeconds);
        while (!tryBroker(call)) {
            if (Clock::now() > until) {
                log_.error("job.unacknowledged", {{"worker", consumer_}, {"job", job.id}, {"why", "the broker stayed away"}});
                return;
            }
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    }

    static bool isServiceJob(const QueuedJob& job) {
        const Json payload = Json::parse(job.payload, nullptr, false);
        return payload.is_object() && payload.value("kind", "") == "service";
    }

    void finish(const QueuedJob& job, const Json& state, double seconds) {
        const bool failed = state.value("state", "") == "failed";
        // A batch's job has no API node to delete it: its state is kept 30 days.
        const bool batch = !isServiceJob(job);
        queue_.finish(job, state.dump(), failed, seconds, std::chrono::seconds(batch ? 30 * 86400 : 0));
        if (failed) {
            log_.error("job.failed", {{"worker", consumer_}, {"job", job.id}, {"seconds", seconds}, {"error", state.value("error", "")}});
        } else {
            log_.info("job.done", {{"worker", consumer_}, {"job", job.id}, {"seconds", seconds}});
        }
    }

    struct Watched {
        std::optional<Json> outcome;  // the job's last line: {"state": "done", ...} or failed with its error
        bool handedBack = false;      // stopping, past the grace: the process was killed
    };

    // Reads the job's process's lines until it closes its output: progress to the broker
    // (at most every 0.5 s), heartbeats every visibility/3, the outcome; on a stop request
    // past the grace, kills it.
    Watched watch(const QueuedJob& job, const JobProcess& process) {
        const auto heartbeatEvery = std::chrono::duration<double>(settings_.visibilitySeconds / 3.0);
        auto lastHeartbeat = Clock::now(), lastProgress = Clock::now();
        std::optional<Clock::time_point> stopSeen;
        std::string buffer;
        Watched watched;
        for (;;) {
            pollfd fd{process.output, POLLIN, 0};
            if (::poll(&fd, 1, 200) > 0) {
                char block[4096];
                const ssize_t n = ::read(process.output, block, sizeof block);
                if (n <= 0) break;  // the process closed its output: it is ending
                buffer.append(block, static_cast<std::size_t>(n));
                for (std::size_t end; (end = buffer.find('\n')) != std::string::npos; buffer.erase(0, end + 1)) {
                    const Json line = Json::parse(buffer.substr(0, end), nullptr, false);
                    if (line.is_discarded() || !line.is_object()) continue;
                    if (line.contains("progress") && Clock::now() - lastProgress > std::chrono::milliseconds(500)) {
                        lastProgress = Clock::now();
                        tryBroker([&] { queue_.setState(job.id, Json{{"state", "running"}, {"progress", line["progress"]}}.dump()); });
                    }
                    if (line.contains("done")) watched.outcome = line["done"];
                    if (line.contains("failed"))
                        watched.outcome = Json{{"state", "failed"}, {"progress", 100}, {"error", line["failed"].get<std::string>()}};
                }
            }
            if (Clock::now() - lastHeartbeat >= heartbeatEvery) {
                tryBroker([&] {
                    queue_.heartbeat(consumer_, job);
                    queue_.seen(consumer_);
                });
                lastHeartbeat = Clock::now();
            }
            if (gStopRequested.load() && !stopSeen) stopSeen = Clock::now();
            if (stopSeen && Clock::now() - *stopSeen > std::chrono::duration<double>(settings_.graceSeconds)) {
                ::kill(process.pid, SIGKILL);
                watched.handedBack = true;
                break;
            }
        }
        return watched;
    }

    void run(const QueuedJob& job) {
        if (!queue_.state(job.id)) {  // deleted while it waited
            queue_.acknowledge(job);
            log_.info("job.dropped", {{"worker", consumer_}, {"job", job.id}, {"why", "deleted"}});
            return;
        }
        if (settings_.storeDir.empty() && isServiceJob(job)) {
            // A worker without the store runs batch jobs only: a service job goes back, not
            // counted as a try, for a worker with the store (until one comes, it waits queued).
            if (job.id != lastLeft_)  // said once: with no worker that has the store, it comes back every second
                log_.info("job.handed-back",
                          {{"worker", consumer_}, {"job", job.id}, {"why", "a service job, and this worker has no --store"}});
            lastLeft_ = job.id;
            queue_.handBack(consumer_, job);
            std::this_thread::sleep_for(std::chrono::seconds(1));  // leave it to the others
            return;
        }
        const std::uint64_t tries = queue_.countAttempt(job.id);
        if (tries > static_cast<std::uint64_t>(settings_.maxTries)) {
            const std::string last = queue_.lastError(job.id);
            finish(job,
                   {{"state", "failed"},
                    {"progress", 100},
                    {"error",
                     "gave up after " + std::to_string(settings_.maxTries) + " tries: " + (last.empty() ? "its workers stopped" : last)}},
                   0.0);
            return;
        }
        queue_.setState(job.id, Json{{"state", "running"}, {"progress", 0}}.dump());
        log_.info("job.started", {{"worker", consumer_}, {"job", job.id}, {"try", tries}});
        const auto started = Clock::now();
        JobProcess process;
        try {
            process = startJobProcess(program(), settings_.storeDir, job.payload);
        } catch (const Error& e) {  // no process could be made (out of memory or of processes)
            log_.error("job.not-started", {{"worker", consumer_}, {"job", job.id}, {"error", e.what()}});
            return tellBroker(job, [&] {
                queue_.uncountAttempt(job.id);
                queue_.handBack(consumer_, job);
            });
        }
        const Watched watched = watch(job, process);
        ::close(process.output);
        int status = 0;
        while (::waitpid(process.pid, &status, 0) < 0 && errno == EINTR) {}
        const double seconds = std::round(std::chrono::duration<double>(Clock::now() - started).count() * 1000.0) / 1000.0;
        if (watched.handedBack) {
            // Stopping: the job goes back, not counted as a try, to be taken at once.
            tellBroker(job, [&] {
                queue_.uncountAttempt(job.id);
                queue_.setState(job.id, Json{{"state", "queued"}, {"progress", 0}}.dump());
                queue_.handBack(consumer_, job);
            });
            log_.info("job.handed-back", {{"worker", consumer_}, {"job", job.id}, {"why", "the worker is stopping"}});
            return;
        }
        if (watched.outcome && WIFEXITED(status) && WEXITSTATUS(status) <= 1)
            return tellBroker(job, [&] { finish(job, *watched.outcome, seconds); });
        // A crash: kept as the job's last error, and the job handed back to be tried again
        // (by any worker) until the bound; the try that passes it fails the job with it.
        const std::string error = describeEnd(status);
        log_.error("job.crashed", {{"worker", consumer_}, {"job", job.id}, {"try", tries}, {"error", error}});
        tellBroker(job, [&] {
            queue_.setLastError(job.id, error);
            if (tries >= static_cast<std::uint64_t>(settings_.maxTries))
                return finish(job,
                              {{"state", "failed"},
                               {"progress", 100},
                               {"error", error + "; gave up after " + std::to_string(settings_.maxTries) + " tries"}},
                              seconds);
            queue_.setState(job.id, Json{{"state", "queued"}, {"progress", 0}}.dump());
            queue_.handBack(consumer_, job);
        });
    }

    // This very program, even if its file was replaced since it started (an upgrade under a
    // running worker): /proc/self/exe in the child is the image the worker runs.
    std::string program() const { return settings_.program.empty() ? std::string("/proc/self/exe") : settings_.program; }

    const WorkerSettings& settings_;
    const EventLog& log_;
    std::string consumer_;
    RedisJobQueue queue_;
    bool brokerAway_ = false;
    std::string lastLeft_;  // the last service job handed back for want of a store
};

std::string hostName() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

// The mix's name as its client gave it (options.json), for the test-only fault below.
std::string clientMixName(const fs::path& dir) {
    std::ifstream in(dir / "options.json");
    const Json options = Json::parse(in, nullptr, false);
    if (options.is_discarded() || !options.contains("files")) return {};
    return options["files"].value("input", std::string());
}

}  // namespace

int runWorker(const WorkerSettings& settings) {
    const EventLog log("worker", settings.logFormat);
    // Without a store the worker runs only batch jobs, which name their files themselves: a
    // machine that sees the catalogue need not mount the service's store.
    if (!settings.storeDir.empty() && !fs::is_directory(settings.storeDir))
        throw ConfigError("--store " + settings.storeDir + ": not a folder (give the store the API nodes were started with)");
    RedisJobQueue probe(settings.queueUrl);  // unreachable: a clear error now, not a loop of them
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    const int jobs = settings.jobs > 0 ? settings.jobs : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const std::string name = hostName() + ":" + std::to_string(::getpid());
    log.info("worker.started", {{"worker", name}, {"queue", settings.queueUrl}, {"store", settings.storeDir}, {"jobs", jobs}});
    std::vector<std::unique_ptr<Slot>> slots;
    for (int i = 0; i < jobs; ++i) slots.push_back(std::make_unique<Slot>(settings, log, name + ":" + std::to_string(i)));
    std::vector<std::thread> threads;
    for (auto& slot : slots) threads.emplace_back([&slot] { slot->work(); });
    for (auto& t : threads) t.join();
    std::uint64_t commands = probe.commandsSent();
    for (const auto& slot : slots) commands += slot->brokerCommands();
    log.info("worker.stopped", {{"worker", name}, {"broker_commands", commands}});
    return 0;
}

int runQueuedJob(const std::string& storeDir, const std::string& payload) {
    const auto say = [](const Json& line) {
        const std::string text = line.dump() + "\n";
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    };
    try {
        const Json job = Json::parse(payload);
        const std::string kind = job.value("kind", "");
        const char* marker = std::getenv("BOUNCE_FAULT_CRASH_ON");
        const auto crashOn = [marker](const std::string& name) {
            // For the tests of poison jobs only: a file whose name holds $BOUNCE_FAULT_CRASH_ON
            // crashes this process as a bug in a parser would.
            if (marker && *marker && name.find(marker) != std::string::npos) std::abort();
        };
        if (kind == "master" || kind == "check" || kind == "analyze") {
            crashOn(fs::path(job.value("input", "")).filename().string());
            say({{"done", runFileJob(job)}});
            return 0;
        }
        if (kind != "service") throw Error("a job of an unknown kind '" + kind + "' (a newer version's?)");
        if (storeDir.empty())
            throw Error("a service job, and this worker has no --store (give it the store the API nodes were started with)");
        const std::string id = job.value("id", "");
        if (!serve::JobService::validId(id)) throw Error("a job with an invalid id");
        const fs::path dir = fs::path(storeDir) / "jobs" / id;
        if (!fs::is_directory(dir)) throw Error("the job's folder is not in the store (" + dir.string() + ")");
        crashOn(clientMixName(dir));
        say({{"done", serve::runServiceJob(dir, [&say](int progress) { say({{"progress", progress}}); })}});
        return 0;
    } catch (const std::exception& e) {
        say({{"failed", serve::oneLine(e.what())}});
        return 1;
    }
}

}  // namespace bounce
