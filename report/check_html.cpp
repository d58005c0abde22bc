// The `bounce check --report` page (and the service's report of a master): one
// self-contained HTML file, charts drawn here as inline SVG (no network, nothing to load),
// from the same CheckResult as the JSON report, so the two cannot disagree.
//
// Readable as a mastering engineer reads a meter: loudness on an axis zoomed to where the
// programme lives (silence is a gap, not a floor), time in m:ss, every axis titled with its
// unit, colours from Okabe and Ito's palette (told apart with the common colour-vision
// deficiencies) and dashes as well, every finding and heuristic explained beside it. It
// prints to PDF one section a page-part (no chart cut across pages).
#include "bounce/check_report.h"
#include "bounce/master_report.h"
#include "html_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bounce {
namespace {

using namespace html;

// The third-octave spectrum of the file (its loudest band at 0 dB), what each playback
// system makes of it, and the other version.
std::string spectrumChart(const CheckResult& r, const std::string& subject) {
    const SpectrumProfile& p = r.profile;
    double top = -300;
    for (std::size_t b = 0; b < p.bandHz.size(); ++b) top = std::max(top, p.totalDb(b));
    const Axes axes{20.0, 20000.0, -60.0, 12.0, true};
    std::vector<Series> series;
    Series in{subject, {}, 2.5};
    for (std::size_t b = 0; b < p.bandHz.size(); ++b) in.points.emplace_back(p.bandHz[b], p.totalDb(b) - top);
    series.push_back(in);
    for (const auto& s : r.systems) {
        Series out{s.name, {}, 1.3};
        for (std::size_t b = 0; b < s.thirdOctaveDb.size() && b < p.bandHz.size(); ++b)
            out.points.emplace_back(p.bandHz[b], s.thirdOctaveDb[b] - top);
        series.push_back(out);
    }
    if (r.against) {
        Series other{"other version", {}, 1.5};
        for (std::size_t b = 0; b < r.against->thirdOctaveHz.size() && b < p.bandHz.size(); ++b)
            other.points.emplace_back(r.against->thirdOctaveHz[b], p.totalDb(b) - r.against->thirdOctaveChangeDb[b] - top);
        series.push_back(other);
    }
    std::size_t points = 0;
    for (const auto& s : series) points += s.points.size();
    std::vector<Tick> xTicks;
    for (double f : octaveBandsHz()) xTicks.push_back({f, hzLabel(f)});
    return chart("chart-spectrum", "Spectrum, and what each playback system makes of it",
                 frame(axes, xTicks, levelTicks(-60, 12, 12), "frequency (Hz, third-octave bands)",
                       "level (dB; the " + subject + "'s loudest band = 0)") +
                     lines(axes, series),
                 points, "Each system's line is its modelled response (docs/playback-systems.md) applied to this " + subject + ".");
}

// The waveform over time, on a dBFS scale, with clips and hot true peaks marked.
std::string waveformChart(const CheckResult& r) {
    const double end = std::max(r.analysis.durationSeconds, 1.0);
    const Axes axes{0.0, end, -1.0, 1.0};
    const std::vector<Tick> yTicks = {{1.0, "0"}, {0.5, "-6"}, {0.25, "-12"}, {0.0, ""}, {-0.25, "-12"}, {-0.5, "-6"}, {-1.0, "0"}};
    std::string body = frame(axes, timeTicks(end), yTicks, "time (m:ss)", "level (dBFS)");
    std::string path;
    std::size_t markers = 0;
    const double columns = static_cast<double>(std::max<std::size_t>(r.waveform.size(), 1));
    for (std::size_t i = 0; i < r.waveform.size(); ++i) {
        const auto& c = r.waveform[i];
        const double at = (static_cast<double>(i) + 0.5) / columns * end;
        path += "M" + number(axes.x(at)) + " " + number(axes.y(c.max)) + "V" + number(axes.y(c.min));
        if (c.clipped || c.truePeakHigh) {
            body += "<rect class=\"marker " + std::string(c.clipped ? "clip" : "near") + "\" x=\"" + number(axes.x(at) - 1) + "\" y=\"" +
                    number(kTop - 8) + "\" width=\"3\" height=\"7\" fill=\"" + (c.clipped ? "#D55E00" : "#E69F00") + "\"/>";
            ++markers;
        }
    }
    body += "<path class=\"series\" data-points=\"" + std::to_string(r.waveform.size()) + "\" stroke=\"#0072B2\" stroke-width=\"1\" d=\"" +
            path + "\"/>";
    return chart("chart-waveform", "Waveform", body, r.waveform.size(),
                 std::to_string(markers) + " places marked above the plot: vermillion where samples clip (3 or more at full scale), " +
                     "orange where the true peak is above -1 dBTP.");
}

// Stereo per octave band: L/R correlation, and what a mono sum loses there.
std::string stereoChart(const CheckResult& r) {
    const auto& bands = octaveBandsHz();
    const Axes axes{0.0, static_cast<double>(bands.size()), -1.0, 1.0};
    std::string body = frame(axes, {}, {{1.0, "+1"}, {0.5, "+0.5"}, {0.0, "0"}, {-0.5, "-0.5"}, {-1.0, "-1"}},
                             "octave band (Hz); above each bar: what mono loses there (dB)", "L/R correlation");
    for (std::size_t k = 0; k < bands.size() && k < r.bandCorrelation.size(); ++k) {
        const double x = axes.x(static_cast<double>(k) + 0.15), w = axes.x(static_cast<double>(k) + 0.85) - x;
        const double v = r.bandCorrelation[k];
        body += "<rect class=\"bar\" data-band=\"" + number(bands[k], 1) + "\" data-value=\"" + number(v, 3) + "\" x=\"" + number(x) +
                "\" y=\"" + number(std::min(axes.y(v), axes.y(0))) + "\" width=\"" + number(w) + "\" height=\"" +
                number(std::fabs(axes.y(v) - axes.y(0))) + "\" fill=\"" + (v < 0 ? "#D55E00" : "#0072B2") + "\"/>";
        body += text(x + w / 2, kHeight - kBottom + 16, "tick", "middle", hzLabel(bands[k]));
        body += text(x + w / 2, kTop - 4, "legend", "middle", number(r.monoLossDb[k], 1));
    }
    return chart("chart-stereo", "Stereo per octave band", body, bands.size(),
                 "+1: the same in both channels (mono); 0: unrelated; below 0 (vermillion): opposed, and a mono sum loses it.");
}

// L/R correlation over time, one point per waveform column.
std::string correlationChart(const CheckResult& r) {
    const double end = std::max(r.analysis.durationSeconds, 1.0);
    const Axes axes{0.0, end, -1.0, 1.0};
    Series line{"L/R correlation", {}, 1.5};
    const double columns = static_cast<double>(std::max<std::size_t>(r.views.correlation.size(), 1));
    for (std::size_t i = 0; i < r.views.correlation.size(); ++i)
        line.points.emplace_back((static_cast<double>(i) + 0.5) / columns * end, static_cast<double>(r.views.correlation[i]));
    const std::vector<Tick> yTicks = {{1.0, "+1"}, {0.5, "+0.5"}, {0.0, "0"}, {-0.5, "-0.5"}, {-1.0, "-1"}};
    return chart("chart-correlation", "Stereo correlation over time",
                 frame(axes, timeTicks(end), yTicks, "time (m:ss)", "L/R correlation") + lines(axes, {line}), line.points.size(),
                 "Near +1 the two channels are nearly the same (narrow); below 0 they oppose each other and cancel in mono.");
}

// Where the samples fall: side across, mid up, density in the cividis map (log counts).
std::string vectorscopeChart(const CheckResult& r) {
    const ProgrammeViews& v = r.views;
    const int n = v.scopeSize;
    std::uint32_t most = 1;
    for (auto count : v.scope) most = std::max(most, count);
    std::vector<unsigned char> rgb(static_cast<std::size_t>(n * n * 3));
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            const auto count = v.scope[static_cast<std::size_t>((n - 1 - y) * n + x)];  // mid up: the top row first
            unsigned char* px = &rgb[static_cast<std::size_t>((y * n + x) * 3)];
            if (count == 0) {
                px[0] = px[1] = px[2] = 250;
            } else {
                cividis(std::log1p(static_cast<double>(count)) / std::log1p(static_cast<double>(most)), px);
            }
        }
    const Axes axes{-v.scopeScale, v.scopeScale, -v.scopeScale, v.scopeScale};
    const double size = kHeight - kTop - kBottom, left = kLeft + (kWidth - kLeft - kRight - size) / 2.0;
    std::string body = "<image x=\"" + number(left) + "\" y=\"" + number(kTop) + "\" width=\"" + number(size) + "\" height=\"" +
                       number(size) + "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"" +
                       bmpDataUri(n, n, rgb) + "\"/>";
    // The axes of the square: side and mid ticks at the programme's peak and half of it.
    const auto xAt = [&](double value) { return left + (value / v.scopeScale + 1.0) / 2.0 * size; };
    for (double t : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
        body += text(xAt(t * v.scopeScale), kHeight - kBottom + 16, "tick", "middle", number(t * v.scopeScale, 2));
        body += text(left - 6, axes.y(t * v.scopeScale) + 4, "tick", "end", number(t * v.scopeScale, 2));
    }
    body += text(kWidth / 2, kHeight - 6, "axis-title", "middle", "side, (L - R) / 2 (linear, full scale 1)");
    body += text(left - 44, kTop + size / 2, "axis-title", "middle", "mid, (L + R) / 2",
                 " transform=\"rotate(-90 " + number(left - 44) + " " + number(kTop + size / 2) + ")\"");
    std::size_t points = 0;
    for (auto count : v.scope) points += count > 0 ? 1 : 0;
    return chart("chart-vectorscope", "Vectorscope", body, points,
                 "A vertical line is mono; a round cloud is wide; a horizontal line is out of phase. Brighter: more samples there.");
}

// Third-octave power over time, in the cividis map, over the 60 dB under the loudest.
std::string spectrogramChart(const CheckResult& r) {
    const ProgrammeViews& v = r.views;
    const int columns = static_cast<int>(v.spectrogramDb.size()), bands = static_cast<int>(v.spectrogramHz.size());
    float top = -120.0f;
    for (const auto& column : v.spectrogramDb)
        for (float db : column) top = std::max(top, db);
    std::vector<unsigned char> rgb(static_cast<std::size_t>(columns * bands * 3));
    for (int y = 0; y < bands; ++y)
        for (int x = 0; x < columns; ++x)
            cividis((v.spectrogramDb[static_cast<std::size_t>(x)][static_cast<std::size_t>(bands - 1 - y)] - (top - 60.0f)) / 60.0,
                    &rgb[static_cast<std::size_t>((y * columns + x) * 3)]);
    const double end = std::max(r.analysis.durationSeconds, 1.0);
    const Axes axes{0.0, end, 0.0, static_cast<double>(bands)};
    std::string body = "<image x=\"" + number(kLeft) + "\" y=\"" + number(kTop) + "\" width=\"" + number(kWidth - kLeft - kRight) +
                       "\" height=\"" + number(kHeight - kTop - kBottom) +
                       "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"" + bmpDataUri(columns, bands, rgb) +
                       "\"/>";
    std::vector<Tick> yTicks;
    for (int b = 0; b < bands; ++b)
        for (double f : {31.5, 125.0, 500.0, 2000.0, 8000.0})
            if (std::fabs(v.spectrogramHz[static_cast<std::size_t>(b)] / f - 1.0) < 0.03) yTicks.push_back({b + 0.5, hzLabel(f)});
    body += frame(axes, timeTicks(end), yTicks, "time (m:ss)", "frequency (Hz)");
    body += text(kWidth - kRight, 16, "legend", "end",
                 "dark: " + number(top - 60.0, 0) + " dBFS and under, yellow: " + number(top, 0) + " dBFS (per third-octave band)");
    return chart("chart-spectrogram", "Spectrogram", body, static_cast<std::size_t>(columns * bands),
                 "The mono sum's power per third-octave band (a sine at full scale reads 0 dBFS), averaged over each column (" +
                     number(v.spectrogramColumnSeconds, 1) + " s).");
}

// How the short-term loudness is spread: one bar per LU, the loudness range (the 10th to
// the 95th percentile, EBU Tech 3342) shaded.
std::string histogramChart(const CheckResult& r) {
    std::vector<double> values;
    for (const auto& p : r.loudness)
        if (p.shortTermLufs && *p.shortTermLufs > -70.0) values.push_back(*p.shortTermLufs);
    std::sort(values.begin(), values.end());
    const double low = values.empty() ? -40.0 : std::floor(values.front()), high = values.empty() ? -10.0 : std::ceil(values.back()) + 1;
    const double from = std::min(low, high - 12.0), to = std::max(high, from + 12.0);
    std::vector<int> counts(static_cast<std::size_t>(to - from), 0);
    for (double value : values) ++counts[std::min(counts.size() - 1, static_cast<std::size_t>(value - from))];
    const int most = std::max(1, *std::max_element(counts.begin(), counts.end()));
    const Axes axes{from, to, 0.0, 100.0};
    std::string body;
    if (r.analysis.loudnessRangeLu && !values.empty()) {
        const double lo = values[values.size() / 10], hi = values[std::min(values.size() - 1, values.size() * 95 / 100)];
        body += "<rect x=\"" + number(axes.x(lo)) + "\" y=\"" + number(kTop) + "\" width=\"" + number(axes.x(hi) - axes.x(lo)) +
                "\" height=\"" + number(kHeight - kTop - kBottom) + "\" fill=\"#009E73\" opacity=\"0.12\"/>";
    }
    for (std::size_t k = 0; k < counts.size(); ++k) {
        const double share = 100.0 * counts[k] / most;
        body += "<rect class=\"bar\" x=\"" + number(axes.x(from + static_cast<double>(k)) + 1) + "\" y=\"" + number(axes.y(share)) +
                "\" width=\"" + number(axes.x(from + 1.0) - axes.x(from) - 2) + "\" height=\"" + number(axes.y(0) - axes.y(share)) +
                "\" fill=\"#0072B2\"/>";
    }
    body += frame(axes, levelTicks(from, to, 3.0), {{0, "0"}, {50, "50"}, {100, "100"}}, "short-term loudness (LUFS)",
                  "time at that loudness (% of the most)");
    return chart("chart-histogram", "Loudness histogram", body, values.size(),
                 "Shaded: the loudness range, LRA " + number(r.analysis.loudnessRangeLu.value_or(0.0)) +
                     " LU (the 10th to the 95th percentile of the short-term loudness, EBU Tech 3342).");
}

std::string bandHeaders() {
    std::string html;
    for (double f : octaveBandsHz()) html += "<th>" + hzLabel(f) + "</th>";
    return html;
}

std::string systemsTable(const CheckResult& r) {
    std::string html =
        "<section id=\"systems-section\"><h2>Playback systems</h2><div class=\"wide\"><table id=\"systems\"><tr>"
        "<th>system</th><th>loudness change (LU)</th><th>bass</th><th>presence</th>" +
        bandHeaders() + "</tr>\n";
    for (const auto& s : r.systems) {
        html += "<tr><td title=\"" + escaped(s.description) + "\">" + escaped(s.name) + "</td><td>" +
                signedNumber(s.loudnessChangeLu.value_or(0.0)) + "</td><td>" + (s.bassAudible ? "audible" : "<b class=\"error\">lost</b>") +
                "</td><td>" + (s.presenceMasked ? "<b class=\"warning\">masked</b>" : "clear") + "</td>";
        for (double g : s.bandGainDb) html += "<td>" + (g < -60 ? std::string("-inf") : signedNumber(g)) + "</td>";
        html += "</tr>\n";
    }
    return html + "</table></div><p class=\"note\">The band columns are each system's gain per octave (dB, its output over the " +
           "input). <b>Bass lost</b>: the system's output from 80 to 500 Hz, where a small speaker lets the bass's harmonics " +
           "be heard, is more than 20 dB under its loudest octave. <b>Presence masked</b>: 1 to 4 kHz, where voices and " +
           "attacks are understood, is more than 10 dB under 250 to 500 Hz in what the system plays.</p></section>\n";
}

std::string platformsAndCodecs(const CheckResult& r) {
    std::string html =
        "<section id=\"platforms-section\"><h2>Streaming platforms</h2><table id=\"platforms\"><tr><th>platform</th>"
        "<th>normalises to (LUFS)</th><th>playback gain (dB)</th><th>what it does</th></tr>\n";
    for (const auto& p : r.platforms)
        html += "<tr><td>" + escaped(p.platform) + "</td><td>" + number(p.targetLufs) + "</td><td>" + signedNumber(p.playbackGainDb) +
                "</td><td>" +
                (p.playbackGainDb < -0.05  ? "turns it down"
                 : p.playbackGainDb > 0.05 ? (p.limitedByPeak ? "turns it up, as far as its true-peak headroom allows" : "turns it up")
                                           : "plays it as it is") +
                "</td></tr>\n";
    html += "</table></section>\n";
    if (!r.codecs.empty()) {
        html +=
            "<section id=\"codecs-section\"><h2>Lossy round trips</h2><table id=\"codecs\"><tr><th>codec</th><th>bit rate "
            "(kbit/s)</th><th>true peak after decoding (dBTP)</th></tr>\n";
        for (const auto& c : r.codecs)
            html += "<tr><td>" + escaped(c.codec) + "</td><td>" + std::to_string(c.bitrateKbps) + "</td><td>" +
                    (c.available && c.truePeakDbtp ? number(*c.truePeakDbtp, 2) : std::string("encoder not available")) + "</td></tr>\n";
        html +=
            "</table><p class=\"note\">Encoded and decoded with ffmpeg, then measured: over 0 dBTP the decoded file clips."
            "</p></section>\n";
    }
    return html;
}

std::string againstTable(const VersionComparison& v) {
    return "<section id=\"against-section\"><h2>Against " + escaped(std::string(v.path.substr(v.path.find_last_of('/') + 1))) +
           "</h2><p>This file relative to it: + means this one is louder, wider.</p><table id=\"against\"><tr><th>lined up at</th><td>" +
           std::to_string(v.lagFrames) + " frames</td></tr><tr><th>loudness change</th><td>" +
           signedNumber(v.loudnessChangeLu.value_or(0.0), 2) + " LU</td></tr><tr><th>width change</th><td>" +
           signedNumber(v.widthChangeDb, 2) + " dB</td></tr><tr><th>null residual</th><td>" + number(v.nullResidualDbfs) + " dBFS (" +
           number(v.matchedResidualDbfs) + " dBFS after " + signedNumber(v.matchedGainDb, 2) + " dB)</td></tr></table></section>\n";
}

// The file's facts and the loudness figures, with their units.
std::string factsAndFigures(const CheckResult& r, const CheckHtmlOptions& options) {
    const AnalysisResult& a = r.analysis;
    const auto dbOr = [](const std::optional<double>& v, int decimals, const char* unit) {
        return v ? number(*v, decimals) + " " + unit : std::string("none");
    };
    std::string html = "<section id=\"facts\"><table class=\"facts\"><tr><th>file</th><td>" + escaped(options.title) +
                       "</td></tr><tr><th>format</th><td>" + escaped(a.formatName) + "</td></tr><tr><th>sample rate</th><td>" +
                       number(a.sampleRate, 0) + " Hz</td></tr><tr><th>channels</th><td>" + std::to_string(a.channels) +
                       "</td></tr><tr><th>length</th><td>" + clock(a.durationSeconds) + " (" + number(a.durationSeconds, 2) +
                       " s)</td></tr><tr><th>measured by</th><td>Bounce " + BOUNCE_VERSION + ", " + escaped(options.generated) +
                       "</td></tr></table>\n<table id=\"figures\" class=\"facts\">";
    const auto row = [&](const char* key, const char* name, const std::optional<double>& v, int decimals, const char* unit) {
        html += "<tr data-key=\"" + std::string(key) + "\" data-value=\"" + (v ? number(*v, decimals) : std::string()) + "\"><th>" + name +
                "</th><td>" + dbOr(v, decimals, unit) + "</td></tr>";
    };
    std::optional<double> plr, psr;
    if (a.truePeakDbtp && a.integratedLufs) plr = *a.truePeakDbtp - *a.integratedLufs;
    if (a.truePeakDbtp && a.maxShortTermLufs) psr = *a.truePeakDbtp - *a.maxShortTermLufs;
    row("integrated_lufs", "integrated loudness", a.integratedLufs, 1, "LUFS");
    row("true_peak_dbtp", "true peak", a.truePeakDbtp, 2, "dBTP");
    row("loudness_range_lu", "loudness range (LRA)", a.loudnessRangeLu, 1, "LU");
    row("max_short_term_lufs", "loudest 3 s (max short-term)", a.maxShortTermLufs, 1, "LUFS");
    row("max_momentary_lufs", "loudest 400 ms (max momentary)", a.maxMomentaryLufs, 1, "LUFS");
    row("plr_db", "PLR (true peak - integrated)", plr, 1, "dB");
    row("psr_db", "PSR (true peak - loudest 3 s)", psr, 1, "dB");
    row("sample_peak_dbfs", "sample peak", a.samplePeakDbfs, 2, "dBFS");
    row("correlation", "L/R correlation", a.correlation, 2, "");
    return html + "</table><p class=\"note\">PLR and PSR say how much of the peaks' headroom the loudness uses: under about 8 dB, " +
           "the master is dense and limited hard.</p></section>\n";
}

std::string findingsSection(const CheckResult& r) {
    std::string html = "<section id=\"findings-section\"><h2>Findings</h2><ul id=\"findings\">\n";
    for (const auto& f : r.findings) {
        html += "<li class=\"" + std::string(severityName(f.severity)) + "\" data-code=\"" + escaped(f.code) + "\"><b>" +
                severityName(f.severity) + "</b>: " + escaped(f.message) +
                (f.atSeconds ? " (at " + clock(*f.atSeconds) + ")" : std::string()) + "<br><span class=\"why\">" +
                escaped(findingExplanation(f.code)) + "</span></li>\n";
    }
    return html + "</ul></section>\n";
}

}  // namespace

std::string checkToHtml(const CheckResult& r, const CheckHtmlOptions& given) {
    CheckHtmlOptions options = given;
    if (options.title.empty()) options.title = r.analysis.path.substr(r.analysis.path.find_last_of('/') + 1);
    if (options.generated.empty()) options.generated = nowUtc();
    const LoudnessTarget* target = findLoudnessTarget(r.verdict ? r.verdict->target : options.target);
    if (!target) target = &loudnessTargets().front();
    // The target's line on the charts: the verdict's, or the chosen target's without one.
    const TargetVerdict against = r.verdict ? *r.verdict : judgeAgainstTarget(r.analysis, *target);
    std::string html = pageHead("bounce check", options.title);
    if (r.verdict) html += verdictSection(*r.verdict, true);
    html += factsAndFigures(r, options);
    html += loudnessChart({{&r, "momentary (400 ms)", true, 1.0}, {&r, "short-term (3 s)", false, 2.0}}, against, "Loudness over time") +
            histogramChart(r) + waveformChart(r) + truePeakChart({{&r, options.subject}}, target->ceilingDbtp) +
            spectrumChart(r, options.subject) + spectrogramChart(r) + stereoChart(r);
    if (!r.views.correlation.empty()) html += correlationChart(r);
    if (r.views.scopeSize > 0) html += vectorscopeChart(r);
    html += findingsSection(r) + systemsTable(r) + platformsAndCodecs(r);
    if (r.against) html += againstTable(*r.against);
    return html + "<script>" + kReportScript + "</script></body></html>\n";
}

}  // namespace bounce
