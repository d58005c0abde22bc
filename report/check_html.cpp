// The `bounce check --report` page: one self-contained HTML file, charts drawn here as
// inline SVG (no script, no network, nothing to load), from the same CheckResult as the
// JSON report, so the two cannot disagree.
#include "bounce/check_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bounce {
namespace {

constexpr double kWidth = 800, kHeight = 260, kLeft = 56, kRight = 16, kTop = 16, kBottom = 34;

std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string number(double v, int decimals = 1) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

// A plot area: maps data to SVG coordinates.
struct Axes {
    double xMin, xMax, yMin, yMax;
    bool logX = false;
    double x(double v) const {
        const double t = logX ? std::log(v / xMin) / std::log(xMax / xMin) : (v - xMin) / (xMax - xMin);
        return kLeft + std::clamp(t, 0.0, 1.0) * (kWidth - kLeft - kRight);
    }
    double y(double v) const {
        const double t = (v - yMin) / (yMax - yMin);
        return kTop + (1.0 - std::clamp(t, 0.0, 1.0)) * (kHeight - kTop - kBottom);
    }
};

struct Series {
    std::string name, color;
    std::vector<std::pair<double, double>> points;
    double width = 1.5;
    bool dashed = false;
};

std::string frame(const Axes& a, const std::vector<double>& xTicks, const std::vector<double>& yTicks, const std::string& xUnit,
                  const std::string& yUnit) {
    std::string svg;
    for (double t : yTicks) {
        svg += "<line class=\"grid\" x1=\"" + number(kLeft) + "\" x2=\"" + number(kWidth - kRight) + "\" y1=\"" + number(a.y(t)) +
               "\" y2=\"" + number(a.y(t)) + "\"/>";
        svg += "<text class=\"tick\" x=\"" + number(kLeft - 6) + "\" y=\"" + number(a.y(t) + 4) + "\" text-anchor=\"end\">" + number(t, 0) +
               "</text>";
    }
    for (double t : xTicks) {
        svg += "<line class=\"grid\" y1=\"" + number(kTop) + "\" y2=\"" + number(kHeight - kBottom) + "\" x1=\"" + number(a.x(t)) +
               "\" x2=\"" + number(a.x(t)) + "\"/>";
        const std::string label = t >= 1000 && a.logX ? number(t / 1000.0, t >= 10000 ? 0 : 1) + "k" : number(t, 0);
        svg += "<text class=\"tick\" x=\"" + number(a.x(t)) + "\" y=\"" + number(kHeight - kBottom + 16) + "\" text-anchor=\"middle\">" +
               label + "</text>";
    }
    svg += "<text class=\"unit\" x=\"" + number(kWidth - kRight) + "\" y=\"" + number(kHeight - 4) + "\" text-anchor=\"end\">" +
           escaped(xUnit) + "</text>";
    svg += "<text class=\"unit\" x=\"4\" y=\"" + number(kTop - 4) + "\">" + escaped(yUnit) + "</text>";
    return svg;
}

std::string polylines(const Axes& a, const std::vector<Series>& series) {
    std::string svg;
    double legendX = kLeft + 8;
    for (const auto& s : series) {
        std::string points;
        for (const auto& [x, y] : s.points) points += number(a.x(x)) + "," + number(a.y(y)) + " ";
        svg += "<polyline class=\"series\" data-name=\"" + escaped(s.name) + "\" data-points=\"" + std::to_string(s.points.size()) +
               "\" fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"" + number(s.width) + "\"" +
               (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"" + points + "\"/>";
        svg += "<rect x=\"" + number(legendX) + "\" y=\"" + number(kTop + 4) + "\" width=\"10\" height=\"3\" fill=\"" + s.color + "\"/>";
        svg += "<text class=\"legend\" x=\"" + number(legendX + 14) + "\" y=\"" + number(kTop + 9) + "\">" + escaped(s.name) + "</text>";
        legendX += 24 + 6.5 * static_cast<double>(s.name.size());
    }
    return svg;
}

std::string chart(const std::string& id, const std::string& title, const std::string& body, std::size_t dataPoints) {
    return "<section class=\"chart\" id=\"" + id + "\" data-points=\"" + std::to_string(dataPoints) + "\"><h2>" + escaped(title) +
           "</h2><svg viewBox=\"0 0 " + number(kWidth, 0) + " " + number(kHeight, 0) + "\" width=\"100%\" role=\"img\" aria-label=\"" +
           escaped(title) + "\">" + body + "</svg></section>\n";
}

std::vector<double> ticks(double from, double to, double step) {
    std::vector<double> out;
    for (double t = std::ceil(from / step) * step; t <= to + 1e-9; t += step) out.push_back(t);
    return out;
}

const char* kColours[] = {"#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

// Loudness over time: momentary, short-term and the target.
std::string loudnessChart(const CheckResult& r, double targetLufs) {
    const AnalysisResult& a = r.analysis;
    const double end = std::max(a.durationSeconds, 1.0);
    Axes axes{0.0, end, -60.0, 0.0};
    Series momentary{"momentary", "#1f77b4", {}, 1.0}, shortTerm{"short-term", "#ff7f0e", {}, 2.0},
        target{"target", "#2ca02c", {}, 1.0, true};
    // At most 2000 points a series: every k-th hop.
    const std::size_t step = std::max<std::size_t>(1, r.loudness.size() / 2000);
    for (std::size_t i = 0; i < r.loudness.size(); i += step) {
        const auto& p = r.loudness[i];
        if (p.momentaryLufs) momentary.points.emplace_back(p.seconds, std::max(*p.momentaryLufs, -60.0));
        if (p.shortTermLufs) shortTerm.points.emplace_back(p.seconds, std::max(*p.shortTermLufs, -60.0));
    }
    target.points = {{0.0, targetLufs}, {end, targetLufs}};
    const std::vector<Series> series{momentary, shortTerm, target};
    return chart("chart-loudness", "Loudness over time (LUFS)",
                 frame(axes,
                       ticks(0, end,
                             end > 300  ? 60
                             : end > 60 ? 30
                                        : 5),
                       ticks(-60, 0, 10), "seconds", "LUFS") +
                     polylines(axes, series),
                 momentary.points.size() + shortTerm.points.size());
}

// Spectrum: the input and what each system makes of it, and the other version.
std::string spectrumChart(const CheckResult& r) {
    const SpectrumProfile& p = r.profile;
    double top = -300;
    std::vector<double> inputDb;
    for (std::size_t b = 0; b < p.bandHz.size(); ++b) {
        inputDb.push_back(p.totalDb(b));
        top = std::max(top, inputDb.back());
    }
    Axes axes{20.0, 20000.0, -60.0, 12.0, true};
    std::vector<Series> series;
    Series in{"input", "#1f77b4", {}, 2.5};
    for (std::size_t b = 0; b < p.bandHz.size(); ++b) in.points.emplace_back(p.bandHz[b], inputDb[b] - top);
    series.push_back(in);
    std::size_t colour = 0, points = in.points.size();
    for (const auto& s : r.systems) {
        Series out{s.name, kColours[colour++ % 8], {}, 1.2};
        for (std::size_t b = 0; b < s.thirdOctaveDb.size() && b < p.bandHz.size(); ++b)
            out.points.emplace_back(p.bandHz[b], s.thirdOctaveDb[b] - top);
        points += out.points.size();
        series.push_back(out);
    }
    if (r.against) {
        Series other{"other version", "#000000", {}, 1.5, true};
        for (std::size_t b = 0; b < r.against->thirdOctaveHz.size() && b < inputDb.size(); ++b)
            other.points.emplace_back(r.against->thirdOctaveHz[b],
                                      inputDb[b] - r.against->thirdOctaveChangeDb[b] - top);  // change: IN - OTHER
        points += other.points.size();
        series.push_back(other);
    }
    return chart("chart-spectrum", "Third-octave spectrum (dB, input's loudest band = 0)",
                 frame(axes, octaveBandsHz(), ticks(-60, 12, 12), "Hz", "dB") + polylines(axes, series), points);
}

// Waveform overview with clip and near-full-scale markers.
std::string waveformChart(const CheckResult& r) {
    Axes axes{0.0, static_cast<double>(std::max<std::size_t>(r.waveform.size(), 1)), -1.0, 1.0};
    std::string body = frame(axes, {}, {-1, 0, 1}, "", "");
    std::string path;
    std::size_t markers = 0;
    for (std::size_t i = 0; i < r.waveform.size(); ++i) {
        const auto& c = r.waveform[i];
        path += "M" + number(axes.x(static_cast<double>(i) + 0.5)) + " " + number(axes.y(c.max)) + "V" + number(axes.y(c.min));
        if (c.clipped || c.truePeakHigh) {
            body += "<rect class=\"marker " + std::string(c.clipped ? "clip" : "near") + "\" x=\"" +
                    number(axes.x(static_cast<double>(i))) + "\" y=\"" + number(kTop) + "\" width=\"2\" height=\"6\" fill=\"" +
                    (c.clipped ? "#d00" : "#f90") + "\"/>";
            ++markers;
        }
    }
    body += "<path class=\"series\" data-points=\"" + std::to_string(r.waveform.size()) + "\" stroke=\"#1f77b4\" stroke-width=\"1\" d=\"" +
            path + "\"/>";
    return chart("chart-waveform", "Waveform (red: clipped, orange: true peak above -1 dBTP; " + std::to_string(markers) + " marked)", body,
                 r.waveform.size());
}

// Stereo per band: correlation and what mono loses.
std::string stereoChart(const CheckResult& r) {
    const auto& bands = octaveBandsHz();
    Axes axes{0.0, static_cast<double>(bands.size()), -1.0, 1.0};
    std::string body = frame(axes, {}, {-1, 0, 1}, "octave band", "correlation");
    for (std::size_t k = 0; k < bands.size() && k < r.bandCorrelation.size(); ++k) {
        const double x = axes.x(static_cast<double>(k) + 0.15), w = axes.x(static_cast<double>(k) + 0.85) - x;
        const double v = r.bandCorrelation[k];
        body += "<rect class=\"bar\" data-band=\"" + number(bands[k], 1) + "\" data-value=\"" + number(v, 3) + "\" x=\"" + number(x) +
                "\" y=\"" + number(std::min(axes.y(v), axes.y(0))) + "\" width=\"" + number(w) + "\" height=\"" +
                number(std::fabs(axes.y(v) - axes.y(0))) + "\" fill=\"" + (v < 0 ? "#d62728" : "#1f77b4") + "\"/>";
        body += "<text class=\"tick\" x=\"" + number(x + w / 2) + "\" y=\"" + number(kHeight - kBottom + 16) +
                "\" text-anchor=\"middle\">" +
                (bands[k] >= 1000 ? number(bands[k] / 1000.0, 0) + "k" : number(bands[k], bands[k] < 100 ? 1 : 0)) + "</text>";
        body += "<text class=\"legend\" x=\"" + number(x + w / 2) + "\" y=\"" + number(kHeight - kBottom - 4) +
                "\" text-anchor=\"middle\">" + number(r.monoLossDb[k], 1) + " dB</text>";
    }
    return chart("chart-stereo", "Stereo correlation per octave band (labels: what mono loses)", body, bands.size());
}

// Systems, platforms, lossy round trips, the other version.
std::string tables(const CheckResult& r) {
    std::string html;
    html += "<h2>Playback systems</h2><table id=\"systems\"><tr><th>system</th><th>loudness</th><th>bass</th><th>presence</th>";
    for (double f : octaveBandsHz()) html += "<th>" + (f >= 1000 ? number(f / 1000.0, 0) + "k" : number(f, f < 100 ? 1 : 0)) + "</th>";
    html += "</tr>\n";
    for (const auto& s : r.systems) {
        html += "<tr><td title=\"" + escaped(s.description) + "\">" + escaped(s.name) + "</td><td>" +
                number(s.loudnessChangeLu.value_or(0.0)) + " LU</td><td>" + (s.bassAudible ? "audible" : "<b class=\"error\">lost</b>") +
                "</td><td>" + (s.presenceMasked ? "<b class=\"warning\">masked</b>" : "clear") + "</td>";
        for (double g : s.bandGainDb) html += "<td>" + (g < -60 ? std::string("&minus;&infin;") : number(g)) + "</td>";
        html += "</tr>\n";
    }
    html +=
        "</table>\n<h2>Streaming platforms</h2><table id=\"platforms\"><tr><th>platform</th><th>target</th><th>playback "
        "gain</th><th></th></tr>\n";
    for (const auto& p : r.platforms)
        html += "<tr><td>" + escaped(p.platform) + "</td><td>" + number(p.targetLufs) + " LUFS</td><td>" + number(p.playbackGainDb) +
                " dB</td><td>" +
                (p.playbackGainDb < -0.05  ? "turned down"
                 : p.playbackGainDb > 0.05 ? (p.limitedByPeak ? "turned up, as far as its peak headroom allows" : "turned up")
                                           : "unchanged") +
                "</td></tr>\n";
    html += "</table>\n";
    if (!r.codecs.empty()) {
        html += "<h2>Lossy round trips</h2><table id=\"codecs\"><tr><th>codec</th><th>bitrate</th><th>true peak after decoding</th></tr>\n";
        for (const auto& c : r.codecs)
            html += "<tr><td>" + escaped(c.codec) + "</td><td>" + std::to_string(c.bitrateKbps) + " kbit/s</td><td>" +
                    (c.available && c.truePeakDbtp ? number(*c.truePeakDbtp, 2) + " dBTP" : std::string("encoder not available")) +
                    "</td></tr>\n";
        html += "</table>\n";
    }
    if (r.against) {
        const VersionComparison& v = *r.against;
        html += "<h2>Against " + escaped(v.path) + "</h2><p>This file relative to it: + means this one is louder, wider.</p>" +
                "<table id=\"against\"><tr><th>lined up at</th><td>" + std::to_string(v.lagFrames) +
                " frames</td></tr><tr><th>loudness change</th><td>" + number(v.loudnessChangeLu.value_or(0.0), 2) +
                " LU</td></tr><tr><th>width change</th><td>" + number(v.widthChangeDb, 2) + " dB</td></tr><tr><th>null residual</th><td>" +
                number(v.nullResidualDbfs) + " dBFS (" + number(v.matchedResidualDbfs) + " dBFS after " + number(v.matchedGainDb, 2) +
                " dB)</td></tr></table>\n";
    }
    return html;
}

}  // namespace

std::string checkToHtml(const CheckResult& r, double targetLufs) {
    const AnalysisResult& a = r.analysis;
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">"
        "<title>bounce check: " +
        escaped(a.path) +
        "</title><style>"
        "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:860px;color:#222}"
        "h1{font-size:20px}h2{font-size:15px;margin:18px 0 4px}svg{background:#fafafa;border:1px solid #ddd}"
        ".grid{stroke:#e4e4e4;stroke-width:1}.tick,.unit,.legend{font-size:11px;fill:#555}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}"
        "th:first-child,td:first-child{text-align:left}.error{color:#b00}.warning{color:#a60}.info{color:#060}"
        "</style></head><body>\n";
    html += "<h1>bounce check: " + escaped(a.path) + "</h1>\n<p id=\"summary\">" + number(a.integratedLufs.value_or(-99.0)) +
            " LUFS integrated, " + number(a.truePeakDbtp.value_or(-99.0), 2) + " dBTP true peak, LRA " +
            number(a.loudnessRangeLu.value_or(0.0)) + " LU, " + number(a.durationSeconds, 1) + " s</p>\n";

    html += loudnessChart(r, targetLufs) + spectrumChart(r) + waveformChart(r) + stereoChart(r) + tables(r);
    html += "<h2>Findings</h2><ul id=\"findings\">\n";
    for (const auto& f : r.findings)
        html += "<li class=\"" + std::string(severityName(f.severity)) + "\" data-code=\"" + escaped(f.code) + "\"><b>" +
                severityName(f.severity) + "</b>: " + escaped(f.message) + "</li>\n";
    html += "</ul>\n</body></html>\n";
    return html;
}

}  // namespace bounce
