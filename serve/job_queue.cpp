#include "bounce/job_queue.h"

#include "bounce/error.h"

#include <hiredis/hiredis.h>

#include <cstring>
#include <vector>

namespace bounce {
namespace {

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// The entry [id, [field, value, ...]] of an XREADGROUP or XAUTOCLAIM reply.
std::optional<QueuedJob> entryOf(const redisReply* entry) {
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) return std::nullopt;
    QueuedJob job;
    job.entry.assign(entry->element[0]->str, entry->element[0]->len);
    const redisReply* fields = entry->element[1];
    if (!fields || fields->type != REDIS_REPLY_ARRAY) return std::nullopt;  // deleted meanwhile
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
        const std::string key(fields->element[i]->str, fields->element[i]->len);
        std::string value(fields->element[i + 1]->str, fields->element[i + 1]->len);
        if (key == "id") job.id = std::move(value);
        if (key == "payload") job.payload = std::move(value);
    }
    return job;
}

}  // namespace

struct RedisJobQueue::Connection {
    redisContext* context = nullptr;
    ~Connection() {
        if (context) redisFree(context);
    }
};

RedisJobQueue::RedisJobQueue(const std::string& url, std::string stream, std::string group)
    : connection_(std::make_unique<Connection>()), url_(url), stream_(std::move(stream)), group_(std::move(group)) {
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
    Reply made(
        static_cast<redisReply*>(redisCommand(connection_->context, "XGROUP CREATE %s %s 0 MKSTREAM", stream_.c_str(), group_.c_str())));
    if (!made) throw Error("--queue " + url_ + ": the broker went away");
    if (made->type == REDIS_REPLY_ERROR && std::strncmp(made->str, "BUSYGROUP", 9) != 0)
        throw Error("--queue " + url_ + ": " + std::string(made->str, made->len));
}

RedisJobQueue::~RedisJobQueue() = default;

namespace {

Reply command(redisContext* c, const std::string& url, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    Reply reply(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data())));
    if (!reply) throw Error("--queue " + url + ": the broker went away (" + std::string(c->errstr) + ")");
    if (reply->type == REDIS_REPLY_ERROR) throw Error("--queue " + url + ": " + args.front() + ": " + std::string(reply->str, reply->len));
    return reply;
}

}  // namespace

std::string RedisJobQueue::enqueue(const std::string& id, const std::string& payload) {
    const Reply r = command(connection_->context, url_, {"XADD", stream_, "*", "id", id, "payload", payload});
    return std::string(r->str, r->len);
}

std::optional<QueuedJob> RedisJobQueue::claim(const std::string& consumer, std::chrono::milliseconds visibility,
                                              std::chrono::milliseconds wait) {
    redisContext* c = connection_->context;
    // First a job whose worker went silent for the visibility timeout.
    const Reply stale =
        command(c, url_, {"XAUTOCLAIM", stream_, group_, consumer, std::to_string(visibility.count()), "0-0", "COUNT", "1"});
    std::optional<QueuedJob> job;
    if (stale->type == REDIS_REPLY_ARRAY && stale->elements >= 2 && stale->element[1]->type == REDIS_REPLY_ARRAY &&
        stale->element[1]->elements > 0)
        job = entryOf(stale->element[1]->element[0]);
    if (!job) {
        const Reply fresh = command(
            c, url_,
            {"XREADGROUP", "GROUP", group_, consumer, "COUNT", "1", "BLOCK", std::to_string(wait.count()), "STREAMS", stream_, ">"});
        if (fresh->type == REDIS_REPLY_ARRAY && fresh->elements > 0 && fresh->element[0]->elements >= 2 &&
            fresh->element[0]->element[1]->elements > 0)
            job = entryOf(fresh->element[0]->element[1]->element[0]);
    }
    if (!job) return std::nullopt;
    // Its delivery count (XPENDING's fourth field), for bounded retries of a poison job.
    const Reply pendingEntry = command(c, url_, {"XPENDING", stream_, group_, job->entry, job->entry, "1"});
    if (pendingEntry->type == REDIS_REPLY_ARRAY && pendingEntry->elements == 1 && pendingEntry->element[0]->elements >= 4)
        job->deliveries = static_cast<std::uint64_t>(pendingEntry->element[0]->element[3]->integer);
    return job;
}

void RedisJobQueue::heartbeat(const std::string& consumer, const QueuedJob& job) {
    command(connection_->context, url_, {"XCLAIM", stream_, group_, consumer, "0", job.entry, "JUSTID"});
}

void RedisJobQueue::acknowledge(const QueuedJob& job) {
    command(connection_->context, url_, {"XACK", stream_, group_, job.entry});
    command(connection_->context, url_, {"XDEL", stream_, job.entry});
}

std::uint64_t RedisJobQueue::waiting() {
    const Reply r = command(connection_->context, url_, {"XLEN", stream_});
    return static_cast<std::uint64_t>(r->integer);
}

std::uint64_t RedisJobQueue::pending() {
    const Reply r = command(connection_->context, url_, {"XPENDING", stream_, group_});
    return r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? static_cast<std::uint64_t>(r->element[0]->integer) : 0;
}

}  // namespace bounce
