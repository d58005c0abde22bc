// Who may use the service (issue 19): a token on every API call, writes only from this
// server's own page or from non-browser clients, and only requests addressed to a name of
// this server (a web page elsewhere cannot reach a loopback server through DNS
// rebinding). Internal to the serve layer.
#pragma once

#include "bounce/server.h"

#include <httplib.h>

#include <set>
#include <string>

namespace bounce::serve {

// The token: settings.token, or the one in DATA/token (made there, 0600, on the first start).
std::string serviceToken(const ServerSettings& settings);

// True when `host` is loopback only (127.0.0.0/8, ::1, localhost).
bool isLoopback(const std::string& host);

class AccessGuard {
public:
    AccessGuard(const ServerSettings& settings, std::string token);

    // Run before routing: answers (and returns true) a request that may not go on: 403 for
    // an unknown Host or a cross-origin write, 401 for an API call without the token; the
    // page's sign-in (GET /?token=...) sets the cookie and redirects to the page.
    bool intercept(const httplib::Request& request, httplib::Response& response) const;

    // The request carries the token (header or cookie).
    bool authorized(const httplib::Request& request) const;

private:
    bool knownHost(const std::string& hostHeader) const;

    std::string token_;
    std::set<std::string> hosts_;
};

}  // namespace bounce::serve
