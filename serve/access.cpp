#include "access.h"
#include "http_answer.h"

#include "bounce/atomic_output.h"
#include "bounce/error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>

namespace bounce::serve {
namespace fs = std::filesystem;

namespace {

constexpr const char* kCookie = "bounce_token";

std::string randomToken() {
    std::random_device device;  // the kernel's generator (getrandom)
    std::string token;
    for (int i = 0; i < 4; ++i) {
        char part[9];
        std::snprintf(part, sizeof part, "%08x", device());
        token += part;
    }
    return token;
}

// Compares without stopping at the first difference: the time taken does not tell an
// attacker how much of a guess was right.
bool sameSecret(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string cookieValue(const std::string& cookies, const std::string& name) {
    for (std::size_t at = 0; at < cookies.size();) {
        std::size_t end = cookies.find(';', at);
        if (end == std::string::npos) end = cookies.size();
        std::string pair = cookies.substr(at, end - at);
        pair.erase(0, pair.find_first_not_of(' '));
        if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
        at = end + 1;
    }
    return "";
}

// The host part of a Host header ("name:port", "[v6]:port").
std::string hostName(const std::string& header) {
    if (!header.empty() && header[0] == '[') return header.substr(0, header.find(']') + 1);
    return header.substr(0, header.rfind(':') == std::string::npos ? header.size() : header.rfind(':'));
}

// The addresses of this machine's interfaces: the names a server bound to every address
// may be reached by.
void addInterfaceAddresses(std::set<std::string>& hosts) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return;
    for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr) continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (a->ifa_addr->sa_family == AF_INET) {
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
            hosts.insert(text);
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, text, sizeof text);
            hosts.insert("[" + std::string(text) + "]");
        }
    }
    ::freeifaddrs(list);
}

const char* kSignInPage =
    "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Bounce</title>"
    "<body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>Bounce</h1>"
    "<p>This server needs its token. Open the address <code>bounce serve</code> printed when it started "
    "(it ends in <code>/?token=&hellip;</code>), or find the token in the data folder's <code>token</code> file.</p></body></html>";

}  // namespace

bool isLoopback(const std::string& host) { return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0; }

std::string serviceToken(const ServerSettings& settings) {
    if (!settings.token.empty()) return settings.token;
    const fs::path path = fs::path(settings.dataDir) / "token";
    std::ifstream in(path);
    std::string token;
    if (in >> token && token.size() >= 16) return token;
    fs::create_directories(settings.dataDir);
    token = randomToken();
    writeTextFile(path.string(), token + "\n");
    ::chmod(path.c_str(), 0600);
    return token;
}

AccessGuard::AccessGuard(const ServerSettings& settings, std::string token) : token_(std::move(token)) {
    hosts_ = {"127.0.0.1", "localhost", "[::1]"};
    if (settings.host == "0.0.0.0" || settings.host == "::") {
        addInterfaceAddresses(hosts_);
    } else {
        hosts_.insert(settings.host.find(':') != std::string::npos ? "[" + settings.host + "]" : settings.host);
    }
    for (const auto& name : settings.allowedHosts) hosts_.insert(name);
}

bool AccessGuard::knownHost(const std::string& hostHeader) const { return hosts_.count(hostName(hostHeader)) > 0; }

bool AccessGuard::authorized(const httplib::Request& request) const {
    const std::string header = request.get_header_value("Authorization");
    if (header.rfind("Bearer ", 0) == 0 && sameSecret(header.substr(7), token_)) return true;
    return sameSecret(cookieValue(request.get_header_value("Cookie"), kCookie), token_);
}

bool AccessGuard::intercept(const httplib::Request& request, httplib::Response& response) const {
    const std::string host = request.get_header_value("Host");
    if (!knownHost(host)) {
        sendError(response, 403, "Host '" + hostName(host) + "' is not a name of this server (bounce serve --allow-host NAME)");
        return true;
    }
    // A browser names the page a write comes from: only this server's own may write. A
    // client that is not a browser sends no Origin, and needs the token anyway.
    const bool write = request.method != "GET" && request.method != "HEAD" && request.method != "OPTIONS";
    const std::string origin = request.get_header_value("Origin");
    if (write && !origin.empty() && origin != "http://" + host && origin != "https://" + host) {
        sendError(response, 403, "cross-origin request from " + origin + " refused");
        return true;
    }
    if (request.path == "/") {
        if (request.has_param("token") && sameSecret(request.get_param_value("token"), token_)) {
            // The page signs in once: the token becomes a cookie only this site sends
            // (SameSite=Strict), scripts cannot read it (HttpOnly), and leaves the address.
            response.set_header("Set-Cookie", std::string(kCookie) + "=" + token_ + "; Path=/; HttpOnly; SameSite=Strict");
            response.set_redirect("/", 303);
            return true;
        }
        if (!authorized(request)) {
            response.status = 401;
            response.set_content(kSignInPage, "text/html; charset=utf-8");
            return true;
        }
        return false;
    }
    if (request.path == "/api/health") return false;
    if (!authorized(request)) {
        response.set_header("WWW-Authenticate", "Bearer");
        sendError(response, 401, "this server needs its token (Authorization: Bearer TOKEN; bounce serve prints it)");
        return true;
    }
    return false;
}

}  // namespace bounce::serve
