// cpp-httplib's server with the connection handling a public service needs (issue 19):
// every request's headers must arrive within a deadline, a client's slow connections are
// bounded, and the pool of connection threads is large enough that slow clients cannot
// take every thread. Internal to the serve layer.
//
// cpp-httplib 0.11 reads a request's headers a byte at a time with a timeout per read: a
// client that sends one byte every few seconds holds a thread for as long as it likes, and
// eight of them held the whole default pool (no health check answered). The library lets
// a derived server take over a connection (process_and_close_socket is virtual) and
// exposes process_request, the parse-route-answer step; this class owns the rest: the
// keep-alive loop and the socket reads, with the deadline, as the library's own loop does
// (the same keep-alive count, the same close on the last request).
#pragma once

#include <httplib.h>

#include <map>
#include <mutex>
#include <string>

namespace bounce::serve {

struct ConnectionLimits {
    int threads = 128;                  // connections served at once (more wait for a thread)
    double headerSeconds = 10.0;        // a request's headers must all arrive within this
    int slowPerClient = 8;              // a client's connections still sending headers at full deadline
    double crowdedHeaderSeconds = 1.0;  // the deadline for the ones beyond
    double readSeconds = 10.0;          // the longest wait for any byte of a body
    double idleSeconds = 2.0;           // a kept-alive connection's wait for its next request
    std::size_t requestsPerConnection = 16;
};

class GuardedServer : public httplib::Server {
public:
    explicit GuardedServer(const ConnectionLimits& limits);

    // bind_to_port, then a listen backlog of SOMAXCONN: the library listens with a backlog
    // of 5, and when more connections arrive at once the kernel drops their SYNs and the
    // clients retry a second later (health checks took 1 s under load).
    bool bindTo(const std::string& host, int port);

    // Connections of one client (by address) still sending their headers, now.
    int slowConnections(const std::string& client) const;

private:
    bool process_and_close_socket(socket_t sock) override;
    friend class DeadlineStream;
    void headersStarted(const std::string& client, bool& crowded);
    void headersEnded(const std::string& client);

    ConnectionLimits limits_;
    mutable std::mutex mutex_;
    std::map<std::string, int> sendingHeaders_;
};

}  // namespace bounce::serve
