// The SVG chart pieces of Bounce's HTML reports (the check report, the master report): one
// home for the axes, ticks, lines, legends, number formats and the page's style.
#include "html_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace bounce::html {

const char* const kPalette[8] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"};
const char* const kDashes[8] = {"", "6 3", "2 2", "8 3 2 3", "4 4", "1 3", "10 4", "3 6"};

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

// Never "-0.0": a value that rounds to zero is printed as zero.
std::string number(double v, int decimals) {
    const double scale = std::pow(10.0, decimals);
    if (std::round(v * scale) == 0.0) v = 0.0;
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

std::string signedNumber(double v, int decimals) {
    const std::string plain = number(v, decimals);
    return plain[0] == '-' || plain.find_first_not_of("0.") == std::string::npos ? plain : "+" + plain;
}

// 63, 125, 1k, 16k: a frequency as tick labels and band headers print it.
std::string hzLabel(double hz) {
    if (hz >= 1000.0) return number(hz / 1000.0, std::fmod(hz, 1000.0) == 0.0 || hz >= 10000.0 ? 0 : 1) + "k";
    return number(hz, hz < 100.0 && std::fmod(hz, 1.0) != 0.0 ? 1 : 0);
}

// 0:00, 3:25, 1:02:07.
std::string clock(double seconds) {
    const long s = std::lround(std::max(0.0, seconds));
    char text[24];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
    return text;
}

std::string text(double x, double y, const std::string& cls, const std::string& anchor, const std::string& content,
                 const std::string& extra) {
    return "<text class=\"" + cls + "\" x=\"" + number(x) + "\" y=\"" + number(y) + "\" text-anchor=\"" + anchor + "\"" + extra + ">" +
           escaped(content) + "</text>";
}

// The grid, tick labels and both axes' titles (with their units).
std::string frame(const Axes& a, const std::vector<Tick>& xTicks, const std::vector<Tick>& yTicks, const std::string& xTitle,
                  const std::string& yTitle) {
    std::string svg;
    for (const auto& t : yTicks) {
        svg += "<line class=\"grid\" x1=\"" + number(kLeft) + "\" x2=\"" + number(kWidth - kRight) + "\" y1=\"" + number(a.y(t.at)) +
               "\" y2=\"" + number(a.y(t.at)) + "\"/>";
        svg += text(kLeft - 6, a.y(t.at) + 4, "tick", "end", t.label);
    }
    for (const auto& t : xTicks) {
        svg += "<line class=\"grid\" y1=\"" + number(kTop) + "\" y2=\"" + number(kHeight - kBottom) + "\" x1=\"" + number(a.x(t.at)) +
               "\" x2=\"" + number(a.x(t.at)) + "\"/>";
        svg += text(a.x(t.at), kHeight - kBottom + 16, "tick", "middle", t.label);
    }
    svg += text((kLeft + kWidth - kRight) / 2, kHeight - 6, "axis-title", "middle", xTitle);
    const double middle = (kTop + kHeight - kBottom) / 2;
    svg += text(14, middle, "axis-title", "middle", yTitle, " transform=\"rotate(-90 14 " + number(middle) + ")\"");
    return svg;
}

std::string legend(const std::vector<std::string>& names, std::size_t firstStyle) {
    std::string svg;
    double x = kLeft + 4;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::size_t style = (firstStyle + i) % 8;
        svg += "<line x1=\"" + number(x) + "\" x2=\"" + number(x + 22) + "\" y1=\"12\" y2=\"12\" stroke=\"" + kPalette[style] +
               "\" stroke-width=\"2.5\" stroke-dasharray=\"" + kDashes[style] + "\"/>";
        svg += text(x + 26, 16, "legend", "start", names[i]);
        x += 36 + 6.2 * static_cast<double>(names[i].size());
    }
    return svg;
}

std::string lines(const Axes& a, const std::vector<Series>& series, std::size_t firstStyle) {
    std::string svg;
    for (std::size_t i = 0; i < series.size(); ++i) {
        const std::size_t style = (firstStyle + i) % 8;
        std::string d;
        bool pen = false;
        for (const auto& [x, y] : series[i].points) {
            if (std::isnan(y)) {
                pen = false;
                continue;
            }
            d += (pen ? "L" : "M") + number(a.x(x)) + " " + number(a.y(y));
            pen = true;
        }
        svg += "<path class=\"series\" data-name=\"" + escaped(series[i].name) + "\" data-points=\"" +
               std::to_string(series[i].points.size()) + "\" fill=\"none\" stroke=\"" + kPalette[style] + "\" stroke-width=\"" +
               number(series[i].width) + "\" stroke-dasharray=\"" + kDashes[style] + "\" d=\"" + d + "\"/>";
    }
    std::vector<std::string> names;
    for (const auto& s : series) names.push_back(s.name);
    return svg + legend(names, firstStyle);
}

std::string chart(const std::string& id, const std::string& title, const std::string& body, std::size_t dataPoints,
                  const std::string& note) {
    return "<section class=\"chart\" id=\"" + id + "\" data-points=\"" + std::to_string(dataPoints) + "\"><h2>" + escaped(title) +
           "</h2><div class=\"plot\"><svg viewBox=\"0 0 " + number(kWidth, 0) + " " + number(kHeight, 0) +
           "\" width=\"100%\" role=\"img\" aria-label=\"" + escaped(title) + "\">" + body + "</svg></div>" +
           (note.empty() ? "" : "<p class=\"note\">" + escaped(note) + "</p>") + "</section>\n";
}

std::string bmpDataUri(int width, int height, const std::vector<unsigned char>& rgbTopDown) {
    const int rowBytes = (width * 3 + 3) / 4 * 4;
    const auto size = static_cast<std::uint32_t>(54 + rowBytes * height);
    std::vector<unsigned char> bmp(size, 0);
    const auto put32 = [&](std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) bmp[at + static_cast<std::size_t>(i)] = static_cast<unsigned char>(v >> (8 * i));
    };
    bmp[0] = 'B';
    bmp[1] = 'M';
    put32(2, size);
    put32(10, 54);
    put32(14, 40);
    put32(18, static_cast<std::uint32_t>(width));
    put32(22, static_cast<std::uint32_t>(height));
    bmp[26] = 1;   // planes
    bmp[28] = 24;  // bits per pixel
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const unsigned char* from = &rgbTopDown[static_cast<std::size_t>(((height - 1 - y) * width + x) * 3)];
            unsigned char* to = &bmp[static_cast<std::size_t>(54 + y * rowBytes + x * 3)];
            to[0] = from[2];  // BMP keeps blue, green, red
            to[1] = from[1];
            to[2] = from[0];
        }
    static const char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out = "data:image/bmp;base64,";
    for (std::size_t i = 0; i < bmp.size(); i += 3) {
        const std::uint32_t chunk =
            (static_cast<std::uint32_t>(bmp[i]) << 16) | (i + 1 < bmp.size() ? bmp[i + 1] << 8 : 0) | (i + 2 < bmp.size() ? bmp[i + 2] : 0);
        out += kDigits[(chunk >> 18) & 63];
        out += kDigits[(chunk >> 12) & 63];
        out += i + 1 < bmp.size() ? kDigits[(chunk >> 6) & 63] : '=';
        out += i + 2 < bmp.size() ? kDigits[chunk & 63] : '=';
    }
    return out;
}

void cividis(double t, unsigned char* rgb) {
    static const double kStops[5][3] = {{0, 32, 77}, {65, 77, 107}, {124, 123, 120}, {188, 175, 111}, {255, 234, 70}};
    t = std::clamp(t, 0.0, 1.0) * 4.0;
    const int i = std::min(3, static_cast<int>(t));
    const double f = t - i;
    for (int c = 0; c < 3; ++c) rgb[c] = static_cast<unsigned char>(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
}

// Time ticks every 5 s .. 10 min, about eight across, labelled m:ss.
std::vector<Tick> timeTicks(double end) {
    double step = 5.0;
    for (double s : {5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0})
        if (end / s <= 9.0) {
            step = s;
            break;
        }
    std::vector<Tick> ticks;
    for (double t = 0.0; t <= end + 1e-9; t += step) ticks.push_back({t, clock(t)});
    return ticks;
}

std::vector<Tick> levelTicks(double from, double to, double step) {
    std::vector<Tick> ticks;
    for (double v = std::ceil(from / step) * step; v <= to + 1e-9; v += step) ticks.push_back({v, number(v, 0)});
    return ticks;
}

const char* const kReportStyle =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:900px;padding:0 12px;color:#222}"
    "h1{font-size:20px;overflow-wrap:anywhere}h2{font-size:15px;margin:20px 0 4px}"
    "svg{background:#fafafa;border:1px solid #ddd;display:block;height:auto}"
    // On a phone a chart keeps a readable size and scrolls inside its frame; the page does not.
    ".plot{overflow-x:auto;max-width:100%}.plot svg{min-width:600px}"
    ".grid{stroke:#e4e4e4;stroke-width:1}.tick,.legend{font-size:11px;fill:#444}.axis-title{font-size:12px;fill:#222}"
    "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}"
    "th:first-child,td:first-child{text-align:left}.facts td,#stages td{text-align:left}.wide{overflow-x:auto;max-width:100%}"
    ".error{color:#b00}.warning{color:#8a5000}.info{color:#05603a}.why,.note{color:#555;font-size:13px}"
    "#verdict{padding:4px 12px;border-left:6px solid}.pass{border-color:#009E73;background:#eef8f3}"
    ".fail{border-color:#D55E00;background:#fdf0ea}"
    "section{break-inside:avoid;page-break-inside:avoid}"
    ".plot.zoomed svg{min-width:400%}button.zoom{font:inherit;font-size:12px;margin:0 0 4px;padding:2px 8px}"
    "@media print{body{max-width:none;margin:0}.wide,.plot{overflow:visible}.plot svg,.plot.zoomed "
    "svg{min-width:0}button.zoom{display:none}}";

// Plain script, nothing loaded: the page reads the same without it.
const char* const kReportScript =
    "document.querySelectorAll('section.chart').forEach(function(s){"
    "if(![].some.call(s.querySelectorAll('text.axis-title'),function(t){return t.textContent.indexOf('time')===0;}))return;"
    "var b=document.createElement('button');b.className='zoom';b.type='button';b.textContent='Zoom in (x4, scroll to pan)';"
    "b.addEventListener('click',function(){var z=s.querySelector('.plot').classList.toggle('zoomed');"
    "b.textContent=z?'Zoom out':'Zoom in (x4, scroll to pan)';});"
    "s.querySelector('h2').insertAdjacentElement('afterend',b);});";

std::string truePeakChart(const std::vector<std::pair<const CheckResult*, std::string>>& files, double ceilingDbtp) {
    double end = 1.0;
    for (const auto& [r, name] : files) end = std::max(end, r->analysis.durationSeconds);
    const Axes axes{0.0, end, -20.0, 3.0};
    std::vector<Series> series;
    std::size_t points = 0;
    for (const auto& [r, name] : files) {
        Series s{name, {}, series.empty() && files.size() > 1 ? 1.2 : 1.8};
        const double columns = static_cast<double>(std::max<std::size_t>(r->waveform.size(), 1));
        for (std::size_t i = 0; i < r->waveform.size(); ++i) {
            const float peak = r->waveform[i].truePeak;
            s.points.emplace_back((static_cast<double>(i) + 0.5) / columns * r->analysis.durationSeconds,
                                  peak > 0.1f ? 20.0 * std::log10(static_cast<double>(peak)) : std::nan(""));
        }
        points += s.points.size();
        series.push_back(std::move(s));
    }
    std::string body = "<line class=\"ceiling\" x1=\"" + number(kLeft) + "\" x2=\"" + number(kWidth - kRight) + "\" y1=\"" +
                       number(axes.y(ceilingDbtp)) + "\" y2=\"" + number(axes.y(ceilingDbtp)) +
                       "\" stroke=\"#D55E00\" stroke-width=\"1.5\" stroke-dasharray=\"8 3 2 3\"/>";
    body += text(kWidth - kRight - 4, axes.y(ceilingDbtp) - 4, "legend", "end", "ceiling " + number(ceilingDbtp) + " dBTP");
    body += frame(axes, timeTicks(end), levelTicks(-18, 3, 3), "time (m:ss)", "true peak (dBTP)") + lines(axes, series);
    return chart("chart-true-peak", "True peak over time against the ceiling", body, points,
                 "Each point is the highest reconstructed peak (4x oversampled, BS.1770-4) in 1/800 of the song; under -20 dBTP it is "
                 "left out.");
}

std::string nowUtc() {
    const std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    return date;
}

std::string pageHead(const std::string& command, const std::string& title) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\"><title>" +
           escaped(command + ": " + title) + "</title><style>" + kReportStyle + "</style></head><body>\n<h1>" +
           escaped(command + ": " + title) + "</h1>\n";
}

std::string verdictSection(const TargetVerdict& v, bool note) {
    std::string html = "<section id=\"verdict\" class=\"" + std::string(v.passes() ? "pass" : "fail") + "\" data-passes=\"" +
                       (v.passes() ? "true" : "false") + "\"><h2>" + (v.passes() ? "Passes " : "Fails ") + escaped(v.target) + ": " +
                       number(v.targetLufs) + " LUFS +/-" + number(v.toleranceLu) + " LU, true peak at most " + number(v.ceilingDbtp) +
                       " dBTP</h2><ul>";
    for (const auto& line : v.why) html += "<li>" + escaped(line) + "</li>";
    html += "</ul>";
    if (note) html += "<p class=\"note\">" + escaped(v.note) + ". Tolerance: " + escaped(v.toleranceSource) + ".</p>";
    return html + "</section>\n";
}

std::string loudnessChart(const std::vector<LoudnessLine>& wanted, const TargetVerdict& target, const std::string& title) {
    double end = 1.0, loudest = target.targetLufs;
    std::vector<double> shortTerm;
    for (const auto& line : wanted) {
        end = std::max(end, line.file->analysis.durationSeconds);
        for (const auto& p : line.file->loudness) {
            if (p.shortTermLufs && *p.shortTermLufs > -70.0) shortTerm.push_back(*p.shortTermLufs);
            if (p.momentaryLufs) loudest = std::max(loudest, *p.momentaryLufs);
        }
    }
    std::sort(shortTerm.begin(), shortTerm.end());
    const double quiet = shortTerm.empty() ? target.targetLufs : shortTerm[shortTerm.size() / 10];
    const double bottom = std::floor((std::min(quiet, target.targetLufs) - 6.0) / 3.0) * 3.0;
    const double top = std::ceil((loudest + 3.0) / 3.0) * 3.0;
    const Axes axes{0.0, end, bottom, top};
    std::vector<Series> series;
    std::size_t points = 0;
    for (const auto& line : wanted) {
        Series s{line.name, {}, line.width};
        const auto& curve = line.file->loudness;
        const std::size_t step = std::max<std::size_t>(1, curve.size() / 2000);  // at most 2000 points a line
        for (std::size_t i = 0; i < curve.size(); i += step) {
            const auto& v = line.momentary ? curve[i].momentaryLufs : curve[i].shortTermLufs;
            s.points.emplace_back(curve[i].seconds, v && *v >= bottom ? *v : std::nan(""));
        }
        points += s.points.size();
        series.push_back(std::move(s));
    }
    const double lufs = target.targetLufs, tolerance = target.toleranceLu;
    std::string body = "<rect class=\"tolerance\" x=\"" + number(kLeft) + "\" width=\"" + number(kWidth - kLeft - kRight) + "\" y=\"" +
                       number(axes.y(lufs + tolerance)) + "\" height=\"" + number(axes.y(lufs - tolerance) - axes.y(lufs + tolerance)) +
                       "\" fill=\"#009E73\" opacity=\"0.12\"/>";
    body += "<line class=\"target\" x1=\"" + number(kLeft) + "\" x2=\"" + number(kWidth - kRight) + "\" y1=\"" + number(axes.y(lufs)) +
            "\" y2=\"" + number(axes.y(lufs)) + "\" stroke=\"#009E73\" stroke-width=\"1.5\" stroke-dasharray=\"8 3 2 3\"/>";
    body += text(kWidth - kRight - 4, axes.y(lufs) - 4, "legend", "end",
                 target.target + " " + number(lufs) + " LUFS (+/-" + number(tolerance) + " LU)");
    body += frame(axes, timeTicks(end), levelTicks(bottom, top, 3.0), "time (m:ss)", "loudness (LUFS)") + lines(axes, series);
    return chart("chart-loudness", title, body, points,
                 "Silence and passages more than 6 LU under the quiet parts are left out of the lines; the band is the target's "
                 "tolerance.");
}

}  // namespace bounce::html
