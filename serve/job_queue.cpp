#include "bounce/job_queue.h"

#include "bounce/error.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace bounce {
namespace {

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

std::string text(const redisReply* r) { return r && r->str ? std::string(r->str, r->len) : std::string(); }

// The entry [id, [field, value, ...]] of an XREADGROUP or XAUTOCLAIM reply.
std::optional<QueuedJob> entryOf(const redisReply* entry) {
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) return std::nullopt;
    QueuedJob job;
    job.entry = text(entry->element[0]);
    const redisReply* fields = entry->element[1];
    if (!fields || fields->type != REDIS_REPLY_ARRAY) return std::nullopt;  // deleted meanwhile
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
        const std::string key = text(fields->element[i]);
        if (key == "id") job.id = text(fields->element[i + 1]);
        if (key == "payload") job.payload = text(fields->element[i + 1]);
    }
    return job;
}

// The scripts run in the broker, each one atomic there (Redis runs a script alone).
// Enqueue: the job's state, then its entry: a job is never in the stream without a state.
constexpr const char* kEnqueue =
    "redis.call('HSET', KEYS[1], 'state', ARGV[1]) "
    "return redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'payload', ARGV[3])";
// Progress: not once the job is finished (a slow duplicate must not undo a result), nor
// for a job deleted meanwhile.
constexpr const char* kSetState =
    "if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'final') == 1 then return 0 end "
    "redis.call('HSET', KEYS[1], 'state', ARGV[1]) return 1";
// Finish: the first to finish a job records its state and counts it (its result is the one
// committed; a duplicate's is dropped); every finisher acknowledges the entry.
constexpr const char* kFinish =
    "local first = 0 "
    "if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HSETNX', KEYS[1], 'final', '1') == 1 then "
    "  first = 1 "
    "  redis.call('HSET', KEYS[1], 'state', ARGV[1]) "
    "  redis.call('HINCRBY', KEYS[2], ARGV[2], 1) "
    "  redis.call('HINCRBYFLOAT', KEYS[2], 'duration_sum', ARGV[3]) "
    "  redis.call('HINCRBY', KEYS[2], 'bucket_' .. ARGV[4], 1) "
    "  if ARGV[7] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[7]) end "
    "end "
    "redis.call('XACK', KEYS[3], ARGV[5], ARGV[6]) "
    "redis.call('XDEL', KEYS[3], ARGV[6]) "
    "return first";
// A worker's liveness, stamped and read by the broker's clock (TIME, in ms), never by the
// machines' own: a worker whose clock runs behind would otherwise not be counted, one that
// runs ahead counted long after it died. Names not seen for a day are dropped (each worker
// process has a name of its own, so the set would otherwise grow with every restart).
constexpr const char* kSeen =
    "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
    "redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[1]) "
    "return redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - 86400000))";
constexpr const char* kAlive =
    "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
    "return redis.call('ZCOUNT', KEYS[1], string.format('%d', now - tonumber(ARGV[1])), '+inf')";

}  // namespace

struct RedisJobQueue::Connection {
    redisContext* context = nullptr;
    std::string url;
    std::uint64_t commands = 0;
    ~Connection() {
        if (context) redisFree(context);
    }
    // One command; a connection broken by a broker restart is made again first.
    Reply command(const std::vector<std::string>& args) {
        if (context->err && redisReconnect(context) != REDIS_OK)
            throw Error("--queue " + url + ": cannot reach the broker (" + std::string(context->errstr) + ")");
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        ++commands;
        Reply reply(static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data())));
        // A connection the broker closed while it was idle (a restart) fails on first use:
        // connected again, the command is sent once more. (Had the broker run it and the
        // answer been lost, an enqueue runs twice: a job is delivered at least once, and
        // its result committed once.)
        if (!reply && (context->err == REDIS_ERR_IO || context->err == REDIS_ERR_EOF) && redisReconnect(context) == REDIS_OK) {
            ++commands;
            reply.reset(static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data())));
        }
        if (!reply) throw Error("--queue " + url + ": the broker went away (" + std::string(context->errstr) + ")");
        if (reply->type == REDIS_REPLY_ERROR) throw Error("--queue " + url + ": " + args.front() + ": " + text(reply.get()));
        return reply;
    }
    // Many commands in one round trip (sent all, then the answers read), a thousand at a time.
    std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& all) {
        if (context->err && redisReconnect(context) != REDIS_OK)
            throw Error("--queue " + url + ": cannot reach the broker (" + std::string(context->errstr) + ")");
        std::vector<Reply> replies;
        for (std::size_t start = 0; start < all.size(); start += 1000) {
            const std::size_t end = std::min(all.size(), start + 1000);
            for (std::size_t i = start; i < end; ++i) {
                std::vector<const char*> argv;
                std::vector<std::size_t> lengths;
                for (const auto& a : all[i]) {
                    argv.push_back(a.data());
                    lengths.push_back(a.size());
                }
                redisAppendCommandArgv(context, static_cast<int>(all[i].size()), argv.data(), lengths.data());
                ++commands;
            }
            for (std::size_t i = start; i < end; ++i) {
                void* raw = nullptr;
                if (redisGetReply(context, &raw) != REDIS_OK || !raw)
                    throw Error("--queue " + url + ": the broker went away (" + std::string(context->errstr) + ")");
                Reply reply(static_cast<redisReply*>(raw));
                if (reply->type == REDIS_REPLY_ERROR) throw Error("--queue " + url + ": " + all[i].front() + ": " + text(reply.get()));
                replies.push_back(std::move(reply));
            }
        }
        return replies;
    }
};

RedisJobQueue::RedisJobQueue(const std::string& url, std::string stream, std::string group)
    : connection_(std::make_unique<Connection>()), url_(url), stream_(std::move(stream)), group_(std::move(group)), prefix_(stream_ + ":") {
    connection_->url = url;
    const timeval timeout{5, 0};
    if (url.rfind("unix://", 0) == 0) {
        connection_->context = redisConnectUnixWithTimeout(url.substr(7).c_str(), timeout);
    } else if (url.rfind("redis://", 0) == 0) {
        const std::string address = url.substr(8);
        const auto colon = address.rfind(':');
        const std::string host = colon == std::string::npos ? address : address.substr(0, colon);
        int port = 6379;
        if (colon != std::string::npos) {
            try {
                port = std::stoi(address.substr(colon + 1));
            } catch (const std::exception&) {
                throw ConfigError("--queue " + url + ": the port must be a number");
            }
        }
        connection_->context = redisConnectWithTimeout(host.c_str(), port, timeout);
    } else {
        throw ConfigError("--queue " + url + ": give redis://HOST:PORT or unix:///PATH");
    }
    if (!connection_->context || connection_->context->err)
        throw Error("--queue " + url + ": cannot reach the broker (" +
                    (connection_->context ? connection_->context->errstr : std::string("out of memory")) + ")");
    // The group reads the stream from its start: jobs queued before any worker came are done too.
    try {
        connection_->command({"XGROUP", "CREATE", stream_, group_, "0", "MKSTREAM"});
    } catch (const Error& e) {
        if (std::strstr(e.what(), "BUSYGROUP") == nullptr) throw;
    }
}

RedisJobQueue::~RedisJobQueue() = default;

std::uint64_t RedisJobQueue::commandsSent() const noexcept { return connection_->commands; }

std::string RedisJobQueue::enqueue(const std::string& id, const std::string& payload) {
    const Reply r = connection_->command({"EVAL", kEnqueue, "2", key(id), stream_, R"({"state":"queued","progress":0})", id, payload});
    return text(r.get());
}

std::optional<QueuedJob> RedisJobQueue::claim(const std::string& consumer, std::chrono::milliseconds visibility,
                                              std::chrono::milliseconds wait) {
    Connection& c = *connection_;
    // First a job whose worker went silent for the visibility timeout.
    const Reply stale = c.command({"XAUTOCLAIM", stream_, group_, consumer, std::to_string(visibility.count()), "0-0", "COUNT", "1"});
    std::optional<QueuedJob> job;
    if (stale->type == REDIS_REPLY_ARRAY && stale->elements >= 2 && stale->element[1]->type == REDIS_REPLY_ARRAY &&
        stale->element[1]->elements > 0)
        job = entryOf(stale->element[1]->element[0]);
    if (!job) {
        const Reply fresh = c.command(
            {"XREADGROUP", "GROUP", group_, consumer, "COUNT", "1", "BLOCK", std::to_string(wait.count()), "STREAMS", stream_, ">"});
        if (fresh->type == REDIS_REPLY_ARRAY && fresh->elements > 0 && fresh->element[0]->elements >= 2 &&
            fresh->element[0]->element[1]->elements > 0)
            job = entryOf(fresh->element[0]->element[1]->element[0]);
    }
    if (!job) return std::nullopt;
    // Its delivery count (XPENDING's fourth field).
    const Reply pendingEntry = c.command({"XPENDING", stream_, group_, job->entry, job->entry, "1"});
    if (pendingEntry->type == REDIS_REPLY_ARRAY && pendingEntry->elements == 1 && pendingEntry->element[0]->elements >= 4)
        job->deliveries = static_cast<std::uint64_t>(pendingEntry->element[0]->element[3]->integer);
    return job;
}

void RedisJobQueue::heartbeat(const std::string& consumer, const QueuedJob& job) {
    connection_->command({"XCLAIM", stream_, group_, consumer, "0", job.entry, "JUSTID"});
}

void RedisJobQueue::acknowledge(const QueuedJob& job) {
    connection_->command({"XACK", stream_, group_, job.entry});
    connection_->command({"XDEL", stream_, job.entry});
}

// Its idle time set past any visibility timeout (a year): the next XAUTOCLAIM takes it.
void RedisJobQueue::handBack(const std::string& consumer, const QueuedJob& job) {
    connection_->command({"XCLAIM", stream_, group_, consumer, "0", job.entry, "IDLE", "31536000000", "JUSTID"});
}

std::uint64_t RedisJobQueue::waiting() {
    const Reply r = connection_->command({"XLEN", stream_});
    return static_cast<std::uint64_t>(r->integer);
}

std::uint64_t RedisJobQueue::pending() {
    const Reply r = connection_->command({"XPENDING", stream_, group_});
    return r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? static_cast<std::uint64_t>(r->element[0]->integer) : 0;
}

void RedisJobQueue::setState(const std::string& id, const std::string& stateJson) {
    connection_->command({"EVAL", kSetState, "1", key(id), stateJson});
}

std::optional<std::string> RedisJobQueue::state(const std::string& id) {
    const Reply r = connection_->command({"HGET", key(id), "state"});
    if (r->type != REDIS_REPLY_STRING) return std::nullopt;
    return text(r.get());
}

std::vector<std::optional<std::string>> RedisJobQueue::states(const std::vector<std::string>& ids) {
    std::vector<std::vector<std::string>> commands;
    for (const auto& id : ids) commands.push_back({"HGET", key(id), "state"});
    std::vector<std::optional<std::string>> out;
    for (const auto& r : connection_->pipeline(commands))
        out.push_back(r->type == REDIS_REPLY_STRING ? std::optional<std::string>(text(r.get())) : std::nullopt);
    return out;
}

void RedisJobQueue::finish(const QueuedJob& job, const std::string& stateJson, bool failed, double seconds, std::chrono::seconds keep) {
    std::size_t bucket = std::size(kDurationBucketsSeconds);  // +Inf
    for (std::size_t i = 0; i < std::size(kDurationBucketsSeconds); ++i)
        if (seconds <= kDurationBucketsSeconds[i]) {
            bucket = i;
            break;
        }
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.6f", seconds);
    connection_->command({"EVAL", kFinish, "3", key(job.id), prefix_ + "stats", stream_, stateJson, failed ? "failed" : "done", duration,
                          std::to_string(bucket), group_, job.entry, std::to_string(keep.count())});
}

void RedisJobQueue::forget(const std::string& id) { connection_->command({"DEL", key(id)}); }

std::uint64_t RedisJobQueue::countAttempt(const std::string& id) {
    const Reply r = connection_->command({"HINCRBY", key(id), "attempts", "1"});
    if (r->integer > 1) connection_->command({"HINCRBY", prefix_ + "stats", "retried", "1"});
    return static_cast<std::uint64_t>(r->integer);
}

void RedisJobQueue::uncountAttempt(const std::string& id) { connection_->command({"HINCRBY", key(id), "attempts", "-1"}); }

void RedisJobQueue::setLastError(const std::string& id, const std::string& message) {
    connection_->command({"HSET", key(id), "error", message});
}

std::string RedisJobQueue::lastError(const std::string& id) { return text(connection_->command({"HGET", key(id), "error"}).get()); }

void RedisJobQueue::seen(const std::string& consumer) { connection_->command({"EVAL", kSeen, "1", prefix_ + "workers", consumer}); }

QueueFigures RedisJobQueue::figures(std::chrono::milliseconds visibility) {
    QueueFigures f;
    f.waiting = waiting();
    f.running = pending();
    const Reply stats = connection_->command({"HGETALL", prefix_ + "stats"});
    f.durationBuckets.assign(std::size(kDurationBucketsSeconds) + 1, 0);
    for (std::size_t i = 0; stats->type == REDIS_REPLY_ARRAY && i + 1 < stats->elements; i += 2) {
        const std::string name = text(stats->element[i]);
        const std::string value = text(stats->element[i + 1]);
        if (name == "done") f.done = std::stoull(value);
        if (name == "failed") f.failed = std::stoull(value);
        if (name == "retried") f.retried = std::stoull(value);
        if (name == "duration_sum") f.durationSecondsSum = std::stod(value);
        if (name.rfind("bucket_", 0) == 0) {
            const std::size_t b = std::stoul(name.substr(7));
            if (b < f.durationBuckets.size()) f.durationBuckets[b] = std::stoull(value);
        }
    }
    for (std::size_t b = 1; b < f.durationBuckets.size(); ++b) f.durationBuckets[b] += f.durationBuckets[b - 1];
    const Reply alive = connection_->command({"EVAL", kAlive, "1", prefix_ + "workers", std::to_string(visibility.count())});
    f.workers = static_cast<std::uint64_t>(alive->integer);
    return f;
}

}  // namespace bounce
