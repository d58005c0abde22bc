#include "bounce/standard_streams.h"

#include "bounce/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>
#include <utility>
#include <vector>

namespace bounce {
namespace {

// Scratch paths and the names they stand for, for messages (a few per run).
std::mutex gNamesLock;
std::vector<std::pair<std::string, std::string>> gNames;

void nameScratch(const std::string& path, const std::string& name) {
    const std::lock_guard<std::mutex> lock(gNamesLock);
    gNames.emplace_back(path, name);
}

// Copies everything from one descriptor to another, in blocks; false on an error.
bool copyAll(int from, int to) {
    std::vector<char> block(1 << 16);
    for (;;) {
        const ssize_t got = ::read(from, block.data(), block.size());
        if (got == 0) return true;
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        for (ssize_t done = 0; done < got;) {
            const ssize_t put = ::write(to, block.data() + done, static_cast<std::size_t>(got - done));
            if (put < 0 && errno == EINTR) continue;
            if (put <= 0) return false;
            done += put;
        }
    }
}

}  // namespace

std::string StandardStreams::input(const std::string& path) {
    if (path != kStandardStream) return path;
    if (!input_.empty()) return input_;
    if (::isatty(0)) throw ConfigError("-: standard input is a terminal; pipe a sound file in (cat mix.wav | bounce ... -)");
    if (folder_.path().empty()) throw Error("standard input: cannot make a scratch folder to hold it");
    input_ = folder_.path() + "/standard-input";
    nameScratch(input_, "standard input");
    const int fd = ::open(input_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw Error("standard input: cannot hold it in " + folder_.path() + " (" + std::strerror(errno) + ")");
    const bool copied = copyAll(0, fd);
    const bool closed = ::close(fd) == 0;
    if (!copied || !closed) throw Error(std::string("standard input: cannot read it (") + std::strerror(errno) + ")");
    return input_;
}

std::string StandardStreams::output(const std::string& path, const std::string& extension) {
    if (path != kStandardStream) return path;
    if (::isatty(1)) throw ConfigError("-o -: standard output is a terminal; send it to a file or a pipe (... > master.flac)");
    if (folder_.path().empty()) throw Error("standard output: cannot make a scratch folder for it");
    output_ = folder_.path() + "/standard-output" + extension;
    nameScratch(output_, "standard output");
    return output_;
}

void StandardStreams::sendOutput() {
    if (output_.empty()) return;
    const int fd = ::open(output_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw Error("standard output: the finished file is gone (" + std::string(std::strerror(errno)) + ")");
    const bool copied = copyAll(fd, 1);
    ::close(fd);
    if (!copied) throw Error(std::string("standard output: cannot write to it (") + std::strerror(errno) + ")");
}

std::string withStandardStreamNames(std::string message) {
    const std::lock_guard<std::mutex> lock(gNamesLock);
    for (const auto& [path, name] : gNames)
        for (std::size_t at; (at = message.find(path)) != std::string::npos;) message.replace(at, path.size(), name);
    return message;
}

}  // namespace bounce
