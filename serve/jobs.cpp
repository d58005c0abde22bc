#include "jobs.h"

#include "bounce/atomic_output.h"
#include "bounce/check.h"
#include "bounce/check_report.h"
#include "bounce/error.h"
#include "bounce/master.h"
#include "bounce/master_options.h"
#include "bounce/master_report.h"
#include "bounce/sound_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <regex>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace bounce::serve {
namespace fs = std::filesystem;

namespace {

// The options of `bounce master` a job takes, as form fields named like its flags: every
// one (masterOptionNames, the one parse the CLI uses), the files among them (reference,
// artwork) as file parts; and the output's container, `format`.
bool isOptionField(const std::string& name) {
    if (name == "format") return true;
    if (name == "reference" || name == "artwork") return false;  // file parts
    const auto& names = masterOptionNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}
bool repeatable(const std::string& name) { return name == "set"; }
constexpr int kMaxReferences = 8;

// A client's file name, kept for display and for the download's name only (it never
// becomes a path): its last component, letters, digits, space, '.', '-', '_' and '+'.
std::string displayName(const std::string& clientName, const std::string& fallback) {
    std::string name = clientName.substr(clientName.find_last_of("/\\") == std::string::npos ? 0 : clientName.find_last_of("/\\") + 1);
    std::string safe;
    for (char c : name)
        if (std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '.' || c == '-' || c == '_' || c == '+') safe += c;
    while (!safe.empty() && safe.front() == '.') safe.erase(0, 1);
    return safe.empty() ? fallback : safe.substr(0, 120);
}

constexpr std::size_t kMaxFieldBytes = 4096;
constexpr std::uint64_t kFramingBytes = 1u << 20;  // multipart boundaries and part headers
constexpr std::uint64_t kDrainBytes = 64u << 20;   // read and dropped after a refusal (UploadParts::refuse)

std::uint64_t uploadLimitBytes(const ServerSettings& settings) {
    return static_cast<std::uint64_t>(settings.maxUploadMb * 1024.0 * 1024.0);
}

std::string tooLargeMessage(const ServerSettings& settings) {
    char text[96];
    std::snprintf(text, sizeof text, "the upload is larger than the server takes (%g MB)", settings.maxUploadMb);
    return text;
}

// A figure as the status shows it: to its meaningful digits (0.1 LU, 0.01 dB), not
// -15.999999237060547.
double roundedTo(double value, double step) {
    const double perUnit = std::round(1.0 / step);  // divided, not multiplied by the step: -20.9, not -20.900000000000002
    return std::round(value * perUnit) / perUnit;
}

bool validUtf8(const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const int length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (length == 0 || i + static_cast<std::size_t>(length) > text.size()) return false;
        for (int k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) >> 6) != 0x2) return false;
        i += static_cast<std::size_t>(length);
    }
    return true;
}

// The parts of a job's upload as they arrive: the audio parts straight to files in the
// job's folder (never held in memory), the option fields in memory (each at most 4 KB),
// every byte received counted against the limit.
class UploadParts {
public:
    UploadParts(fs::path folder, std::uint64_t limitBytes, std::string tooLarge, DiskLedger& disk)
        : folder_(std::move(folder)), limitBytes_(limitBytes), tooLarge_(std::move(tooLarge)), disk_(disk) {}
    ~UploadParts() {
        closeFile();
        if (!kept_) disk_.give(charged_);
    }
    void keep() { kept_ = true; }  // the job was accepted: its bytes stay on the ledger
    UploadParts(const UploadParts&) = delete;
    UploadParts& operator=(const UploadParts&) = delete;

    bool begin(const httplib::MultipartFormData& part) {
        if (error_ || !closeFile()) return draining();
        name_ = part.name;
        if (name_ == "file" || name_ == "reference" || name_ == "artwork") return beginFile(part.filename);
        if (!repeatable(name_) && std::any_of(fields_.begin(), fields_.end(), [this](const auto& f) { return f.first == name_; }))
            return refuse({400, "the field '" + name_ + "' is given twice"});
        fields_.emplace_back(name_, std::string());
        return true;
    }

    bool append(const char* data, std::size_t length) {
        received_ += length;
        if (error_) return draining();
        if (received_ > limitBytes_) return refuse({413, tooLarge_});
        if (!disk_.take(length)) return refuse({507, "the server's disk budget for jobs is used up; try again later"});
        charged_ += length;
        if (fd_ < 0) {
            std::string& value = fields_.back().second;
            if (value.size() + length > kMaxFieldBytes) return refuse({400, "field '" + name_ + "': longer than 4 KB"});
            value.append(data, length);
            return true;
        }
        while (length > 0) {
            const ssize_t written = ::write(fd_, data, length);
            if (written < 0 && errno == EINTR) continue;
            if (written <= 0)
                return refuse({errno == ENOSPC ? 507 : 500, "could not store the upload (" + std::string(std::strerror(errno)) + ")"});
            data += written;
            length -= static_cast<std::size_t>(written);
        }
        return true;
    }

    // After the last byte: the files closed (checked), the mix present. Throws HttpError.
    void finish() {
        if (!closeFile() || error_) throw *error_;
        if (files_.empty() || files_.front().first != "input") throw HttpError{400, "the field 'file' (the mix) is missing, or not first"};
    }

    const std::optional<HttpError>& error() const noexcept { return error_; }
    const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }
    // Each stored file part ("input", "reference-1", ..., "artwork") and the name the
    // client gave it.
    const std::vector<std::pair<std::string, std::string>>& files() const noexcept { return files_; }

private:
    // A file part, stored under a name of the server's: the mix first, then up to eight
    // references, one artwork.
    bool beginFile(const std::string& clientName) {
        std::string stored = name_ == "file" ? "input" : name_;
        const auto count = std::count_if(files_.begin(), files_.end(),
                                         [this](const auto& f) { return f.first.rfind(name_ == "file" ? "input" : name_, 0) == 0; });
        if (name_ == "reference") {
            if (count >= kMaxReferences) return refuse({400, "at most " + std::to_string(kMaxReferences) + " references"});
            stored = "reference-" + std::to_string(count + 1);
        } else if (count > 0) {
            return refuse({400, "the field '" + name_ + "' is given twice"});
        }
        fd_ = ::open((folder_ / stored).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd_ < 0) return refuse({500, "could not store the upload"});
        files_.emplace_back(stored, clientName);
        return true;
    }

    // After a refusal the rest of the body is read and dropped, up to kDrainBytes more, so
    // that a client that sends it all before it reads (most do, without Expect:
    // 100-continue) gets the answer rather than a broken connection.
    bool refuse(HttpError error) {
        if (!error_) {
            error_ = std::move(error);
            drainUntil_ = received_ + kDrainBytes;
            closeFile();
        }
        return draining();
    }
    bool draining() const noexcept { return received_ <= drainUntil_; }
    bool closeFile() {
        if (fd_ < 0) return true;
        const int fd = fd_;
        fd_ = -1;
        return ::close(fd) == 0 || refuse({500, "could not store the upload"});
    }

    fs::path folder_;
    std::uint64_t limitBytes_;
    std::string tooLarge_;
    std::uint64_t received_ = 0;
    std::uint64_t drainUntil_ = 0;
    DiskLedger& disk_;
    std::uint64_t charged_ = 0;
    bool kept_ = false;
    std::string name_;
    int fd_ = -1;
    std::vector<std::pair<std::string, std::string>> files_;
    std::vector<std::pair<std::string, std::string>> fields_;
    std::optional<HttpError> error_;
};

// The bytes of the files under `folder`. Files may come and go while it reads (a shared
// store: other nodes expire jobs, workers rename their results into place): one that is gone
// counts nothing, and a job's folder that goes stops only its own count.
std::uint64_t folderBytes(const fs::path& folder) {
    std::uint64_t bytes = 0;
    const auto add = [&bytes](const fs::directory_entry& entry) {
        std::error_code gone;
        if (!entry.is_regular_file(gone)) return;
        const std::uintmax_t size = entry.file_size(gone);
        if (!gone) bytes += size;
    };
    std::error_code ec;
    for (auto top = fs::directory_iterator(folder, ec); !ec && top != fs::directory_iterator(); top.increment(ec)) {
        std::error_code inner;
        if (!top->is_directory(inner)) {
            add(*top);
            continue;
        }
        for (auto it = fs::recursive_directory_iterator(top->path(), inner); !inner && it != fs::recursive_directory_iterator();
             it.increment(inner))
            add(*it);
    }
    return bytes;
}

Json readJsonFile(const fs::path& path) {
    std::ifstream in(path);
    return Json::parse(in);
}

// A job's folder that goes unless the job was accepted.
class PendingFolder {
public:
    explicit PendingFolder(fs::path path) : path_(std::move(path)) {
        if (::mkdir(path_.c_str(), 0700) != 0) throw HttpError{500, "could not create the job's folder"};
    }
    ~PendingFolder() {
        if (kept_) return;
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    PendingFolder(const PendingFolder&) = delete;
    PendingFolder& operator=(const PendingFolder&) = delete;
    void keep() { kept_ = true; }

private:
    fs::path path_;
    bool kept_ = false;
};

}  // namespace

void drainBody(const httplib::Request& request, const httplib::ContentReader& content) {
    std::uint64_t dropped = 0;
    const auto drop = [&dropped](const char*, std::size_t length) { return (dropped += length) <= kDrainBytes; };
    if (request.is_multipart_form_data()) {
        content([](const httplib::MultipartFormData&) { return true; }, drop);
    } else {
        content(drop);
    }
}

Json validatedOptions(const std::vector<std::pair<std::string, std::string>>& fields) {
    Json options = Json::array();
    MasterSettings scratch;
    for (const auto& [name, value] : fields) {
        if (!validUtf8(name)) throw HttpError{400, "a field name is not UTF-8 text"};
        if (name == "reference" || name == "artwork") throw HttpError{400, "field '" + name + "': send it as a file"};
        if (!isOptionField(name))
            throw HttpError{400, "unknown field '" + name + "' (the options of bounce master: target, lufs, ceiling, style, ...)"};
        if (!validUtf8(value)) throw HttpError{400, "field '" + name + "': not UTF-8 text"};
        if (name == "format") {
            const auto& formats = outputFormatChoices();
            if (std::find(formats.begin(), formats.end(), value) == formats.end())
                throw HttpError{400, "field 'format' must be wav, aiff, flac, alac, mp3, aac, opus, ogg or w64"};
        } else {
            try {
                applyMasterOption(scratch, name, value);
            } catch (const ConfigError& e) {
                throw HttpError{400, "field '" + name + "': " + e.what()};
            }
        }
        options.push_back({name, value});
    }
    return options;
}

// `fields` as validatedOptions returns them ([name, value] pairs); a job stored by an
// earlier version holds an object instead (and numbers for the numeric fields).
MasterSettings settingsFromOptions(const Json& fields) {
    MasterSettings s;
    const auto apply = [&s](const std::string& name, const Json& value) {
        if (name == "format" || name == "reference") return;  // the output's container; the stored reference
        applyMasterOption(s, name, value.is_string() ? value.get<std::string>() : value.dump());
    };
    if (fields.is_array()) {
        for (const auto& pair : fields) apply(pair.at(0).get<std::string>(), pair.at(1));
    } else {
        for (const auto& [name, value] : fields.items()) apply(name, value);
    }
    return s;
}

JobService::JobService(const ServerSettings& settings)
    : settings_(settings),
      root_(fs::path(settings.dataDir) / "jobs"),
      disk_(static_cast<std::uint64_t>(settings.diskBudgetMb * 1024.0 * 1024.0)) {
    fs::create_directories(root_);
    finished_.durationBuckets.assign(std::size(kDurationBucketsSeconds) + 1, 0);
    if (!settings.queueUrl.empty()) {
        // Distributed: the broker holds the queue and the states, the workers run the jobs;
        // a restart of this node has nothing to recover.
        broker_ = std::make_unique<RedisJobQueue>(settings.queueUrl);
        disk_.add(folderBytes(root_));
        janitor_ = std::thread([this] { janitor(); });
        return;
    }
    // A restart: finished jobs stay, queued ones run again, and so do the ones that were
    // running, once: a job that was running at two stops in a row is taken to be what
    // stops the server, and failed.
    std::vector<std::string> requeue;
    for (const auto& entry : fs::directory_iterator(root_)) {
        const std::string id = entry.path().filename().string();
        if (!validId(id)) continue;
        if (!fs::exists(entry.path() / "state.json")) {
            // An upload the server stopped during (an interrupt ends the process before the
            // folder's guard runs): never accepted, so nothing is lost by removing it.
            std::error_code ignored;
            fs::remove_all(entry.path(), ignored);
            continue;
        }
        const std::string state = readState(id).value("state", "");
        if (state == "running" && fs::exists(entry.path() / "restarted")) {
            recordFailure(id, "the server stopped twice while this job ran; submit it again");
        } else if (state == "running") {
            writeTextFile((entry.path() / "restarted").string(), "1\n");
            writeState(id, {{"state", "queued"}, {"progress", 0}});
            requeue.push_back(id);
        } else if (state == "queued") {
            requeue.push_back(id);
        }
    }
    disk_.add(folderBytes(root_));
    std::sort(requeue.begin(), requeue.end());
    for (const auto& id : requeue) queue_.push_back(id);
    const int workers = settings.jobs > 0 ? settings.jobs : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
    janitor_ = std::thread([this] { janitor(); });
}

template <typename Call>
auto JobService::withBroker(const Call& call) const {
    std::lock_guard<std::mutex> lock(brokerMutex_);
    try {
        return call(*broker_);
    } catch (const Error&) {  // the broker's address is not the client's business
        throw HttpError{503, "the job queue cannot be reached; try again later", 5};
    }
}

QueueFigures JobService::figures() const {
    if (broker_) {
        // A worker is counted when it claimed within a minute (it asks every second when idle).
        return withBroker([](RedisJobQueue& q) { return q.figures(std::chrono::seconds(60)); });
    }
    QueueFigures f;
    {
        std::lock_guard<std::mutex> lock(figuresMutex_);
        f = finished_;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    f.running = running_.size();
    f.waiting = queue_.size() + running_.size();
    f.workers = workers_.size();
    return f;
}

JobService::~JobService() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    janitorWake_.notify_all();
    for (auto& w : workers_) w.join();
    janitor_.join();
}

bool JobService::validId(const std::string& id) {
    static const std::regex pattern("[0-9a-f]{16}");
    return std::regex_match(id, pattern);
}

bool JobService::exists(const std::string& id) const {
    if (!validId(id)) return false;
    if (broker_) return withBroker([&id](RedisJobQueue& q) { return q.state(id).has_value(); });
    std::error_code ignored;
    return fs::exists(root_ / id / "state.json", ignored);
}

Json JobService::readState(const std::string& id) const {
    if (broker_) {
        const auto state = withBroker([&id](RedisJobQueue& q) { return q.state(id); });
        Json parsed = Json::parse(state.value_or("{}"), nullptr, false);
        return parsed.is_discarded() || !state ? Json{{"state", "unknown"}} : parsed;
    }
    std::lock_guard<std::mutex> lock(stateMutex_);
    std::ifstream in(root_ / id / "state.json");
    Json state = Json::parse(in, nullptr, false);
    return state.is_discarded() ? Json{{"state", "failed"}, {"error", "its state file is unreadable"}} : state;
}

void JobService::writeState(const std::string& id, const Json& state) const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    writeTextFile((root_ / id / "state.json").string(), state.dump() + "\n");
}

// A failure is recorded if it can be: the job's folder may be gone (removed from outside
// while it ran), and that must not take the server down with it.
void JobService::recordFailure(const std::string& id, const std::string& message) const {
    try {
        writeState(id, {{"state", "failed"}, {"progress", 100}, {"error", oneLine(message)}});
    } catch (const std::exception& e) {
        std::cerr << "bounce serve: job " << id << ": " << oneLine(message) << " (and its state could not be written: " << e.what() << ")"
                  << std::endl;
    }
}

std::string JobService::create(const httplib::Request& request, const httplib::ContentReader& content) {
    const std::string encoding = request.get_header_value("Content-Encoding");
    if (!encoding.empty() && encoding != "identity")
        throw HttpError{415, "Content-Encoding '" + oneLine(encoding) + "' is not accepted: send the files as they are"};
    if (!request.is_multipart_form_data()) throw HttpError{400, "send the job as multipart/form-data with the mix in a field named 'file'"};
    checkDeclaredSize(request);
    try {
        checkRoom(declaredLength(request));
    } catch (const HttpError&) {
        drainBody(request, content);
        throw;
    }
    const std::string id = newId();
    PendingFolder folder(root_ / id);
    // Uploads are stored under generated names only: a client's file name never reaches
    // the file system.
    UploadParts parts(root_ / id, uploadLimitBytes(settings_), tooLargeMessage(settings_), disk_);
    const bool received = content([&parts](const httplib::MultipartFormData& part) { return parts.begin(part); },
                                  [&parts](const char* data, std::size_t length) { return parts.append(data, length); });
    if (parts.error()) throw *parts.error();
    if (!received) throw HttpError{400, "the upload ended before it was complete"};
    parts.finish();
    Json options = {{"fields", validatedOptions(parts.fields())}, {"files", Json::object()}};
    for (const auto& [stored, clientName] : parts.files()) {
        if (stored != "artwork") checkAudio(root_ / id / stored, stored == "input" ? "file" : "reference");
        options["files"][stored] = displayName(clientName, stored == "input" ? "mix" : stored);
    }
    writeTextFile((root_ / id / "options.json").string(), options.dump() + "\n");
    if (broker_) {
        // The store holds the files before the broker holds the job: a worker never finds
        // a job without its input.
        syncToDisk((root_ / id).string());
        withBroker([&id](RedisJobQueue& q) { return q.enqueue(id, Json{{"kind", "service"}, {"id", id}}.dump()); });
        folder.keep();
        parts.keep();
        return id;
    }
    writeState(id, {{"state", "queued"}, {"progress", 0}});
    folder.keep();
    parts.keep();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(id);
    }
    wake_.notify_one();
    return id;
}

// A body that declares its length is judged before a byte of it is read (the multipart
// framing may add up to kFramingBytes); one sent in chunks is counted as it arrives.
// A body a little over the limit is still read (and dropped, see UploadParts::refuse) so
// that the client gets the answer; a larger one is refused unread.
void JobService::checkDeclaredSize(const httplib::Request& request) const {
    if (declaredLength(request) > uploadLimitBytes(settings_) + kFramingBytes + kDrainBytes)
        throw HttpError{413, tooLargeMessage(settings_)};
}

int JobService::admit(const httplib::Request& request, httplib::Response& response) const {
    if (request.method != "POST" || request.path != "/api/jobs") return 100;
    const std::uint64_t declared = declaredLength(request);
    try {
        if (declared > uploadLimitBytes(settings_) + kFramingBytes) throw HttpError{413, tooLargeMessage(settings_)};
        checkRoom(declared);
        return 100;
    } catch (const HttpError& e) {
        sendError(response, e.status, e.message, e.retryAfterSeconds);
        return e.status;
    }
}

Json JobService::list() const {
    std::vector<std::pair<fs::file_time_type, std::string>> found;
    std::error_code ec;
    for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string id = it->path().filename().string();
        std::error_code timeError;
        const auto created = fs::last_write_time(it->path() / "options.json", timeError);
        if (validId(id) && !timeError) found.emplace_back(created, id);
    }
    std::sort(found.begin(), found.end());
    Json jobs = Json::array();
    for (const auto& [created, id] : found) {
        Json entry = readState(id);
        entry["id"] = id;
        jobs.push_back(entry);
    }
    return {{"jobs", jobs}};
}

int JobService::remove(const std::string& id) {
    if (broker_) {
        if (readState(id).value("state", "") == "running") return 409;
        withBroker([&id](RedisJobQueue& q) {
            q.forget(id);  // a worker that is handed it later finds no state and drops it
            return 0;
        });
        deleteFolder(id);
        return 204;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (running_.count(id)) return 409;
        queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
    }
    deleteFolder(id);
    return 204;
}

void JobService::deleteFolder(const std::string& id) {
    disk_.give(folderBytes(root_ / id));
    std::error_code ignored;
    fs::remove_all(root_ / id, ignored);
}

// A finished job's age is its state file's: written last when it finished.
int JobService::expire() {
    const auto keep = std::chrono::duration_cast<fs::file_time_type::duration>(std::chrono::duration<double>(settings_.keepHours * 3600.0));
    const auto now = fs::file_time_type::clock::now();
    int expired = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string id = it->path().filename().string();
        if (!validId(id)) continue;
        const auto written = fs::last_write_time(it->path() / "state.json", ec);
        if (ec || now - written < keep) {
            ec.clear();
            continue;
        }
        std::string state;
        try {
            state = readState(id).value("state", "");
        } catch (const HttpError&) {
            return expired;  // the broker is away: nothing is judged finished
        }
        if (state != "done" && state != "failed") continue;
        std::lock_guard<std::mutex> lock(mutex_);
        if (running_.count(id)) continue;
        if (broker_)
            withBroker([&id](RedisJobQueue& q) {
                q.forget(id);
                return 0;
            });
        deleteFolder(id);
        ++expired;
    }
    return expired;
}

// Expires finished jobs every minute (or a quarter of --keep-hours, if that is shorter);
// with a broker, also measures the store again for the disk budget (--store-scan-seconds).
void JobService::janitor() {
    const double expireEvery = std::min(60.0, settings_.keepHours * 3600.0 / 4.0);
    const double wakeEvery = broker_ ? std::min(expireEvery, settings_.storeScanSeconds) : expireEvery;
    auto nextExpiry = std::chrono::steady_clock::now() + std::chrono::duration<double>(expireEvery);
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        janitorWake_.wait_for(lock, std::chrono::duration<double>(wakeEvery), [this] { return stopping_; });
        if (stopping_) return;
        lock.unlock();
        if (broker_) {
            const std::uint64_t before = disk_.used();
            disk_.rebase(before, folderBytes(root_));
        }
        if (std::chrono::steady_clock::now() >= nextExpiry) {
            nextExpiry = std::chrono::steady_clock::now() + std::chrono::duration<double>(expireEvery);
            try {
                expire();
            } catch (const std::exception& e) {
                std::cerr << "bounce serve: expiring finished jobs: " << e.what() << std::endl;
            }
        }
        lock.lock();
    }
}

// Room for a job: a place in the queue (429 with Retry-After, the wait the queue ahead
// suggests) and its declared bytes within the disk budget (507).
void JobService::checkRoom(std::uint64_t declaredBytes) const {
    std::size_t queued = 0;
    double workers = static_cast<double>(workers_.size());
    if (broker_) {
        const QueueFigures f = figures();
        queued = static_cast<std::size_t>(f.waiting - std::min(f.waiting, f.running));
        workers = static_cast<double>(std::max<std::uint64_t>(1, f.workers));
    } else {
        std::lock_guard<std::mutex> lock(mutex_);
        queued = queue_.size();
    }
    if (queued >= static_cast<std::size_t>(settings_.maxQueued)) {
        const double wait = lastJobSeconds_.load() * static_cast<double>(queued) / workers;
        throw HttpError{429, "the queue is full (" + std::to_string(queued) + " jobs waiting); try again later",
                        static_cast<int>(std::clamp(wait, 5.0, 3600.0))};
    }
    if (disk_.used() + declaredBytes > disk_.budget())
        throw HttpError{507, "the server's disk budget for jobs is used up; try again later"};
}

void JobService::checkAudio(const fs::path& path, const std::string& field) const {
    try {
        SoundFileReader reader(path.string());
        const SoundFileInfo info = reader.info();
        if (info.channels > 2)
            throw HttpError{415, "field '" + field + "': " + std::to_string(info.channels) + " channels; mastering takes mono or stereo"};
        if (info.frames <= 0) throw HttpError{415, "field '" + field + "': the file holds no audio"};
        if (static_cast<double>(info.frames) / info.sampleRate > settings_.maxDurationMinutes * 60.0)
            throw HttpError{
                413, "field '" + field + "': longer than " + std::to_string(static_cast<int>(settings_.maxDurationMinutes)) + " minutes"};
    } catch (const Error&) {
        throw HttpError{415, "field '" + field + "' is not audio Bounce can read (WAV, FLAC, AIFF, Ogg, Opus, MP3)"};
    }
}

std::string JobService::newId() const {
    static std::atomic<unsigned> counter{0};
    std::random_device device;
    std::mt19937_64 rng((static_cast<std::uint64_t>(device()) << 32) ^ device() ^ (counter++ * 0x9E3779B97F4A7C15ull));
    for (;;) {
        char text[17];
        std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(rng()));
        if (!fs::exists(root_ / text)) return text;
    }
}

void JobService::work() {
    // Mastering is batch work: at a lower priority (nice 10, this thread only), the
    // threads that answer requests get the processor first, so the service keeps answering
    // while every core masters.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
    for (;;) {
        std::string id;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            id = queue_.front();
            queue_.pop_front();
            running_.insert(id);
        }
        run(id);
        std::lock_guard<std::mutex> lock(mutex_);
        running_.erase(id);
    }
}

void JobService::run(const std::string& id) {
    const fs::path dir = root_ / id;
    const auto started = std::chrono::steady_clock::now();
    const std::uint64_t before = folderBytes(dir);
    runJob(id);
    const std::uint64_t after = folderBytes(dir);
    disk_.add(after - std::min(before, after));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    lastJobSeconds_.store(seconds);
    const bool failed = readState(id).value("state", "") == "failed";
    std::lock_guard<std::mutex> lock(figuresMutex_);
    ++(failed ? finished_.failed : finished_.done);
    finished_.durationSecondsSum += seconds;
    for (std::size_t b = 0; b < finished_.durationBuckets.size(); ++b)  // cumulative, as Prometheus's `le`
        if (b == std::size(kDurationBucketsSeconds) || seconds <= kDurationBucketsSeconds[b]) ++finished_.durationBuckets[b];
}

namespace {

// What a stored job asks for: its settings, the container, and the names the client gave
// its files (for the reports and the download, never for paths).
struct JobRequest {
    MasterSettings settings;
    std::string format = "wav";
    std::string mixName = "mix";
    std::map<std::string, std::string> fileNames;  // stored name -> the client's
};

JobRequest readJobRequest(const fs::path& dir) {
    std::ifstream in(dir / "options.json");
    const Json options = Json::parse(in);
    JobRequest job;
    if (!options.contains("fields")) {  // stored by an earlier version: the fields as an object
        job.settings = settingsFromOptions(options);
        job.format = options.value("format", std::string("wav"));
        if (options.value("reference", false)) job.settings.references = {(dir / "reference").string()};
        return job;
    }
    job.settings = settingsFromOptions(options["fields"]);
    for (const auto& pair : options["fields"])
        if (pair.at(0) == "format") job.format = pair.at(1).get<std::string>();
    for (const auto& [stored, clientName] : options["files"].items()) {
        job.fileNames[stored] = clientName.get<std::string>();
        if (stored.rfind("reference-", 0) == 0) job.settings.references.push_back((dir / stored).string());
        if (stored == "artwork") applyMasterOption(job.settings, "artwork", (dir / stored).string());
    }
    if (job.fileNames.count("input")) job.mixName = job.fileNames["input"];
    return job;
}

// The master's file name in the job's folder ("master.m4a" for aac and alac).
std::string masterName(const JobRequest& job) { return "master" + extensionFor(outputFormatNamed(job.format)); }

std::string downloadName(const JobRequest& job) { return fs::path(job.mixName).stem().string() + "." + masterName(job); }

// The reports name the files as the client knows them: the server's paths stay its own.
void useClientNames(MasterResult& result, CheckResult* checked, const JobRequest& job) {
    result.input.path = job.mixName;
    result.output.path = downloadName(job);
    for (auto& reference : result.references) {
        const auto it = job.fileNames.find(fs::path(reference.path).filename().string());
        reference.path = it != job.fileNames.end() ? it->second : fs::path(reference.path).filename().string();
    }
    if (!checked) return;
    checked->analysis.path = downloadName(job);
    for (auto& system : checked->systems)
        if (!system.previewPath.empty()) system.previewPath = "preview/" + system.name;
}

// The master's two pages, titled by the client's names (nothing of this server's folders):
// report.html, the mix and the master side by side (bounce master --report), and check.html,
// the master as bounce check sees it, with its playback-system previews.
template <typename Show>
void writeReportPages(const fs::path& run, const fs::path& dir, const std::string& master, const JobRequest& job, MasterResult& result,
                      const Show& show) {
    show(90);
    CheckSettings check;
    check.codecs = false;
    check.previewDir = (run / "previews").string();
    // The verdict against the job's target, unless its loudness or ceiling was overridden.
    if (!job.settings.lufs && !job.settings.ceilingDbtp) check.target = job.settings.target;
    CheckResult checked = checkFile(master, check);
    show(95);
    CheckSettings view;
    view.playbackSystems = false;
    view.codecs = false;
    CheckResult before = checkFile((dir / "input").string(), view);
    useClientNames(result, &checked, job);
    before.analysis.path = job.mixName;
    CheckHtmlOptions checkPage;
    checkPage.title = downloadName(job);
    checkPage.subject = "master";
    checkPage.target = job.settings.target;
    writeTextFile((run / "check.html").string(), checkToHtml(checked, checkPage));
    MasterHtmlOptions masterPage;
    masterPage.title = job.mixName;
    writeTextFile((run / "report.html").string(), masterToHtml(result, before, checked, masterVerdict(result, job.settings), masterPage));
}

}  // namespace

// Prometheus's text exposition format (version 0.0.4): HELP and TYPE, then the samples.
std::string prometheusText(const QueueFigures& f) {
    std::string out;
    const auto metric = [&out](const char* name, const char* type, const char* help) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    const auto sample = [&out](const std::string& name, double value) {
        char number[40];
        std::snprintf(number, sizeof number, "%.10g", value);
        out += name + " " + number + "\n";
    };
    metric("bounce_jobs_waiting", "gauge", "Jobs accepted and not yet finished (running ones included).");
    sample("bounce_jobs_waiting", static_cast<double>(f.waiting));
    metric("bounce_jobs_running", "gauge", "Jobs a worker is on.");
    sample("bounce_jobs_running", static_cast<double>(f.running));
    metric("bounce_jobs_queued", "gauge", "Jobs waiting for a worker.");
    sample("bounce_jobs_queued", static_cast<double>(f.waiting - std::min(f.waiting, f.running)));
    metric("bounce_jobs_finished_total", "counter", "Jobs finished, by result.");
    sample("bounce_jobs_finished_total{result=\"done\"}", static_cast<double>(f.done));
    sample("bounce_jobs_finished_total{result=\"failed\"}", static_cast<double>(f.failed));
    metric("bounce_job_retries_total", "counter", "Tries after the first (a crash, or a worker that died).");
    sample("bounce_job_retries_total", static_cast<double>(f.retried));
    metric("bounce_workers", "gauge", "Workers alive (they asked for a job within the last minute).");
    sample("bounce_workers", static_cast<double>(f.workers));
    metric("bounce_job_duration_seconds", "histogram", "Wall time of a finished job.");
    std::uint64_t count = 0;
    for (std::size_t b = 0; b < f.durationBuckets.size(); ++b) {
        char bound[32];
        if (b < std::size(kDurationBucketsSeconds)) {
            std::snprintf(bound, sizeof bound, "%g", kDurationBucketsSeconds[b]);
        } else {
            std::snprintf(bound, sizeof bound, "+Inf");
        }
        sample(std::string("bounce_job_duration_seconds_bucket{le=\"") + bound + "\"}", static_cast<double>(f.durationBuckets[b]));
        count = f.durationBuckets[b];
    }
    sample("bounce_job_duration_seconds_sum", f.durationSecondsSum);
    sample("bounce_job_duration_seconds_count", static_cast<double>(count));
    return out;
}

fs::path resultFolder(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir / "result", ec) ? dir / "result" : dir;  // a job finished by an earlier version: its results in dir
}

Json runServiceJob(const fs::path& dir, const std::function<void(int)>& progress) {
    std::error_code ec;
    if (fs::exists(dir / "result" / "state.json", ec)) return readJsonFile(dir / "result" / "state.json");  // committed by an earlier try
    // This try's results go to a folder of its own, committed by one rename.
    std::random_device device;
    char name[48];
    std::snprintf(name, sizeof name, ".run-%d-%08x", static_cast<int>(::getpid()), device());
    const fs::path run = dir / name;
    fs::create_directories(run);
    struct RunFolder {
        fs::path path;
        ~RunFolder() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    } cleanup{run};

    JobRequest job = readJobRequest(dir);
    const std::string master = (run / masterName(job)).string();
    job.settings.format = job.format;
    // Progress: mastering is the first 90 %, bounce check on the master the rest.
    int shown = 0;
    const auto show = [&](int value) {
        if (value <= shown) return;
        shown = value;
        progress(value);
    };
    job.settings.onProgress = [&](double fraction) { show(static_cast<int>(90.0 * fraction)); };
    MasterResult result = masterFile((dir / "input").string(), master, job.settings);
    Json done = {{"state", "done"}, {"progress", 100}};
    if (!job.settings.dryRun) {
        writeReportPages(run, dir, master, job, result, show);
        done["master"] = masterName(job);
        done["download"] = downloadName(job);
    } else {
        useClientNames(result, nullptr, job);
    }
    writeTextFile((run / "report.json").string(), masterToJson(result, job.settings).dump(2) + "\n");
    done["integrated_lufs"] = roundedTo(result.output.integratedLufs.value_or(-99.0), 0.1);
    done["true_peak_dbtp"] = roundedTo(result.output.truePeakDbtp.value_or(-99.0), 0.01);
    writeTextFile((run / "state.json").string(), done.dump() + "\n");
    syncToDisk(run.string());
    // The commit: the first try to rename its folder to `result` wins (rename onto a folder
    // that is there and not empty fails); a later one's result is dropped, and the first's
    // state answered, so that a job run twice is committed once.
    if (::rename(run.c_str(), (dir / "result").c_str()) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) throw Error(dir.string() + ": cannot commit the result (" + std::strerror(errno) + ")");
        return readJsonFile(dir / "result" / "state.json");
    }
    syncToDisk(dir.string(), false);
    // What a try that died left behind.
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        if (it->path().filename().string().rfind(".run-", 0) == 0) fs::remove_all(it->path(), ec);
    return done;
}

void JobService::runJob(const std::string& id) {
    try {
        writeState(id, {{"state", "running"}, {"progress", 0}});
        writeState(id, runServiceJob(root_ / id, [&](int progress) { writeState(id, {{"state", "running"}, {"progress", progress}}); }));
    } catch (const std::exception& e) {
        recordFailure(id, e.what());
    } catch (...) {
        recordFailure(id, "internal error");
    }
}

}  // namespace bounce::serve

namespace bounce {

void checkJobFields(const std::map<std::string, std::string>& fields) {
    try {
        serve::settingsFromOptions(serve::validatedOptions({fields.begin(), fields.end()}));
    } catch (const serve::HttpError& e) {
        throw ConfigError(e.message);
    }
}

}  // namespace bounce
