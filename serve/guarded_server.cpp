#include "guarded_server.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bounce::serve {

namespace {

using Clock = std::chrono::steady_clock;

int millisecondsUntil(Clock::time_point when) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(when - Clock::now()).count();
    return static_cast<int>(std::max<long long>(0, left));
}

bool waitFor(int sock, short events, int milliseconds) {
    pollfd p{sock, events, 0};
    for (;;) {
        const int ready = ::poll(&p, 1, milliseconds);
        if (ready < 0 && errno == EINTR) continue;
        return ready > 0 && (p.revents & (events | POLLHUP)) != 0;
    }
}

std::string addressOf(const sockaddr_storage& address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof text);
    } else if (address.ss_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text, sizeof text);
    }
    return text;
}

int portOf(const sockaddr_storage& address) {
    if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
    if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
    return 0;
}

}  // namespace

// One request's reads and writes on the connection: buffered (the library reads headers a
// byte at a time), the headers due by a deadline (counted from the request's first byte
// wait), the body's bytes each within readSeconds; writes with MSG_NOSIGNAL.
class DeadlineStream : public httplib::Stream {
public:
    DeadlineStream(GuardedServer& server, int sock, const std::string& client, int clientPort)
        : server_(server), sock_(sock), client_(client), clientPort_(clientPort) {
        bool crowded = false;
        server_.headersStarted(client_, crowded);
        const double seconds = crowded ? server_.limits_.crowdedHeaderSeconds : server_.limits_.headerSeconds;
        headerDeadline_ = Clock::now() + std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
    }
    ~DeadlineStream() override { endHeaders(); }
    DeadlineStream(const DeadlineStream&) = delete;
    DeadlineStream& operator=(const DeadlineStream&) = delete;

    bool is_readable() const override { return position_ < filled_ || waitFor(sock_, POLLIN, readWaitMs()); }
    bool is_writable() const override { return waitFor(sock_, POLLOUT, static_cast<int>(server_.limits_.readSeconds * 1000.0)); }

    ssize_t read(char* ptr, size_t size) override {
        if (position_ == filled_) {
            if (!waitFor(sock_, POLLIN, readWaitMs())) return -1;
            ssize_t got;
            do {
                got = ::recv(sock_, buffer_, sizeof buffer_, 0);
            } while (got < 0 && errno == EINTR);
            if (got <= 0) return got;
            position_ = 0;
            filled_ = static_cast<std::size_t>(got);
        }
        const std::size_t n = std::min(size, filled_ - position_);
        std::memcpy(ptr, buffer_ + position_, n);
        position_ += n;
        if (inHeaders_) watchForHeaderEnd(ptr, n);
        return static_cast<ssize_t>(n);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (!is_writable()) return -1;
        ssize_t sent;
        do {
            sent = ::send(sock_, ptr, size, MSG_NOSIGNAL);
        } while (sent < 0 && errno == EINTR);
        return sent;
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = client_;
        port = clientPort_;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
            ip = addressOf(address);
            port = portOf(address);
        }
    }
    socket_t socket() const override { return sock_; }

private:
    int readWaitMs() const {
        const int body = static_cast<int>(server_.limits_.readSeconds * 1000.0);
        return inHeaders_ ? std::min(body, millisecondsUntil(headerDeadline_)) : body;
    }
    // The headers end at the first empty line ("\r\n\r\n"; a bare "\n\n" too).
    void watchForHeaderEnd(const char* bytes, std::size_t n) {
        for (std::size_t i = 0; i < n && inHeaders_; ++i) {
            last_ = (last_ << 8) | static_cast<unsigned char>(bytes[i]);
            if ((last_ & 0xFFFFFFFFu) == 0x0D0A0D0Au || (last_ & 0xFFFFu) == 0x0A0Au) endHeaders();
        }
    }
    void endHeaders() {
        if (!inHeaders_) return;
        inHeaders_ = false;
        server_.headersEnded(client_);
    }

    GuardedServer& server_;
    int sock_;
    std::string client_;
    int clientPort_;
    Clock::time_point headerDeadline_;
    bool inHeaders_ = true;
    std::uint32_t last_ = 0;
    char buffer_[4096];
    std::size_t position_ = 0, filled_ = 0;
};

GuardedServer::GuardedServer(const ConnectionLimits& limits) : limits_(limits) {
    const auto threads = static_cast<std::size_t>(limits.threads);
    new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

bool GuardedServer::bindTo(const std::string& host, int port) {
    if (!bind_to_port(host, port)) return false;
    ::listen(svr_sock_, SOMAXCONN);  // Linux takes a second listen() as a new backlog
    return true;
}

int GuardedServer::slowConnections(const std::string& client) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = sendingHeaders_.find(client);
    return it == sendingHeaders_.end() ? 0 : it->second;
}

void GuardedServer::headersStarted(const std::string& client, bool& crowded) {
    std::lock_guard<std::mutex> lock(mutex_);
    crowded = ++sendingHeaders_[client] > limits_.slowPerClient;
}

void GuardedServer::headersEnded(const std::string& client) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--sendingHeaders_[client] <= 0) sendingHeaders_.erase(client);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    ::getpeername(sock, reinterpret_cast<sockaddr*>(&peer), &length);
    const std::string client = addressOf(peer);
    const int clientPort = portOf(peer);
    bool ok = false;
    // The first request is waited for as long as its header deadline allows (the stream
    // counts it); a later one, idleSeconds.
    for (std::size_t left = limits_.requestsPerConnection; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
        if (left < limits_.requestsPerConnection && !waitFor(sock, POLLIN, static_cast<int>(limits_.idleSeconds * 1000.0))) break;
        DeadlineStream stream(*this, sock, client, clientPort);
        bool closed = false;
        ok = process_request(stream, left == 1, closed, nullptr);
        if (!ok || closed) break;
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
}

}  // namespace bounce::serve
