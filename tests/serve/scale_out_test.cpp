// Issue 24, end to end: API nodes (`bounce serve --queue --store`) and workers
// (`bounce worker`) as separate processes around a Redis the test starts (loopback, random
// port, private folder, append-only file on). Every job done once with the single machine's
// bytes; a worker killed with -9 mid-job, a broker restarted, an API node killed; a poison
// job failed with its error after bounded tries while the workers go on; SIGTERM hands a job
// back; the metrics count what happened.
#include "redis_server.h"

#include <map>
#include <regex>
#include <set>

namespace bounce::test {
namespace {
using namespace std::chrono_literals;

// A child process: `args` with extra environment, its standard error to `logPath`.
class Process {
public:
    Process(const std::vector<std::string>& args, const std::string& logPath, const std::map<std::string, std::string>& env = {}) {
        std::vector<std::string> copy = args;
        pid_ = ::fork();
        if (pid_ == 0) {
            for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
            std::vector<char*> argv;
            for (auto& a : copy) argv.push_back(a.data());
            argv.push_back(nullptr);
            const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(log, 2);
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::execv(copy[0].c_str(), argv.data());
            ::_exit(127);
        }
    }
    ~Process() { stop(SIGKILL); }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    pid_t pid() const { return pid_; }
    bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
    // Sends `signal` and waits; returns the wait status.
    int stop(int signal = SIGTERM) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, signal);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_ = -1;
};

std::vector<Json> jsonLines(const std::string& path) {
    std::vector<Json> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        Json parsed = Json::parse(line, nullptr, false);
        if (!parsed.is_discarded()) lines.push_back(std::move(parsed));
    }
    return lines;
}

// The processes of a job's run (`bounce worker ... --run-job {..."id":"ID"...}`) still there.
int jobProcesses(const std::string& id) {
    int found = 0;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        std::ifstream in(entry.path() / "cmdline", std::ios::binary);
        const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
        if (cmdline.find("--run-job") != std::string::npos && cmdline.find(id) != std::string::npos) ++found;
    }
    return found;
}

class ScaleOut : public ::testing::Test {
protected:
    void SetUp() override {
        if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh installs it)";
        std::signal(SIGPIPE, SIG_IGN);
        dir_ = makeTempDir("scale-out");
        store_ = dir_ + "/store";
        fs::create_directories(store_);
        redis_ = std::make_unique<RedisServer>();
    }
    void TearDown() override {
        workers_.clear();
        apis_.clear();
        redis_.reset();
        if (!dir_.empty() && !std::getenv("BOUNCE_KEEP_TEST_FILES")) fs::remove_all(dir_);
    }
    int startApi(const std::vector<std::string>& extra = {}) {
        const int port = freePort();
        std::vector<std::string> args{BOUNCE_CLI,    "serve",   "--port", std::to_string(port), "--store", store_,  "--queue",
                                      redis_->url(), "--token", kToken,   "--max-queue",        "1000",    "--log", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        apis_.push_back(std::make_unique<Process>(args, dir_ + "/api-" + std::to_string(port) + ".log"));
        ports_.push_back(port);
        for (int i = 0; i < 200; ++i) {
            if (client(port).Get("/api/health")) return port;
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << "an API node did not come up";
        return port;
    }
    Process& startWorker(const std::vector<std::string>& extra = {}, const std::map<std::string, std::string>& env = {},
                         bool withStore = true) {
        std::vector<std::string> args{BOUNCE_CLI, "worker", "--queue", redis_->url(), "--log", "json"};
        if (withStore) args.insert(args.end(), {"--store", store_});
        args.insert(args.end(), extra.begin(), extra.end());
        workers_.push_back(std::make_unique<Process>(args, workerLog(workers_.size()), env));
        return *workers_.back();
    }
    std::string workerLog(std::size_t i) const { return dir_ + "/worker-" + std::to_string(i) + ".log"; }
    // Every worker's log events, in the order of the files.
    std::vector<Json> workerEvents() const {
        std::vector<Json> all;
        for (std::size_t i = 0; i < workers_.size(); ++i)
            for (auto& line : jsonLines(workerLog(i))) all.push_back(std::move(line));
        return all;
    }
    static httplib::Client client(int port) {
        httplib::Client c("127.0.0.1", port);
        c.set_bearer_token_auth(kToken);
        c.set_read_timeout(60, 0);
        c.set_connection_timeout(5, 0);
        return c;
    }
    std::string submit(int port, const std::string& mix, const std::string& name, const std::string& target) {
        auto r =
            client(port).Post("/api/jobs", httplib::MultipartFormDataItems{{"file", mix, name, "audio/wav"}, {"target", target, "", ""}});
        EXPECT_TRUE(r);
        if (!r) return {};
        EXPECT_EQ(r->status, 201) << r->body;
        return r->status == 201 ? Json::parse(r->body)["id"].get<std::string>() : std::string();
    }
    Json state(int port, const std::string& id) {
        auto r = client(port).Get("/api/jobs/" + id);
        return r && r->status == 200 ? Json::parse(r->body) : Json{{"state", r ? "http " + std::to_string(r->status) : "no answer"}};
    }
    Json waitFor(int port, const std::string& id, double seconds) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        Json s;
        while (std::chrono::steady_clock::now() < until) {
            s = state(port, id);
            if (s["state"] == "done" || s["state"] == "failed") return s;
            std::this_thread::sleep_for(100ms);
        }
        return s;
    }
    std::string mix(double seconds, std::uint64_t seed) {
        const std::string path = dir_ + "/mix-" + std::to_string(seed) + ".wav";
        writeFile(path, pinkishNoise(44100, seconds, -22.0, 2, seed).view(), 44100, SampleFormat::Pcm24);
        return slurp(path);
    }

    std::string dir_, store_;
    std::unique_ptr<RedisServer> redis_;
    std::vector<std::unique_ptr<Process>> apis_, workers_;
    std::vector<int> ports_;
};

// What a single machine (`bounce serve` with its own pool) makes of the same uploads.
std::map<std::string, std::string> singleMachineMasters(const std::string& dir,
                                                        const std::vector<std::pair<std::string, std::string>>& jobs) {
    const int port = freePort();
    Process server({BOUNCE_CLI, "serve", "--port", std::to_string(port), "--data", dir + "/single", "--jobs", "2", "--token", kToken},
                   dir + "/single.log");
    httplib::Client c("127.0.0.1", port);
    c.set_bearer_token_auth(kToken);
    c.set_read_timeout(60, 0);
    for (int i = 0; i < 200 && !c.Get("/api/health"); ++i) std::this_thread::sleep_for(50ms);
    std::map<std::string, std::string> masters;  // target -> bytes
    for (const auto& [mix, target] : jobs) {
        auto r = c.Post("/api/jobs", httplib::MultipartFormDataItems{{"file", mix, "m.wav", "audio/wav"}, {"target", target, "", ""}});
        if (!r || r->status != 201) continue;
        const std::string id = Json::parse(r->body)["id"];
        for (int i = 0; i < 600; ++i) {
            const Json s = Json::parse(c.Get("/api/jobs/" + id)->body);
            if (s["state"] == "done" || s["state"] == "failed") break;
            std::this_thread::sleep_for(100ms);
        }
        auto master = c.Get("/api/jobs/" + id + "/master");
        if (master && master->status == 200) masters[target] = master->body;
    }
    return masters;
}

TEST_F(ScaleOut, TwoApiNodesAndThreeWorkersDoEveryJobOnceWithTheSingleMachinesBytes) {
    const int a = startApi(), b = startApi();
    for (int w = 0; w < 3; ++w) startWorker();
    const std::string song = mix(1.0, 7);
    const std::vector<std::string> targets = {"spotify", "apple", "youtube", "cd"};
#if defined(__SANITIZE_ADDRESS__)
    constexpr int kJobs = 40;  // under the sanitizers (make test-sanitize) the run looks for memory errors, not scale
#else
    constexpr int kJobs = 200;
#endif
    std::vector<std::string> ids;
    std::map<std::string, std::string> targetOf;
    for (int i = 0; i < kJobs; ++i) {  // half through each API node
        const std::string target = targets[static_cast<std::size_t>(i) % targets.size()];
        ids.push_back(submit(i % 2 ? b : a, song, "song.wav", target));
        ASSERT_FALSE(ids.back().empty());
        targetOf[ids.back()] = target;
    }
    std::vector<std::pair<std::string, std::string>> reference;
    for (const auto& t : targets) reference.emplace_back(song, t);
    const auto single = singleMachineMasters(dir_, reference);
    ASSERT_EQ(single.size(), targets.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        // Asked of the node that did not take it: any node answers for any job.
        const Json s = waitFor(i % 2 ? a : b, ids[i], 180.0);
        ASSERT_EQ(s["state"], "done") << ids[i] << " " << s.dump();
    }
    std::map<std::string, int> started, done;
    for (const auto& e : workerEvents()) {
        if (e["event"] == "job.started") ++started[e["job"].get<std::string>()];
        if (e["event"] == "job.done") ++done[e["job"].get<std::string>()];
    }
    std::set<std::string> workersUsed;
    for (const auto& e : workerEvents())
        if (e["event"] == "job.done")
            workersUsed.insert(e["worker"].get<std::string>().substr(0, e["worker"].get<std::string>().rfind(':')));
    EXPECT_EQ(workersUsed.size(), 3u) << "not every worker took jobs";
    int identical = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(started[ids[i]], 1) << ids[i];
        EXPECT_EQ(done[ids[i]], 1) << ids[i];
        auto master = client(i % 2 ? b : a).Get("/api/jobs/" + ids[i] + "/master");
        ASSERT_TRUE(master);
        ASSERT_EQ(master->status, 200);
        identical += master->body == single.at(targetOf[ids[i]]);
    }
    EXPECT_EQ(identical, kJobs) << "masters differ from the single machine's";
    const std::string metrics = client(a).Get("/metrics")->body;
    EXPECT_NE(metrics.find("bounce_jobs_finished_total{result=\"done\"} " + std::to_string(kJobs) + "\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("bounce_workers 3\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("bounce_jobs_queued 0\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("bounce_job_duration_seconds_count " + std::to_string(kJobs) + "\n"), std::string::npos) << metrics;
}

// kill -9 of the worker on a job: the job completes on another (after the visibility
// timeout), and the killed worker's job process died with it. Then the broker restarts with
// jobs waiting: nothing accepted is lost. Then the API node the jobs came through dies: the
// other answers for every one.
TEST_F(ScaleOut, AWorkerKilledMidJobABrokerRestartAndADeadApiNodeLoseNothing) {
    const int a = startApi(), b = startApi();
    Process& first = startWorker({"--visibility", "2"});
    const std::string id = submit(a, mix(60.0, 3), "long.wav", "spotify");
    // Running on the first worker (the only one yet).
    for (int i = 0; i < 200 && state(b, id)["state"] != "running"; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(state(b, id)["state"], "running");
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(jobProcesses(id), 1);
    first.stop(SIGKILL);
    for (int i = 0; i < 100 && jobProcesses(id) > 0; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(jobProcesses(id), 0) << "the job's process outlived its worker";
    startWorker({"--visibility", "2"});
    const Json s = waitFor(b, id, 120.0);
    ASSERT_EQ(s["state"], "done") << s.dump();
    int tries = 0;
    for (const auto& e : workerEvents())
        if (e["event"] == "job.started" && e["job"] == id) tries = std::max(tries, e["try"].get<int>());
    EXPECT_EQ(tries, 2) << "not taken over as a second try";

    // The broker restarts while a job runs and five wait: the worker rides it out (its
    // progress and heartbeats wait for the broker), and nothing is lost.
    std::vector<std::string> waiting;
    waiting.push_back(submit(a, mix(30.0, 6), "running.wav", "apple"));
    const std::string song = mix(1.0, 5);
    for (int i = 0; i < 5; ++i) waiting.push_back(submit(a, song, "w.wav", "apple"));
    for (int i = 0; i < 200 && state(a, waiting[0])["state"] != "running"; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(state(a, waiting[0])["state"], "running");
    redis_->stop();
    EXPECT_EQ(state(a, waiting[1])["state"], "http 503") << "a node without its broker must say so";
    EXPECT_EQ(client(a).Get("/api/jobs/" + waiting[1])->get_header_value("Retry-After"), "5");
    std::this_thread::sleep_for(1500ms);
    redis_->start();
    for (const auto& w : waiting) EXPECT_EQ(waitFor(a, w, 60.0)["state"], "done") << w;
    EXPECT_TRUE(workers_.back()->alive());
    int outages = 0, backs = 0, runs = 0;
    for (const auto& e : jsonLines(workerLog(workers_.size() - 1))) {
        outages += e["event"] == "broker.unreachable";
        backs += e["event"] == "broker.back";
        runs += e["event"] == "job.started" && e["job"] == waiting[0];
    }
    EXPECT_GE(outages, 1) << "the worker never noticed the broker was away";
    EXPECT_GE(backs, 1);
    EXPECT_EQ(runs, 1) << "the job that ran through the outage was run again";

    // The API node the jobs came through dies; the other answers for all of them.
    apis_[0]->stop(SIGKILL);
    for (const auto& job : waiting) {
        EXPECT_EQ(state(b, job)["state"], "done");
        auto master = client(b).Get("/api/jobs/" + job + "/master");
        ASSERT_TRUE(master);
        EXPECT_EQ(master->status, 200);
    }
    EXPECT_EQ(state(b, id)["state"], "done");
}

// A job that crashes the engine (here by the test-only fault BOUNCE_FAULT_CRASH_ON, as a bug
// in a parser would) fails with its error after three tries; the workers go on.
TEST_F(ScaleOut, APoisonJobFailsWithItsErrorAfterBoundedTriesAndTheWorkersGoOn) {
    const int a = startApi();
    const std::map<std::string, std::string> fault = {{"BOUNCE_FAULT_CRASH_ON", "poison"}};
    Process& w1 = startWorker({}, fault);
    Process& w2 = startWorker({}, fault);
    const std::string song = mix(1.0, 9);
    const std::string poison = submit(a, song, "poison.wav", "spotify");
    std::vector<std::string> good;
    for (int i = 0; i < 4; ++i) good.push_back(submit(a, song, "fine.wav", "spotify"));
    const Json s = waitFor(a, poison, 60.0);
    ASSERT_EQ(s["state"], "failed") << s.dump();
    const std::string error = s["error"];
    EXPECT_NE(error.find("the engine crashed on this job (signal 6"), std::string::npos) << error;
    EXPECT_NE(error.find("gave up after 3 tries"), std::string::npos) << error;
    for (const auto& g : good) EXPECT_EQ(waitFor(a, g, 60.0)["state"], "done") << g;
    EXPECT_TRUE(w1.alive());
    EXPECT_TRUE(w2.alive());
    int crashes = 0;
    for (const auto& e : workerEvents()) crashes += e["event"] == "job.crashed" && e["job"] == poison;
    EXPECT_EQ(crashes, 3);
    const std::string metrics = client(a).Get("/metrics")->body;
    EXPECT_NE(metrics.find("bounce_jobs_finished_total{result=\"failed\"} 1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("bounce_job_retries_total 2\n"), std::string::npos) << metrics;
}

// SIGTERM: with no grace the running job is handed back at once (another worker finishes it
// long before the visibility timeout); with grace it is finished first.
TEST_F(ScaleOut, SigtermFinishesOrHandsBackTheRunningJob) {
    const int a = startApi();
    Process& quitter = startWorker({"--grace", "0", "--visibility", "600"});
    const std::string id = submit(a, mix(60.0, 4), "long.wav", "spotify");
    for (int i = 0; i < 200 && state(a, id)["state"] != "running"; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(state(a, id)["state"], "running");
    const int status = quitter.stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(state(a, id)["state"], "queued");
    Process& patient = startWorker({"--grace", "600", "--visibility", "600"});
    for (int i = 0; i < 200 && state(a, id)["state"] != "running"; ++i) std::this_thread::sleep_for(50ms);
    ::kill(patient.pid(), SIGTERM);  // finishes the job, then stops
    const Json s = waitFor(a, id, 120.0);
    EXPECT_EQ(s["state"], "done") << s.dump();
    for (int i = 0; i < 100 && patient.alive(); ++i) std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(patient.alive());
    bool handedBack = false;
    for (const auto& e : workerEvents()) handedBack |= e["event"] == "job.handed-back" && e["job"] == id;
    EXPECT_TRUE(handedBack);
}

TEST_F(ScaleOut, AWorkerOrNodeWithoutItsBrokerOrStoreSaysSo) {
    const auto r = runCommand({BOUNCE_CLI, "worker", "--queue", "redis://127.0.0.1:1", "--store", store_});
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find("--queue redis://127.0.0.1:1: cannot reach the broker"), std::string::npos) << r.err;
    const auto noStore = runCommand({BOUNCE_CLI, "worker", "--queue", redis_->url(), "--store", dir_ + "/nowhere"});
    EXPECT_NE(noStore.exitCode, 0);
    EXPECT_NE(noStore.err.find("--store"), std::string::npos) << noStore.err;
    const auto api =
        runCommand({BOUNCE_CLI, "serve", "--queue", "redis://127.0.0.1:1", "--store", store_, "--port", std::to_string(freePort())});
    EXPECT_NE(api.exitCode, 0);
    EXPECT_NE(api.err.find("cannot reach the broker"), std::string::npos) << api.err;
}

// A worker whose machine's clock is two hours behind (libfaketime) is still counted as
// alive: its liveness is stamped and read by the broker's clock, not by each machine's.
TEST_F(ScaleOut, WorkersAreCountedByTheBrokersClockNotTheirOwn) {
    const char* fakeTime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
    if (!fs::exists(fakeTime)) GTEST_SKIP() << "libfaketime is not installed (scripts/install-deps.sh installs it)";
    const int a = startApi();
    // ASan must come first among the preloaded libraries; the sanitizer build lets it not.
    const char* asan = std::getenv("ASAN_OPTIONS");
    startWorker({}, {{"LD_PRELOAD", fakeTime},
                     {"FAKETIME", "-2h"},
                     {"FAKETIME_DONT_FAKE_MONOTONIC", "1"},
                     {"ASAN_OPTIONS", std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "verify_asan_link_order=0"}});
    std::string metrics;
    for (int i = 0; i < 100 && metrics.find("bounce_workers 1\n") == std::string::npos; ++i) {
        std::this_thread::sleep_for(50ms);
        metrics = client(a).Get("/metrics")->body;
    }
    EXPECT_NE(metrics.find("bounce_workers 1\n"), std::string::npos) << metrics;
    bool skewed = false;  // the worker did run two hours behind: its log's times say so
    for (const auto& e : workerEvents()) {
        if (e["event"] != "worker.started") continue;
        std::tm utc{};
        ::strptime(e["time"].get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
        skewed = std::time(nullptr) - ::timegm(&utc) > 3600;
    }
    EXPECT_TRUE(skewed);
}

// The disk budget holds across nodes: a node that took no upload itself still sees the store
// fill with another node's upload and the worker's result (it measures the store again), and
// sees it empty again after the other node deleted the job.
TEST_F(ScaleOut, TheDiskBudgetCountsWhatOtherNodesAndWorkersPutInTheStore) {
    const std::vector<std::string> small{"--disk-budget-mb", "1", "--store-scan-seconds", "0.5"};
    const int a = startApi(small), b = startApi(small);
    startWorker();
    const std::string upload = mix(2.0, 8);  // 0.53 MB; with its master the store holds over 1 MB
    const std::string id = submit(a, upload, "m.wav", "spotify");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(waitFor(a, id, 120.0)["state"], "done");
    std::this_thread::sleep_for(2500ms);  // b's next scans (every 0.5 s), with room for a loaded machine
    const auto post = [&](int port) {
        auto r = client(port).Post("/api/jobs", httplib::MultipartFormDataItems{{"file", upload, "n.wav", "audio/wav"}});
        return r ? r->status : 0;
    };
    EXPECT_EQ(post(b), 507);
    auto gone = client(a).Delete("/api/jobs/" + id);
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->status, 204) << gone->body;
    std::this_thread::sleep_for(2500ms);
    EXPECT_EQ(post(b), 201);
}

// A worker started without --store (a machine for batches) hands a service job back, not
// counted as a try; the job waits queued until a worker with the store takes it.
TEST_F(ScaleOut, AWorkerWithoutTheStoreLeavesServiceJobsToOneWithIt) {
    const int a = startApi();
    startWorker({}, {}, false);
    const std::string id = submit(a, mix(2.0, 7), "m.wav", "spotify");
    ASSERT_FALSE(id.empty());
    bool handedBack = false;
    for (int i = 0; i < 100 && !handedBack; ++i) {
        std::this_thread::sleep_for(50ms);
        for (const auto& e : workerEvents()) handedBack |= e["event"] == "job.handed-back" && e["job"] == id;
    }
    EXPECT_TRUE(handedBack);
    EXPECT_EQ(state(a, id)["state"], "queued");
    startWorker();
    const Json s = waitFor(a, id, 120.0);
    EXPECT_EQ(s["state"], "done") << s.dump();
    int started = 0;
    for (const auto& e : workerEvents()) started += e["event"] == "job.started" && e["job"] == id;
    EXPECT_EQ(started, 1);  // once, by the worker with the store; the hand-backs were not tries
}

// bounce batch master DIR --queue: the submitter killed after it queued, run again, finds
// its jobs (none queued twice, each run once) and waits for the rest; the masters are the
// bytes of the same batch on this machine; the summary (CSV and JSON) has every file, a
// file that is not audio failed with its error, and the exit code says so.
TEST_F(ScaleOut, ACatalogueBatchOnWorkersResumesAndMatchesTheLocalBatch) {
    const std::string catalogue = dir_ + "/catalogue";
    fs::create_directories(catalogue + "/disc 2");
    for (int i = 0; i < 6; ++i)
        writeFile(catalogue + (i < 4 ? "/" : "/disc 2/") + "track" + std::to_string(i) + ".wav",
                  pinkishNoise(44100, 1.0, -22.0, 2, 40 + i).view(), 44100, SampleFormat::Pcm24);
    const auto local = runCommand({BOUNCE_CLI, "batch", "master", catalogue, "-o", dir_ + "/local", "--target", "apple", "--bits", "16"});
    ASSERT_EQ(local.exitCode, 0) << local.err;
    for (int w = 0; w < 2; ++w) startWorker({}, {}, false);  // machines that see the catalogue, not the service's store
    {
        Process submitter({BOUNCE_CLI, "batch", "master", catalogue, "-o", dir_ + "/queued", "--queue", redis_->url(), "--target", "apple",
                           "--bits", "16"},
                          dir_ + "/submitter.log");
        RedisJobQueue broker(redis_->url());
        for (int i = 0; i < 200 && broker.figures(std::chrono::seconds(60)).done == 0; ++i) std::this_thread::sleep_for(20ms);
        submitter.stop(SIGKILL);  // interrupted after it queued, before it wrote its summary
    }
    EXPECT_FALSE(fs::exists(dir_ + "/queued/batch-summary.csv"));
    const auto resumed = runCommand(
        {BOUNCE_CLI, "batch", "master", catalogue, "-o", dir_ + "/queued", "--queue", redis_->url(), "--target", "apple", "--bits", "16"});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    std::map<std::string, int> started;
    for (const auto& e : workerEvents())
        if (e["event"] == "job.started") ++started[e["job"].get<std::string>()];
    EXPECT_EQ(started.size(), 6u);
    for (const auto& [job, count] : started) EXPECT_EQ(count, 1) << job << " run more than once";
    for (const std::string name : {"track0", "track3", "disc 2/track4", "disc 2/track5"}) {
        const std::string queued = slurp(dir_ + "/queued/" + name + ".master.wav");
        EXPECT_GT(queued.size(), 100000u) << name;
        EXPECT_EQ(queued, slurp(dir_ + "/local/" + name + ".master.wav")) << name;
        EXPECT_TRUE(fs::exists(dir_ + "/queued/" + name + ".master.json")) << name;
    }
    const Json summary = Json::parse(slurp(dir_ + "/queued/batch-summary.json"));
    ASSERT_EQ(summary["files"].size(), 6u);
    for (const auto& row : summary["files"]) {
        EXPECT_EQ(row["state"], "done") << row.dump();
        EXPECT_NEAR(row["integrated_lufs"].get<double>(), -16.0, 0.2) << row.dump();
    }
    const std::string csv = slurp(dir_ + "/queued/batch-summary.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7) << csv;
    EXPECT_EQ(csv.rfind("input,output,state,integrated_lufs,true_peak_dbtp,error\n", 0), 0u) << csv;

    // A file that is not audio: failed with its error, the others analysed, exit 1.
    std::ofstream(catalogue + "/broken.wav") << "RIFF but not really";
    const auto analyzed = runCommand({BOUNCE_CLI, "batch", "analyze", catalogue, "-o", dir_ + "/analysis", "--queue", redis_->url()});
    EXPECT_EQ(analyzed.exitCode, 1) << analyzed.err;
    EXPECT_NE(analyzed.err.find("broken.wav"), std::string::npos) << analyzed.err;
    const Json analysis = Json::parse(slurp(dir_ + "/analysis/batch-summary.json"));
    ASSERT_EQ(analysis["files"].size(), 7u);
    int failed = 0;
    for (const auto& row : analysis["files"]) {
        if (row["state"] == "failed") {
            ++failed;
            EXPECT_NE(row["input"].get<std::string>().find("broken.wav"), std::string::npos);
            EXPECT_FALSE(row["error"].get<std::string>().empty());
        }
    }
    EXPECT_EQ(failed, 1);
    // Bad settings are refused before anything is queued.
    const auto bad = runCommand({BOUNCE_CLI, "batch", "master", catalogue, "-o", dir_ + "/x", "--queue", redis_->url(), "--lufs", "loud"});
    EXPECT_EQ(bad.exitCode, 2) << bad.err;
    EXPECT_NE(bad.err.find("lufs"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace bounce::test
